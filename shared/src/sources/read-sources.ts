/**
 * Where bundles come from, for either app: a USB drop folder (the box the reading side reads:
 * the courier reads airlock/outbox, the vault airlock/inbox), a folder of QR photos or
 * screenshots, single QR images, a video of the animation, a camera, or plain bundle files.
 * Everything read here is hostile input: bounded before allocation, and a bad entry is an
 * issue to report, never a crash.
 */
import { lstatSync } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { extname, join } from "node:path";
import { describeError } from "../cli-report.js";
import { plural } from "../cli/plural.js";
import { AirlockError } from "../errors.js";
import { formatProgressLine, type ProgressSnapshot } from "../progress.js";
import { readImageFile } from "../qr/image-read.js";
import { listImageFiles, scanImageFolder } from "../qr/scan-folder.js";
import { prepareQrDecoder } from "../qr/decoders/load.js";
import { scanQrPixels } from "../qr/scan-pixels.js";
import { scanCamera, scanVideo } from "../qr/scan-video.js";
import type { QrPayload } from "../qr/types.js";
import { receiveBundles, type QrRateReport, type QrReceiveStats, type ReceivedBundle } from "../transfer/qr-receive.js";
import { AIRLOCK_FOLDER, type DropBox } from "../usb/layout.js";
import { isRefusal, openRegularFile, readExactly } from "../usb/open-file.js";
import { scanBundles, type AcceptedBundle, type LargeBundle } from "../usb/read.js";

export type SourceEvent =
  /** `rate`: for a bundle read from QR frames, the rate this receiver achieved and the preset that would suit it. */
  | { readonly type: "bundle"; readonly bytes: Uint8Array; readonly from: string; readonly usb?: AcceptedBundle; readonly rate?: QrRateReport }
  /** Too large to read into memory (only with `maxStreamBytes`): stream it from `path`. */
  | { readonly type: "large"; readonly path: string; readonly size: number; readonly from: string; readonly usb?: LargeBundle }
  | { readonly type: "issue"; readonly from: string; readonly code: string; readonly reason: string };

