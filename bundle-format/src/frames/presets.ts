/**
 * Density presets: which QR version and error-correction level a transfer uses, and so how
 * many bytes each frame carries. Low is for poor laptop webcams and fits an 80-column
 * terminal; high is for good cameras at short range; dense (v30-M, 3.5 px per module at 504 px)
 * is what ZXing still reads through every camera-like degradation we measured (decisions.md #46). Capacities are ISO/IEC 18004 Table 7
 * (checked against the qrcode library in shared/src/qr). Spec: docs/qr-frames.md, "Presets".
 */
import { FRAME_HEADER_LENGTH } from "./header.js";

export type QrLevel = "L" | "M" | "Q" | "H";
export type FrameEncoding = "binary" | "base45";
export type DensityPreset = "low" | "normal" | "high" | "dense";

export interface QrSettings {
  readonly version: number;
  readonly level: QrLevel;
}

export const PRESETS: Readonly<Record<DensityPreset, QrSettings>> = {
  low: { version: 10, level: "M" },
  normal: { version: 15, level: "M" },
  high: { version: 25, level: "M" },
  dense: { version: 30, level: "M" },
};

/**
 * Byte-mode and alphanumeric-mode capacities (ISO/IEC 18004 Table 7) for the versions a transfer
 * uses: the presets', and the smaller ones a terminal player steps down to (5, 7, 20).
 */
const CAPACITY: Readonly<Record<number, Record<QrLevel, readonly [bytes: number, alphanumeric: number]>>> = {
  5: { L: [106, 154], M: [84, 122], Q: [60, 87], H: [44, 64] },
  7: { L: [154, 224], M: [122, 178], Q: [86, 125], H: [64, 93] },
  10: { L: [271, 395], M: [213, 311], Q: [151, 221], H: [119, 174] },
  15: { L: [520, 758], M: [412, 600], Q: [292, 426], H: [220, 321] },
  20: { L: [858, 1249], M: [666, 970], Q: [482, 702], H: [382, 557] },
  25: { L: [1273, 1853], M: [997, 1451], Q: [715, 1041], H: [535, 779] },
  30: { L: [1732, 2520], M: [1370, 1994], Q: [982, 1429], H: [742, 1080] },
};

export const SUPPORTED_VERSIONS: readonly number[] = Object.keys(CAPACITY).map(Number);

/** Characters one QR code of these settings holds in alphanumeric mode. */
export function alphanumericCapacity(settings: QrSettings): number {
  const row = CAPACITY[settings.version];
  if (row === undefined) throw new RangeError(`QR version ${settings.version} is not one of ${SUPPORTED_VERSIONS.join(", ")}`);
  return row[settings.level][1];
}

/** Frame bytes one QR code of these settings can carry in the given encoding. */
export function frameCapacity(settings: QrSettings, encoding: FrameEncoding): number {
  const row = CAPACITY[settings.version];
  if (row === undefined) throw new RangeError(`QR version ${settings.version} is not one of ${SUPPORTED_VERSIONS.join(", ")}`);
  const [bytes, chars] = row[settings.level];
  if (encoding === "binary") return bytes;
  // Base45: 3 characters per 2 bytes, 2 characters for a final odd byte.
  return Math.floor(chars / 3) * 2 + (chars % 3 === 2 ? 1 : 0);
}

/** Payload bytes per frame after the frame header: what sets the number of frames K. */
export function fragmentLengthFor(settings: QrSettings, encoding: FrameEncoding): number {
  return frameCapacity(settings, encoding) - FRAME_HEADER_LENGTH;
}
