/**
 * A paper recovery card as one printable PNG page (A4 at 150 dpi, grayscale): the share as a QR
 * code (level Q, so a crease or a stain does not lose it), and in print the set, the check code,
 * how many shares restore, and what to do with it. It deliberately names neither the person nor
 * the team (docs/recovery.md, "What a card reveals"): whoever finds it learns that it is an
 * Airlock recovery share, k and n, the set id and the check code — and, from the QR code, the
 * team id (a hash), the set id and the share, which alone reveals nothing (Shamir).
 */
import { encodeGrayPng, encodeQrMatrix, qrCapacity } from "@airlock/shared";
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from "./font.js";

export const PAGE_WIDTH = 1240;
export const PAGE_HEIGHT = 1754;
const MARGIN = 80;
const LEVEL = "Q";

export interface CardInfo {
  /** 1-based among the paper cards of the set, and how many were printed. */
  readonly index: number;
  readonly printed: number;
  readonly threshold: number;
  readonly total: number;
  /** setLabel() and checkCode() of the share (codec.ts). */
  readonly set: string;
  readonly check: string;
}

class Page {
  readonly gray = new Uint8Array(PAGE_WIDTH * PAGE_HEIGHT).fill(255);

  box(x: number, y: number, w: number, h: number): void {
    for (let row = Math.max(0, y); row < Math.min(PAGE_HEIGHT, y + h); row++) this.gray.fill(0, row * PAGE_WIDTH + Math.max(0, x), row * PAGE_WIDTH + Math.min(PAGE_WIDTH, x + w));
  }

  /** One line of text, `scale` pixels per font pixel, glyphs one font pixel apart. */
  text(s: string, x: number, y: number, scale: number): void {
    let at = x;
    for (const ch of s) {
      const rows = glyph(ch);
      for (let r = 0; r < GLYPH_HEIGHT; r++) for (let c = 0; c < GLYPH_WIDTH; c++) if (rows[r]![c] === "#") this.box(at + c * scale, y + r * scale, scale, scale);
      at += (GLYPH_WIDTH + 1) * scale;
    }
  }
}

/** Greedy word wrap to `width` characters. */
function wrap(s: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of s.split(" ")) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line.length === 0 ? word : `${line} ${word}`;
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

/** The smallest QR version that holds `bytes` at level Q. */
function versionFor(bytes: number): number {
  for (let v = 1; v <= 40; v++) if (qrCapacity(v, LEVEL, "byte") >= bytes) return v;
  throw new RangeError(`${bytes} bytes do not fit one QR code`);
}

/** The card's printed paragraphs (the QR code, check code and set are drawn apart). */
export function cardText(info: CardInfo): string[] {
  return [
    `PAPER CARD ${info.index} OF ${info.printed}. ANY ${info.threshold} OF THE ${info.total} SHARES OF THIS SET RESTORE ITS OWNER'S IDENTITY; FEWER REVEAL NOTHING.`,
    "KEEP IT PRIVATE AND AWAY FROM THE LAPTOP IT PROTECTS. DO NOT PHOTOGRAPH IT EXCEPT TO RECOVER.",
    "IF THE LAPTOP IS LOST: ON A NEW ONE, START A RECOVERY (USER GUIDE: RECOVERY) AND ADD A SCAN OR PHOTO OF THIS CARD. THE NEW LAPTOP SHOWS THE CHECK CODE OF EACH SHARE IT READS: IT MUST MATCH THE ONE PRINTED HERE.",
  ];
}

/** The page for one paper share: `piece` is the encoded share (codec.ts encodePiece). */
export function renderCard(piece: Uint8Array, info: CardInfo): Uint8Array {
  const page = new Page();
  page.text("AIRLOCK RECOVERY SHARE", MARGIN, MARGIN, 6);
  const matrix = encodeQrMatrix(piece, { version: versionFor(piece.length), level: LEVEL });
  const quiet = 4;
  const scale = Math.floor(660 / (matrix.size + 2 * quiet));
  const side = (matrix.size + 2 * quiet) * scale;
  const left = Math.floor((PAGE_WIDTH - side) / 2);
  const top = MARGIN + 90;
  for (let r = 0; r < matrix.size; r++) for (let c = 0; c < matrix.size; c++) if (matrix.dark[r * matrix.size + c] !== 0) page.box(left + (c + quiet) * scale, top + (r + quiet) * scale, scale, scale);
  matrix.dark.fill(0);
  let y = top + side + 40;
  const line = (s: string, scale: number): void => {
    page.text(s, MARGIN, y, scale);
    y += (GLYPH_HEIGHT + 3) * scale;
  };
  line(`CHECK CODE ${info.check.toUpperCase()}`, 5);
  line(`SET ${info.set.toUpperCase()}`, 5);
  y += 16;
  const width = Math.floor((PAGE_WIDTH - 2 * MARGIN) / ((GLYPH_WIDTH + 1) * 4));
  for (const paragraph of cardText(info)) {
    for (const l of wrap(paragraph, width)) line(l, 4);
    y += 16;
  }
  try {
    return encodeGrayPng(PAGE_WIDTH, PAGE_HEIGHT, page.gray);
  } finally {
    page.gray.fill(0); // it shows the share's QR code
  }
}
