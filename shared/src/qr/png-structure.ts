/**
 * A strict walk over every chunk of a PNG (W3C PNG, 3rd edition, §5 and §11), before pngjs sees
 * the file. pngjs trusts the *last* IHDR it meets and inflates up to the size that one declares,
 * so a 100×100 header followed by a second, 30000×30000 one turned a 1 MiB file into 1 GiB of
 * pixels. Here one layout is accepted: the signature, exactly one IHDR and first, at most one
 * PLTE before the image data, consecutive IDATs, an empty IEND and nothing after it; every
 * chunk inside the file, with a valid type and a matching CRC; a bounded number of chunks.
 * What pngjs would then allocate is bounded from this header alone (decode-cost.ts), and the
 * image data is inflated against the size it declares before pngjs runs (image-read.ts).
 */
import { crc32 } from "node:zlib";
import { imageCorrupt, imageUnsupported } from "./image-errors.js";

export interface PngStructure {
  readonly width: number;
  readonly height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  readonly bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  readonly colourType: number;
  /** Samples per pixel (1 to 4). */
  readonly channels: number;
  readonly interlaced: boolean;
  readonly chunks: number;
  /** The IDAT bodies in order: together, one zlib stream. */
  readonly idat: readonly Uint8Array[];
  /**
   * What the zlib stream must inflate to for a non-interlaced image: one filter byte plus the
   * packed samples for each row. Not an integer check: it may exceed 2⁵³ for absurd headers,
   * which the pixel limit refuses first.
   */
  readonly inflatedBytes: number;
}

/**
 * libpng writes 8 KiB IDATs (a 64 MiB file is 8192 chunks) and some encoders one per row; more
 * chunks than this is a file built to make the parser work, not a picture.
 */
export const MAX_PNG_CHUNKS = 65_536;

// Allowed bit depths per colour type (§11.2.2 table 11.1), with samples per pixel.
const COLOUR_TYPES: ReadonlyMap<number, { readonly channels: number; readonly depths: readonly number[] }> = new Map([
  [0, { channels: 1, depths: [1, 2, 4, 8, 16] }],
  [2, { channels: 3, depths: [8, 16] }],
  [3, { channels: 1, depths: [1, 2, 4, 8] }],
  [4, { channels: 2, depths: [8, 16] }],
  [6, { channels: 4, depths: [8, 16] }],
]);
// tRNS body length per colour type (§11.3.2.1); palette images take up to one byte per entry.
const TRNS_LENGTH: ReadonlyMap<number, number> = new Map([
  [0, 2],
  [2, 6],
]);
const MAX_CHUNK_LENGTH = 0x7fffffff; // §5.3: lengths are at most 2³¹ − 1