export interface SourceOptions {
  readonly maxBundleBytes: number;
  /**
   * Bundle files (on a stick, or given by path) over maxBundleBytes and up to this size are
   * handed out as `large` events to be streamed, not read into memory. Default: refused.
   */
  readonly maxStreamBytes?: number;
  /**
   * Which boxes of a USB drop folder to read: ["outbox"] on the courier; the vault reads
   * ["inbox", "outbox"], so two vaults can also swap one stick directly, with no courier.
   */
  readonly boxes: readonly DropBox[];
  /**
   * @deprecated Unused: an image that cannot be read is now an `issue` event, not a line on
   * stderr. Kept so existing callers compile.
   */
  readonly program?: string;
  /** A progress line for people (stderr). */
  readonly progress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface CameraOptions extends SourceOptions {
  readonly device?: string;
  /** Stop after this many bundles (default: until interrupted). */
  readonly count?: number;
}

/** The camera read when none is named: the first V4L2 device. */
export const DEFAULT_CAMERA = "/dev/video0";
// Camera frames between two "no code yet" lines (the line printer throttles on its own too).
const CAMERA_STATUS_EVERY = 5;

const IMAGE = /^\.(png|jpe?g)$/i;
const VIDEO = /^\.(mp4|mkv|webm|mov|avi|m4v)$/i;

export type SourceKind = "usb" | "qr-folder" | "qr-image" | "video" | "file";

export function sourceKind(path: string): SourceKind {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (e) {
    throw new AirlockError("SOURCE_NOT_FOUND", `${path} does not exist`, { hint: "check the path", cause: e });
  }
  if (stats.isDirectory()) {
    try {
      if (lstatSync(join(path, AIRLOCK_FOLDER)).isDirectory()) return "usb";
    } catch {
      // no airlock/ folder: a folder of QR images
    }
    return "qr-folder";
  }
  // Links, pipes, sockets and devices go to fromFile, which refuses them without blocking and
  // says what they are; by their names they would reach the image reader or ffmpeg.
  if (!stats.isFile()) return "file";
  if (IMAGE.test(extname(path))) return "qr-image";
  if (VIDEO.test(extname(path))) return "video";
  return "file";
}

/** Every bundle from `paths`, in order; consecutive single QR images form one stream of frames. */
export async function* readSources(paths: readonly string[], options: SourceOptions): AsyncGenerator<SourceEvent> {
  const images: string[] = [];
  const flushImages = async function* (): AsyncGenerator<SourceEvent> {
    if (images.length === 0) return;
    const files = images.splice(0);
    const unreadable: SourceEvent[] = [];
    yield* fromPayloads(files.join(", "), imagePayloads(files, unreadable), options);
    yield* unreadable;
  };
  for (const path of paths) {
    const kind = sourceKind(path);
    if (kind === "qr-image") {
      images.push(path);
      continue;
    }
    yield* flushImages();
    if (kind === "usb") yield* fromUsb(path, options);
    else if (kind === "qr-folder") {
      const folders = await qrFolders(path);
      if (folders.length === 0) yield { type: "issue", from: path, code: "SOURCE_EMPTY", reason: "no QR images (PNG, JPEG) here or in its subfolders, and no airlock/ drop folder" };
      for (const folder of folders) {
        const unreadable: SourceEvent[] = [];
        yield* fromPayloads(folder, folderPayloads(folder, unreadable), options);
        yield* unreadable;
      }
    }
    else if (kind === "video") yield* fromPayloads(path, videoPayloads(path, options.signal), options);
    else yield await fromFile(path, options.maxBundleBytes, options.maxStreamBytes ?? 0);
  }
  yield* flushImages();
}

/**
 * Bundles a camera sees, until `count` bundles, or the signal (Ctrl-C) stops the capture: ffmpeg
 * is killed and the frames end; a transfer seen only in part is then reported as QR_INCOMPLETE.
 * Until the first code is read, the progress line counts the camera's frames, so a person can
 * tell a live camera pointed at nothing from one that does not deliver frames.
 */
export async function* readCamera(options: CameraOptions): AsyncGenerator<SourceEvent> {
  const device = options.device ?? DEFAULT_CAMERA;
  let frames = 0;
  let codes = 0;
  const started = performance.now();
  async function* payloads(): AsyncGenerator<QrPayload | undefined> {
    const onFrame = (_: number, decoded: boolean): void => {
      frames++;
      if (decoded) codes++;
      if (codes === 0 && frames % CAMERA_STATUS_EVERY === 1) {
        const seconds = (performance.now() - started) / 1000;
        const rate = seconds > 0 ? ` (${(frames / seconds).toFixed(1)}/s)` : "";
        options.progress?.(`camera ${device}: ${plural(frames, "frame")}${rate}, no QR code yet: hold it at the animation`);
      }
    };
    for await (const r of scanCamera({ device, onFrame, ...(options.signal === undefined ? {} : { signal: options.signal }) })) {
      if (options.signal?.aborted === true) return;
      yield r.payload;
    }
  }
  yield* fromPayloads(device, payloads(), options, options.count);
}

async function* fromUsb(root: string, options: SourceOptions): AsyncGenerator<SourceEvent> {
  for (const box of options.boxes) {
    const dir = join(root, AIRLOCK_FOLDER, box);
    // A stick may hold only the box its last writer made (a courier writes only inbox): a
    // missing box holds nothing. A link or a file in its place is still refused by the scan.
    if (await missing(dir)) continue;
    for await (const event of scanBundles(dir, { maxFileBytes: options.maxBundleBytes, ...(options.maxStreamBytes === undefined ? {} : { maxStreamBytes: options.maxStreamBytes }) })) {
      const p = event.progress;
      options.progress?.(`usb ${root} (${box}): ${plural(p.scanned, "entry", "entries")}, ${plural(p.accepted, "bundle")}, ${p.rejected} refused`);
      if (event.type === "accepted") yield { type: "bundle", bytes: event.bundle.bytes, from: event.bundle.path, usb: event.bundle };
      else if (event.type === "large") yield { type: "large", path: event.bundle.path, size: event.bundle.size, from: event.bundle.path, usb: event.bundle };
      else if (event.type === "rejected") yield { type: "issue", from: join(dir, event.issue.displayName), code: event.issue.code, reason: event.issue.reason };
      else if (event.type === "incomplete") yield { type: "issue", from: dir, code: event.stop.code, reason: event.stop.reason };
    }
  }
}

async function missing(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === "ENOENT";
  }
}

