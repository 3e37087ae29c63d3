/**
 * How many bytes (byte mode) or characters (alphanumeric mode) one QR symbol holds, found by
 * asking qrcode itself (binary search on the payload length) rather than by copying a table:
 * what matters is what the encoder we ship accepts. Results are cached; the test compares them
 * with the ISO/IEC 18004 table 7.
 */
import type QRCode from "qrcode";
import { AirlockError } from "../errors.js";
import { assertSymbolOptions } from "./symbol-options.js";
import { qrcodeLib } from "./libs.js";
import type { QrErrorCorrection, QrMode } from "./types.js";

const cache = new Map<string, number>();

// Upper bounds of the search: version 40-L holds 2953 bytes or 4296 alphanumeric characters.
const SEARCH_LIMIT: Record<QrMode, number> = { byte: 2953, alphanumeric: 4296 };

export function qrCapacity(version: number, level: QrErrorCorrection, mode: QrMode): number {
  assertSymbolOptions({ version, level });
  if (mode !== "byte" && mode !== "alphanumeric") {
    throw new AirlockError("QR_BAD_MODE", `QR mode must be byte or alphanumeric, got ${String(mode)}`);
  }
  const key = `${version}-${level}-${mode}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  // Invariant: length lo fits, length hi + 1 does not (0 always fits).
  let lo = 0;
  let hi = SEARCH_LIMIT[mode];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(version, level, mode, mid)) lo = mid;
    else hi = mid - 1;
  }
  cache.set(key, lo);
  return lo;
}

function fits(version: number, level: QrErrorCorrection, mode: QrMode, length: number): boolean {
  const segment: QRCode.QRCodeSegment =
    mode === "byte" ? { data: new Uint8Array(length), mode: "byte" } : { data: "A".repeat(length), mode: "alphanumeric" };
  try {
    // A fixed mask skips qrcode's evaluation of all 8 masks: capacity does not depend on it,
    // and this makes the search about 8 times faster.
    qrcodeLib().create([segment], { version, errorCorrectionLevel: level, maskPattern: 0 });
    return true;
  } catch {
    return false;
  }
}
