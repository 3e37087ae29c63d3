/**
 * Attaching, reading, listing and detaching files on this laptop (`airlock attach …`, the TUI).
 * Attaching seals the file to this device into blobs/ in one streamed pass (flat memory) and
 * adds its reference to the record; the file's content address is the SHA-256 the seal computes
 * anyway, so the same file attached twice is stored and sent once.
 */
import { lstatSync, rmSync } from "node:fs";
import { basename, extname } from "node:path";
import { encodeFileHead, equalBytes, FILE_HEAD_LENGTH, MAX_BUCKET, toHex } from "@airlock/bundle-format";
import { AirlockError, openFile, sealFile } from "@airlock/shared";
import type { Intent } from "../apps/app.js";
import { FILES_FIELD } from "../apps/attachments/field.js";
import { DEFAULT_TYPE, encodeRef, nameProblem, refId, typeProblem, type FileRef } from "../apps/attachments/ref.js";
import { vaultError } from "../vault/errors.js";
import type { Vault } from "../vault/vault.js";
import { blobPath, newBlobName, removeBlobFile, sweep } from "./folder.js";
import { quotaOf } from "./quota.js";
import { heldBytesByCollection, heldFor, liveRefs, refsByHash, type PlacedRef } from "./refs.js";

export type Progress = (done: number, total: number) => void;

/** A zero mailbox tag: a held file never travels as it is stored (exports seal it again). */
const NO_TAG = new Uint8Array(16);

const TYPES: Record<string, string> = {
  ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
  ".txt": "text/plain", ".md": "text/markdown", ".csv": "text/csv", ".json": "application/json", ".zip": "application/zip",
  ".doc": "application/msword", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".odt": "application/vnd.oasis.opendocument.text", ".mp3": "audio/mpeg", ".mp4": "video/mp4", ".ogg": "audio/ogg", ".wav": "audio/wav",
};

export function guessType(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? DEFAULT_TYPE;
}

function requireFilesCollection(vault: Vault, collection: string): void {
  const app = vault.appOf(collection);
  if (app === undefined) throw vaultError("VAULT_NOT_FOUND", `no collection "${collection}" of a type this release knows`);
  if (!app.schema.versions[app.schema.version]?.some((f) => f.name === FILES_FIELD.name)) {
    throw vaultError("VAULT_BAD_ARGUMENT", `records of collection "${collection}" (${app.schema.app}) cannot carry files`);
  }
  if (!vault.readableCollections().includes(collection)) throw vaultError("VAULT_NOT_ALLOWED", `this device may not read "${collection}" (now)`);
}

/** What the record's app writes beside a file change (a ticket's history entry). */
function companions(vault: Vault, collection: string, record: string, action: "attached" | "removed", name: string): Intent[] {
  return vault.appOf(collection)?.fileChange?.(record, { action, name, user: vault.me().user.id, at: vault.now() }) ?? [];
}

export interface Attached {
  readonly record: string;
  readonly ref: FileRef;
  /** The same content was already held (attached elsewhere, or received): nothing new stored. */
  readonly deduplicated: boolean;
}

