/**
 * Every single-bit flip and every truncation of a small bundle is rejected with the code the
 * spec's table (docs/bundle-format.md, "Which error for which damage") predicts, and pieces of
 * one bundle cannot be spliced into another.
 */
import { describe, expect, it } from "vitest";
import { deviceKey, fixture, outcome, sealFixed } from "../test-support/fixtures.js";
import { readU64be } from "./bytes.js";
import { SEALED_CHUNK_SIZE } from "./chunks.js";
import type { BundleErrorCode } from "./errors.js";
import { HEADER_LENGTH, MAX_SLOT_TIER, MIN_PAYLOAD_CIPHERTEXT, MIN_SLOT_TIER, OFFSET_LENGTH, OFFSET_TIER, prefixLengthFor, SLOT_LENGTH } from "./layout.js";
import { BundleSealer } from "./seal.js";
import { openBundle } from "./open.js";
import { isBucket } from "./padding.js";
import { randomBytes } from "./primitives.js";

const fx = fixture(3, "tamper");
const me = fx.devices[1]!;
// Recipient 1 (me) sits in slot 2 of 4.
const ORDER = [0, 2, 3];
const MY_SLOT = 2;
const body = randomBytes(200);
const bundle = sealFixed(body, fx, ORDER);
const open = (b: Uint8Array): BundleErrorCode | "ok" => outcome(() => openBundle(b, { recipient: me }));

/** The code the spec's table predicts for a bundle whose byte `at` was changed. */
function expectedFor(damaged: Uint8Array, at: number): BundleErrorCode {
  if (at < 7) return "BUNDLE_MALFORMED";
  if (at < 9) return "BUNDLE_VERSION";
  if (at >= OFFSET_LENGTH && at < OFFSET_LENGTH + 8) {
    const declared = readU64be(damaged, OFFSET_LENGTH);
    if (!isBucket(declared)) return "BUNDLE_MALFORMED";
    return declared > damaged.length ? "BUNDLE_TRUNCATED" : "BUNDLE_MALFORMED";
  }
  if (at === OFFSET_TIER) {
    const tier = damaged[OFFSET_TIER]!;
    if (tier < MIN_SLOT_TIER || tier > MAX_SLOT_TIER) return "BUNDLE_MALFORMED";
    if (prefixLengthFor(tier) + MIN_PAYLOAD_CIPHERTEXT > damaged.length) return "BUNDLE_MALFORMED";
    return "BUNDLE_NOT_FOR_ME";
  }
  if (at < HEADER_LENGTH) return "BUNDLE_NOT_FOR_ME"; // mailbox tag, ephemeral key: every slot is bound to the header
  const slot = Math.floor((at - HEADER_LENGTH) / SLOT_LENGTH);
  if (slot < 4) return slot === MY_SLOT ? "BUNDLE_NOT_FOR_ME" : "BUNDLE_AUTH";
  return "BUNDLE_AUTH";
}

describe("damage", () => {
  it("the undamaged bundle opens", () => {
    expect(open(bundle)).toBe("ok");
    expect(bundle.length).toBe(1024);
  });

  it("every single-bit flip is rejected with the predicted code", () => {
    const seen = new Map<string, number>();
    for (let at = 0; at < bundle.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = bundle.slice();
        damaged[at]! ^= 1 << bit;
        const got = open(damaged);
        const want = expectedFor(damaged, at);
        if (got !== want) expect.fail(`flip of bit ${bit} at byte ${at}: got ${got}, expected ${want}`);
        seen.set(got, (seen.get(got) ?? 0) + 1);
      }
    }
    // The walk reached every kind of damage the table lists.
    expect([...seen.keys()].sort()).toEqual(
      ["BUNDLE_AUTH", "BUNDLE_MALFORMED", "BUNDLE_NOT_FOR_ME", "BUNDLE_TRUNCATED", "BUNDLE_VERSION"].sort(),
    );
  });

  it("every truncation point is BUNDLE_TRUNCATED", () => {
    for (let length = 0; length < bundle.length; length++) {
      const got = open(bundle.subarray(0, length));
      if (got !== "BUNDLE_TRUNCATED") expect.fail(`cut to ${length} bytes: got ${got}`);
    }
  });

  it("any extension is BUNDLE_MALFORMED, including one that reaches the next bucket size", () => {
    expect(open(new Uint8Array([...bundle, 0]))).toBe("BUNDLE_MALFORMED");
    expect(open(new Uint8Array([...bundle, ...new Uint8Array(64)]))).toBe("BUNDLE_MALFORMED");
  });

  it("a truncated multi-chunk bundle that still declares a bucket length is caught", () => {
    const big = sealFixed(randomBytes(3 * SEALED_CHUNK_SIZE), fx, ORDER);
    for (const cut of [1, 16, SEALED_CHUNK_SIZE, SEALED_CHUNK_SIZE + 1]) {
      expect(open(big.subarray(0, big.length - cut))).toBe("BUNDLE_TRUNCATED");
    }
  });
});

