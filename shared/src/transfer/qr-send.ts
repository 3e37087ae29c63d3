/**
 * Sending a bundle as QR codes: the fountain frames of docs/qr-frames.md, one QR payload each
 * (bytes in byte mode, or base45 text in alphanumeric mode), rendered at the preset's fixed
 * version and level so every frame of an animation has the same size.
 */
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import {
  base45Encode,
  FountainEncoder,
  fragmentLengthFor,
  loopLength,
  PRESETS,
  type DensityPreset,
  type FrameEncoding,
  type QrSettings,
} from "@airlock/bundle-format";
import { renderQrHtml } from "../qr/render-html.js";
import { writeQrPngSequence } from "../qr/png-sequence.js";
import type { QrPayload } from "../qr/types.js";

export interface QrSendOptions {
  readonly preset?: DensityPreset;
  readonly encoding?: FrameEncoding;
  /** Fixed only by tests; random per transfer otherwise. */
  readonly transferId?: number;
}

export interface QrTransfer {
  readonly settings: QrSettings;
  readonly encoding: FrameEncoding;
  /** K: frames a receiver needs (a clean pass of the systematic frames). */
  readonly blocks: number;
  readonly transferId: number;
  /** Frame `index` as a QR payload; any index works (a live display shows 0, 1, 2, ... for ever). */
  payload(index: number): QrPayload;
  /** The finite loop for PNG sequences and the HTML page: K + ceil(K/2) + 3 frames. */
  loop(): QrPayload[];
}

export function qrTransfer(bundle: Uint8Array, options: QrSendOptions = {}): QrTransfer {
  const settings = PRESETS[options.preset ?? "normal"];
  const encoding = options.encoding ?? "binary";
  const encoder = new FountainEncoder(bundle, {
    fragmentLength: fragmentLengthFor(settings, encoding),
    ...(options.transferId === undefined ? {} : { transferId: options.transferId }),
  });
  const payload = (index: number): QrPayload => {
    const frame = encoder.frame(index);
    return encoding === "base45" ? base45Encode(frame) : frame;
  };
  return {
    settings,
    encoding,
    blocks: encoder.blocks,
    transferId: encoder.transferId,
    payload,
    loop: () => Array.from({ length: loopLength(encoder.blocks) }, (_, i) => payload(i)),
  };
}

export interface QrFolderOptions extends QrSendOptions {
  /** Pixels per QR module (integer; jsqr needs whole-pixel modules). Default 4. */
  readonly scale?: number;
  /** Also write index.html, the self-contained animation. Default true. */
  readonly html?: boolean;
  readonly fps?: number;
  /** Called after each frame file is written, with how many were written so far. */
  readonly onFrame?: (written: number) => void;
  /** Resume an interrupted folder of this same transfer (same bundle and transferId): frames before this index are kept. */
  readonly firstIndex?: number;
}

/** Frames per second of the animation page, and what a frame-count warning assumes. */
export const QR_DEFAULT_FPS = 8;

/** Writes the loop as frame-NNNNN.png files (and index.html) into `dir`. */
export async function writeBundleQrFolder(dir: string, bundle: Uint8Array, options: QrFolderOptions = {}): Promise<{ transfer: QrTransfer; files: string[] }> {
  const transfer = qrTransfer(bundle, options);
  const frames = transfer.loop();
  const symbol = { version: transfer.settings.version, level: transfer.settings.level };
  const first = options.firstIndex ?? 0;
  const files = await writeQrPngSequence(dir, frames.slice(first), {
    ...symbol,
    scale: options.scale ?? 4,
    ...(first > 0 ? { firstIndex: first } : {}),
    ...(options.onFrame === undefined ? {} : { onFrame: options.onFrame }),
  });
  if (options.html !== false) {
    const html = renderQrHtml(frames, { ...symbol, fps: options.fps ?? QR_DEFAULT_FPS, title: `Airlock transfer (${frames.length} frames)` });
    const page = join(dir, "index.html");
    await writeFile(page, html, { flag: "wx" });
    files.push(page);
  }
  return { transfer, files };
}
