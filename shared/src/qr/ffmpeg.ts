/**
 * Runs ffmpeg as a child process that writes gray PGM frames to stdout, and yields them. Reading
 * stdout through its async iterator gives backpressure for free: while we decode a frame the
 * pipe fills and ffmpeg blocks. When the consumer stops early (break, return, throw), ffmpeg is
 * killed. ffmpeg is looked up as `options.ffmpegPath`, else $AIRLOCK_FFMPEG, else `ffmpeg` on PATH.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { AirlockError } from "../errors.js";
import { PgmFrameError, PgmSplitter, type GrayFrame } from "./pgm-stream.js";

export interface FfmpegOptions {
  /** The ffmpeg program (default: $AIRLOCK_FFMPEG, else "ffmpeg" on PATH). */
  readonly ffmpegPath?: string;
  /**
   * Stops the capture: ffmpeg is killed and the frames end without an error (a camera runs until
   * the person says stop; Ctrl-C is how they say it).
   */
  readonly signal?: AbortSignal;
}

export function resolveFfmpegPath(options: FfmpegOptions = {}): string {
  const fromEnv = process.env["AIRLOCK_FFMPEG"];
  return options.ffmpegPath ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : "ffmpeg");
}

/** What a failure is blamed on: a video file (VIDEO_*) or a camera (CAMERA_*). */
export interface FfmpegSource {
  readonly kind: "video" | "camera";
  /** The file or device, for messages. */
  readonly name: string;
}

/** Filter that caps the longer side at `maxSide` keeping the aspect ratio (area averaging). */
export function capSizeFilter(maxSide: number): string {
  return `scale=w='if(gt(iw,ih),min(iw,${maxSide}),-1)':h='if(gt(iw,ih),-1,min(ih,${maxSide}))':flags=area`;
}

/** Output options shared by file and camera: gray PGM frames on stdout. */
export function pgmOutputArgs(filters: readonly string[]): string[] {
  return ["-an", "-sn", "-dn", "-vf", filters.join(","), "-pix_fmt", "gray", "-c:v", "pgm", "-f", "image2pipe", "pipe:1"];
}

const STDERR_TAIL_BYTES = 4096;

export function ffmpegMissingError(program: string, cause?: unknown): AirlockError {
  return new AirlockError("VIDEO_FFMPEG_MISSING", `ffmpeg is needed to read video and cameras, but ${JSON.stringify(program)} could not be run`, {
    hint: "Install it (Debian/Ubuntu: sudo apt-get install ffmpeg), or set AIRLOCK_FFMPEG to the path of the ffmpeg program.",
    cause,
  });
}

export async function* ffmpegGrayFrames(
  args: readonly string[],
  source: FfmpegSource,
  options: FfmpegOptions & { readonly maxPixels: number },
): AsyncGenerator<GrayFrame> {
  const program = resolveFfmpegPath(options);
  const aborted = (): boolean => options.signal?.aborted === true;
  if (aborted()) return;
  const child = spawn(program, ["-hide_banner", "-nostdin", "-loglevel", "error", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    // A camera's ffmpeg gets its own process group: Ctrl-C in the terminal reaches only us, and
    // we stop ffmpeg ourselves. Otherwise both get SIGINT and ffmpeg's exit (255) races our
    // handler, so a clean stop could be reported as a failed camera.
    detached: source.kind === "camera",
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  try {
    await once(child, "spawn");
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "EACCES") throw ffmpegMissingError(program, e);
    throw failure(source, `ffmpeg could not be started: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_BYTES);
  });
  const splitter = new PgmSplitter(options.maxPixels);
  let finished = false;
  let stopping: Promise<void> | undefined;
  // Only kill: ffmpeg's stdout then ends by itself once ffmpeg is gone (a frame cut off is dropped).
  const onAbort = (): void => {
    stopping ??= stop(child, closed, { keepOutput: true });
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    try {
      for await (const chunk of child.stdout as NodeJS.ReadableStream) {
        let frames: GrayFrame[];
        try {
          frames = splitter.push(chunk as Uint8Array);
        } catch (e) {
          if (e instanceof PgmFrameError) throw failure(source, e.message, e);
          throw e;
        }
        for (const frame of frames) {
          if (aborted()) break;
          yield frame;
        }
      }
    } catch (e) {
      if (!aborted()) throw e;
    }
    const { code, signal } = await closed;
    finished = true;
    // Asked to stop: however ffmpeg ended (killed, or cut off mid-frame), the capture is over.
    if (aborted()) return;
    if (code !== 0) {
      const detail = stderr.trim() === "" ? `exit ${code ?? signal ?? "?"}` : stderr.trim().split("\n").slice(-3).join(" / ");
      throw failure(source, `ffmpeg could not read ${source.name}: ${detail}`);
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (!finished) await (stopping ?? stop(child, closed));
    else if (stopping !== undefined) await stopping;
  }
}

/** Ends ffmpeg when the consumer stopped early: close its stdout, ask, then insist. */
async function stop(child: ChildProcess, closed: Promise<unknown>, options: { keepOutput?: boolean } = {}): Promise<void> {
  if (options.keepOutput !== true) child.stdout?.destroy();
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const insist = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, 2000);
    timer.unref();
  });
  await Promise.race([closed, insist]);
  clearTimeout(timer);
}

function failure(source: FfmpegSource, message: string, cause?: unknown): AirlockError {
  return source.kind === "camera"
    ? new AirlockError("CAMERA_FAILED", message, {
        hint: "Check that no other program uses the camera, that you may read the device (group 'video'), and that it is the right /dev/video* device.",
        cause,
      })
    : new AirlockError("VIDEO_UNREADABLE", message, {
        hint: "Check that the file is a complete video (mp4, mkv, webm, avi, mov) and play it once to be sure.",
        cause,
      });
}
