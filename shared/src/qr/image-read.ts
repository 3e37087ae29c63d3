/**
 * PNG and JPEG files → RGBA pixels, with every cost bounded before it is paid:
 * - opening never follows a link and never blocks (a named pipe would wait for a writer for
 *   ever), and only a regular file, by fstat of the opened descriptor, is read (usb/open-file.ts);
 * - its size is checked before a buffer is allocated, and it is read in full or refused;
 * - its whole structure is checked before decoding (image-header.ts), and the pixel count and
 *   the decoder's estimated peak allocation (decode-cost.ts) against their limits;
 * - a PNG's image data is inflated against the exact size its header declares, so a
 *   compression bomb stops there instead of in pngjs, which would quietly truncate it.
 */
import { inflateSync } from "node:zlib";
import { isRefusal, openRegularFile, readExactly, type Refusal } from "../usb/open-file.js";
import { imageCorrupt, imageNotAFile, imageNotFound, imageTooLarge, imageUnreadable, imageUnsupported } from "./image-errors.js";
import { readImageStructure } from "./image-header.js";
import { jpegLib, pngLib } from "./libs.js";
import type { PngStructure } from "./png-structure.js";
import type { RgbaImage } from "./types.js";

export interface ImageLimits {
  /** Refuse larger files (default 64 MiB). */
  readonly maxFileBytes?: number;
  /** Refuse images with more pixels (default 40 megapixels). */
  readonly maxPixels?: number;
  /** Refuse images whose decoding would allocate more, estimated from the header (default 768 MiB). */
  readonly maxDecodeBytes?: number;
}

export const DEFAULT_MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_IMAGE_PIXELS = 40_000_000;
/** A 24-megapixel 4:2:0 phone photo is estimated at about 570 MiB through jpeg-js. */
export const DEFAULT_MAX_DECODE_BYTES = 768 * 1024 * 1024;

const MIB = 1024 * 1024;

/** Reads a PNG or JPEG file into RGBA. Throws IMAGE_* AirlockErrors (image-errors.ts). */
export async function readImageFile(path: string, limits: ImageLimits = {}): Promise<RgbaImage> {
  const maxFileBytes = limits.maxFileBytes ?? DEFAULT_MAX_IMAGE_FILE_BYTES;
  const opened = await openRegularFile(path);
  if (isRefusal(opened)) throw openRefused(path, opened);
  let bytes: Uint8Array;
  try {
    if (opened.size > maxFileBytes) {
      throw imageTooLarge(`${path} is ${opened.size} bytes, more than the ${maxFileBytes}-byte limit for an image`);
    }
    const read = await readExactly(opened.handle, opened.size);
    if (isRefusal(read)) throw imageUnreadable(path, read.reason);
    bytes = read;
  } finally {
    await opened.handle.close();
  }
  return decodeImage(bytes, path, limits);
}

/** Decodes PNG or JPEG bytes into RGBA after checking their structure and costs. */
export function decodeImage(bytes: Uint8Array, name: string, limits: ImageLimits = {}): RgbaImage {
  const maxFileBytes = limits.maxFileBytes ?? DEFAULT_MAX_IMAGE_FILE_BYTES;
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const maxDecodeBytes = limits.maxDecodeBytes ?? DEFAULT_MAX_DECODE_BYTES;
  if (bytes.length > maxFileBytes) throw imageTooLarge(`${name} is ${bytes.length} bytes, more than the ${maxFileBytes}-byte limit for an image`);
  const image = readImageStructure(bytes, name);
  const { width, height, decodeBytes } = image.header;
  if (width * height > maxPixels) throw imageTooLarge(`${name} is ${width}×${height} pixels, more than the ${maxPixels}-pixel limit`);
  if (decodeBytes > maxDecodeBytes) {
    throw imageTooLarge(
      `decoding ${name} (${width}×${height}) would take about ${Math.ceil(decodeBytes / MIB)} MiB, more than the ${Math.floor(maxDecodeBytes / MIB)} MiB allowed`,
    );
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoded = image.format === "png" ? decodePng(buffer, image.png, name) : decodeJpeg(buffer, name, maxPixels, maxDecodeBytes);
  if (decoded.width !== width || decoded.height !== height || decoded.data.length !== width * height * 4) {
    throw imageCorrupt(name, `the decoder returned ${decoded.width}×${decoded.height} pixels where the header says ${width}×${height}`);
  }
  return decoded;
}

function decodePng(buffer: Buffer, png: PngStructure, name: string): RgbaImage {
  // pngjs inflates interlaced images with no output limit; cameras and screenshot tools never
  // interlace, so refusing costs nothing.
  if (png.interlaced) throw imageUnsupported(name, "is an interlaced PNG", "Re-save the image without interlacing (or as JPEG).");
  checkInflatedSize(png, name);
  let decoded;
  try {
    decoded = pngLib().PNG.sync.read(buffer);
  } catch (e) {
    throw decodeFailed(name, e);
  }
  return { width: decoded.width, height: decoded.height, data: new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length) };
}

/**
 * The image data must inflate to exactly the size the header declares. One output buffer of
 * that size plus one byte: a stream that goes further fails as soon as it fills it, so a
 * compression bomb costs at most the declared size, already within the limits.
 */
function checkInflatedSize(png: PngStructure, name: string): void {
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(png.idat), { maxOutputLength: png.inflatedBytes, chunkSize: Math.max(64, png.inflatedBytes + 1) });
  } catch (e) {
    if ((e as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw imageCorrupt(name, `its image data inflates to more than the ${png.inflatedBytes} bytes its header declares`, e);
    }
    throw imageCorrupt(name, `its compressed image data is damaged (${e instanceof Error ? e.message : String(e)})`, e);
  }
  if (inflated.length !== png.inflatedBytes) {
    throw imageCorrupt(name, `its image data inflates to ${inflated.length} bytes, not the ${png.inflatedBytes} its header declares`);
  }
}

function decodeJpeg(buffer: Buffer, name: string, maxPixels: number, maxDecodeBytes: number): RgbaImage {
  let decoded;
  try {
    decoded = jpegLib().decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      // jpeg-js's own limits, a second fence behind ours (its accounting counts less than it allocates).
      maxResolutionInMP: Math.ceil(maxPixels / 1_000_000),
      maxMemoryUsageInMB: Math.ceil(maxDecodeBytes / MIB),
    });
  } catch (e) {
    throw decodeFailed(name, e);
  }
  return { width: decoded.width, height: decoded.height, data: new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length) };
}

function decodeFailed(name: string, cause: unknown): Error {
  return imageCorrupt(name, `it could not be decoded (${cause instanceof Error ? cause.message : String(cause)})`, cause);
}

function openRefused(path: string, refusal: Refusal): Error {
  switch (refusal.code) {
    case "USB_VANISHED":
      return imageNotFound(path);
    case "USB_SYMLINK":
    case "USB_NOT_A_FILE":
    case "USB_SPECIAL_FILE":
      return imageNotAFile(path, `not a regular file: ${refusal.reason}`);
    default:
      return imageUnreadable(path, refusal.reason);
  }
}
