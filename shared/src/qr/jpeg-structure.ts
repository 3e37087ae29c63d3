/**
 * A strict walk over every marker of a JPEG (ITU-T T.81 annex B), from SOI to EOI, before
 * jpeg-js sees the file. jpeg-js allocates its coefficient blocks for every frame header (SOF)
 * it meets, and spends a full pass over every block for each scan, so the walk accepts:
 * exactly one frame header of a kind jpeg-js decodes (baseline, extended or progressive
 * Huffman, 8-bit, grey or colour (1 or 3 components), sampling factors 1-4, no height deferred to a DNL)
 * before the first scan; scans that name the frame's components; a bounded number of
 * segments and scans; and the end-of-image marker. Whatever follows EOI is ignored, as
 * jpeg-js ignores it: phones append a second picture (MPF) or a motion-photo video there.
 */
import { imageCorrupt, imageUnsupported } from "./image-errors.js";

export interface JpegComponent {
  readonly id: number;
  /** Horizontal and vertical sampling factors, 1-4. */
  readonly h: number;
  readonly v: number;
}

export interface JpegStructure {
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly components: readonly JpegComponent[];
  readonly scans: number;
}

/**
 * libjpeg's progressive script is 10 scans for colour, 6 for grey; optimisers (jpegtran,
 * mozjpeg) stay within a few dozen. Each scan costs jpeg-js a pass over every block, so a file
 * of thousands of tiny scans is a CPU bomb (libjpeg-turbo caps scans for the same reason).
 */
export const MAX_JPEG_SCANS = 64;
/** Marker segments before EOI (tables, metadata, scans): a camera writes a few dozen. */
export const MAX_JPEG_SEGMENTS = 4096;

const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2]); // baseline, extended sequential, progressive (Huffman)
// Other frame types (T.81 table B.1): lossless, hierarchical, arithmetic-coded; jpeg-js decodes none.
const OTHER_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const UNSUPPORTED_HINT = "Save the picture again as an ordinary (baseline) JPEG or a PNG.";

/** Walks the file from SOI to EOI; throws IMAGE_CORRUPT or IMAGE_UNSUPPORTED. SOI is already checked. */
export function readJpegStructure(bytes: Uint8Array, name: string): JpegStructure {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let frame: Omit<JpegStructure, "scans"> | undefined;
  let scans = 0;
  let segments = 0;
  let pos = 2;
  for (;;) {
    if (pos >= bytes.length) throw imageCorrupt(name, "its JPEG data ends before the end-of-image marker (EOI)");
    if (bytes[pos] !== 0xff) throw imageCorrupt(name, `expected a JPEG marker at byte ${pos}`);
    while (bytes[pos + 1] === 0xff) pos++; // fill bytes before a marker (B.1.1.2)
    if (pos + 1 >= bytes.length) throw imageCorrupt(name, "its JPEG data ends before the end-of-image marker (EOI)");
    const marker = bytes[pos + 1] as number;
    const at = `the JPEG marker 0x${marker.toString(16).toUpperCase()} at byte ${pos}`;
    if (marker === 0xd9) {
      if (frame === undefined || scans === 0) throw imageCorrupt(name, "it ends before any image data");
      return { ...frame, scans };
    }
    // Markers without a length may only appear inside scan data (RSTn) or not at all (SOI, TEM, 0x00).
    if (marker === 0xd8 || marker === 0x01 || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) {
      throw imageCorrupt(name, `${at} is out of place`);
    }
    if (pos + 4 > bytes.length) throw imageCorrupt(name, `${at} is truncated`);
    const length = view.getUint16(pos + 2);
    if (length < 2 || pos + 2 + length > bytes.length) throw imageCorrupt(name, `${at} runs past the end of the file`);
    if (++segments > MAX_JPEG_SEGMENTS) throw imageCorrupt(name, `it has more than ${MAX_JPEG_SEGMENTS} JPEG segments`);
    const body = bytes.subarray(pos + 4, pos + 2 + length);
    pos += 2 + length;

    if (SUPPORTED_SOF.has(marker)) {
      if (frame !== undefined) throw imageCorrupt(name, `${at} is a second frame header (SOF)`);
      if (scans > 0) throw imageCorrupt(name, `${at}: the frame header comes after image data`);
      frame = parseFrameHeader(body, marker === 0xc2, name, at);
    } else if (OTHER_SOF.has(marker) || marker === 0xcc || marker === 0xde || marker === 0xdf) {
      throw imageUnsupported(name, "is a lossless, hierarchical or arithmetic-coded JPEG, which this reader does not decode", UNSUPPORTED_HINT);
    } else if (marker === 0xdc) {
      throw imageUnsupported(name, "defers its height to a DNL marker, which this reader does not decode", UNSUPPORTED_HINT);
    } else if (marker === 0xda) {
      if (frame === undefined) throw imageCorrupt(name, `${at}: image data comes before the frame header (SOF)`);
      if (++scans > MAX_JPEG_SCANS) {
        throw imageUnsupported(name, `has more than ${MAX_JPEG_SCANS} JPEG scans`, UNSUPPORTED_HINT);
      }
      checkScanHeader(body, frame, name, at);
      pos = endOfEntropyData(bytes, pos, name);
    } else if (!(marker === 0xc4 || marker === 0xdb || marker === 0xdd || marker === 0xfe || (marker >= 0xe0 && marker <= 0xef))) {
      // Anything but tables (DHT, DQT, DRI), comments and APPn is reserved or an extension.
      throw imageCorrupt(name, `${at} is not a JPEG marker this reader knows`);
    }
  }
}

