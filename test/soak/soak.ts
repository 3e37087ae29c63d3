/**
 * The crash soak (issue 10): for each command, time a few uninterrupted runs from the prepared
 * state (they must all reach the same state: the reference), then again and again restore the
 * prepared state, start the command, SIGKILL it at a moment drawn uniformly from [0, median
 * uninterrupted time), check the store and folders, rerun the command to its end and check that
 * it reached the reference. Kills are drawn until `kills` of them landed while the process still
 * ran (a kill after it exited does not count), or `3 × kills` were drawn.
 */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { seededRandom } from "../../shared/test-support/degrade.js";
import { exportScenario } from "./export-scenario.js";
import { prepareFixtures, type FixtureOptions, type Fixtures } from "./fixtures.js";
import { importScenario } from "./import-scenario.js";
import { runChild } from "./kill.js";
import { findings, type AfterKill, type AfterRerun, type Scenario, type ScenarioName } from "./scenario.js";
import { syncScenario } from "./sync-scenario.js";

export interface SoakOptions {
  readonly seed: number;
  /** Kills that must land mid-run, per command. */
  readonly kills: number;
  readonly commands: readonly ScenarioName[];
  readonly fixture: FixtureOptions;
  /** Uninterrupted runs per command: their median time spans the kill moments. */
  readonly references: number;
  /** Where soak-results.json goes (none: not written). */
  readonly resultsFile?: string;
  /** Printed progress (none: silent). */
  readonly log?: (line: string) => void;
}

export interface Failure {
  readonly attempt: number;
  readonly killAtMs: number;
  readonly landed: "mid-run" | "after exit" | "reference";
  readonly kind: "integrity" | "loss" | "convergence";
  readonly what: string;
  /** A copy of the work folders as the failure left them. */
  readonly kept?: string;
}

export interface CommandResult {
  readonly command: string;
  readonly uninterruptedMs: readonly number[];
  readonly medianMs: number;
  /** Kills sent, landed while the process ran, landed after it had exited. */
  readonly kills: number;
  readonly midRun: number;
  readonly afterExit: number;
  /** Mid-run kills that left work begun and unfinished (a partial import, a temp file, ...). */
  readonly partial: number;
  /** Mid-run kills by where they landed in the command's work (the scenario's stages). */
  readonly stages: Readonly<Record<string, number>>;
  readonly integrityFailures: number;
  readonly losses: number;
  readonly convergenceFailures: number;
  readonly runtimeMs: number;
  /** Where the runtime went: restoring folders, killed runs, checks after kills, reruns, checks after reruns. */
  readonly phasesMs: Readonly<Record<Phase, number>>;
  readonly figures?: Readonly<Record<string, number>>;
  readonly failures: readonly Failure[];
}

type Phase = "restore" | "killed" | "checkKill" | "rerun" | "checkRerun";

export interface SoakResult {
  readonly seed: number;
  readonly killsWanted: number;
  readonly fixture: FixtureOptions & { readonly prepareMs: number; readonly importBundles: readonly number[]; readonly outbound: number; readonly inbound: number };
  readonly commands: readonly CommandResult[];
  readonly totalMs: number;
  /** The machine, and how busy it was (1-minute load average) when the soak started and ended. */
  readonly machine: { readonly cpus: number; readonly node: string; readonly loadStart: number; readonly loadEnd: number };
  readonly ok: boolean;
}

const SCENARIO_OF: Record<ScenarioName, (fx: Fixtures) => Scenario> = { import: importScenario, export: exportScenario, sync: syncScenario };

const describe = (e: unknown): string => (e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e)).slice(0, 500);

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A stream of kill moments per command, so `--only` one command draws the same moments as a full run. */
function streamSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

