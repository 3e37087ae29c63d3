/**
 * Strict, canonical CBOR (RFC 8949 section 4.2.1 "core deterministic encoding"), restricted to
 * what Airlock payloads need. cbor-x does the encoding and decoding; this module is the gate
 * in front of it, because cbor-x alone accepts duplicate keys, indefinite lengths, non-shortest
 * integers and tags, and encodes integers >= 2^32 as floats.
 *
 * Accepted data model: unsigned and negative integers within +-(2^53 - 1), byte strings,
 * UTF-8 text strings, arrays, maps with text-string keys, false, true, null. Everything else
 * (tags, floats, undefined, simple values, indefinite lengths, break) is refused.
 *
 * Canonical means: definite lengths; every integer and length in its shortest form; map keys
 * strictly increasing in bytewise order of their encodings (so no duplicates); no trailing bytes.
 * The validator walks the bytes and bounds every length by the bytes that remain *before*
 * anything is allocated; the decoded value must then re-encode to the identical bytes.
 */
import { Decoder, Encoder } from "cbor-x";
import { BundleError } from "./errors.js";

export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | CborMap;
export type CborMap = Map<string, CborValue>;

export interface CborLimits {
  /** Largest encoded item accepted. */
  readonly maxBytes: number;
  /** Deepest nesting of arrays and maps. */
  readonly maxDepth: number;
  /** Most entries in any one array or map. */
  readonly maxItems: number;
}

export const DEFAULT_CBOR_LIMITS: CborLimits = { maxBytes: 64 * 1024 * 1024, maxDepth: 16, maxItems: 1 << 20 };

const encoder = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false, variableMapSize: true });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function malformed(message: string, offset: number): never {
  throw new BundleError("BUNDLE_MALFORMED", `payload is not canonical CBOR: ${message} at byte ${offset}`);
}

/** Throws BUNDLE_MALFORMED unless `bytes` is exactly one canonical item within `limits`. */
export function validateCanonical(bytes: Uint8Array, limits: CborLimits = DEFAULT_CBOR_LIMITS): void {
  if (bytes.length > limits.maxBytes) {
    throw new BundleError("BUNDLE_TOO_LARGE", `payload is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`);
  }
  const end = walk(bytes, 0, 0, limits);
  if (end !== bytes.length) malformed(`${bytes.length - end} trailing bytes`, end);
}

/** Reads an item head; returns [major, argument, offset after the head]. */
function head(bytes: Uint8Array, at: number): [number, number, number] {
  if (at >= bytes.length) malformed("unexpected end", at);
  const initial = bytes[at]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (info < 24) return [major, info, at + 1];
  if (info === 31) malformed("indefinite length or break", at);
  if (info > 27) malformed(`reserved additional information ${info}`, at);
  if (major === 7) return [major, -info, at + 1]; // floats and simple values: refused by the caller
  const size = 1 << (info - 24);
  if (at + 1 + size > bytes.length) malformed("unexpected end", at);
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + bytes[at + 1 + i]!;
  const minimum = [24, 0x100, 0x10000, 0x100000000][info - 24]!;
  if (value < minimum) malformed("integer or length not in shortest form", at);
  if (value > Number.MAX_SAFE_INTEGER) malformed("integer beyond 2^53 - 1", at);
  return [major, value, at + 1 + size];
}

function walk(bytes: Uint8Array, at: number, depth: number, limits: CborLimits): number {
  const [major, arg, next] = head(bytes, at);
  switch (major) {
    case 0:
      return next;
    case 1:
      if (arg >= Number.MAX_SAFE_INTEGER) malformed("integer beyond -(2^53 - 1)", at);
      return next;
    case 2:
    case 3: {
      if (arg > bytes.length - next) malformed(`string of ${arg} bytes longer than the input`, at);
      if (major === 3) {
        try {
          utf8Strict.decode(bytes.subarray(next, next + arg));
        } catch {
          malformed("text string is not valid UTF-8", at);
        }
      }
      return next + arg;
    }
    case 4:
    case 5: {
      if (depth >= limits.maxDepth) malformed(`nesting deeper than ${limits.maxDepth}`, at);
      if (arg > limits.maxItems) malformed(`${arg} entries, more than ${limits.maxItems}`, at);
      // Each entry takes at least one byte: bound the count by what remains before looping.
      if (arg * (major === 5 ? 2 : 1) > bytes.length - next) malformed(`${arg} entries cannot fit the input`, at);
      let offset = next;
      let previousKey: Uint8Array | undefined;
      for (let i = 0; i < arg; i++) {
        if (major === 5) {
          const keyStart = offset;
          if (bytes[keyStart]! >> 5 !== 3) malformed("map key is not a text string", keyStart);
          offset = walk(bytes, offset, depth + 1, limits);
          const key = bytes.subarray(keyStart, offset);
          if (previousKey !== undefined && Buffer.compare(previousKey, key) >= 0) {
            malformed("map keys duplicated or not in canonical order", keyStart);
          }
          previousKey = key;
        }
        offset = walk(bytes, offset, depth + 1, limits);
      }
      return offset;
    }
    case 6:
      return malformed("tags are not allowed", at);
    default: {
      // major 7: only false (20), true (21), null (22).
      if (arg === 20 || arg === 21 || arg === 22) return next;
      return malformed(arg < 0 ? "floating-point and simple values are not allowed" : `simple value ${arg} is not allowed`, at);
    }
  }
}