/** Walks the whole file; throws IMAGE_CORRUPT or IMAGE_UNSUPPORTED. The signature is already checked. */
export function readPngStructure(bytes: Uint8Array, name: string): PngStructure {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Omit<PngStructure, "chunks" | "idat"> | undefined;
  let paletteEntries = 0;
  let sawTrns = false;
  const idat: Uint8Array[] = [];
  let idatEnded = false; // a chunk other than IDAT came after the first IDAT
  let chunks = 0;
  let pos = 8;
  for (;;) {
    if (pos + 8 > bytes.length) throw imageCorrupt(name, `its PNG data ends at byte ${bytes.length} without an IEND chunk`);
    const length = view.getUint32(pos);
    const type = chunkType(bytes, pos + 4);
    if (type === undefined) throw imageCorrupt(name, `the PNG chunk at byte ${pos} has an invalid type`);
    if (length > MAX_CHUNK_LENGTH || pos + 12 + length > bytes.length) {
      throw imageCorrupt(name, `the PNG ${type} chunk at byte ${pos} runs past the end of the file`);
    }
    if (++chunks > MAX_PNG_CHUNKS) throw imageCorrupt(name, `it has more than ${MAX_PNG_CHUNKS} PNG chunks`);
    const body = bytes.subarray(pos + 8, pos + 8 + length);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== view.getUint32(pos + 8 + length)) {
      throw imageCorrupt(name, `the PNG ${type} chunk at byte ${pos} fails its CRC check`);
    }
    const at = `the PNG ${type} chunk at byte ${pos}`;
    pos += 12 + length;

    if (header === undefined) {
      if (type !== "IHDR") throw imageCorrupt(name, `its first PNG chunk is ${type}, not IHDR`);
      header = parseIhdr(body, name);
      continue;
    }
    if (idat.length > 0 && type !== "IDAT") idatEnded = true;
    switch (type) {
      case "IHDR":
        throw imageCorrupt(name, `${at} is a second header (IHDR)`);
      case "PLTE": {
        if (paletteEntries > 0 || idat.length > 0 || sawTrns) throw imageCorrupt(name, `${at} is out of place`);
        if (header.colourType === 0 || header.colourType === 4) throw imageCorrupt(name, `${at} is not allowed in a greyscale image`);
        if (length === 0 || length % 3 !== 0 || length / 3 > 2 ** header.bitDepth || length / 3 > 256) {
          throw imageCorrupt(name, `${at} has an invalid length`);
        }
        paletteEntries = length / 3;
        break;
      }
      case "tRNS": {
        if (sawTrns || idat.length > 0) throw imageCorrupt(name, `${at} is out of place`);
        const expected = header.colourType === 3 ? undefined : TRNS_LENGTH.get(header.colourType);
        const valid =
          header.colourType === 3 ? paletteEntries > 0 && length >= 1 && length <= paletteEntries : expected !== undefined && length === expected;
        if (!valid) throw imageCorrupt(name, `${at} does not fit the image's colour type`);
        sawTrns = true;
        break;
      }
      case "IDAT":
        if (idatEnded) throw imageCorrupt(name, `${at} is separated from the other image data chunks`);
        if (header.colourType === 3 && paletteEntries === 0) throw imageCorrupt(name, "its palette image has no palette (PLTE) before the image data");
        idat.push(body);
        break;
      case "IEND":
        if (length !== 0) throw imageCorrupt(name, `${at} is not empty`);
        if (idat.length === 0) throw imageCorrupt(name, "it has no image data (IDAT)");
        if (pos !== bytes.length) throw imageCorrupt(name, `${bytes.length - pos} bytes follow its PNG end chunk (IEND)`);
        return { ...header, chunks, idat };
      default:
        // Bit 5 of the first letter clear: a critical chunk we would have to understand (§5.4).
        if ((type.charCodeAt(0) & 0x20) === 0) {
          throw imageUnsupported(name, `uses a PNG feature this reader does not know (critical chunk ${type})`, "Re-save the image as a plain PNG or JPEG.");
        }
      // Ancillary chunks (text, colour space, timestamps) are checked above and otherwise ignored.
    }
  }
}

function parseIhdr(body: Uint8Array, name: string): Omit<PngStructure, "chunks" | "idat"> {
  if (body.length !== 13) throw imageCorrupt(name, "its PNG header (IHDR) has the wrong length");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [bitDepth, colourType, compression, filter, interlace] = [body[8], body[9], body[10], body[11], body[12]] as [number, number, number, number, number];
  if (width === 0 || height === 0) throw imageCorrupt(name, "its PNG header gives a zero width or height");
  if (width > MAX_CHUNK_LENGTH || height > MAX_CHUNK_LENGTH) throw imageCorrupt(name, "its PNG header gives a width or height above 2³¹ − 1");
  const colour = COLOUR_TYPES.get(colourType);
  if (colour === undefined || !colour.depths.includes(bitDepth)) {
    throw imageCorrupt(name, `its PNG header gives an invalid colour type ${colourType} with bit depth ${bitDepth}`);
  }
  if (compression !== 0 || filter !== 0 || interlace > 1) throw imageCorrupt(name, "its PNG header names an unknown compression, filter or interlace method");
  const rowBytes = Math.ceil((width * colour.channels * bitDepth) / 8);
  return { width, height, bitDepth, colourType, channels: colour.channels, interlaced: interlace === 1, inflatedBytes: (rowBytes + 1) * height };
}

/** The four ASCII letters of a chunk type, or undefined if any byte is not a letter (§5.3). */
function chunkType(bytes: Uint8Array, at: number): string | undefined {
  let type = "";
  for (let i = at; i < at + 4; i++) {
    const c = bytes[i] as number;
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return undefined;
    type += String.fromCharCode(c);
  }
  return type;
}
