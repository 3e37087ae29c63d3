/**
 * Shared vocabulary of the QR layer. A payload is what one QR code carries: raw bytes (QR byte
 * mode, the normal case) or an ASCII string in the QR alphanumeric charset (a compatibility mode
 * for scanners that mangle binary data). The type of the payload picks the QR mode.
 */

/** One QR code's content: bytes → byte mode, string → alphanumeric mode. */
export type QrPayload = Uint8Array | string;

export type QrErrorCorrection = "L" | "M" | "Q" | "H";

export type QrMode = "byte" | "alphanumeric";

/** Symbol geometry: explicit, never guessed from the payload, so every frame has the same size. */
export interface QrSymbolOptions {
  /** QR version 1-40 (version v is 17 + 4v modules wide). */
  readonly version: number;
  readonly level: QrErrorCorrection;
}

/** RGBA pixels, 4 bytes per pixel, row-major, no padding (what jsqr, pngjs and jpeg-js use). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

export const QR_LEVELS: readonly QrErrorCorrection[] = ["L", "M", "Q", "H"];

/** The 45 characters of QR alphanumeric mode (ISO/IEC 18004 table 5). */
export const QR_ALPHANUMERIC_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

export function qrModeOf(payload: QrPayload): QrMode {
  return typeof payload === "string" ? "alphanumeric" : "byte";
}
