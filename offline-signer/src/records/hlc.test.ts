import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareHlc,
  HlcClock,
  HlcCounterOverflowError,
  HlcSkewError,
  hlc,
  hlcBytes,
  hlcKey,
  MAX_COUNTER,
  MAX_WALL_MS,
  type Hlc,
} from "./hlc.js";
import { compareBytes } from "./values.js";

const A = "aa".repeat(32);
const B = "bb".repeat(32);
const H = 60 * 60 * 1000;

const arbDevice = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const arbHlc: fc.Arbitrary<Hlc> = fc.record({
  wall: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: MAX_WALL_MS })),
  counter: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: MAX_COUNTER })),
  device: fc.oneof(fc.constantFrom(A, B), arbDevice),
});

function clockFrom(readings: number[]): () => number {
  let i = 0;
  return () => readings[Math.min(i++, readings.length - 1)] as number;
}

describe("HLC order", () => {
  it("orders by wall, then counter, then device; key and bytes preserve the order", () => {
    fc.assert(
      fc.property(arbHlc, arbHlc, (a, b) => {
        const c = compareHlc(a, b);
        // `0 - c` rather than `-c`: equal clocks compare 0, and Object.is(0, -0) is false.
        expect(compareHlc(b, a)).toBe(0 - c);
        expect(Math.sign(hlcKey(a) < hlcKey(b) ? -1 : hlcKey(a) > hlcKey(b) ? 1 : 0)).toBe(c);
        expect(Math.sign(compareBytes(hlcBytes(a), hlcBytes(b)))).toBe(c);
      }),
    );
    expect(compareHlc({ wall: 1, counter: 0, device: B }, { wall: 1, counter: 0, device: A })).toBe(1);
    expect(compareHlc({ wall: 1, counter: 1, device: A }, { wall: 1, counter: 0, device: B })).toBe(1);
    expect(compareHlc({ wall: 2, counter: 0, device: A }, { wall: 1, counter: 9, device: B })).toBe(1);
  });

  it("accepts Uint8Array device ids and normalizes them to hex", () => {
    expect(hlc({ wall: 1, counter: 2, device: new Uint8Array(32).fill(0xab) }).device).toBe("ab".repeat(32));
  });
});

