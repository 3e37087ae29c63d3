/**
 * Renders one payload as text with Unicode half blocks: each character cell holds two module
 * rows (upper half ▀, lower half ▄, both █, neither space), so the code is square on screen and
 * a version 10 code with a 2-module quiet zone is 61 columns wide, fitting an 80-column terminal.
 */
import { AirlockError } from "../errors.js";
import { encodeQrMatrix } from "./symbol.js";
import type { QrPayload, QrSymbolOptions } from "./types.js";

export interface QrTerminalOptions extends QrSymbolOptions {
  /** Quiet zone in modules (default 2: a terminal's own background adds the rest). */
  readonly margin?: number;
  /**
   * Which modules the glyphs draw. "light" (default) suits the usual light-on-dark terminal:
   * glyphs are light, the dark background shows the dark modules. "dark" for dark-on-light.
   */
  readonly ink?: "light" | "dark";
}

const GLYPH = [" ", "▄", "▀", "█"] as const; // index = (upper ? 2 : 0) + (lower ? 1 : 0)

/** Columns a terminal needs for a given version and quiet zone. */
export function qrTerminalColumns(version: number, margin = 2): number {
  return 17 + 4 * version + 2 * margin;
}

export function renderQrTerminal(payload: QrPayload, options: QrTerminalOptions): string {
  const matrix = encodeQrMatrix(payload, options);
  const margin = options.margin ?? 2;
  if (!Number.isInteger(margin) || margin < 0 || margin > 16) {
    throw new AirlockError("QR_BAD_MARGIN", `QR quiet zone must be an integer from 0 to 16 modules, got ${String(margin)}`);
  }
  const inkIsLight = (options.ink ?? "light") === "light";
  const side = matrix.size + 2 * margin;
  // Ink at (row, col) of the symbol including its quiet zone; rows past the end are background.
  const ink = (row: number, col: number): boolean => {
    if (row >= side) return false;
    const r = row - margin;
    const c = col - margin;
    const dark = r >= 0 && c >= 0 && r < matrix.size && c < matrix.size && matrix.dark[r * matrix.size + c] === 1;
    return dark !== inkIsLight;
  };
  const lines: string[] = [];
  for (let row = 0; row < side; row += 2) {
    let line = "";
    for (let col = 0; col < side; col++) line += GLYPH[(ink(row, col) ? 2 : 0) + (ink(row + 1, col) ? 1 : 0)];
    lines.push(line);
  }
  return `${lines.join("\n")}\n`;
}
