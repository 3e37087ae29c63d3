/**
 * One image → one QR payload. The decoder is ZXing (WebAssembly) once prepareQrDecoder() has
 * loaded it, else the pure-JS jsqr path (decoders/jsqr.ts); `decoder` picks one explicitly.
 * The comparison behind the choice is docs/decisions.md #46.
 */
import { AirlockError } from "../errors.js";
import { currentQrDecoder } from "./decoders/load.js";
import type { QrDecoder, QrScanOptions } from "./decoders/types.js";
import type { QrPayload, RgbaImage } from "./types.js";

export { DEFAULT_SCAN_MAX_SIDE } from "./decoders/jsqr.js";
export type { QrDecoder, QrDecoderName, QrScanOptions } from "./decoders/types.js";

export interface QrPixelScanOptions extends QrScanOptions {
  /** Default: the prepared process-wide decoder (prepareQrDecoder), or jsqr before it is ready. */
  readonly decoder?: QrDecoder;
}

/**
 * Decodes the QR code in `image`: bytes for a byte-mode code, the text for an alphanumeric (or
 * numeric) code, undefined when no code is found or it fails its error correction.
 */
export function scanQrPixels(image: RgbaImage, options: QrPixelScanOptions = {}): QrPayload | undefined {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || data.length !== width * height * 4) {
    throw new AirlockError("IMAGE_BAD_PIXELS", `pixel buffer of ${data.length} bytes does not match ${width}×${height} RGBA`);
  }
  return (options.decoder ?? currentQrDecoder()).decode(image, options);
}
