/**
 * Progress of a long transfer, both ways: frames shown (sending) or frames received
 * (receiving), how many were new, how many are probably needed, bytes, rates and an ETA.
 *
 * Three layers, so the first two are testable without timers:
 * - `ProgressModel`: the counts and rates; time comes from an injected clock.
 * - `formatProgressLine` / `formatProgressJson`: a snapshot → one line of text.
 * - `ProgressReporter`: decides when to write (`progressDue`, pure) and writes: on a TTY one
 *   line rewritten in place with \r at most every 100 ms; elsewhere a line every 10 s and on
 *   completion; with --json one JSON object per line every second and on completion.
 */

export type TransferDirection = "send" | "receive";

/** Milliseconds from any fixed origin (performance.now, Date.now, or a test's counter). */
export type Clock = () => number;

export interface ProgressSnapshot {
  readonly direction: TransferDirection;
  readonly elapsedSeconds: number;
  /** Frames shown (send) or frames decoded (receive), repeats included. */
  readonly frames: number;
  /** Frames that were new: distinct frames shown, or received frames that added information. */
  readonly uniqueFrames: number;
  /** Estimated unique frames needed in all (a fountain code needs a little more than the data). */
  readonly framesNeeded: number | undefined;
  /** 0-100; stays below 100 until `finish`. From frames when `framesNeeded` is known, else bytes. */
  readonly percent: number | undefined;
  /** Payload bytes of the unique frames. */
  readonly bytes: number;
  readonly totalBytes: number | undefined;
  /** Rates over the last few seconds (the window), not since the start. */
  readonly framesPerSecond: number;
  readonly uniqueFramesPerSecond: number;
  readonly bytesPerSecond: number;
  /** Seconds until `framesNeeded` unique frames at the current unique rate; undefined if unknown. */
  readonly etaSeconds: number | undefined;
  readonly done: boolean;
}

export interface ProgressModelOptions {
  readonly direction: TransferDirection;
  readonly clock: Clock;
  readonly framesNeeded?: number;
  readonly totalBytes?: number;
  /** Rate window in ms (default 5000): long enough to smooth camera hiccups, short enough to follow a change of speed. */
  readonly windowMs?: number;
}

interface Sample {
  readonly t: number;
  readonly frames: number;
  readonly unique: number;
  readonly bytes: number;
}

// The window keeps at most this many samples (one per window/16 ms), so memory is bounded however
// many frames are recorded.
const SAMPLES_PER_WINDOW = 16;

export class ProgressModel {
  readonly direction: TransferDirection;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly start: number;
  private frames = 0;
  private unique = 0;
  private bytes = 0;
  private framesNeeded: number | undefined;
  private totalBytes: number | undefined;
  private finishedAt: number | undefined;
  private samples: Sample[] = [];

  constructor(options: ProgressModelOptions) {
    this.direction = options.direction;
    this.clock = options.clock;
    this.windowMs = options.windowMs ?? 5000;
    if (!(this.windowMs > 0)) throw new RangeError(`progress window must be positive, got ${this.windowMs}`);
    this.framesNeeded = checkCount(options.framesNeeded, "framesNeeded");
    this.totalBytes = checkCount(options.totalBytes, "totalBytes");
    this.start = this.clock();
    this.samples.push({ t: this.start, frames: 0, unique: 0, bytes: 0 });
  }