async function soakOne(scenario: Scenario, options: SoakOptions, root: string, log: (line: string) => void): Promise<CommandResult> {
  const started = performance.now();
  const failures: Failure[] = [];
  let kept = 0;
  const workDir = join(root, "work");
  const fail = (f: Omit<Failure, "kept">): void => {
    // The first few failures keep their folders for a post-mortem; the rest are only counted.
    const keep = kept++ < 5 ? join(root, "failures", `${scenario.name}-${f.attempt}`) : undefined;
    if (keep !== undefined) cpSync(workDir, keep, { recursive: true });
    failures.push({ ...f, ...(keep === undefined ? {} : { kept: keep }) });
    log(`  FAIL ${scenario.label} #${f.attempt} (kill at ${Math.round(f.killAtMs)} ms, ${f.landed}): ${f.kind}: ${f.what}${keep === undefined ? "" : ` [kept in ${keep}]`}`);
  };

  scenario.reset();
  await scenario.baseline();
  const times: number[] = [];
  let reference: string | undefined;
  for (let i = 0; i < options.references; i++) {
    scenario.reset();
    const run = await runChild(scenario.command);
    if (run.status !== 0) throw new Error(`${scenario.label} failed uninterrupted (exit ${run.status ?? run.signal}): ${(run.stdout + run.stderr).slice(0, 2000)}`);
    times.push(run.ms);
    const after = await scenario.afterRun(run);
    for (const what of after.integrity) fail({ attempt: -1 - i, killAtMs: run.ms, landed: "reference", kind: "integrity", what });
    for (const what of after.losses) fail({ attempt: -1 - i, killAtMs: run.ms, landed: "reference", kind: "loss", what });
    reference ??= after.state;
    if (after.state !== reference) fail({ attempt: -1 - i, killAtMs: run.ms, landed: "reference", kind: "convergence", what: "two uninterrupted runs reached different states" });
    for (const what of after.diverged ?? []) fail({ attempt: -1 - i, killAtMs: run.ms, landed: "reference", kind: "convergence", what });
  }
  const span = median(times);
  log(`${scenario.label}: uninterrupted ${times.map((t) => Math.round(t)).join(", ")} ms; killing at uniform moments in [0, ${Math.round(span)}) ms`);

  const random = seededRandom(streamSeed(options.seed, scenario.name));
  let attempts = 0;
  let midRun = 0;
  let partial = 0;
  const stages: Record<string, number> = {};
  const counts = { integrity: 0, loss: 0, convergence: 0 };
  const phasesMs: Record<Phase, number> = { restore: 0, killed: 0, checkKill: 0, rerun: 0, checkRerun: 0 };
  let mark = performance.now();
  const lap = (phase: Phase): void => {
    const now = performance.now();
    phasesMs[phase] += now - mark;
    mark = now;
  };
  while (midRun < options.kills && attempts < options.kills * 3) {
    const attempt = ++attempts;
    const at = random() * span;
    mark = performance.now();
    scenario.reset();
    lap("restore");
    const killed = await runChild(scenario.command, at);
    lap("killed");
    const landed = killed.signal === "SIGKILL" ? "mid-run" : "after exit";
    const fails = new Set<keyof typeof counts>();
    const report = (kind: keyof typeof counts, what: string): void => {
      fails.add(kind);
      fail({ attempt, killAtMs: at, landed, kind, what });
    };
    if (landed === "mid-run") midRun++;
    else if (killed.status !== 0) report("convergence", `exited ${killed.status} before the kill: ${(killed.stdout + killed.stderr).slice(0, 500)}`);
    // A store that no longer opens throws from the checks: that is a finding, not the end of the soak.
    const afterKill = await scenario.afterKill().catch((e: unknown): AfterKill => ({ ...findings(), integrity: [`cannot be read: ${describe(e)}`], progress: "unreadable", partial: true, stage: "unreadable" }));
    lap("checkKill");
    if (landed === "mid-run") {
      if (afterKill.partial) partial++;
      stages[afterKill.stage] = (stages[afterKill.stage] ?? 0) + 1;
    }
    for (const what of afterKill.integrity) report("integrity", `after the kill: ${what}`);
    for (const what of afterKill.losses) report("loss", `after the kill: ${what}`);
    const rerun = await runChild(scenario.command);
    lap("rerun");
    if (rerun.status !== 0) {
      report("convergence", `the rerun failed (exit ${rerun.status ?? rerun.signal}): ${(rerun.stdout + rerun.stderr).trim().slice(0, 500)}`);
    } else {
      const after = await scenario.afterRun(rerun).catch((e: unknown): AfterRerun => ({ ...findings(), integrity: [`cannot be read: ${describe(e)}`], state: "unreadable" }));
      for (const what of after.integrity) report("integrity", `after the rerun: ${what}`);
      for (const what of after.losses) report("loss", `after the rerun: ${what}`);
      if (after.state !== reference) report("convergence", "the rerun reached a state no uninterrupted run reaches");
      for (const what of after.diverged ?? []) report("convergence", what);
    }
    lap("checkRerun");
    for (const kind of fails) counts[kind]++;
    if (attempt % 25 === 0 || midRun === options.kills) {
      log(`  ${scenario.label}: ${attempt} kills, ${midRun} mid-run (${partial} partial), last: ${Math.round(at)} ms ${landed}, ${afterKill.progress}`);
    }
  }
  return {
    command: scenario.label,
    uninterruptedMs: times.map(Math.round),
    medianMs: Math.round(span),
    kills: attempts,
    midRun,
    afterExit: attempts - midRun,
    partial,
    stages,
    integrityFailures: counts.integrity,
    losses: counts.loss,
    convergenceFailures: counts.convergence,
    runtimeMs: Math.round(performance.now() - started),
    ...(scenario.figures === undefined ? {} : { figures: scenario.figures() }),
    phasesMs: Object.fromEntries(Object.entries(phasesMs).map(([k, v]) => [k, Math.round(v)])) as Record<Phase, number>,
    failures,
  };
}

