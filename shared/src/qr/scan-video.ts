/**
 * QR payloads from a video file or a camera, through ffmpeg (see ffmpeg.ts). Frames are
 * decoded one at a time as ffmpeg produces them; a consumer that has what it needs just stops
 * iterating and ffmpeg is killed.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { AirlockError } from "../errors.js";
import { grayToRgba } from "./raster.js";
import { capSizeFilter, ffmpegGrayFrames, pgmOutputArgs, type FfmpegOptions } from "./ffmpeg.js";
import type { GrayFrame } from "./pgm-stream.js";
import { prepareQrDecoder } from "./decoders/load.js";
import { DEFAULT_SCAN_MAX_SIDE, scanQrPixels } from "./scan-pixels.js";
import type { QrPayload } from "./types.js";

export interface VideoScanOptions extends FfmpegOptions {
  /** Sample the video at this many frames per second (default: every frame of a file; 15 for a camera). */
  readonly fps?: number;
  /** ffmpeg scales frames so the longer side is at most this (default 1280, at most 4096). */
  readonly maxSide?: number;
  /** Look for light-on-dark codes too (default true). */
  readonly inverted?: boolean;
  /** Retry frames without a code at 2× (see QrScanOptions.upscale). Default true for files, false for cameras. */
  readonly upscale?: boolean;
  /** Also try jsqr's own binarizer for low-contrast codes (see QrScanOptions.lowContrast). Default false. */
  readonly lowContrast?: boolean;
  /** Drop a payload equal to the previous one (a code held on screen over several frames). Default true. */
  readonly skipRepeats?: boolean;
  /** Called for every frame ffmpeg delivers, decoded or not (progress, statistics). */
  readonly onFrame?: (frame: number, decoded: boolean) => void;
}

export interface VideoScanResult {
  /** 0-based index of the (sampled) frame the payload came from. */
  readonly frame: number;
  readonly payload: QrPayload;
}

export interface CameraScanOptions extends VideoScanOptions {
  /** The V4L2 device (default /dev/video0). */
  readonly device?: string;
  /** Capture size asked of the camera, e.g. "1280x720" (default: the camera's choice). */
  readonly videoSize?: string;
  /** Camera pixel format, e.g. "mjpeg" for USB cameras that are slow in raw YUV (default: camera's choice). */
  readonly inputFormat?: string;
}

/** Scans every (sampled) frame of a video file. */
export async function* scanVideo(file: string, options: VideoScanOptions = {}): AsyncGenerator<VideoScanResult> {
  const path = resolve(file);
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new AirlockError("VIDEO_NOT_FOUND", `video ${file} does not exist or cannot be read`, { hint: "Check the path.", cause: e });
  }
  if (!info.isFile()) throw new AirlockError("VIDEO_NOT_FOUND", `${file} is not a regular file`, { hint: "Point at the video file." });
  const maxSide = checkMaxSide(options.maxSide);
  const filters = [...(options.fps === undefined ? [] : [`fps=${checkFps(options.fps)}`]), capSizeFilter(maxSide)];
  // "file:" stops a name like "http://..." or "concat:..." from being taken as a protocol, and
  // the whitelist keeps container formats (playlists) from opening anything but local files.
  const args = ["-protocol_whitelist", "file", "-i", `file:${path}`, "-map", "0:v:0", ...pgmOutputArgs(filters)];
  const frames = ffmpegGrayFrames(args, { kind: "video", name: file }, { ...options, maxPixels: maxSide * maxSide });
  yield* decodeFrames(frames, maxSide, { upscale: true, ...options });
}

/** The ffmpeg arguments for a V4L2 camera (exported for tests: no camera here to run them on). */
export function cameraArgs(device: string, options: CameraScanOptions = {}): string[] {
  const maxSide = checkMaxSide(options.maxSide);
  const fps = checkFps(options.fps ?? 15);
  return [
    "-f", "v4l2",
    "-framerate", String(fps),
    ...(options.videoSize === undefined ? [] : ["-video_size", checkVideoSize(options.videoSize)]),
    ...(options.inputFormat === undefined ? [] : ["-input_format", checkToken(options.inputFormat)]),
    "-i", device,
    ...pgmOutputArgs([capSizeFilter(maxSide)]),
  ];
}

