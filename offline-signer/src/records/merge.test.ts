import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareHlc, hlcKey, type Hlc } from "./hlc.js";
import { applyOps, emptyState, getRecord, listRecords, parseOp, stateDigest, type MergeState, type Op } from "./merge.js";
import { compareBytes, encodeValue, type Value } from "./values.js";

const DEVICES = ["11".repeat(32), "22".repeat(32), "33".repeat(32)] as const;
const [D1, D2] = DEVICES;

const arbHlc: fc.Arbitrary<Hlc> = fc.record({
  wall: fc.integer({ min: 0, max: 4 }),
  counter: fc.integer({ min: 0, max: 2 }),
  device: fc.constantFrom(...DEVICES),
});
const arbValue: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
  fc.constantFrom("", "a", "b", "é", "😀"),
  fc.uint8Array({ maxLength: 3 }),
);
const arbTarget = fc.record({ collection: fc.constantFrom("c1", "c2"), record: fc.constantFrom("r1", "r2", "😀", "\uffff") });
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("set" as const), field: fc.constantFrom("f1", "f2"), value: arbValue, hlc: arbHlc }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), hlc: arbHlc }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("append" as const), field: fc.constantFrom("log", "comments"), item: arbValue, hlc: arbHlc }) },
).chain((op) => arbTarget.map((t) => ({ ...t, ...op }) as Op));

/** Ops shuffled, with duplicates, cut into batches. */
function arbDelivery(ops: Op[]): fc.Arbitrary<Op[][]> {
  return fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: Math.max(0, ops.length - 1) }), { maxLength: ops.length }),
      fc.array(fc.nat(), { minLength: 0, maxLength: 4 }),
    )
    .chain(([dups, cuts]) => {
      const all = ops.length === 0 ? [] : [...ops, ...dups.map((i) => ops[i] as Op)];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }).map((shuffled) => {
        const points = [...new Set(cuts.map((c) => c % (shuffled.length + 1)))].sort((a, b) => a - b);
        const batches: Op[][] = [];
        let start = 0;
        for (const p of [...points, shuffled.length]) {
          batches.push(shuffled.slice(start, p));
          start = p;
        }
        return batches;
      });
    });
}

const fold = (batches: Op[][], from: MergeState = emptyState()): MergeState => batches.reduce((s, b) => applyOps(s, b), from);

/** Reference model: evaluates the documented semantics directly from the set of ops. */
function oracle(ops: Op[], collection: string, record: string): { fields: Map<string, Value>; lists: Map<string, Value[]> } | undefined {
  const mine = ops.filter((o) => o.collection === collection && o.record === record);
  let deleted: Hlc | undefined;
  for (const o of mine) if (o.kind === "delete" && (deleted === undefined || compareHlc(o.hlc, deleted) > 0)) deleted = o.hlc;
  const live = mine.filter((o) => deleted === undefined || compareHlc(o.hlc, deleted) > 0);
  const bigger = (a: { hlc: Hlc; v: Value }, b: { hlc: Hlc; v: Value }): boolean =>
    compareHlc(a.hlc, b.hlc) > 0 || (compareHlc(a.hlc, b.hlc) === 0 && compareBytes(encodeValue(a.v), encodeValue(b.v)) > 0);
  const fields = new Map<string, { hlc: Hlc; v: Value }>();
  const lists = new Map<string, Map<string, { hlc: Hlc; v: Value }>>();
  for (const o of live) {
    if (o.kind === "set") {
      const cur = fields.get(o.field);
      const cand = { hlc: o.hlc, v: o.value };
      if (cur === undefined || bigger(cand, cur)) fields.set(o.field, cand);
    } else if (o.kind === "append") {
      const list = lists.get(o.field) ?? new Map<string, { hlc: Hlc; v: Value }>();
      lists.set(o.field, list);
      const cur = list.get(hlcKey(o.hlc));
      const cand = { hlc: o.hlc, v: o.item };
      if (cur === undefined || bigger(cand, cur)) list.set(hlcKey(o.hlc), cand);
    }
  }
  if (fields.size === 0 && lists.size === 0) return undefined;
  const sortKeys = <T>(m: Map<string, T>) => new Map([...m].sort(([a], [b]) => compareBytes(Buffer.from(a), Buffer.from(b))));
  return {
    fields: sortKeys(new Map([...fields].map(([k, e]) => [k, e.v]))),
    lists: sortKeys(new Map([...lists].map(([k, l]) => [k, [...l.values()].sort((a, b) => compareHlc(a.hlc, b.hlc)).map((e) => e.v)]))),
  };
}

