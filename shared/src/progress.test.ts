/** Progress: counts, rates, ETA and when lines are written, all on an injected clock (no timers). */
import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatDuration,
  formatProgressJson,
  formatProgressLine,
  progressDue,
  ProgressModel,
  ProgressReporter,
  type ProgressSnapshot,
} from "./progress.js";

/** A clock the test moves by hand. */
function manualClock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe("ProgressModel", () => {
  it("counts frames, unique frames and bytes, and computes percent, rates and ETA", () => {
    const clock = manualClock();
    const model = new ProgressModel({ direction: "receive", clock: clock.now, framesNeeded: 100 });
    // 8 frames per second for 4 s, one in four a repeat; 200-byte payloads.
    for (let i = 0; i < 32; i++) {
      clock.advance(125);
      model.record({ unique: i % 4 !== 3, bytes: 200 });
    }
    const s = model.snapshot();
    expect(s).toMatchObject({ direction: "receive", frames: 32, uniqueFrames: 24, bytes: 4800, framesNeeded: 100, done: false });
    expect(s.elapsedSeconds).toBe(4);
    expect(s.percent).toBe(24);
    expect(s.framesPerSecond).toBeCloseTo(8, 5);
    expect(s.uniqueFramesPerSecond).toBeCloseTo(6, 5);
    expect(s.bytesPerSecond).toBeCloseTo(1200, 5);
    expect(s.etaSeconds).toBeCloseTo(76 / 6, 5);
  });

  it("rates follow the last window, not the whole transfer", () => {
    const clock = manualClock();
    const model = new ProgressModel({ direction: "send", clock: clock.now, windowMs: 5000 });
    for (let i = 0; i < 100; i++) {
      clock.advance(100); // 10 fps for 10 s
      model.record({ bytes: 100 });
    }
    for (let i = 0; i < 20; i++) {
      clock.advance(500); // then 2 fps for 10 s
      model.record({ bytes: 100 });
    }
    expect(model.snapshot().framesPerSecond).toBeCloseTo(2, 1);
    clock.advance(6000); // nothing for longer than the window: stalled
    const stalled = model.snapshot();
    expect(stalled.framesPerSecond).toBe(0);
    expect(stalled.etaSeconds).toBeUndefined();
  });

  it("stays below 100% until finished, then shows 100% and stops the clock", () => {
    const clock = manualClock();
    const model = new ProgressModel({ direction: "receive", clock: clock.now, framesNeeded: 10 });
    for (let i = 0; i < 12; i++) {
      clock.advance(100);
      model.record({ bytes: 10 });
    }
    expect(model.snapshot().percent).toBe(99.9);
    expect(model.snapshot().etaSeconds).toBeUndefined();
    model.finish();
    clock.advance(60_000);
    expect(model.snapshot()).toMatchObject({ percent: 100, etaSeconds: 0, done: true, elapsedSeconds: 1.2 });
  });

  it("uses bytes for percent when the frame count is unknown, and refuses nonsense", () => {
    const clock = manualClock();
    const model = new ProgressModel({ direction: "send", clock: clock.now, totalBytes: 1000 });
    clock.advance(1000);
    model.record({ bytes: 250 });
    expect(model.snapshot().percent).toBe(25);
    expect(model.snapshot().etaSeconds).toBeUndefined();
    expect(() => model.record({ bytes: -1 })).toThrow(RangeError);
    expect(() => model.setFramesNeeded(1.5)).toThrow(RangeError);
  });
});

const base: ProgressSnapshot = {
  direction: "receive",
  elapsedSeconds: 12.4,
  frames: 123,
  uniqueFrames: 98,
  framesNeeded: 150,
  percent: 65.33,
  bytes: 12_600,
  totalBytes: undefined,
  framesPerSecond: 8,
  uniqueFramesPerSecond: 6.4,
  bytesPerSecond: 1229,
  etaSeconds: 8.1,
  done: false,
};

