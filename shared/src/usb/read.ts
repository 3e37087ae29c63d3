/**
 * Reading a drop box, which is hostile input: the stick has been on the online side. Every
 * entry is either accepted (a plain file with a bundle's name, within the limits, read in
 * full, header checked) or reported with a code and a reason; a bad entry never throws and
 * never stops the scan. Only problems with the folder itself throw (AirlockError).
 *
 * Folder swaps: Node has no openat(2), so a scan works on paths. Entries are opened with
 * O_NOFOLLOW and judged by fstat, which defeats a file swapped for a link, pipe or device.
 * The box folder itself is checked to be the same real directory after listing and before
 * each accepted bundle is handed out (USB_FOLDER_CHANGED otherwise); a folder swapped and
 * swapped back between two checks is out of reach without openat.
 */
import type { Dir, Dirent } from "node:fs";
import { opendir, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { HEADER_LENGTH, inspectBundle, parseHeader, type BundleHeader } from "@airlock/bundle-format";
import { errnoCode, usbError, type UsbEntryCode } from "./errors.js";
import { checkRealDirectory, checkSameDirectory } from "./layout.js";
import { MIN_BUNDLE_BYTES, resolveLimits, type ReadLimits, type ResolvedLimits } from "./limits.js";
import { classifyName, displayName } from "./names.js";
import { isRefusal, openRegularFile, readExactly, refusal, type FileIdentity, type Refusal } from "./open-file.js";

/** One refused or skipped entry. `name` is raw (may hold anything); print `displayName`. */
export interface EntryIssue {
  readonly name: string;
  readonly displayName: string;
  readonly code: UsbEntryCode;
  readonly reason: string;
}

export interface AcceptedBundle {
  /** Always a validated bundle name (26 base32 characters + .airlock). */
  readonly name: string;
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly size: number;
  /** The checked cleartext header; undefined when the scan ran with `validate: false`. */
  readonly header: BundleHeader | undefined;
}

export interface ScanProgress {
  /** Entries looked at so far, of any kind. */
  readonly scanned: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly skipped: number;
  /** Bytes of the accepted bundles. */
  readonly bytes: number;
}

/** Why a scan stopped before the end of the folder. */
export interface ScanStop {
  readonly code: "USB_TOO_MANY_ENTRIES";
  readonly reason: string;
}

/**
 * A bundle too large to read into memory, accepted for a streamed read (an attached file):
 * its header checked, its bytes left on the stick for the caller to stream from `path`.
 */
export interface LargeBundle {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly header: BundleHeader | undefined;
}

export type ScanEvent =
  | { readonly type: "accepted"; readonly bundle: AcceptedBundle; readonly progress: ScanProgress }
  | { readonly type: "large"; readonly bundle: LargeBundle; readonly progress: ScanProgress }
  | { readonly type: "rejected"; readonly issue: EntryIssue; readonly progress: ScanProgress }
  | { readonly type: "skipped"; readonly issue: EntryIssue; readonly progress: ScanProgress }
  | { readonly type: "incomplete"; readonly stop: ScanStop; readonly progress: ScanProgress };

export interface ReadOptions extends ReadLimits {
  /** Check each file's bundle header and refuse non-bundles as USB_NOT_A_BUNDLE (default true). */
  readonly validate?: boolean;
  /** Called after each entry, for a progress line. */
  readonly onProgress?: (progress: ScanProgress) => void;
  /**
   * Bundles over maxFileBytes and up to this size are not refused but handed out as `large`
   * events (header checked, nothing read into memory) for the caller to stream. Default: none.
   */
  readonly maxStreamBytes?: number;
}

export interface ReadResult {
  readonly accepted: AcceptedBundle[];
  /** Bundles left for a streamed read (only with `maxStreamBytes`). */
  readonly large: LargeBundle[];
  readonly rejected: EntryIssue[];
  /** Entries that are expected and harmless (temp files of an interrupted or running writer). */
  readonly skipped: EntryIssue[];
  /** Set when the folder held more entries than `maxEntries`: run again after importing. */
  readonly incomplete: ScanStop | undefined;
  readonly progress: ScanProgress;
}

interface Issued {
  readonly dir: string;
  readonly identity: FileIdentity;
}

/**
 * Bundles this module handed out, with the identity of the file each was read from. Only
 * these can be removed, so a caller bug cannot turn removeBundle into "delete any path".
 */
const issued = new WeakMap<AcceptedBundle | LargeBundle, Issued>();

export const issuedFrom = (bundle: AcceptedBundle | LargeBundle): Issued | undefined => issued.get(bundle);

/** Reads the whole box (within the limits) and sorts every entry into accepted, rejected or skipped. */
export async function readBundles(dir: string, options: ReadOptions = {}): Promise<ReadResult> {
  const accepted: AcceptedBundle[] = [];
  const large: LargeBundle[] = [];
  const rejected: EntryIssue[] = [];
  const skipped: EntryIssue[] = [];
  let incomplete: ScanStop | undefined;
  let progress: ScanProgress = { scanned: 0, accepted: 0, rejected: 0, skipped: 0, bytes: 0 };
  for await (const event of scanBundles(dir, options)) {
    progress = event.progress;
    if (event.type === "accepted") accepted.push(event.bundle);
    else if (event.type === "large") large.push(event.bundle);
    else if (event.type === "rejected") rejected.push(event.issue);
    else if (event.type === "skipped") skipped.push(event.issue);
    else incomplete = event.stop;
  }
  return { accepted, large, rejected, skipped, incomplete, progress };
}

/**
 * The same scan, one event per entry, so a caller can import and remove each bundle before
 * the next one is read. Entries come in name order (random names: no meaning, but stable).
 */
export async function* scanBundles(dir: string, options: ReadOptions = {}): AsyncGenerator<ScanEvent, void, undefined> {
  const limits = resolveLimits(options);
  const validate = options.validate ?? true;
  const folder = await checkRealDirectory(dir);
  const { entries, more } = await listEntries(dir, limits.maxEntries);
  await checkSameDirectory(dir, folder);

  const counts = { scanned: 0, accepted: 0, rejected: 0, skipped: 0, bytes: 0 };
  const snapshot = (): ScanProgress => {
    const progress = { ...counts };
    options.onProgress?.(progress);
    return progress;
  };
  for (const entry of entries) {
    counts.scanned++;
    const outcome = await examine(dir, entry, limits, counts.bytes, validate, options.maxStreamBytes ?? 0);
    if ("large" in outcome) {
      await checkSameDirectory(dir, folder);
      counts.accepted++;
      const bundle: LargeBundle = Object.freeze({ name: entry.name, path: join(dir, entry.name), size: outcome.size, header: outcome.header });
      issued.set(bundle, { dir, identity: outcome.identity });
      yield { type: "large", bundle, progress: snapshot() };
    } else if ("bytes" in outcome) {
      await checkSameDirectory(dir, folder); // never hand out a file read through a swapped folder
      const bundle: AcceptedBundle = Object.freeze({
        name: entry.name,
        path: join(dir, entry.name),
        bytes: outcome.bytes,
        size: outcome.bytes.length,
        header: outcome.header,
      });
      issued.set(bundle, { dir, identity: outcome.identity });
      counts.accepted++;
      counts.bytes += bundle.size;
      yield { type: "accepted", bundle, progress: snapshot() };
    } else {
      const issue: EntryIssue = { name: entry.name, displayName: displayName(entry.name), code: outcome.code, reason: outcome.reason };
      const type = outcome.code === "USB_TEMP_FILE" ? "skipped" : "rejected";
      counts[type]++;
      yield { type, issue, progress: snapshot() };
    }
  }
  if (more) {
    const reason = `the folder holds more than ${limits.maxEntries} entries; only the first ${limits.maxEntries} were looked at`;
    yield { type: "incomplete", stop: { code: "USB_TOO_MANY_ENTRIES", reason }, progress: { ...counts } };
  }
}

/**
 * Lists at most `maxEntries` entries, plus one to know there are more, and sorts them. Stops
 * early so a folder with millions of names costs no more than the bound.
 */
async function listEntries(dir: string, maxEntries: number): Promise<{ entries: Dirent[]; more: boolean }> {
  const entries: Dirent[] = [];
  let more = false;
  let handle: Dir;
  try {
    handle = await opendir(dir, { bufferSize: 256 });
  } catch (e) {
    throw usbError("USB_READ_FAILED", `${dir} cannot be listed (${errnoCode(e) ?? "error"})`, e);
  }
  try {
    for await (const entry of handle) {
      if (entries.length === maxEntries) {
        more = true;
        break; // closes the directory
      }
      entries.push(entry);
    }
  } catch (e) {
    throw usbError("USB_READ_FAILED", `listing ${dir} failed after ${entries.length} entries (${errnoCode(e) ?? "error"})`, e);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, more };
}

interface Loaded {
  readonly bytes: Uint8Array;
  readonly header: BundleHeader | undefined;
  readonly identity: FileIdentity;
}

interface Streamed {
  readonly large: true;
  readonly size: number;
  readonly header: BundleHeader | undefined;
  readonly identity: FileIdentity;
}

async function examine(dir: string, entry: Dirent, limits: ResolvedLimits, bytesSoFar: number, validate: boolean, maxStreamBytes: number): Promise<Loaded | Streamed | Refusal> {
  // The listing's type comes first: devices and pipes are never even opened (opening some
  // devices has side effects), and a link is worth reporting as such whatever its name.
  if (entry.isSymbolicLink()) return refusal("USB_SYMLINK", "symbolic link (links are never followed)");
  if (entry.isDirectory()) return refusal("USB_NOT_A_FILE", "folder (only plain files are read)");
  if (entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice()) {
    return refusal("USB_SPECIAL_FILE", "device, pipe or socket (only plain files are read)");
  }
  const verdict = classifyName(entry.name);
  if (verdict.kind === "temp") return refusal("USB_TEMP_FILE", "temporary file");
  if (verdict.kind === "rejected") return refusal(verdict.code, verdict.reason);

  const opened = await openRegularFile(join(dir, entry.name));
  if (isRefusal(opened)) return opened;
  try {
    const { size } = opened;
    if (size === 0) return refusal("USB_TOO_SMALL", "empty file (0 bytes)");
    if (size < MIN_BUNDLE_BYTES) return refusal("USB_TOO_SMALL", `${size} bytes; a bundle is at least ${MIN_BUNDLE_BYTES}`);
    if (size > limits.maxFileBytes && size <= maxStreamBytes) return await streamed(opened.handle, size, validate, maxStreamBytes, opened.identity);
    if (size > limits.maxFileBytes) return refusal("USB_TOO_LARGE", `${size} bytes; this reader accepts at most ${limits.maxFileBytes}`);
    if (bytesSoFar + size > limits.maxTotalBytes) {
      return refusal("USB_TOTAL_LIMIT", `${size} bytes would take this run past its ${limits.maxTotalBytes}-byte total; left for the next run`);
    }
    const bytes = await readExactly(opened.handle, size);
    if (isRefusal(bytes)) return bytes;
    let header: BundleHeader | undefined;
    if (validate) {
      try {
        header = inspectBundle(bytes, limits.maxFileBytes);
      } catch (e) {
        return refusal("USB_NOT_A_BUNDLE", e instanceof Error ? e.message : "not a bundle");
      }
    }
    return { bytes, header, identity: opened.identity };
  } finally {
    await opened.handle.close().catch(() => undefined);
  }
}

/** A large bundle: only its header is read and checked; the caller streams the rest. */
async function streamed(handle: FileHandle, size: number, validate: boolean, maxStreamBytes: number, identity: FileIdentity): Promise<Streamed | Refusal> {
  if (!validate) return { large: true, size, header: undefined, identity };
  const head = new Uint8Array(HEADER_LENGTH);
  const { bytesRead } = await handle.read(head, 0, HEADER_LENGTH, 0);
  try {
    const header = parseHeader(head.subarray(0, bytesRead), maxStreamBytes);
    if (header.length !== size) return refusal("USB_NOT_A_BUNDLE", `the file is ${size} bytes but its bundle header declares ${header.length}`);
    return { large: true, size, header, identity };
  } catch (e) {
    return refusal("USB_NOT_A_BUNDLE", e instanceof Error ? e.message : "not a bundle");
  }
}
