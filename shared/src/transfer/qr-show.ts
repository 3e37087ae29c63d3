/**
 * Shows a transfer as an animation in a terminal: frame after frame at a steady rate, each drawn
 * over the last (cursor home, every line cleared to its end), with a status line under the code:
 * frames shown of all to show, which pass of the loop, percent, bytes, rate and ETA. A live
 * display never repeats a frame: after the K systematic ones it shows fresh coded frames, so a
 * camera that joins late or misses frames just keeps watching.
 *
 * The code fits the terminal (terminal-fit.ts): the transfer is re-encoded at a smaller QR version
 * when its own does not fit, and again when the window shrinks; a terminal too small for any is
 * QR_TERMINAL_TOO_SMALL. On a terminal, keys change the animation while it plays: ↑/↓ (or + and
 * -) the speed, → / ← (or ] and [, as in the HTML player) the density, a new transfer of the same
 * bundle at the next QR version that fits; space pauses; q or Ctrl-C quits. Runs until the caller
 * aborts (the receiver says it is done), `loops` passes, `maxFrames` frames, or q.
 */
import { loopLength, type QrSettings } from "@airlock/bundle-format";
import { formatBytes, formatDuration, ProgressModel, type Clock, type ProgressSnapshot } from "../progress.js";
import { FPS_STEPS } from "../qr/render-html.js";
import { renderQrTerminal } from "../qr/render-terminal.js";
import type { QrTransfer } from "./qr-send.js";
import { fitsTerminal, fitTerminal, stepFrom, terminalFootprint, TERMINAL_MARGIN, terminalTooSmall, type TerminalSize } from "./terminal-fit.js";

export interface TerminalSink {
  write(text: string): void;
  /** A terminal's size (process.stdout has both on a TTY): the code is fitted into it. */
  readonly columns?: number;
  readonly rows?: number;
  readonly isTTY?: boolean;
}

