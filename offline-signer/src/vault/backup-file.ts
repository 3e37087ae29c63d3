/**
 * The backup file (`airlock backup --out FILE`, docs/vault-store.md "Backup files"): one file
 * holding a consistent copy of the vault's encrypted database, the KDF parameters that turn the
 * passphrase into its key, and the attached files (each already a bundle sealed to the device).
 *
 *   magic   16 bytes  "airlock-backup/1"
 *   length  u32be     header length (at most MAX_HEADER_BYTES)
 *   header  JSON      { format, version, params (vault.json's document, one slot), created,
 *                       db: size, blobs: [{ file, size }] }
 *   db      bytes     the database, still encrypted page by page under the passphrase's key
 *   blobs   bytes     each attached file's bundle, in header order
 *   sha256  32 bytes  over everything before it
 *
 * Nothing here is plaintext of the vault: the header says when, how large and how the key is
 * derived, as vault.json and the folder's file sizes already do. The trailing hash tells a
 * truncated or damaged copy apart from a wrong passphrase before anything is written; the
 * database's own per-page authentication (ChaCha20-Poly1305) is what stops deliberate tampering.
 * The reader bounds every length before it allocates.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readSync, rmSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { AirlockError } from "@airlock/shared";
import { parseParams, serializeParams, type VaultParams } from "../store/params.js";

export const BACKUP_MAGIC = Buffer.from("airlock-backup/1", "latin1");
export const BACKUP_FORMAT = "airlock-backup";
export const BACKUP_VERSION = 1;
/** Room for about 100,000 attached files' names and sizes. */
export const MAX_HEADER_BYTES = 8 * 1024 * 1024;
export const MAX_BLOBS = 100_000;
const HASH_BYTES = 32;
const PREFIX_BYTES = BACKUP_MAGIC.length + 4;
/** Attached files are named by attachments/folder.ts newBlobName: nothing else may become a path. */
const BLOB_NAME = /^[0-9a-f]{32}\.bundle$/;

export const BACKUP_HINTS = {
  BACKUP_NOT_A_BACKUP: "give the file `airlock backup --out FILE` wrote (a vault folder or a bundle is not a backup)",
  BACKUP_TRUNCATED: "the copy is incomplete (an interrupted copy, a full disk); use another copy of the backup",
  BACKUP_CORRUPT: "the file was damaged after it was written; use another copy of the backup",
  BACKUP_VERSION: "this backup was written by a newer airlock; restore it with that release",
  BACKUP_TARGET_EXISTS: "restore into an empty folder (--home DIR), or add --force to move the vault there aside first",
  BACKUP_CHANGED: "the vault changed while it was being copied (another airlock detached a file?); run the backup again",
  BACKUP_TOO_MANY_FILES: `one backup file lists at most ${MAX_BLOBS} attached files; detach files you no longer need (airlock attach rm, then airlock attach prune) and run the backup again`,
  BACKUP_RESTORE_PENDING:
    "wait until each device named has exported to this vault (airlock status names them); revoke a device of yours no longer in use; if one never will, `airlock devices revoke OLD --force` (what the old device wrote after the backup that this vault lacks is then refused everywhere)",
  BACKUP_RESTORE_REFUSED:
    "this vault cannot be admitted any more: start a fresh vault on this laptop (airlock join --home NEW) and have another device of yours admit it (airlock devices add), or use recovery shares (docs/recovery.md); what the team holds comes back to it by sync",
  BACKUP_NOT_ADMITTED:
    "this vault asked to join a team and was not admitted yet: back it up after its welcome is imported; a backup restored now would bring back the device of that join request, whose later changes it would contradict",
  BACKUP_DEVICE_REVOKED: "this backup's device was revoked or removed before the backup was made; join again with a fresh vault (airlock join), or use recovery shares (docs/recovery.md)",
  BACKUP_LIVE_CHANGES:
    "the vault there works: use it instead. To replace it anyway, export from it, have a teammate import that and export back, then restore again; or move the folder away yourself if you accept losing those changes",
  BACKUP_RESTORE_FAILED: "report this as a bug; nothing was restored and the backup file is unchanged",
} as const;
export type BackupErrorCode = keyof typeof BACKUP_HINTS;

export function backupError(code: BackupErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: BACKUP_HINTS[code], cause });
}

export interface BackupBlob {
  readonly file: string;
  readonly size: number;
}

export interface BackupHeader {
  /** The KDF parameters of the passphrase the database is encrypted under (one slot). */
  readonly params: VaultParams;
  /** When the backup was made (ms). */
  readonly created: number;
  readonly db: number;
  readonly blobs: readonly BackupBlob[];
}

