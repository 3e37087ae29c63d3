/**
 * The fuzz loop for one target: seeds first, then mutated inputs. Feedback without coverage
 * instrumentation: an input whose outcome has not been seen before (a new error code and
 * message template, or a new kind of accepted input) joins the corpus, because in these
 * parsers each refusal names the check that fired, so a new message means a new path.
 * Every input is timed; one over `slowMs` is re-run three times and kept as a finding if its
 * fastest re-run is still over, in wall and in CPU time. Peak memory is sampled as RSS.
 */
import { performance } from "node:perf_hooks";
import { mutateCbor } from "./cbor-mutate.js";
import { BYTE_MUTATORS, pickWeighted } from "./mutate.js";
import { classifyError, type Outcome } from "./outcome.js";
import { Rng } from "./rng.js";
import type { Target, TargetInstance } from "./target.js";

export interface EngineOptions {
  readonly runs: number;
  readonly seed: number;
  /** An input slower than this is a finding (the bound: 1 s). */
  readonly slowMs?: number;
  readonly maxCorpus?: number;
  /** Stop after this many seconds even if fewer than `runs` inputs ran (the report says how many did). */
  readonly maxSeconds?: number;
  /** Called with each input before it runs (the runner's hang watchdog keeps a copy). */
  readonly beforeInput?: (input: Uint8Array) => void;
  readonly onProgress?: (done: number, report: TargetReport) => void;
}

export interface Finding {
  readonly kind: "error" | "slow";
  readonly signature: string;
  readonly count: number;
  readonly input: Uint8Array;
  readonly detail: string;
}

export interface TargetReport {
  readonly target: string;
  readonly entry: string;
  readonly runs: number;
  readonly seconds: number;
  readonly inputsPerSecond: number;
  readonly ok: number;
  readonly typed: number;
  readonly findings: readonly Finding[];
  readonly findingCount: number;
  readonly slowestMs: number;
  readonly peakRssMiB: number;
  readonly corpus: number;
  readonly features: number;
}

const MiB = 1024 * 1024;

export class FuzzRun {
  readonly #target: Target;
  readonly #instance: TargetInstance;
  readonly #options: EngineOptions;
  readonly #rng: Rng;
  readonly #codes: ReadonlySet<string>;
  readonly #corpus: Uint8Array[];
  readonly #features = new Set<string>();
  readonly #findings = new Map<string, { kind: Finding["kind"]; count: number; input: Uint8Array; detail: string }>();
  #current: Uint8Array = new Uint8Array(0);
  #ok = 0;
  #typed = 0;
  #findingCount = 0;
  #slowestMs = 0;
  #peakRss = process.memoryUsage.rss();
  #done = 0;
  #start = performance.now();

