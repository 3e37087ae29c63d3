/**
 * Recovery to usable (issue 13, docs/recovery.md): how long a recovered laptop takes from
 * `recover start` until it lists the team's records, against a plain import of the same data by
 * a newcomer admitted the ordinary way. A team (Alice admin, Dana editor) holds 100,000 records
 * in notes (quick: 10,000), 80% written by Alice and 20% by Dana; Dana sets up recovery, 2 of 2:
 * one share sealed to Alice, one on paper. Not timed: building that team, copying Alice's vault
 * folder afresh for every measured run (a recovery spends the set), creating the fresh vault.
 *
 * (a) baseline: a fresh vault asks to join, Alice admits it (editor), exports to it, it imports
 *     (both cores, as `airlock import` does) and lists the first screen of notes.
 * (b) recovery: a fresh vault runs recover start, Alice releases her share, recover add with the
 *     release and the paper card (judge + restore), then the re-send: the new vault exports to
 *     Alice, Alice imports it (her key repair seals the notes key with its history) and exports
 *     to the new vault, which imports and lists the first screen of notes; repeated if a round
 *     trip leaves records missing (counted in the note).
 *
 * Interleaved rounds (5, or 3 with --quick; the order alternates), each on fresh copies; the figure is the median
 * round's ratio (b)/(a), with every round and the spread in the note, plus how much of (b) the
 * recovery steps take.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { BenchFigure } from "@airlock/shared";
import { passphraseBytes } from "../src/store/index.js";
import { exportBundles, importBundles, importBundlesParallel, type ExportedBundle } from "../src/vault/sync.js";
import type { ImportReport } from "../src/vault/import-report.js";
import { Vault } from "../src/vault/vault.js";
import { setupRecovery } from "../src/recovery/setup.js";
import { releaseShare } from "../src/recovery/holder.js";
import { judgeInputs, restoreFrom, startRecovery } from "../src/recovery/restore.js";
import { BENCH_PASS } from "./vaults.js";

/** Interleaved rounds (3 with --quick): the figure is the median round's ratio. */
const ROUNDS = 5;
const SCREEN = 50;

const asBytes = (bundles: readonly ExportedBundle[]): { bytes: Uint8Array; source: string }[] => bundles.map((b) => ({ bytes: b.bytes, source: "bench" }));

function writeRecords(v: Vault, first: number, count: number): void {
  for (let r = first; r < first + count; r += 100) {
    const ops = [];
    for (let i = r; i < Math.min(first + count, r + 100); i++) ops.push({ kind: "set" as const, record: `rec-${i}`, field: "title", value: `title of record ${i}, some text` });
    v.write("notes", ops);
  }
}

interface Round {
  readonly baseMs: number;
  readonly baseExportMs: number;
  readonly baseImportMs: number;
  readonly baseSplit: string;
  readonly recMs: number;
  readonly stepsMs: number;
  readonly startMs: number;
  readonly releaseMs: number;
  readonly addMs: number;
  readonly resendMs: number;
  readonly toAliceMs: number;
  readonly aliceExportMs: number;
  readonly importMs: number;
  readonly trips: number;
  readonly importSplit: string;
  readonly ratio: number;
}

/** Where an import's time went (ImportReport timings). */
function split(r: ImportReport): string {
  const t = r.timings;
  return `open ${t.open.toFixed(0)}, decode ${t.decode.toFixed(0)}, transaction ${t.apply.toFixed(0)} (signatures and batches this thread took over ${t.decrypt.toFixed(0)}, waiting for the worker ${t.verify.toFixed(0)}, authorize ${t.authorize.toFixed(0)}, writes ${t.write.toFixed(0)})`;
}

const median = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