/** Scans a camera until the consumer stops iterating. */
export async function* scanCamera(options: CameraScanOptions = {}): AsyncGenerator<VideoScanResult> {
  const device = options.device ?? "/dev/video0";
  let info;
  try {
    info = await stat(device);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw code === "EACCES"
      ? new AirlockError("CAMERA_PERMISSION", `no permission to open camera ${device}`, {
          hint: "Add your user to the 'video' group (sudo adduser $USER video), then log in again.",
          cause: e,
        })
      : new AirlockError("CAMERA_NOT_FOUND", `camera ${device} does not exist`, {
          hint: "Plug the camera in and list devices with: ls /dev/video*",
          cause: e,
        });
  }
  if (!info.isCharacterDevice()) {
    throw new AirlockError("CAMERA_NOT_FOUND", `${device} is not a camera device`, { hint: "Cameras are /dev/video0, /dev/video1, ..." });
  }
  const maxSide = checkMaxSide(options.maxSide);
  const frames = ffmpegGrayFrames(cameraArgs(device, options), { kind: "camera", name: device }, { ...options, maxPixels: maxSide * maxSide });
  // A live camera must keep up: no 2× retry unless asked (it costs ~4× on frames without a code).
  yield* decodeFrames(frames, maxSide, { upscale: false, ...options });
}

async function* decodeFrames(frames: AsyncIterable<GrayFrame>, maxSide: number, options: VideoScanOptions): AsyncGenerator<VideoScanResult> {
  const skipRepeats = options.skipRepeats ?? true;
  const { decoder } = await prepareQrDecoder();
  let previous: QrPayload | undefined;
  let index = 0;
  for await (const frame of frames) {
    const image = { width: frame.width, height: frame.height, data: grayToRgba(frame.width, frame.height, frame.gray) };
    // ffmpeg already capped the size at maxSide, so scanQrPixels will not downscale again.
    const payload = scanQrPixels(image, {
      decoder,
      maxSide,
      ...(options.inverted === undefined ? {} : { inverted: options.inverted }),
      ...(options.upscale === undefined ? {} : { upscale: options.upscale }),
      ...(options.lowContrast === undefined ? {} : { lowContrast: options.lowContrast }),
    });
    options.onFrame?.(index, payload !== undefined);
    if (payload !== undefined && !(skipRepeats && previous !== undefined && samePayload(previous, payload))) {
      yield { frame: index, payload };
    }
    if (payload !== undefined) previous = payload;
    index++;
  }
}

export function samePayload(a: QrPayload, b: QrPayload): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

function checkMaxSide(maxSide: number | undefined): number {
  const value = maxSide ?? DEFAULT_SCAN_MAX_SIDE;
  if (!Number.isInteger(value) || value < 64 || value > 4096) {
    throw new AirlockError("VIDEO_BAD_OPTION", `maxSide must be an integer from 64 to 4096 pixels, got ${String(maxSide)}`);
  }
  return value;
}

function checkFps(fps: number): number {
  if (!Number.isFinite(fps) || fps <= 0 || fps > 240) {
    throw new AirlockError("VIDEO_BAD_OPTION", `fps must be a number above 0 and at most 240, got ${String(fps)}`);
  }
  return fps;
}

function checkVideoSize(size: string): string {
  if (!/^\d{2,5}x\d{2,5}$/.test(size)) {
    throw new AirlockError("CAMERA_BAD_OPTION", `video size must look like 1280x720, got ${JSON.stringify(size)}`);
  }
  return size;
}

// ffmpeg option values we pass through: plain words only, never something ffmpeg could parse as more.
function checkToken(value: string): string {
  if (!/^[a-z0-9_]{1,32}$/i.test(value)) {
    throw new AirlockError("CAMERA_BAD_OPTION", `input format must be a plain ffmpeg format name, got ${JSON.stringify(value)}`);
  }
  return value;
}
