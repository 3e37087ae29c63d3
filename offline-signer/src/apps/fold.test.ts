/** The one record fold: order-independent, tombstones, add-wins sets, equal-HLC items (docs/records-merge.md). */
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { describe, expect, it } from "vitest";
import { hlcBytes } from "../records/hlc.js";
import { encodeValue, type Value } from "../records/values.js";
import { OP_CODE, compareRows, decodeStoredValue, foldRecord, foldState, viewOf, visibleRows, type OpRow } from "./fold.js";

const DEV = ["aa", "bb", "cc"].map((c) => c.repeat(32));
const hlc = (wall: number, counter: number, device: number): Uint8Array => hlcBytes({ wall, counter, device: DEV[device]! });
const row = (kind: number, field: string, h: Uint8Array, value: Value): OpRow => ({ kind, field, hlc: h, value: encodeValue(value) });

const rowArb = fc
  .record({
    kind: fc.constantFrom(OP_CODE.set, OP_CODE.delete, OP_CODE.append, OP_CODE.add, OP_CODE.remove),
    field: fc.constantFrom("title", "tags", "phones"),
    wall: fc.integer({ min: 1, max: 6 }),
    counter: fc.integer({ min: 0, max: 2 }),
    device: fc.integer({ min: 0, max: 2 }),
    value: fc.constantFrom<Value>("x", "y", "z", 1, true, null),
    removes: fc.array(fc.record({ wall: fc.integer({ min: 1, max: 6 }), counter: fc.integer({ min: 0, max: 2 }), device: fc.integer({ min: 0, max: 2 }) }), { maxLength: 3 }),
  })
  .map((r) => {
    const h = hlc(r.wall, r.counter, r.device);
    if (r.kind === OP_CODE.remove) return row(r.kind, r.field, h, Buffer.concat(r.removes.map((t) => hlc(t.wall, t.counter, t.device))));
    if (r.kind === OP_CODE.delete) return row(r.kind, "", h, null);
    return row(r.kind, r.field, h, r.value);
  });

