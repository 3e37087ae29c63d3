/**
 * Payload schemas: the body of a bundle is one canonical CBOR map
 *   { "kind": text, "v": uint (the kind's minor version), ...the kind's fields }.
 *
 * Forward-compatibility rule (docs/bundle-format.md, "Payload versions"):
 * - a reader that knows minor M of a kind accepts a payload of minor v <= M only if every
 *   field is one it knows (unknown fields are refused: nothing is silently dropped);
 * - a payload of minor v > M was written by a newer release, which may only *add optional*
 *   fields: the reader checks the fields it knows and ignores the rest;
 * - removing or changing a field is a new major format version (and a new bundle version byte).
 * Unknown kinds are refused with BUNDLE_KIND.
 *
 * The field sets of v1.0 are provisional until the vault issue defines sync and welcome in
 * full; each change bumps the kind's minor version under the rule above.
 */
import { decodeCanonical, encodeCanonical, type CborLimits, type CborMap, type CborValue } from "./cbor-strict.js";
import { abytes } from "./asserts.js";
import { BundleError } from "./errors.js";

type FieldType =
  | { readonly type: "bytes"; readonly min: number; readonly max: number }
  | { readonly type: "text"; readonly max: number }
  | { readonly type: "uint"; readonly max: number }
  | { readonly type: "bool" }
  | { readonly type: "array"; readonly of: FieldType; readonly max: number }
  | { readonly type: "struct"; readonly fields: Readonly<Record<string, FieldType>> };

interface KindSchema {
  /** Newest minor version this release writes and fully understands. */
  readonly minor: number;
  readonly fields: Readonly<Record<string, FieldType>>;
  /** Fields that may be absent. */
  readonly optional?: readonly string[];
}

const bytes = (min: number, max = min): FieldType => ({ type: "bytes", min, max });
const text = (max: number): FieldType => ({ type: "text", max });
const uint = (max = Number.MAX_SAFE_INTEGER): FieldType => ({ type: "uint", max });
const array = (of: FieldType, max: number): FieldType => ({ type: "array", of, max });

const MiB = 1024 * 1024;
/** A team log has few concurrent heads; a sender claiming more is refused (and its ack ignored). */
export const MAX_LOG_HEADS = 1024;
/** Attached files one sync bundle may ask for; more wait for the next exchange. */
export const MAX_WANTS = 1024;

/** Bounds of a courier enrollment's generation number, admin list and superseded ids (docs/transport-key.md). */
export const MAX_GENERATION = 2 ** 31;
export const MAX_ENROLLMENT_ADMINS = 256;
export const MAX_SUPERSEDED = 1024;
export const PAYLOAD_SCHEMAS = {
  /**
   * Team entries and changesets the recipients are missing, plus the sender's acks: its
   * version vector (`acks`), since 1.1 the heads of the team log it holds (`logHeads`), and
   * since 1.2 the id of the changeset each ack ends at (`ackIds`), so two vaults holding
   * different changesets under one seq (equivocation) notice and exchange them; since 1.3 the
   * attached files its records name but it does not hold (`wants`, as HMAC tokens), so a peer
   * that holds one sends it (docs/attachments.md).
   */
  sync: {
    minor: 3,
    fields: {
      team: bytes(32),
      entries: array(bytes(1, MiB + 128), 65536),
      changesets: array(bytes(1, 16 * MiB), 65536),
      acks: array({ type: "struct", fields: { device: bytes(32), seq: uint() } }, 65536),
      logHeads: array(bytes(32), MAX_LOG_HEADS),
      ackIds: array(bytes(32), 65536),
      wants: array(bytes(32), MAX_WANTS),
    },
    optional: ["logHeads", "ackIds", "wants"],
  },
  /** A new device's self-signed request to join: its public keys. */
  enrollment: {
    minor: 0,
    fields: {
      name: text(256),
      user: bytes(32),
      deviceSigning: bytes(32),
      deviceEncryption: bytes(32),
      created: uint(),
    },
  },
  /** What lets a newly admitted vault bootstrap team state. */
  welcome: {
    minor: 0,
    fields: {
      team: bytes(32),
      log: array(bytes(1, MiB + 128), 65536),
      transportKey: bytes(32),
    },
  },
  /**
   * What a courier needs: the transport key and mailbox settings, never content or signing keys.
   * Since 1.1 the key's generation and the signing keys of the team's admin devices, from whom
   * the courier takes the next generation's enrollment without its operator (docs/transport-key.md).
   */
  "courier-enrollment": {
    minor: 2,
    fields: {
      team: bytes(32),
      teamName: text(256),
      transportKey: bytes(32),
      epochSeconds: uint(366 * 86_400),
      mailbox: text(2048),
      // Bounded: a number for people to read, never a courier's reason to adopt (1.2: `supersedes`).
      generation: uint(MAX_GENERATION),
      admins: array(bytes(32), MAX_ENROLLMENT_ADMINS),
      supersedes: array(bytes(16), MAX_SUPERSEDED),
    },
    optional: ["generation", "admins", "supersedes"],
  },
} as const satisfies Record<string, KindSchema>;

