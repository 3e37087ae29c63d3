/**
 * Where files are referenced: the live file references of every record this vault may read.
 * Records carry references in their `files` set (apps/attachments); which records ever had one
 * comes from the ops, and the fold says which references are still there.
 */
import { toHex } from "@airlock/bundle-format";
import { FILES_FIELD, filesOf } from "../apps/attachments/field.js";
import { encodeRef, type FileRef } from "../apps/attachments/ref.js";
import { DEVICE_ID_BYTES, HLC_BYTES } from "../records/hlc.js";
import type { StoredBlob } from "../store/blobs.js";
import type { Vault } from "../vault/vault.js";

export interface PlacedRef {
  readonly collection: string;
  readonly record: string;
  readonly ref: FileRef;
}

/**
 * Every live reference in collections this device may read, in a stable order; with `all`, in
 * every collection this vault holds records of (what must not be pruned, even while a key
 * rotation leaves this device without the current key for a while).
 */
export function liveRefs(vault: Vault, only?: { collection?: string; record?: string; all?: boolean }): PlacedRef[] {
  const readable = only?.all === true ? undefined : new Set(vault.readableCollections());
  const out: PlacedRef[] = [];
  const places = only?.record !== undefined && only.collection !== undefined ? [{ collection: only.collection, record: only.record }] : vault.storage.blobs.recordsWithFiles(FILES_FIELD.name);
  for (const { collection, record } of places) {
    if ((readable !== undefined && !readable.has(collection)) || (only?.collection !== undefined && collection !== only.collection)) continue;
    const view = vault.record(collection, record);
    if (view === undefined) continue;
    for (const ref of filesOf(view)) out.push({ collection, record, ref });
  }
  return out.sort((a, b) => (a.collection < b.collection ? -1 : a.collection > b.collection ? 1 : a.record < b.record ? -1 : a.record > b.record ? 1 : a.ref.name < b.ref.name ? -1 : 1));
}

/** References grouped by content address (hex). */
export function refsByHash(refs: readonly PlacedRef[]): Map<string, PlacedRef[]> {
  const out = new Map<string, PlacedRef[]>();
  for (const p of refs) {
    const h = toHex(p.ref.hash);
    const list = out.get(h);
    if (list === undefined) out.set(h, [p]);
    else list.push(p);
  }
  return out;
}

/** The devices (hex) whose additions of this reference are still in the record. */
export function addersOf(vault: Vault, placed: PlacedRef): string[] {
  const tags = vault.recordStore.observedTags(placed.collection, placed.record, FILES_FIELD.name, encodeRef(placed.ref));
  const out = new Set<string>();
  for (let at = 0; at + HLC_BYTES <= tags.length; at += HLC_BYTES) out.add(toHex(tags.subarray(at + HLC_BYTES - DEVICE_ID_BYTES, at + HLC_BYTES)));
  return [...out];
}

/** The held file a reference names, if the reference tells its size truly (the address fixes it). */
export function heldFor(vault: Vault, ref: FileRef): StoredBlob | undefined {
  const blob = vault.storage.blobs.get(ref.hash);
  return blob !== undefined && blob.size === ref.size ? blob : undefined;
}

/**
 * Bytes of held files the records of each collection name, each file counted once per
 * collection (what its quota is charged), from one list of references; `except` is left out.
 */
export function heldBytesByCollection(vault: Vault, refs: readonly PlacedRef[], except?: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  const seen = new Set<string>();
  for (const p of refs) {
    const key = `${p.collection}\u0000${toHex(p.ref.hash)}`;
    if (seen.has(key) || (except !== undefined && Buffer.compare(p.ref.hash, except) === 0)) continue;
    seen.add(key);
    out.set(p.collection, (out.get(p.collection) ?? 0) + (vault.storage.blobs.get(p.ref.hash)?.size ?? 0));
  }
  return out;
}
