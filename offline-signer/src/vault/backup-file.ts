/**
 * The backup file (`airlock backup --out FILE`, docs/vault-store.md "Backup files"): one file
 * holding a consistent copy of each of the vault's encrypted databases (the first space's and
 * every further space's, docs/spaces.md), the KDF parameters that turn the passphrase into the
 * first one's key, and the attached files (each already a bundle sealed to its space's device).
 *
 *   magic   16 bytes  "airlock-backup/1" (the container; the header's version says what is in it)
 *   length  u32be     header length (at most MAX_HEADER_BYTES)
 *   header  JSON      { format, version, params (vault.json's document, one slot), created,
 *                       db: size, blobs: [{ file, size }],
 *                       spaces: [{ id, db: size, blobs: [{ file, size }] }]   (version 2 only) }
 *   db      bytes     the first space's database, still encrypted page by page under the passphrase's key
 *   blobs   bytes     its attached files' bundles, in header order
 *   then, for each space in header order:
 *     db    bytes     the space's database, still encrypted under its random page key (kept in the first database)
 *     blobs bytes     its attached files' bundles, in header order
 *   sha256  32 bytes  over everything before it
 *
 * Version 1 is a vault with no further space carried (what every earlier release wrote, and
 * still written for such a vault, so an older release restores it); version 2 carries 1 to
 * MAX_SPACES further spaces. Nothing here is plaintext of the vault: the header says when, how
 * large, how many spaces (their random ids are the folder names) and how the key is derived, as
 * vault.json and the folder's file names and sizes already do; a space's name lives only inside
 * the first database. The trailing hash tells a truncated or damaged copy apart from a wrong
 * passphrase before anything is written; the databases' own per-page authentication
 * (ChaCha20-Poly1305) is what stops deliberate tampering. The reader bounds every length and
 * count before it allocates.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readSync, rmSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { AirlockError } from "@airlock/shared";
import { parseParams, serializeParams, type VaultParams } from "../store/params.js";
// Used inside functions only: spaces.ts -> vault.ts -> backup-status.ts -> here is a cycle.
import { MAX_SPACES } from "../spaces/layout.js";

export const BACKUP_MAGIC = Buffer.from("airlock-backup/1", "latin1");
export const BACKUP_FORMAT = "airlock-backup";
/** The newest version this release reads; it writes 1 when no further space is carried, else 2. */
export const BACKUP_VERSION = 2;
/** Room for about 100,000 attached files' names and sizes. */
export const MAX_HEADER_BYTES = 8 * 1024 * 1024;
/** Attached files in one backup, all spaces together. */
export const MAX_BLOBS = 100_000;
/** A space's folder name (spaces/spaces.ts): nothing else may become a path. */
const SPACE_ID = /^[0-9a-f]{32}$/;
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
  BACKUP_SPACE_DAMAGED:
    "that space's folder is missing or unreadable, and running the backup again will not change that: remove the space with `airlock spaces leave NAME --now` (what this laptop held of it is lost; its team still has it, and you can join again), or restore a backup that holds it (airlock restore), then back up again",
  BACKUP_TOO_MANY_FILES: `one backup file lists at most ${MAX_BLOBS} attached files (all spaces together); detach files you no longer need (airlock attach rm, then airlock attach prune) and run the backup again`,
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

/** A further space in a version 2 backup: its folder's id, its database's size, its attached files. */
export interface BackupSpace {
  readonly id: string;
  readonly db: number;
  readonly blobs: readonly BackupBlob[];
}

export interface BackupHeader {
  /** The KDF parameters of the passphrase the database is encrypted under (one slot). */
  readonly params: VaultParams;
  /** When the backup was made (ms). */
  readonly created: number;
  readonly db: number;
  readonly blobs: readonly BackupBlob[];
  /** The further spaces carried, in file order (empty: a version 1 file). */
  readonly spaces: readonly BackupSpace[];
}

/** Every attached file the header lists, all spaces together. */
export const blobCount = (h: Pick<BackupHeader, "blobs"> & { readonly spaces?: readonly BackupSpace[] }): number => (h.spaces ?? []).reduce((n, s) => n + s.blobs.length, h.blobs.length);

