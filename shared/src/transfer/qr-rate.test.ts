/** The receiver's rate report: frames caught from index gaps, the sender's preset, the advice. */
import { describe, expect, it } from "vitest";
import { fragmentLengthFor, PRESETS } from "@airlock/bundle-format";
import { receiveBundles } from "./qr-receive.js";
import { presetOfFragment, PRESET_ORDER, suggestPreset, TransferRate } from "./qr-rate.js";
import { qrTransfer } from "./qr-send.js";

const F = fragmentLengthFor(PRESETS.normal, "binary");

function rateOf(indices: readonly number[], seconds = 2, fragment = F): ReturnType<TransferRate["report"]> {
  const rate = new TransferRate(0, fragment, "binary");
  for (const i of indices) rate.frame(i);
  return rate.report(seconds * 1000, 20_000);
}

describe("TransferRate", () => {
  it("every frame caught: 100%, one preset denser suits", () => {
    const r = rateOf([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect([r.framesShown, r.caught, r.preset, r.suggestedPreset]).toEqual([10, 1, "normal", "high"]);
    expect(r.bytesPerSecond).toBe(10_000);
    expect(r.framesPerSecond).toBe(5);
    expect(r.summary).toBe("10.0 KB/s, 5.0 frames/s over 2.0 s at preset normal, caught 100% of 10 frames shown: preset high (or a faster display) would suit this receiver");
  });

  it("every other frame: 50%, the same preset; one in three: a sparser one", () => {
    expect(rateOf([0, 2, 4, 6, 8, 10]).caught).toBeCloseTo(6 / 11);
    expect(rateOf([0, 2, 4, 6, 8, 10]).suggestedPreset).toBe("normal");
    const r = rateOf([0, 3, 6, 9, 12]);
    expect([r.framesShown, r.suggestedPreset]).toEqual([13, "low"]);
    expect(r.summary).toMatch(/caught 38% of 13 frames shown: preset low \(or a slower display\) would suit this receiver$/);
  });

  it("a loop that starts over counts the frame after the restart, not a negative gap", () => {
    const r = rateOf([8, 9, 10, 0, 1, 2]);
    expect([r.framesShown, r.caught]).toEqual([6, 1]);
  });

  it("one frame says nothing of frames shown; an unknown fragment length names no preset", () => {
    const one = rateOf([3]);
    expect([one.caught, one.framesShown, one.suggestedPreset]).toEqual([undefined, undefined, "normal"]);
    const foreign = rateOf([0, 1, 2], 1, 123);
    expect([foreign.preset, foreign.suggestedPreset]).toEqual([undefined, undefined]);
    expect(foreign.summary).toBe("20.0 KB/s, 3.0 frames/s over 1.0 s, caught 100% of 3 frames shown");
  });

  it("at the ends of the scale the advice is about the display", () => {
    expect(suggestPreset("dense", 1)).toBe("dense");
    expect(suggestPreset("low", 0.1)).toBe("low");
    const rate = new TransferRate(0, fragmentLengthFor(PRESETS.dense, "binary"), "binary");
    [0, 1, 2].forEach((i) => rate.frame(i));
    expect(rate.report(1000, 4000).summary).toMatch(/dense is the densest preset; a faster display would suit this receiver$/);
  });

  it("recognises every preset from its fragment length, in both encodings", () => {
    for (const p of PRESET_ORDER) {
      expect(presetOfFragment(fragmentLengthFor(PRESETS[p], "binary"), "binary")).toBe(p);
      expect(presetOfFragment(fragmentLengthFor(PRESETS[p], "base45"), "base45")).toBe(p);
    }
  });
});

describe("receiveBundles reports the rate with each bundle", () => {
  it("on its clock: frames every 100 ms, one in four lost, base45 at high", async () => {
    const bundle = new Uint8Array(9000).map((_, i) => (i * 13) & 0xff);
    const transfer = qrTransfer(bundle, { preset: "high", encoding: "base45" });
    let now = 0;
    const payloads = (function* () {
      for (let i = 0; i < 40; i++, now += 100) if (i % 4 !== 3) yield transfer.payload(i);
    })();
    const got = [];
    for await (const r of receiveBundles(payloads, { clock: () => now })) got.push(r);
    expect(got).toHaveLength(1);
    const { rate } = got[0]!;
    expect(rate.preset).toBe("high");
    expect(rate.caught).toBeCloseTo(0.75, 1);
    expect(rate.suggestedPreset).toBe("high");
    expect(rate.bytes).toBe(9000);
    expect(rate.seconds).toBeGreaterThan(0);
  });
});

describe("receiveBundles' progress, one animation after another (a camera session)", () => {
  it("starts afresh for each transfer: the second bundle's frames move the line from 0, not the first one's 'received'", async () => {
    const first = qrTransfer(new Uint8Array(3000).fill(1), { preset: "normal" });
    const second = qrTransfer(new Uint8Array(3000).fill(2), { preset: "normal" });
    const payloads = [...Array.from({ length: 12 }, (_, i) => first.payload(i)), ...Array.from({ length: 12 }, (_, i) => second.payload(i))];
    const seen: { percent: number | undefined; frames: number }[] = [];
    const got: Uint8Array[] = [];
    for await (const r of receiveBundles(payloads, { onProgress: (p) => seen.push({ percent: p.percent, frames: p.frames }) })) got.push(r.bytes);
    expect(got.map((b) => b[0])).toEqual([1, 2]);
    const done = seen.findIndex((p) => p.percent === 100);
    expect(done).toBeGreaterThan(0);
    // After the first bundle, its repeats show its finished line; the second's frames start a new
    // count below 100%, then reach it.
    const after = seen.slice(done + 1);
    const next = after.findIndex((p) => p.percent !== 100);
    expect(after.slice(0, next).every((p) => p.frames === seen[done]!.frames)).toBe(true);
    expect(after[next]!.frames).toBe(1);
    expect(after.at(-1)!.percent).toBe(100);
  });
});
