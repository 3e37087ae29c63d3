/**
 * Timing helpers: process.hrtime.bigint, medians, and an interleaved sampler that runs every
 * case of a comparison once per round (rotating the order), so clock-speed drift lands on the
 * subject and its baseline alike. The heap is collected before every sample (outside the
 * timed region), so no case pays for garbage another case left behind; garbage a case makes
 * and V8 collects during its own sample is part of its cost.
 */

export interface Case {
  readonly name: string;
  /** One operation; the sampler calls it `reps` times per sample. */
  readonly run: () => void;
}

export interface SamplePlan {
  /** Untimed rounds first (JIT, caches, allocator). */
  readonly warmupRounds: number;
  /** Timed rounds; each gives one sample per case. Odd, so the median is a real sample. */
  readonly rounds: number;
  /** Operations per sample, so a sample lasts long enough for the clock to resolve it. */
  readonly reps: number;
}

export interface Timing {
  /** Median seconds per operation. */
  readonly median: number;
  /** Interquartile range relative to the median: a spread figure for the printed line. */
  readonly spread: number;
  readonly samples: readonly number[];
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

export function summarize(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  return { median, spread: (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / median, samples };
}

/** Full collection (needs --expose-gc; a no-op without it). Never inside a timed region. */
export function collectGarbage(): void {
  globalThis.gc?.();
}

/** Runs the cases interleaved, round by round; returns the timing of each case by name. */
export function sampleInterleaved(cases: readonly Case[], plan: SamplePlan): Map<string, Timing> {
  const runRound = (round: number, record: boolean, into: Map<string, number[]>): void => {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(round + k) % cases.length]!;
      collectGarbage();
      const start = process.hrtime.bigint();
      for (let i = 0; i < plan.reps; i++) c.run();
      const end = process.hrtime.bigint();
      if (record) into.get(c.name)!.push(seconds(start, end) / plan.reps);
    }
  };
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < plan.warmupRounds; r++) runRound(r, false, samples);
  for (let r = 0; r < plan.rounds; r++) runRound(r, true, samples);
  return new Map([...samples].map(([name, s]) => [name, summarize(s)]));
}

export function timingOf(timings: Map<string, Timing>, name: string): Timing {
  const t = timings.get(name);
  if (t === undefined) throw new Error(`no timing for case "${name}"`);
  return t;
}
