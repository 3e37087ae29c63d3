/**
 * Small state files are replaced whole and durably: temp file, fsync, rename, fsync of the
 * folder. A crash leaves the old or the new one, and once this returns a power cut loses
 * neither the bytes (fsync of the file) nor the name (fsync of the folder, syncDirectorySync).
 */
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, writeSync, constants } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { errnoCode, syncDirectorySync } from "@airlock/shared";

/** The temp files writeFileAtomic leaves only if the process dies between its open and its rename. */
export const ATOMIC_TEMP_PREFIX = ".tmp-";

export interface WriteFileAtomicOptions {
  /**
   * false: never replace an existing file; the write fails with EEXIST and leaves it as it was
   * (a key that may already have been handed out). Default true.
   */
  readonly replace?: boolean;
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600, options: WriteFileAtomicOptions = {}): void {
  const folder = dirname(path);
  const temp = join(folder, `${ATOMIC_TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), mode);
  let placed = false;
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    if (options.replace === false) placeNew(temp, path);
    else renameSync(temp, path);
    placed = true;
    syncDirectorySync(folder);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    if (!placed) {
      try {
        unlinkSync(temp);
      } catch {
        // already renamed or gone
      }
    }
    throw e;
  }
}

/**
 * Gives `temp` the name `path` unless `path` exists: a hard link fails with EEXIST atomically,
 * then the temp name goes. A file system without hard links (FAT) gets a check, then a rename.
 */
function placeNew(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (e) {
    const code = errnoCode(e);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e;
    if (exists(path)) throw Object.assign(new Error(`EEXIST: file already exists, ${path}`), { code: "EEXIST", path });
    renameSync(temp, path);
    return;
  }
  unlinkSync(temp);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return false;
    throw e;
  }
}
