/**
 * Writing a bundle into a drop box so that, whatever moment the machine loses power or the
 * stick is pulled, the box holds either no new file or the complete bundle under its final
 * name: write a temp file, fsync it, rename it into place, fsync the folder. Readers ignore
 * temp files; cleanupTempFiles (cleanup.ts) removes the ones a dead writer left.
 *
 * FAT and exFAT, the usual stick formats, have no journal, so "atomic" there is as good as
 * the file system's rename; the reader's header check (declared length == file length)
 * catches a bundle that was cut short anyway.
 */
import { constants } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { inspectBundle, isBundleError } from "@airlock/bundle-format";
import { isAirlockError } from "../errors.js";
import { errnoCode, usbError, writeError } from "./errors.js";
import { checkRealDirectory } from "./layout.js";
import { checkLimit, DEFAULT_MAX_FILE_BYTES, MIN_BUNDLE_BYTES, WRITE_PIECE_BYTES } from "./limits.js";
import { newBundleName, newTempName } from "./names.js";
import { syncDirectory } from "../files/sync-directory.js";

export { syncDirectory };

export interface WriteProgress {
  readonly written: number;
  readonly total: number;
}

export interface WriteOptions {
  /** Refuse (USB_NOT_A_BUNDLE) bytes whose bundle header does not check out (default true). */
  readonly validate?: boolean;
  /** Refuse (USB_TOO_LARGE) bundles the reader on the other side would refuse (default 256 MiB). */
  readonly maxFileBytes?: number;
  /** Called after each piece (1 MiB) reaches the file system; slow sticks take a while. */
  readonly onProgress?: (progress: WriteProgress) => void;
}

export interface WrittenBundle {
  /** The random file name, e.g. `k3b…q.airlock`. */
  readonly name: string;
  readonly path: string;
  readonly size: number;
}

// O_EXCL: a name we did not create ourselves is never reused; O_NOFOLLOW: nor a planted link.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Writes `bundle` into `dir` (a box from prepareDropFolder) under a fresh random name and
 * returns that name. Throws AirlockError (USB_NO_SPACE, USB_READ_ONLY, USB_PERMISSION,
 * USB_WRITE_FAILED, or a folder code) and leaves no temp file behind when it can remove it.
 */
export async function writeBundle(dir: string, bundle: Uint8Array, options: WriteOptions = {}): Promise<WrittenBundle> {
  if (!(bundle instanceof Uint8Array)) throw new TypeError('"bundle" must be a Uint8Array');
  const maxFileBytes = checkLimit("maxFileBytes", options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, MIN_BUNDLE_BYTES, Number.MAX_SAFE_INTEGER);
  checkWritable(bundle, maxFileBytes, options.validate ?? true);
  await checkRealDirectory(dir);

  const tempPath = join(dir, newTempName());
  let handle: FileHandle | undefined;
  let ours: string | undefined; // what to remove on failure: never a file we did not create
  try {
    handle = await open(tempPath, CREATE_FLAGS, 0o600);
    ours = tempPath;
    await writeAll(handle, bundle, options.onProgress);
    await handle.sync(); // the data must be on the stick before its final name is
    await handle.close();
    handle = undefined;
    const name = newBundleName(); // 128 random bits: the rename cannot replace anything real
    const path = join(dir, name);
    await rename(tempPath, path);
    ours = path;
    await syncDirectory(dir);
    return { name, path, size: bundle.length };
  } catch (e) {
    // A throw should mean "nothing new in the box", so the caller can simply retry.
    await handle?.close().catch(() => undefined);
    if (ours !== undefined) await unlink(ours).catch(() => undefined); // else cleanupTempFiles gets it
    if (isAirlockError(e) || errnoCode(e) === undefined) throw e; // ours, or a caller's onProgress bug
    throw writeError(e, `cannot write a bundle into ${dir}`);
  }
}

function checkWritable(bundle: Uint8Array, maxFileBytes: number, validate: boolean): void {
  if (bundle.length > maxFileBytes) {
    throw usbError("USB_TOO_LARGE", `the bundle is ${bundle.length} bytes; the drop folder takes at most ${maxFileBytes}`);
  }
  if (bundle.length < MIN_BUNDLE_BYTES) {
    throw usbError("USB_TOO_SMALL", `${bundle.length} bytes is too short for a bundle (at least ${MIN_BUNDLE_BYTES})`);
  }
  if (!validate) return;
  try {
    inspectBundle(bundle, maxFileBytes);
  } catch (e) {
    if (!isBundleError(e)) throw e;
    throw usbError("USB_NOT_A_BUNDLE", `refusing to write something that is not a valid bundle: ${e.message}`, e);
  }
}

async function writeAll(handle: FileHandle, bundle: Uint8Array, onProgress: WriteOptions["onProgress"]): Promise<void> {
  let written = 0;
  while (written < bundle.length) {
    const length = Math.min(WRITE_PIECE_BYTES, bundle.length - written);
    const { bytesWritten } = await handle.write(bundle, written, length, written);
    if (bytesWritten <= 0) throw Object.assign(new Error("the file system accepted no bytes"), { code: "EIO" });
    written += bytesWritten;
    onProgress?.({ written, total: bundle.length });
  }
}
