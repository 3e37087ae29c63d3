/**
 * Scans a folder of camera photos or screenshots, in name order, one result per image file.
 * Only regular files directly in the folder are read: subfolders, pipes and devices are skipped
 * and symlinks are neither listed nor followed (readdir's file types come from lstat), and an
 * entry swapped after listing is refused by the open itself (O_NOFOLLOW | O_NONBLOCK, then
 * fstat: image-read.ts), so a folder can neither make us read outside itself nor block us.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { AirlockError, isAirlockError } from "../errors.js";
import { readImageFile, type ImageLimits } from "./image-read.js";
import { prepareQrDecoder } from "./decoders/load.js";
import { scanQrPixels, type QrScanOptions } from "./scan-pixels.js";
import type { QrPayload } from "./types.js";

export interface FolderScanOptions extends QrScanOptions, ImageLimits {
  /** Refuse folders with more image files (default 100 000). */
  readonly maxFiles?: number;
}

export interface FolderScanResult {
  /** File name within the folder. */
  readonly name: string;
  readonly path: string;
  /** The decoded payload; undefined when no readable code was found or the file was unreadable. */
  readonly payload: QrPayload | undefined;
  /** Why the file could not be read (IMAGE_TOO_LARGE, IMAGE_CORRUPT, ...); the scan goes on. */
  readonly error?: AirlockError;
}

const IMAGE_EXTENSION = /\.(png|jpe?g)$/i;
// Numeric collation puts IMG_2 before IMG_10, as a person expects of camera file names.
const byName = new Intl.Collator("en", { numeric: true }).compare;

/** Lists the image files `scanImageFolder` would read, sorted. */
export async function listImageFiles(dir: string, maxFiles = 100_000): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new AirlockError(
      code === "ENOENT" ? "IMAGE_FOLDER_NOT_FOUND" : "IMAGE_FOLDER_UNREADABLE",
      code === "ENOENT" ? `folder ${dir} does not exist` : `folder ${dir} could not be read: ${e instanceof Error ? e.message : String(e)}`,
      { hint: "Point at the folder holding the photos or screenshots of the QR codes.", cause: e },
    );
  }
  const names = entries.filter((e) => e.isFile() && IMAGE_EXTENSION.test(e.name)).map((e) => e.name);
  if (names.length > maxFiles) {
    throw new AirlockError("IMAGE_FOLDER_TOO_LARGE", `folder ${dir} holds ${names.length} images, more than ${maxFiles}`, {
      hint: "Split the images into several folders.",
    });
  }
  return names.sort(byName);
}

export async function* scanImageFolder(dir: string, options: FolderScanOptions = {}): AsyncGenerator<FolderScanResult> {
  const names = await listImageFiles(dir, options.maxFiles);
  const { decoder } = await prepareQrDecoder();
  for (const name of names) {
    const path = join(dir, name);
    let image;
    try {
      image = await readImageFile(path, options);
    } catch (e) {
      if (!isAirlockError(e)) throw e;
      yield { name, path, payload: undefined, error: e };
      continue;
    }
    yield { name, path, payload: scanQrPixels(image, { ...options, decoder }) };
  }
}