function parseFrameHeader(body: Uint8Array, progressive: boolean, name: string, at: string): Omit<JpegStructure, "scans"> {
  const count = body[5] ?? 0;
  if (body.length < 6 || body.length !== 6 + 3 * count) throw imageCorrupt(name, `${at}: the frame header (SOF) has the wrong length`);
  if (body[0] !== 8) throw imageUnsupported(name, `is a ${String(body[0])}-bit JPEG, which this reader does not decode`, UNSUPPORTED_HINT);
  const height = ((body[1] as number) << 8) | (body[2] as number);
  const width = ((body[3] as number) << 8) | (body[4] as number);
  if (height === 0) throw imageUnsupported(name, "defers its height to a DNL marker, which this reader does not decode", UNSUPPORTED_HINT);
  if (width === 0) throw imageCorrupt(name, "its JPEG frame header gives a zero width");
  if (count !== 1 && count !== 3) {
    throw imageUnsupported(name, `is a JPEG with ${count} colour components (only grey and colour are read)`, UNSUPPORTED_HINT);
  }
  const components: JpegComponent[] = [];
  for (let i = 0; i < count; i++) {
    const id = body[6 + 3 * i] as number;
    const sampling = body[7 + 3 * i] as number;
    const h = sampling >> 4;
    const v = sampling & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw imageCorrupt(name, `${at}: a component has sampling factors outside 1-4`);
    if ((body[8 + 3 * i] as number) > 3) throw imageCorrupt(name, `${at}: a component names a quantisation table above 3`);
    if (components.some((c) => c.id === id)) throw imageCorrupt(name, `${at}: two components share the id ${id}`);
    components.push({ id, h, v });
  }
  return { width, height, progressive, components };
}

function checkScanHeader(body: Uint8Array, frame: Omit<JpegStructure, "scans">, name: string, at: string): void {
  const count = body[0] ?? 0;
  if (count < 1 || count > 4 || body.length !== 4 + 2 * count) throw imageCorrupt(name, `${at}: the scan header (SOS) is malformed`);
  for (let i = 0; i < count; i++) {
    const id = body[1 + 2 * i] as number;
    if (!frame.components.some((c) => c.id === id)) throw imageCorrupt(name, `${at}: the scan names a component the frame does not have`);
  }
}

/**
 * The position of the marker that ends a scan's entropy-coded data: the first 0xFF followed by
 * neither a stuffed zero nor a restart marker (B.1.1.5).
 */
function endOfEntropyData(bytes: Uint8Array, from: number, name: string): number {
  let pos = bytes.indexOf(0xff, from);
  while (pos !== -1 && pos + 1 < bytes.length) {
    const next = bytes[pos + 1] as number;
    if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7)) return pos;
    pos = bytes.indexOf(0xff, pos + 2);
  }
  throw imageCorrupt(name, "its JPEG image data ends before the end-of-image marker (EOI)");
}
