/**
 * What decoding an image will allocate at its peak, from its checked header alone, so an image
 * that would cost too much is refused before a byte is inflated. The formulas follow what the
 * pinned decoders do (pngjs 7.0.0 and jpeg-js 0.4.4: re-check after upgrading them), and the
 * per-object constants were measured (peak RSS of one decode, node 20):
 * - pngjs keeps one Buffer per row while unfiltering: a 1×2 000 000 grey PNG peaked at +496 MB,
 *   about 250 bytes per row, where its pixels alone are 10 MB;
 * - jpeg-js keeps one Int32Array(64) per 8×8 block: a 2000×2000 4:4:4 JPEG (187 500 blocks)
 *   peaked at +155 MB, about 560 bytes per block with everything else counted.
 * The estimates are rounded up, never down.
 */
import type { JpegStructure } from "./jpeg-structure.js";
import type { PngStructure } from "./png-structure.js";

const PNG_ROW_COST = 320;
const PNG_CHUNK_COST = 512;
const JPEG_BLOCK_COST = 640;
const JPEG_LINE_COST = 256;

/**
 * Non-interlaced PNG through pngjs's sync reader: the file and two copies of the IDATs, the
 * inflated data four times over (our bounded check's output awaiting collection, pngjs's
 * inflate, its unfiltered rows and their concatenation), the RGBA bitmap (16-bit samples:
 * a Uint16Array, then rescaled into a second, 8-bit one), and the per-row and per-chunk objects.
 */
export function pngDecodeBytes(png: PngStructure, fileBytes: number): number {
  const pixels = png.width * png.height;
  const bitmap = png.bitDepth === 16 ? pixels * 8 + pixels * 4 : pixels * 4;
  return 3 * fileBytes + 4 * png.inflatedBytes + bitmap + png.height * PNG_ROW_COST + png.chunks * PNG_CHUNK_COST;
}

/**
 * jpeg-js: its copy of the file; per component, the coefficient blocks of whole MCUs and the
 * 8-bit lines they are transformed into; then the interleaved samples and the RGBA output.
 */
export function jpegDecodeBytes(jpeg: JpegStructure, fileBytes: number): number {
  const maxH = Math.max(...jpeg.components.map((c) => c.h));
  const maxV = Math.max(...jpeg.components.map((c) => c.v));
  const mcusPerLine = Math.ceil(jpeg.width / 8 / maxH);
  const mcusPerColumn = Math.ceil(jpeg.height / 8 / maxV);
  let total = 2 * fileBytes;
  for (const c of jpeg.components) {
    const blocks = mcusPerLine * c.h * mcusPerColumn * c.v;
    const lineBytes = Math.ceil((Math.ceil(jpeg.width / 8) * c.h) / maxH) * 8;
    const lines = Math.ceil((Math.ceil(jpeg.height / 8) * c.v) / maxV) * 8;
    total += blocks * JPEG_BLOCK_COST + lines * (lineBytes + JPEG_LINE_COST);
  }
  const pixels = jpeg.width * jpeg.height;
  return total + pixels * jpeg.components.length + pixels * 4;
}
