import { describe, expect, it } from "vitest";
import { CHAR_CLASSES, generatePassphrase, generatePassword, passphraseEntropyBits, passwordEntropyBits } from "./generate.js";
import { effLargeWordlist } from "./wordlist.js";

describe("generatePassword", () => {
  it("defaults to 20 characters holding every class", () => {
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(p).toHaveLength(20);
      for (const chars of Object.values(CHAR_CLASSES)) expect([...p].some((c) => chars.includes(c))).toBe(true);
    }
  });

  it("draws only from the chosen classes, each at least once, even at the shortest length", () => {
    for (let i = 0; i < 200; i++) {
      const p = generatePassword({ length: 8, classes: { digits: true, symbols: true } });
      expect(p).toMatch(/^[0-9!#$%&()*+,\-./:;<=>?@[\]^_{|}~]{8}$/);
      expect(p).toMatch(/[0-9]/);
      expect(p).toMatch(/[^0-9]/);
    }
    expect(generatePassword({ length: 256, classes: { lower: true } })).toMatch(/^[a-z]{256}$/);
  });

  it("is uniform per position over the alphabet (chi-square, fixed cutoff)", () => {
    // 2000 passwords of 20 lowercase letters: 40,000 draws into 26 bins. Chi-square with 25 degrees
    // of freedom exceeds 60 with probability about 1e-4, so a failure means bias, not bad luck.
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const c of generatePassword({ classes: { lower: true } })) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = 40_000 / 26;
    let chi = 0;
    for (const c of CHAR_CLASSES.lower) chi += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
    expect(chi).toBeLessThan(60);
  });

  it("refuses lengths and classes it cannot honour", () => {
    for (const length of [7, 257, 20.5, Number.NaN, -1]) expect(() => generatePassword({ length })).toThrow(RangeError);
    expect(() => generatePassword({ classes: {} })).toThrow(/no character class/);
    expect(() => generatePassword({ classes: { lower: false } })).toThrow(/no character class/);
    expect(() => generatePassword({ classes: { emoji: true } as never })).toThrow(/unknown class/);
  });

  it("reports its entropy exactly", () => {
    // Default: 90-character alphabet, 20 positions, minus the passwords missing a class.
    const bits = passwordEntropyBits();
    expect(bits).toBeCloseTo(129.689, 3);
    expect(bits).toBeLessThan(20 * Math.log2(90));
    expect(passwordEntropyBits({ length: 8, classes: { lower: true } })).toBeCloseTo(8 * Math.log2(26), 10);
    // Two classes of sizes 26 and 10, length 8: 36^8 - 26^8 - 10^8 passwords.
    expect(passwordEntropyBits({ length: 8, classes: { lower: true, digits: true } })).toBeCloseTo(Math.log2(36 ** 8 - 26 ** 8 - 10 ** 8), 10);
  });
});

describe("generatePassphrase", () => {
  it("loads the EFF large wordlist: 7776 distinct words", () => {
    const list = effLargeWordlist();
    expect(list).toHaveLength(7776);
    expect(new Set(list).size).toBe(7776);
    expect(list[0]).toBe("abacus");
    expect(list[7775]).toBe("zoom");
  });

  it("defaults to six words joined by '-'", () => {
    const words = new Set(effLargeWordlist());
    const p = generatePassphrase({ separator: " " });
    const parts = p.split(" ");
    expect(parts).toHaveLength(6);
    for (const w of parts) expect(words.has(w)).toBe(true);
    expect(generatePassphrase().split("-").length).toBeGreaterThanOrEqual(6);
    expect(generatePassphrase({ words: 4, separator: "." }).split(".")).toHaveLength(4);
  });

  it("reports 6 * log2(7776) = 77.5 bits by default and refuses bad options", () => {
    expect(passphraseEntropyBits()).toBeCloseTo(77.55, 2);
    for (const words of [3, 33, 5.5]) expect(() => generatePassphrase({ words })).toThrow(RangeError);
    for (const separator of ["", "123456789", "\n", "\u0000"]) expect(() => generatePassphrase({ separator })).toThrow(RangeError);
  });
});