/** The magic, the length and the header, ready to be written first. */
export function encodeHeader(h: BackupHeader): Buffer {
  // The reader's bounds, enforced here too: a backup restore would refuse must never be written.
  if (h.blobs.length > MAX_BLOBS) throw backupError("BACKUP_TOO_MANY_FILES", `this vault holds ${h.blobs.length} attached files (a backup lists at most ${MAX_BLOBS})`);
  const params = JSON.parse(serializeParams({ cipher: h.params.cipher, current: h.params.current })) as unknown;
  const json = Buffer.from(JSON.stringify({ format: BACKUP_FORMAT, version: BACKUP_VERSION, params, created: h.created, db: h.db, blobs: h.blobs }), "utf8");
  if (json.length > MAX_HEADER_BYTES) throw backupError("BACKUP_TOO_MANY_FILES", `the list of attached files would take ${json.length} bytes (a backup's header holds at most ${MAX_HEADER_BYTES})`);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([BACKUP_MAGIC, length, json]);
}

/**
 * Removes what an interrupted backup or restore into `target` left beside it, hidden names
 * `.<target's name>.<tail>` (a database copy, a staging folder: a whole vault's keys); returns how many.
 */
export function removeLeftovers(target: string, tail: RegExp): number {
  const dir = dirname(target);
  const prefix = `.${basename(target).slice(0, 100)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names) {
    if (!name.startsWith(prefix) || !tail.test(name.slice(prefix.length))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    n++;
  }
  return n;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isSize = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function malformed(path: string, what: string): AirlockError {
  return backupError("BACKUP_NOT_A_BACKUP", `${path} is not an Airlock backup: ${what}`);
}

/** Decodes and checks the header's JSON; every count and size is bounded before use. */
export function parseHeader(path: string, json: Buffer): BackupHeader {
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString("utf8"));
  } catch {
    throw malformed(path, "its header is not JSON");
  }
  if (!isRecord(doc) || doc["format"] !== BACKUP_FORMAT) throw malformed(path, "unknown header format");
  const version = doc["version"];
  if (!isSize(version) || version < 1) throw malformed(path, "bad header version");
  if (version > BACKUP_VERSION) throw backupError("BACKUP_VERSION", `${path} is a version ${version} backup; this airlock reads up to ${BACKUP_VERSION}`);
  const keys = Object.keys(doc).sort().join(",");
  if (keys !== "blobs,created,db,format,params,version") throw malformed(path, `unexpected header fields (${keys.slice(0, 80)})`);
  const { created, db, blobs } = doc;
  if (!isSize(created) || !isSize(db) || db === 0) throw malformed(path, "bad sizes in its header");
  if (!Array.isArray(blobs) || blobs.length > MAX_BLOBS) throw malformed(path, "bad list of attached files");
  const seen = new Set<string>();
  const list: BackupBlob[] = blobs.map((b: unknown) => {
    if (!isRecord(b) || typeof b["file"] !== "string" || !BLOB_NAME.test(b["file"]) || !isSize(b["size"]) || Object.keys(b).length !== 2) throw malformed(path, "bad attached file entry");
    if (seen.has(b["file"])) throw malformed(path, "an attached file is listed twice");
    seen.add(b["file"]);
    return { file: b["file"], size: b["size"] };
  });
  const params = parseParams(`${path} (header)`, JSON.stringify(doc["params"]));
  if (params.pending !== undefined) throw malformed(path, "its key parameters hold two slots");
  return { params, created, db, blobs: list };
}

/** Where each part of a checked backup file lies. */
export interface BackupLayout {
  readonly path: string;
  readonly header: BackupHeader;
  readonly dbOffset: number;
  /** Offset of each attached file, in header order. */
  readonly blobOffsets: readonly number[];
  readonly size: number;
}

const CHUNK = 4 * 1024 * 1024;

function readExactly(fd: number, buffer: Buffer, position: number): number {
  let at = 0;
  while (at < buffer.length) {
    const n = readSync(fd, buffer, at, buffer.length - at, position + at);
    if (n === 0) break;
    at += n;
  }
  return at;
}

/** Where `readBackup` writes the parts it extracts (files created with mode 0600, fsynced). */
export interface BackupSink {
  readonly db: string;
  /** Folder for the attached files, under their header names. */
  readonly blobsDir: string;
}

/**
 * Reads and checks a backup file in one pass over one open handle: its magic, header and sizes,
 * then its hash over every byte (reported through `onProgress`). The database and the attached
 * files are written out to `sink` in the same pass, so the bytes extracted are exactly the
 * bytes hashed (a file changed between a check and a second read could not slip through); the
 * caller discards what was written when this throws. Typed errors tell a foreign file, a
 * truncated one, a damaged one and a newer format apart.
 */
export async function readBackup(path: string, sink: BackupSink, onProgress?: (done: number, total: number) => void): Promise<BackupLayout> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new AirlockError("SOURCE_NOT_FOUND", `cannot read ${path}: ${(e as Error).message}`, { hint: "check the path", cause: e });
  }
  try {
    const layout = readLayout(fd, path);
    const { header, dbOffset, blobOffsets } = layout;
    const end = layout.size - HASH_BYTES;
    const parts: { from: number; size: number; to: string | undefined }[] = [{ from: 0, size: dbOffset, to: undefined }, { from: dbOffset, size: header.db, to: sink.db }];
    header.blobs.forEach((b, i) => parts.push({ from: blobOffsets[i]!, size: b.size, to: join(sink.blobsDir, b.file) }));
    const hash = createHash("sha256");
    const buffer = Buffer.alloc(CHUNK);
    for (const part of parts) {
      const output = part.to === undefined ? undefined : openSync(part.to, "wx", 0o600);
      try {
        for (let at = 0; at < part.size; ) {
          const n = readExactly(fd, buffer.subarray(0, Math.min(CHUNK, part.size - at)), part.from + at);
          if (n === 0) throw backupError("BACKUP_TRUNCATED", `${path} shrank while it was read`);
          hash.update(buffer.subarray(0, n));
          if (output !== undefined) for (let w = 0; w < n; ) w += writeSync(output, buffer, w, n - w);
          at += n;
          onProgress?.(part.from + at, end);
          // Lets a progress line be drawn between reads of a large backup.
          await new Promise((r) => setImmediate(r));
        }
        if (output !== undefined) fsyncSync(output);
      } finally {
        if (output !== undefined) closeSync(output);
      }
    }
    const trailer = Buffer.alloc(HASH_BYTES);
    if (readExactly(fd, trailer, end) !== HASH_BYTES) throw backupError("BACKUP_TRUNCATED", `${path} shrank while it was read`);
    if (!hash.digest().equals(trailer)) throw backupError("BACKUP_CORRUPT", `${path} does not match its own checksum`);
    return layout;
  } finally {
    closeSync(fd);
  }
}

/** The magic, header and sizes of the open backup file `fd`; every length bounded before use. */
function readLayout(fd: number, path: string): BackupLayout {
  const stats = fstatSync(fd);
  if (!stats.isFile()) throw malformed(path, "not a regular file");
  const size = stats.size;
  const prefix = Buffer.alloc(PREFIX_BYTES);
  const got = readExactly(fd, prefix, 0);
  if (got < BACKUP_MAGIC.length || !prefix.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) {
    // A file cut inside the magic itself is still recognisably ours.
    if (got > 0 && got < BACKUP_MAGIC.length && BACKUP_MAGIC.subarray(0, got).equals(prefix.subarray(0, got))) throw backupError("BACKUP_TRUNCATED", `${path} ends inside its first bytes`);
    throw malformed(path, "it does not start with an Airlock backup's magic");
  }
  if (got < PREFIX_BYTES) throw backupError("BACKUP_TRUNCATED", `${path} ends before its header`);
  const headerLength = prefix.readUInt32BE(BACKUP_MAGIC.length);
  if (headerLength > MAX_HEADER_BYTES) throw malformed(path, `a header of ${headerLength} bytes (at most ${MAX_HEADER_BYTES})`);
  if (PREFIX_BYTES + headerLength > size) throw backupError("BACKUP_TRUNCATED", `${path} ends inside its header`);
  const json = Buffer.alloc(headerLength);
  readExactly(fd, json, PREFIX_BYTES);
  const header = parseHeader(path, json);
  const dbOffset = PREFIX_BYTES + headerLength;
  const blobOffsets: number[] = [];
  let end = dbOffset + header.db;
  for (const b of header.blobs) {
    blobOffsets.push(end);
    end += b.size;
  }
  const expected = end + HASH_BYTES;
  if (size < expected) throw backupError("BACKUP_TRUNCATED", `${path} is ${size} bytes; its header announces ${expected}`);
  if (size > expected) throw backupError("BACKUP_CORRUPT", `${path} is ${size} bytes; its header announces ${expected}`);
  return { path, header, dbOffset, blobOffsets, size };
}