export async function benchRecovery(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const records = opts.quick ? 10_000 : 100_000;
  const roundCount = opts.quick ? 3 : ROUNDS;
  const root = mkdtempSync(join(tmpdir(), "airlock-bench-recovery-"));
  const clock = { ms: Date.UTC(2026, 10, 28) };
  const now = (): number => clock.ms++;
  const create = (name: string): Promise<Vault> => Vault.create(join(root, name), passphraseBytes(BENCH_PASS), { kdf: "test-insecure", now });
  const openCopy = async (name: string): Promise<Vault> => {
    cpSync(join(root, "a"), join(root, name), { recursive: true });
    return Vault.open(join(root, name), passphraseBytes(BENCH_PASS), { kdf: "test-insecure", now });
  };
  const drop = (...vs: Vault[]): void => {
    for (const v of vs) {
      const dir = v.store.dir;
      v.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const usable = (n: Vault): boolean => n.readableCollections().includes("notes") && n.recordCount("notes") === records && n.recordsPage("notes", 0, SCREEN).length === SCREEN;
  try {
    // The team, not timed.
    const a = await create("a");
    const d = await create("d");
    a.init("Bench team", "alice");
    a.addMember(d.joinRequest("dana").bytes, "editor");
    importBundles(d, asBytes(exportBundles(a)));
    const byDana = Math.floor(records / 5);
    writeRecords(a, 0, records - byDana);
    writeRecords(d, records - byDana, byDana);
    importBundles(a, asBytes(exportBundles(d, { maxBodyBytes: 256 * 1024 * 1024 })));
    importBundles(d, asBytes(exportBundles(a, { maxBodyBytes: 256 * 1024 * 1024 })));
    const setup = await setupRecovery(d, { threshold: 2, holders: ["alice"], paper: 1 });
    const card = setup.paper[0]!.bytes.slice();
    importBundles(a, asBytes(exportBundles(d)));
    if (a.recordCount("notes") !== records) throw new Error(`alice lists ${a.recordCount("notes")} of ${records} records`);
    a.close();
    d.close();

    const baseline = async (r: number): Promise<Pick<Round, "baseMs" | "baseExportMs" | "baseImportMs" | "baseSplit">> => {
      const alice = await openCopy(`a-base-${r}`);
      const n = await create(`n-base-${r}`);
      const t0 = performance.now();
      alice.addMember(n.joinRequest("erin").bytes, "editor");
      const bundles = exportBundles(alice);
      const t1 = performance.now();
      const report = await importBundlesParallel(n, asBytes(bundles));
      const ok = usable(n);
      const t2 = performance.now();
      if (!ok) throw new Error(`the admitted vault lists ${n.recordCount("notes")} of ${records} records`);
      drop(alice, n);
      return { baseMs: t2 - t0, baseExportMs: t1 - t0, baseImportMs: t2 - t1, baseSplit: split(report) };
    };

    const recovery = async (r: number): Promise<Omit<Round, "baseMs" | "baseExportMs" | "baseImportMs" | "baseSplit" | "ratio">> => {
      const alice = await openCopy(`a-rec-${r}`);
      const n = await create(`n-rec-${r}`);
      const t0 = performance.now();
      const request = startRecovery(n, "dana");
      const t1 = performance.now();
      const release = releaseShare(alice, request.bytes, "dana");
      const t2 = performance.now();
      const judged = judgeInputs(n, [
        { source: "alice.release", kind: "release", bytes: release.bytes },
        { source: "card-1.png", kind: "card", bytes: card },
      ]);
      const restored = await restoreFrom(n, judged);
      const t3 = performance.now();
      if (restored.waiting !== 0 || n.me().device.active !== true) throw new Error(`the recovered device is not active (waiting ${restored.waiting})`);
      let trips = 0;
      let toAliceMs = 0;
      let aliceExportMs = 0;
      let last: ImportReport | undefined;
      for (;;) {
        const u0 = performance.now();
        const ok = usable(n);
        if (ok) break;
        if (++trips > 3) throw new Error(`after 3 round trips the recovered vault lists ${n.recordCount("notes")} of ${records} records`);
        await importBundlesParallel(alice, asBytes(exportBundles(n)));
        const u1 = performance.now();
        const bundles = exportBundles(alice);
        const u2 = performance.now();
        last = await importBundlesParallel(n, asBytes(bundles));
        toAliceMs += u1 - u0;
        aliceExportMs += u2 - u1;
      }
      const t4 = performance.now();
      drop(alice, n);
      const resendMs = t4 - t3;
      return { recMs: t4 - t0, stepsMs: t3 - t0, startMs: t1 - t0, releaseMs: t2 - t1, addMs: t3 - t2, resendMs, toAliceMs, aliceExportMs, importMs: resendMs - toAliceMs - aliceExportMs, trips, importSplit: last === undefined ? "" : split(last) };
    };

    const rounds: Round[] = [];
    for (let r = 0; r < roundCount; r++) {
      let base: Awaited<ReturnType<typeof baseline>>;
      let rec: Awaited<ReturnType<typeof recovery>>;
      if (r % 2 === 0) {
        base = await baseline(r);
        rec = await recovery(r);
      } else {
        rec = await recovery(r);
        base = await baseline(r);
      }
      rounds.push({ ...base, ...rec, ratio: rec.recMs / base.baseMs });
    }
    const sorted = [...rounds].sort((x, y) => x.ratio - y.ratio);
    const mid = sorted[Math.floor(sorted.length / 2)]!;
    const load = loadavg().map((l) => l.toFixed(2)).join(" ");
    const q = opts.quick ? ".quick" : "";
    const ms = (x: number): string => x.toFixed(0);
    const stepShares = rounds.map((x) => x.stepsMs / x.recMs);
    return [
      {
        name: `vault.recovery.usable${q}`,
        value: mid.recMs,
        unit: "ms",
        baseline: mid.baseMs,
        ratio: mid.ratio,
        note: `median of ${roundCount} interleaved rounds (ratios ${rounds.map((x) => x.ratio.toFixed(3)).join(", ")}; spread ${sorted[0]!.ratio.toFixed(3)}-${sorted[sorted.length - 1]!.ratio.toFixed(3)}; recovery ${rounds.map((x) => ms(x.recMs)).join(", ")} ms, baseline ${rounds.map((x) => ms(x.baseMs)).join(", ")} ms; ratio of the medians ${(median(rounds.map((x) => x.recMs)) / median(rounds.map((x) => x.baseMs))).toFixed(3)}): ${records} records (80% Alice's, 20% the lost laptop's), recover start -> release -> recover add -> the re-send until the recovered vault lists them, ${mid.recMs.toFixed(0)} ms (start ${ms(mid.startMs)}, release ${ms(mid.releaseMs)}, add ${ms(mid.addMs)}, re-send ${ms(mid.resendMs)} in ${mid.trips} round trip${mid.trips === 1 ? "" : "s"}: the new vault's export and Alice's import ${ms(mid.toAliceMs)}, Alice's export ${ms(mid.aliceExportMs)}, its import + list ${ms(mid.importMs)} [${mid.importSplit}]), vs a newcomer admitted and importing the same data, ${mid.baseMs.toFixed(0)} ms (admit + export ${ms(mid.baseExportMs)}, import + list ${ms(mid.baseImportMs)} [${mid.baseSplit}]); load average ${load}`,
      },
      {
        name: `vault.recovery.steps${q}`,
        value: median(rounds.map((x) => x.stepsMs)),
        unit: "ms",
        baseline: median(rounds.map((x) => x.recMs)),
        ratio: median(stepShares),
        note: `the recovery steps alone (recover start, release, recover add) as a share of time to usable, median of ${roundCount} (shares ${stepShares.map((x) => x.toFixed(3)).join(", ")}); the rest is the re-sent import (the new vault's export to Alice, her import, her export, its import): ${rounds.map((x) => ms(x.resendMs)).join(", ")} ms`,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
