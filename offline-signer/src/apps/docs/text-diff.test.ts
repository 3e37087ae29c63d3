import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { MERGE_MAX_LINES, MERGE_MAX_STEPS, merge3, readableDiff } from "./text-diff.js";
import { draftEdit } from "./draft.js";
import { MAX_STRUCTS, clientIdOf, draftDoc, draftText, updateProblem } from "./yjs-update.js";

const BASE = "one\ntwo\nthree\nfour\n";

describe("three-way merge", () => {
  it("merges changes to different lines", () => {
    expect(merge3(BASE, "ONE\ntwo\nthree\nfour\n", "one\ntwo\nthree\nFOUR\n")).toMatchObject({ ok: true, text: "ONE\ntwo\nthree\nFOUR\n" });
    // The same change on both sides is no conflict.
    expect(merge3(BASE, "one\n2\nthree\nfour\n", "one\n2\nthree\nfour\n")).toMatchObject({ ok: true, text: "one\n2\nthree\nfour\n" });
  });

  it("shows overlapping changes as conflicts, losing neither side", () => {
    const m = merge3(BASE, "one\nTWO\nthree\nfour\n", "one\n2\nthree\nfour\n");
    expect(m).toMatchObject({ ok: false, conflicts: [{ baseLine: 2, base: "two\n", accepted: "TWO\n", proposed: "2\n" }] });
    expect(m).not.toHaveProperty("tooLarge");
  });

  it("lines named like Object.prototype's keys merge as any other line", () => {
    // node-diff3 indexes lines in a plain object: "constructor" as a last line threw a TypeError.
    for (const last of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(merge3(`a\nb\n${last}`, `A\nb\n${last}`, `a\nb\n${last}`)).toMatchObject({ ok: true, text: `A\nb\n${last}` });
      expect(merge3(`a\nm\nb\n${last}`, `A\nm\nb\n${last}`, `a\nm\nB\n${last}`)).toMatchObject({ ok: true, text: `A\nm\nB\n${last}` });
    }
  });

  it("a merge beyond the budget is not tried: conflicted, with no regions, at once and without throwing", () => {
    // Blank lines are node-diff3's worst case (cubic): 2,000 took about 9 s before the budget.
    const blank = "\n".repeat(2000);
    const m = merge3(blank, "a\n" + blank, blank + "b\n");
    expect(m).toMatchObject({ ok: false, conflicts: [], tooLarge: { lines: 2001 } });
    expect(m.steps).toBeLessThanOrEqual(MERGE_MAX_STEPS);
    // More lines than the cap: refused before any diff (131k lines threw RangeError in node-diff3).
    const many = Array.from({ length: MERGE_MAX_LINES + 1 }, (_, i) => `${i}\n`).join("");
    expect(merge3(many, "x\n" + many, many + "y\n")).toEqual({ ok: false, conflicts: [], tooLarge: { lines: MERGE_MAX_LINES + 2, steps: 0 }, steps: 0 });
    // What a document's earlier merges spent counts: with no budget left, even a small merge is not tried.
    expect(merge3(BASE, "ONE\ntwo\nthree\nfour\n", "one\ntwo\nthree\nFOUR\n", 3)).toMatchObject({ ok: false, conflicts: [], tooLarge: { lines: 4 } });
  });

  it("within the budget, a long text merges the same as before (no spread of its lines)", () => {
    const long = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join("");
    const m = merge3(long, "top\n" + long, long + "end\n");
    expect(m).toMatchObject({ ok: true, text: "top\n" + long + "end\n" });
  });

  it("a readable diff names the changed lines", () => {
    expect(readableDiff(BASE, "one\nTWO\nthree\nfour\nfive\n")).toBe("@@ -2,1 +2,1 @@\n-two\n+TWO\n@@ -5,0 +5,1 @@\n+five\n");
    expect(readableDiff(BASE, BASE)).toBe("");
  });
});

describe("draft updates", () => {
  const device = "aa".repeat(32);
  it("an honest edit passes the check; another device's or a two-writer update does not", () => {
    const first = draftEdit([], device, BASE)!;
    expect(updateProblem(first, device)).toBeUndefined();
    expect(updateProblem(first, "bb".repeat(32))).toMatch(/another writer/);
    const second = draftEdit([first], "bb".repeat(32), "one\ntwo\nfive\n")!;
    expect(updateProblem(Y.mergeUpdates([first, second]), device)).toMatch(/more than one writer/);
    // A deletion of another's text is the point of a shared draft.
    expect(updateProblem(second, "bb".repeat(32))).toBeUndefined();
    expect(draftText(draftDoc([second, first]))).toBe("one\ntwo\nfive\n");
  });

  it("garbage and oversized headers are refused before Yjs allocates", () => {
    expect(updateProblem(new Uint8Array([0xff, 0xff]), device)).toMatch(/not a Yjs update/);
    expect(updateProblem(new Uint8Array([]), device)).toMatch(/empty/);
    // One writer group claiming a huge struct count.
    const huge = [1, 0xff, 0xff, 0xff, 0x7f, 0];
    expect(updateProblem(new Uint8Array(huge), device)).toMatch(new RegExp(`more than ${MAX_STRUCTS}`));
    const id = clientIdOf(device);
    const client: number[] = [];
    for (let n = id; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        client.push(n);
        break;
      }
      client.push((n & 0x7f) | 0x80);
    }
    expect(updateProblem(new Uint8Array([1, 3, ...client, 0, 0x44]), device)).toMatch(/not a Yjs update/);
  });
});
