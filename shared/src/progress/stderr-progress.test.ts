import { describe, expect, it } from "vitest";
import { formatStep, progressPrinter, reportStep } from "./stderr-progress.js";

function sink(isTTY: boolean, columns = 200): { write(t: string): void; isTTY: boolean; columns: number; out: string } {
  return {
    isTTY,
    columns,
    out: "",
    write(t: string) {
      this.out += t;
    },
  };
}

describe("progressPrinter", () => {
  it("off a terminal: a task's start, each quarter and its end, however many updates", () => {
    const s = sink(false);
    let now = 0;
    const p = progressPrinter({ sink: s, clock: () => now });
    for (let i = 0; i <= 1000; i++) {
      now += 5;
      p.step({ task: "rendering 1,000 QR frames", done: i, total: 1000, unit: "frames" });
    }
    const lines = s.out.trimEnd().split("\n");
    expect(lines).toEqual([
      "rendering 1,000 QR frames: 0/1,000 frames  0%",
      "rendering 1,000 QR frames: 250/1,000 frames  25%",
      "rendering 1,000 QR frames: 500/1,000 frames  50%",
      "rendering 1,000 QR frames: 750/1,000 frames  75%",
      "rendering 1,000 QR frames: 1,000/1,000 frames  100%",
    ]);
  });

  it("off a terminal: two small bundles make one line; text lines a topic's first and its newest", () => {
    const s = sink(false);
    const p = progressPrinter({ sink: s, clock: () => 0 });
    p.step({ task: "writing 2 bundle(s)", done: 9000, total: 9000, unit: "bytes" });
    for (let i = 1; i <= 40; i++) p(`usb /media/x (inbox): ${i} entries, ${i} bundles, 0 refused`);
    p.end();
    expect(s.out.trimEnd().split("\n")).toEqual(["writing 2 bundle(s): 8.8 KiB of 8.8 KiB  100%", "usb /media/x (inbox): 1 entries, 1 bundles, 0 refused", "usb /media/x (inbox): 40 entries, 40 bundles, 0 refused"]);
  });

  it("on a terminal: one line redrawn in place (at most ten times a second), with a time left, cut to the width, cleared at the end", () => {
    const s = sink(true);
    let now = 0;
    const p = progressPrinter({ sink: s, clock: () => now });
    for (let i = 0; i <= 100; i++) {
      now += 50;
      p.step({ task: "writing 1 bundle(s)", done: i * 1024, total: 100 * 1024, unit: "bytes" });
    }
    p.end();
    const draws = s.out.split("\r").filter((d) => d !== "");
    expect(draws.length).toBeGreaterThan(10);
    expect(draws.length).toBeLessThan(60);
    expect(draws.some((d) => d.endsWith(" left\x1b[K") && / {2}about 0:0\d left/.test(d) && d.startsWith("writing 1 bundle(s): "))).toBe(true);
    expect(s.out.endsWith("\r\x1b[K")).toBe(true);
    expect(s.out).not.toContain("\n");
    const narrow = sink(true, 30);
    progressPrinter({ sink: narrow, clock: () => 0 }).step({ task: "writing 1 bundle(s)", done: 1, total: 2, unit: "bytes" });
    expect(narrow.out).toBe("\rwriting 1 bundle(s): 1 B of 2\x1b[K");
  });

  it("escapes what a line quotes, and a plain function sink gets steps as text", () => {
    const s = sink(false);
    progressPrinter({ sink: s, clock: () => 0 })("usb /media/\x1b[2Jx: 1 entries");
    expect(s.out).toBe("usb /media/\\x1b[2Jx: 1 entries\n");
    const got: string[] = [];
    reportStep((l: string) => void got.push(l), { task: "t", done: 1, total: 4, unit: "bundles" });
    expect(got).toEqual([formatStep({ task: "t", done: 1, total: 4, unit: "bundles" }, undefined)]);
    expect(got[0]).toBe("t: 1/4 bundles  25%");
  });
});
