/**
 * What an image is, from a strict walk over its whole structure (png-structure.ts,
 * jpeg-structure.ts), before any decoder runs: a hostile or absurd file is refused before a
 * pixel buffer is allocated or a byte inflated, and what decoding it would cost is known.
 */
import { jpegDecodeBytes, pngDecodeBytes } from "./decode-cost.js";
import { imageUnsupported } from "./image-errors.js";
import { readJpegStructure, type JpegStructure } from "./jpeg-structure.js";
import { readPngStructure, type PngStructure } from "./png-structure.js";

export type ImageFormat = "png" | "jpeg";

export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  /** PNG only: Adam7 interlacing (refused, see decodeImage). */
  readonly interlaced: boolean;
  /** The decoder's estimated peak allocation for this image, in bytes (decode-cost.ts). */
  readonly decodeBytes: number;
}

export type ImageStructure =
  | { readonly format: "png"; readonly png: PngStructure; readonly header: ImageHeader }
  | { readonly format: "jpeg"; readonly jpeg: JpegStructure; readonly header: ImageHeader };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return undefined;
}

/** Checks the whole file's structure; throws IMAGE_UNSUPPORTED or IMAGE_CORRUPT. `name` is for messages. */
export function readImageStructure(bytes: Uint8Array, name: string): ImageStructure {
  const format = sniffImageFormat(bytes);
  if (format === "png") {
    const png = readPngStructure(bytes, name);
    const { width, height, interlaced } = png;
    return { format, png, header: { format, width, height, interlaced, decodeBytes: pngDecodeBytes(png, bytes.length) } };
  }
  if (format === "jpeg") {
    const jpeg = readJpegStructure(bytes, name);
    const { width, height } = jpeg;
    return { format, jpeg, header: { format, width, height, interlaced: false, decodeBytes: jpegDecodeBytes(jpeg, bytes.length) } };
  }
  throw imageUnsupported(name, "is neither a PNG nor a JPEG image", "Save camera photos or screenshots as PNG or JPEG.");
}

/** The header of a structurally valid PNG or JPEG; throws IMAGE_UNSUPPORTED or IMAGE_CORRUPT. */
export function readImageHeader(bytes: Uint8Array, name: string): ImageHeader {
  return readImageStructure(bytes, name).header;
}