describe("applyOps convergence", () => {
  it("gives the same digest for any order, duplication and batching, and matches the reference model", () => {
    fc.assert(
      fc.property(
        fc.array(arbOp, { maxLength: 40 }).chain((ops) => fc.tuple(fc.constant(ops), arbDelivery(ops), arbDelivery(ops))),
        ([ops, d1, d2]) => {
          const reference = applyOps(emptyState(), ops);
          const s1 = fold(d1);
          const s2 = fold(d2);
          expect(stateDigest(s1)).toBe(stateDigest(reference));
          expect(stateDigest(s2)).toBe(stateDigest(reference));
          for (const c of ["c1", "c2"]) {
            for (const r of ["r1", "r2", "😀", "\uffff"]) expect(getRecord(s1, c, r)).toEqual(oracle(ops, c, r));
            expect(listRecords(s1, c)).toEqual(["r1", "r2", "\uffff", "😀"].filter((r) => oracle(ops, c, r) !== undefined));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is idempotent and associative: re-applying any subset changes nothing", () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 30 }), fc.array(arbOp, { maxLength: 30 }), (a, b) => {
        const sa = applyOps(emptyState(), a);
        const sab = applyOps(sa, b);
        expect(stateDigest(applyOps(sab, a))).toBe(stateDigest(sab));
        expect(stateDigest(applyOps(applyOps(emptyState(), b), a))).toBe(stateDigest(sab));
        expect(stateDigest(applyOps(emptyState(), [...b, ...a, ...b]))).toBe(stateDigest(sab));
      }),
    );
  });

  it("does not modify the input state or alias caller buffers", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const s1 = applyOps(emptyState(), [{ kind: "set", collection: "c", record: "r", field: "f", value: bytes, hlc: { wall: 1, counter: 0, device: D1 } }]);
    const d1 = stateDigest(s1);
    bytes[0] = 9;
    expect(stateDigest(s1)).toBe(d1);
    const view = getRecord(s1, "c", "r");
    (view?.fields.get("f") as Uint8Array)[1] = 9;
    expect(stateDigest(s1)).toBe(d1);
    applyOps(s1, [
      { kind: "set", collection: "c", record: "r", field: "f", value: 5, hlc: { wall: 2, counter: 0, device: D1 } },
      { kind: "delete", collection: "c", record: "r", hlc: { wall: 3, counter: 0, device: D1 } },
    ]);
    expect(stateDigest(s1)).toBe(d1);
    expect(getRecord(s1, "c", "r")?.fields.get("f")).toEqual(new Uint8Array([1, 2, 3]));
  });
});

const at = (wall: number, device: string = D1, counter = 0): Hlc => ({ wall, counter, device });
const set = (field: string, value: Value, hlc: Hlc): Op => ({ kind: "set", collection: "c", record: "r", field, value, hlc });
const del = (hlc: Hlc): Op => ({ kind: "delete", collection: "c", record: "r", hlc });
const append = (field: string, item: Value, hlc: Hlc): Op => ({ kind: "append", collection: "c", record: "r", field, item, hlc });

describe("semantics", () => {
  it("last writer wins per field; equal (wall, counter) ties go to the larger device id", () => {
    const ops = [set("f", "from-1", at(5, D1)), set("f", "from-2", at(5, D2)), set("g", "old", at(1, D2)), set("g", "new", at(2, D1))];
    for (const order of [ops, [...ops].reverse()]) {
      const view = getRecord(applyOps(emptyState(), order), "c", "r");
      expect(view?.fields).toEqual(new Map<string, Value>([["f", "from-2"], ["g", "new"]]));
    }
    // Counter beats device; wall beats counter.
    expect(getRecord(applyOps(emptyState(), [set("f", 1, at(5, D2, 0)), set("f", 2, at(5, D1, 1))]), "c", "r")?.fields.get("f")).toBe(2);
    expect(getRecord(applyOps(emptyState(), [set("f", 1, at(5, D2, 9)), set("f", 2, at(6, D1, 0))]), "c", "r")?.fields.get("f")).toBe(2);
  });

  it("a delete hides older and equal sets; a newer set resurrects only what it sets", () => {
    const s = applyOps(emptyState(), [set("a", 1, at(1)), set("b", 2, at(3)), del(at(5)), set("a", 9, at(4)), set("c", 3, at(5))]);
    expect(getRecord(s, "c", "r")).toBeUndefined();
    expect(listRecords(s, "c")).toEqual([]);
    const s2 = applyOps(s, [set("b", 7, at(6)), set("a", 8, at(2))]);
    expect(getRecord(s2, "c", "r")?.fields).toEqual(new Map([["b", 7]]));
    expect(listRecords(s2, "c")).toEqual(["r"]);
    // An older delete arriving late does not hide newer sets.
    const s3 = applyOps(s2, [del(at(4))]);
    expect(stateDigest(s3)).toBe(stateDigest(s2));
    // A later delete hides the resurrected field again; an older set arriving after it stays hidden.
    const s4 = applyOps(s3, [del(at(7)), set("z", 1, at(6, D2))]);
    expect(getRecord(s4, "c", "r")).toBeUndefined();
    // The tombstone is state: it changes the digest against a never-written record.
    expect(stateDigest(s4)).not.toBe(stateDigest(emptyState()));
  });

  it("append-only lists are ordered by HLC, deduplicated by op id, and cleared by a newer delete", () => {
    const ops = [append("log", "c", at(3)), append("log", "a", at(1)), append("log", "b", at(2, D2)), append("log", "b2", at(2, D1)), append("log", "a", at(1))];
    for (const order of [ops, [...ops].reverse()]) {
      expect(getRecord(applyOps(emptyState(), order), "c", "r")?.lists.get("log")).toEqual(["a", "b2", "b", "c"]);
    }
    // Same item text at two HLCs is two entries.
    expect(getRecord(applyOps(emptyState(), [append("log", "x", at(1)), append("log", "x", at(2))]), "c", "r")?.lists.get("log")).toEqual(["x", "x"]);
    const s = applyOps(emptyState(), [...ops, del(at(2, D1)), append("log", "after", at(9))]);
    expect(getRecord(s, "c", "r")?.lists.get("log")).toEqual(["b", "c", "after"]);
    // Lists and fields are separate namespaces.
    const both = getRecord(applyOps(emptyState(), [append("x", 1, at(1)), set("x", 2, at(2))]), "c", "r");
    expect(both?.fields.get("x")).toBe(2);
    expect(both?.lists.get("x")).toEqual([1]);
  });

  it("resolves equivocation (same HLC, different values) deterministically", () => {
    const a = set("f", "a", at(1));
    const b = set("f", "b", at(1));
    expect(stateDigest(applyOps(emptyState(), [a, b]))).toBe(stateDigest(applyOps(emptyState(), [b, a])));
    expect(getRecord(applyOps(emptyState(), [b, a]), "c", "r")?.fields.get("f")).toBe("b");
    const x = append("l", 1, at(1));
    const y = append("l", 2, at(1));
    expect(getRecord(applyOps(emptyState(), [y, x]), "c", "r")?.lists.get("l")).toEqual([2]);
  });

  it("digests the canonical serialization: pinned vectors", () => {
    expect(stateDigest(emptyState())).toMatchInlineSnapshot(`"9c7ee1f9046b42a340ec7a7841150b091a4b8ed2f9cc3efce8cd076b299bc537"`);
    const s = applyOps(emptyState(), [set("title", "hello", at(1)), set("n", -1, at(2, D2)), append("log", new Uint8Array([0xff]), at(3)), del(at(0, D2))]);
    expect(stateDigest(s)).toMatchInlineSnapshot(`"828fafc24d4573dc8045ed5721903846f6043c8fc3c41b264966804d1b9122d8"`);
  });
});

