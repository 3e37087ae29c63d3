/**
 * The pure-JS decoder: jsqr behind our noise-tolerant binarizer. It is what runs where the
 * WebAssembly decoders cannot load (or AIRLOCK_QR_DECODER=jsqr asks for it), and it needs
 * nothing but JavaScript. Attempts, cheapest first, stopping at the first hit:
 * 1. large frames box-downscaled so the longer side is at most `maxSide` (jsqr's time grows
 *    with the pixel count);
 * 2. the image at full size (only if step 1 downscaled);
 * 3. unless `upscale` is false, the image at twice its size: jsqr misses many codes with small
 *    fractional modules (2-4 px, what a camera gives) and finds most of them at 2×.
 * 4. only with `lowContrast`, jsqr's own binarizer on the image as given.
 * Attempts 1-3 first binarize with our binarizer (binarize.ts): on camera frames jsqr's own
 * binarizer turns sensor noise into speckle, fails and takes 1-2 s per 720p frame.
 * Inverted ("dark mode") codes are found because jsqr is asked to try both polarities.
 */
import { binarizeForScan } from "../binarize.js";
import { jsQrLib, type JsQr } from "../libs.js";
import { boxDownscale, downscaleFactor, upscale2x } from "../resample.js";
import type { QrPayload, RgbaImage } from "../types.js";
import type { QrDecoder, QrScanOptions } from "./types.js";

export const DEFAULT_SCAN_MAX_SIDE = 1280;

export const jsqrDecoder: QrDecoder = { name: "jsqr", decode: decodeWithJsqr };

function decodeWithJsqr(image: RgbaImage, options: QrScanOptions): QrPayload | undefined {
  const { width, height, data } = image;
  const maxSide = options.maxSide ?? DEFAULT_SCAN_MAX_SIDE;
  const inversionAttempts = options.inverted === false ? "dontInvert" : "attemptBoth";
  const jsQR = jsQrLib();
  const attempt = (img: RgbaImage): QrPayload | undefined => {
    const bw = binarizeForScan(img);
    const found = jsQR(bw.data, bw.width, bw.height, { inversionAttempts });
    return found === null ? undefined : payloadOf(found);
  };
  const factor = downscaleFactor(width, height, maxSide);
  if (factor > 1) {
    const found = attempt(boxDownscale(image, factor));
    if (found !== undefined) return found;
  }
  const found = attempt(image);
  if (found !== undefined) return found;
  if (options.upscale !== false && factor === 1) {
    const big = attempt(upscale2x(image));
    if (big !== undefined) return big;
  }
  if (options.lowContrast === true) {
    const raw = jsQR(data, width, height, { inversionAttempts });
    if (raw !== null) return payloadOf(raw);
  }
  return undefined;
}

function payloadOf(code: NonNullable<ReturnType<JsQr>>): QrPayload {
  // Text only when every segment is alphanumeric or numeric (what our compatibility mode sends);
  // anything with a byte segment is binary, returned exactly as the bytes in the symbol.
  const textual = code.chunks.length > 0 && code.chunks.every((c) => c.type === "alphanumeric" || c.type === "numeric");
  return textual ? code.data : Uint8Array.from(code.binaryData);
}
