/**
 * A camera for tests, where no V4L2 device exists: the production code runs unchanged — it
 * checks the device (a character device: /dev/null stands in), builds its `-f v4l2 … -i DEVICE`
 * command line and runs "ffmpeg" — but $AIRLOCK_FFMPEG points at a small bash script that
 * checks it was asked for exactly that V4L2 capture, swaps the camera input for a video file (or
 * an ffmpeg lavfi source) played in a loop, and execs the real ffmpeg with every other argument
 * as given. So the capture path (process, PGM pipe, frame decoding, progress, stopping) is the
 * real one; only the light reaching a sensor is not. Nothing in the apps knows about this.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PNG } from "pngjs";
import { readImageFile } from "../src/qr/image-read.js";
import { cameraLike } from "./degrade.js";

/** A character device every Linux has, which ffmpeg is never really asked to open. */
export const FAKE_CAMERA_DEVICE = "/dev/null";

export interface FakeCamera {
  /** The environment that makes the apps' ffmpeg this camera. */
  readonly env: { readonly AIRLOCK_FFMPEG: string };
  readonly device: string;
  /** One line per capture started: the device asked for and the pid of the ffmpeg that ran. */
  captures(): string[];
}

export interface FakeCameraOptions {
  /** Play at the video's own frame rate, as a camera delivers frames (default false: as fast as read). */
  readonly realtime?: boolean;
  /** Start the video again when it ends, as a camera keeps filming (default true). */
  readonly loop?: boolean;
}

/** What the camera sees: a video file, or raw ffmpeg input arguments (e.g. a lavfi source). */
export type CameraScene = { readonly video: string } | { readonly input: readonly string[] };

function realFfmpeg(): string {
  return execFileSync("sh", ["-c", "command -v ffmpeg"], { encoding: "utf8" }).trim();
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes the camera's script into `dir` (created if needed). */
export function fakeCamera(dir: string, scene: CameraScene, options: FakeCameraOptions = {}): FakeCamera {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, "fake-camera-ffmpeg");
  const log = join(dir, "fake-camera.log");
  const input =
    "video" in scene
      ? [...(options.realtime === true ? ["-re"] : []), ...(options.loop === false ? [] : ["-stream_loop", "-1"]), "-i", `file:${scene.video}`]
      : [...(options.realtime === true ? ["-re"] : []), ...scene.input];
  writeFileSync(
    script,
    [
      "#!/bin/bash",
      "# Test camera: see shared/test-support/fake-camera.ts.",
      `real=${quote(realFfmpeg())}`,
      `want=${quote(FAKE_CAMERA_DEVICE)}`,
      `input=(${input.map(quote).join(" ")})`,
      'out=(); v4l2=0; device=""',
      "while [ $# -gt 0 ]; do",
      '  if [ "$1" = -f ] && [ "$2" = v4l2 ] && [ -z "$device" ]; then v4l2=1; shift 2; continue; fi',
      '  if [ $v4l2 = 1 ] && [ -z "$device" ]; then',
      '    case "$1" in',
      "      -framerate|-video_size|-input_format) shift 2; continue;;",
      '      -i) device=$2; out+=("${input[@]}"); shift 2; continue;;',
      "    esac",
      "  fi",
      '  out+=("$1"); shift',
      "done",
      'if [ $v4l2 != 1 ] || [ "$device" != "$want" ]; then echo "fake camera: not a V4L2 capture of $want" >&2; exit 9; fi',
      `echo "$device $$" >> ${quote(log)}`,
      'exec "$real" "${out[@]}"',
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return {
    env: { AIRLOCK_FFMPEG: script },
    device: FAKE_CAMERA_DEVICE,
    captures: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "") : []),
  };
}

/**
 * A video of what a camera would film of QR animations: every PNG frame of `folders` in turn,
 * each as a 720p camera-like frame (the code resized to `side` px, rotated, blurred, noisy),
 * then H.264 at `fps`: the lossy compression a camera's own stream has (no separate JPEG step,
 * which would cost most of the test's time).
 */
export async function cameraVideo(folders: readonly string[], out: string, options: { fps?: number; side?: number; seed?: number } = {}): Promise<number> {
  const work = `${out}.frames`;
  mkdirSync(work, { recursive: true });
  let n = 0;
  for (const folder of folders) {
    for (const name of (await readdir(folder)).filter((f) => f.endsWith(".png")).sort()) {
      const code = await readImageFile(join(folder, name));
      // Degraded at the code's size; ffmpeg puts it in the 720p grey frame (cheaper than here).
      const seen = cameraLike(code, { side: options.side ?? 520, rotation: n % 2 === 0 ? 3 : -2, blur: 1, noise: 6, seed: (options.seed ?? 1) + n });
      const png = new PNG({ width: seen.width, height: seen.height });
      png.data = Buffer.from(seen.data.buffer, seen.data.byteOffset, seen.data.byteLength);
      await writeFile(join(work, `f-${String(n).padStart(5, "0")}.png`), PNG.sync.write(png));
      n++;
    }
  }
  execFileSync(realFfmpeg(), ["-v", "error", "-y", "-framerate", String(options.fps ?? 10), "-i", join(work, "f-%05d.png"), "-vf", "pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=0x808080", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "20", out]);
  return n;
}
