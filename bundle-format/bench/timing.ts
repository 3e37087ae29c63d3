/**
 * Timing helpers: process.hrtime.bigint, medians, and an interleaved sampler that runs every
 * case of a comparison once per round (rotating the order), so clock-speed drift lands on the
 * subject and its baseline alike. Before each timed sample the case runs untimed for a short
 * while, so the allocator and the GC are in that case's own steady state rather than the one
 * the previous case left. No collection is forced between samples: on this VM a forced
 * collection makes glibc hand memory back to the kernel, and re-faulting it runs at a few
 * hundred MB/s, which slowed the raw AEAD baseline about 7x (and flattered everything else).
 */

export interface Case {
  readonly name: string;
  /** One operation (awaited if it returns a promise); a sample repeats it for `minSampleSeconds`. */
  readonly run: () => void | Promise<void>;
}

export interface SamplePlan {
  /** Untimed rounds first (JIT, caches, allocator); the last one also sets each case's reps. */
  readonly warmupRounds: number;
  /** Timed rounds; each gives one sample per case. Odd, so the median is a real sample. */
  readonly rounds: number;
  /** A sample repeats its operation until it lasts at least this long (one op if it is longer). */
  readonly minSampleSeconds: number;
  /** Untimed run of the same case right before each sample. */
  readonly settleSeconds: number;
}

export interface Timing {
  /** Median seconds per operation. */
  readonly median: number;
  /** Interquartile range relative to the median: a spread figure for the printed line. */
  readonly spread: number;
  readonly samples: readonly number[];
  /** Median minor page faults per operation (a diagnostic: on VMs re-faulting memory is slow). */
  readonly faultsPerOp: number;
}

export function seconds(start: bigint, end: bigint): number {
  return Number(end - start) / 1e9;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);

export function summarize(samples: readonly number[], faultsPerOp: readonly number[] = []): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = quantile(sorted, 0.5);
  return {
    median: mid,
    spread: (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / mid,
    samples,
    faultsPerOp: faultsPerOp.length > 0 ? median(faultsPerOp) : 0,
  };
}

/** Full collection (needs --expose-gc; a no-op without it). Only between sections, never per sample. */
export function collectGarbage(): void {
  globalThis.gc?.();
}

/** Runs one operation; awaits only when it is asynchronous, so sync cases pay no promise tick. */
function once(c: Case): Promise<void> | void {
  return c.run();
}

/** One timed sample: seconds per operation and minor page faults per operation. */
async function timeReps(c: Case, reps: number): Promise<{ seconds: number; faults: number }> {
  const faults = process.resourceUsage().minorPageFault;
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) {
    const pending = once(c);
    if (pending !== undefined) await pending;
  }
  const end = process.hrtime.bigint();
  return { seconds: seconds(start, end) / reps, faults: (process.resourceUsage().minorPageFault - faults) / reps };
}

/** Runs `c` until `minSeconds` passed; returns how many operations that took. */
async function opsIn(c: Case, minSeconds: number): Promise<number> {
  const start = process.hrtime.bigint();
  let ops = 0;
  do {
    const pending = once(c);
    if (pending !== undefined) await pending;
    ops++;
  } while (seconds(start, process.hrtime.bigint()) < minSeconds);
  return ops;
}

/**
 * Runs the cases interleaved, round by round (rotating which goes first); returns the timing
 * of each case by name, in seconds per operation.
 */
export async function sampleInterleaved(cases: readonly Case[], plan: SamplePlan): Promise<Map<string, Timing>> {
  const reps = new Map<string, number>(cases.map((c) => [c.name, 1]));
  for (let r = 0; r < Math.max(1, plan.warmupRounds); r++) {
    for (const c of cases) reps.set(c.name, await opsIn(c, plan.minSampleSeconds));
  }
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const faults = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < plan.rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(r + k) % cases.length]!;
      await opsIn(c, plan.settleSeconds);
      const sample = await timeReps(c, reps.get(c.name)!);
      samples.get(c.name)!.push(sample.seconds);
      faults.get(c.name)!.push(sample.faults);
    }
  }
  return new Map(cases.map((c) => [c.name, summarize(samples.get(c.name)!, faults.get(c.name)!)]));
}

export function timingOf(timings: Map<string, Timing>, name: string): Timing {
  const t = timings.get(name);
  if (t === undefined) throw new Error(`no timing for case "${name}"`);
  return t;
}