describe("splicing between bundles", () => {
  const other = sealFixed(body, fx, ORDER, "second bundle");
  const big1 = sealFixed(randomBytes(3 * SEALED_CHUNK_SIZE), fx, ORDER, "big one");
  const big2 = sealFixed(randomBytes(3 * SEALED_CHUNK_SIZE), fx, ORDER, "big two");
  const prefix = prefixLengthFor(2);

  it("my slot moved into another bundle does not open there", () => {
    const spliced = other.slice();
    const at = HEADER_LENGTH + MY_SLOT * SLOT_LENGTH;
    spliced.set(bundle.subarray(at, at + SLOT_LENGTH), at);
    expect(open(spliced)).toBe("BUNDLE_NOT_FOR_ME");
  });

  it("another bundle's payload under this header and slots fails authentication", () => {
    const spliced = bundle.slice();
    spliced.set(other.subarray(prefix), prefix);
    expect(open(spliced)).toBe("BUNDLE_AUTH");
  });

  it("a chunk from another bundle fails authentication", () => {
    const spliced = big1.slice();
    const at = prefix + SEALED_CHUNK_SIZE;
    spliced.set(big2.subarray(at, at + SEALED_CHUNK_SIZE), at);
    expect(open(spliced)).toBe("BUNDLE_AUTH");
  });

  it("reordered chunks fail authentication", () => {
    const swapped = big1.slice();
    const a = prefix;
    const b = prefix + SEALED_CHUNK_SIZE;
    swapped.set(big1.subarray(b, b + SEALED_CHUNK_SIZE), a);
    swapped.set(big1.subarray(a, a + SEALED_CHUNK_SIZE), b);
    expect(open(swapped)).toBe("BUNDLE_AUTH");
  });

  it("moving my slot to another position fails authentication (the slots are bound to the payload key)", () => {
    const moved = bundle.slice();
    const mine = HEADER_LENGTH + MY_SLOT * SLOT_LENGTH;
    const first = HEADER_LENGTH;
    moved.set(bundle.subarray(mine, mine + SLOT_LENGTH), first);
    moved.set(bundle.subarray(first, first + SLOT_LENGTH), mine);
    expect(open(moved)).toBe("BUNDLE_AUTH");
  });

  it("another bundle's mailbox tag makes the slots unopenable", () => {
    const retagged = bundle.slice();
    retagged.set(randomBytes(16), 9);
    expect(open(retagged)).toBe("BUNDLE_NOT_FOR_ME");
  });
});

describe("sender authentication", () => {
  it("a co-recipient cannot seal content in another device's name", () => {
    // Mallory is a recipient too, so she can build a valid envelope; she cannot sign as Alice.
    const mallory = fixture(1, "mallory").sender;
    const forged = new BundleSealer(5, { ...fx.options, sender: { secretKey: mallory.secretKey, publicKey: fx.sender.publicKey } });
    const out = new Uint8Array(Buffer.concat([forged.prefix, ...forged.push(new Uint8Array(5)), ...forged.finish()]));
    expect(outcome(() => openBundle(out, { recipient: fx.devices[0]! }))).toBe("BUNDLE_AUTH");
  });

  it("a stranger's key, even a low-order point as ephemeral key, is BUNDLE_NOT_FOR_ME", () => {
    const lowOrder = bundle.slice();
    lowOrder.fill(0, 34, 66);
    expect(open(lowOrder)).toBe("BUNDLE_NOT_FOR_ME");
    expect(outcome(() => openBundle(bundle, { recipient: deviceKey("nobody") }))).toBe("BUNDLE_NOT_FOR_ME");
  });
});
