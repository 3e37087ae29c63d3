import { describe, expect, it } from "vitest";
import { passphraseStrength, strengthMeter, WEAK_BELOW_GUESSES_LOG10 } from "./strength.js";

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));

describe("passphrase strength (zxcvbn-ts)", () => {
  // Hostile-value table: what people actually type, and what the meter must call each.
  const weak = ["a", "pw", "password1", "Password123!", "qwertyuiop", "11111111111111", "iloveyou2024", "abcdefghijk"];
  const strong = ["correct horse battery staple", "vivid-otter-marble-cactus-lantern", "kX9#mP2vL8qR!tZ4"];

  it.each(weak)("calls %j weak", async (p) => {
    const s = await passphraseStrength(bytes(p));
    expect(s.weak).toBe(true);
    expect(s.guessesLog10).toBeLessThan(WEAK_BELOW_GUESSES_LOG10);
    expect(s.summary).toMatch(/weak|fair/);
  });

  it.each(strong)("accepts %j", async (p) => {
    const s = await passphraseStrength(bytes(p));
    expect(s.weak).toBe(false);
    expect(s.summary).toBe("strong");
  });

  it("never reads past what it was given and leaves the bytes as they were", async () => {
    const backing = bytes("xxxxcorrect horse battery staplexxxx");
    const view = backing.subarray(4, backing.length - 4);
    const before = Buffer.from(backing).toString("hex");
    const s = await passphraseStrength(view);
    expect(s.weak).toBe(false);
    expect(Buffer.from(backing).toString("hex")).toBe(before);
  });

  it("bounds the work on very long input", async () => {
    const s = await passphraseStrength(bytes("ab".repeat(50_000)));
    expect(s.weak).toBe(true);
  });

  it("draws a meter of fixed width", async () => {
    expect(strengthMeter(await passphraseStrength(bytes("a")))).toMatch(/^\[#\.{9}\] /);
    expect(strengthMeter(await passphraseStrength(bytes("correct horse battery staple")))).toMatch(/^\[#{10}\] strong$/);
  });
});