/** Validates, decodes and re-encodes: the value is returned only if it round-trips byte for byte. */
export function decodeCanonical(bytes: Uint8Array, limits: CborLimits = DEFAULT_CBOR_LIMITS): CborValue {
  validateCanonical(bytes, limits);
  let raw: unknown;
  try {
    // A fresh view: cbor-x caches a DataView as a property on whatever buffer it decodes.
    raw = decoder.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (e) {
    throw new BundleError("BUNDLE_MALFORMED", "payload CBOR could not be decoded", { cause: e });
  }
  const value = normalize(raw);
  const again = encodeCanonical(value);
  if (Buffer.compare(again, bytes) !== 0) malformed("does not re-encode to the same bytes", 0);
  return value;
}

/**
 * Validates, then decodes without the re-encoding comparison: for hot paths (a vault importing
 * thousands of changesets). The validator alone establishes canonical form (shortest heads,
 * definite lengths, sorted unique text keys, no tags or floats, bounded sizes); the comparison in
 * decodeCanonical is a second line of defence against a decoder bug, and a property test keeps
 * the two in agreement.
 */
export function decodeValidated(bytes: Uint8Array, limits: CborLimits = DEFAULT_CBOR_LIMITS): CborValue {
  validateCanonical(bytes, limits);
  try {
    return normalize(decoder.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)));
  } catch (e) {
    throw new BundleError("BUNDLE_MALFORMED", "payload CBOR could not be decoded", { cause: e });
  }
}

/** cbor-x gives Buffers and bigints; hand callers plain Uint8Arrays and numbers. */
function normalize(raw: unknown): CborValue {
  if (raw === null || typeof raw === "boolean" || typeof raw === "string") return raw;
  if (typeof raw === "number") return raw;
  if (typeof raw === "bigint") return Number(raw); // the validator bounded it to a safe integer
  if (raw instanceof Uint8Array) return new Uint8Array(raw);
  if (Array.isArray(raw)) return raw.map(normalize);
  if (raw instanceof Map) {
    const out: CborMap = new Map();
    for (const [k, v] of raw) out.set(k as string, normalize(v));
    return out;
  }
  return malformed(`unexpected decoded value of type ${typeof raw}`, 0);
}

/** Encodes with map keys sorted canonically and large integers as integers (never floats). */
export function encodeCanonical(value: CborValue): Uint8Array {
  // cbor-x may hand back a view of its reusable scratch buffer: copy before the next encode.
  return new Uint8Array(encoder.encode(prepare(value, 0)));
}

function prepare(value: CborValue, depth: number): unknown {
  if (depth > 64) throw new RangeError("CBOR value nested too deeply");
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`CBOR numbers must be safe integers, got ${value}`);
    // Past 32 bits cbor-x writes numbers as floats, so those go as bigints (8-byte heads). A
    // negative n's argument is -1 - n: -2^32 still fits 4 bytes and must stay a number.
    return value >= 2 ** 32 || value < -(2 ** 32) ? BigInt(value) : value;
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  if (Array.isArray(value)) return value.map((v) => prepare(v, depth + 1));
  if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => {
      if (typeof k !== "string") throw new TypeError("CBOR map keys must be strings");
      return [k, new Uint8Array(encoder.encode(k)), prepare(v, depth + 1)] as const;
    });
    entries.sort((a, b) => Buffer.compare(a[1], b[1]));
    return new Map(entries.map(([k, , v]) => [k, v]));
  }
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  throw new TypeError(`value of type ${typeof value} cannot be encoded as Airlock CBOR`);
}
