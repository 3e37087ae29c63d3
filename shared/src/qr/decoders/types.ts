/**
 * What every QR decoder behind scanQrPixels offers: one synchronous call from pixels to a
 * payload, once its module is loaded. Loading (a WebAssembly compile) is the only asynchronous
 * step, done once per process by prepareQrDecoder (load.ts); decoding stays synchronous so a
 * receiver loop times and orders its work exactly as before.
 */
import type { QrPayload, RgbaImage } from "../types.js";

export type QrDecoderName = "zxing" | "zbar" | "jsqr";

export const QR_DECODER_NAMES: readonly QrDecoderName[] = ["zxing", "zbar", "jsqr"];

export interface QrScanOptions {
  /** Downscale so the longer side is at most this many pixels before the first attempt (default 1280). */
  readonly maxSide?: number;
  /** Also look for light-on-dark codes (default true; false makes frames without a code cheaper). */
  readonly inverted?: boolean;
  /**
   * jsqr only: retry at 2× when nothing was found (default true). Costs about 4× a plain attempt
   * on frames without a code, so a live camera loop turns it off. Only done when the image's
   * longer side is at most `maxSide`. ZXing reads modules down to ~2.5 px without it.
   */
  readonly upscale?: boolean;
  /**
   * jsqr only: last, try jsqr's own binarizer, which also finds codes whose modules differ by
   * fewer than 64 grey levels (a dim or washed-out screen). Default false: on a noisy frame
   * without a readable code it costs 1-2 s per 720p frame. ZXing reads such codes by default.
   */
  readonly lowContrast?: boolean;
}

export interface QrDecoder {
  readonly name: QrDecoderName;
  /**
   * Bytes for a byte-mode code, exactly as in the symbol; the text for an alphanumeric (or
   * numeric) code; undefined when no code is found or it fails its error correction.
   */
  decode(image: RgbaImage, options: QrScanOptions): QrPayload | undefined;
}