describe("rendering", () => {
  it("a human line while running and when done", () => {
    expect(formatProgressLine(base)).toBe("receiving  98/~150 frames  65%  (123 seen)  12.3 KiB  8.0 frames/s  1.2 KiB/s  ETA 0:08");
    expect(formatProgressLine({ ...base, direction: "send", framesNeeded: undefined, percent: undefined, etaSeconds: undefined, frames: 98 })).toBe(
      "sending  98 frames  12.3 KiB  8.0 frames/s  1.2 KiB/s  ETA ?",
    );
    expect(formatProgressLine({ ...base, done: true, percent: 100, uniqueFrames: 150, frames: 163, elapsedSeconds: 20, bytes: 49_152 })).toBe(
      "received  150 frames (163 seen)  48.0 KiB in 0:20  8.2 frames/s",
    );
  });

  it("JSON with every field present and unknowns as null", () => {
    const parsed = JSON.parse(formatProgressJson({ ...base, framesNeeded: undefined, etaSeconds: undefined })) as Record<string, unknown>;
    expect(parsed).toEqual({
      type: "progress",
      direction: "receive",
      done: false,
      elapsedSeconds: 12.4,
      frames: 123,
      uniqueFrames: 98,
      framesNeeded: null,
      percent: 65.3,
      bytes: 12600,
      totalBytes: null,
      framesPerSecond: 8,
      uniqueFramesPerSecond: 6.4,
      bytesPerSecond: 1229,
      etaSeconds: null,
    });
  });

  it("bytes and durations", () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes)).toEqual(["0 B", "1023 B", "1.0 KiB", "1.5 KiB", "5.0 GiB"]);
    expect([0, 7.4, 65, 3723].map(formatDuration)).toEqual(["0:00", "0:07", "1:05", "1:02:03"]);
  });
});

describe("ProgressReporter", () => {
  it("decides when to write without timers", () => {
    expect(progressDue("tty", undefined, 0, false)).toBe(true);
    expect(progressDue("tty", 0, 99, false)).toBe(false);
    expect(progressDue("tty", 0, 100, false)).toBe(true);
    expect(progressDue("lines", 0, 9_999, false)).toBe(false);
    expect(progressDue("lines", 0, 10_000, false)).toBe(true);
    expect(progressDue("json", 0, 999, false)).toBe(false);
    expect(progressDue("lines", 0, 1, true)).toBe(true);
    expect(progressDue("lines", 0, 2_000, false, { linesMs: 2_000 })).toBe(true);
  });

  it("on a TTY rewrites one line with \\r, cut to the width, and ends it when done", () => {
    const clock = manualClock();
    const out: string[] = [];
    const reporter = new ProgressReporter({ sink: { write: (t: string) => out.push(t), isTTY: true, columns: 40 }, clock: clock.now });
    expect(reporter.format).toBe("tty");
    expect(reporter.update(base)).toBe(true);
    clock.advance(50);
    expect(reporter.update(base)).toBe(false);
    clock.advance(50);
    reporter.update({ ...base, done: true, percent: 100 });
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(`\r${formatProgressLine(base).slice(0, 39)}\x1b[K`);
    expect(out[1]?.endsWith("\x1b[K\n")).toBe(true);
    expect(reporter.update(base)).toBe(false);
  });

  it("in a log writes a line every 10 s and at the end; --json one object per line", () => {
    const clock = manualClock();
    const lines: string[] = [];
    const log = new ProgressReporter({ sink: { write: (t: string) => lines.push(t) }, clock: clock.now });
    expect(log.format).toBe("lines");
    for (let i = 0; i < 250; i++) {
      log.update(base);
      clock.advance(100);
    }
    log.update({ ...base, done: true });
    expect(lines).toHaveLength(4); // t = 0, 10 s, 20 s, and done at 25 s
    expect(lines.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);

    const json: string[] = [];
    const machine = new ProgressReporter({ sink: { write: (t: string) => json.push(t), isTTY: true }, format: "json", clock: clock.now });
    for (let i = 0; i < 30; i++) {
      machine.update(base);
      clock.advance(100);
    }
    machine.update({ ...base, done: true });
    expect(json).toHaveLength(4);
    for (const line of json) expect(JSON.parse(line)).toMatchObject({ type: "progress" });
  });

  it("close() ends an interrupted TTY line", () => {
    const out: string[] = [];
    const reporter = new ProgressReporter({ sink: { write: (t: string) => out.push(t), isTTY: true }, clock: () => 0 });
    reporter.update(base);
    reporter.close();
    expect(out.at(-1)).toBe("\n");
  });
});
