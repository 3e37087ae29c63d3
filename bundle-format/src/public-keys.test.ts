import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { ed25519KeyPair, ed25519Sign, ed25519Verify, x25519KeyPair } from "./primitives.js";
import { isValidEd25519PublicKey, isValidX25519PublicKey } from "./public-keys.js";
import { fromHex } from "./bytes.js";

// The eight small-order points of edwards25519 (canonical encodings), from the cofactor-8 torsion subgroup.
const SMALL_ORDER_ED25519 = [
  "0100000000000000000000000000000000000000000000000000000000000000", // identity
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
  "0000000000000000000000000000000000000000000000000000000000000080", // order 4
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
];

// Low-order X25519 u-coordinates (RFC 7748 section 7 lists these as inputs to reject).
const LOW_ORDER_X25519 = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

describe("public keys from other parties", () => {
  it("accepts real Ed25519 and X25519 keys", () => {
    for (let i = 0; i < 20; i++) {
      expect(isValidEd25519PublicKey(ed25519KeyPair().publicKey)).toBe(true);
      expect(isValidX25519PublicKey(x25519KeyPair().publicKey)).toBe(true);
    }
  });

  it.each(SMALL_ORDER_ED25519)("refuses the small-order Ed25519 point %s", (h) => {
    expect(isValidEd25519PublicKey(fromHex(h))).toBe(false);
  });

  it("refuses a mixed-order Ed25519 key (a real key plus a torsion point), which OpenSSL verifies against", () => {
    const kp = ed25519KeyPair();
    const torsion = ed25519.Point.fromHex(SMALL_ORDER_ED25519[4]!);
    const mixed = ed25519.Point.fromHex(Buffer.from(kp.publicKey).toString("hex")).add(torsion).toBytes();
    expect(isValidEd25519PublicKey(mixed)).toBe(false);
  });

  it("refuses the identity key although node:crypto verifies a universal signature under it", () => {
    // R = identity, S = 0 verifies for every message under the identity public key.
    const identity = fromHex(SMALL_ORDER_ED25519[0]!);
    const universal = new Uint8Array(64);
    universal[0] = 1;
    const a = ed25519Verify(identity, new Uint8Array([1]), universal);
    const b = ed25519Verify(identity, new Uint8Array([2]), universal);
    // Whatever OpenSSL does with it, the key never gets into a team: the check refuses it.
    expect(a === b).toBe(true);
    expect(isValidEd25519PublicKey(identity)).toBe(false);
    expect(ed25519Verify(ed25519KeyPair().publicKey, new Uint8Array([1]), ed25519Sign(ed25519KeyPair().secretKey, new Uint8Array([1])))).toBe(false);
  });

  it("refuses non-canonical Ed25519 encodings (y >= p) and points off the curve", () => {
    expect(isValidEd25519PublicKey(fromHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))).toBe(false);
    expect(isValidEd25519PublicKey(fromHex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"))).toBe(false);
    // y = 2 is not on the curve (x^2 would be a non-residue).
    const y2 = new Uint8Array(32);
    y2[0] = 2;
    expect(isValidEd25519PublicKey(y2)).toBe(false);
  });

  it.each(LOW_ORDER_X25519)("refuses the low-order X25519 point %s", (h) => {
    expect(isValidX25519PublicKey(fromHex(h))).toBe(false);
  });

  it.each([new Uint8Array(31), new Uint8Array(33), "x" as unknown as Uint8Array, null as unknown as Uint8Array])("refuses a key of the wrong shape (%#)", (k) => {
    expect(isValidEd25519PublicKey(k)).toBe(false);
    expect(isValidX25519PublicKey(k)).toBe(false);
  });
});
