import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { merge3, readableDiff } from "./text-diff.js";
import { draftEdit } from "./draft.js";
import { MAX_STRUCTS, clientIdOf, draftDoc, draftText, updateProblem } from "./yjs-update.js";

const BASE = "one\ntwo\nthree\nfour\n";

describe("three-way merge", () => {
  it("merges changes to different lines", () => {
    expect(merge3(BASE, "ONE\ntwo\nthree\nfour\n", "one\ntwo\nthree\nFOUR\n")).toEqual({ ok: true, text: "ONE\ntwo\nthree\nFOUR\n" });
    // The same change on both sides is no conflict.
    expect(merge3(BASE, "one\n2\nthree\nfour\n", "one\n2\nthree\nfour\n")).toEqual({ ok: true, text: "one\n2\nthree\nfour\n" });
  });

  it("shows overlapping changes as conflicts, losing neither side", () => {
    const m = merge3(BASE, "one\nTWO\nthree\nfour\n", "one\n2\nthree\nfour\n");
    expect(m).toEqual({ ok: false, conflicts: [{ baseLine: 2, base: "two\n", accepted: "TWO\n", proposed: "2\n" }] });
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
