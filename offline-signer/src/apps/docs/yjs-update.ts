/**
 * The draft's Yjs updates, checked the same way on every vault before any Yjs code decodes them:
 * a hand scan (scanProblem) reads the whole v1 update in one loop, bounding every count and length,
 * and admits only plain text of the root "body" from at most one writer, whose Yjs clientID is the
 * one derived from the signing device; Yjs then decodes it whole as a second line. Deleting what
 * others wrote is the point of a shared draft, so the delete set may name any client.
 */
import { createHash } from "node:crypto";
import * as Y from "yjs";
import { MAX_UPDATE_BYTES } from "./schema.js";

/** Most structs one update may carry: a line diff of a large document stays far below it. */
export const MAX_STRUCTS = 8192;

/** The Yjs clientID of a device: the first 32 bits of SHA-256 over its id, fixed for every vault and every run. */
export function clientIdOf(deviceHex: string): number {
  return createHash("sha256").update(`airlock docs yjs client\u0000${deviceHex}`).digest().readUInt32BE(0);
}

/** A reading position in an update; every read checks it against the end. */
type Cursor = { readonly bytes: Uint8Array; i: number };

/** A varuint as lib0 writes it (7 bits a byte, low first); undefined past the end or past 2^53. */
function varUint(at: Cursor): number | undefined {
  let n = 0;
  let mult = 1;
  for (let k = 0; k < 8; k++) {
    if (at.i >= at.bytes.length) return undefined;
    const b = at.bytes[at.i++]!;
    n += (b & 0x7f) * mult;
    if (b < 0x80) return n <= Number.MAX_SAFE_INTEGER ? n : undefined;
    mult *= 128;
  }
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A lib0 varstring (length, then UTF-8), its length bounded by the bytes left before anything is decoded. */
function varString(at: Cursor): string | undefined {
  const len = varUint(at);
  if (len === undefined || len > at.bytes.length - at.i) return undefined;
  try {
    return utf8.decode(at.bytes.subarray(at.i, (at.i += len)));
  } catch {
    return undefined;
  }
}

/** Yjs v1 content refs (the low 5 bits of a struct's info byte), named for refusals. */
const CONTENT_NAMES = ["GC", "deleted", "JSON", "binary", "text", "embed", "format", "type", "any", "subdocument", "skip"];
const GC = 0;
const DELETED = 1;
const STRING = 4;
const SKIP = 10;
const HAS_ORIGIN = 0x80;
const HAS_RIGHT_ORIGIN = 0x40;
const HAS_PARENT_SUB = 0x20;
/** The draft's one root type: text items whose parent is not given by an origin must name it. */
const ROOT = "body";
const NOT_YJS = "is not a Yjs update";

/**
 * Why a Yjs v1 update is no plain edit of the draft text, read by hand before any Yjs code sees it:
 * one writer group at most (with clientID `expected` when given), every count and length bounded by
 * the bytes left, and only GC, skip, deleted and text structs whose parent is the root "body" or comes
 * from an origin. Yjs decodes the contents refused here (JSON, any, types, subdocuments) recursively,
 * so its verdict on them would depend on the stack; this scan is one loop, and so is its verdict.
 */
export function scanProblem(update: Uint8Array, expected: number | undefined): string | undefined {
  const at: Cursor = { bytes: update, i: 0 };
  const left = (): number => update.length - at.i;
  const groups = varUint(at);
  if (groups === undefined) return NOT_YJS;
  if (groups > 1) return "carries structs of more than one writer";
  if (groups === 1) {
    const structs = varUint(at);
    if (structs === undefined) return NOT_YJS;
    if (structs > MAX_STRUCTS) return `carries more than ${MAX_STRUCTS} structs`;
    const client = varUint(at);
    let clock = varUint(at);
    if (client === undefined || clock === undefined) return NOT_YJS;
    // Each struct takes at least two bytes: a count past that is a lie told to make a reader allocate.
    if (structs * 2 > left()) return NOT_YJS;
    if (expected !== undefined && client !== expected) return "carries structs of another writer than its signing device";
    for (let k = 0; k < structs; k++) {
      if (left() < 1) return NOT_YJS;
      const info = update[at.i++]!;
      const content = info & 0x1f;
      let len: number | undefined;
      if (info === GC || info === SKIP) {
        len = varUint(at);
      } else if (content !== DELETED && content !== STRING) {
        return `carries Yjs ${CONTENT_NAMES[content] ?? `type ${content}`} content, not draft text`;
      } else {
        if ((info & HAS_PARENT_SUB) !== 0) return "carries a keyed entry, not draft text";
        if ((info & HAS_ORIGIN) !== 0 && (varUint(at) === undefined || varUint(at) === undefined)) return NOT_YJS;
        if ((info & HAS_RIGHT_ORIGIN) !== 0 && (varUint(at) === undefined || varUint(at) === undefined)) return NOT_YJS;
        if ((info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0) {
          const parentIsKey = varUint(at);
          if (parentIsKey === undefined) return NOT_YJS;
          if (parentIsKey !== 1) return "nests text inside another item, not the draft text";
          const key = varString(at);
          if (key === undefined) return NOT_YJS;
          if (key !== ROOT) return `writes to the root "${key.length > 32 ? `${key.slice(0, 32)}…` : key}", not the draft text`;
        }
        if (content === DELETED) {
          len = varUint(at);
        } else {
          const text = varString(at);
          len = text?.length;
        }
      }
      if (len === undefined) return NOT_YJS;
      if (len === 0) return "carries an empty struct";
      clock += len;
      if (clock > Number.MAX_SAFE_INTEGER) return NOT_YJS;
    }
  }
  // The delete set: any client (deleting others' text is the point of a shared draft), every count bounded.
  const clients = varUint(at);
  if (clients === undefined || clients * 2 > left()) return NOT_YJS;
  for (let c = 0; c < clients; c++) {
    const client = varUint(at);
    const deletes = varUint(at);
    if (client === undefined || deletes === undefined || deletes * 2 > left()) return NOT_YJS;
    for (let d = 0; d < deletes; d++) {
      const clock = varUint(at);
      const len = varUint(at);
      if (clock === undefined || len === undefined || clock + len > Number.MAX_SAFE_INTEGER) return NOT_YJS;
    }
  }
  if (at.i !== update.length) return "has bytes after its end";
  return undefined;
}

/** Why `update` may not stand in a draft written by `deviceHex`, or undefined. Deterministic: same bytes, same answer. */
export function updateProblem(update: Uint8Array, deviceHex: string | undefined): string | undefined {
  if (update.length === 0) return "is empty";
  if (update.length > MAX_UPDATE_BYTES) return `is longer than ${MAX_UPDATE_BYTES} bytes`;
  // undefined: a snapshot's restated update, whose writer is any one device (checked when first written).
  const expected = deviceHex === undefined ? undefined : clientIdOf(deviceHex);
  const scanned = scanProblem(update, expected);
  if (scanned !== undefined) return scanned;
  // A second line: what the scan let through, Yjs must decode whole (text only now, so without recursion).
  try {
    Y.decodeUpdate(update);
  } catch {
    return NOT_YJS;
  }
  return undefined;
}

/**
 * The draft as a Yjs document: every update applied in the list's order (the result is the same in any order).
 * An update the scan refuses (one stored before the scan existed) is skipped before Yjs sees it, so only
 * plain text reaches Yjs, which applies it without recursion: the result never depends on the stack.
 */
export function draftDoc(updates: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  for (const u of updates) {
    if (u.length === 0 || u.length > MAX_UPDATE_BYTES || scanProblem(u, undefined) !== undefined) continue;
    try {
      Y.applyUpdate(doc, u);
    } catch {
      // The check let it in; an update Yjs cannot apply is skipped alike on every vault.
    }
  }
  return doc;
}

export const draftText = (doc: Y.Doc): string => doc.getText("body").toString();