  /** One frame shown or received. `unique`: it was new (default true); `bytes`: its payload size. */
  record(frame: { readonly unique?: boolean; readonly bytes?: number } = {}): void {
    const bytes = frame.bytes ?? 0;
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`frame bytes must be a non-negative integer, got ${bytes}`);
    this.frames++;
    if (frame.unique !== false) {
      this.unique++;
      this.bytes += bytes;
    }
    this.sample(this.clock());
  }

  /** The estimate changes as a fountain decoder learns more. */
  setFramesNeeded(framesNeeded: number | undefined): void {
    this.framesNeeded = checkCount(framesNeeded, "framesNeeded");
  }

  setTotalBytes(totalBytes: number | undefined): void {
    this.totalBytes = checkCount(totalBytes, "totalBytes");
  }

  /** The transfer is complete: percent becomes 100 and the clock stops. */
  finish(): void {
    if (this.finishedAt === undefined) this.finishedAt = this.clock();
  }

  snapshot(): ProgressSnapshot {
    const now = this.finishedAt ?? this.clock();
    const done = this.finishedAt !== undefined;
    const elapsedMs = Math.max(0, now - this.start);
    // Rate from the oldest sample inside the window to now. No sample in the window means no
    // frame for a whole window (every frame recorded a slot after the last sample adds one): rate 0.
    const since = now - this.windowMs;
    const base = this.samples.find((s) => s.t >= since) ?? { t: now, frames: this.frames, unique: this.unique, bytes: this.bytes };
    const span = (now - base.t) / 1000;
    const rate = (delta: number): number => (span > 0 ? delta / span : 0);
    const framesPerSecond = rate(this.frames - base.frames);
    const uniqueFramesPerSecond = rate(this.unique - base.unique);
    const bytesPerSecond = rate(this.bytes - base.bytes);
    let percent: number | undefined;
    if (done) percent = 100;
    else if (this.framesNeeded !== undefined && this.framesNeeded > 0) percent = Math.min(99.9, (100 * this.unique) / this.framesNeeded);
    else if (this.totalBytes !== undefined && this.totalBytes > 0) percent = Math.min(99.9, (100 * this.bytes) / this.totalBytes);
    let etaSeconds: number | undefined;
    if (done) etaSeconds = 0;
    else if (this.framesNeeded !== undefined && this.unique < this.framesNeeded && uniqueFramesPerSecond > 0) {
      etaSeconds = (this.framesNeeded - this.unique) / uniqueFramesPerSecond;
    }
    return {
      direction: this.direction,
      elapsedSeconds: elapsedMs / 1000,
      frames: this.frames,
      uniqueFrames: this.unique,
      framesNeeded: this.framesNeeded,
      percent,
      bytes: this.bytes,
      totalBytes: this.totalBytes,
      framesPerSecond,
      uniqueFramesPerSecond,
      bytesPerSecond,
      etaSeconds,
      done,
    };
  }

  private sample(t: number): void {
    // At most one sample per window slot, and none older than the window: ~17 samples live.
    const last = this.samples[this.samples.length - 1];
    if (last === undefined || t - last.t >= this.windowMs / SAMPLES_PER_WINDOW) {
      this.samples.push({ t, frames: this.frames, unique: this.unique, bytes: this.bytes });
    }
    while (this.samples.length > 1 && (this.samples[0] as Sample).t < t - this.windowMs) this.samples.shift();
  }
}

