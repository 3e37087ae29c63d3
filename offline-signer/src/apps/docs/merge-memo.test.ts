/** Merges remembered by what they merged: the same answers as merge3, each triple computed once, within a bound of characters. */
import { describe, expect, it } from "vitest";
import { MERGE_MEMO_ENTRY_OVERHEAD, MergeMemo } from "./merge-memo.js";
import { MERGE_MAX_LINES, merge3, type Merged } from "./text-diff.js";

/** merge3's answer without its step count, which the memo does not keep. */
function expected(o: string, a: string, b: string): Merged {
  const { steps: _steps, ...want } = merge3(o, a, b);
  return want;
}
const MANY = Array.from({ length: MERGE_MAX_LINES + 1 }, (_, i) => `${i}\n`).join("");

const BASE = "one\ntwo\nthree\nfour\n";
const TRIPLES: ReadonlyArray<readonly [string, string, string]> = [
  // clean
  [BASE, "ONE\ntwo\nthree\nfour\n", "one\ntwo\nthree\nFOUR\n"],
  // conflicted
  [BASE, "one\nTWO\nthree\nfour\n", "one\n2\nthree\nfour\n"],
  // beyond the per-merge budget (more lines than a merge takes)
  [MANY, "x\n" + MANY, MANY + "y\n"],
  // empty texts
  ["", "", "x\n"],
];

describe("MergeMemo", () => {
  it("answers what merge3 answers, found or computed", () => {
    const memo = new MergeMemo();
    for (let pass = 0; pass < 2; pass++) {
      for (const [o, a, b] of TRIPLES) {
        expect(memo.merge(o, a, b)).toEqual(expected(o, a, b));
      }
    }
    expect(memo.computed).toBe(TRIPLES.length);
    expect(memo.size).toBe(TRIPLES.length);
  });

  it("tells triples apart by every text and where one ends", () => {
    const memo = new MergeMemo();
    // The same characters, split or ordered differently between the three texts, are other merges.
    const triples: Array<[string, string, string]> = [
      ["a\n", "a\nb\n", "a\n"],
      ["a\na\n", "b\n", "a\n"],
      ["a\n", "a\n", "a\nb\n"],
      ["a\n", "a\na\nb\n", ""],
    ];
    for (const t of triples) expect(memo.merge(...t)).toEqual(expected(...t));
    expect(memo.computed).toBe(triples.length);
  });

  it("keeps at most its bound of characters, dropping the least recently used first", () => {
    const text = (c: string): string => `${c}\n`.repeat(10); // 20 characters
    const entry = MERGE_MEMO_ENTRY_OVERHEAD + 20;
    const memo = new MergeMemo(2 * entry + 10);
    memo.merge("", text("a"), "");
    memo.merge("", text("b"), "");
    expect(memo.chars).toBe(2 * entry);
    memo.merge("", text("a"), ""); // found: now the most recent
    expect(memo.computed).toBe(2);
    memo.merge("", text("c"), ""); // over the bound: b goes
    expect(memo.chars).toBe(2 * entry);
    expect(memo.size).toBe(2);
    memo.merge("", text("a"), "");
    expect(memo.computed).toBe(3);
    memo.merge("", text("b"), "");
    expect(memo.computed).toBe(4);
    expect(memo.chars).toBeLessThanOrEqual(2 * entry + 10);
  });

  it("keeps at most its number of entries, however small they are", () => {
    const memo = new MergeMemo(1_000_000, 2);
    // Merges not tried have no text: each still takes an entry.
    for (const extra of ["x\n", "y\n", "z\n"]) memo.merge(MANY, extra + MANY, MANY);
    expect(memo.size).toBe(2);
    expect(memo.chars).toBe(2 * MERGE_MEMO_ENTRY_OVERHEAD);
    memo.merge(MANY, "x\n" + MANY, MANY);
    expect(memo.computed).toBe(4);
  });

  it("counts a conflict's regions against the bound", () => {
    const memo = new MergeMemo();
    const m = memo.merge(BASE, "one\nTWO\nthree\nfour\n", "one\n2\nthree\nfour\n");
    expect(m.ok).toBe(false);
    // base "two\n" + accepted "TWO\n" + proposed "2\n": 10 characters.
    expect(memo.chars).toBe(MERGE_MEMO_ENTRY_OVERHEAD + 10);
  });

  it("gives a result larger than the bound without keeping it", () => {
    const memo = new MergeMemo(MERGE_MEMO_ENTRY_OVERHEAD + 5);
    expect(memo.merge("", "abcdef\n", "")).toEqual({ ok: true, text: "abcdef\n" });
    expect(memo.size).toBe(0);
    expect(memo.chars).toBe(0);
    memo.merge("", "abcdef\n", "");
    expect(memo.computed).toBe(2);
  });

  it("hands out results no caller can change for the next walk", () => {
    const memo = new MergeMemo();
    const m = memo.merge(BASE, "one\nTWO\nthree\nfour\n", "one\n2\nthree\nfour\n");
    if (m.ok) throw new Error("expected a conflict");
    expect(() => (m.conflicts as Array<unknown>).push({})).toThrow(TypeError);
    expect(() => Object.assign(m.conflicts[0]!, { base: "" })).toThrow(TypeError);
    expect(memo.merge(BASE, "one\nTWO\nthree\nfour\n", "one\n2\nthree\nfour\n")).toEqual(expected(BASE, "one\nTWO\nthree\nfour\n", "one\n2\nthree\nfour\n"));
  });

  it("tells apart texts that differ only in a lone surrogate", () => {
    const memo = new MergeMemo();
    const a = memo.merge("", "a\uD800\n", "");
    const b = memo.merge("", "a\uFFFD\n", "");
    expect(memo.computed).toBe(2);
    expect(a).toEqual({ ok: true, text: "a\uD800\n" });
    expect(b).toEqual({ ok: true, text: "a\uFFFD\n" });
  });
});
