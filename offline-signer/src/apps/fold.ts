/**
 * The one record fold (docs/records-merge.md), used by the store that materializes records and
 * by the convergence tests: a record's ops, as stored rows, in, its visible content out. The
 * result depends only on the set of rows, never on their order.
 *
 * - delete: a tombstone; hides every op of the record with an HLC at or before it.
 * - set: the field's value is the set op with the largest (HLC, value bytes).
 * - append: list items ordered by (HLC, value bytes); identical items at one HLC count once.
 * - add / remove: an add-wins set. Each add is tagged with its HLC; a remove names the tags of
 *   the adds its author had seen, so a concurrent add of the same value survives it.
 */
import { HLC_BYTES } from "../records/hlc.js";
import type { Value } from "../records/values.js";
import type { RecordView } from "./app.js";

export const OP_CODE = { set: 0, delete: 1, append: 2, add: 3, remove: 4 } as const;
export type OpKind = keyof typeof OP_CODE;
export const OP_KINDS: readonly OpKind[] = ["set", "delete", "append", "add", "remove"];

/** One stored op: value is `encodeValue` bytes; hlc is `hlcBytes` (wall, counter, device). */
export interface OpRow {
  readonly field: string;
  readonly kind: number;
  readonly hlc: Uint8Array;
  readonly value: Uint8Array;
}

const UTF8 = new TextDecoder();

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
      return text(b);
    default:
      return new Uint8Array(b.subarray(5));
  }
}

/**
 * The string after a value's 5-byte header. Buffer's UTF-8 reader is several times faster than
 * TextDecoder for short values and reads what encodeValue wrote alike, except a leading
 * byte-order mark, which TextDecoder drops: such a value keeps going through TextDecoder.
 */
function text(b: Uint8Array): string {
  if (b[5] === 0xef && b[6] === 0xbb && b[7] === 0xbf) return UTF8.decode(b.subarray(5));
  return (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length)).toString("utf8", 5);
}

/** The tags a remove op names: whole HLCs, concatenated. */
export function splitTags(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + HLC_BYTES <= bytes.length; i += HLC_BYTES) out.push(bytes.subarray(i, i + HLC_BYTES));
  return out;
}