describe("hostile input", () => {
  const base = { kind: "set", collection: "c", record: "r", field: "f", value: 1, hlc: at(1) };
  const bad: [string, unknown, typeof TypeError | typeof RangeError][] = [
    ["NaN", { ...base, value: NaN }, RangeError],
    ["Infinity", { ...base, value: -Infinity }, RangeError],
    ["2^53", { ...base, value: 2 ** 53 }, RangeError],
    ["1e300", { ...base, value: 1e300 }, RangeError],
    ["float", { ...base, value: 0.5 }, RangeError],
    ["bigint", { ...base, value: 1n }, TypeError],
    ["undefined", { ...base, value: undefined }, TypeError],
    ["object", { ...base, value: { a: 1 } }, TypeError],
    ["array", { ...base, value: [1] }, TypeError],
    ["Date", { ...base, value: new Date(0) }, TypeError],
    ["lone surrogate", { ...base, value: "a\ud800" }, RangeError],
    ["huge string", { ...base, value: "x".repeat((1 << 20) + 1) }, RangeError],
    ["huge bytes", { ...base, value: new Uint8Array((1 << 20) + 1) }, RangeError],
    ["empty field", { ...base, field: "" }, RangeError],
    ["numeric record", { ...base, record: 5 }, TypeError],
    ["long collection", { ...base, collection: "c".repeat(257) }, RangeError],
    ["missing value", { kind: "set", collection: "c", record: "r", field: "f", hlc: at(1) }, TypeError],
    ["extra key", { ...base, extra: true }, TypeError],
    ["delete with field", { kind: "delete", collection: "c", record: "r", field: "f", hlc: at(1) }, TypeError],
    ["unknown kind", { ...base, kind: "merge" }, TypeError],
    ["bad hlc", { ...base, hlc: { wall: NaN, counter: 0, device: D1 } }, RangeError],
    ["null op", null, TypeError],
    ["string op", "set", TypeError],
  ];
  it.each(bad)("rejects %s", (_name, op, err) => {
    expect(() => parseOp(op)).toThrow(err);
    expect(() => applyOps(emptyState(), [op])).toThrow(err);
  });

  it("applies nothing from a batch containing one bad op", () => {
    const s = applyOps(emptyState(), [set("f", 1, at(1))]);
    const d = stateDigest(s);
    expect(() => applyOps(s, [set("f", 2, at(2)), { ...base, value: NaN }])).toThrow(RangeError);
    expect(stateDigest(s)).toBe(d);
  });

  it("folds -0 to 0 and Buffer to Uint8Array", () => {
    const a = applyOps(emptyState(), [set("f", -0, at(1)), set("g", Buffer.from([1]), at(1))]);
    const b = applyOps(emptyState(), [set("f", 0, at(1)), set("g", new Uint8Array([1]), at(1))]);
    expect(stateDigest(a)).toBe(stateDigest(b));
    expect(Object.is(getRecord(a, "c", "r")?.fields.get("f"), 0)).toBe(true);
  });
});
