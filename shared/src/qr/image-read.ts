/**
 * PNG and JPEG files → RGBA pixels, with every size bounded before allocation: the file's size
 * (fstat) before reading it, and the pixel count (from the header) before decoding it. Files
 * are opened without following a symlink.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { AirlockError } from "../errors.js";
import { readImageHeader } from "./image-header.js";
import { jpegLib, pngLib } from "./libs.js";
import type { RgbaImage } from "./types.js";

export interface ImageLimits {
  /** Refuse larger files (default 64 MiB). */
  readonly maxFileBytes?: number;
  /** Refuse images with more pixels (default 40 megapixels: 160 MB of RGBA). */
  readonly maxPixels?: number;
}

export const DEFAULT_MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_IMAGE_PIXELS = 40_000_000;

/** Reads a PNG or JPEG file into RGBA. Throws IMAGE_* AirlockErrors. */
export async function readImageFile(path: string, limits: ImageLimits = {}): Promise<RgbaImage> {
  const maxFileBytes = limits.maxFileBytes ?? DEFAULT_MAX_IMAGE_FILE_BYTES;
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw openError(path, e);
  }
  let bytes: Uint8Array;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new AirlockError("IMAGE_NOT_A_FILE", `${path} is not a regular file`, { hint: "Point at an image file." });
    }
    if (stat.size > maxFileBytes) {
      throw tooLarge(`${path} is ${stat.size} bytes, more than the ${maxFileBytes}-byte limit for an image`);
    }
    // Read at most the limit even if the file grows meanwhile.
    const buffer = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
    bytes = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  return decodeImage(bytes, path, limits);
}

/** Decodes PNG or JPEG bytes into RGBA after checking the header's dimensions. */
export function decodeImage(bytes: Uint8Array, name: string, limits: ImageLimits = {}): RgbaImage {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const header = readImageHeader(bytes, name);
  if (header.width * header.height > maxPixels) {
    throw tooLarge(`${name} is ${header.width}×${header.height} pixels, more than the ${maxPixels}-pixel limit`);
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (header.format === "png") {
    // pngjs inflates interlaced images with no output limit: a small file could expand without
    // bound. Cameras and screenshot tools never interlace, so refusing costs nothing.
    if (header.interlaced) {
      throw new AirlockError("IMAGE_UNSUPPORTED", `${name} is an interlaced PNG`, {
        hint: "Re-save the image without interlacing (or as JPEG).",
      });
    }
    let png;
    try {
      png = pngLib().PNG.sync.read(buffer);
    } catch (e) {
      throw corruptError(name, e);
    }
    return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  let decoded;
  try {
    decoded = jpegLib().decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      // jpeg-js's own limits, a second fence behind the header check.
      maxResolutionInMP: Math.ceil(maxPixels / 1_000_000),
      maxMemoryUsageInMB: Math.ceil((maxPixels * 4 * 2) / (1024 * 1024)) + 64,
    });
  } catch (e) {
    throw corruptError(name, e);
  }
  return { width: decoded.width, height: decoded.height, data: new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length) };
}

function tooLarge(message: string): AirlockError {
  return new AirlockError("IMAGE_TOO_LARGE", message, {
    hint: "Use a smaller photo or screenshot (a 1280×720 or 1920×1080 frame is plenty for a QR code).",
  });
}

function corruptError(name: string, cause: unknown): AirlockError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new AirlockError("IMAGE_CORRUPT", `${name} could not be decoded: ${detail}`, {
    hint: "The file may be truncated or damaged; take or export the picture again.",
    cause,
  });
}

function openError(path: string, e: unknown): AirlockError {
  const code = (e as { code?: unknown }).code;
  if (code === "ENOENT") return new AirlockError("IMAGE_NOT_FOUND", `${path} does not exist`, { hint: "Check the path.", cause: e });
  if (code === "ELOOP") {
    return new AirlockError("IMAGE_NOT_A_FILE", `${path} is a symbolic link, which is not followed`, {
      hint: "Point at the image file itself.",
      cause: e,
    });
  }
  if (code === "EACCES" || code === "EPERM") {
    return new AirlockError("IMAGE_UNREADABLE", `no permission to read ${path}`, { hint: "Check the file's permissions.", cause: e });
  }
  return new AirlockError("IMAGE_UNREADABLE", `${path} could not be opened: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
