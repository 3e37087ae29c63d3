/**
 * Renders one payload as a standalone SVG: one rect for the light ground and one path of
 * horizontal runs for the dark modules (a few KB even at version 25), crisp at any zoom.
 */
import { AirlockError } from "../errors.js";
import { encodeQrMatrix } from "./symbol.js";
import type { QrPayload, QrSymbolOptions } from "./types.js";

export interface QrSvgOptions extends QrSymbolOptions {
  /** Quiet zone in modules (default 4). */
  readonly margin?: number;
  /** Pixels per module for the width/height attributes (default 4; the viewBox is in modules). */
  readonly scale?: number;
  readonly invert?: boolean;
}

export function renderQrSvg(payload: QrPayload, options: QrSvgOptions): string {
  const matrix = encodeQrMatrix(payload, options);
  const margin = boundedInt(options.margin ?? 4, 0, 16, "QR_BAD_MARGIN", "quiet zone (modules)");
  const scale = boundedInt(options.scale ?? 4, 1, 64, "QR_BAD_SCALE", "scale (pixels per module)");
  const side = matrix.size + 2 * margin;
  const [ground, ink] = options.invert === true ? ["#000", "#fff"] : ["#fff", "#000"];
  let d = "";
  for (let row = 0; row < matrix.size; row++) {
    let col = 0;
    while (col < matrix.size) {
      if (matrix.dark[row * matrix.size + col] === 0) {
        col++;
        continue;
      }
      const start = col;
      while (col < matrix.size && matrix.dark[row * matrix.size + col] === 1) col++;
      d += `M${start + margin} ${row + margin}h${col - start}v1h-${col - start}z`;
    }
  }
  const px = side * scale;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">` +
    `<rect width="${side}" height="${side}" fill="${ground}"/><path fill="${ink}" d="${d}"/></svg>\n`
  );
}

function boundedInt(value: number, min: number, max: number, code: string, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AirlockError(code, `QR ${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
