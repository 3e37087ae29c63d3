/** Checks a symbol's version and level at the API edge, with hints a person can act on. */
import { AirlockError } from "../errors.js";
import { QR_LEVELS, type QrSymbolOptions } from "./types.js";

export function assertSymbolOptions(options: QrSymbolOptions): void {
  const { version, level } = options;
  if (!Number.isInteger(version) || version < 1 || version > 40) {
    throw new AirlockError("QR_BAD_VERSION", `QR version must be an integer from 1 to 40, got ${String(version)}`, {
      hint: "Pick a preset (low = 10, normal = 15, high = 25) or a version between 1 and 40.",
    });
  }
  if (!QR_LEVELS.includes(level)) {
    throw new AirlockError("QR_BAD_LEVEL", `QR error-correction level must be L, M, Q or H, got ${String(level)}`, {
      hint: "Use M unless the camera struggles; L packs more data, Q and H survive more damage.",
    });
  }
}
