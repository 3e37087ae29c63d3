import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { chacha20 } from "@noble/ciphers/chacha.js";
import { outcome, fixture, sealFixed } from "../test-support/fixtures.js";
import { fillerBundle } from "./filler.js";
import { HEADER_LENGTH, prefixLengthFor } from "./layout.js";
import { inspectBundle, openBundle } from "./open.js";
import { bucketFor } from "./padding.js";
import { randomBytes, x25519KeyPair } from "./primitives.js";

// Curve25519 in Montgomery form: v^2 = u^3 + A u^2 + u over GF(p).
const P = 2n ** 255n - 19n;
const A = 486662n;

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

const littleEndian = (bytes: Uint8Array): bigint => bytes.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);

/**
 * Whether 32 bytes could be what a real seal puts in the header: a canonical u-coordinate of a
 * point on the curve itself (not its twist) and not one of the small-order points (u = 0, 1,
 * p - 1 and the two of order 8). A reference check written here from the curve equation, so a
 * filler that took random, zero or constant bytes fails it.
 */
function isRealX25519PublicKey(key: Uint8Array): boolean {
  const u = littleEndian(key);
  if (u >= P) return false;
  const smallOrder = [0n, 1n, P - 1n, 325606250916557431795983626356110631294008115727848805560023387167927233504n, 39382357235489614581723060781553021112529911719440698176882885853963445705823n];
  if (smallOrder.includes(u)) return false;
  const rhs = (((u * u) % P) * u + A * ((u * u) % P) + u) % P;
  return modPow(rhs, (P - 1n) / 2n, P) === 1n;
}

/** Bytes that deflate to less than 99% of their size have structure no cipher output has. */
const looksRandom = (bytes: Uint8Array): boolean => deflateRawSync(bytes, { level: 9 }).length >= bytes.length * 0.99;

describe("filler bundles", () => {
  it("look like a bundle to a courier and open for nobody", () => {
    const tag = new Uint8Array(16).fill(5);
    const bundle = fillerBundle({ mailboxTag: tag, length: bucketFor(3000), slotTier: 2 });
    expect(inspectBundle(bundle).mailboxTag).toEqual(tag);
    const me = x25519KeyPair();
    expect(outcome(() => openBundle(bundle, { recipient: me }))).toBe("BUNDLE_NOT_FOR_ME");
  });

  it("carry a genuine X25519 ephemeral key and random-looking slots and payload, fresh each time", () => {
    const tag = randomBytes(16);
    const length = bucketFor(20_000);
    const bundles = [0, 1, 2].map(() => fillerBundle({ mailboxTag: tag, length, slotTier: 3 }));
    const keys = new Set<string>();
    for (const bundle of bundles) {
      const header = inspectBundle(bundle);
      expect(isRealX25519PublicKey(header.ephemeralPublicKey)).toBe(true);
      keys.add(Buffer.from(header.ephemeralPublicKey).toString("hex"));
      expect(looksRandom(bundle.subarray(HEADER_LENGTH, header.prefixLength))).toBe(true); // the slots
      expect(looksRandom(bundle.subarray(header.prefixLength))).toBe(true); // the payload
    }
    expect(keys.size).toBe(3);
    const bodies = new Set(bundles.map((b) => Buffer.from(b.subarray(HEADER_LENGTH)).toString("base64")));
    expect(bodies.size).toBe(3);
  });

  it("with a seed: the same bytes for the same seed (the ChaCha20 keystream, as @noble computes it), as random-looking as without", () => {
    const tag = randomBytes(16);
    const length = bucketFor(20_000);
    const seed = randomBytes(32);
    const a = fillerBundle({ mailboxTag: tag, length, slotTier: 3, seed });
    expect(fillerBundle({ mailboxTag: tag, length, slotTier: 3, seed: seed.slice() })).toEqual(a);
    const b = fillerBundle({ mailboxTag: tag, length, slotTier: 3, seed: randomBytes(32) });
    expect(Buffer.from(b.subarray(HEADER_LENGTH - 32)).equals(Buffer.from(a.subarray(HEADER_LENGTH - 32)))).toBe(false);
    const header = inspectBundle(a);
    expect(isRealX25519PublicKey(header.ephemeralPublicKey)).toBe(true);
    expect(looksRandom(a.subarray(HEADER_LENGTH))).toBe(true);
    const stream = chacha20(seed, new Uint8Array(12), new Uint8Array(32 + length - HEADER_LENGTH));
    expect(header.ephemeralPublicKey).toEqual(x25519KeyPair(stream.slice(0, 32)).publicKey);
    expect(a.subarray(HEADER_LENGTH)).toEqual(stream.subarray(32));
    expect(() => fillerBundle({ mailboxTag: tag, length, seed: new Uint8Array(31) })).toThrow(RangeError);
  });

  it("the checks above refuse what a lazy filler would write", () => {
    const basePoint = new Uint8Array(32);
    basePoint[0] = 9;
    expect(isRealX25519PublicKey(basePoint)).toBe(true);
    expect(isRealX25519PublicKey(new Uint8Array(32))).toBe(false);
    expect(isRealX25519PublicKey(new Uint8Array(32).fill(0xff))).toBe(false);
    expect(isRealX25519PublicKey(x25519KeyPair().publicKey)).toBe(true);
    // About half of random strings are twist points: among 64 of them at least one is refused.
    expect([...Array(64).keys()].some(() => !isRealX25519PublicKey(randomBytes(32)))).toBe(true);
    expect(looksRandom(new Uint8Array(5000))).toBe(false);
    expect(looksRandom(randomBytes(5000))).toBe(true);
  });

  it("has the same layout as a sealed bundle of the same length and slot tier", () => {
    const fx = fixture(5, "cover-vs-real");
    const real = sealFixed(randomBytes(9000), fx);
    const realHeader = inspectBundle(real);
    const cover = fillerBundle({ mailboxTag: randomBytes(16), length: real.length, slotTier: Math.log2(realHeader.slotCount) });
    const coverHeader = inspectBundle(cover);
    expect(cover.length).toBe(real.length);
    expect(Buffer.from(cover.subarray(0, 9))).toEqual(Buffer.from(real.subarray(0, 9))); // magic, version, suite
    expect({ ...coverHeader, mailboxTag: undefined, ephemeralPublicKey: undefined }).toEqual({ ...realHeader, mailboxTag: undefined, ephemeralPublicKey: undefined });
    expect(coverHeader.prefixLength).toBe(prefixLengthFor(3));
    expect(isRealX25519PublicKey(realHeader.ephemeralPublicKey)).toBe(true);
  });

  it("refuses lengths that are not buckets or cannot hold the slots", () => {
    const tag = new Uint8Array(16);
    expect(() => fillerBundle({ mailboxTag: tag, length: 1025 })).toThrow(RangeError);
    expect(() => fillerBundle({ mailboxTag: tag, length: 1024, slotTier: 10 })).toThrow(RangeError);
    expect(() => fillerBundle({ mailboxTag: new Uint8Array(15), length: 1024 })).toThrow(RangeError);
  });
});
