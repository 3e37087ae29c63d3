/**
 * The `dir:` mailbox: a plain folder of `<sha256>.airlock` files, usable on a USB stick or in
 * a folder Syncthing keeps in sync between peers (no server). The folder is shared with other
 * writers and so is hostile input: only regular files whose names match the pattern are
 * listed, nothing is followed through a symlink (lstat, O_NOFOLLOW), sizes are checked with
 * fstat before reading, and every read is checked against its digest name.
 *
 * Writes are atomic: temp file (O_EXCL|O_NOFOLLOW) + fsync + rename + fsync of the folder, so
 * a reader or a Syncthing peer sees either no file or the whole bundle. Temp names never match
 * the bundle pattern, so they (and Syncthing's own `.syncthing.*.tmp` and `*.sync-conflict-*`
 * files) are ignored by list().
 *
 * The folder itself is created by the first put (its parent must exist): a namespace nobody has
 * written to yet lists as empty, so pulling or pruning an old epoch leaves no empty folder behind.
 * A Syncthing peer can replace that namespace folder with a symlink (Syncthing syncs links as
 * links) to redirect our writes, reads and deletes anywhere: every call first checks it is a real
 * folder (lstat) and refuses with MAILBOX_LINK otherwise, and a put checks again that the folder
 * is still the same one (device and inode) after creating its temp file and before renaming it.
 *
 * Cursors: see SequenceIndex in backend.ts (names numbered in the order this instance first
 * sees them; no trust in mtimes or arrival order). Invariant: scans run one at a time, so a
 * slow scan never overwrites the view of a newer one.
 */
import { constants, type Dirent } from "node:fs";
import { lstat, mkdir, open, opendir, rename, rmdir, unlink, type FileHandle } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { AirlockError, errnoCode, syncDirectory } from "@airlock/shared";
import {
  checkMaxBytes,
  checkName,
  checkPut,
  checkSize,
  digestHex,
  isMailboxName,
  mailboxError,
  MAILBOX_SUFFIX,
  SequenceIndex,
  type CallOptions,
  type MailboxBackend,
  type MailboxListing,
  type MailboxName,
} from "./backend.js";
import { throwIfAborted } from "./deadline.js";

export interface DirMailboxOptions {
  readonly maxBundleBytes?: number;
  /** Refuse (MAILBOX_TOO_MANY) to scan a folder with more entries than this (default 100 000). */
  readonly maxEntries?: number;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
// O_NONBLOCK: opening a FIFO planted under a bundle's name must not hang the courier.
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0);
export const TEMP_PREFIX = ".airlock-tmp-";
/** Entries looked at when clearing a pruned namespace of a killed writer's temp files. */
const MAX_STALE_SCAN = 100_000;

/** `dir:PATH` → a DirMailbox on PATH. */
export function dirMailboxFromUrl(url: string, options?: DirMailboxOptions): DirMailbox {
  if (!url.startsWith("dir:") || url.length === 4) {
    throw new AirlockError("MAILBOX_BAD_URL", `${JSON.stringify(url)} is not a dir: mailbox URL`, { hint: "write it as dir:/path/to/folder" });
  }
  return new DirMailbox(url.slice(4), options);
}

export class DirMailbox implements MailboxBackend {
  readonly maxBundleBytes: number;
  readonly #dir: string;
  readonly #maxEntries: number;
  readonly #index = new SequenceIndex();
  #scan: Promise<unknown> = Promise.resolve();

