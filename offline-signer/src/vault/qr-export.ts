/**
 * `airlock export --qr DIR`: bundles as folders of QR frame images (NN-sync/, NN-welcome/,
 * NN-file/, each frame-NNNNN.png plus index.html), with a warning of how long the frames take to
 * show, a progress line while they are rendered, and a way out of an interrupted run.
 *
 * Interrupted runs. A bundle is sealed afresh by every export (a new ephemeral key, and the
 * fountain code's transfer id is random), so frames of an earlier run cannot be completed by
 * sealing again: they would be frames of another transfer. So each run first writes, beside the
 * frames, what it needs to finish: `airlock-export.json` (the bundles, their transfer ids, which
 * are done) and in each unfinished folder `bundle.sealed` (the sealed bundle itself: what its
 * frames show anyway, readable only by its recipients), removed once the folder is complete.
 * `--resume` completes the same transfers from those; `--replace` deletes an earlier run's output,
 * only files by the names this module writes, in folders by the names it makes.
 */
import { lstat, mkdir, open, readdir, readFile, rename, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { loopLength, fragmentLengthFor, PRESETS, sealedLength, sha256, toHex } from "@airlock/bundle-format";
import { AirlockError, frameIndexOf, QR_DEFAULT_FPS, qrTransfer, reportStep, writeBundleQrFolder, type ProgressLine } from "@airlock/shared";
import { filesToSend, sendFilesQr, estimateFrames, QR_FILE_BYTES, type SentFile } from "../attachments/send.js";
import type { ExportedBundle } from "./sync.js";
import type { Vault } from "./vault.js";

export type QrPreset = "low" | "normal" | "high" | "dense";

export const QR_MANIFEST = "airlock-export.json";
const SEALED = "bundle.sealed";
const INDEX = "index.html";
/** The folders an export makes. */
const OUR_FOLDER = /^\d{2}-(sync|welcome|file)$/;
/** A resumed bundle keeps the mailbox tag of the day it was sealed; past this, couriers may not take it. */
export const RESUME_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface QrExportOptions {
  /** Complete an interrupted `export --qr` in the same folder (its manifest and sealed bundles). */
  readonly resume?: boolean;
  /** Delete an earlier export's output in the folder first (only files this module writes). */
  readonly replace?: boolean;
  /** A line for the person before the frames are written: how many and how long they take. */
  readonly notice?: (line: string) => void;
}

interface ManifestBundle {
  readonly dir: string;
  readonly kind: string;
  readonly bytes: number;
  readonly changesets: number;
  readonly entries: number;
  readonly frames: number;
  readonly transferId: number;
  /** SHA-256 (hex) of `bundle.sealed`: a resumed run must send the very bytes whose frames it already wrote. */
  readonly sha256?: string;
  done: boolean;
  /** A file bundle: the file's name. */
  readonly file?: string;
}

interface Manifest {
  readonly version: 1;
  readonly device: string;
  readonly at: number;
  readonly preset: QrPreset;
  readonly bundles: ManifestBundle[];
}

export interface QrWritten {
  readonly kind: string;
  readonly bytes: number;
  readonly changesets: number;
  readonly entries: number;
  readonly path: string;
  readonly frames: number;
  readonly file?: string;
}

function qrError(code: string, message: string, hint: string): AirlockError {
  return new AirlockError(code, message, { hint });
}

const WAY_OUT = "add --resume to finish an interrupted export there, or --replace to delete that earlier export (only the files Airlock wrote), or pick another folder";

/** What an earlier export left in `dir`: its manifest (if any) and its folders. */
async function previousOutput(dir: string): Promise<{ manifest: Manifest | undefined; folders: string[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return { manifest: undefined, folders: [] };
    throw e;
  }
  const folders: string[] = [];
  for (const n of names.sort()) if (OUR_FOLDER.test(n) && (await lstat(join(dir, n))).isDirectory()) folders.push(n);
  return { manifest: names.includes(QR_MANIFEST) ? await readManifest(dir) : undefined, folders };
}

async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, QR_MANIFEST);
  const stats = await lstat(path);
  const bad = (why: string): AirlockError => qrError("QR_RESUME_IMPOSSIBLE", `${path} ${why}`, "use --replace to start this export again");
  if (!stats.isFile() || stats.size > MAX_MANIFEST_BYTES) throw bad("is not an export manifest");
  let m: Manifest;
  try {
    m = JSON.parse(await readFile(path, "utf8")) as Manifest;
  } catch {
    throw bad("cannot be read");
  }
  const okBundle = (b: ManifestBundle): boolean =>
    typeof b === "object" && b !== null && typeof b.dir === "string" && OUR_FOLDER.test(b.dir) && Number.isSafeInteger(b.frames) && b.frames > 0 && Number.isSafeInteger(b.transferId) && typeof b.done === "boolean" && (b.sha256 === undefined || /^[0-9a-f]{64}$/.test(b.sha256));
  if (m?.version !== 1 || typeof m.device !== "string" || !Number.isSafeInteger(m.at) || !(m.preset in PRESETS) || !Array.isArray(m.bundles) || !m.bundles.every(okBundle)) throw bad("is not an export manifest");
  return m;
}

