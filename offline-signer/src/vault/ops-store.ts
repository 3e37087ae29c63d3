/**
 * Ops as stored rows, and the read side of the merge rule (docs/records-merge.md): a field's
 * value is its set op with the largest (HLC, value) after the record's newest delete.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { hlcBytes } from "../records/hlc.js";
import { encodeValue, type Value } from "../records/values.js";
import type { OpKind, PlainOp } from "../sync/changeset.js";

export interface RecordView {
  readonly collection: string;
  readonly id: string;
  readonly fields: Record<string, Value>;
  readonly lists: Record<string, Value[]>;
  /** HLC wall time of the newest visible write. */
  readonly updated: number;
  /** Device ids (hex) that wrote what is visible. */
  readonly authors: string[];
}

export interface OpRow {
  readonly field: string;
  readonly kind: number;
  readonly hlc: Buffer;
  readonly value: Buffer;
}

const KIND_CODE: Record<OpKind, number> = { set: 0, delete: 1, append: 2 };

export const INSERT_OP = "INSERT INTO ops (cs, collection, record, field, kind, hlc, value) VALUES (?, ?, ?, ?, ?, ?, ?)";

export function insertOps(db: Database.Database, cs: number, collection: string, deviceHex: string, ops: readonly PlainOp[], insert: Database.Statement = db.prepare(INSERT_OP)): void {
  // Every op of a changeset has the same device: lay it out once, then set wall and counter.
  const template = hlcBytes({ wall: 0, counter: 0, device: deviceHex });
  for (const o of ops) {
    const hlc = template.slice();
    const view = new DataView(hlc.buffer);
    view.setUint32(0, Math.floor(o.wall / 2 ** 32));
    view.setUint32(4, o.wall % 2 ** 32);
    view.setUint32(8, o.counter);
    insert.run(cs, collection, o.record, o.field, KIND_CODE[o.kind], hlc, encodeValue(o.value));
  }
}

/** Reads back a value stored with encodeValue. */
export function decodeStoredValue(b: Uint8Array): Value {
  switch (b[0]) {
    case 0:
      return null;
    case 1:
      return false;
    case 2:
      return true;
    case 3:
      return Number(new DataView(b.buffer, b.byteOffset, b.length).getBigInt64(1));
    case 4:
      return new TextDecoder().decode(b.subarray(5));
    default:
      return new Uint8Array(b.subarray(5));
  }
}

/** The merge rule of docs/records-merge.md over one record's ops sorted by (hlc, value). */
export function foldRecord(collection: string, id: string, rows: readonly OpRow[]): RecordView | undefined {
  let deleted: Buffer | undefined;
  for (const r of rows) if (r.kind === 1 && (deleted === undefined || Buffer.compare(r.hlc, deleted) > 0)) deleted = r.hlc;
  const fields: Record<string, Value> = Object.create(null) as Record<string, Value>;
  const lists: Record<string, Value[]> = Object.create(null) as Record<string, Value[]>;
  const seenItems = new Set<string>();
  let newest: Buffer | undefined;
  const authors = new Set<string>();
  for (const r of rows) {
    if (r.kind === 1 || (deleted !== undefined && Buffer.compare(r.hlc, deleted) <= 0)) continue;
    newest = r.hlc;
    authors.add(r.hlc.subarray(12).toString("hex"));
    if (r.kind === 0) fields[r.field] = decodeStoredValue(r.value);
    else {
      const k = `${r.field}\u0000${r.hlc.toString("hex")}`;
      if (seenItems.has(k)) continue;
      seenItems.add(k);
      (lists[r.field] ??= []).push(decodeStoredValue(r.value));
    }
  }
  if (newest === undefined) return undefined;
  return { collection, id, fields, lists, updated: Number(newest.readBigUInt64BE(0)), authors: [...authors].sort() };
}

