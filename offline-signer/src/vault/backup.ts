/**
 * `airlock backup --out FILE`: the vault's database (a consistent snapshot, still encrypted
 * under the passphrase's key), its KDF parameters and its attached files in one file
 * (backup-file.ts), and the same for every further space (docs/spaces.md: its database under its
 * random page key, which the first database holds), written through shared's AtomicFile: a temp
 * name with mode 0600, renamed into place only once complete and on disk. Restoring it:
 * backup-restore.ts. Docs: docs/vault-store.md "Backup files", docs/sync.md "Restoring a backup".
 *
 * A further space is left out, with a note, when there is nothing in it a restore could bring
 * back as a device of this vault: a space whose join request waits for its welcome (its device
 * is the request's; restoring it could contradict what the admitted device wrote meanwhile, the
 * reason the first space refuses this: BACKUP_NOT_ADMITTED), and one where this device is no
 * longer active (left with `spaces leave`, or removed by the team). The restore drops such
 * spaces from the restored index; the person joins again (`airlock spaces join`). A space being
 * left is skipped without being opened. A damaged space (its folder missing or unreadable) is not
 * skipped: the backup is refused with BACKUP_SPACE_DAMAGED naming it (spaceOpenError below).
 */
import { closeSync, existsSync, lstatSync, openSync, readSync, realpathSync, rmSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { AirlockError, AtomicFile, describeError, quoted } from "@airlock/shared";
import { PARAMS_FILE } from "../store/index.js";
import { readParams } from "../store/params.js";
import { snapshotDatabase } from "../store/snapshot.js";
import { BLOBS_DIR } from "../attachments/folder.js";
import { openSpace, readIndex, type SpaceEntry } from "../spaces/spaces.js";
import { BACKUP_HINTS, backupError, encodeHeader, removeLeftovers, type BackupBlob, type BackupSpace } from "./backup-file.js";
import { refusePendingJoin } from "./backup-status.js";
import { vaultError } from "./errors.js";
import type { Vault } from "./vault.js";

/** A further space the backup left out, and why (see the file comment). */
export interface SkippedSpace {
  readonly id: string;
  readonly name: string;
  /** "waiting": its join request was not answered yet; "inactive": left, or removed by its team. */
  readonly reason: "waiting" | "inactive";
}

export interface BackupResult {
  readonly file: string;
  /** Size of the backup file. */
  readonly bytes: number;
  /** Size of the database copies inside it (every space carried). */
  readonly db: number;
  /** Attached files inside it (every space carried), and their size. */
  readonly files: number;
  readonly fileBytes: number;
  readonly created: number;
  /** The further spaces carried (id and name), in file order. */
  readonly spaces: readonly { readonly id: string; readonly name: string }[];
  readonly skipped: readonly SkippedSpace[];
}

export interface BackupOptions {
  /** Replace an existing file at `out`. */
  readonly force?: boolean;
  /** Bytes written so far and the total, while the backup file is written. */
  readonly onProgress?: (phase: "database" | "write", done: number, total: number) => void;
}

const CHUNK = 4 * 1024 * 1024;

/** The attached files the vault holds now, with their sizes on disk (regular files only). */
function heldBlobs(vault: Vault): BackupBlob[] {
  return vault.storage.blobs
    .all()
    .map((b) => b.file)
    .sort()
    .map((file) => {
      const path = join(vault.store.dir, BLOBS_DIR, file);
      let stats;
      try {
        stats = lstatSync(path);
      } catch (e) {
        throw backupError("BACKUP_CHANGED", `attached file ${file} is missing from ${dirname(path)}`, e);
      }
      if (!stats.isFile()) throw backupError("BACKUP_CHANGED", `attached file ${file} is not a regular file`);
      return { file, size: stats.size };
    });
}

const sameBlobs = (x: readonly BackupBlob[], y: readonly BackupBlob[]): boolean => x.length === y.length && x.every((b, i) => b.file === y[i]!.file && b.size === y[i]!.size);

/** A path with its folder's symlinks resolved (the file itself need not exist). */
function real(path: string): string {
  const dir = dirname(resolve(path));
  let at: string;
  try {
    at = realpathSync(dir);
  } catch {
    return resolve(path);
  }
  return join(at, basename(path));
}

/** The database copy and the file under construction (AtomicFile's temp name). */
const TEMP_TAIL = /^[0-9a-f]{16}\.(db-tmp|tmp)$/;

/** What opening a space fails with when its folder is missing or its database unreadable (store/vault-store.ts, spaces/spaces.ts). */
const DAMAGED_CODES: ReadonlySet<string> = new Set(["VAULT_NOT_FOUND", "VAULT_WRONG_KEY", "VAULT_CORRUPT"]);

/**
 * Why a space listed in the index could not be opened for the backup (review F10). Damaged (its
 * folder gone or unreadable): BACKUP_SPACE_DAMAGED naming it, never skipped, since a backup that
 * silently lacked a space would lose it at a restore, and never BACKUP_CHANGED, whose "run it
 * again" would never succeed. Anything else (another airlock holding it, a newer release's
 * database) keeps its own code, with the space named.
 */
function spaceOpenError(entry: SpaceEntry, e: unknown): AirlockError {
  const named = `space ${quoted(entry.name)} (${entry.id.slice(0, 8)})`;
  const reason = describeError(e);
  if (e instanceof AirlockError && !DAMAGED_CODES.has(e.code)) return new AirlockError(e.code, `${named} could not be opened for the backup: ${e.message}`, { ...(e.hint === undefined ? {} : { hint: e.hint }), cause: e });
  return new AirlockError("BACKUP_SPACE_DAMAGED", `${named} is damaged (${reason.code}: ${reason.message}): a backup carries every space, so none was written`, {
    hint: BACKUP_HINTS.BACKUP_SPACE_DAMAGED.replace("NAME", quoted(entry.name)),
    cause: e,
  });
}

/** Why a further space (not one being left: skipped before it is opened) is left out of a backup, or undefined to carry it. */
function skipReason(space: Vault): SkippedSpace["reason"] | undefined {
  if (space.teamId === undefined) {
    // As refusePendingJoin: an identity but no team is a join request not answered yet.
    const identity = space.identitySeed();
    identity?.fill(0);
    return identity === undefined ? undefined : "waiting";
  }
  const state = space.state();
  const me = state.devices.get(space.deviceId);
  const user = me === undefined ? undefined : state.users.get(me.user);
  return me?.active === true && user?.active === true ? undefined : "inactive";
}

/** One store's consistent copy: its database snapshot at `dbCopy` and its attached files, checked unchanged around it. */
function snapshotStore(vault: Vault, dbCopy: string): { db: number; blobs: BackupBlob[] } {
  const before = heldBlobs(vault);
  const db = snapshotDatabase(vault.store.connection(), dbCopy);
  // A file detached by another airlock while the snapshot was taken would leave a row without
  // its file (or a file without its row): compared before and after, and refused if different.
  const blobs = heldBlobs(vault);
  if (!sameBlobs(before, blobs)) throw backupError("BACKUP_CHANGED", "attached files changed while the database was copied");
  return { db, blobs };
}

/** The index as far as a backup depends on it: which spaces, and which are being left. */
const indexShape = (first: Vault): string => JSON.stringify(readIndex(first).map((e) => [e.id, e.leaving === true]));

/** Writes a backup of `vault` (the first space's vault) and every further space to `out` (see the file comment). */
export async function backupVault(vault: Vault, out: string, options: BackupOptions = {}): Promise<BackupResult> {
  if (vault.store.space) throw new RangeError("a backup is made from the first space's vault");
  const target = real(out);
  if (existsSync(target) && options.force !== true) throw vaultError("VAULT_FILE_EXISTS", `${target} already exists`);
  const home = realpathSync(vault.store.dir);
  if (target === home || target.startsWith(`${home}/`)) throw vaultError("VAULT_BAD_ARGUMENT", "write the backup outside the vault folder (on another disk or stick, ideally)");
  refusePendingJoin(vault, "this vault's join request has not been admitted yet (no welcome imported)");
  removeLeftovers(target, TEMP_TAIL);
  const params = readParams(join(vault.store.dir, PARAMS_FILE));
  const copyPath = (): string => join(dirname(target), `.${basename(target).slice(0, 100)}.${randomBytes(8).toString("hex")}.db-tmp`);
  const copies: string[] = [];
  // Created first: a folder that cannot take the file is a typed FILE_* error before the database is copied.
  const output = await AtomicFile.create(target);
  try {
    const index = readIndex(vault);
    const shape = indexShape(vault);
    options.onProgress?.("database", 0, 1 + index.length);
    const dbCopy = copyPath();
    copies.push(dbCopy);
    const { db, blobs } = snapshotStore(vault, dbCopy);
    options.onProgress?.("database", 1, 1 + index.length);
    const spaces: (BackupSpace & { name: string; dbCopy: string; dir: string })[] = [];
    const skipped: SkippedSpace[] = [];
    for (const [i, entry] of index.entries()) {
      // A space being left is skipped without opening it: a damaged one the person already left
      // does not stand in the way of backing up the others.
      if (entry.leaving === true) {
        skipped.push({ id: entry.id, name: entry.name, reason: "inactive" });
        options.onProgress?.("database", 2 + i, 1 + index.length);
        continue;
      }
      let space: Vault;
      try {
        space = openSpace(vault, entry);
      } catch (e) {
        throw spaceOpenError(entry, e);
      }
      try {
        const reason = skipReason(space);
        if (reason !== undefined) {
          skipped.push({ id: entry.id, name: entry.name, reason });
        } else {
          const copy = copyPath();
          copies.push(copy);
          spaces.push({ id: entry.id, name: entry.name, dbCopy: copy, dir: space.store.dir, ...snapshotStore(space, copy) });
        }
      } finally {
        space.close();
      }
      options.onProgress?.("database", 2 + i, 1 + index.length);
    }
    // The first database (copied above) holds the index and the spaces' keys: a space made, left
    // or deleted by another airlock meanwhile would not match what was copied.
    if (indexShape(vault) !== shape) throw backupError("BACKUP_CHANGED", "a space was made, left or deleted while the vault was copied");
    const created = vault.now();
    const fileBytes = spaces.reduce((n, s) => s.blobs.reduce((m, b) => m + b.size, n), blobs.reduce((n, b) => n + b.size, 0));
    const dbBytes = spaces.reduce((n, s) => n + s.db, db);
    const header = encodeHeader({ params: { cipher: params.cipher, current: params.current }, created, db, blobs, spaces: spaces.map((s) => ({ id: s.id, db: s.db, blobs: s.blobs })) });
    const total = header.length + dbBytes + fileBytes;
    const hash = createHash("sha256");
    // Hashed first: the buffer is reused only after its write reached the kernel.
    const put = (bytes: Uint8Array): Promise<void> => {
      hash.update(bytes);
      return output.write([bytes]);
    };
    await put(header);
    const buffer = Buffer.alloc(CHUNK);
    const copy = async (path: string, size: number, what: string): Promise<void> => {
      const input = openSync(path, "r");
      try {
        for (let at = 0; at < size; ) {
          const n = readSync(input, buffer, 0, Math.min(CHUNK, size - at), at);
          if (n === 0) throw backupError("BACKUP_CHANGED", `${what} shrank while it was copied`);
          await put(buffer.subarray(0, n));
          at += n;
          options.onProgress?.("write", output.length, total);
        }
        if (readSync(input, buffer, 0, 1, size) !== 0) throw backupError("BACKUP_CHANGED", `${what} grew while it was copied`);
      } finally {
        closeSync(input);
      }
    };
    await copy(dbCopy, db, "the database copy");
    for (const b of blobs) await copy(join(vault.store.dir, BLOBS_DIR, b.file), b.size, `attached file ${b.file}`);
    for (const s of spaces) {
      await copy(s.dbCopy, s.db, `the database copy of space ${s.id.slice(0, 8)}`);
      for (const b of s.blobs) await copy(join(s.dir, BLOBS_DIR, b.file), b.size, `attached file ${b.file} of space ${s.id.slice(0, 8)}`);
    }
    await output.write([hash.digest()]);
    await output.commit();
    const files = spaces.reduce((n, s) => n + s.blobs.length, blobs.length);
    return { file: target, bytes: output.length, db: dbBytes, files, fileBytes, created, spaces: spaces.map((s) => ({ id: s.id, name: s.name })), skipped };
  } finally {
    await output.discard();
    for (const c of copies) rmSync(c, { force: true });
  }
}
