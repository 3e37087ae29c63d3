/**
 * Changesets: what a device appends to its own hash chain. Spec: docs/sync.md.
 *
 *   signed  = canonical CBOR { body: bytes, sig: bytes(64) }
 *   body    = { team, device, seq, prev, heads, time, batches: [{ collection, key, salt, ct }] }
 *   id      = SHA-256("airlock/v1/changeset" || body)
 *   sig     = Ed25519(device, "airlock/v1/changeset-sig" || body)
 *   batch   = ChaCha20-Poly1305(HKDF(collection key, salt, "airlock/v1/ops"), nonce 0,
 *             ops, aad = team || device || u64(seq) || collection)
 *   ops     = CBOR [[kind, record, field, value, wall, counter], ...]       (schema version 1)
 *           | CBOR { "v": version >= 2, "ops": [[...], ...] }              (later versions)
 * `version` is the version of the collection's app schema the author wrote with; a reader that
 * knows an older one, or meets an op kind it does not know, keeps the changeset waiting
 * (docs/apps.md, "Versions") instead of rejecting what a newer release wrote.
 * `prev` is the id of the device's previous changeset (32 zero bytes for seq 1); `heads` are the
 * team log heads the author had applied: the causal position its authority is checked at.
 */
import {
  aeadOpen,
  aeadSeal,
  concatBytes,
  decodeValidated,
  ed25519Sign,
  ed25519Verify,
  encodeCanonical,
  hkdfSha256,
  randomBytes,
  sha256,
  utf8,
  type CborValue,
  type KeyPair,
} from "@airlock/bundle-format";
import { validateId, validateValue, type Value } from "../records/values.js";
import { decodeObjectFast, encodeObject, type Plain } from "../team/cbor-object.js";
import { Reader } from "../team/read.js";
import { MAX_HEADS } from "../team/entry.js";
import { OP_CODE, OP_KINDS, type OpKind } from "../apps/fold.js";

export const MAX_CHANGESET_BYTES = 8 * 1024 * 1024;
export const MAX_OPS_PER_CHANGESET = 65536;
const LABEL_ID = utf8("airlock/v1/changeset");
const LABEL_SIG = utf8("airlock/v1/changeset-sig");
const LABEL_OPS = utf8("airlock/v1/ops");
const LABEL_KEY_ID = utf8("airlock/v1/collection-key-id");
const NONCE = new Uint8Array(12);
export const GENESIS_PREV = new Uint8Array(32);

export type { OpKind } from "../apps/fold.js";
const KIND_CODE = OP_CODE;
const CODE_KIND = OP_KINDS;
/** Op kind codes below this are reserved for later releases: unknown ones wait, they are not malformed. */
const MAX_KIND_CODE = 63;
/** Schema versions a batch may name. */
const MAX_SCHEMA_VERSION = 0xffff;

/** One op as the author wrote it; the HLC device is always the changeset's device. */
export interface PlainOp {
  readonly kind: OpKind;
  readonly record: string;
  /** Field (set) or list (append) name; "" for delete. */
  readonly field: string;
  readonly value: Value;
  readonly wall: number;
  readonly counter: number;
  /**
   * Only in a compaction snapshot: the device (hex) that wrote the op originally, whose HLC it
   * keeps. Everywhere else the HLC's device is the changeset's.
   */
  readonly device?: string;
}

export interface Batch {
  readonly collection: string;
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
  readonly ct: Uint8Array;
}

export interface Changeset {
  readonly id: Uint8Array;
  readonly team: Uint8Array;
  readonly device: Uint8Array;
  readonly seq: number;
  readonly prev: Uint8Array;
  readonly heads: readonly Uint8Array[];
  readonly time: number;
  readonly batches: readonly Batch[];
  readonly bytes: Uint8Array;
  /** The signed body and its signature, kept so a caller can verify separately (and time it). */
  readonly signed: { readonly body: Uint8Array; readonly sig: Uint8Array };
}

