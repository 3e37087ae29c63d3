import type { RgbaImage } from "../src/qr/types.js";

/** The lines of a captured screen that are all half blocks (the code): status, prompts and blank lines dropped. */
export function codeLines(screen: string): string[] {
  return screen.split("\n").filter((l) => /^[▀▄█ ]+$/.test(l));
}

/** Turns half-block text back into pixels (ink = light), scale px per module. */
export function terminalToImage(text: string, scale: number): RgbaImage {
  const lines = text.replace(/\n$/, "").split("\n");
  const width = Math.max(...lines.map((l) => [...l].length)) * scale;
  const height = lines.length * 2 * scale;
  const data = new Uint8ClampedArray(width * height * 4);
  lines.forEach((line, row) => {
    [...line].forEach((ch, col) => {
      const upper = ch === "▀" || ch === "█";
      const lower = ch === "▄" || ch === "█";
      for (let half = 0; half < 2; half++) {
        const v = (half === 0 ? upper : lower) ? 255 : 0;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const o = (((row * 2 + half) * scale + dy) * width + col * scale + dx) * 4;
            data.set([v, v, v, 255], o);
          }
        }
      }
    });
  });
  return { width, height, data };
}