export type PayloadKind = keyof typeof PAYLOAD_SCHEMAS;
export const PAYLOAD_KINDS: readonly PayloadKind[] = Object.keys(PAYLOAD_SCHEMAS) as PayloadKind[];

export interface SyncPayload {
  readonly kind: "sync";
  readonly team: Uint8Array;
  /** Signed team log entries (docs/team-model.md). */
  readonly entries: readonly Uint8Array[];
  /** Signed changesets (docs/sync.md). */
  readonly changesets: readonly Uint8Array[];
  readonly acks: readonly { readonly device: Uint8Array; readonly seq: number }[];
  /**
   * Hashes of the heads of the team log the sender holds with their whole ancestry (1.1):
   * recipients stop re-sending those entries to it. Absent from 1.0 writers: send them all.
   */
  readonly logHeads?: readonly Uint8Array[];
  /**
   * The id of the changeset each of `acks` ends at, in the same order (1.2); absent from older
   * writers. A reader ignores the list if its length differs from `acks`.
   */
  readonly ackIds?: readonly Uint8Array[];
  /**
   * Attached files the sender's records name and it lacks (1.3), each as a want token (an HMAC
   * of the content address under the collection's key, docs/attachments.md): whoever holds one
   * sends it in its next export. Absent from older writers: they ask for nothing.
   */
  readonly wants?: readonly Uint8Array[];
}
export interface EnrollmentPayload {
  readonly kind: "enrollment";
  readonly name: string;
  readonly user: Uint8Array;
  readonly deviceSigning: Uint8Array;
  readonly deviceEncryption: Uint8Array;
  readonly created: number;
}
export interface WelcomePayload {
  readonly kind: "welcome";
  readonly team: Uint8Array;
  /** The whole team log, so the new vault can check its way up from genesis. */
  readonly log: readonly Uint8Array[];
  readonly transportKey: Uint8Array;
}
export interface CourierEnrollmentPayload {
  readonly kind: "courier-enrollment";
  readonly team: Uint8Array;
  /** For people reading `airlock-courier status`; the courier never sees anything else of the team. */
  readonly teamName: string;
  readonly transportKey: Uint8Array;
  /** Length of a transport epoch (mailbox id and tag rotation), docs/transport-key.md. */
  readonly epochSeconds: number;
  /** The mailbox URL the vault suggests (dir:PATH, http://HOST:PORT, onion:ADDR, s3://...); may be empty. */
  readonly mailbox: string;
  /** The transport key's generation (1.1; absent: 0). */
  readonly generation?: number;
  /** Signing keys of the team's active admin devices (1.1): whose enrollments the courier adopts on its own. */
  readonly admins?: readonly Uint8Array[];
  /**
   * Ids (16 bytes, transportKeyId) of the keys this one replaces as the signer's vault knows them
   * (1.2): earlier generations, the team's first key and refused ones. A courier adopts the
   * enrollment when the key it holds is among them: lineage, not generation numbers, which differ
   * between vaults that saw concurrent rotations in another order.
   */
  readonly supersedes?: readonly Uint8Array[];
}
export type Payload = SyncPayload | EnrollmentPayload | WelcomePayload | CourierEnrollmentPayload;

/** A decoded payload and the minor version it was written with. */
export type DecodedPayload = Payload & { readonly minor: number };

/** Own properties only: a payload naming "__proto__" or "toString" must not find Object's. */
function fieldOf(fields: Readonly<Record<string, FieldType>>, name: string): FieldType | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

const bad = (path: string, message: string): never => {
  throw new BundleError("BUNDLE_MALFORMED", `payload field ${path}: ${message}`);
};

/** Encodes a payload canonically. Throws TypeError if it does not match its kind's schema. */
export function encodePayload(payload: Payload): Uint8Array {
  const schema = Object.hasOwn(PAYLOAD_SCHEMAS, payload.kind) ? (PAYLOAD_SCHEMAS[payload.kind] as KindSchema) : undefined;
  if (schema === undefined) throw new TypeError(`unknown payload kind ${JSON.stringify(payload.kind)}`);
  const map: CborMap = new Map<string, CborValue>([
    ["kind", payload.kind],
    ["v", schema.minor],
  ]);
  const record = payload as unknown as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (name !== "kind" && fieldOf(schema.fields, name) === undefined) throw new TypeError(`payload ${payload.kind} has no field "${name}"`);
  }
  for (const [name, type] of Object.entries(schema.fields)) {
    const value = record[name];
    if (value === undefined) {
      if (schema.optional?.includes(name)) continue;
      throw new TypeError(`payload ${payload.kind} is missing field "${name}"`);
    }
    map.set(name, toCbor(value, type, `${payload.kind}.${name}`));
  }
  const encoded = encodeCanonical(map);
  decodePayload(encoded); // the writer obeys the same checks as every reader
  return encoded;
}

