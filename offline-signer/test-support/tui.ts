/** Driving the ink TUI in tests (ink-testing-library): wait for a frame, press keys. */
import { createRequire } from "node:module";
import { cleanup as unmountAll, type render } from "ink-testing-library";
import { afterEach } from "vitest";
import type { Vault } from "../src/vault/vault.js";
import { team as makeTeam, tempRoot, type TestClock } from "./vaults.js";

export type Ui = ReturnType<typeof render>;

export const TAB = "\t";
export const ENTER = "\r";
export const DOWN = "\x1b[B";
export const ESC = "\x1b";
export const UP = "\x1b[A";
export const PAGE_UP = "\x1b[5~";
export const PAGE_DOWN = "\x1b[6~";
export const HOME = "\x1b[H";
export const END = "\x1b[F";

/**
 * Polls the frame until `want` is in it. The bound only turns a hang into a readable failure;
 * nothing asserts on how long anything took.
 */
export async function until(ui: Ui, want: string | RegExp): Promise<string> {
  for (let i = 0; i < 3000; i++) {
    const frame = ui.lastFrame() ?? "";
    if (typeof want === "string" ? frame.includes(want) : want.test(frame)) {
      // The new screen subscribes its key handler in a passive effect (ink's useInput), which
      // React runs in a task it gave its scheduler during the commit that drew this frame. A
      // task of lower priority given now runs after every normal-priority task already queued,
      // that one included, however the scheduler slices its work (a setImmediate alone lost
      // that race when a loaded machine made the scheduler yield between tasks): then the
      // handler is there, so keys pressed next reach it.
      await afterPendingReactWork();
      return frame;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never saw ${String(want)} on screen; last frame:\n${ui.lastFrame() ?? ""}`);
}

/** The `scheduler` instance ink's renderer uses (resolved from react-reconciler, as it requires it). */
interface Scheduler {
  readonly unstable_LowPriority: number;
  unstable_scheduleCallback(priority: number, callback: () => void): unknown;
}
const requireFrom = (from: string, name: string): string => createRequire(from).resolve(name);
const reconciler = requireFrom(requireFrom(import.meta.url, "ink"), "react-reconciler");
const scheduler = createRequire(reconciler)("scheduler") as Scheduler;

function afterPendingReactWork(): Promise<void> {
  return new Promise((resolve) => void scheduler.unstable_scheduleCallback(scheduler.unstable_LowPriority, () => resolve()));
}

export async function press(ui: Ui, keys: string, want: string | RegExp): Promise<string> {
  ui.stdin.write(keys);
  return until(ui, want);
}

/**
 * The fixtures every TUI test needs, registered once per file: temp folders and vaults that are
 * unmounted, closed and removed after each test. `team()` is Alice (owner) and Bob (editor).
 */
export function tuiFixtures(prefix: string): {
  root(): string;
  keep(...vaults: Vault[]): void;
  team(): Promise<{ root: string; a: Vault; b: Vault; clock: TestClock }>;
} {
  const cleanups: (() => void)[] = [];
  const open: Vault[] = [];
  afterEach(() => {
    unmountAll();
    for (const v of open.splice(0)) v.close();
    for (const c of cleanups.splice(0)) c();
  });
  const root = (): string => {
    const t = tempRoot(prefix);
    cleanups.push(t.cleanup);
    return t.root;
  };
  const keep = (...vaults: Vault[]): void => void open.push(...vaults);
  return {
    root,
    keep,
    async team() {
      const r = root();
      const { a, b, clock } = await makeTeam(r);
      keep(a, b);
      return { root: r, a, b, clock };
    },
  };
}
