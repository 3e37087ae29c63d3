// The merge core: records with per-field LWW registers, append-only lists and tombstones, folded
// from ops into a state that is the same for any order, duplication or batching of the same ops.
// See docs/records-merge.md for the semantics and the canonical serialization.

import { createHash } from "node:crypto";
import { compareHlc, hlc, hlcBytes, hlcKey, type Hlc } from "./hlc.js";
import {
  compareBytes,
  copyValue,
  encodeString,
  encodeValue,
  utf8Bytes,
  validateId,
  validateValue,
  type Value,
} from "./values.js";

interface OpBase {
  readonly collection: string;
  readonly record: string;
  readonly hlc: Hlc;
}
/** Per-field last-writer-wins set. */
export interface SetOp extends OpBase {
  readonly kind: "set";
  readonly field: string;
  readonly value: Value;
}
/** Tombstone: hides every set and append on the record with an HLC <= this one. */
export interface DeleteOp extends OpBase {
  readonly kind: "delete";
}
/** Adds an item to an append-only list; the op id is the HLC. */
export interface AppendOp extends OpBase {
  readonly kind: "append";
  readonly field: string;
  readonly item: Value;
}
export type Op = SetOp | DeleteOp | AppendOp;

/** A timestamped value: a field register's winner or a list item. */
export interface Stamped {
  readonly hlc: Hlc;
  readonly value: Value;
}

/** Merge state of one record. Everything stored is visible: hidden entries are pruned. */
export interface RecordState {
  /** The newest delete seen, if any. */
  readonly deleted: Hlc | undefined;
  readonly fields: ReadonlyMap<string, Stamped>;
  /** List name -> op id (`hlcKey`) -> item. */
  readonly lists: ReadonlyMap<string, ReadonlyMap<string, Stamped>>;
}

/** Collection id -> record id -> record state. Treat as immutable; build with `applyOps`. */
export interface MergeState {
  readonly collections: ReadonlyMap<string, ReadonlyMap<string, RecordState>>;
}

const OP_KEYS = {
  set: ["collection", "field", "hlc", "kind", "record", "value"],
  delete: ["collection", "hlc", "kind", "record"],
  append: ["collection", "field", "hlc", "item", "kind", "record"],
} as const;

/** Validates an untrusted op; returns a normalized, frozen copy. TypeError for shape, RangeError for range. */
export function parseOp(raw: unknown): Op {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new TypeError("op must be an object");
  const o = raw as Record<string, unknown>;
  const kind = o.kind;
  if (kind !== "set" && kind !== "delete" && kind !== "append") {
    throw new TypeError(`op kind must be "set", "delete" or "append", got ${String(kind)}`);
  }
  const keys = Object.keys(o).sort();
  const want = OP_KEYS[kind];
  if (keys.length !== want.length || keys.some((k, i) => k !== want[i])) {
    throw new TypeError(`${kind} op must have exactly the keys ${want.join(", ")}; got ${keys.join(", ")}`);
  }
  const base = {
    collection: validateId(o.collection, "collection id"),
    record: validateId(o.record, "record id"),
    hlc: hlc(o.hlc),
  };
  switch (kind) {
    case "set":
      return Object.freeze({ kind, ...base, field: validateId(o.field, "field name"), value: validateValue(o.value) });
    case "delete":
      return Object.freeze({ kind, ...base });
    case "append":
      return Object.freeze({ kind, ...base, field: validateId(o.field, "list name"), item: validateValue(o.item, "item") });
  }
}

export function emptyState(): MergeState {
  return { collections: new Map() };
}

interface MutableRecord {
  deleted: Hlc | undefined;
  fields: Map<string, Stamped>;
  lists: Map<string, Map<string, Stamped>>;
}

/** Equal HLCs with different values can only come from an equivocating device; break the tie by value bytes. */
function beats(candidate: Stamped, current: Stamped | undefined): boolean {
  if (current === undefined) return true;
  const c = compareHlc(candidate.hlc, current.hlc);
  if (c !== 0) return c > 0;
  return compareBytes(encodeValue(candidate.value), encodeValue(current.value)) > 0;
}

function hiddenBy(h: Hlc, deleted: Hlc | undefined): boolean {
  return deleted !== undefined && compareHlc(h, deleted) <= 0;
}

function applyOne(rec: MutableRecord, op: Op): void {
  if (op.kind === "delete") {
    if (rec.deleted !== undefined && compareHlc(op.hlc, rec.deleted) <= 0) return;
    rec.deleted = op.hlc;
    for (const [name, entry] of rec.fields) if (hiddenBy(entry.hlc, op.hlc)) rec.fields.delete(name);
    for (const [name, list] of rec.lists) {
      for (const [id, entry] of list) if (hiddenBy(entry.hlc, op.hlc)) list.delete(id);
      if (list.size === 0) rec.lists.delete(name);
    }
    return;
  }
  if (hiddenBy(op.hlc, rec.deleted)) return;
  if (op.kind === "set") {
    const entry = { hlc: op.hlc, value: op.value };
    if (beats(entry, rec.fields.get(op.field))) rec.fields.set(op.field, entry);
    return;
  }
  let list = rec.lists.get(op.field);
  if (list === undefined) {
    list = new Map();
    rec.lists.set(op.field, list);
  }
  const id = hlcKey(op.hlc);
  const entry = { hlc: op.hlc, value: op.item };
  if (beats(entry, list.get(id))) list.set(id, entry);
}

