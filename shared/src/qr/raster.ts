/**
 * Module matrix → pixels. Every module becomes an integer `scale` × `scale` square, never a
 * fractional one: jsqr (and many phone scanners) misread codes whose module edges fall between
 * pixels. The quiet zone (light margin) defaults to the 4 modules the standard asks for.
 */
import { AirlockError } from "../errors.js";
import type { QrMatrix } from "./symbol.js";

export interface QrRasterOptions {
  /** Pixels per module, an integer from 1 to 64. */
  readonly scale: number;
  /** Quiet zone in modules (default 4, the standard's minimum; 0-16). */
  readonly margin?: number;
  /** Light modules on dark ground ("dark mode"); scanners here try both polarities. */
  readonly invert?: boolean;
}

/** Largest raster we draw: v40 (177 modules) + 2×16 margin at scale 64 is ~179 MP, far too big. */
export const MAX_RASTER_PIXELS = 40_000_000;

/** One byte per pixel (0 dark, 255 light), `width` = `height` = (size + 2 margin) × scale. */
export interface GrayRaster {
  readonly width: number;
  readonly height: number;
  readonly gray: Uint8Array;
}

export function rasterizeQr(matrix: QrMatrix, options: QrRasterOptions): GrayRaster {
  const { scale } = options;
  const margin = options.margin ?? 4;
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) {
    throw new AirlockError("QR_BAD_SCALE", `QR scale must be an integer number of pixels per module (1-64), got ${String(scale)}`, {
      hint: "Fractional module sizes make codes unreadable; pick an integer scale such as 4 or 6.",
    });
  }
  if (!Number.isInteger(margin) || margin < 0 || margin > 16) {
    throw new AirlockError("QR_BAD_MARGIN", `QR quiet zone must be an integer from 0 to 16 modules, got ${String(margin)}`, {
      hint: "Keep the standard 4-module quiet zone unless space is very tight.",
    });
  }
  const side = (matrix.size + 2 * margin) * scale;
  if (side * side > MAX_RASTER_PIXELS) {
    throw new AirlockError("IMAGE_TOO_LARGE", `a ${side}×${side} QR image is larger than ${MAX_RASTER_PIXELS} pixels`, {
      hint: "Use a smaller scale.",
    });
  }
  const light = options.invert === true ? 0 : 255;
  const dark = 255 - light;
  const gray = new Uint8Array(side * side).fill(light);
  for (let row = 0; row < matrix.size; row++) {
    const y0 = (row + margin) * scale;
    for (let col = 0; col < matrix.size; col++) {
      if (matrix.dark[row * matrix.size + col] === 0) continue;
      const x0 = (col + margin) * scale;
      for (let dy = 0; dy < scale; dy++) gray.fill(dark, (y0 + dy) * side + x0, (y0 + dy) * side + x0 + scale);
    }
  }
  return { width: side, height: side, gray };
}

/** Expands a gray raster to RGBA (opaque), the layout jsqr and the degradation helpers use. */
export function grayToRgba(width: number, height: number, gray: Uint8Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, o = 0; i < gray.length; i++, o += 4) {
    const v = gray[i] as number;
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
    out[o + 3] = 255;
  }
  return out;
}