async function writeManifest(dir: string, m: Manifest): Promise<void> {
  const tmp = join(dir, `.${QR_MANIFEST}.partial`);
  await unlink(tmp).catch(() => undefined);
  const h = await open(tmp, "wx", 0o600);
  try {
    await h.writeFile(`${JSON.stringify(m, null, 1)}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, join(dir, QR_MANIFEST));
}

/** Deletes, in a folder this module made, only the files it writes there; the folder too once empty. */
async function removeOurFiles(folder: string): Promise<boolean> {
  const st = await lstat(folder);
  if (!st.isDirectory()) return false;
  for (const n of await readdir(folder)) {
    if (frameIndexOf(n) === undefined && n !== INDEX && n !== SEALED) continue;
    const p = join(folder, n);
    if ((await lstat(p)).isFile()) await unlink(p);
  }
  try {
    await rmdir(folder);
    return true;
  } catch {
    return false; // something else is in it: left alone
  }
}

/** `--replace`: an earlier export's output goes; anything else in the folder stays. */
async function replaceOutput(dir: string, folders: readonly string[]): Promise<void> {
  for (const f of folders) await removeOurFiles(join(dir, f));
  const m = join(dir, QR_MANIFEST);
  if ((await lstat(m).catch(() => undefined))?.isFile() === true) await unlink(m);
}

/** Frames the loop of a bundle of `bytes` holds at `preset`. */
function framesOf(bytes: number, preset: QrPreset): number {
  return loopLength(Math.ceil(bytes / fragmentLengthFor(PRESETS[preset], "binary")));
}

/** `3 min 55 s`, `40 s`. */
export function playingTime(frames: number, fps = QR_DEFAULT_FPS): string {
  const s = Math.max(1, Math.round(frames / fps));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 === 0 ? "" : ` ${s % 60} s`}`;
}

/** How many frames this folder's transfer holds in order from the first (an interrupted run stops mid-way). */
async function framesWritten(folder: string): Promise<number> {
  const have = new Set<number>();
  for (const n of await readdir(folder)) {
    const i = frameIndexOf(n);
    if (i !== undefined && (await lstat(join(folder, n))).isFile()) have.add(i);
  }
  let n = 0;
  while (have.has(n)) n++;
  return n;
}

/**
 * Writes `bundles` (or, resuming, what the folder's manifest lists) as QR frame folders, then the
 * attached files that go over QR. `bundles` is called only for a fresh export.
 */
export async function exportQr(
  vault: Vault,
  target: { readonly qr: string; readonly preset?: QrPreset },
  bundles: () => ExportedBundle[],
  progress: ProgressLine,
  options: QrExportOptions & { readonly noFiles?: boolean; readonly qrFilesMax?: number },
): Promise<{ written: QrWritten[]; files: SentFile[] }> {
  const dir = target.qr;
  const previous = await previousOutput(dir);
  let manifest: Manifest;
  const sealed = new Map<string, Uint8Array>();
  if (options.resume === true && previous.manifest !== undefined) {
    manifest = previous.manifest;
    if (manifest.device !== vault.deviceId) throw qrError("QR_RESUME_IMPOSSIBLE", `the export in ${dir} was written by another vault`, "use --replace to start it again from this vault");
    if (vault.now() - manifest.at > RESUME_MAX_AGE_MS) throw qrError("QR_RESUME_STALE", `the export in ${dir} was sealed more than a day ago`, "use --replace: a fresh export carries everything since, and a current mailbox tag");
    for (const b of manifest.bundles) {
      if (b.done) continue;
      const path = join(dir, b.dir, SEALED);
      const st = await lstat(path).catch(() => undefined);
      if (st?.isFile() !== true || st.size !== b.bytes) throw qrError("QR_RESUME_IMPOSSIBLE", `${path} is missing or damaged`, "use --replace to start this export again");
      const bytes = new Uint8Array(await readFile(path));
      // Same size is not same bytes: frames of two different sealings would never decode together.
      if (b.sha256 === undefined || toHex(sha256(bytes)) !== b.sha256) throw qrError("QR_RESUME_IMPOSSIBLE", `${path} is damaged: its bytes differ from the ones sealed`, "use --replace to start this export again");
      sealed.set(b.dir, bytes);
    }
    // File folders the interrupted run had not finished: written again by a fresh send below.
    const listed = new Set(manifest.bundles.map((b) => b.dir));
    for (const f of previous.folders) if (!listed.has(f)) await removeOurFiles(join(dir, f));
  } else {
    if (options.resume === true && previous.folders.length > 0) throw qrError("QR_RESUME_IMPOSSIBLE", `${dir} holds QR frames but no ${QR_MANIFEST} to resume from`, "use --replace to delete those frames and export again");
    if (previous.folders.length > 0 || previous.manifest !== undefined) {
      if (options.replace !== true) throw qrError("QR_OUTPUT_NOT_EMPTY", `${dir} already holds an earlier QR export (${previous.folders.length} folder(s))`, WAY_OUT);
      await replaceOutput(dir, previous.folders);
    }
    const preset = target.preset ?? "normal";
    await mkdir(dir, { recursive: true });
    manifest = { version: 1, device: vault.deviceId, at: vault.now(), preset, bundles: [] };
    for (const [i, b] of bundles().entries()) {
      const folder = `${String(i + 1).padStart(2, "0")}-${b.kind}`;
      const transfer = qrTransfer(b.bytes, { preset });
      manifest.bundles.push({ dir: folder, kind: b.kind, bytes: b.bytes.length, changesets: b.changesets, entries: b.entries, frames: loopLength(transfer.blocks), transferId: transfer.transferId, sha256: toHex(sha256(b.bytes)), done: false });
      sealed.set(folder, b.bytes);
      await mkdir(join(dir, folder), { recursive: true });
      const h = await open(join(dir, folder, SEALED), "wx", 0o600);
      try {
        await h.writeFile(b.bytes);
      } finally {
        await h.close();
      }
    }
    await writeManifest(dir, manifest);
  }
  const preset = manifest.preset;

  // How long the frames take to show, before any is rendered.
  const filesMax = options.qrFilesMax ?? QR_FILE_BYTES;
  const files = options.noFiles === true ? [] : filesToSend(vault).filter((f) => f.ref.size <= filesMax);
  const fileFrames = files.reduce((n, f) => n + estimateFrames(sealedLength(f.ref.size + 16, f.padTo), preset), 0);
  const pending = manifest.bundles.filter((b) => !b.done);
  const total = manifest.bundles.reduce((n, b) => n + b.frames, 0) + fileFrames;
  const slow = total / QR_DEFAULT_FPS > 60;
  const faster = slow ? `; ${fileFrames > total / 2 ? "--files-max (a lower one) or " : ""}--usb would be faster` : "";
  options.notice?.(`${total.toLocaleString("en-US")} frames, about ${playingTime(total)} at ${QR_DEFAULT_FPS} fps${faster}`);

  const task = `rendering ${total.toLocaleString("en-US")} QR frames`;
  let done = manifest.bundles.filter((b) => b.done).reduce((n, b) => n + b.frames, 0);
  reportStep(progress, { task, done, total, unit: "frames" });
  for (const b of pending) {
    const folder = join(dir, b.dir);
    const bytes = sealed.get(b.dir)!;
    // The last frame an interrupted run wrote may be cut short: it is written again.
    const first = options.resume === true ? Math.max(0, (await framesWritten(folder)) - 1) : 0;
    done += first;
    await unlink(join(folder, INDEX)).catch(() => undefined);
    await writeBundleQrFolder(folder, bytes, { preset, transferId: b.transferId, firstIndex: first, onFrame: () => reportStep(progress, { task, done: ++done, total, unit: "frames" }) });
    await unlink(join(folder, SEALED));
    b.done = true;
    await writeManifest(dir, manifest);
  }
  const sent: SentFile[] = [];
  if (options.noFiles !== true) {
    const next = manifest.bundles.reduce((n, b) => Math.max(n, Number(b.dir.slice(0, 2))), 0) + 1;
    const frame = (): void => reportStep(progress, { task, done: Math.min(++done, total), total, unit: "frames" });
    const record = async (f: SentFile): Promise<void> => {
      if (f.path === undefined) return;
      manifest.bundles.push({ dir: f.path.slice(dir.length + 1), kind: "file", bytes: f.bytes, changesets: 0, entries: 0, frames: f.frames ?? 1, transferId: 0, done: true, file: f.name });
      await writeManifest(dir, manifest);
    };
    // One manifest write at a time, in the order the files were sent.
    let chain = Promise.resolve();
    sent.push(...(await sendFilesQr(vault, dir, next, preset, filesMax, progress, { frame, sent: (f) => void (chain = chain.then(() => record(f))) })));
    await chain;
  }
  reportStep(progress, { task, done: total, total, unit: "frames" });
  const written = manifest.bundles
    .filter((b) => b.kind !== "file")
    .map((b) => ({ kind: b.kind, bytes: b.bytes, changesets: b.changesets, entries: b.entries, path: join(dir, b.dir), frames: b.frames }));
  return { written, files: sent };
}

/** Frames and playing time a QR export of these sizes would take (for tests and the TUI). */
export function qrFramesFor(sizes: readonly number[], preset: QrPreset = "normal"): number {
  return sizes.reduce((n, s) => n + framesOf(s, preset), 0);
}