describe("HlcClock", () => {
  it("now() is strictly increasing and tracks the largest physical reading, even when the clock goes back", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 50 }), (readings) => {
        const clock = new HlcClock(A, clockFrom(readings));
        let prev: Hlc | undefined;
        let maxPt = 0;
        for (const pt of readings) {
          const t = clock.now();
          maxPt = Math.max(maxPt, pt);
          expect(t.wall).toBe(maxPt);
          expect(t.device).toBe(A);
          if (prev !== undefined) expect(compareHlc(t, prev)).toBe(1);
          prev = t;
        }
      }),
    );
  });

  it("receive() returns a timestamp above both the local history and the remote", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ pt: fc.integer({ min: 0, max: 100 }) }),
            fc.record({ pt: fc.integer({ min: 0, max: 100 }), remote: fc.record({ wall: fc.integer({ min: 0, max: 120 }), counter: fc.integer({ min: 0, max: 5 }), device: fc.constant(B) }) }),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        (events) => {
          let pt = 0;
          const clock = new HlcClock(A, () => pt, { maxSkewMs: 1000 });
          let prev: Hlc | undefined;
          for (const e of events) {
            pt = e.pt;
            const t = "remote" in e ? clock.receive(e.remote) : clock.now();
            if ("remote" in e) expect(compareHlc(t, { ...e.remote })).toBe(1);
            if (prev !== undefined) expect(compareHlc(t, prev)).toBe(1);
            expect(t.wall).toBeGreaterThanOrEqual(pt);
            prev = t;
          }
        },
      ),
    );
  });

  it("follows the HLC receive rules", () => {
    let pt = 100;
    const clock = new HlcClock(A, () => pt);
    expect(clock.receive({ wall: 150, counter: 7, device: B })).toMatchObject({ wall: 150, counter: 8 });
    expect(clock.receive({ wall: 150, counter: 3, device: B })).toMatchObject({ wall: 150, counter: 9 });
    expect(clock.receive({ wall: 120, counter: 50, device: B })).toMatchObject({ wall: 150, counter: 10 });
    expect(clock.now()).toMatchObject({ wall: 150, counter: 11 });
    pt = 200;
    expect(clock.receive({ wall: 150, counter: 99, device: B })).toMatchObject({ wall: 200, counter: 0 });
    expect(clock.last).toEqual({ wall: 200, counter: 0, device: A });
  });

  it("refuses remote timestamps beyond the skew bound and leaves the clock unchanged", () => {
    const pt = 1_000_000_000;
    const clock = new HlcClock(A, () => pt);
    clock.now();
    const before = clock.last;
    expect(() => clock.receive({ wall: pt + 24 * H + 1, counter: 0, device: B })).toThrow(HlcSkewError);
    expect(clock.last).toEqual(before);
    expect(clock.receive({ wall: pt + 24 * H, counter: 0, device: B }).wall).toBe(pt + 24 * H);
    try {
      new HlcClock(A, () => pt, { maxSkewMs: 10 }).receive({ wall: pt + 11, counter: 0, device: B });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HlcSkewError);
      expect(e).toBeInstanceOf(RangeError);
      expect((e as HlcSkewError).code).toBe("HLC_SKEW");
    }
  });

  it("throws a typed error on counter overflow instead of wrapping", () => {
    const clock = new HlcClock(A, () => 5, { last: { wall: 5, counter: MAX_COUNTER - 1, device: A } });
    expect(clock.now().counter).toBe(MAX_COUNTER);
    expect(() => clock.now()).toThrow(HlcCounterOverflowError);
    expect(clock.last.counter).toBe(MAX_COUNTER);
    const other = new HlcClock(A, () => 5);
    expect(() => other.receive({ wall: 5, counter: MAX_COUNTER, device: B })).toThrow(HlcCounterOverflowError);
    expect(other.last).toEqual({ wall: 0, counter: 0, device: A });
  });

  it("rejects hostile timestamps and clock readings", () => {
    const bad: [unknown, typeof TypeError | typeof RangeError][] = [
      [null, TypeError],
      [[1, 2, 3], TypeError],
      [{ wall: NaN, counter: 0, device: A }, RangeError],
      [{ wall: -1, counter: 0, device: A }, RangeError],
      [{ wall: 1.5, counter: 0, device: A }, RangeError],
      [{ wall: 2 ** 53, counter: 0, device: A }, RangeError],
      [{ wall: Infinity, counter: 0, device: A }, RangeError],
      [{ wall: "1", counter: 0, device: A }, TypeError],
      [{ wall: 1n, counter: 0, device: A }, TypeError],
      [{ wall: 1, counter: MAX_COUNTER + 1, device: A }, RangeError],
      [{ wall: 1, counter: -1, device: A }, RangeError],
      [{ wall: 1, counter: 0, device: A.toUpperCase() }, RangeError],
      [{ wall: 1, counter: 0, device: "ab" }, RangeError],
      [{ wall: 1, counter: 0, device: new Uint8Array(31) }, RangeError],
      [{ wall: 1, counter: 0, device: 7 }, TypeError],
      [{ wall: 1, counter: 0, device: A, extra: 1 }, TypeError],
      [{ wall: 1, counter: 0 }, TypeError],
    ];
    for (const [input, err] of bad) expect(() => hlc(input), String(input)).toThrow(err);
    expect(() => new HlcClock(A, () => NaN).now()).toThrow(RangeError);
    expect(() => new HlcClock(A, () => -5).now()).toThrow(RangeError);
    expect(() => new HlcClock("nope", () => 0)).toThrow(RangeError);
    expect(() => new HlcClock(A, () => 0, { maxSkewMs: -1 })).toThrow(RangeError);
  });
});
