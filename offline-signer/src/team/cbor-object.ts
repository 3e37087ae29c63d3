/**
 * Plain objects <-> canonical CBOR maps, for the vault's own signed structures (team entries,
 * changesets, requests). Decoding goes through bundle-format's strict canonical gate, so a
 * structure accepted here has exactly one encoding: its hash and signature cover that.
 */
import { decodeCanonical, decodeValidated, encodeCanonical, type CborLimits, type CborValue } from "@airlock/bundle-format";

export type Plain = string | number | boolean | null | Uint8Array | readonly Plain[] | { readonly [k: string]: Plain | undefined };

export function toCbor(value: Plain): CborValue {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((v: Plain) => toCbor(v));
  const map = new Map<string, CborValue>();
  for (const [k, v] of Object.entries(value as Record<string, Plain | undefined>)) if (v !== undefined) map.set(k, toCbor(v));
  return map;
}

export function fromCbor(value: CborValue): Plain {
  if (value instanceof Map) {
    const out: Record<string, Plain> = Object.create(null) as Record<string, Plain>;
    for (const [k, v] of value) out[k] = fromCbor(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(fromCbor);
  return value;
}

export const encodeObject = (value: Plain): Uint8Array => encodeCanonical(toCbor(value));

export function decodeObject(bytes: Uint8Array, limits?: CborLimits): Plain {
  return fromCbor(decodeCanonical(bytes, limits));
}

/** The same for hot paths: canonical form is checked by the validator, without re-encoding. */
export function decodeObjectFast(bytes: Uint8Array, limits?: CborLimits): Plain {
  return fromCbor(decodeValidated(bytes, limits));
}
