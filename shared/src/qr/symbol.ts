/**
 * Payload → module matrix, through qrcode. Every renderer (PNG, SVG, terminal, HTML) draws this
 * matrix, so they all show the very same symbol, and the checks on version, level, charset and
 * capacity live in one place.
 */
import type QRCode from "qrcode";
import { AirlockError } from "../errors.js";
import { qrCapacity } from "./capacity.js";
import { assertSymbolOptions } from "./symbol-options.js";
import { qrcodeLib } from "./libs.js";
import { QR_ALPHANUMERIC_CHARSET, qrModeOf, type QrPayload, type QrSymbolOptions } from "./types.js";

/** A QR symbol as modules: `size` × `size`, `dark[row * size + col]` is 1 for a dark module. */
export interface QrMatrix {
  readonly size: number;
  readonly dark: Uint8Array;
  readonly version: number;
}

const ALPHANUMERIC = new Set(QR_ALPHANUMERIC_CHARSET);


/** Throws QR_NOT_ALPHANUMERIC naming the first character outside the 45-character charset. */
export function assertAlphanumeric(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (!ALPHANUMERIC.has(ch)) {
      throw new AirlockError(
        "QR_NOT_ALPHANUMERIC",
        `character ${JSON.stringify(ch)} at index ${i} is not in the QR alphanumeric charset`,
        { hint: `Alphanumeric mode allows only ${JSON.stringify(QR_ALPHANUMERIC_CHARSET)}; send bytes for anything else.` },
      );
    }
  }
}

/** Builds the module matrix for one payload at an explicit version and level. */
export function encodeQrMatrix(payload: QrPayload, options: QrSymbolOptions): QrMatrix {
  assertSymbolOptions(options);
  const mode = qrModeOf(payload);
  if (typeof payload === "string") assertAlphanumeric(payload);
  // Checked before calling qrcode: its own message ("choose a bigger version") is not ours, and
  // a length bound here keeps an absurd payload from being copied at all.
  const capacity = qrCapacity(options.version, options.level, mode);
  if (payload.length > capacity) {
    throw new AirlockError(
      "QR_TOO_DENSE",
      `a ${payload.length}-${mode === "byte" ? "byte" : "character"} payload does not fit a version ${options.version}-${options.level} QR code (${mode} mode holds at most ${capacity})`,
      { hint: "Use smaller frames, a higher QR version or a lower error-correction level (H → Q → M → L)." },
    );
  }
  const code = qrcodeLib().create([segmentOf(payload)], {
    version: options.version,
    errorCorrectionLevel: options.level,
  });
  const { size, data } = code.modules;
  // qrcode's BitMatrix keeps one byte per module (0 or 1); copy so callers own their matrix.
  return { size, dark: Uint8Array.from(data, (v) => (v === 0 ? 0 : 1)), version: code.version };
}

export function segmentOf(payload: QrPayload): QRCode.QRCodeSegment {
  return typeof payload === "string" ? { data: payload, mode: "alphanumeric" } : { data: payload, mode: "byte" };
}