function toCbor(value: unknown, type: FieldType, path: string): CborValue {
  try {
    return checkField(value instanceof Map ? value : structToMap(value, type), type, path, true);
  } catch (e) {
    if (e instanceof BundleError) throw new TypeError(e.message.replace("payload field", "cannot encode"));
    throw e;
  }
}

/** Plain objects (structs, arrays of structs) become Maps for the CBOR layer. */
function structToMap(value: unknown, type: FieldType): unknown {
  if (type.type === "struct" && value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    return new Map(Object.entries(value).map(([k, v]) => [k, structToMap(v, fieldOf(type.fields, k) ?? { type: "bool" })]));
  }
  if (type.type === "array" && Array.isArray(value)) return value.map((v) => structToMap(v, type.of));
  return value;
}

/** Decodes and validates a payload body. */
export function decodePayload(body: Uint8Array, limits?: Partial<CborLimits>): DecodedPayload {
  abytes(body, "body");
  const value = decodeCanonical(body, {
    maxBytes: limits?.maxBytes ?? 256 * MiB,
    maxDepth: limits?.maxDepth ?? 8,
    maxItems: limits?.maxItems ?? 65536,
  });
  if (!(value instanceof Map)) return bad("(root)", "expected a map");
  const kind = value.get("kind");
  const minor = value.get("v");
  if (typeof kind !== "string") return bad("kind", "missing or not text");
  if (typeof minor !== "number" || minor < 0) return bad("v", "missing or not an unsigned integer");
  const schema = Object.hasOwn(PAYLOAD_SCHEMAS, kind) ? (PAYLOAD_SCHEMAS as Record<string, KindSchema>)[kind] : undefined;
  if (schema === undefined) {
    throw new BundleError("BUNDLE_KIND", `payload kind "${kind.slice(0, 64)}" is not known to this Airlock release`);
  }
  const out: Record<string, unknown> = { kind, minor };
  for (const [name, field] of value) {
    if (name === "kind" || name === "v") continue;
    const type = fieldOf(schema.fields, name);
    if (type === undefined) {
      if (minor > schema.minor) continue; // a newer writer's optional field
      return bad(`${kind}.${name}`, `unknown field in ${kind} version 1.${minor}`);
    }
    out[name] = fromCbor(checkField(field, type, `${kind}.${name}`, false), type);
  }
  for (const name of Object.keys(schema.fields)) {
    if (!(name in out) && !schema.optional?.includes(name)) bad(`${kind}.${name}`, "missing");
  }
  return out as unknown as DecodedPayload;
}

function checkField(value: unknown, type: FieldType, path: string, encoding: boolean): CborValue {
  switch (type.type) {
    case "bytes":
      if (!(value instanceof Uint8Array)) return bad(path, "expected bytes");
      if (value.length < type.min || value.length > type.max) {
        return bad(path, type.min === type.max ? `expected ${type.min} bytes, got ${value.length}` : `expected ${type.min}..${type.max} bytes, got ${value.length}`);
      }
      return value;
    case "text":
      if (typeof value !== "string") return bad(path, "expected text");
      if (Buffer.byteLength(value) > type.max) return bad(path, `text longer than ${type.max} bytes`);
      return value;
    case "uint":
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > type.max) {
        return bad(path, `expected an unsigned integer up to ${type.max}`);
      }
      return value;
    case "bool":
      if (typeof value !== "boolean") return bad(path, "expected true or false");
      return value;
    case "array":
      if (!Array.isArray(value)) return bad(path, "expected an array");
      if (value.length > type.max) return bad(path, `more than ${type.max} entries`);
      return value.map((v, i) => checkField(v, type.of, `${path}[${i}]`, encoding));
    case "struct": {
      if (!(value instanceof Map)) return bad(path, "expected a map");
      for (const key of value.keys()) if (fieldOf(type.fields, key) === undefined) bad(`${path}.${key}`, "unknown field");
      const out: CborMap = new Map();
      for (const [name, sub] of Object.entries(type.fields)) {
        if (!value.has(name)) bad(`${path}.${name}`, "missing");
        out.set(name, checkField(value.get(name), sub, `${path}.${name}`, encoding));
      }
      return encoding ? out : value;
    }
  }
}

/** Maps become plain objects (only schema-known keys exist by now, so no prototype tricks). */
function fromCbor(value: CborValue, type: FieldType): unknown {
  if (type.type === "struct" && value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [name, sub] of Object.entries(type.fields)) out[name] = fromCbor(value.get(name)!, sub);
    return out;
  }
  if (type.type === "array" && Array.isArray(value)) return value.map((v) => fromCbor(v, type.of));
  return value;
}