async function* fromPayloads(
  from: string,
  payloads: AsyncIterable<QrPayload | undefined>,
  options: SourceOptions,
  limit?: number,
): AsyncGenerator<SourceEvent> {
  // How many bundles arrived whole so far: a camera reads one animation after another, and the
  // person holding it wants to know when all of them are in.
  let whole = 0;
  const onProgress = (s: ProgressSnapshot): void => options.progress?.(`qr ${from}${whole > 0 ? ` (${plural(whole, "bundle")} so far)` : ""}: ${formatProgressLine(s)}`);
  const received = receiveBundles(payloads, { maxMessageLength: options.maxBundleBytes, onProgress, ...(limit === undefined ? {} : { limit }) });
  // A consumer that stops early (it has the one bundle it wanted) must close the source too:
  // a camera's ffmpeg would otherwise keep running, and the process with it.
  try {
    for await (const event of receivedEvents(from, received)) {
      if (event.type === "bundle") whole++;
      yield event;
    }
  } finally {
    await received.return({ payloads: 0, rejected: 0, lastError: undefined, inProgress: [] });
  }
}

async function* receivedEvents(from: string, received: AsyncGenerator<ReceivedBundle, QrReceiveStats>): AsyncGenerator<SourceEvent> {
  for (;;) {
    const next = await received.next();
    if (next.done === true) {
      const stats = next.value;
      for (const partial of stats.inProgress) {
        yield { type: "issue", from, code: "QR_INCOMPLETE", reason: `a transfer stopped at ${partial.framesReceived} frames, short of a whole bundle; scan more frames` };
      }
      if (stats.rejected > 0 && stats.lastError !== undefined) {
        yield { type: "issue", from, code: stats.lastError.code, reason: `${stats.rejected} frames refused; last: ${stats.lastError.message}` };
      }
      return;
    }
    yield { type: "bundle", bytes: next.value.bytes, from, rate: next.value.rate };
  }
}

/**
 * The folders of QR images under `dir`: `dir` itself when it holds images, else its direct
 * subfolders that do (an `airlock export --qr` folder holds one subfolder per bundle). Links are
 * not followed.
 */
async function qrFolders(dir: string): Promise<string[]> {
  if ((await listImageFiles(dir)).length > 0) return [dir];
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const sub = join(dir, entry);
    if ((await listImageFiles(sub)).length > 0) out.push(sub);
  }
  return out;
}

/** An image that cannot be read costs its frame, and is reported through `unreadable`. */
async function* folderPayloads(dir: string, unreadable: SourceEvent[]): AsyncGenerator<QrPayload | undefined> {
  for await (const r of scanImageFolder(dir)) {
    if (r.error !== undefined) unreadable.push({ type: "issue", from: r.path, code: r.error.code, reason: r.error.message });
    yield r.payload;
  }
}

async function* imagePayloads(files: readonly string[], unreadable: SourceEvent[]): AsyncGenerator<QrPayload | undefined> {
  const { decoder } = await prepareQrDecoder();
  for (const file of files) {
    try {
      yield scanQrPixels(await readImageFile(file), { decoder });
    } catch (e) {
      const { code, message } = describeError(e);
      unreadable.push({ type: "issue", from: file, code, reason: message });
      yield undefined;
    }
  }
}

async function* videoPayloads(file: string, signal: AbortSignal | undefined): AsyncGenerator<QrPayload | undefined> {
  for await (const r of scanVideo(file)) {
    if (signal?.aborted === true) return;
    yield r.payload;
  }
}

/**
 * A plain bundle file, opened as the USB reader opens one (usb/open-file.ts): no link is
 * followed, a pipe cannot block the open, only a regular file is read, its size checked on the
 * descriptor before a byte is allocated.
 */
async function fromFile(path: string, maxBytes: number, maxStreamBytes: number): Promise<SourceEvent> {
  const issue = (code: string, reason: string): SourceEvent => ({ type: "issue", from: path, code, reason });
  const opened = await openRegularFile(path);
  if (isRefusal(opened)) {
    if (opened.code === "USB_VANISHED") return issue("SOURCE_NOT_FOUND", "disappeared before it could be opened");
    const notAFile = opened.code === "USB_SYMLINK" || opened.code === "USB_NOT_A_FILE" || opened.code === "USB_SPECIAL_FILE";
    return issue(notAFile ? "SOURCE_NOT_A_FILE" : "SOURCE_UNREADABLE", opened.reason);
  }
  try {
    if (opened.size > maxBytes && opened.size <= maxStreamBytes) return { type: "large", path, size: opened.size, from: path };
    if (opened.size > maxBytes) return issue("SOURCE_TOO_LARGE", `${opened.size} bytes, more than the ${maxBytes} accepted`);
    const bytes = await readExactly(opened.handle, opened.size);
    return isRefusal(bytes) ? issue("SOURCE_UNREADABLE", bytes.reason) : { type: "bundle", bytes, from: path };
  } finally {
    await opened.handle.close();
  }
}