/**
 * Folds ops into a state and returns the new state; the input state is not modified. Every op is
 * validated before any is applied, so a bad op throws and nothing changes. The result depends only
 * on the set of ops ever applied: order, duplicates and batching do not matter.
 */
export function applyOps(state: MergeState, ops: Iterable<unknown>): MergeState {
  const parsed: Op[] = [];
  for (const raw of ops) parsed.push(parseOp(raw));
  const collections = new Map(state.collections);
  const copiedCollections = new Set<string>();
  const copiedRecords = new Map<string, Map<string, MutableRecord>>();
  for (const op of parsed) {
    let coll = collections.get(op.collection) as Map<string, RecordState> | undefined;
    if (coll === undefined || !copiedCollections.has(op.collection)) {
      coll = new Map(coll);
      collections.set(op.collection, coll);
      copiedCollections.add(op.collection);
      copiedRecords.set(op.collection, new Map());
    }
    const copied = copiedRecords.get(op.collection) as Map<string, MutableRecord>;
    let rec = copied.get(op.record);
    if (rec === undefined) {
      const old = coll.get(op.record);
      rec = {
        deleted: old?.deleted,
        fields: new Map(old?.fields),
        lists: new Map([...(old?.lists ?? [])].map(([k, v]) => [k, new Map(v)])),
      };
      copied.set(op.record, rec);
      coll.set(op.record, rec);
    }
    applyOne(rec, op);
  }
  return { collections };
}

/** The visible content of a record. */
export interface RecordView {
  readonly fields: ReadonlyMap<string, Value>;
  /** Items in HLC order. */
  readonly lists: ReadonlyMap<string, readonly Value[]>;
}

/** The visible record, or undefined if it never existed or nothing survives its tombstone. */
export function getRecord(state: MergeState, collection: string, record: string): RecordView | undefined {
  const rec = state.collections.get(collection)?.get(record);
  if (rec === undefined || (rec.fields.size === 0 && rec.lists.size === 0)) return undefined;
  const fields = new Map<string, Value>();
  for (const name of sortedKeys(rec.fields)) fields.set(name, copyValue((rec.fields.get(name) as Stamped).value));
  const lists = new Map<string, Value[]>();
  for (const name of sortedKeys(rec.lists)) lists.set(name, listItems(rec.lists.get(name) as ReadonlyMap<string, Stamped>).map((e) => copyValue(e.value)));
  return { fields, lists };
}

/** Ids of the visible records of a collection, in canonical (UTF-8 byte) order. */
export function listRecords(state: MergeState, collection: string): string[] {
  const coll = state.collections.get(collection);
  if (coll === undefined) return [];
  return sortedKeys(coll).filter((id) => {
    const rec = coll.get(id) as RecordState;
    return rec.fields.size > 0 || rec.lists.size > 0;
  });
}

function listItems(list: ReadonlyMap<string, Stamped>): Stamped[] {
  return [...list.values()].sort((a, b) => compareHlc(a.hlc, b.hlc));
}

/** Keys in UTF-8 byte order (not UTF-16 code unit order, which differs above U+FFFF). */
function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()]
    .map((k) => [k, utf8Bytes(k)] as const)
    .sort((a, b) => compareBytes(a[1], b[1]))
    .map(([k]) => k);
}

const MAGIC = utf8Bytes("airlock-records-v1\n");

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** Canonical serialization of a state (byte layout in docs/records-merge.md). */
export function serializeState(state: MergeState): Uint8Array {
  const parts: Uint8Array[] = [MAGIC];
  const collIds = sortedKeys(state.collections);
  parts.push(u32(collIds.length));
  for (const cid of collIds) {
    const coll = state.collections.get(cid) as ReadonlyMap<string, RecordState>;
    const recIds = sortedKeys(coll);
    parts.push(encodeString(cid), u32(recIds.length));
    for (const rid of recIds) {
      const rec = coll.get(rid) as RecordState;
      parts.push(encodeString(rid));
      if (rec.deleted === undefined) parts.push(Uint8Array.of(0));
      else parts.push(Uint8Array.of(1), hlcBytes(rec.deleted));
      const names = sortedKeys(rec.fields);
      parts.push(u32(names.length));
      for (const name of names) {
        const e = rec.fields.get(name) as Stamped;
        parts.push(encodeString(name), hlcBytes(e.hlc), encodeValue(e.value));
      }
      const listNames = sortedKeys(rec.lists);
      parts.push(u32(listNames.length));
      for (const name of listNames) {
        const items = listItems(rec.lists.get(name) as ReadonlyMap<string, Stamped>);
        parts.push(encodeString(name), u32(items.length));
        for (const e of items) parts.push(hlcBytes(e.hlc), encodeValue(e.value));
      }
    }
  }
  return Buffer.concat(parts);
}

/** SHA-256 of `serializeState`, lowercase hex: equal digests mean converged vaults. */
export function stateDigest(state: MergeState): string {
  return createHash("sha256").update(serializeState(state)).digest("hex");
}
