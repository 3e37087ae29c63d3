/**
 * Small state files are replaced whole and durably: temp file, fsync, rename, fsync of the
 * folder. A crash leaves the old or the new one, and once this returns a power cut loses
 * neither the bytes (fsync of the file) nor the name (fsync of the folder, syncDirectorySync).
 */
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync, constants } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { errnoCode, syncDirectorySync } from "@airlock/shared";

/** The temp files writeFileAtomic leaves only if the process dies between its open and its rename. */
export const ATOMIC_TEMP_PREFIX = ".tmp-";

/** A hard link (fs.linkSync). Tests give one that fails as a file system without hard links does. */
export type LinkFunction = (existing: string, newPath: string) => void;

export interface WriteFileAtomicOptions {
  /**
   * false: never replace an existing file; the write fails with EEXIST and leaves it as it was
   * (a key that may already have been handed out). Default true.
   */
  readonly replace?: boolean;
  /** How a new file (replace: false) is hard-linked to its name; fs.linkSync unless a test says. */
  readonly link?: LinkFunction;
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600, options: WriteFileAtomicOptions = {}): void {
  const folder = dirname(path);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const temp = join(folder, `${ATOMIC_TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
  writeNew(temp, bytes, mode);
  let linked = false;
  let renamed = false;
  try {
    if (options.replace === false) linked = placeNew(temp, path, options.link ?? linkSync);
    else {
      renameSync(temp, path);
      renamed = true;
    }
  } catch (e) {
    unlinkQuietly(temp);
    throw e;
  }
  if (!renamed) unlinkSync(temp);
  // No hard links here: the file is made under its own name, exclusively.
  if (options.replace === false && !linked) writeNew(path, bytes, mode);
  syncDirectorySync(folder);
}

/** Creates `path` (O_EXCL, never following a link), writes all of `bytes` and fsyncs; on failure nothing of it stays. */
function writeNew(path: string, bytes: Uint8Array, mode: number): void {
  const fd = openSync(path, CREATE_FLAGS, mode);
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } catch (e) {
    closeQuietly(fd);
    unlinkQuietly(path);
    throw e;
  }
  closeSync(fd);
}

/**
 * Gives `temp` the name `path` with a hard link, which fails with EEXIST atomically if `path`
 * exists. false if the file system has no hard links (FAT, exFAT, some SMB mounts): the caller
 * then creates `path` itself with O_CREAT|O_EXCL, so of two writers only one creates it and the
 * other gets EEXIST, as with the link (a check then a rename would let both pass the check). It
 * is not atomic against a crash: one while it is written can leave it short, and the reader's
 * format check (loadCourierKey) then refuses it.
 */
function placeNew(temp: string, path: string, link: LinkFunction): boolean {
  try {
    link(temp, path);
    return true;
  } catch (e) {
    const code = errnoCode(e);
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") return false;
    throw e;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