describe("foldRecord", () => {
  it("gives the same record for any order and any duplication of the same rows", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 30 }), fc.integer(), (rows, seed) => {
        const shuffled = [...rows, ...rows.slice(0, seed % 5 < 0 ? 0 : seed % 5)].sort(() => 0).reverse();
        const rng = fc.sample(fc.shuffledSubarray(shuffled, { minLength: shuffled.length }), { seed, numRuns: 1 })[0]!;
        expect(JSON.stringify(foldRecord("c", "r", rng))).toBe(JSON.stringify(foldRecord("c", "r", rows)));
      }),
      { numRuns: runs(300) },
    );
  });

  it("the store's fold state stands for everything folded so far, even when rows already folded arrive again (store/records.ts)", () => {
    fc.assert(
      fc.property(fc.array(fc.array(rowArb, { maxLength: 8 }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (steps, again) => {
        let state: OpRow[] = [];
        const all: OpRow[] = [];
        for (const step of steps) {
          // Each step may also restate rows from earlier steps, as a snapshot cut earlier would.
          const restated = all.length === 0 ? [] : again.map((i) => all[i % all.length]!);
          all.push(...step);
          state = foldState([...state, ...step, ...restated]);
          expect(JSON.stringify(viewOf("c", "r", state))).toBe(JSON.stringify(foldRecord("c", "r", all)));
        }
      }),
      { numRuns: runs(500) },
    );
  });

  it("an addition a remove took away stays away when a snapshot cut before the remove restates it", () => {
    const add = row(OP_CODE.add, "phones", hlc(1, 0, 0), "a");
    const remove = row(OP_CODE.remove, "phones", hlc(2, 0, 1), hlc(1, 0, 0));
    expect(foldRecord("c", "r", [add, remove, add])).toBeUndefined();
    expect(viewOf("c", "r", foldState([...foldState([add, remove]), add]))).toBeUndefined();
    // A snapshot keeps the spent remove too: a member may restate the old addition later, and a
    // newcomer folding the snapshot must hide it as the vaults that saw the history do.
    expect(visibleRows([add, remove])).toEqual([remove]);
    expect(foldRecord("c", "r", [...visibleRows([add, remove]), add])).toBeUndefined();
  });

  it("the visible rows stand for the whole history: folding them with any later ops gives the same record (what a compaction snapshot relies on)", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 25 }), fc.array(rowArb, { maxLength: 12 }), (history, later) => {
        const full = foldRecord("c", "r", [...history, ...later]);
        const compacted = foldRecord("c", "r", [...visibleRows(history), ...later]);
        expect(JSON.stringify(compacted)).toBe(JSON.stringify(full));
        expect(JSON.stringify(foldRecord("c", "r", visibleRows(history)))).toBe(JSON.stringify(foldRecord("c", "r", history)));
      }),
      { numRuns: runs(500) },
    );
  });

  it("hides everything at or before the newest delete, keeps later writes", () => {
    const v = foldRecord("c", "r", [row(OP_CODE.set, "title", hlc(1, 0, 0), "old"), row(OP_CODE.delete, "", hlc(2, 0, 1), null), row(OP_CODE.append, "comments", hlc(3, 0, 2), "after")]);
    expect(v?.fields).toEqual({});
    expect(v?.lists).toEqual({ comments: ["after"] });
    expect(foldRecord("c", "r", [row(OP_CODE.set, "title", hlc(1, 0, 0), "old"), row(OP_CODE.delete, "", hlc(1, 0, 0), null)])).toBeUndefined();
  });

  it("a removal names tags: an addition it did not name survives, even of the same value", () => {
    const t1 = hlc(1, 0, 0);
    const rows = [row(OP_CODE.add, "phones", t1, "a"), row(OP_CODE.add, "phones", hlc(2, 0, 1), "a"), row(OP_CODE.add, "phones", hlc(2, 0, 2), "b"), row(OP_CODE.remove, "phones", hlc(3, 0, 0), t1)];
    expect(foldRecord("c", "r", rows)?.sets).toEqual({ phones: ["a", "b"] });
    expect(foldRecord("c", "r", [...rows, row(OP_CODE.remove, "phones", hlc(4, 0, 0), Buffer.concat([hlc(2, 0, 1), hlc(2, 0, 2)]))])).toBeUndefined();
  });

  it("keeps both of two different list items at one HLC (an equivocating device), in value order", () => {
    const h = hlc(5, 0, 1);
    const v = foldRecord("c", "r", [row(OP_CODE.append, "comments", h, "zz"), row(OP_CODE.append, "comments", h, "aa"), row(OP_CODE.append, "comments", h, "aa")]);
    expect(v?.lists).toEqual({ comments: ["aa", "zz"] });
  });

  it("an equal-HLC tie on a field goes to the larger value bytes", () => {
    const h = hlc(5, 0, 1);
    expect(foldRecord("c", "r", [row(OP_CODE.set, "title", h, "b"), row(OP_CODE.set, "title", h, "a")])?.fields).toEqual({ title: "b" });
  });

  it("a record of set ops only keeps each field's largest (HLC, value) row, in order, for few rows and for many", () => {
    const setArb = fc.record({ field: fc.constantFrom("title", "body", "tags", "a", "b"), wall: fc.integer({ min: 1, max: 4 }), counter: fc.integer({ min: 0, max: 1 }), device: fc.integer({ min: 0, max: 2 }), value: fc.constantFrom<Value>("x", "y", 7, null) });
    fc.assert(
      fc.property(fc.array(setArb, { maxLength: 40 }), (specs) => {
        const rows = specs.map((r) => row(OP_CODE.set, r.field, hlc(r.wall, r.counter, r.device), r.value));
        const sorted = [...rows].sort(compareRows);
        const expected = sorted.filter((r, i) => !sorted.slice(i + 1).some((later) => later.field === r.field));
        const plain = (list: readonly OpRow[]): string[] => list.map((r) => `${r.field}/${Buffer.from(r.hlc).toString("hex")}/${Buffer.from(r.value).toString("hex")}`);
        expect(plain(foldState(rows))).toEqual(plain(expected));
        expect(plain(visibleRows(rows))).toEqual(plain(expected));
      }),
      { numRuns: runs(300) },
    );
  });
});

describe("decodeStoredValue", () => {
  it("reads back what encodeValue wrote, as TextDecoder reads text (a leading byte-order mark is dropped)", () => {
    const decoder = new TextDecoder();
    for (const s of ["", "a", "title of record 7", "é ü 漢字 🔐", "\uFEFFbom first", "mid\uFEFFdle", "x".repeat(300), "😀".repeat(40)]) {
      const stored = encodeValue(s);
      expect(decodeStoredValue(stored)).toBe(decoder.decode(stored.subarray(5)));
      expect(decodeStoredValue(Buffer.from(stored))).toBe(decoder.decode(stored.subarray(5)));
    }
    expect(decodeStoredValue(encodeValue("\uFEFFbom first"))).toBe("bom first");
    for (const v of [null, true, false, 0, -5, 2 ** 52, new Uint8Array([1, 2, 3])]) expect(decodeStoredValue(encodeValue(v))).toEqual(v);
  });
});
