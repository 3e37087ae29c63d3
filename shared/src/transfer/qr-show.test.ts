import { EventEmitter } from "node:events";
import { loopLength } from "@airlock/bundle-format";
import { describe, expect, it } from "vitest";
import { sealTestBundle } from "../../test-support/bundles.js";
import { terminalToImage } from "../../test-support/terminal.js";
import { placeInFrame } from "../../test-support/degrade.js";
import { formatProgressLine, type ProgressSnapshot } from "../progress.js";
import { scanQrPixels } from "../qr/scan-pixels.js";
import type { QrPayload } from "../qr/types.js";
import { receiveBundles } from "./qr-receive.js";
import { qrTransfer } from "./qr-send.js";
import { keyActions, showQrInTerminal, type KeyInput, type QrShowOptions } from "./qr-show.js";
import { fitTerminal, terminalFootprint, TERMINAL_STEPS } from "./terminal-fit.js";

// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[?0-9;]*[A-Za-z]/g;

/** The code's lines of one screen written by the player (escape sequences and the status line dropped). */
function codeOf(screen: string): string {
  return screen
    .replace(ESCAPES, "")
    .split("\n")
    .filter((l) => l !== "" && /^[▀▄█ ]+$/.test(l))
    .join("\n");
}

/** Decodes a screen's code back from its characters (light ink on the dark terminal around it). */
function decodeScreen(screen: string): QrPayload | undefined {
  const code = codeOf(screen);
  const image = terminalToImage(code, 4);
  return scanQrPixels(placeInFrame(image, { width: image.width + 80, height: image.height + 80, background: 0 }));
}

async function bundlesFrom(screens: readonly string[]): Promise<Uint8Array[]> {
  const received: Uint8Array[] = [];
  for await (const r of receiveBundles(screens.map(decodeScreen))) received.push(r.bytes);
  return received;
}

/** A fake clock that sleeps take no time on: a run is as fast as drawing, and its rates exact. */
function fakeTime(): Pick<QrShowOptions, "clock" | "sleep"> & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

class FakeKeys extends EventEmitter implements KeyInput {
  raw = false;
  get isRaw(): boolean {
    return this.raw;
  }
  setRawMode(raw: boolean): void {
    this.raw = raw;
  }
  press(text: string): void {
    this.emit("data", Buffer.from(text, "latin1"));
  }
}