/** Attaches the file at `path` to a record: sealed into blobs/, then its reference written. */
export async function attachFile(
  vault: Vault,
  collection: string,
  recordRef: string,
  path: string,
  options: { name?: string; type?: string; onProgress?: Progress; signal?: AbortSignal } = {},
): Promise<Attached> {
  requireFilesCollection(vault, collection);
  const record = vault.findRecord(collection, recordRef).id;
  sweep(vault);
  const name = options.name ?? basename(path);
  const type = options.type ?? guessType(name);
  const bad = nameProblem(name) ?? typeProblem(type);
  if (bad !== undefined) throw vaultError("VAULT_BAD_ARGUMENT", bad);
  let stats;
  try {
    stats = lstatSync(path);
  } catch (e) {
    throw new AirlockError("SOURCE_NOT_FOUND", `${path} does not exist`, { hint: "check the path", cause: e });
  }
  if (!stats.isFile()) throw vaultError("VAULT_BAD_ARGUMENT", `${path} is not a regular file (links, folders and devices are not attached)`);
  const quota = quotaOf(vault, collection);
  if (stats.size > quota.maxFile) {
    throw vaultError("VAULT_FILE_QUOTA", `${name} is ${stats.size} bytes; collection "${collection}" takes files up to ${quota.maxFile} bytes on this laptop`);
  }

  const file = newBlobName();
  const sealed = await sealFile(path, blobPath(vault, file), {
    recipients: [vault.encryptionKey.publicKey],
    sender: vault.deviceKey,
    mailboxTag: NO_TAG,
    head: encodeFileHead(stats.size),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const size = sealed.bodyLength - FILE_HEAD_LENGTH;
  const ref: FileRef = { hash: sealed.bodyHash, name, size, type };
  let added = false;
  try {
    const used = heldBytesByCollection(vault, liveRefs(vault, { collection }), ref.hash).get(collection) ?? 0;
    if (used + size > quota.total) {
      throw vaultError("VAULT_FILE_QUOTA", `collection "${collection}" holds ${used} bytes of files; ${name} (${size} bytes) would pass its ${quota.total}-byte total on this laptop`);
    }
    vault.tx(() => {
      added = vault.storage.blobs.add({ hash: ref.hash, size, file, added: vault.now() });
      vault.write(collection, [{ kind: "add", record, field: FILES_FIELD.name, value: encodeRef(ref) }, ...companions(vault, collection, record, "attached", name)]);
    });
  } finally {
    if (!added) removeBlobFile(vault, file); // a duplicate, or the write was refused
  }
  return { record, ref, deduplicated: !added };
}

export interface FileEntry extends PlacedRef {
  /** Whether this laptop holds the file's bytes. */
  readonly held: boolean;
}

/** The files of one record, of one collection, or of every collection this device may read. */
export function listFiles(vault: Vault, where: { collection?: string; record?: string } = {}): FileEntry[] {
  if (where.collection !== undefined) requireFilesCollection(vault, where.collection);
  const record = where.record === undefined || where.collection === undefined ? undefined : vault.findRecord(where.collection, where.record).id;
  const refs = liveRefs(vault, { ...(where.collection === undefined ? {} : { collection: where.collection }), ...(record === undefined ? {} : { record }) });
  return refs.map((p) => ({ ...p, held: heldFor(vault, p.ref) !== undefined }));
}

/** One file of a record, by its name or the start of its id (content address). */
export function findFile(vault: Vault, collection: string, recordRef: string, which?: string): PlacedRef {
  const files = listFiles(vault, { collection, record: recordRef });
  if (files.length === 0) throw vaultError("VAULT_NOT_FOUND", `that ${vault.appOf(collection)?.noun ?? "record"} carries no files`);
  if (which === undefined) {
    if (files.length === 1) return files[0]!;
    throw vaultError("VAULT_AMBIGUOUS", `it carries ${files.length} files; name one: ${files.map((f) => f.ref.name).join(", ")}`);
  }
  const byName = files.filter((f) => f.ref.name === which);
  const byId = files.filter((f) => which.length >= 4 && toHex(f.ref.hash).startsWith(which.toLowerCase()));
  const hits = byName.length > 0 ? byName : byId;
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) throw vaultError("VAULT_NOT_FOUND", `no file "${which}" on that record`);
  throw vaultError("VAULT_AMBIGUOUS", `"${which}" names ${hits.length} files; use more of the id (airlock attach list)`);
}

/** Writes an attached file's bytes to `out` (atomically; never over an existing file unless `force`). */
export async function getFile(vault: Vault, placed: PlacedRef, out: string, options: { force?: boolean; onProgress?: Progress; signal?: AbortSignal } = {}): Promise<void> {
  const blob = heldFor(vault, placed.ref);
  if (blob === undefined) throw vaultError("VAULT_FILE_MISSING", `${placed.ref.name} (${refId(placed.ref)}) is not on this laptop yet`);
  if (options.force !== true) {
    let exists = true;
    try {
      lstatSync(out);
    } catch {
      exists = false;
    }
    if (exists) throw vaultError("VAULT_FILE_EXISTS", `${out} already exists`);
  }
  const opened = await openFile(blobPath(vault, blob.file), out, {
    recipient: vault.encryptionKey,
    maxLength: MAX_BUCKET,
    headLength: FILE_HEAD_LENGTH,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (!equalBytes(opened.bodyHash, placed.ref.hash)) {
    // Checked when it was stored; a mismatch now means the disk changed under the vault.
    rmSync(out, { force: true });
    throw vaultError("VAULT_BAD_ARGUMENT", `the stored copy of ${placed.ref.name} does not match its content address; it was damaged on disk`);
  }
}

/** Takes a file off a record (the bytes stay while another record names them). */
export function detachFile(vault: Vault, placed: PlacedRef): void {
  // The bytes stay: another record may name them too. `prune` collects what nothing names.
  vault.write(placed.collection, [
    { kind: "remove", record: placed.record, field: FILES_FIELD.name, value: encodeRef(placed.ref) },
    ...companions(vault, placed.collection, placed.record, "removed", placed.ref.name),
  ]);
}

/** Removes held files no live reference names any more; returns the bytes freed. */
export function prune(vault: Vault): number {
  const live = refsByHash(liveRefs(vault, { all: true }));
  let freed = 0;
  for (const b of vault.storage.blobs.all()) {
    if (live.has(toHex(b.hash))) continue;
    vault.tx(() => vault.storage.blobs.remove(b.hash));
    removeBlobFile(vault, b.file);
    freed += b.size;
  }
  return freed;
}

/**
 * The collection holding record `ref` (an id or unique prefix): `collection` when given, else
 * the one readable collection whose records carry files and hold a matching id.
 */
export function locateRecord(vault: Vault, ref: string, collection?: string): { collection: string; record: string } {
  if (collection !== undefined) {
    requireFilesCollection(vault, collection);
    return { collection, record: vault.findRecord(collection, ref).id };
  }
  const hits: { collection: string; record: string }[] = [];
  for (const c of vault.readableCollections()) {
    const app = vault.appOf(c);
    if (app === undefined || !app.schema.versions[app.schema.version]?.some((f) => f.name === FILES_FIELD.name)) continue;
    const exact = vault.record(c, ref);
    const ids = exact !== undefined ? [exact.id] : ref.length < 4 ? [] : vault.recordStore.idsStartingWith(c, ref, 2);
    for (const id of ids) hits.push({ collection: c, record: id });
  }
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) throw vaultError("VAULT_NOT_FOUND", `no record "${ref}" in any collection you may read`);
  throw vaultError("VAULT_AMBIGUOUS", `"${ref}" matches records in ${[...new Set(hits.map((h) => h.collection))].join(", ")}; add --collection or more characters`);
}

/** Attached files of every readable record: how many distinct ones are here (and their bytes), how many not yet. */
export function fileSummary(vault: Vault): { held: number; bytes: number; missing: number } {
  const seen = new Map<string, FileEntry>();
  for (const f of listFiles(vault)) {
    const h = toHex(f.ref.hash);
    if (!seen.get(h)?.held) seen.set(h, f);
  }
  let held = 0;
  let bytes = 0;
  for (const f of seen.values()) {
    if (!f.held) continue;
    held++;
    bytes += f.ref.size;
  }
  return { held, bytes, missing: seen.size - held };
}
