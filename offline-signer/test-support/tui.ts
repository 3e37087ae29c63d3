/** Driving the ink TUI in tests (ink-testing-library): wait for a frame, press keys. */
import type { render } from "ink-testing-library";

export type Ui = ReturnType<typeof render>;

export const TAB = "\t";
export const ENTER = "\r";
export const DOWN = "\x1b[B";
export const ESC = "\x1b";

/**
 * Polls the frame until `want` is in it. The bound only turns a hang into a readable failure;
 * nothing asserts on how long anything took.
 */
export async function until(ui: Ui, want: string | RegExp): Promise<string> {
  for (let i = 0; i < 3000; i++) {
    const frame = ui.lastFrame() ?? "";
    if (typeof want === "string" ? frame.includes(want) : want.test(frame)) {
      // One more turn so the effects that subscribe the new screen's key handler have run.
      await new Promise((r) => setTimeout(r, 5));
      return frame;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never saw ${String(want)} on screen; last frame:\n${ui.lastFrame() ?? ""}`);
}

export async function press(ui: Ui, keys: string, want: string | RegExp): Promise<string> {
  ui.stdin.write(keys);
  return until(ui, want);
}
