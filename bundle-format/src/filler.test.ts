import { describe, expect, it } from "vitest";
import { outcome } from "../test-support/fixtures.js";
import { fillerBundle } from "./filler.js";
import { inspectBundle, openBundle } from "./open.js";
import { bucketFor } from "./padding.js";
import { x25519KeyPair } from "./primitives.js";

describe("filler bundles", () => {
  it("look like a bundle to a courier and open for nobody", () => {
    const tag = new Uint8Array(16).fill(5);
    const bundle = fillerBundle({ mailboxTag: tag, length: bucketFor(3000), slotTier: 2 });
    expect(inspectBundle(bundle).mailboxTag).toEqual(tag);
    const me = x25519KeyPair();
    expect(outcome(() => openBundle(bundle, { recipient: me }))).toBe("BUNDLE_NOT_FOR_ME");
  });

  it("refuses lengths that are not buckets or cannot hold the slots", () => {
    const tag = new Uint8Array(16);
    expect(() => fillerBundle({ mailboxTag: tag, length: 1025 })).toThrow(RangeError);
    expect(() => fillerBundle({ mailboxTag: tag, length: 1024, slotTier: 10 })).toThrow(RangeError);
    expect(() => fillerBundle({ mailboxTag: new Uint8Array(15), length: 1024 })).toThrow(RangeError);
  });
});
