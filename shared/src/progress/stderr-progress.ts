/**
 * Progress for people on stderr (stdout stays for data, even with --json), in two modes:
 * - on a terminal, one live line redrawn in place (at most ten times a second): what, how far,
 *   percent and time left; cleared when the command ends, so the result starts on a clean line;
 * - anywhere else (a pipe, a log, a test), a few summary lines: a task's start, each quarter it
 *   passes and its end; for plain text, a topic's first line, then at most one per
 *   LINES_INTERVAL_MS, and its newest when another topic follows or the command ends.
 * Callers report a `ProgressStep` (counted work) where they can, or a line of text.
 */
import { escapeLine } from "../text/escape.js";
import { formatBytes, formatDuration } from "../progress.js";

export type ProgressUnit = "bytes" | "frames" | "bundles";

export interface ProgressStep {
  /** What is being done, e.g. "writing 2 bundles" (one task may span several files). */
  readonly task: string;
  readonly done: number;
  readonly total: number;
  readonly unit: ProgressUnit;
}

/**
 * A progress sink: called with text lines (what every caller can give), and optionally with counted
 * steps (`step`) and an `end` that clears a live line. `reportStep` picks what the sink takes.
 */
export type ProgressLine = ((line: string) => void) & {
  readonly step?: (s: ProgressStep) => void;
  readonly end?: () => void;
};

/** Sends a step to a sink: as a step if it takes them, else as a line of text. */
export function reportStep(progress: ProgressLine | undefined, s: ProgressStep): void {
  if (progress === undefined) return;
  if (progress.step !== undefined) progress.step(s);
  else progress(formatStep(s, undefined));
}

function amount(n: number, unit: ProgressUnit): string {
  return unit === "bytes" ? formatBytes(n) : `${n.toLocaleString("en-US")} ${unit}`;
}

/** `writing 2 bundles: 1.2 MiB of 3.0 MiB  40%  about 0:03 left`. */
export function formatStep(s: ProgressStep, etaSeconds: number | undefined): string {
  const total = Math.max(s.total, 0);
  const pct = total > 0 ? Math.min(100, Math.floor((100 * s.done) / total)) : 100;
  const of = s.unit === "bytes" ? `${formatBytes(s.done)} of ${formatBytes(total)}` : `${s.done.toLocaleString("en-US")}/${amount(total, s.unit)}`;
  const eta = etaSeconds === undefined || s.done >= total ? "" : `  about ${formatDuration(etaSeconds)} left`;
  return `${s.task}: ${of}  ${pct}%${eta}`;
}

export interface ProgressPrinterOptions {
  readonly sink?: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  /** Milliseconds (tests inject their own). */
  readonly clock?: () => number;
}

const TTY_INTERVAL_MS = 100;
export const LINES_INTERVAL_MS = 10_000;

export function progressPrinter(options: ProgressPrinterOptions = {}): ProgressLine & { readonly step: (s: ProgressStep) => void; readonly end: () => void } {
  const sink = options.sink ?? process.stderr;
  const clock = options.clock ?? Date.now;
  const tty = sink.isTTY === true;
  let drawn = false;
  let lastDraw = -Infinity;
  // Per task: when it started (for the ETA) and the last quarter printed (lines mode).
  let task: { name: string; start: number; quarter: number; ended: boolean } | undefined;
  const topics = new Map<string, number>();

  const draw = (text: string, force: boolean): void => {
    const now = clock();
    if (!force && now - lastDraw < TTY_INTERVAL_MS) return;
    lastDraw = now;
    const width = sink.columns !== undefined && sink.columns > 1 ? sink.columns - 1 : undefined;
    const line = escapeLine(text);
    // Cut to the width: a wrapped line cannot be redrawn with \r.
    sink.write(`\r${width === undefined ? line : line.slice(0, width)}\x1b[K`);
    drawn = true;
  };

  // Lines mode: the newest line held back for the topic last written, written when another topic
  // (or a step, or the end) comes, so a topic shows where it started and where it got to.
  let held: { topic: string; text: string } | undefined;
  const release = (): void => {
    if (held !== undefined) sink.write(`${escapeLine(held.text)}\n`);
    held = undefined;
  };

  const line = (text: string): void => {
    if (tty) return draw(text, false);
    // Topic: what the line is about (before its first colon); the rest changes as work goes on.
    const topic = text.split(":")[0] ?? text;
    if (held !== undefined && held.topic !== topic) release();
    const now = clock();
    const last = topics.get(topic);
    if (last !== undefined && now - last < LINES_INTERVAL_MS) {
      held = { topic, text };
      return;
    }
    held = undefined;
    topics.set(topic, now);
    sink.write(`${escapeLine(text)}\n`);
  };

  const step = (s: ProgressStep): void => {
    if (!tty) release();
    const now = clock();
    if (task === undefined || task.name !== s.task) task = { name: s.task, start: now, quarter: -1, ended: false };
    const elapsed = (now - task.start) / 1000;
    const eta = s.done > 0 && elapsed > 0 ? (elapsed * (s.total - s.done)) / s.done : undefined;
    const finished = s.done >= s.total;
    if (tty) return draw(formatStep(s, eta), finished);
    if (task.ended) return;
    const quarter = s.total > 0 ? Math.min(4, Math.floor((4 * s.done) / s.total)) : 4;
    // The start, each quarter passed, and the end: a handful of lines however many updates come.
    if (task.quarter === -1 || quarter > task.quarter || finished) {
      task.quarter = quarter;
      task.ended = finished;
      sink.write(`${escapeLine(formatStep(s, undefined))}\n`);
    }
  };

  const end = (): void => {
    release();
    if (tty && drawn) sink.write("\r\x1b[K");
    drawn = false;
  };

  return Object.assign(line, { step, end });
}
