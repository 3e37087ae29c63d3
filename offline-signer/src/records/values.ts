// Field values and identifiers: strict validation of untrusted input and a canonical byte encoding.

/** A field value or list item. Numbers are safe integers only (no floats, NaN, infinities). */
export type Value = string | number | boolean | null | Uint8Array;

/** Maximum length of collection ids, record ids and field names, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256;
/** Maximum string value length, in UTF-16 code units. */
export const MAX_STRING_LENGTH = 1 << 20;
/** Maximum byte-string value length. */
export const MAX_BYTES_LENGTH = 1 << 20;

// A lone surrogate has no UTF-8 encoding; two different strings would encode (and digest) alike.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const utf8 = new TextEncoder();

function checkString(s: string, max: number, what: string): void {
  if (s.length > max) throw new RangeError(`${what} is longer than ${max} code units`);
  if (LONE_SURROGATE.test(s)) throw new RangeError(`${what} contains a lone surrogate (not valid Unicode)`);
}

/** Validates a collection id, record id or field name: a non-empty well-formed string of bounded length. */
export function validateId(id: unknown, what: string): string {
  if (typeof id !== "string") throw new TypeError(`${what} must be a string, got ${describe(id)}`);
  if (id.length === 0) throw new RangeError(`${what} must not be empty`);
  checkString(id, MAX_ID_LENGTH, what);
  return id;
}

/** Validates an untrusted value; returns a normalized value (-0 folded to 0, bytes copied). */
export function validateValue(v: unknown, what = "value"): Value {
  if (v === null || typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new RangeError(`${what} must be a safe integer, got ${v}`);
    return v === 0 ? 0 : v;
  }
  if (typeof v === "string") {
    checkString(v, MAX_STRING_LENGTH, what);
    return v;
  }
  if (v instanceof Uint8Array) {
    if (v.length > MAX_BYTES_LENGTH) throw new RangeError(`${what} is longer than ${MAX_BYTES_LENGTH} bytes`);
    return new Uint8Array(v); // a plain copy: the caller may reuse its buffer, and Buffer subclasses are folded
  }
  throw new TypeError(`${what} must be a string, safe integer, boolean, null or Uint8Array, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

/** Bytewise order; a proper prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export const VALUE_TAG = { null: 0, false: 1, true: 2, int: 3, string: 4, bytes: 5 } as const;

function lengthPrefixed(tag: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = tag;
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, 5);
  return out;
}

/** Canonical encoding of a value (see docs/records-merge.md). */
export function encodeValue(v: Value): Uint8Array {
  if (v === null) return Uint8Array.of(VALUE_TAG.null);
  if (v === false) return Uint8Array.of(VALUE_TAG.false);
  if (v === true) return Uint8Array.of(VALUE_TAG.true);
  if (typeof v === "number") {
    const out = new Uint8Array(9);
    out[0] = VALUE_TAG.int;
    new DataView(out.buffer).setBigInt64(1, BigInt(v));
    return out;
  }
  if (typeof v === "string") return lengthPrefixed(VALUE_TAG.string, utf8.encode(v));
  return lengthPrefixed(VALUE_TAG.bytes, v);
}

/** Encodes a string as u32 big-endian UTF-8 length, then the UTF-8 bytes. */
export function encodeString(s: string): Uint8Array {
  const body = utf8.encode(s);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/** Returns a copy so callers cannot mutate stored bytes. */
export function copyValue(v: Value): Value {
  return v instanceof Uint8Array ? new Uint8Array(v) : v;
}