describe("terminal animation", () => {
  it("draws frames at the requested rate that a camera can decode back into the bundle", async () => {
    const bundle = sealTestBundle(1500);
    const transfer = qrTransfer(bundle, { preset: "low" });
    const writes: string[] = [];
    const time = fakeTime();
    const result = await showQrInTerminal(transfer, { write: (t) => writes.push(t) }, { fps: 10, maxFrames: transfer.blocks + 2, ...time });
    expect(result.frames).toBe(transfer.blocks + 2);
    expect(time.sleeps.every((ms) => Math.abs(ms - 100) < 1e-6)).toBe(true);
    expect(writes[0]).toContain(`any ${transfer.blocks}`);
    expect((await bundlesFrom(writes)).map((b) => Buffer.compare(b, bundle))).toEqual([0]);
  });

  it("stops when aborted", async () => {
    const transfer = qrTransfer(sealTestBundle(100), { preset: "low" });
    const controller = new AbortController();
    let frames = 0;
    const result = await showQrInTerminal(transfer, { write: () => (++frames === 3 ? controller.abort() : undefined) }, { signal: controller.signal, sleep: async () => undefined });
    expect(result.frames).toBe(3);
  });

  it("the progress is right: frames shown of all to show, loop, percent, bytes, rate and ETA", async () => {
    const transfer = qrTransfer(sealTestBundle(3000), { preset: "low" });
    const loop = loopLength(transfer.blocks);
    const writes: string[] = [];
    const snapshots: ProgressSnapshot[] = [];
    await showQrInTerminal(transfer, { write: (t) => writes.push(t) }, { fps: 8, loops: 2, onProgress: (s) => snapshots.push(s), ...fakeTime() });
    expect(writes).toHaveLength(2 * loop);
    const eighth = snapshots[7]!;
    expect(eighth.frames).toBe(8);
    expect(eighth.framesNeeded).toBe(2 * loop);
    expect(eighth.bytes).toBe(8 * transfer.payload(0).length);
    expect(formatProgressLine(eighth)).toMatch(new RegExp(`^sending {2}8/${2 * loop} frames {2}${Math.floor((800 / (2 * loop)))}% {2}\\d+\\.\\d KiB {2}\\d+\\.\\d frames/s`));
    const status = writes[7]!.replace(ESCAPES, "").split("\n").find((l) => l.startsWith("frame"))!;
    expect(status).toContain(`frame 8/${2 * loop} · loop 1/2 · ${Math.floor(800 / (2 * loop))}% ·`);
    expect(status).toContain(`· 8 fps ·`);
    expect(status).toMatch(/ETA 0:\d\d/);
    const last = writes.at(-1)!.replace(ESCAPES, "");
    expect(last).toContain(`frame ${2 * loop}/${2 * loop} · loop 2/2 · 99%`);
  });

  it("fits an 80×24 terminal: a preset too large is re-encoded at a version that fits, and still decodes", async () => {
    const bundle = sealTestBundle(900);
    const transfer = qrTransfer(bundle); // normal: version 15, 69 rows of half blocks would not fit
    const writes: string[] = [];
    const result = await showQrInTerminal(transfer, { write: (t) => writes.push(t), columns: 80, rows: 24 }, { loops: 1, ...fakeTime() });
    expect(result.settings.version).toBe(5);
    for (const screen of writes) {
      const lines = screen.replace(ESCAPES, "").replace(/\n$/, "").split("\n");
      expect(lines.length).toBeLessThanOrEqual(23);
      expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    }
    expect((await bundlesFrom(writes)).map((b) => Buffer.compare(b, bundle))).toEqual([0]);
  });

  it("a terminal too small for any code is QR_TERMINAL_TOO_SMALL, naming the size needed", async () => {
    const need = terminalFootprint(TERMINAL_STEPS[0]!);
    expect(need).toEqual({ columns: 41, rows: 23 });
    const transfer = qrTransfer(sealTestBundle(100));
    await expect(showQrInTerminal(transfer, { write: () => undefined, columns: 60, rows: 20 }, fakeTime())).rejects.toMatchObject({
      code: "QR_TERMINAL_TOO_SMALL",
      message: expect.stringContaining("needs 41×23") as unknown,
      hint: expect.stringContaining("larger") as unknown,
    });
    expect(fitTerminal(transfer.settings, { columns: 200, rows: 60 })).toEqual(transfer.settings);
  });

  it("keys change speed and density while playing; the receiver still gets the bundle; q quits", async () => {
    const bundle = sealTestBundle(2500);
    const transfer = qrTransfer(bundle, { preset: "low" });
    const keys = new FakeKeys();
    const writes: string[] = [];
    const time = fakeTime();
    let quits = 0;
    const script: Record<number, string> = { 2: "+", 4: "\u001b[C", 6: "]", 40: "q" };
    const result = await showQrInTerminal(
      transfer,
      {
        write: (t) => {
          writes.push(t);
          const key = script[writes.length];
          if (key !== undefined) keys.press(key);
        },
        columns: 200,
        rows: 60,
      },
      { fps: 8, keys, onQuit: () => quits++, ...time },
    );
    expect(keys.raw).toBe(false); // raw mode undone
    expect(keys.listenerCount("data")).toBe(0);
    expect(result).toMatchObject({ frames: 40, fps: 10, quit: true, settings: { version: 20 } });
    expect(quits).toBe(1);
    expect(time.sleeps.slice(0, 2)).toEqual([125, 125]);
    expect(time.sleeps.at(-1)).toBe(100);
    // low (10) → normal (15) → 20, the densest a 200×60 terminal holds: one bundle decoded.
    const versions = new Set(writes.map((w) => /· v(\d+),/.exec(w.replace(ESCAPES, ""))?.[1]));
    expect([...versions]).toEqual(["10", "15", "20"]);
    expect((await bundlesFrom(writes)).map((b) => Buffer.compare(b, bundle))).toEqual([0]);
  });

  it("denser past what the terminal holds says what it needs; space pauses until pressed again", async () => {
    const transfer = qrTransfer(sealTestBundle(500), { preset: "low" });
    const keys = new FakeKeys();
    const writes: string[] = [];
    const result = await showQrInTerminal(
      transfer,
      {
        write: (t) => {
          writes.push(t);
          if (writes.length === 1) keys.press("]");
          if (writes.length === 2) keys.press(" ");
          // Paused: the same frame drawn again, marked; the next key resumes.
          if (writes.length === 3) setImmediate(() => keys.press(" "));
        },
        columns: 80,
        rows: 40,
      },
      { maxFrames: 4, keys, ...fakeTime() },
    );
    expect(result.frames).toBe(4);
    const plain = writes.map((w) => w.replace(ESCAPES, ""));
    expect(plain[1]).toContain("v15 needs 81×43, this terminal is 80×40");
    expect(plain[2]).toContain("PAUSED");
    expect(codeOf(plain[2]!)).toBe(codeOf(plain[1]!));
  });

  it("reads keys as a terminal sends them: arrows, several keys in one read, Ctrl-C", () => {
    expect(keyActions("\u001b[A\u001b[B\u001b[C\u001b[D")).toEqual(["faster", "slower", "denser", "sparser"]);
    expect(keyActions("++-][ pq\u0003x")).toEqual(["faster", "faster", "slower", "denser", "sparser", "pause", "pause", "quit", "quit"]);
  });
});
