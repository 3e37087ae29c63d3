/**
 * Resampling before decoding, both ways, always to gray written into RGBA (jsqr only looks at
 * luminance):
 * - integer-factor box downscaling: jsqr's time grows with the pixel count and a QR code rarely
 *   needs more than ~1000 px on the long side; averaging whole k×k blocks adds no fractional
 *   sampling of its own;
 * - 2× bilinear upscaling: jsqr misses many codes whose modules are only 2-4 px wide at a
 *   fractional size (as a camera sees them); at twice the size its finder-pattern ratios and
 *   sampling grid work again (measured on clean rotated codes: v25-M at 2.4-4 px per module
 *   went from 15 to 26 of 30).
 */
import type { RgbaImage } from "./types.js";

/** The smallest integer factor that brings the longer side to at most `maxSide`. */
export function downscaleFactor(width: number, height: number, maxSide: number): number {
  return Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
}

// Luma weights ×1024 (BT.709, as jsqr uses), so sums stay integers.
const R = 218;
const G = 732;
const B = 74;

export function boxDownscale(image: RgbaImage, factor: number): RgbaImage {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`downscale factor must be a positive integer, got ${factor}`);
  if (factor === 1) return image;
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  if (width === 0 || height === 0) return image;
  const src = image.data;
  const out = new Uint8ClampedArray(width * height * 4);
  const rowSums = new Uint32Array(width);
  const area = factor * factor * 1024;
  for (let y = 0; y < height; y++) {
    rowSums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      let i = (y * factor + dy) * image.width * 4;
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let dx = 0; dx < factor; dx++, i += 4) {
          sum += R * (src[i] as number) + G * (src[i + 1] as number) + B * (src[i + 2] as number);
        }
        rowSums[x] = (rowSums[x] as number) + sum;
      }
      // Skip the columns past width × factor that do not make a whole block.
    }
    for (let x = 0, o = y * width * 4; x < width; x++, o += 4) {
      const v = Math.round((rowSums[x] as number) / area);
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = 255;
    }
  }
  return { width, height, data: out };
}

/** Doubles both sides with bilinear interpolation (each output pixel centre is ¼ px from a source centre). */
export function upscale2x(image: RgbaImage): RgbaImage {
  const { width: w, height: h, data: src } = image;
  const luma = new Float32Array(w * h);
  for (let i = 0, p = 0; p < luma.length; i += 4, p++) {
    luma[p] = (R * (src[i] as number) + G * (src[i + 1] as number) + B * (src[i + 2] as number)) / 1024;
  }
  const width = 2 * w;
  const height = 2 * h;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    // Output row y samples source row (y + 0.5) / 2 - 0.5: between rows y0 and y0 + 1 at weight fy.
    const sy = (y + 0.5) / 2 - 0.5;
    const y0 = Math.max(0, Math.floor(sy));
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = Math.min(1, Math.max(0, sy - y0));
    for (let x = 0; x < width; x++) {
      const sx = (x + 0.5) / 2 - 0.5;
      const x0 = Math.max(0, Math.floor(sx));
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = Math.min(1, Math.max(0, sx - x0));
      const top = (luma[y0 * w + x0] as number) * (1 - fx) + (luma[y0 * w + x1] as number) * fx;
      const bottom = (luma[y1 * w + x0] as number) * (1 - fx) + (luma[y1 * w + x1] as number) * fx;
      const v = top * (1 - fy) + bottom * fy;
      const o = (y * width + x) * 4;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = 255;
    }
  }
  return { width, height, data: out };
}
