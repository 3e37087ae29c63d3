/**
 * The QR and image libraries, loaded on first use. Most commands of both CLIs never draw or read
 * a QR code or an image, and loading these four costs about 0.15 s of every start (measured:
 * 0.27 s for the four alone vs 0.12 s for bare node). All four are CommonJS, so a synchronous
 * require keeps every caller synchronous.
 */
import { createRequire } from "node:module";
import type jpegJs from "jpeg-js";
import type * as pngjs from "pngjs";
import type QRCodeLib from "qrcode";

const require = createRequire(import.meta.url);

export type JsQr = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options?: { inversionAttempts?: "dontInvert" | "onlyInvert" | "attemptBoth" | "invertFirst" },
) => { readonly binaryData: number[]; readonly data: string; readonly chunks: readonly { readonly type: string }[] } | null;

let jsqr: JsQr | undefined;
let qrcode: typeof QRCodeLib | undefined;
let png: typeof pngjs | undefined;
let jpeg: typeof jpegJs | undefined;

export function jsQrLib(): JsQr {
  if (jsqr === undefined) {
    // A CommonJS bundle whose typings declare an ES default export: either shape may come back.
    const m = require("jsqr") as JsQr | { default: JsQr };
    jsqr = typeof m === "function" ? m : m.default;
  }
  return jsqr;
}

export const qrcodeLib = (): typeof QRCodeLib => (qrcode ??= require("qrcode") as typeof QRCodeLib);
export const pngLib = (): typeof pngjs => (png ??= require("pngjs") as typeof pngjs);
export const jpegLib = (): typeof jpegJs => (jpeg ??= require("jpeg-js") as typeof jpegJs);