export async function runSoak(root: string, options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((): void => {});
  const started = performance.now();
  const loadStart = loadavg()[0]!;
  mkdirSync(root, { recursive: true });
  log(`crash soak: seed ${options.seed}, ${options.kills} mid-run kills per command (${options.commands.join(", ")}), folders in ${root}`);
  const fx = await prepareFixtures(root, options.fixture);
  log(
    `fixtures ready in ${(fx.prepareMs / 1000).toFixed(1)} s: import stick of ${fx.importBundles.length} bundles (${fx.importBundles.join(" + ")} changesets), courier with ${fx.outbound} bundles out and ${fx.inbound} waiting in the mailbox`,
  );
  const commands: CommandResult[] = [];
  for (const name of options.commands) commands.push(await soakOne(SCENARIO_OF[name](fx), options, root, log));
  // Too few kills landing mid-run (a command that got much faster after timing) is a failed soak too.
  const ok = commands.every((c) => c.integrityFailures + c.losses + c.convergenceFailures === 0 && c.failures.length === 0 && c.midRun >= options.kills);
  const result: SoakResult = {
    seed: options.seed,
    killsWanted: options.kills,
    fixture: { ...options.fixture, prepareMs: Math.round(fx.prepareMs), importBundles: fx.importBundles, outbound: fx.outbound, inbound: fx.inbound },
    commands,
    totalMs: Math.round(performance.now() - started),
    machine: { cpus: cpus().length, node: process.version, loadStart: Number(loadStart.toFixed(2)), loadEnd: Number(loadavg()[0]!.toFixed(2)) },
    ok,
  };
  log("");
  for (const line of summaryTable(result)) log(line);
  for (const c of commands) log(`${c.command}: mid-run kills landed ${Object.entries(c.stages).map(([k, v]) => `${v}× ${k}`).join(", ")}`);
  for (const c of commands) log(`${c.command}: time in ${Object.entries(c.phasesMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(", ")}`);
  if (options.resultsFile !== undefined) {
    writeFileSync(options.resultsFile, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${options.resultsFile}`);
  }
  return result;
}

export function summaryTable(r: SoakResult): string[] {
  const head = ["command", "uninterrupted", "kills", "mid-run", "after exit", "partial", "integrity", "losses", "convergence", "runtime"];
  const rows = r.commands.map((c) => [
    c.command,
    `${c.medianMs} ms`,
    String(c.kills),
    String(c.midRun),
    String(c.afterExit),
    String(c.partial),
    String(c.integrityFailures),
    String(c.losses),
    String(c.convergenceFailures),
    `${(c.runtimeMs / 1000).toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [
    line(head),
    ...rows.map(line),
    `seed ${r.seed}; total ${(r.totalMs / 1000).toFixed(1)} s (fixtures ${(r.fixture.prepareMs / 1000).toFixed(1)} s) on ${r.machine.cpus} cores, load ${r.machine.loadStart} -> ${r.machine.loadEnd}; ${r.ok ? "no failures" : "FAILURES"}`,
  ];
}