export function keyIdOf(key: Uint8Array): Uint8Array {
  return sha256(LABEL_KEY_ID, key).slice(0, 16);
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function batchAad(team: Uint8Array, device: Uint8Array, seq: number, collection: string): Uint8Array {
  return concatBytes(team, device, u64(seq), utf8(collection));
}

export interface NewChangeset {
  readonly team: Uint8Array;
  readonly seq: number;
  readonly prev: Uint8Array;
  readonly heads: readonly Uint8Array[];
  readonly time: number;
  /** Ops per collection with that collection's current key and the app schema version they follow (default 1). */
  readonly groups: readonly { collection: string; key: Uint8Array; ops: readonly PlainOp[]; version?: number; snapshot?: Uint8Array }[];
}

/**
 * A batch's plaintext. A compaction snapshot (`snapshot`: the `compact` entry's hash) carries
 * 7-item ops ending with the original author's device (docs/decisions.md #30).
 */
export function encodeOps(ops: readonly PlainOp[], version = 1, snapshot?: Uint8Array): Uint8Array {
  if (snapshot !== undefined) {
    const list = ops.map((o) => [KIND_CODE[o.kind], o.record, o.field, o.value as CborValue, o.wall, o.counter, Buffer.from(o.device ?? "", "hex")]);
    return encodeCanonical(new Map<string, CborValue>([["ops", list], ["snapshot", snapshot], ["v", version]]));
  }
  const list = ops.map((o) => [KIND_CODE[o.kind], o.record, o.field, o.value as CborValue, o.wall, o.counter]);
  return encodeCanonical(version === 1 ? list : new Map<string, CborValue>([["ops", list], ["v", version]]));
}

/** What one batch holds once opened. */
export interface BatchContent {
  /** The app schema version its ops follow. */
  readonly version: number;
  readonly ops: PlainOp[];
  /** Set when it holds an op kind this release does not know: the changeset waits, nothing is applied. */
  readonly newer?: string;
  /** A compaction snapshot: the hash of its `compact` entry (its ops carry their original devices). */
  readonly snapshot?: Uint8Array;
}

export function sealChangeset(device: KeyPair, c: NewChangeset): Changeset {
  const batches = c.groups.map((g) => {
    const salt = randomBytes(16);
    const k = hkdfSha256(g.key, salt, LABEL_OPS);
    const ct = aeadSeal(k, NONCE, encodeOps(g.ops, g.version, g.snapshot), batchAad(c.team, device.publicKey, c.seq, g.collection));
    k.fill(0);
    return { collection: g.collection, key: keyIdOf(g.key), salt, ct };
  });
  const heads = [...c.heads].sort((a, b) => Buffer.compare(a, b));
  const body = encodeObject({
    team: c.team,
    device: device.publicKey,
    seq: c.seq,
    prev: c.prev,
    heads,
    time: c.time,
    batches: batches.map((b) => ({ collection: b.collection, key: b.key, salt: b.salt, ct: b.ct })),
  });
  const sig = ed25519Sign(device.secretKey, concatBytes(LABEL_SIG, body));
  return decodeChangeset(encodeObject({ body, sig }), { verify: false });
}

const R = new Reader("CHANGESET_MALFORMED", "changeset", "the changeset is damaged or forged; it was quarantined, nothing was applied");
const SIG = new Reader("CHANGESET_SIGNATURE", "changeset", "the changeset was altered or forged; it was quarantined, nothing was applied");

/**
 * Parses a signed changeset; verifies its signature unless `verify: false` (the caller then
 * must verify, e.g. in a batch). Throws CHANGESET_MALFORMED / CHANGESET_SIGNATURE.
 */
export function decodeChangeset(bytes: Uint8Array, options: { verify?: boolean } = {}): Changeset {
  if (bytes.length > MAX_CHANGESET_BYTES) R.fail(`${bytes.length} bytes is over the ${MAX_CHANGESET_BYTES}-byte limit`);
  let outerPlain: Plain;
  let bodyPlain: Plain;
  try {
    outerPlain = decodeObjectFast(bytes, { maxBytes: MAX_CHANGESET_BYTES, maxDepth: 4, maxItems: 8 });
  } catch (e) {
    return R.fail(`not canonical CBOR (${(e as Error).message})`);
  }
  const outer = R.obj(outerPlain, "changeset", ["body", "sig"]);
  const body = R.bytes(outer["body"], "body", 1, MAX_CHANGESET_BYTES);
  const sig = R.bytes(outer["sig"], "sig", 64);
  try {
    bodyPlain = decodeObjectFast(body, { maxBytes: MAX_CHANGESET_BYTES, maxDepth: 6, maxItems: 4096 });
  } catch (e) {
    return R.fail(`body is not canonical CBOR (${(e as Error).message})`);
  }
  const o = R.obj(bodyPlain, "body", ["team", "device", "seq", "prev", "heads", "time", "batches"]);
  const device = R.bytes(o["device"], "device", 32);
  const seq = R.uint(o["seq"], "seq");
  if (seq < 1) R.fail("seq starts at 1");
  const c: Changeset = {
    id: sha256(LABEL_ID, body),
    team: R.bytes(o["team"], "team", 32),
    device,
    seq,
    prev: R.bytes(o["prev"], "prev", 32),
    heads: R.array(o["heads"], "heads", MAX_HEADS).map((h, i) => R.bytes(h, `heads[${i}]`, 32)),
    time: R.uint(o["time"], "time"),
    batches: R.array(o["batches"], "batches", 256).map((b, i) => {
      const x = R.obj(b, `batches[${i}]`, ["collection", "key", "salt", "ct"]);
      return {
        collection: R.text(x["collection"], `batches[${i}].collection`, 64, 1),
        key: R.bytes(x["key"], `batches[${i}].key`, 16),
        salt: R.bytes(x["salt"], `batches[${i}].salt`, 16),
        ct: R.bytes(x["ct"], `batches[${i}].ct`, 16, MAX_CHANGESET_BYTES),
      };
    }),
    bytes,
    signed: { body, sig },
  };
  if (c.heads.length === 0) R.fail("heads must name at least the team's genesis");
  if (options.verify !== false) verifyChangeset(c);
  return c;
}

/** Checks a decoded changeset's signature; throws CHANGESET_SIGNATURE. */
export function verifyChangeset(c: Changeset): void {
  if (!ed25519Verify(c.device, concatBytes(LABEL_SIG, c.signed.body), c.signed.sig)) SIG.fail("the signature does not verify");
}

const OPS = new Reader("CHANGESET_OPS", "changeset ops", "the ops inside the changeset are malformed; it was quarantined");

/** Decrypts one batch; undefined when the key does not open it (wrong key or tampered). */
export function openBatch(c: Changeset, b: Batch, key: Uint8Array): BatchContent | undefined {
  const k = hkdfSha256(key, b.salt, LABEL_OPS);
  const plain = aeadOpen(k, NONCE, b.ct, batchAad(c.team, c.device, c.seq, b.collection));
  k.fill(0);
  if (plain === undefined) return undefined;
  let raw: CborValue;
  try {
    raw = decodeValidated(plain, { maxBytes: MAX_CHANGESET_BYTES, maxDepth: 4, maxItems: MAX_OPS_PER_CHANGESET });
  } catch (e) {
    return OPS.fail(`not canonical CBOR (${(e as Error).message})`);
  } finally {
    plain.fill(0);
  }
  let version = 1;
  let snapshot: Uint8Array | undefined;
  if (!Array.isArray(raw)) {
    const o = raw;
    const shape = o instanceof Map && o.has("v") && o.has("ops") ? (o.size === 2 ? "versioned" : o.size === 3 && o.has("snapshot") ? "snapshot" : undefined) : undefined;
    if (shape === undefined) return OPS.fail("not a list of ops, a versioned batch {v, ops} nor a snapshot {ops, snapshot, v}");
    const m = o as Map<string, CborValue>;
    version = OPS.uint(m.get("v") as Plain, "batch version", MAX_SCHEMA_VERSION);
    if (shape === "snapshot") {
      const h = m.get("snapshot");
      if (!(h instanceof Uint8Array) || h.length !== 32) return OPS.fail("snapshot names its compact entry by a 32-byte hash");
      snapshot = h;
      if (version < 1) return OPS.fail("a snapshot names schema version 1 or later");
    } else if (version < 2) {
      // Version 1 has one encoding, the bare list: a second would give one content two ids.
      return OPS.fail("a versioned batch names version 2 or later");
    }
    raw = m.get("ops") as CborValue;
    if (!Array.isArray(raw)) return OPS.fail("ops is not a list");
  }
  const arity = snapshot === undefined ? 6 : 7;
  let newer: string | undefined;
  const ops = raw.map((item, i) => {
    if (!Array.isArray(item) || item.length !== arity) return OPS.fail(`op ${i} is not a ${arity}-item list`);
    const [kind, record, field, value, wall, counter, device] = item as [CborValue, CborValue, CborValue, CborValue, CborValue, CborValue, CborValue];
    if (snapshot !== undefined && (!(device instanceof Uint8Array) || device.length !== 32)) return OPS.fail(`op ${i}: a snapshot op names its device by a 32-byte key`);
    if (typeof kind !== "number" || !Number.isSafeInteger(kind) || kind < 0 || kind > MAX_KIND_CODE) return OPS.fail(`op ${i} has an invalid kind`);
    if (CODE_KIND[kind] === undefined) {
      newer ??= `op kind ${kind}`;
      return undefined;
    }
    try {
      const op: PlainOp = {
        kind: CODE_KIND[kind],
        record: validateId(record, "record"),
        field: kind === KIND_CODE.delete ? (field === "" ? "" : OPS.fail(`op ${i}: a delete names no field`)) : validateId(field, "field"),
        value: validateValue(value),
        wall: OPS.uint(wall as Plain, `op ${i} wall`, 2 ** 48 - 1),
        counter: OPS.uint(counter as Plain, `op ${i} counter`, 0xffff_ffff),
        ...(snapshot === undefined ? {} : { device: Buffer.from(device as Uint8Array).toString("hex") }),
      };
      return op;
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) return OPS.fail(`op ${i}: ${e.message}`);
      throw e;
    }
  });
  if (newer !== undefined) return { version, ops: [], newer, ...(snapshot === undefined ? {} : { snapshot }) };
  return { version, ops: ops as PlainOp[], ...(snapshot === undefined ? {} : { snapshot }) };
}