function checkCount(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** "1.5 KiB": binary units, one decimal from KiB up. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] as string}`;
}

/** "0:07", "12:34", "1:02:03". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * One human line, e.g.
 * `receiving  98/~150 frames  65%  (123 seen)  12.3 KiB  8.0 frames/s  1.2 KiB/s  ETA 0:07`
 * and when done
 * `received  150 frames (163 seen)  48.0 KiB in 0:19  7.9 frames/s`.
 */
export function formatProgressLine(s: ProgressSnapshot): string {
  const verb = s.direction === "send" ? (s.done ? "sent" : "sending") : s.done ? "received" : "receiving";
  const seen = s.direction === "send" ? "shown" : "seen";
  const repeats = s.frames !== s.uniqueFrames ? ` (${s.frames} ${seen})` : "";
  if (s.done) {
    const avg = s.elapsedSeconds > 0 ? `  ${(s.frames / s.elapsedSeconds).toFixed(1)} frames/s` : "";
    return `${verb}  ${s.uniqueFrames} frames${repeats}  ${formatBytes(s.bytes)} in ${formatDuration(s.elapsedSeconds)}${avg}`;
  }
  // Receiving, the frames needed are an estimate (a fountain code needs a few more); sending, the frames to show are known.
  const of = s.framesNeeded === undefined ? "" : s.direction === "send" ? `/${s.framesNeeded}` : `/~${s.framesNeeded}`;
  const parts = [`${verb}  ${s.uniqueFrames}${of} frames`];
  if (s.percent !== undefined) parts.push(`${Math.floor(s.percent)}%`);
  if (repeats !== "") parts.push(repeats.trim());
  parts.push(s.totalBytes === undefined ? formatBytes(s.bytes) : `${formatBytes(s.bytes)}/${formatBytes(s.totalBytes)}`);
  parts.push(`${s.framesPerSecond.toFixed(1)} frames/s`, `${formatBytes(s.bytesPerSecond)}/s`);
  parts.push(`ETA ${s.etaSeconds === undefined ? "?" : formatDuration(s.etaSeconds)}`);
  return parts.join("  ");
}

/** One JSON object (no newline): every field always present, unknowns as null, rates rounded. */
export function formatProgressJson(s: ProgressSnapshot): string {
  const round = (x: number | undefined, digits: number): number | null => (x === undefined ? null : Number(x.toFixed(digits)));
  return JSON.stringify({
    type: "progress",
    direction: s.direction,
    done: s.done,
    elapsedSeconds: round(s.elapsedSeconds, 3),
    frames: s.frames,
    uniqueFrames: s.uniqueFrames,
    framesNeeded: s.framesNeeded ?? null,
    percent: round(s.percent, 1),
    bytes: s.bytes,
    totalBytes: s.totalBytes ?? null,
    framesPerSecond: round(s.framesPerSecond, 2),
    uniqueFramesPerSecond: round(s.uniqueFramesPerSecond, 2),
    bytesPerSecond: round(s.bytesPerSecond, 0),
    etaSeconds: round(s.etaSeconds, 1),
  });
}

export type ProgressFormat = "tty" | "lines" | "json";

export interface ProgressIntervals {
  /** Redraws of the TTY line (default 100 ms: smooth without flooding a slow terminal). */
  readonly ttyMs?: number;
  /** Lines in a log or pipe (default 10 s). */
  readonly linesMs?: number;
  /** JSON objects (default 1 s). */
  readonly jsonMs?: number;
}

/** Whether an update is to be written now (pure: the caller supplies the times). */
export function progressDue(
  format: ProgressFormat,
  lastWrittenMs: number | undefined,
  nowMs: number,
  done: boolean,
  intervals: ProgressIntervals = {},
): boolean {
  if (done || lastWrittenMs === undefined) return true;
  const interval = format === "tty" ? (intervals.ttyMs ?? 100) : format === "json" ? (intervals.jsonMs ?? 1000) : (intervals.linesMs ?? 10_000);
  return nowMs - lastWrittenMs >= interval;
}

/** Where progress goes: process.stderr, or anything with `write` (tests). */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressReporterOptions {
  readonly sink: ProgressSink;
  /** --json → "json"; otherwise "auto" picks "tty" when the sink is a terminal, else "lines". */
  readonly format?: ProgressFormat | "auto";
  readonly clock: Clock;
  readonly intervals?: ProgressIntervals;
}

export class ProgressReporter {
  readonly format: ProgressFormat;
  private readonly sink: ProgressSink;
  private readonly clock: Clock;
  private readonly intervals: ProgressIntervals;
  private lastWritten: number | undefined;
  private closed = false;

  constructor(options: ProgressReporterOptions) {
    this.sink = options.sink;
    this.clock = options.clock;
    this.intervals = options.intervals ?? {};
    const format = options.format ?? "auto";
    this.format = format === "auto" ? (options.sink.isTTY === true ? "tty" : "lines") : format;
  }

  /** Writes the snapshot if one is due (always when `snapshot.done`); returns whether it wrote. */
  update(snapshot: ProgressSnapshot): boolean {
    if (this.closed) return false;
    const now = this.clock();
    if (!progressDue(this.format, this.lastWritten, now, snapshot.done, this.intervals)) return false;
    this.lastWritten = now;
    this.sink.write(this.render(snapshot));
    if (snapshot.done) this.closed = true;
    return true;
  }

  /** Ends a TTY line left open by an interrupted transfer (so the next message starts on a new line). */
  close(): void {
    if (!this.closed && this.format === "tty" && this.lastWritten !== undefined) this.sink.write("\n");
    this.closed = true;
  }

  private render(snapshot: ProgressSnapshot): string {
    if (this.format === "json") return `${formatProgressJson(snapshot)}\n`;
    const line = formatProgressLine(snapshot);
    if (this.format === "lines") return `${line}\n`;
    // Cut to the terminal width: a wrapped line cannot be rewritten with \r.
    const width = this.sink.columns !== undefined && this.sink.columns > 1 ? this.sink.columns - 1 : undefined;
    const shown = width === undefined ? line : line.slice(0, width);
    return `\r${shown}\x1b[K${snapshot.done ? "\n" : ""}`;
  }
}
