/**
 * Mailbox backend throughput (issue #5): bundles per second through one courier-shaped round —
 * put every bundle, list once, get every bundle — against the same round done with plain local
 * files, measured in the same run, interleaved with the backend, on the same file system.
 *
 * The baseline is "the least a durable folder store must do": per bundle open(O_CREAT|O_EXCL) +
 * write + fsync + close, one readdir, then readFile per bundle. fsync is in it because the
 * courier acknowledges a bundle only once it survives power loss; leaving it out would make a
 * careful backend look slow for being careful, and leaving in more (rename, directory fsync,
 * digest checks) would hide exactly the overhead this figure is meant to show. The ratio is
 * backend / baseline: 1.0 means "as fast as raw durable files", above 1 means the backend does
 * less I/O than that (memory), below 1 is the price of atomicity and checks (dir:), or of a
 * network hop (http, s3).
 *
 * Names are computed before timing (the courier knows every digest from its spool); the backend's
 * own re-hash in put() and digest check in get() are part of what is timed.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, open, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mailboxNameFor, type MailboxBackend, type MailboxName } from "../src/mailbox/backend.js";
import type { BenchFigure as Figure } from "@airlock/shared";
/** A figure as every bench runner prints and stores it (shared/src/bench-figures.ts). */
export type { Figure };


export interface BackendUnderTest {
  readonly backend: MailboxBackend;
  close(): Promise<void>;
}

export interface BenchOptions {
  readonly quick: boolean;
}

interface Case {
  readonly label: string;
  readonly size: number;
  readonly count: number;
}

const KiB = 1024;

function cases(quick: boolean): Case[] {
  return quick
    ? [
        { label: "2KiB", size: 2 * KiB, count: 100 },
        { label: "64KiB", size: 64 * KiB, count: 40 },
      ]
    : [
        { label: "2KiB", size: 2 * KiB, count: 500 },
        { label: "64KiB", size: 64 * KiB, count: 200 },
      ];
}

interface Bundle {
  readonly name: MailboxName;
  readonly bytes: Uint8Array;
}

interface Round {
  /** Bundles per second over the whole round. */
  readonly rate: number;
  readonly putMs: number;
  readonly listMs: number;
  readonly getMs: number;
}

function makeBundles(c: Case): Bundle[] {
  return Array.from({ length: c.count }, () => {
    const bytes = new Uint8Array(randomBytes(c.size));
    return { name: mailboxNameFor(bytes), bytes };
  });
}

const totalBytes = (bundles: readonly Bundle[]): number => bundles.reduce((sum, b) => sum + b.bytes.length, 0);

async function backendRound(make: () => Promise<BackendUnderTest>, bundles: readonly Bundle[]): Promise<Round> {
  const { backend, close } = await make();
  try {
    const t0 = performance.now();
    for (const b of bundles) await backend.put(b.name, b.bytes);
    const t1 = performance.now();
    const { names } = await backend.list();
    const t2 = performance.now();
    let bytes = 0;
    for (const b of bundles) bytes += (await backend.get(b.name))?.length ?? 0;
    const t3 = performance.now();
    // A backend that loses or truncates bundles must not score well for it.
    const expected = totalBytes(bundles);
    if (names.length !== bundles.length || bytes !== expected) {
      throw new Error(`backend returned ${names.length}/${bundles.length} names and ${bytes}/${expected} bytes`);
    }
    return { rate: bundles.length / ((t3 - t0) / 1000), putMs: t1 - t0, listMs: t2 - t1, getMs: t3 - t2 };
  } finally {
    await close();
  }
}

async function baselineRound(bundles: readonly Bundle[]): Promise<Round> {
  const dir = await mkdtemp(join(tmpdir(), "airlock-bench-baseline-"));
  try {
    const t0 = performance.now();
    for (const b of bundles) {
      const handle = await open(join(dir, b.name), "wx", 0o600);
      try {
        await handle.write(b.bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    const t1 = performance.now();
    const names = await readdir(dir);
    const t2 = performance.now();
    let bytes = 0;
    for (const b of bundles) bytes += (await readFile(join(dir, b.name))).length;
    const t3 = performance.now();
    if (names.length !== bundles.length || bytes !== totalBytes(bundles)) throw new Error("the baseline lost files; is the temp dir full?");
    return { rate: bundles.length / ((t3 - t0) / 1000), putMs: t1 - t0, listMs: t2 - t1, getMs: t3 - t2 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

function phases(rounds: readonly Round[]): string {
  return `put ${ms(median(rounds.map((r) => r.putMs)))} ms, list ${ms(median(rounds.map((r) => r.listMs)))} ms, get ${ms(median(rounds.map((r) => r.getMs)))} ms`;
}

/**
 * Measures one backend. `make` must return a fresh, empty backend each call (one per round, so
 * no round lists another round's bundles); what it costs to make and close is not timed.
 * Returns one figure per bundle size; names are `mailbox.<label>.<size>` (`.quick` appended in
 * quick mode, so a smoke run's figures cannot be mistaken for a full run's).
 */
export async function benchBackend(label: string, make: () => Promise<BackendUnderTest>, opts: BenchOptions): Promise<Figure[]> {
  const rounds = opts.quick ? 3 : 7;
  const figures: Figure[] = [];
  for (const c of cases(opts.quick)) {
    // Untimed warm-up: JIT, file-system metadata caches, a backend's connection pool.
    const warm = makeBundles({ ...c, count: Math.min(c.count, 20) });
    await baselineRound(warm);
    await backendRound(make, warm);

    const measured: Round[] = [];
    const baseline: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      // Fresh random bytes per round so no cache (page cache aside) sees a repeat; the two
      // sides of a round use the same bytes, alternately first, so drift hits both alike.
      const bundles = makeBundles(c);
      if (r % 2 === 0) {
        baseline.push(await baselineRound(bundles));
        measured.push(await backendRound(make, bundles));
      } else {
        measured.push(await backendRound(make, bundles));
        baseline.push(await baselineRound(bundles));
      }
    }
    const value = median(measured.map((x) => x.rate));
    const base = median(baseline.map((x) => x.rate));
    figures.push({
      name: `mailbox.${label}.${c.label}${opts.quick ? ".quick" : ""}`,
      value,
      unit: "bundles/s",
      baseline: base,
      ratio: value / base,
      note:
        `${c.count} × ${c.label} put + 1 list + get, median of ${rounds} rounds; ${label}: ${phases(measured)}; ` +
        `raw files (write+fsync, readdir, readFile): ${phases(baseline)}`,
    });
  }
  return figures;
}
