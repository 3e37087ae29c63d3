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
import { renderQrHtml, type QrHtmlDensity } from "../qr/render-html.js";
import { writeQrPngSequence } from "../qr/png-sequence.js";
import type { QrPayload } from "../qr/types.js";
import { PRESET_ORDER } from "./qr-rate.js";

export interface QrSendOptions {
  readonly preset?: DensityPreset;
  /** A QR version (of bundle-format's SUPPORTED_VERSIONS) and level instead of a preset: the terminal player's steps, terminal-fit.ts. */
  readonly settings?: QrSettings;
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
  /** The same bundle as a new transfer at other settings (a player changing density). */
  reencode(settings: QrSettings): QrTransfer;
}

export function qrTransfer(bundle: Uint8Array, options: QrSendOptions = {}): QrTransfer {
  const settings = options.settings ?? PRESETS[options.preset ?? "normal"];
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
    reencode: (other) => qrTransfer(bundle, { settings: other, encoding }),
  };
}

export interface QrFolderOptions extends QrSendOptions {
  /** Pixels per QR module (integer; jsqr needs whole-pixel modules). Default 4. */
  readonly scale?: number;
  /** Also write index.html, the self-contained animation. Default true. */
  readonly html?: boolean;
  readonly fps?: number;
  /**
   * Other presets index.html can switch to while playing ([ and ]), each its own transfer of
   * the same bundle. Default: the presets one step sparser and one step denser, while they add
   * at most HTML_DENSITY_FRAME_BUDGET frames (each frame costs a PNG render, 20-100 ms): small
   * bundles get them, a large one plays at its own preset only.
   */
  readonly htmlDensities?: readonly DensityPreset[];
  /** Called after each frame file is written, with how many were written so far. */
  readonly onFrame?: (written: number) => void;
  /** Resume an interrupted folder of this same transfer (same bundle and transferId): frames before this index are kept. */
  readonly firstIndex?: number;
}

/** Frames per second of the animation page, and what a frame-count warning assumes. */
export const QR_DEFAULT_FPS = 8;

/** Frames the default other densities may add to an animation page (rendering them costs time). */
export const HTML_DENSITY_FRAME_BUDGET = 300;

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
    const html = renderQrHtml(frames, {
      ...symbol,
      label: options.preset ?? "normal",
      densities: htmlDensities(bundle, options),
      fps: options.fps ?? QR_DEFAULT_FPS,
      title: `Airlock transfer (${frames.length} frames)`,
    });
    const page = join(dir, "index.html");
    await writeFile(page, html, { flag: "wx" });
    files.push(page);
  }
  return { transfer, files };
}

/** The other presets' loops for the page, densest last, within the frame budget. */
function htmlDensities(bundle: Uint8Array, options: QrFolderOptions): QrHtmlDensity[] {
  const main = options.preset ?? "normal";
  const at = PRESET_ORDER.indexOf(main);
  const wanted = options.htmlDensities ?? PRESET_ORDER.filter((_, i) => Math.abs(i - at) === 1);
  const out: QrHtmlDensity[] = [];
  let extra = 0;
  for (const preset of wanted) {
    if (preset === main) continue;
    const settings = PRESETS[preset];
    const loop = loopLength(Math.ceil(bundle.length / fragmentLengthFor(settings, options.encoding ?? "binary")));
    if (options.htmlDensities === undefined && extra + loop > HTML_DENSITY_FRAME_BUDGET) continue;
    extra += loop;
    const transfer = qrTransfer(bundle, { preset, ...(options.encoding === undefined ? {} : { encoding: options.encoding }) });
    out.push({ label: preset, version: settings.version, level: settings.level, frames: transfer.loop() });
  }
  return out;
}