  constructor(target: Target, instance: TargetInstance, options: EngineOptions) {
    this.#target = target;
    this.#instance = instance;
    this.#options = options;
    this.#rng = new Rng(options.seed);
    this.#codes = new Set(target.codes);
    this.#corpus = instance.seeds.map((s) => s.slice(0, target.maxInput));
    if (this.#corpus.length === 0) this.#corpus.push(new Uint8Array(0));
  }

  /** An error thrown outside the call (an async handler, a server callback): blamed on the current input. */
  stray(e: unknown): void {
    this.#record(classifyError(e, new Set()), this.#current, "stray (thrown outside the parser call)");
  }

  async run(): Promise<TargetReport> {
    const slowMs = this.#options.slowMs ?? 1000;
    const seeds = this.#corpus.length;
    this.#start = performance.now();
    let lastProgress = this.#start;
    for (let i = 0; i < this.#options.runs; i++) {
      const input = i < seeds ? this.#corpus[i]! : this.#mutant();
      this.#current = input;
      this.#options.beforeInput?.(input);
      const t0 = performance.now();
      const outcome = await this.#call(input);
      const ms = performance.now() - t0;
      this.#done = i + 1;
      if (ms > this.#slowestMs) this.#slowestMs = ms;
      if (ms > slowMs) await this.#checkSlow(input, slowMs);
      this.#record(outcome, input);
      if ((i & 255) === 0 && this.#options.maxSeconds !== undefined && performance.now() - this.#start > this.#options.maxSeconds * 1000) break;
      if ((i & 1023) === 0) {
        this.#peakRss = Math.max(this.#peakRss, process.memoryUsage.rss());
        const now = performance.now();
        if (this.#options.onProgress !== undefined && now - lastProgress > 2000) {
          lastProgress = now;
          this.#options.onProgress(i + 1, this.report());
        }
      }
    }
    this.#peakRss = Math.max(this.#peakRss, process.memoryUsage.rss());
    return this.report();
  }

  report(): TargetReport {
    const seconds = (performance.now() - this.#start) / 1000;
    return {
      target: this.#target.name,
      entry: this.#target.entry,
      runs: this.#done,
      seconds,
      inputsPerSecond: seconds > 0 ? this.#done / seconds : 0,
      ok: this.#ok,
      typed: this.#typed,
      findings: [...this.#findings].map(([signature, f]) => ({ signature, ...f })),
      findingCount: this.#findingCount,
      slowestMs: this.#slowestMs,
      peakRssMiB: this.#peakRss / MiB,
      corpus: this.#corpus.length,
      features: this.#features.size,
    };
  }

  async #call(input: Uint8Array): Promise<Outcome> {
    try {
      const result = this.#instance.run(input);
      const feature = result instanceof Promise ? await result : result;
      return { kind: "ok", feature: `ok:${feature ?? ""}` };
    } catch (e) {
      return classifyError(e, this.#codes);
    }
  }

  /**
   * Re-runs a slow input three times. It is a finding if even the fastest re-run is over the
   * bound in wall time *and* in CPU time: a machine busy with other work stretches wall time
   * only, a parser doing too much work stretches both.
   */
  async #checkSlow(input: Uint8Array, slowMs: number): Promise<void> {
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await this.#call(input);
      const cpu = process.cpuUsage(c0);
      fastest = Math.min(fastest, Math.min(performance.now() - t0, (cpu.user + cpu.system) / 1000));
      if (fastest <= slowMs) return;
    }
    this.#record({ kind: "finding", signature: `slow: over ${slowMs} ms`, error: undefined }, input, `fastest of 3 re-runs: ${fastest.toFixed(0)} ms`, "slow");
  }

  #record(outcome: Outcome, input: Uint8Array, note?: string, kind: Finding["kind"] = "error"): void {
    if (outcome.kind === "finding") {
      this.#findingCount++;
      const seen = this.#findings.get(outcome.signature);
      if (seen !== undefined) seen.count++;
      else {
        const e = outcome.error;
        const detail = [note, e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : e === undefined ? undefined : String(e)].filter(Boolean).join("\n");
        this.#findings.set(outcome.signature, { kind, count: 1, input: input.slice(), detail });
      }
      return;
    }
    if (outcome.kind === "ok") this.#ok++;
    else this.#typed++;
    if (!this.#features.has(outcome.feature)) {
      this.#features.add(outcome.feature);
      this.#keep(input);
    }
  }

  #keep(input: Uint8Array): void {
    const max = this.#options.maxCorpus ?? 2000;
    if (this.#corpus.length < max) this.#corpus.push(input);
    else this.#corpus[this.#instance.seeds.length + this.#rng.below(max - this.#instance.seeds.length)] = input;
  }

  #mutant(): Uint8Array {
    const rng = this.#rng;
    const seeds = this.#instance.seeds.length;
    const pool = rng.chance(0.3) ? seeds : this.#corpus.length;
    let input = this.#corpus[rng.below(pool)]!;
    const other = (): Uint8Array => this.#corpus[rng.below(this.#corpus.length)]!;
    const edits = 1 + rng.skewed(4);
    for (let i = 0; i < edits; i++) {
      input = this.#target.cbor && rng.chance(0.5) ? mutateCbor(input, rng, other) : pickWeighted(rng, BYTE_MUTATORS)(input, rng, other, this.#target.maxInput);
      if (input.length > this.#target.maxInput) input = input.subarray(0, this.#target.maxInput);
    }
    return input;
  }
}

/** Runs one target in this process (the smoke test; the runner adds a process and a watchdog). */
export async function fuzzTarget(target: Target, options: EngineOptions): Promise<TargetReport> {
  const instance = await target.create();
  const run = new FuzzRun(target, instance, options);
  try {
    return await run.run();
  } finally {
    await instance.close?.();
  }
}

