/**
 * `airlock backup --out FILE`: the vault's database (a consistent snapshot, still encrypted
 * under the passphrase's key), its KDF parameters and its attached files in one file
 * (backup-file.ts), written through shared's AtomicFile: a temp name with mode 0600, renamed
 * into place only once complete and on disk. Restoring it: backup-restore.ts. Docs: docs/vault-store.md "Backup
 * files", docs/sync.md "Restoring a backup".
 */
import { closeSync, existsSync, lstatSync, openSync, readSync, realpathSync, rmSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { AtomicFile } from "@airlock/shared";
import { PARAMS_FILE } from "../store/index.js";
import { readParams } from "../store/params.js";
import { snapshotDatabase } from "../store/snapshot.js";
import { BLOBS_DIR } from "../attachments/folder.js";
import { backupError, encodeHeader, removeLeftovers, type BackupBlob } from "./backup-file.js";
import { refusePendingJoin } from "./backup-status.js";
import { vaultError } from "./errors.js";
import type { Vault } from "./vault.js";

export interface BackupResult {
  readonly file: string;
  /** Size of the backup file. */
  readonly bytes: number;
  /** Size of the database copy inside it. */
  readonly db: number;
  readonly files: number;
  readonly fileBytes: number;
  readonly created: number;
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

/** Writes a backup of `vault` to `out` (see the file comment). */
export async function backupVault(vault: Vault, out: string, options: BackupOptions = {}): Promise<BackupResult> {
  const target = real(out);
  if (existsSync(target) && options.force !== true) throw vaultError("VAULT_FILE_EXISTS", `${target} already exists`);
  const home = realpathSync(vault.store.dir);
  if (target === home || target.startsWith(`${home}/`)) throw vaultError("VAULT_BAD_ARGUMENT", "write the backup outside the vault folder (on another disk or stick, ideally)");
  refusePendingJoin(vault, "this vault's join request has not been admitted yet (no welcome imported)");
  removeLeftovers(target, TEMP_TAIL);
  const params = readParams(join(vault.store.dir, PARAMS_FILE));
  const dbCopy = join(dirname(target), `.${basename(target).slice(0, 100)}.${randomBytes(8).toString("hex")}.db-tmp`);
  // Created first: a folder that cannot take the file is a typed FILE_* error before the database is copied.
  const output = await AtomicFile.create(target);
  try {
    const before = heldBlobs(vault);
    options.onProgress?.("database", 0, 1);
    const db = snapshotDatabase(vault.store.connection(), dbCopy);
    options.onProgress?.("database", 1, 1);
    // A file detached by another airlock while the snapshot was taken would leave a row without
    // its file (or a file without its row): compared before and after, and refused if different.
    const blobs = heldBlobs(vault);
    if (!sameBlobs(before, blobs)) throw backupError("BACKUP_CHANGED", "attached files changed while the database was copied");
    const created = vault.now();
    const fileBytes = blobs.reduce((n, b) => n + b.size, 0);
    const header = encodeHeader({ params: { cipher: params.cipher, current: params.current }, created, db, blobs });
    const total = header.length + db + fileBytes;
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
    await output.write([hash.digest()]);
    await output.commit();
    return { file: target, bytes: output.length, db, files: blobs.length, fileBytes, created };
  } finally {
    await output.discard();
    rmSync(dbCopy, { force: true });
  }
}
