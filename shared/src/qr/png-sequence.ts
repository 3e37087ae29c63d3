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
  const stale = (await readdir(dir)).filter((name) => FRAME_NAME.test(name));
  if (stale.length > 0) {
    if (options.overwrite !== true) {
      throw new AirlockError("QR_OUTPUT_NOT_EMPTY", `${dir} already holds ${stale.length} frame-NNNNN.png files`, {
        hint: "Pick an empty folder, or allow overwriting so old frames are removed first.",
      });
    }
    for (const name of stale) await unlink(join(dir, name));
  }
  const paths: string[] = [];
  for await (const frame of frames) {
    if (paths.length >= MAX_SEQUENCE_FRAMES) {
      throw new AirlockError("QR_BAD_FRAME_COUNT", `a PNG sequence holds at most ${MAX_SEQUENCE_FRAMES} frames`, {
        hint: "Split the bundle into several transfers or use larger QR versions.",
      });
    }
    const path = join(dir, frameFileName(paths.length));
    const png = renderQrPng(frame, options);
    // "wx": never write through a file or symlink that appeared in the folder meanwhile.
    const handle = await open(path, "wx");
    try {
      await handle.writeFile(png);
    } finally {
      await handle.close();
    }
    paths.push(path);
  }
  return paths;
}
