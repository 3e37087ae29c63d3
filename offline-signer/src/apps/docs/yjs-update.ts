/**
 * The draft's Yjs updates, checked the same way on every vault before any Yjs code decodes them:
 * an update names at most one writer (its header, read here by hand, bounds the struct count Yjs
 * would allocate for), that writer's Yjs clientID is the one derived from the signing device,
 * and Yjs then decodes it whole, every struct carrying that clientID. Deleting what others wrote
 * is the point of a shared draft, so the delete set may name any client.
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

/** A varuint as lib0 writes it (7 bits a byte, low first); undefined past the end or past 2^53. */
function varUint(bytes: Uint8Array, at: { i: number }): number | undefined {
  let n = 0;
  let mult = 1;
  for (let k = 0; k < 8; k++) {
    if (at.i >= bytes.length) return undefined;
    const b = bytes[at.i++]!;
    n += (b & 0x7f) * mult;
    if (b < 0x80) return n;
    mult *= 128;
  }
  return undefined;
}

/** Why `update` may not stand in a draft written by `deviceHex`, or undefined. Deterministic: same bytes, same answer. */
export function updateProblem(update: Uint8Array, deviceHex: string | undefined): string | undefined {
  if (update.length === 0) return "is empty";
  if (update.length > MAX_UPDATE_BYTES) return `is longer than ${MAX_UPDATE_BYTES} bytes`;
  const at = { i: 0 };
  const groups = varUint(update, at);
  if (groups === undefined) return "is not a Yjs update";
  if (groups > 1) return "carries structs of more than one writer";
  // undefined: a snapshot's restated update, whose writer is any one device (checked when first written).
  const expected = deviceHex === undefined ? undefined : clientIdOf(deviceHex);
  if (groups === 1) {
    const structs = varUint(update, at);
    const client = varUint(update, at);
    if (structs === undefined || client === undefined) return "is not a Yjs update";
    if (structs > MAX_STRUCTS) return `carries more than ${MAX_STRUCTS} structs`;
    if (expected !== undefined && client !== expected) return "carries structs of another writer than its signing device";
  }
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return "is not a Yjs update";
  }
  const writer = expected ?? decoded.structs[0]?.id.client;
  for (const s of decoded.structs) if (s.id.client !== writer) return expected === undefined ? "carries structs of more than one writer" : "carries structs of another writer than its signing device";
  return undefined;
}

/** The draft as a Yjs document: every update applied in the list's order (the result is the same in any order). */
export function draftDoc(updates: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  for (const u of updates) {
    try {
      Y.applyUpdate(doc, u);
    } catch {
      // The check let it in; an update Yjs cannot apply is skipped alike on every vault.
    }
  }
  return doc;
}

export const draftText = (doc: Y.Doc): string => doc.getText("body").toString();
