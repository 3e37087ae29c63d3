/**
 * Small state files are replaced whole and durably: temp file, fsync, rename, fsync of the
 * folder. A crash leaves the old or the new one, and once this returns a power cut loses
 * neither the bytes (fsync of the file) nor the name (fsync of the folder, syncDirectorySync).
 */
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, readdirSync, renameSync, unlinkSync, writeSync, constants } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { errnoCode, syncDirectorySync } from "@airlock/shared";

/**
 * The temp files writeFileAtomic makes (the prefix and 16 hex digits). One is left only if the
 * process dies before it is renamed, or between the hard link that names a new file and the
 * removal of the temp name; removeStaleTemps clears them.
 */
export const ATOMIC_TEMP_PREFIX = ".tmp-";
const TEMP_NAME = /^\.tmp-[0-9a-f]{16}$/;

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

/**
 * Thrown, with `placed: true`, when the file already has its name and its bytes are fsynced
 * but the fsync of its folder failed: the file is there, though a power cut may still lose its
 * name. A caller whose file must not be stranded (a new key) can go on; others report it.
 */
export interface PlacedButNotDurable extends Error {
  readonly placed: true;
}

export function isPlacedButNotDurable(e: unknown): e is PlacedButNotDurable {
  return e instanceof Error && (e as { placed?: unknown }).placed === true;
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
  } finally {
    // After a hard link (or a failure) the temp name is a second name for the bytes (a secret
    // key), so it goes whatever happened; failing to remove it does not undo the write. If that
    // fails or the process dies first, removeStaleTemps takes it when the home is next opened.
    if (!renamed) unlinkQuietly(temp);
  }
  // No hard links here: the file is made under its own name, exclusively.
  if (options.replace === false && !linked) writeNew(path, bytes, mode);
  // The file has its name and its bytes are fsynced: from here on it is in place.
  try {
    syncDirectorySync(folder);
  } catch (e) {
    throw Object.assign(e instanceof Error ? e : new Error(String(e)), { placed: true as const });
  }
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
    // gone already, or left for removeStaleTemps
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * Removes the temp files writeFileAtomic left in `folder` (a crash, or a temp name that could
 * not be removed): only regular files named as it names them (`.tmp-` and 16 hex digits) and
 * last modified before this process started, so another process's write in progress is left
 * alone; nothing else is touched. Best effort: a file that cannot be removed stays for the next
 * time. Returns how many went.
 */
export function removeStaleTemps(folder: string, startedAt: number = Date.now() - process.uptime() * 1000): number {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!TEMP_NAME.test(name)) continue;
    const file = join(folder, name);
    try {
      const info = lstatSync(file);
      if (!info.isFile() || info.mtimeMs >= startedAt) continue;
      unlinkSync(file);
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  if (removed > 0) {
    try {
      syncDirectorySync(folder);
    } catch {
      // the removal may not survive a power cut; the next sweep redoes it
    }
  }
  return removed;
}
