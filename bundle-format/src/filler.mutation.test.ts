/**
 * The argument checks of fillerBundle at their exact boundaries, found by the mutation run
 * (`npm run mutate -- transport`, docs/testing.md, "Mutation testing").
 */
import { describe, expect, it } from "vitest";
import { fillerBundle } from "./filler.js";
import { MAX_SLOT_TIER, MIN_PAYLOAD_CIPHERTEXT, MIN_SLOT_TIER, prefixLengthFor } from "./layout.js";
import { inspectBundle } from "./open.js";
import { bucketFor, isBucket } from "./padding.js";

const tag = new Uint8Array(16).fill(3);

/** The largest bucket below `length` (undefined below the smallest bucket). */
function bucketBelow(length: number): number | undefined {
  for (let n = length - 1; n >= 1024; n--) if (isBucket(n)) return n;
  return undefined;
}

describe("fillerBundle's checks", () => {
  it("names the mailbox tag when it has the wrong length", () => {
    expect(() => fillerBundle({ mailboxTag: new Uint8Array(17), length: 1024 })).toThrow(/mailboxTag/);
    expect(() => fillerBundle({ mailboxTag: tag, length: 1024, seed: new Uint8Array(31) })).toThrow(/seed/);
  });

  it("takes slot tiers MIN..MAX and refuses the integers just outside and fractions", () => {
    for (const slotTier of [MIN_SLOT_TIER - 1, MAX_SLOT_TIER + 1, 2.5]) {
      expect(() => fillerBundle({ mailboxTag: tag, length: 1 << 20, slotTier })).toThrow(new RangeError(`slotTier must be an integer in ${MIN_SLOT_TIER}..${MAX_SLOT_TIER}, got ${slotTier}`));
    }
    for (const slotTier of [MIN_SLOT_TIER, MAX_SLOT_TIER]) {
      expect(inspectBundle(fillerBundle({ mailboxTag: tag, length: 1 << 20, slotTier })).slotCount).toBe(2 ** slotTier);
    }
    expect(inspectBundle(fillerBundle({ mailboxTag: tag, length: 1024 })).slotCount).toBe(2 ** MIN_SLOT_TIER);
  });

  it("for every tier: the smallest bucket holding the slots and a minimal payload is taken, the bucket below it refused", () => {
    for (let slotTier = MIN_SLOT_TIER; slotTier <= MAX_SLOT_TIER; slotTier++) {
      const need = prefixLengthFor(slotTier) + MIN_PAYLOAD_CIPHERTEXT;
      const fits = bucketFor(need);
      expect(fillerBundle({ mailboxTag: tag, length: fits, slotTier }).length).toBe(fits);
      const below = bucketBelow(fits);
      if (below !== undefined) {
        expect(() => fillerBundle({ mailboxTag: tag, length: below, slotTier })).toThrow(new RangeError(`length ${below} is not a bucket size that fits ${2 ** slotTier} slots`));
      }
    }
  });
});