/** Where keys come from: a terminal's stdin (process.stdin), read in raw mode while playing. */
export interface KeyInput {
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  off(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  setRawMode?(raw: boolean): unknown;
  readonly isRaw?: boolean;
  resume?(): unknown;
  pause?(): unknown;
}

export interface QrShowOptions {
  readonly fps?: number;
  /** Passes of the loop (K + ceil(K/2) + 3 frames) to show; counted afresh for a re-encoded transfer. */
  readonly loops?: number;
  /**
   * Frames to show in all. Frames of the transfer as given: when the player re-encodes it, the
   * frames left are scaled by the new loop length over the old, so as many passes are shown.
   */
  readonly maxFrames?: number;
  readonly signal?: AbortSignal;
  /** Light modules on a dark terminal (default) or the reverse. */
  readonly ink?: "light" | "dark";
  readonly onProgress?: (snapshot: ProgressSnapshot) => void;
  /** The terminal's size; default: the sink's, read again before every frame (a resized window). */
  readonly size?: TerminalSize;
  /** Keys while playing; default: process.stdin when it and the sink are both a terminal. */
  readonly keys?: KeyInput;
  /** On q or Ctrl-C (raw mode takes Ctrl-C from the terminal); default: SIGINT to this process, as Ctrl-C. */
  readonly onQuit?: () => void;
  readonly clock?: Clock;
  /** Injected by tests; defaults to a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface QrShowResult {
  /** Frames shown, at every density. */
  readonly frames: number;
  /** The symbol and speed at the end (after any keys). */
  readonly settings: QrSettings;
  readonly fps: number;
  /** Stopped by q or Ctrl-C. */
  readonly quit: boolean;
}

const HOME = "\x1b[H";
const CLEAR_SCREEN = "\x1b[2J";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
// Synchronized output (DEC mode 2026): a terminal that knows it shows each frame whole, never
// half drawn, so a camera never films a frame torn between two codes; others ignore it.
const BEGIN_FRAME = "\x1b[?2026h";
const END_FRAME = "\x1b[?2026l";
// The cursor's block would darken or lighten a module: hidden while playing.
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

type Action = "faster" | "slower" | "denser" | "sparser" | "pause" | "quit";

/** The actions in one read from the terminal (a read may hold several keys, or an arrow's escape sequence). */
export function keyActions(text: string): Action[] {
  const out: Action[] = [];
  const keys: [string, Action][] = [
    ["\x1b[A", "faster"],
    ["\x1b[B", "slower"],
    ["\x1b[C", "denser"],
    ["\x1b[D", "sparser"],
    ["\x1bOA", "faster"],
    ["\x1bOB", "slower"],
    ["\x1bOC", "denser"],
    ["\x1bOD", "sparser"],
  ];
  let i = 0;
  while (i < text.length) {
    const arrow = keys.find(([seq]) => text.startsWith(seq, i));
    if (arrow !== undefined) {
      out.push(arrow[1]);
      i += arrow[0].length;
      continue;
    }
    const c = text[i] as string;
    i++;
    if (c === "+" || c === "=") out.push("faster");
    else if (c === "-" || c === "_") out.push("slower");
    else if (c === "]") out.push("denser");
    else if (c === "[") out.push("sparser");
    else if (c === " " || c === "p") out.push("pause");
    else if (c === "q" || c === "Q" || c === "\x03") out.push("quit");
  }
  return out;
}

function checkFps(fps: number): number {
  if (!(fps > 0 && fps <= 60)) throw new RangeError(`fps must be in (0, 60], got ${fps}`);
  return fps;
}

function sinkSize(out: TerminalSink): TerminalSize | undefined {
  return out.columns !== undefined && out.rows !== undefined && out.columns > 0 && out.rows > 0 ? { columns: out.columns, rows: out.rows } : undefined;
}

function defaultKeys(out: TerminalSink): KeyInput | undefined {
  return out.isTTY === true && process.stdin.isTTY === true ? process.stdin : undefined;
}

const payloadBytes = (p: Uint8Array | string): number => (typeof p === "string" ? Buffer.byteLength(p) : p.length);

export async function showQrInTerminal(given: QrTransfer, out: TerminalSink, options: QrShowOptions = {}): Promise<QrShowResult> {
  let fps = checkFps(options.fps ?? 8);
  const clock = options.clock ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const sizeNow = (): TerminalSize | undefined => options.size ?? sinkSize(out);
  const ink = options.ink ?? "light";

  let transfer = given;
  const fitted = fitTerminal(transfer.settings, sizeNow());
  if (fitted.version !== transfer.settings.version) transfer = transfer.reencode(fitted);
  // Frames still to show, re-counted when the transfer changes; undefined: until stopped.
  const loops = options.loops;
  let total: number | undefined =
    loops !== undefined ? loops * loopLength(transfer.blocks) : options.maxFrames === undefined ? undefined : Math.ceil((options.maxFrames * loopLength(transfer.blocks)) / loopLength(given.blocks));
  const progress = new ProgressModel({ direction: "send", clock, ...(total === undefined ? {} : { framesNeeded: total }) });

  let shown = 0;
  let index = 0; // frame of the current transfer
  let startedAt = 0; // frames shown before the current transfer
  let bytes = 0;
  let paused = false;
  let quit = false;
  let notice: string | undefined;
  let redraw = true; // clear below the code: its size changed, or a notice came or went

  const queue: Action[] = [];
  let wake: (() => void) | undefined;
  const woken = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  const keys = options.keys ?? defaultKeys(out);
  const onData = (chunk: Buffer | string): void => {
    queue.push(...keyActions(typeof chunk === "string" ? chunk : chunk.toString("latin1")));
    wake?.();
  };
  const onAbort = (): void => wake?.();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const wasRaw = keys?.isRaw === true;
  if (keys !== undefined) {
    keys.setRawMode?.(true);
    keys.on("data", onData);
    keys.resume?.();
  }
  const release = (): void => {
    if (keys === undefined) return;
    keys.off("data", onData);
    keys.setRawMode?.(wasRaw);
    keys.pause?.();
  };

  const switchTo = (settings: QrSettings): void => {
    const before = loopLength(transfer.blocks);
    transfer = transfer.reencode(settings);
    const after = loopLength(transfer.blocks);
    if (loops !== undefined) total = shown + loops * after;
    else if (total !== undefined) total = shown + Math.ceil(((total - shown) * after) / before);
    progress.setFramesNeeded(total);
    index = 0;
    startedAt = shown;
    redraw = true;
  };

  const act = (action: Action): void => {
    const size = sizeNow();
    switch (action) {
      case "faster":
      case "slower": {
        const next = action === "faster" ? FPS_STEPS.find((f) => f > fps) : [...FPS_STEPS].reverse().find((f) => f < fps);
        if (next !== undefined) fps = next;
        return;
      }
      case "denser":
      case "sparser": {
        const next = stepFrom(transfer.settings, action === "denser" ? 1 : -1, size);
        if (next !== undefined) {
          notice = undefined;
          return switchTo(next);
        }
        const beyond = action === "denser" ? undefined : "this is the sparsest";
        notice = beyond ?? denserNotice(transfer.settings, size);
        redraw = true;
        return;
      }
      case "pause":
        paused = !paused;
        return;
      case "quit":
        quit = true;
    }
  };

  const status = (size: TerminalSize | undefined): string => {
    const loop = loopLength(transfer.blocks);
    const s = progress.snapshot();
    const parts = [
      ...(paused ? ["PAUSED"] : []),
      `frame ${shown}${total === undefined ? "" : `/${total}`}`,
      `loop ${Math.floor(Math.max(0, index - 1) / loop) + 1}${total === undefined ? "" : `/${Math.ceil((total - startedAt) / loop)}`}`,
      ...(s.percent === undefined ? [] : [`${Math.floor(s.percent)}%`]),
      formatBytes(bytes),
      `${fps} fps`,
      `ETA ${total === undefined ? "-" : formatDuration((total - shown) / fps)}`,
      // The QR version, and K: a receiver needs any K frames (a few more if some are missed).
      `v${transfer.settings.version}, any ${transfer.blocks}`,
      ...(keys === undefined ? [] : ["↑↓ speed ←→ density space pause q quit"]),
    ];
    const line = notice === undefined ? parts.join(" · ") : `${notice} · ${parts.join(" · ")}`;
    // Cut to the width: a wrapped status line would push the code up a row.
    return size === undefined ? line : [...line].slice(0, Math.max(1, size.columns - 1)).join("");
  };

  const draw = (body: string, size: TerminalSize | undefined): void => {
    const lines = body === "" ? [] : body.replace(/\n$/, "").split("\n");
    const screen = `${BEGIN_FRAME}${HOME}${redraw ? CLEAR_SCREEN : ""}${lines.map((l) => `${l}${CLEAR_LINE}\n`).join("")}${status(size)}${CLEAR_LINE}\n${redraw ? CLEAR_BELOW : ""}${END_FRAME}`;
    redraw = false;
    out.write(screen);
  };

  let next = clock();
  if (out.isTTY === true) out.write(HIDE_CURSOR);
  try {
    for (;;) {
      for (const action of queue.splice(0)) act(action);
      if (quit || options.signal?.aborted === true || (total !== undefined && shown >= total)) break;
      const size = sizeNow();
      if (!fitsTerminal(transfer.settings, size)) {
        // The window shrank: the densest step that still fits, or a line saying what is needed.
        try {
          switchTo(fitTerminal(transfer.settings, size));
        } catch {
          out.write(`${HOME}${CLEAR_SCREEN}${terminalTooSmall(size as TerminalSize).message}\n`);
          redraw = true;
          await Promise.race([sleep(1000 / fps), woken()]);
          continue;
        }
      }
      if (paused) {
        draw(renderQrTerminal(transfer.payload(Math.max(0, index - 1)), { ...transfer.settings, ink, margin: TERMINAL_MARGIN }), size);
        await woken();
        next = clock();
        continue;
      }
      const payload = transfer.payload(index);
      const code = renderQrTerminal(payload, { ...transfer.settings, ink, margin: TERMINAL_MARGIN });
      index++;
      shown++;
      bytes += payloadBytes(payload);
      progress.record({ bytes: payloadBytes(payload) });
      draw(code, size);
      options.onProgress?.(progress.snapshot());
      // A steady rate: wait until this frame's slot ends, however long drawing took; a key ends the wait.
      next += 1000 / fps;
      const wait = next - clock();
      if (wait > 0) await Promise.race([sleep(wait), woken()]);
      else next = clock();
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    release();
    if (out.isTTY === true) out.write(SHOW_CURSOR);
  }
  if (quit) (options.onQuit ?? (() => process.kill(process.pid, "SIGINT")))();
  return { frames: shown, settings: transfer.settings, fps, quit };
}

function denserNotice(current: QrSettings, size: TerminalSize | undefined): string {
  const denser = stepFrom(current, 1, undefined);
  if (denser === undefined) return "this is the densest";
  const need = terminalFootprint(denser);
  return `v${denser.version} needs ${need.columns}×${need.rows}${size === undefined ? "" : `, this terminal is ${size.columns}×${size.rows}`}`;
}
