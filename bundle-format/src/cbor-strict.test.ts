/**
 * cbor-x on its own accepts all of the encodings below (proved in the first test); the strict
 * gate must refuse every one with BUNDLE_MALFORMED, and accept exactly the canonical forms.
 */
import { Decoder } from "cbor-x";
import fc from "fast-check";
import { runs } from "../../vitest-properties.js";
import { describe, expect, it } from "vitest";
import { outcome } from "../test-support/fixtures.js";
import { decodeCanonical, decodeValidated, encodeCanonical, validateCanonical, type CborValue } from "./cbor-strict.js";
import { BundleError } from "./errors.js";

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ""), "hex"));

/** Non-canonical or out-of-model encodings, each with why it must be refused. */
const HOSTILE: [string, string][] = [
  ["a2 6161 01 6161 02", "duplicate map key"],
  ["a2 6162 01 6161 02", "map keys out of order"],
  ["a2 626161 01 6162 02", "longer key before shorter (canonical order is length-first)"],
  ["9f 01 02 ff", "indefinite-length array"],
  ["bf 6161 01 ff", "indefinite-length map"],
  ["5f 41 01 ff", "indefinite-length byte string"],
  ["7f 6161 ff", "indefinite-length text string"],
  ["18 05", "integer 5 in a one-byte argument (not shortest)"],
  ["19 0005", "integer 5 in two bytes"],
  ["1a 00000005", "integer 5 in four bytes"],
  ["1b 0000000000000005", "integer 5 in eight bytes"],
  ["58 01 00", "byte string length 1 in a one-byte argument"],
  ["1b 0020000000000000", "integer 2^53, beyond the safe range"],
  ["3b 001fffffffffffff", "negative integer beyond -(2^53 - 1)"],
  ["c1 1a 5f000000", "tag 1 (epoch time)"],
  ["d8 40 43 010203", "tag 64 (typed array)"],
  ["c2 41 01", "tag 2 (bignum)"],
  ["f9 3c00", "half-precision float"],
  ["fa 3f800000", "single-precision float"],
  ["fb 3ff0000000000000", "double-precision float"],
  ["f7", "undefined"],
  ["f0", "simple value 16"],
  ["f8 20", "simple value 32"],
  ["ff", "a lone break"],
  ["1c", "reserved additional information 28"],
  ["a1 01 02", "integer map key"],
  ["a1 41 61 02", "byte-string map key"],
  ["62 c328", "invalid UTF-8 in a text string"],
  ["01 02", "trailing bytes after the item"],
  ["", "empty input"],
  ["5a ffffffff", "byte string declaring 4 GiB in a 5-byte input"],
  ["9b 00000000ffffffff", "array declaring 2^32 entries"],
  ["81".repeat(20) + "00", "nesting deeper than the limit"],
];

describe("strict canonical CBOR", () => {
  it("cbor-x alone accepts most hostile encodings (why the gate exists)", () => {
    const plain = new Decoder({ useRecords: false, mapsAsObjects: false });
    const accepted = HOSTILE.filter(([h]) => {
      try {
        plain.decode(hex(h));
        return true;
      } catch {
        return false;
      }
    });
    expect(accepted.length).toBeGreaterThan(15);
  });

  it.each(HOSTILE)("refuses %s (%s)", (h) => {
    expect(outcome(() => decodeCanonical(hex(h)))).toBe("BUNDLE_MALFORMED");
  });

  it("accepts the canonical forms of the same values", () => {
    const ok: [string, CborValue][] = [
      ["05", 5],
      ["17", 23],
      ["18 18", 24],
      ["19 0100", 256],
      ["1b 001fffffffffffff", Number.MAX_SAFE_INTEGER],
      ["3b 001ffffffffffffe", -Number.MAX_SAFE_INTEGER],
      ["20", -1],
      ["43 010203", new Uint8Array([1, 2, 3])],
      ["63 616263", "abc"],
      ["83 f4 f5 f6", [false, true, null]],
      ["a2 6161 01 6162 02", new Map<string, CborValue>([["a", 1], ["b", 2]])],
      ["a2 6162 01 626161 02", new Map<string, CborValue>([["b", 1], ["aa", 2]])],
    ];
    for (const [h, value] of ok) {
      expect(decodeCanonical(hex(h))).toEqual(value);
      expect(Buffer.from(encodeCanonical(value)).toString("hex")).toBe(h.replace(/\s/g, ""));
    }
  });

  it("encodes integers >= 2^32 as integers, never as floats (cbor-x's default)", () => {
    expect(Buffer.from(encodeCanonical(2 ** 40)).toString("hex")).toBe("1b0000010000000000");
    expect(decodeCanonical(encodeCanonical(2 ** 40))).toBe(2 ** 40);
    expect(() => encodeCanonical(1.5)).toThrow(TypeError);
    expect(() => encodeCanonical(Number.NaN)).toThrow(TypeError);
  });

  // Found by fuzzing (npm run fuzz, cbor-strict): -2^32 was written with an 8-byte head, so the
  // decoder refused the canonical 3affffffff and a changeset holding that value would be refused.
  it("writes the shortest head at every 32-bit boundary, negative ones included", () => {
    const cases: [number, string][] = [
      [2 ** 32 - 1, "1affffffff"],
      [2 ** 32, "1b0000000100000000"],
      [-(2 ** 32) + 1, "3afffffffe"],
      [-(2 ** 32), "3affffffff"],
      [-(2 ** 32) - 1, "3b0000000100000000"],
    ];
    for (const [value, hex] of cases) {
      expect(Buffer.from(encodeCanonical(value)).toString("hex")).toBe(hex);
      expect(decodeCanonical(Buffer.from(hex, "hex"))).toBe(value);
    }
  });

  it("refuses input above the size limit before parsing", () => {
    expect(outcome(() => validateCanonical(new Uint8Array(101), { maxBytes: 100, maxDepth: 4, maxItems: 10 }))).toBe("BUNDLE_TOO_LARGE");
  });

  it("every canonical encoding round-trips byte for byte (property)", () => {
    const value: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.maxSafeInteger(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(tie("v"), { maxLength: 4 }),
        fc.array(fc.tuple(fc.string({ maxLength: 6 }), tie("v")), { maxLength: 4 }).map((es) => new Map(es)),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encodeCanonical(v);
        const limits = { maxBytes: 1 << 20, maxDepth: 64, maxItems: 1000 };
        expect(encodeCanonical(decodeCanonical(bytes, limits))).toEqual(bytes);
        expect(decodeValidated(bytes, limits)).toEqual(decodeCanonical(bytes, limits));
      }),
      { numRuns: runs(500) },
    );
  });

  it("random bytes only ever raise BundleError, and the fast decoder accepts exactly what the checked one does (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200, size: "max" }), (bytes) => {
        let checked: unknown;
        try {
          checked = decodeCanonical(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(BundleError);
          expect(() => decodeValidated(bytes)).toThrow(BundleError);
          return;
        }
        expect(decodeValidated(bytes)).toEqual(checked);
      }),
      { numRuns: runs(3000) },
    );
  });
});
