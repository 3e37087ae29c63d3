/** Renders one payload as a PNG (8-bit grayscale, integer module size, standard quiet zone). */
import type { PNG } from "pngjs";
import { pngLib } from "./libs.js";
import { grayToRgba, rasterizeQr, type QrRasterOptions } from "./raster.js";
import { encodeQrMatrix } from "./symbol.js";
import type { QrPayload, QrSymbolOptions, RgbaImage } from "./types.js";

export interface QrImageOptions extends QrSymbolOptions, QrRasterOptions {}

export function renderQrPng(payload: QrPayload, options: QrImageOptions): Uint8Array {
  const raster = rasterizeQr(encodeQrMatrix(payload, options), options);
  return encodeGrayPng(raster.width, raster.height, raster.gray);
}

/** An 8-bit grayscale image (one byte per pixel, rows top to bottom) as a PNG file. */
export function encodeGrayPng(width: number, height: number, gray: Uint8Array): Uint8Array {
  // Gray in, gray out: pngjs takes its fast path and the file is a quarter of an RGBA one.
  const png = pngLib().PNG.sync.write({ width, height, data: Buffer.from(gray.buffer, gray.byteOffset, gray.length) } as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

/** The same symbol as RGBA pixels, without a PNG round trip (tests, benchmarks, previews). */
export function renderQrRgba(payload: QrPayload, options: QrImageOptions): RgbaImage {
  const raster = rasterizeQr(encodeQrMatrix(payload, options), options);
  return { width: raster.width, height: raster.height, data: grayToRgba(raster.width, raster.height, raster.gray) };
}
