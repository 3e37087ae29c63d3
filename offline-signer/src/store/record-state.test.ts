/** The per-record fold state codec (records.state): round trips, and anything else is refused, never misread. */
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { describe, expect, it } from "vitest";
import { hlcBytes } from "../records/hlc.js";
import { encodeValue } from "../records/values.js";
import { OP_CODE, type OpRow } from "../apps/fold.js";
import { decodeState, encodeState } from "./record-state.js";

const rowArb: fc.Arbitrary<OpRow> = fc
  .record({
    kind: fc.constantFrom(...Object.values(OP_CODE)),
    field: fc.string({ maxLength: 40 }),
    wall: fc.integer({ min: 0, max: 2 ** 48 }),
    counter: fc.nat(),
    device: fc.constantFrom("aa", "bb", "cc"),
    value: fc.oneof(fc.string(), fc.integer(), fc.uint8Array({ maxLength: 64 }), fc.constant(null)),
  })
  .map((r) => ({ kind: r.kind, field: r.field, hlc: hlcBytes({ wall: r.wall, counter: r.counter, device: r.device.repeat(32) }), value: encodeValue(r.value) }));

const plain = (rows: readonly OpRow[]): unknown => rows.map((r) => ({ ...r, hlc: Buffer.from(r.hlc).toString("hex"), value: Buffer.from(r.value).toString("hex") }));

describe("record state codec", () => {
  it("reads back exactly the rows it wrote", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 20 }), (rows) => {
        expect(plain(decodeState(encodeState(rows))!)).toEqual(plain(rows));
      }),
      { numRuns: runs(200) },
    );
  });

  it("refuses truncated, overlong and out-of-range bytes instead of misreading them", () => {
    const good = encodeState([{ kind: OP_CODE.set, field: "title", hlc: hlcBytes({ wall: 5, counter: 1, device: "ab".repeat(32) }), value: encodeValue("hi") }]);
    for (let cut = 0; cut < good.length; cut++) {
      const got = decodeState(good.subarray(0, cut));
      // A cut at a row boundary is a shorter valid state; anywhere else it is refused.
      if (got !== undefined) expect(got.length).toBe(0);
    }
    const badDevice = Buffer.from(good);
    badDevice.writeUInt32BE(7, 4 + 32 + 3 + 5 + 12);
    expect(decodeState(badDevice)).toBeUndefined();
    const hugeValue = Buffer.from(good);
    hugeValue.writeUInt32BE(0xffffffff, 4 + 32 + 3 + 5 + 16);
    expect(decodeState(hugeValue)).toBeUndefined();
    expect(decodeState(Buffer.from([0xff, 0xff]))).toBeUndefined();
    expect(decodeState(Buffer.from([0, 0, 0, 9]))).toBeUndefined();
  });

  it("names any number of devices: a hostile snapshot's 70,000 made-up authors still fold", () => {
    const rows: OpRow[] = Array.from({ length: 70_000 }, (_, i) => ({
      kind: OP_CODE.append,
      field: "comments",
      hlc: hlcBytes({ wall: i, counter: 0, device: i.toString(16).padStart(64, "0") }),
      value: encodeValue("x"),
    }));
    const back = decodeState(encodeState(rows))!;
    expect(back).toHaveLength(70_000);
    expect(Buffer.from(back[69_999]!.hlc).toString("hex")).toBe(Buffer.from(rows[69_999]!.hlc).toString("hex"));
  });
});
