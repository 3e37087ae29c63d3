/**
 * Making a rename (or removal) durable: fsync of the folder. Its own module, free of the
 * bundle format's codec, so the file-to-file path (atomic-file.ts) loads only what it runs.
 */
import { closeSync, constants, fsyncSync, openSync } from "node:fs";
import { open } from "node:fs/promises";
import { errnoCode } from "../errors.js";

const DIRECTORY_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** The errors of a file system that cannot fsync a folder: the rename is then as durable as it makes it. */
function cannotSyncFolders(e: unknown): boolean {
  const code = errnoCode(e);
  return code === "EINVAL" || code === "ENOTSUP" || code === "EOPNOTSUPP";
}

/**
 * Makes a rename (or removal) in `dir` durable. Some file systems cannot fsync a folder and
 * say so with EINVAL or ENOTSUP; the rename is then as durable as that file system makes it.
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return; // folders cannot be opened for fsync there
  const handle = await open(dir, DIRECTORY_FLAGS);
  try {
    await handle.sync();
  } catch (e) {
    if (!cannotSyncFolders(e)) throw e;
  } finally {
    await handle.close();
  }
}

/** syncDirectory for synchronous callers (small state files written with the *Sync calls). */
export function syncDirectorySync(dir: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(dir, DIRECTORY_FLAGS);
  try {
    fsyncSync(fd);
  } catch (e) {
    if (!cannotSyncFolders(e)) throw e;
  } finally {
    closeSync(fd);
  }
}
