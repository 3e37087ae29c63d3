/**
 * From the bytes a WebAssembly decoder returns to our payload type. ZXing-C++ and zbar return
 * the symbol's data bytes unchanged (zxing's `bytes`; zbar with ZBAR_CFG_BINARY set), but
 * neither tells which QR mode each segment used. So: text when every byte is one of the 45
 * characters of the alphanumeric set (what our base45 compatibility mode sends), bytes otherwise.
 * An Airlock binary frame starts with 0xA1 and is always bytes. The one difference from jsqr,
 * which reads the modes: a byte-mode code holding only alphanumeric-set characters (say
 * "HELLO 42") comes back as text.
 */
import { QR_ALPHANUMERIC_CHARSET, type QrPayload, type RgbaImage } from "../types.js";

const ALPHANUMERIC = new Uint8Array(256);
for (const c of QR_ALPHANUMERIC_CHARSET) ALPHANUMERIC[c.charCodeAt(0)] = 1;

export function payloadFromBytes(bytes: Uint8Array): QrPayload {
  if (bytes.length === 0) return new Uint8Array(0);
  for (const b of bytes) if (ALPHANUMERIC[b] === 0) return Uint8Array.from(bytes);
  return String.fromCharCode(...bytes);
}

/** Luma of `image` written at `out` (BT.601 weights ×1024, as ZXing-C++ converts RGBA itself). */
export function writeLuma(image: RgbaImage, out: Uint8Array): void {
  const d = image.data;
  const n = image.width * image.height;
  for (let p = 0, i = 0; p < n; p++, i += 4) {
    out[p] = (306 * (d[i] as number) + 601 * (d[i + 1] as number) + 117 * (d[i + 2] as number) + 512) >> 10;
  }
}