/** The magic, the length and the header, ready to be written first (no `spaces`: a version 1 file). */
export function encodeHeader(input: Omit<BackupHeader, "spaces"> & { readonly spaces?: readonly BackupSpace[] }): Buffer {
  const h: BackupHeader = { ...input, spaces: input.spaces ?? [] };
  // The reader's bounds, enforced here too: a backup restore would refuse must never be written.
  const count = blobCount(h);
  if (count > MAX_BLOBS) throw backupError("BACKUP_TOO_MANY_FILES", `this vault holds ${count} attached files (a backup lists at most ${MAX_BLOBS})`);
  if (h.spaces.length > MAX_SPACES || h.spaces.some((s) => !SPACE_ID.test(s.id)) || new Set(h.spaces.map((s) => s.id)).size !== h.spaces.length) {
    throw new RangeError("a backup carries at most MAX_SPACES further spaces, each once, named by its folder's id");
  }
  const params = JSON.parse(serializeParams({ cipher: h.params.cipher, current: h.params.current })) as unknown;
  const doc = { format: BACKUP_FORMAT, version: h.spaces.length === 0 ? 1 : 2, params, created: h.created, db: h.db, blobs: h.blobs, ...(h.spaces.length === 0 ? {} : { spaces: h.spaces.map((s) => ({ id: s.id, db: s.db, blobs: s.blobs })) }) };
  const json = Buffer.from(JSON.stringify(doc), "utf8");
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

/** A list of attached files, each name once, each checked before it can become a path. */
function parseBlobs(path: string, blobs: unknown, room: number): BackupBlob[] {
  if (!Array.isArray(blobs) || blobs.length > room) throw malformed(path, "bad list of attached files");
  const seen = new Set<string>();
  return blobs.map((b: unknown) => {
    if (!isRecord(b) || typeof b["file"] !== "string" || !BLOB_NAME.test(b["file"]) || !isSize(b["size"]) || Object.keys(b).length !== 2) throw malformed(path, "bad attached file entry");
    if (seen.has(b["file"])) throw malformed(path, "an attached file is listed twice");
    seen.add(b["file"]);
    return { file: b["file"], size: b["size"] };
  });
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
  const expected = version === 1 ? "blobs,created,db,format,params,version" : "blobs,created,db,format,params,spaces,version";
  if (keys !== expected) throw malformed(path, `unexpected header fields (${keys.slice(0, 80)})`);
  const { created, db, blobs } = doc;
  if (!isSize(created) || !isSize(db) || db === 0) throw malformed(path, "bad sizes in its header");
  const list = parseBlobs(path, blobs, MAX_BLOBS);
  const spaces: BackupSpace[] = [];
  if (version === 2) {
    const raw = doc["spaces"];
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_SPACES) throw malformed(path, `bad list of spaces (1 to ${MAX_SPACES})`);
    let room = MAX_BLOBS - list.length;
    for (const s of raw as unknown[]) {
      if (!isRecord(s) || Object.keys(s).sort().join(",") !== "blobs,db,id") throw malformed(path, "bad space entry");
      const id = s["id"];
      if (typeof id !== "string" || !SPACE_ID.test(id)) throw malformed(path, "a space's id is not 32 hex digits");
      if (spaces.some((x) => x.id === id)) throw malformed(path, "a space is listed twice");
      if (!isSize(s["db"]) || s["db"] === 0) throw malformed(path, "bad sizes in its header");
      const spaceBlobs = parseBlobs(path, s["blobs"], room);
      room -= spaceBlobs.length;
      spaces.push({ id, db: s["db"], blobs: spaceBlobs });
    }
  }
  const params = parseParams(`${path} (header)`, JSON.stringify(doc["params"]));
  if (params.pending !== undefined) throw malformed(path, "its key parameters hold two slots");
  return { params, created, db, blobs: list, spaces };
}

/** Where one store's parts lie in a checked backup file. */
export interface StoreOffsets {
  readonly db: number;
  /** Offset of each attached file, in header order. */
  readonly blobs: readonly number[];
}

/** Where each part of a checked backup file lies. */
export interface BackupLayout {
  readonly path: string;
  readonly header: BackupHeader;
  readonly dbOffset: number;
  /** Offset of each attached file, in header order. */
  readonly blobOffsets: readonly number[];
  /** Each further space's parts, in header order. */
  readonly spaceOffsets: readonly StoreOffsets[];
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

/** Where `readBackup` writes one store's parts (files created with mode 0600, fsynced). */
export interface StoreSink {
  readonly db: string;
  /** Folder for the attached files, under their header names. */
  readonly blobsDir: string;
}

/** Where `readBackup` writes the parts it extracts: the first store's, and each further space's. */
export interface BackupSink extends StoreSink {
  /** Makes the folders of space `id` (an id the header check let through) and says where its parts go. */
  readonly space?: (id: string) => StoreSink;
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
    header.spaces.forEach((space, i) => {
      if (sink.space === undefined) throw new RangeError("readBackup: a version 2 backup needs a sink for its spaces");
      const to = sink.space(space.id);
      const at = layout.spaceOffsets[i]!;
      parts.push({ from: at.db, size: space.db, to: to.db });
      space.blobs.forEach((b, j) => parts.push({ from: at.blobs[j]!, size: b.size, to: join(to.blobsDir, b.file) }));
    });
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
  let end = dbOffset;
  // Each size is a safe integer; their sum must stay one too, or offsets would round.
  const advance = (n: number): number => {
    const at = end;
    end += n;
    if (!Number.isSafeInteger(end)) throw malformed(path, "its header's sizes add up to more than any file holds");
    return at;
  };
  const place = (db: number, blobs: readonly BackupBlob[]): StoreOffsets => ({ db: advance(db), blobs: blobs.map((b) => advance(b.size)) });
  const first = place(header.db, header.blobs);
  const spaceOffsets = header.spaces.map((s) => place(s.db, s.blobs));
  const expected = end + HASH_BYTES;
  if (size < expected) throw backupError("BACKUP_TRUNCATED", `${path} is ${size} bytes; its header announces ${expected}`);
  if (size > expected) throw backupError("BACKUP_CORRUPT", `${path} is ${size} bytes; its header announces ${expected}`);
  return { path, header, dbOffset, blobOffsets: first.blobs, spaceOffsets, size };
}
