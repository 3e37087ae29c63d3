/**
 * Writes frames as numbered PNG files (frame-00001.png, ...) into a folder, for showing them
 * with any image viewer or turning them into a video. Zero-padded names sort the same way in
 * every tool; stale frames of an earlier, longer run are never left behind to be mixed in.
 */
import { mkdir, open, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { AirlockError } from "../errors.js";
import { renderQrPng, type QrImageOptions } from "./render-png.js";
import type { QrPayload } from "./types.js";

export const MAX_SEQUENCE_FRAMES = 99_999;
const FRAME_NAME = /^frame-\d{5}\.png$/;

export interface QrPngSequenceOptions extends QrImageOptions {
  /** Delete frame-NNNNN.png files already in the folder first (default: refuse with QR_OUTPUT_NOT_EMPTY). */
  readonly overwrite?: boolean;
  /**
   * Resume: the frames given are those from this index on; frame files below it are kept (an
   * interrupted run wrote them), those from it on are written again. Default 0.
   */
  readonly firstIndex?: number;
  /** Called after each frame file is written, with how many this call wrote so far. */
  readonly onFrame?: (written: number) => void;
}

/** Whether `name` is a frame file this module writes (frame-NNNNN.png), and its index. */
export function frameIndexOf(name: string): number | undefined {
  return FRAME_NAME.test(name) ? Number(name.slice(6, 11)) - 1 : undefined;
}

export function frameFileName(index: number): string {
  return `frame-${String(index + 1).padStart(5, "0")}.png`;
}

/** Writes every frame; returns the paths in order. */
export async function writeQrPngSequence(
  dir: string,
  frames: Iterable<QrPayload> | AsyncIterable<QrPayload>,
  options: QrPngSequenceOptions,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const first = options.firstIndex ?? 0;
  if (!Number.isSafeInteger(first) || first < 0 || first >= MAX_SEQUENCE_FRAMES) throw new RangeError(`"firstIndex" expected an integer in [0, ${MAX_SEQUENCE_FRAMES}), got ${String(first)}`);
  const stale = (await readdir(dir)).filter((name) => FRAME_NAME.test(name) && (frameIndexOf(name) ?? 0) >= first);
  if (stale.length > 0 && first > 0) {
    // Resuming: what the interrupted run wrote from here on may be cut short; it is written again.
    for (const name of stale) await unlink(join(dir, name));
  } else if (stale.length > 0) {
    if (options.overwrite !== true) {
      throw new AirlockError("QR_OUTPUT_NOT_EMPTY", `${dir} already holds ${stale.length} frame-NNNNN.png files`, {
        hint: "Pick an empty folder, or allow overwriting so old frames are removed first.",
      });
    }
    for (const name of stale) await unlink(join(dir, name));
  }
  const paths: string[] = [];
  for await (const frame of frames) {
    if (first + paths.length >= MAX_SEQUENCE_FRAMES) {
      throw new AirlockError("QR_BAD_FRAME_COUNT", `a PNG sequence holds at most ${MAX_SEQUENCE_FRAMES} frames`, {
        hint: "Split the bundle into several transfers or use larger QR versions.",
      });
    }
    const path = join(dir, frameFileName(first + paths.length));
    const png = renderQrPng(frame, options);
    // "wx": never write through a file or symlink that appeared in the folder meanwhile.
    const handle = await open(path, "wx");
    try {
      await handle.writeFile(png);
    } finally {
      await handle.close();
    }
    paths.push(path);
    options.onFrame?.(paths.length);
  }
  return paths;
}
