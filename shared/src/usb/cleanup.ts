/**
 * Removing temp files that a writer left behind when it died mid-write (power loss, stick
 * pulled, process killed). Call it on the side that writes the box, at the start of a run:
 * the vault on `outbox`, the courier on `inbox`. Ages then compare mtimes set by the same
 * machine's clock, and a temp file younger than the age limit may belong to a writer that
 * is still running (another process), so it is kept.
 */
import { lstat, opendir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { errnoCode, usbError } from "./errors.js";
import { checkRealDirectory } from "./layout.js";
import { checkLimit, DEFAULT_MAX_ENTRIES, DEFAULT_TEMP_MAX_AGE_MS } from "./limits.js";
import { isTempName } from "./names.js";

export interface CleanupOptions {
  /** Remove temp files whose last write is older than this (default one hour). */
  readonly olderThanMs?: number;
  /** The current time in ms since the epoch (default Date.now(); tests pass their own). */
  readonly now?: number;
  /** Entries looked at, as for reading (default 10 000). */
  readonly maxEntries?: number;
}

export interface CleanupResult {
  /** Names removed. */
  readonly removed: string[];
  /** Temp files kept because they are recent (possibly still being written). */
  readonly kept: number;
  /** Temp files that could not be removed, with the errno code; left for the next run. */
  readonly failed: { readonly name: string; readonly reason: string }[];
}

export async function cleanupTempFiles(dir: string, options: CleanupOptions = {}): Promise<CleanupResult> {
  const olderThanMs = checkLimit("olderThanMs", options.olderThanMs ?? DEFAULT_TEMP_MAX_AGE_MS, 0, Number.MAX_SAFE_INTEGER);
  const maxEntries = checkLimit("maxEntries", options.maxEntries ?? DEFAULT_MAX_ENTRIES, 1, 2 ** 31);
  const cutoff = (options.now ?? Date.now()) - olderThanMs;
  await checkRealDirectory(dir);

  const candidates: string[] = [];
  try {
    let seen = 0;
    for await (const entry of await opendir(dir, { bufferSize: 256 })) {
      if (++seen > maxEntries) break;
      // Only our own temp names, only plain files: a link or folder that merely looks like a
      // temp file is the reader's business to report, not ours to delete.
      if (entry.isFile() && isTempName(entry.name)) candidates.push(entry.name);
    }
  } catch (e) {
    throw usbError("USB_READ_FAILED", `${dir} cannot be listed (${errnoCode(e) ?? "error"})`, e);
  }

  const removed: string[] = [];
  const failed: { name: string; reason: string }[] = [];
  let kept = 0;
  for (const name of candidates) {
    const path = join(dir, name);
    try {
      const stats = await lstat(path);
      if (!stats.isFile()) continue;
      if (stats.mtimeMs >= cutoff) {
        kept++;
        continue;
      }
      await unlink(path); // unlink removes the entry itself, never what a link points to
      removed.push(name);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") failed.push({ name, reason: errnoCode(e) ?? "error" });
    }
  }
  return { removed, kept, failed };
}
