/**
 * Receipts on a stick: `<root>/airlock/receipts/<26 base32>.receipt` (docs/receipts.md, "On a
 * stick"). The vault writes one after it imported the stick's bundles; the courier reads them on
 * its next ingest of that stick and removes the ones it used. Written like a bundle (temp file,
 * fsync, rename, fsync of the folder) and read like a hostile drop box: plain files with the exact
 * name shape only, links never followed, each at most MAX_RECEIPT_LENGTH bytes, the newest
 * MAX_RECEIPT_FILES read per run out of at most MAX_RECEIPT_ENTRIES listed. Receipts another
 * team's or vault's courier has yet to read may stay on a shared stick: newest first, so they
 * never starve a new one.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, mkdir, open, opendir, rename, unlink, type FileHandle } from "node:fs/promises";
import { join, resolve } from "node:path";
import { errnoCode, isAirlockError } from "../errors.js";
import { usbError, writeError, type UsbEntryCode } from "../usb/errors.js";
import { AIRLOCK_FOLDER, checkRealDirectory, checkSameDirectory } from "../usb/layout.js";
import { base32, newTempName, TEMP_PREFIX } from "../usb/names.js";
import { isRefusal, openRegularFile, readExactly, type FileIdentity } from "../usb/open-file.js";
import { removeIfUnchanged } from "../usb/remove.js";
import { syncDirectory } from "../files/sync-directory.js";
import { MAX_RECEIPT_LENGTH } from "./format.js";

export const RECEIPTS_FOLDER = "receipts";
export const RECEIPT_EXTENSION = ".receipt";
/** Receipt files read per run, the newest (by modification time) first; older ones wait. */
export const MAX_RECEIPT_FILES = 256;
/** Entries of the receipts folder listed per run at most; a folder with more is refused (USB_TOO_MANY_ENTRIES). */
export const MAX_RECEIPT_ENTRIES = 4096;
const RECEIPT_NAME = /^[a-z2-7]{26}\.receipt$/;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

export const receiptsFolderOf = (root: string): string => join(resolve(root), AIRLOCK_FOLDER, RECEIPTS_FOLDER);

/** Writes `receipt` into the stick's receipts folder (created 0700 if missing); returns its path. */
export async function writeReceiptFile(root: string, receipt: Uint8Array): Promise<string> {
  const airlock = join(resolve(root), AIRLOCK_FOLDER);
  await checkRealDirectory(airlock); // the drop folder the bundles came from; never created here
  const dir = join(airlock, RECEIPTS_FOLDER);
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if (errnoCode(e) !== "EEXIST") throw writeError(e, `cannot create ${dir}`);
  }
  const folder = await checkRealDirectory(dir);
  const temp = join(dir, newTempName());
  let handle: FileHandle | undefined;
  let ours: string | undefined;
  try {
    handle = await open(temp, CREATE_FLAGS, 0o600);
    ours = temp;
    await handle.writeFile(receipt);
    await handle.sync();
    await handle.close();
    handle = undefined;
    const path = join(dir, base32(randomBytes(16)) + RECEIPT_EXTENSION);
    await rename(temp, path);
    ours = path;
    // The folder swapped for another (a link) between the check and the rename: the receipt went elsewhere.
    await checkSameDirectory(dir, folder);
    await syncDirectory(dir);
    return path;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    if (ours !== undefined) await unlink(ours).catch(() => undefined);
    throw writeError(e, `cannot write a receipt into ${dir}`);
  }
}

export interface ReceiptFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly identity: FileIdentity;
}

export type ReceiptFileEvent =
  | { readonly type: "receipt"; readonly file: ReceiptFile }
  | { readonly type: "issue"; readonly from: string; readonly code: UsbEntryCode | "USB_TOO_MANY_ENTRIES"; readonly reason: string };

/** The receipts on the stick at `root`, newest first (at most MAX_RECEIPT_FILES); nothing when it has no receipts folder. */
export async function* readReceiptFiles(root: string): AsyncGenerator<ReceiptFileEvent, void, undefined> {
  const dir = receiptsFolderOf(root);
  let folder;
  try {
    folder = await checkRealDirectory(dir);
  } catch (e) {
    // No receipts folder, or PATH is not a drop folder at all (a bundle file, an image): nothing to read.
    if (isAirlockError(e, "USB_NOT_FOUND")) return;
    throw e;
  }
  const names: string[] = [];
  try {
    for await (const entry of await opendir(dir, { bufferSize: 64 })) {
      if (names.length === MAX_RECEIPT_ENTRIES) {
        yield { type: "issue", from: dir, code: "USB_TOO_MANY_ENTRIES", reason: `more than ${MAX_RECEIPT_ENTRIES} entries; no receipt of it was read` };
        return;
      }
      names.push(entry.name);
    }
  } catch (e) {
    throw usbError("USB_READ_FAILED", `${dir} cannot be listed (${errnoCode(e) ?? "error"})`, e);
  }
  await checkSameDirectory(dir, folder);
  const candidates: { name: string; mtime: bigint }[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (name.startsWith(TEMP_PREFIX)) continue; // a vault writing right now, or one that died: not ours to judge
    if (name.startsWith(".")) {
      yield { type: "issue", from: path, code: "USB_HIDDEN_FILE", reason: "a hidden file, not a receipt" };
      continue;
    }
    if (!RECEIPT_NAME.test(name)) {
      yield { type: "issue", from: path, code: "USB_BAD_NAME", reason: "not a receipt's name (26 letters and digits + .receipt)" };
      continue;
    }
    try {
      candidates.push({ name, mtime: (await lstat(path, { bigint: true })).mtimeNs });
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") yield { type: "issue", from: path, code: "USB_UNREADABLE", reason: `cannot be examined (${errnoCode(e) ?? "error"})` };
    }
  }
  // Newest first (names are random): receipts left for another courier never keep a new one from being read.
  candidates.sort((a, b) => (a.mtime === b.mtime ? (a.name < b.name ? -1 : 1) : a.mtime > b.mtime ? -1 : 1));
  for (const { name } of candidates.slice(0, MAX_RECEIPT_FILES)) {
    const path = join(dir, name);
    const opened = await openRegularFile(path);
    if (isRefusal(opened)) {
      yield { type: "issue", from: path, code: opened.code, reason: opened.reason };
      continue;
    }
    try {
      if (opened.size > MAX_RECEIPT_LENGTH) {
        yield { type: "issue", from: path, code: "USB_TOO_LARGE", reason: `${opened.size} bytes; a receipt is at most ${MAX_RECEIPT_LENGTH}` };
        continue;
      }
      const bytes = await readExactly(opened.handle, opened.size);
      if (isRefusal(bytes)) {
        yield { type: "issue", from: path, code: bytes.code, reason: bytes.reason };
        continue;
      }
      await checkSameDirectory(dir, folder);
      yield { type: "receipt", file: { path, bytes, identity: opened.identity } };
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
  }
}

/** Removes a receipt file that was read, if its name still refers to that very file (else USB_CHANGED); false if it is gone. */
export async function removeReceiptFile(file: ReceiptFile): Promise<boolean> {
  return removeIfUnchanged(file.path, file.identity);
}
