/**
 * The fountain code's promise: from any starting frame, in any order, with any loss, the
 * message is back after about K frames; K + 2 suffice in at least 99% of trials.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { describe, expect, it } from "vitest";
import { codedCoefficients } from "./coefficients.js";
import { gfMul } from "./gf256.js";
import { FountainDecoder } from "./decoder.js";
import { FountainEncoder, loopLength } from "./encoder.js";

/** Deterministic PRNG for loss and start positions, so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const message = (length: number, seed: number): Uint8Array =>
  new Uint8Array(createHash("shake256", { outputLength: length }).update(String(seed)).digest());

/** Frames a receiver needs when it starts at a random frame and loses each shown frame with `loss`. */
function framesNeeded(k: number, fragment: number, loss: number, rnd: () => number): number {
  const msg = message(k * fragment - Math.floor(rnd() * fragment), k);
  const enc = new FountainEncoder(msg, { fragmentLength: fragment, transferId: Math.floor(rnd() * 2 ** 32) });
  expect(enc.blocks).toBe(k);
  const dec = new FountainDecoder();
  let used = 0;
  for (let i = Math.floor(rnd() * loopLength(k)); dec.message === undefined; i++) {
    if (rnd() < loss) continue;
    used++;
    dec.receive(enc.frame(i));
    if (used > 3 * k + 20) throw new Error(`no convergence at K=${k}`);
  }
  expect(Buffer.compare(dec.message, msg)).toBe(0);
  return used;
}

describe("fountain code", () => {
  it("K + 2 frames suffice in >= 99% of trials, for every K from 1 to 60, at 0/10/30% loss from a random start", () => {
    const rnd = lcg(7);
    let trials = 0;
    let over2 = 0;
    let over0 = 0;
    for (let k = 1; k <= 60; k++) {
      for (const loss of [0, 0.1, 0.3]) {
        for (let t = 0; t < 8; t++) {
          const extra = framesNeeded(k, 16, loss, rnd) - k;
          trials++;
          if (extra > 2) over2++;
          if (extra > 0) over0++;
        }
      }
    }
    expect(over2 / trials).toBeLessThanOrEqual(0.01);
    // Most transfers need exactly K frames.
    expect(over0 / trials).toBeLessThan(0.05);
  });

  it.each([200, 1000, 2000])("K = %i: K + 2 frames suffice from a random start at 30 percent loss", (k) => {
    const rnd = lcg(k);
    for (let t = 0; t < 2; t++) expect(framesNeeded(k, 4, 0.3, rnd)).toBeLessThanOrEqual(k + 2);
  });

  it("a clean pass of the K systematic frames needs no coded frame", () => {
    const msg = message(1000, 1);
    const enc = new FountainEncoder(msg, { fragmentLength: 100 });
    const dec = new FountainDecoder();
    for (let i = 0; i < enc.blocks; i++) dec.receive(enc.frame(i));
    expect(dec.message).toEqual(msg);
  });

  it("coded frames alone decode (receiver missed the whole systematic part)", () => {
    const msg = message(999, 2);
    const enc = new FountainEncoder(msg, { fragmentLength: 100 });
    const dec = new FountainDecoder();
    let used = 0;
    for (let i = enc.blocks; dec.message === undefined; i++, used++) dec.receive(enc.frame(i));
    expect(used).toBeLessThanOrEqual(enc.blocks + 2);
    expect(dec.message).toEqual(msg);
  });

  it("any order of any sufficient subset decodes (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 10, max: 300 }), fc.array(fc.nat({ max: 400 }), { minLength: 0, maxLength: 300, size: "max" }), (length, fragment, order) => {
        const msg = message(length, length + fragment);
        const enc = new FountainEncoder(msg, { fragmentLength: fragment });
        const dec = new FountainDecoder();
        for (const i of order) dec.receive(enc.frame(i));
        for (let i = 1000; dec.message === undefined; i++) dec.receive(enc.frame(i));
        expect(dec.message).toEqual(msg);
      }),
      { numRuns: runs(100) },
    );
  });

  it("reports duplicates, redundant frames, other transfers and completion", () => {
    const enc = new FountainEncoder(message(300, 3), { fragmentLength: 100, transferId: 1 });
    const other = new FountainEncoder(message(300, 4), { fragmentLength: 100, transferId: 2 });
    const dec = new FountainDecoder();
    expect(dec.receive(enc.frame(0))).toBe("new");
    expect(dec.receive(enc.frame(0))).toBe("duplicate");
    expect(dec.receive(other.frame(1))).toBe("other-transfer");
    expect(dec.receive(enc.frame(1))).toBe("new");
    expect(dec.progress).toMatchObject({ transferId: 1, blocks: 3, rank: 2, framesReceived: 3, complete: false });
    expect(dec.receive(enc.frame(2))).toBe("new");
    expect(dec.progress.complete).toBe(true);
    expect(dec.receive(enc.frame(7))).toBe("complete");
  });

  it("a combination of frames already held is redundant", () => {
    const enc = new FountainEncoder(message(200, 5), { fragmentLength: 100, transferId: 11 });
    // K = 2. Find a coded frame whose coefficients are a multiple of frame 2's: it spans nothing new.
    const base = codedCoefficients(enc.transferId, 2, 2);
    let twin = 3;
    while (true) {
      const c = codedCoefficients(enc.transferId, twin, 2);
      if (c[0]! !== 0 && c[1]! !== 0 && gfMul(c[0]!, base[1]!) === gfMul(c[1]!, base[0]!)) break;
      twin++;
    }
    const dec = new FountainDecoder();
    expect(dec.receive(enc.frame(2))).toBe("new");
    expect(dec.receive(enc.frame(twin))).toBe("redundant");
    expect(dec.progress.rank).toBe(1);
    expect(dec.receive(enc.frame(0))).toBe("new");
    expect(dec.progress.complete).toBe(true);
  });

  // Expected values computed by an independent Python transcription of docs/qr-frames.md.
  it("coefficients are the documented mulberry32 stream (spec vector)", () => {
    expect(Buffer.from(codedCoefficients(0, 0, 8)).toString("hex")).toMatchInlineSnapshot(`"b836e05be4791c1b"`);
    expect(Buffer.from(codedCoefficients(0x01020304, 10, 8)).toString("hex")).toMatchInlineSnapshot(`"80251fd45f37bc5d"`);
  });
});