const hexOf = (b: Uint8Array): string => (Buffer.isBuffer(b) ? b.toString("hex") : Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex"));
const compare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

/** Orders rows as the fold reads them: by HLC, then value bytes. */
export function compareRows(a: OpRow, b: OpRow): number {
  return compare(a.hlc, b.hlc) || compare(a.value, b.value) || a.kind - b.kind || (a.field < b.field ? -1 : a.field > b.field ? 1 : 0);
}

/** The visible record, or undefined if nothing of it survives (never written, or deleted). */
/**
 * The rows that decide what a record shows: the newest delete (a tombstone keeps hiding what
 * arrives later with an older HLC), each field's winning set, the surviving list items and set
 * additions, and every remove, in (HLC, value) order. Folding these alone, with any later ops,
 * gives the same record as folding the whole history with them: what a compaction snapshot keeps
 * (decisions #30). Removes stay whole even when the addition they took away is gone from the
 * rows: nothing stops a member from restating an old addition (same HLC, same value) in a later
 * changeset, and the vaults that saw the history hide it again (foldState keeps the remove); a
 * newcomer folding a snapshot without that remove would show it, and the team would disagree.
 */
export function visibleRows(input: readonly OpRow[]): OpRow[] {
  return decidingRows(input);
}

/**
 * What the store keeps of a record to fold later ops into (store/records.ts): the visible
 * rows, but with every remove kept whole. A snapshot is folded once, by a vault that never saw
 * the history; the store folds again and again, and an addition a remove already took away may
 * reach it a second time (restated by a snapshot cut before that remove): the remove must still
 * be there to take it away again. Folding this with any later rows, including rows already
 * folded, gives the same record as folding everything.
 */
export function foldState(input: readonly OpRow[]): OpRow[] {
  return decidingRows(input);
}

function decidingRows(input: readonly OpRow[]): OpRow[] {
  let sorted = true;
  let onlySets = true;
  for (let i = 0; i < input.length; i++) {
    if (input[i]!.kind !== OP_CODE.set) onlySets = false;
    if (sorted && i > 0) sorted = compareRows(input[i - 1]!, input[i]!) <= 0;
  }
  const rows = sorted ? input : [...input].sort(compareRows);
  if (onlySets) return lastPerField(rows);
  let deleted: OpRow | undefined;
  // Removes are matched against the additions present, so memory follows the additions, not
  // however many tags hostile removes name.
  const additions = new Set<string>();
  for (const r of rows) {
    if (r.kind === OP_CODE.delete && (deleted === undefined || compare(r.hlc, deleted.hlc) > 0)) deleted = r;
    if (r.kind === OP_CODE.add) additions.add(`${r.field}\u0000${hexOf(r.hlc)}`);
  }
  const removed = new Set<string>();
  // Every remove is kept whole, even once the addition it names is gone from the rows: that
  // addition may arrive (again) later and must stay hidden then (visibleRows says why).
  const removes: OpRow[] = [];
  const keptRemoves = new Set<string>();
  for (const r of rows) {
    if (r.kind !== OP_CODE.remove) continue;
    // A remove's value is a byte string of tags (encodeValue: tag 5, u32 length, bytes).
    for (const t of splitTags(r.value.subarray(5))) {
      const key = `${r.field}\u0000${hexOf(t)}`;
      if (additions.has(key)) removed.add(key);
    }
    // The same remove folded in twice (a snapshot restating it) is kept once.
    const key = `${r.field}\u0000${hexOf(r.hlc)}\u0000${hexOf(r.value)}`;
    if (!keptRemoves.has(key)) removes.push(r);
    keptRemoves.add(key);
  }
  const winners = new Map<string, OpRow>();
  const items: OpRow[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (r.kind === OP_CODE.delete || r.kind >= OP_CODE.remove) continue; // removes and kinds never stored
    if (deleted !== undefined && compare(r.hlc, deleted.hlc) <= 0) continue;
    if (r.kind === OP_CODE.set) {
      winners.set(r.field, r); // rows ascend: the last is the largest (HLC, value)
      continue;
    }
    if (r.kind === OP_CODE.add && removed.has(`${r.field}\u0000${hexOf(r.hlc)}`)) continue;
    const key = `${r.kind}\u0000${r.field}\u0000${hexOf(r.hlc)}\u0000${hexOf(r.value)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(r);
  }
  const out = [...winners.values(), ...items, ...removes];
  if (deleted !== undefined) out.push(deleted);
  return out.sort(compareRows);
}

/**
 * The common case, a record of set ops only (no tombstone, list or set): each field's last row in
 * (HLC, value) order wins, as decidingRows decides it; `rows` are sorted, and so is the result.
 */
function lastPerField(rows: readonly OpRow[]): OpRow[] {
  const out: OpRow[] = [];
  if (rows.length <= 16) {
    // A handful of rows: a scan beats a map.
    for (let i = 0; i < rows.length; i++) {
      const field = rows[i]!.field;
      let last = true;
      for (let j = i + 1; j < rows.length && last; j++) last = rows[j]!.field !== field;
      if (last) out.push(rows[i]!);
    }
    return out;
  }
  const lastAt = new Map<string, number>();
  rows.forEach((r, i) => lastAt.set(r.field, i));
  rows.forEach((r, i) => {
    if (lastAt.get(r.field) === i) out.push(r);
  });
  return out;
}

/** The visible record, or undefined if nothing of it survives (never written, or deleted). */
export function foldRecord(collection: string, id: string, input: readonly OpRow[]): RecordView | undefined {
  return viewOf(collection, id, visibleRows(input));
}

/** The record that rows from visibleRows or foldState (sorted, already decided) show. */
export function viewOf(collection: string, id: string, rows: readonly OpRow[]): RecordView | undefined {
  const fields: Record<string, Value> = Object.create(null) as Record<string, Value>;
  const lists: Record<string, Value[]> = Object.create(null) as Record<string, Value[]>;
  const setItems = new Map<string, Map<string, Uint8Array>>();
  let newest: Uint8Array | undefined;
  const authors = new Set<string>();
  let lastAuthor: Uint8Array | undefined;
  for (const r of rows) {
    if (r.kind === OP_CODE.delete || r.kind === OP_CODE.remove) continue; // they hide; they show nothing
    newest = r.hlc;
    // Authors of what is visible; most records are written by one or two devices: skip the hex work for a repeat.
    if (lastAuthor === undefined || !sameDevice(r.hlc, lastAuthor)) {
      authors.add(deviceHex(r.hlc));
      lastAuthor = r.hlc;
    }
    if (r.kind === OP_CODE.set) fields[r.field] = decodeStoredValue(r.value);
    else if (r.kind === OP_CODE.append) (lists[r.field] ??= []).push(decodeStoredValue(r.value));
    else {
      let items = setItems.get(r.field);
      if (items === undefined) setItems.set(r.field, (items = new Map()));
      items.set(hexOf(r.value), r.value);
    }
  }
  if (newest === undefined) return undefined;
  const sets: Record<string, Value[]> = Object.create(null) as Record<string, Value[]>;
  for (const [field, members] of setItems) sets[field] = [...members.values()].sort(compare).map(decodeStoredValue);
  // The wall is at most 48 bits (records/hlc.ts): two 32-bit halves add up exactly.
  const updated = (newest[0]! * 2 ** 24 + newest[1]! * 2 ** 16 + newest[2]! * 2 ** 8 + newest[3]!) * 2 ** 32 + (newest[4]! * 2 ** 24 + newest[5]! * 2 ** 16 + newest[6]! * 2 ** 8 + newest[7]!);
  return { collection, id, fields, lists, sets, updated, authors: authors.size === 1 ? [...authors] : [...authors].sort() };
}

/** Whether two HLCs name the same device (their last 32 bytes). */
function sameDevice(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = HLC_BYTES - 1; i >= 12; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** The last device ids turned to hex: an import folds thousands of records by the same few devices. */
const recentDevices: { bytes: Uint8Array; hex: string }[] = [];

function deviceHex(hlc: Uint8Array): string {
  for (const d of recentDevices) if (sameDevice(hlc, d.bytes)) return d.hex;
  const hex = hexOf(hlc.subarray(12));
  if (recentDevices.length >= 4) recentDevices.pop();
  recentDevices.unshift({ bytes: hlc.slice(), hex });
  return hex;
}
