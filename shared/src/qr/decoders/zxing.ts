/**
 * ZXing-C++ compiled to WebAssembly (zxing-wasm, MIT; its reader-only build). Measured fastest
 * and most robust of the three on our camera-like sets (docs/decisions.md #46): 5-20 ms per
 * 720p frame where jsqr takes 50-700 ms, and it reads 3.5 px modules through blur, perspective,
 * glare and low contrast.
 *
 * The package fetches its .wasm from a CDN by default. We never let it: the binary is read from
 * the installed package, its SHA-256 checked against the one the package was built with, and
 * handed to Emscripten as `wasmBinary` (with `locateFile` pointing at the same local file), so
 * loading makes no request of any kind. Decoding then calls the module's embind function
 * directly: synchronous, with the grey image written straight into the module's heap.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { ReaderOptions, ZXingReaderModule, ZXingReaderOptions } from "zxing-wasm/reader";
import { boxDownscale, downscaleFactor } from "../resample.js";
import type { QrPayload, RgbaImage } from "../types.js";
import { DEFAULT_SCAN_MAX_SIDE } from "./jsqr.js";
import { payloadFromBytes, writeLuma } from "./payload.js";
import type { QrDecoder, QrScanOptions } from "./types.js";

const require = createRequire(import.meta.url);

// The Emscripten part of the module's type comes from @types/emscripten, which we do not install.
type ReaderModule = ZXingReaderModule & { _malloc(size: number): number; _free(ptr: number): void; readonly HEAPU8: Uint8Array };

/** Where the installed package keeps its reader binary. */
export function zxingWasmPath(): string {
  return require.resolve("zxing-wasm/reader/zxing_reader.wasm");
}

export async function loadZxingDecoder(wasmPath = zxingWasmPath()): Promise<QrDecoder> {
  const zxing = await import("zxing-wasm/reader");
  const binary = await readFile(wasmPath);
  const digest = createHash("sha256").update(binary).digest("hex");
  if (digest !== zxing.ZXING_WASM_SHA256) {
    throw new Error(`${wasmPath} is not the zxing-wasm ${zxing.ZXING_WASM_VERSION} reader (SHA-256 ${digest.slice(0, 16)}…)`);
  }
  const wasmBinary = binary.buffer.slice(binary.byteOffset, binary.byteOffset + binary.byteLength);
  let module: ReaderModule;
  try {
    module = (await zxing.prepareZXingModule({
      overrides: { wasmBinary, locateFile: (file: string) => (file.endsWith(".wasm") ? wasmPath : file) },
      fireImmediately: true,
    })) as ReaderModule;
  } catch (e) {
    // The package caches the failed promise; forget it so a later attempt starts afresh.
    zxing.purgeZXingModule();
    throw e;
  }
  const options = (overrides: ReaderOptions): ZXingReaderOptions => {
    const o = { ...zxing.defaultReaderOptions, ...overrides };
    return {
      ...o,
      formats: zxing.encodeFormats(o.formats),
      binarizer: zxing.binarizers.indexOf(o.binarizer),
      eanAddOnSymbol: zxing.eanAddOnSymbols.indexOf(o.eanAddOnSymbol),
      textMode: zxing.textModes.indexOf(o.textMode),
      characterSet: zxing.characterSets.indexOf(o.characterSet),
    };
  };
  // The local-average binarizer first (it reads blur, glare and low contrast); then the global
  // histogram one, which reads a photographed screen's moiré where local averages follow the
  // fringes (measured: v30-M moiré 0 of 3 → 3 of 3). Each attempt is 5-20 ms on a 720p frame.
  // "Plain" text mode and the BINARY character set keep ZXing from converting the bytes.
  const common: ReaderOptions = { formats: ["QRCode"], tryHarder: true, tryRotate: false, maxNumberOfSymbols: 1, textMode: "Plain", characterSet: "BINARY" };
  const passes = (inverted: boolean): ZXingReaderOptions[] => [
    options({ ...common, tryInvert: inverted, binarizer: "LocalAverage" }),
    options({ ...common, tryInvert: inverted, binarizer: "GlobalHistogram" }),
  ];
  const withInverted = passes(true);
  const withoutInverted = passes(false);

  // The grey image is written into the module's heap once and read by every pass.
  const read = (image: RgbaImage, passes: readonly ZXingReaderOptions[]): QrPayload | undefined => {
    const size = image.width * image.height;
    const ptr = module._malloc(size);
    if (ptr === 0) throw new Error(`zxing-wasm could not allocate ${size} bytes`);
    try {
      writeLuma(image, module.HEAPU8.subarray(ptr, ptr + size));
      for (const opts of passes) {
        const found = firstValid(module.readBarcodesFromPixmap(ptr, image.width, image.height, opts));
        if (found !== undefined) return found;
      }
      return undefined;
    } finally {
      module._free(ptr);
    }
  };

  const decode = (image: RgbaImage, scan: QrScanOptions): QrPayload | undefined => {
    const passes = scan.inverted === false ? withoutInverted : withInverted;
    const factor = downscaleFactor(image.width, image.height, scan.maxSide ?? DEFAULT_SCAN_MAX_SIDE);
    return (factor > 1 ? read(boxDownscale(image, factor), passes) : undefined) ?? read(image, passes);
  };
  return { name: "zxing", decode };
}

type ReaderResults = ReturnType<ReaderModule["readBarcodesFromPixmap"]>;

function firstValid(results: ReaderResults): QrPayload | undefined {
  try {
    for (let i = 0; i < results.size(); i++) {
      const r = results.get(i);
      // `bytes` is a view into the module's memory: copied before the results are freed.
      if (r !== undefined && r.isValid) return payloadFromBytes(Uint8Array.from(r.bytes));
    }
    return undefined;
  } finally {
    results.delete();
  }
}
