/**
 * An independent, whole-buffer reader of bundle format v1 written from docs/bundle-format.md
 * with @noble primitives only and no import from src/. It is slow and simple on purpose: the
 * test vectors and random bundles must open identically here and in the real opener, which
 * shows the spec (not just our code) defines the format.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";

const te = new TextEncoder();
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const u64 = (b: Uint8Array, at: number): number => Number(new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0));

function isPadme(n: number): boolean {
  if (n < 1024 || n > 2 ** 40 || !Number.isSafeInteger(n)) return false;
  const e = Math.floor(Math.log2(n));
  const s = Math.floor(Math.log2(e)) + 1;
  return n % 2 ** (e - s) === 0;
}

export type ReferenceResult = { body: Uint8Array; sender: Uint8Array } | { error: string };

export function referenceOpen(bundle: Uint8Array, secret: Uint8Array, maxLength = 256 * 2 ** 20): ReferenceResult {
  const fail = (error: string): ReferenceResult => ({ error });
  const magic = te.encode("AIRLOCK");
  for (let i = 0; i < Math.min(7, bundle.length); i++) if (bundle[i] !== magic[i]) return fail("BUNDLE_MALFORMED");
  if (bundle.length > 7 && bundle[7] !== 1) return fail("BUNDLE_VERSION");
  if (bundle.length > 8 && bundle[8] !== 1) return fail("BUNDLE_VERSION");
  if (bundle.length < 66) return fail("BUNDLE_TRUNCATED");
  const length = u64(bundle, 25);
  if (!isPadme(length)) return fail("BUNDLE_MALFORMED");
  if (length > maxLength) return fail("BUNDLE_TOO_LARGE");
  const tier = bundle[33]!;
  if (tier < 2 || tier > 10) return fail("BUNDLE_MALFORMED");
  const slots = 2 ** tier;
  const prefixLength = 66 + 48 * slots;
  if (prefixLength + 120 > length) return fail("BUNDLE_MALFORMED");
  if (bundle.length < length) return fail("BUNDLE_TRUNCATED");
  if (bundle.length > length) return fail("BUNDLE_MALFORMED");

  const header = bundle.subarray(0, 66);
  const eph = bundle.subarray(34, 66);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secret, eph);
  } catch {
    return fail("BUNDLE_NOT_FOR_ME");
  }
  const me = x25519.getPublicKey(secret);
  const kek = hkdf(sha256, shared, cat(eph, me), te.encode("airlock/v1/slot-key"), 32);
  let contentKey: Uint8Array | undefined;
  for (let i = 0; i < slots && !contentKey; i++) {
    try {
      contentKey = chacha20poly1305(kek, new Uint8Array(12), header).decrypt(bundle.subarray(66 + 48 * i, 66 + 48 * (i + 1)));
    } catch {
      /* not this slot */
    }
  }
  if (!contentKey) return fail("BUNDLE_NOT_FOR_ME");
  const prefix = bundle.subarray(0, prefixLength);
  const prefixHash = sha256(prefix);
  const key = hkdf(sha256, contentKey, prefixHash, te.encode("airlock/v1/payload-key"), 32);

  const sealed = bundle.subarray(prefixLength);
  const n = Math.max(1, Math.ceil((sealed.length - 16) / (65536 + 16)));
  const plain: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const start = i * (65536 + 16);
    const end = i === n - 1 ? sealed.length : start + 65536 + 16;
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(3, BigInt(i));
    nonce[11] = i === n - 1 ? 1 : 0;
    try {
      plain.push(chacha20poly1305(key, nonce).decrypt(sealed.subarray(start, end)));
    } catch {
      return fail("BUNDLE_AUTH");
    }
  }
  const p = cat(...plain);
  const sender = p.subarray(0, 32);
  const bodyLength = u64(p, 32);
  if (40 + bodyLength + 64 > p.length) return fail("BUNDLE_MALFORMED");
  const body = p.subarray(40, 40 + bodyLength);
  const signature = p.subarray(40 + bodyLength, 40 + bodyLength + 64);
  if (p.subarray(40 + bodyLength + 64).some((b) => b !== 0)) return fail("BUNDLE_MALFORMED");
  const signed = cat(te.encode("airlock/v1/bundle-signature"), prefixHash, p.subarray(32, 40), sha256(body));
  let ok = false;
  try {
    ok = ed25519.verify(signature, signed, sender, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) return fail("BUNDLE_AUTH");
  return { body, sender };
}