  constructor(dir: string, options: DirMailboxOptions = {}) {
    this.#dir = dir;
    this.maxBundleBytes = checkMaxBytes(options.maxBundleBytes);
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  async put(name: string, bundle: Uint8Array, options: CallOptions = {}): Promise<void> {
    const checked = checkPut(name, bundle, this.maxBundleBytes);
    throwIfAborted(options.signal);
    await this.#folder();
    const path = join(this.#dir, checked);
    const existing = await this.#lstat(path);
    if (existing !== undefined) {
      if (!existing.isFile()) throw mailboxError("MAILBOX_NOT_A_FILE", `${checked} in ${this.#dir} is not a plain file`);
      // Same name, same size: the same bytes (content address). Not rewriting it spares
      // Syncthing a pointless change. A different size is a torn copy: replace it.
      if (existing.size === bundle.length) return;
    }
    const temp = join(this.#dir, `${TEMP_PREFIX}${randomBytes(12).toString("hex")}.tmp`);
    let handle: FileHandle | undefined;
    let created = false;
    try {
      handle = await this.#createTemp(temp);
      created = true;
      const folder = await this.#folder();
      let written = 0;
      while (written < bundle.length) {
        const { bytesWritten } = await handle.write(bundle, written, bundle.length - written, written);
        written += bytesWritten;
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      // A call abandoned at its deadline publishes nothing: the temp file is removed below.
      throwIfAborted(options.signal);
      // Swapped for a link (or another folder) while we wrote: the temp file is removed below, through
      // the real folder if it still is, and nothing is published.
      const now = await this.#folder();
      if (folder === undefined || now === undefined || now.dev !== folder.dev || now.ino !== folder.ino) {
        throw mailboxError("MAILBOX_LINK", `${this.#dir} was replaced while ${checked} was written into it; nothing was stored`);
      }
      await rename(temp, path);
      created = false;
      await syncDirectory(this.#dir);
    } catch (e) {
      await handle?.close().catch(() => undefined);
      // The temp name is random: this removes our own file and nothing else, wherever a link put it.
      if (created) await unlink(temp).catch(() => undefined);
      throw ioError(e, `cannot write ${checked} into ${this.#dir}`);
    }
  }

  list(since?: string, options: CallOptions = {}): Promise<MailboxListing> {
    const run = this.#scan.then(async () => {
      throwIfAborted(options.signal);
      await this.#folder();
      const names = await this.#scanNames(options.signal);
      throwIfAborted(options.signal);
      this.#index.reconcile(names);
      return this.#index.list(since);
    });
    this.#scan = run.catch(() => undefined);
    return run;
  }

  async get(name: string, options: CallOptions = {}): Promise<Uint8Array | undefined> {
    const checked = checkName(name);
    throwIfAborted(options.signal);
    await this.#folder();
    let handle: FileHandle;
    try {
      handle = await open(join(this.#dir, checked), READ_FLAGS);
    } catch (e) {
      if (errnoCode(e) === "ENOENT") return undefined;
      if (errnoCode(e) === "ELOOP") throw mailboxError("MAILBOX_NOT_A_FILE", `${checked} in ${this.#dir} is a symbolic link`);
      throw ioError(e, `cannot read ${checked} in ${this.#dir}`);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw mailboxError("MAILBOX_NOT_A_FILE", `${checked} in ${this.#dir} is not a plain file`);
      checkSize(stats.size, this.maxBundleBytes); // before allocating anything
      const bytes = new Uint8Array(stats.size);
      let read = 0;
      while (read < bytes.length) {
        const { bytesRead } = await handle.read(bytes, read, bytes.length - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      if (read !== bytes.length || `${digestHex(bytes)}${MAILBOX_SUFFIX}` !== checked) {
        throw mailboxError("MAILBOX_DIGEST_MISMATCH", `${checked} in ${this.#dir} does not hold the bytes its name promises`);
      }
      return bytes;
    } catch (e) {
      throw ioError(e, `cannot read ${checked} in ${this.#dir}`);
    } finally {
      await handle.close();
    }
  }

  async delete(name: string, options: CallOptions = {}): Promise<void> {
    const checked = checkName(name);
    throwIfAborted(options.signal);
    await this.#folder();
    const path = join(this.#dir, checked);
    const stats = await this.#lstat(path);
    if (stats !== undefined) {
      if (!stats.isFile()) throw mailboxError("MAILBOX_NOT_A_FILE", `${checked} in ${this.#dir} is not a plain file; not removing it`);
      try {
        await unlink(path);
        await syncDirectory(this.#dir);
      } catch (e) {
        if (errnoCode(e) !== "ENOENT") throw ioError(e, `cannot remove ${checked} from ${this.#dir}`);
      }
    }
    this.#index.remove(checked);
  }

  /** Opens a new temp file, creating the mailbox folder first if this is its first bundle. */
  async #createTemp(temp: string): Promise<FileHandle> {
    try {
      return await open(temp, CREATE_FLAGS, 0o600);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw e;
    }
    try {
      await mkdir(this.#dir, { mode: 0o700 }); // not recursive: a missing parent (stick not mounted) fails
    } catch (e) {
      if (errnoCode(e) !== "EEXIST") throw e;
    }
    return open(temp, CREATE_FLAGS, 0o600);
  }

  async removeIfEmpty(): Promise<void> {
    await this.#folder();
    await this.#removeStaleTemps();
    try {
      await rmdir(this.#dir);
    } catch (e) {
      // Not empty (a peer's bundle or temp file arrived meanwhile) or already gone: leave it.
      if (!["ENOTEMPTY", "EEXIST", "ENOENT"].includes(errnoCode(e) ?? "")) throw ioError(e, `cannot remove the emptied folder ${this.#dir}`);
    }
  }

  /**
   * A courier killed between writing a temp file and renaming it leaves the temp file behind; in
   * an expired namespace nobody writes any more, so one older than an hour is such a leftover and
   * would otherwise keep the folder (and ciphertext) for ever. Bounded like the name scan.
   */
  async #removeStaleTemps(): Promise<void> {
    let folder;
    try {
      folder = await opendir(this.#dir);
    } catch {
      return;
    }
    const cutoff = Date.now() - 3_600_000;
    let seen = 0;
    for await (const entry of folder) {
      if (++seen > MAX_STALE_SCAN) break;
      if (!entry.isFile() || !entry.name.startsWith(TEMP_PREFIX)) continue;
      const path = join(this.#dir, entry.name);
      const info = await this.#lstat(path);
      if (info?.isFile() === true && info.mtimeMs < cutoff) await unlink(path).catch(() => undefined);
    }
  }

  async #scanNames(signal: AbortSignal | undefined): Promise<Set<MailboxName>> {
    const present = new Set<MailboxName>();
    let entries = 0;
    let folder;
    try {
      folder = await opendir(this.#dir);
    } catch (e) {
      // Not created yet (nobody wrote here) is empty; a missing parent is a real failure.
      if (errnoCode(e) === "ENOENT" && (await this.#lstat(dirname(this.#dir)))?.isDirectory() === true) return present;
      throw ioError(e, `cannot list ${this.#dir}`);
    }
    try {
      for await (const entry of folder) {
        if (++entries > this.#maxEntries) {
          throw mailboxError("MAILBOX_TOO_MANY", `${this.#dir} holds more than ${this.#maxEntries} entries`);
        }
        if (entries % 1024 === 0) throwIfAborted(signal);
        if (isMailboxName(entry.name) && (await this.#isRegularFile(entry))) present.add(entry.name);
      }
    } catch (e) {
      throw ioError(e, `cannot list ${this.#dir}`);
    }
    return present;
  }

  async #isRegularFile(entry: Dirent): Promise<boolean> {
    if (entry.isFile()) return true;
    if (entry.isSymbolicLink() || entry.isDirectory() || entry.isFIFO() || entry.isSocket()) return false;
    if (entry.isBlockDevice() || entry.isCharacterDevice()) return false;
    // Some file systems report no type in readdir (DT_UNKNOWN): ask lstat, which never follows.
    return (await this.#lstat(join(this.#dir, entry.name)))?.isFile() ?? false;
  }

  /**
   * The namespace folder's identity, or undefined while nobody created it; MAILBOX_LINK if a
   * link (or anything but a folder) sits in its place, so nothing is read or written through it.
   */
  async #folder(): Promise<{ dev: number; ino: number } | undefined> {
    const info = await this.#lstat(this.#dir);
    if (info === undefined) return undefined;
    if (!info.isDirectory()) {
      throw mailboxError("MAILBOX_LINK", `${this.#dir} is ${info.isSymbolicLink() ? "a symbolic link" : "not a folder"}; nothing is read, written or removed through it`);
    }
    return { dev: info.dev, ino: info.ino };
  }

  async #lstat(path: string): Promise<import("node:fs").Stats | undefined> {
    try {
      return await lstat(path);
    } catch (e) {
      if (errnoCode(e) === "ENOENT") return undefined;
      throw ioError(e, `cannot examine ${path}`);
    }
  }
}



function ioError(e: unknown, what: string): Error {
  if (e instanceof AirlockError || errnoCode(e) === undefined) return e as Error;
  return mailboxError("MAILBOX_IO", `${what}: ${(e as Error).message}`, e);
}
