/**
 * zbar compiled to WebAssembly (@undecaf/zbar-wasm, LGPL-2.1+; loaded from the installed
 * package, never fetched). Measured for the comparison (docs/decisions.md #46) and selectable with
 * AIRLOCK_QR_DECODER=zbar; not the default: ~10× slower than ZXing on 720p frames and it misses
 * codes seen at an angle and mild moiré.
 *
 * The package's scan functions are async only because they await the module; once it is loaded
 * we call its C entry points directly, synchronously. The scanner is created with
 * ZBAR_CFG_BINARY set (the package's default scanner does the same), so QR data comes back as
 * the symbol's bytes, not text zbar guessed an encoding for.
 */
import type { ZBarSymbol } from "@undecaf/zbar-wasm";
import type { QrPayload, RgbaImage } from "../types.js";
import { payloadFromBytes, writeLuma } from "./payload.js";
import type { QrDecoder, QrScanOptions } from "./types.js";

// zbar's fourcc for 8-bit grey ("Y800"), as the package passes it.
const Y800 = 0x30303859;
const ZBAR_NONE = 0;
const ZBAR_QRCODE = 64;
const ZBAR_CFG_BINARY = 4;
const ZBAR_CFG_TEST_INVERTED = 129;

export async function loadZbarDecoder(): Promise<QrDecoder> {
  const zbar = await import("@undecaf/zbar-wasm");
  const inst = await zbar.getInstance();
  const scanner = (inverted: boolean): number => {
    const ptr = inst._ImageScanner_create();
    inst._ImageScanner_set_config(ptr, ZBAR_NONE, ZBAR_CFG_BINARY, 1);
    if (inverted) inst._ImageScanner_set_config(ptr, ZBAR_NONE, ZBAR_CFG_TEST_INVERTED, 1);
    return ptr;
  };
  const scanners = { inverted: scanner(true), plain: scanner(false) };

  const decode = (image: RgbaImage, options: QrScanOptions): QrPayload | undefined => {
    const size = image.width * image.height;
    const data = inst._malloc(size);
    if (data === 0) throw new Error(`zbar-wasm could not allocate ${size} bytes`);
    writeLuma(image, inst.HEAPU8.subarray(data, data + size));
    // The image owns `data` from here: destroying it frees both.
    const img = inst._Image_create(image.width, image.height, Y800, data, size, 0);
    try {
      const found = inst._ImageScanner_scan(options.inverted === false ? scanners.plain : scanners.inverted, img);
      if (found <= 0) return undefined;
      const symbols: ZBarSymbol[] = zbar.ZBarSymbol.createSymbolsFromPtr(inst._Image_get_symbols(img), inst.HEAPU8.buffer as ArrayBuffer);
      const qr = symbols.find((s) => s.type === ZBAR_QRCODE);
      return qr === undefined ? undefined : payloadFromBytes(new Uint8Array(qr.data.buffer, qr.data.byteOffset, qr.data.length).slice());
    } finally {
      inst._Image_destory(img);
    }
  };
  return { name: "zbar", decode };
}
