/**
 * Shows a transfer as an animation in a terminal: frame after frame at a steady rate, each
 * drawn over the last (cursor home), with a status line (frame, K, rate, ETA). A live display
 * never repeats a frame: after the K systematic ones it shows fresh coded frames, so a camera
 * that joins late or misses frames just keeps watching. Runs until the caller aborts (the
 * receiver says it is done) or `maxFrames`.
 */
import { formatProgressLine, ProgressModel, type Clock, type ProgressSnapshot } from "../progress.js";
import { renderQrTerminal } from "../qr/render-terminal.js";
import type { QrTransfer } from "./qr-send.js";

export interface TerminalSink {
  write(text: string): void;
}

export interface QrShowOptions {
  readonly fps?: number;
  readonly maxFrames?: number;
  readonly signal?: AbortSignal;
  /** Light modules on a dark terminal (default) or the reverse. */
  readonly ink?: "light" | "dark";
  readonly onProgress?: (snapshot: ProgressSnapshot) => void;
  readonly clock?: Clock;
  /** Injected by tests; defaults to a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const HOME_AND_CLEAR = "\x1b[H\x1b[2J";

export async function showQrInTerminal(transfer: QrTransfer, out: TerminalSink, options: QrShowOptions = {}): Promise<{ frames: number }> {
  const fps = options.fps ?? 8;
  if (!(fps > 0 && fps <= 60)) throw new RangeError(`fps must be in (0, 60], got ${fps}`);
  const clock = options.clock ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progress = new ProgressModel({ direction: "send", clock, framesNeeded: transfer.blocks });
  const symbol = { version: transfer.settings.version, level: transfer.settings.level, ink: options.ink ?? "light" } as const;
  let shown = 0;
  const started = clock();
  while (options.signal?.aborted !== true && (options.maxFrames === undefined || shown < options.maxFrames)) {
    const qr = renderQrTerminal(transfer.payload(shown), symbol);
    progress.record({ unique: true, bytes: 0 });
    shown++;
    const status = `frame ${shown} (a receiver needs any ${transfer.blocks}) · ${formatProgressLine(progress.snapshot())}`;
    out.write(`${HOME_AND_CLEAR}${qr}${status}\n`);
    options.onProgress?.(progress.snapshot());
    // Keep a steady rate: wait until this frame's slot ends, however long rendering took.
    const due = started + (shown * 1000) / fps;
    const wait = due - clock();
    if (wait > 0) await sleep(wait);
  }
  return { frames: shown };
}
