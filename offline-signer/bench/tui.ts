/**
 * The TUI with a large collection (issue #14): the time from an open vault to the first full
 * frame, and per key pressed in the list, with 100,000 notes against the same with 100 (ratio =
 * large / small; target <= 1.5, flat). The real screen is drawn: ink renders Main into an 80x24
 * output whose frames are read back, and a frame counts once it shows the header, the list with
 * the expected row selected, the detail and the key bar. The vaults are filled through
 * vault.write in batches of 500 (one changeset each), as the search bench fills its own.
 */
// First: React in production mode, as `airlock tui` runs it (src/tui/production.ts).
import "../src/tui/production.js";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createElement } from "react";
import { render } from "ink";
import type { BenchFigure } from "@airlock/shared";
import type { Intent } from "../src/apps/app.js";
import { passphraseBytes } from "../src/store/index.js";
import { Vault } from "../src/vault/vault.js";
import { Main } from "../src/tui/Main.js";
import { BENCH_PASS } from "./vaults.js";

const FIRST_FRAME_ROUNDS = 9;
const KEYS = 200;

/** An 80x24 terminal as ink sees it; every frame written is kept for the waiters. */
class Screen extends EventEmitter {
  readonly columns = 80;
  readonly rows = 24;
  readonly isTTY = false;
  frame = "";
  write = (frame: string): boolean => {
    this.frame = frame;
    this.emit("frame", frame);
    return true;
  };
  /** Resolves with the time the first frame for which `done` holds was written (this one or a later one). */
  when(done: (frame: string) => boolean): Promise<number> {
    if (done(this.frame)) return Promise.resolve(performance.now());
    return new Promise((resolve) => {
      const seen = (frame: string): void => {
        if (!done(frame)) return;
        this.off("frame", seen);
        resolve(performance.now());
      };
      this.on("frame", seen);
    });
  }
}

/** Keys as a terminal sends them, in one read each (as ink-testing-library's stdin). */
class Keyboard extends EventEmitter {
  readonly isTTY = true;
  #data: string | null = null;
  press(data: string): void {
    this.#data = data;
    this.emit("readable");
    this.emit("data", data);
  }
  read = (): string | null => {
    const d = this.#data;
    this.#data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

const title = (i: number): string => `note ${String(i).padStart(6, "0")}`;

async function filledVault(root: string, name: string, count: number): Promise<Vault> {
  let ms = Date.UTC(2026, 11, 1);
  const v = await Vault.create(join(root, name), passphraseBytes(BENCH_PASS), { kdf: "test-insecure", now: () => ms++ });
  v.init("Bench team", "alice");
  for (let i = 0; i < count; i += 500) {
    const intents: Intent[] = [];
    for (let j = i; j < Math.min(count, i + 500); j++) {
      intents.push({ kind: "set", record: `n${j}`, field: "title", value: title(j) }, { kind: "set", record: `n${j}`, field: "body", value: `body of ${title(j)}: a few words` });
    }
    v.write("notes", intents);
  }
  return v;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Everything a full frame shows: header, tabs, the list with `selected` chosen, its detail, the key bar. */
const full = (selected: string) => (f: string): boolean =>
  f.includes('team "Bench team"') && f.includes("Collections:") && f.includes(`› ${selected}`) && f.includes(`body of ${selected}`) && f.includes("? help");

function mount(vault: Vault, start: string | undefined): { screen: Screen; keys: Keyboard; unmount(): void } {
  const screen = new Screen();
  const keys = new Keyboard();
  const place = { collection: "notes", selectedId: start };
  // debug: every render writes its whole frame at once, unthrottled: what is timed is the work.
  const ink = render(createElement(Main, { vault, onQuit: () => undefined, place }), {
    stdout: screen as unknown as NodeJS.WriteStream,
    stdin: keys as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { screen, keys, unmount: () => ink.unmount() };
}

/** Ms from mounting the TUI on an open vault to its first full frame. */
async function firstFrame(vault: Vault): Promise<number> {
  const newest = vault.recordsPage("notes", 0, 1)[0]!.fields["title"] as string;
  const t0 = performance.now();
  const ui = mount(vault, undefined);
  const t1 = await ui.screen.when(full(newest));
  ui.unmount();
  return t1 - t0;
}

/** A list on screen, moved through KEYS presses: down 99 times, up 99 times, down twice. */
async function keyWalk(vault: Vault, from: number): Promise<{ press(k: number): Promise<number>; unmount(): void }> {
  const rows = vault.recordsPage("notes", from, 100).map((r) => r.fields["title"] as string);
  const ui = mount(vault, vault.recordsPage("notes", from, 1)[0]!.id);
  await ui.screen.when(full(rows[0]!));
  let at = 0;
  return {
    /** Ms from key `k` to the frame with the next row selected. */
    async press(k) {
      const down = k < 99 || k >= 198;
      at += down ? 1 : -1;
      // As a person types: after the last frame, once React has run its effects (ink re-subscribes
      // the key handler there); only the key to its frame is timed.
      await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      const shown = ui.screen.when(full(rows[at]!));
      ui.keys.press(down ? "\x1b[B" : "\x1b[A");
      return (await shown) - t0;
    },
    unmount: () => ui.unmount(),
  };
}

export async function benchTui(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const large = opts.quick ? 10_000 : 100_000;
  const small = 100;
  const root = mkdtempSync(join(tmpdir(), "airlock-bench-tui-"));
  try {
    const t0 = performance.now();
    const big = await filledVault(root, "large", large);
    const fillS = (performance.now() - t0) / 1000;
    const little = await filledVault(root, "small", small);
    // A warm-up of each, so neither pays for loading modules and JIT; then the sizes in turn, so
    // both see the same load on the machine.
    await firstFrame(little);
    await firstFrame(big);
    const frames: [number[], number[]] = [[], []];
    for (let r = 0; r < FIRST_FRAME_ROUNDS; r++) {
      frames[0].push(await firstFrame(little));
      frames[1].push(await firstFrame(big));
    }
    const [frameSmall, frameLarge] = [median(frames[0]), median(frames[1])];
    // The large list is walked around its middle, across the edges of the pages it is read in.
    const walks = [await keyWalk(little, 0), await keyWalk(big, Math.floor(large / 2) - 50)] as const;
    const keys: [number[], number[]] = [[], []];
    for (let k = 0; k < KEYS; k++) {
      keys[0].push(await walks[0].press(k));
      keys[1].push(await walks[1].press(k));
    }
    for (const w of walks) w.unmount();
    const [keySmall, keyLarge] = [median(keys[0]), median(keys[1])];
    big.close();
    little.close();
    const q = opts.quick ? ".quick" : "";
    return [
      {
        name: `tui.first-frame${q}`,
        value: frameLarge,
        unit: "ms",
        baseline: frameSmall,
        ratio: frameLarge / frameSmall,
        note: `open vault to the first full 80x24 frame (header, tabs, list, detail, key bar), median of ${FIRST_FRAME_ROUNDS} interleaved: ${large} notes vs ${small}; ratio = large / small, target <= 1.5; filling ${large} took ${fillS.toFixed(1)} s`,
      },
      {
        name: `tui.keystroke${q}`,
        value: keyLarge,
        unit: "ms",
        baseline: keySmall,
        ratio: keyLarge / keySmall,
        note: `one ↑/↓ in the list to the frame showing the next note selected, median of ${KEYS} presses, interleaved (around the middle of ${large} notes vs the top of ${small}); ratio = large / small, target <= 1.5`,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
