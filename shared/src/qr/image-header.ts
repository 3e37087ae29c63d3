/**
 * Image dimensions from the first bytes of a PNG (IHDR) or JPEG (SOF marker), read before any
 * decoder runs, so a hostile or absurd file is refused before a pixel buffer is allocated.
 */
import { AirlockError } from "../errors.js";

export type ImageFormat = "png" | "jpeg";

export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  /** PNG only: Adam7 interlacing (refused, see readImageFile). */
  readonly interlaced: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return undefined;
}

/** Parses the header; throws IMAGE_UNSUPPORTED or IMAGE_CORRUPT. `name` is for messages. */
export function readImageHeader(bytes: Uint8Array, name: string): ImageHeader {
  const format = sniffImageFormat(bytes);
  if (format === "png") return pngHeader(bytes, name);
  if (format === "jpeg") return jpegHeader(bytes, name);
  throw new AirlockError("IMAGE_UNSUPPORTED", `${name} is neither a PNG nor a JPEG image`, {
    hint: "Save camera photos or screenshots as PNG or JPEG.",
  });
}

function pngHeader(bytes: Uint8Array, name: string): ImageHeader {
  // Signature (8), IHDR length (4) = 13, "IHDR" (4), width (4), height (4), depth, colour, compression, filter, interlace.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33 || view.getUint32(8) !== 13 || ascii(bytes, 12, 4) !== "IHDR") {
    throw corrupt(name, "its PNG header (IHDR) is missing or truncated");
  }
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) throw corrupt(name, "its PNG header gives a zero width or height");
  return { format: "png", width, height, interlaced: bytes[28] === 1 };
}

function jpegHeader(bytes: Uint8Array, name: string): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 2; // after SOI
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw corrupt(name, `expected a JPEG marker at byte ${pos}`);
    const marker = bytes[pos + 1] as number;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    // Markers without a length: TEM and RST0-7 (SOI/EOI cannot appear before a frame header).
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    const length = view.getUint16(pos + 2);
    if (length < 2) throw corrupt(name, `a JPEG segment at byte ${pos} has an invalid length`);
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision (1), height (2), width (2).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (pos + 9 > bytes.length || length < 8) throw corrupt(name, "its JPEG frame header is truncated");
      const height = view.getUint16(pos + 5);
      const width = view.getUint16(pos + 7);
      // Height 0 means "defined later by a DNL marker": legal, but no camera writes it.
      if (width === 0 || height === 0) throw corrupt(name, "its JPEG frame header gives a zero width or height");
      return { format: "jpeg", width, height, interlaced: false };
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end before any frame header
    pos += 2 + length;
  }
  throw corrupt(name, "no JPEG frame header (SOF) was found before the image data");
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

function corrupt(name: string, what: string): AirlockError {
  return new AirlockError("IMAGE_CORRUPT", `${name} is not a readable image: ${what}`, {
    hint: "The file may be truncated or not an image; take or export the picture again.",
  });
}
