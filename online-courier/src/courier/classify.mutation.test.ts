/**
 * Sorting by header and transport key (classify.ts), checked value by value: the mutation run
 * (`npm run mutate -- transport`, docs/testing.md) found that the courier-level tests only see
 * the sorting's effect on a spool, not which team, epoch or reason it names.
 */
import { describe, expect, it } from "vitest";
import { fillerBundle, randomBytes, sealBundle, x25519KeyPair } from "@airlock/bundle-format";
import { TransportKey } from "@airlock/shared";
import type { TeamId } from "../home/teams.js";
import { classifyBundle, slotTierOf, UNKNOWN_TAG, type KeyedTeam } from "./classify.js";

const DAY = 86_400_000;
const NOW = 20_000 * DAY + 5_000;
const MAX = 1 << 20;

const team = (id: string): KeyedTeam => ({ id: id as TeamId, tk: TransportKey.generate() });
const a = team("aa");
const b = team("bb");

function real(tk: TransportKey, epoch: number, recipients = 1): Uint8Array {
  const to = Array.from({ length: recipients }, () => x25519KeyPair().publicKey);
  return sealBundle(new Uint8Array([1, 2, 3]), { recipients: to, sender: x25519KeyPair(), mailboxTag: tk.tag("real", epoch) });
}

describe("classifyBundle", () => {
  const today = a.tk.epochAt(NOW);

  it("names the team whose key made the tag, the header and the tag's epoch", () => {
    const bytes = real(b.tk, today - 3);
    const v = classifyBundle(bytes, [a, b], NOW, MAX);
    expect(v.kind).toBe("real");
    if (v.kind !== "real") return;
    expect(v.team).toBe("bb");
    expect(v.epoch).toBe(today - 3);
    expect(v.header.length).toBe(bytes.length);
  });

  it("sorts a team's cover as cover, with its team and epoch", () => {
    const bytes = fillerBundle({ mailboxTag: a.tk.tag("cover", today + 1), length: 4096 });
    expect(classifyBundle(bytes, [b, a], NOW, MAX)).toEqual({ kind: "cover", team: "aa", epoch: today + 1 });
  });

  it("refuses a stranger's tag, and one from outside the window, as unknown", () => {
    const stranger = team("cc");
    for (const bytes of [real(stranger.tk, today), real(a.tk, today - 15), real(a.tk, today + 2)]) {
      const v = classifyBundle(bytes, [a, b], NOW, MAX);
      // The code is what `airlock-courier` reports for such a bundle: spelled out, not taken from the module.
      expect(v).toMatchObject({ kind: "refused", team: undefined, code: "COURIER_UNKNOWN_TAG" });
      if (v.kind === "refused") expect(v.reason).toMatch(/belongs to no team/);
    }
    expect(classifyBundle(real(a.tk, today), [], NOW, MAX)).toMatchObject({ kind: "refused", code: UNKNOWN_TAG });
  });

  it("refuses malformed bytes with the codec's code, and a bundle over maxLength", () => {
    const bytes = real(a.tk, today);
    expect(classifyBundle(bytes.subarray(0, bytes.length - 1), [a], NOW, MAX)).toMatchObject({ kind: "refused", team: undefined, code: "BUNDLE_TRUNCATED" });
    expect(classifyBundle(randomBytes(200), [a], NOW, MAX)).toMatchObject({ kind: "refused", team: undefined, code: "BUNDLE_MALFORMED" });
    const over = classifyBundle(bytes, [a], NOW, bytes.length - 1);
    expect(over.kind).toBe("refused");
    if (over.kind === "refused") expect(over.code).toMatch(/^BUNDLE_/);
    expect(classifyBundle(bytes, [a], NOW, bytes.length).kind).toBe("real");
  });

  it("rethrows what is not a codec error", () => {
    expect(() => classifyBundle("not bytes" as unknown as Uint8Array, [a], NOW, MAX)).toThrow();
  });
});

describe("slotTierOf", () => {
  it("is log2 of the slot count", () => {
    const tk = a.tk;
    const today = tk.epochAt(NOW);
    for (const [recipients, tier] of [[1, 2], [5, 3], [9, 4]] as const) {
      const v = classifyBundle(real(tk, today, recipients), [a], NOW, MAX);
      if (v.kind !== "real") throw new Error("expected a real bundle");
      expect(slotTierOf(v.header)).toBe(tier);
    }
  });
});
