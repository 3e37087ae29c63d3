/**
 * `npm run fuzz`: every target (or `--target NAME`, repeatable) for `--runs N` inputs (default
 * 1,000,000), each in its own child process (`--jobs N` at once, default 1; `--max-seconds S`
 * stops a target early, and the table shows how many inputs it ran). Prints a table
 * (inputs, inputs/s, findings, slowest input, peak RSS), writes fuzz-results.json at the
 * repository root, saves each finding's input as fuzz/findings/<target>-<hash>.bin with a .txt
 * beside it (signature, stack, hex), and exits 1 if anything was found. What a finding is:
 * docs/benchmarks.md, "Fuzzing".
 */
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildMessage, ChildRequest, SerialReport } from "./child.js";
import { TARGETS } from "./targets/index.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FINDINGS_DIR = join(ROOT, "fuzz", "findings");
const RESULTS = join(ROOT, "fuzz-results.json");
const CHILD = fileURLToPath(new URL("./child.js", import.meta.url));

interface Options {
  readonly targets: readonly string[];
  readonly runs: number;
  readonly seed: number;
  readonly jobs: number;
  readonly hangMs: number;
  readonly maxSeconds: number | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const targets: string[] = [];
  let runs = 1_000_000;
  let seed = 1;
  let jobs = 1;
  let hangMs = 10_000;
  let maxSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < min) usage(`${arg} takes an integer >= ${min}`);
      return n;
    };
    if (arg === "--target") targets.push(...value().split(","));
    else if (arg === "--runs") runs = int(1);
    else if (arg === "--seed") seed = int(0);
    else if (arg === "--jobs") jobs = int(1);
    else if (arg === "--hang-ms") hangMs = int(1000);
    else if (arg === "--max-seconds") maxSeconds = int(1);
    else if (arg === "--list") {
      for (const t of TARGETS) console.log(`${t.name.padEnd(16)} ${t.entry}`);
      process.exit(0);
    } else usage(`unknown argument ${arg}`);
  }
  for (const t of targets) if (!TARGETS.some((x) => x.name === t)) usage(`no target "${t}"`);
  return { targets: targets.length > 0 ? targets : TARGETS.map((t) => t.name), runs, seed, jobs, hangMs, maxSeconds };
}

function usage(problem: string): never {
  console.error(`airlock fuzz: error: ${problem}`);
  console.error("usage: npm run fuzz -- [--target NAME]... [--runs N] [--seed N] [--jobs N] [--max-seconds S] [--hang-ms MS] [--list]");
  process.exit(2);
}

interface Result {
  readonly report: SerialReport | undefined;
  /** Set when the child died: a hang (with its saved input), a crash or running out of memory. */
  readonly died?: string;
}

function runChild(name: string, options: Options): Promise<Result> {
  const notePath = join(tmpdir(), `airlock-fuzz-${process.pid}-${name}.json`);
  rmSync(notePath, { force: true });
  const request: ChildRequest = { target: name, runs: options.runs, seed: options.seed, findingsDir: FINDINGS_DIR, notePath, hangMs: options.hangMs, maxSeconds: options.maxSeconds };
  return new Promise((resolve) => {
    // A bounded heap: a parser that allocates without bound dies here instead of taking the machine.
    const child = fork(CHILD, [JSON.stringify(request)], { execArgv: ["--max-old-space-size=1024"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let last: SerialReport | undefined;
    let done: SerialReport | undefined;
    let lastLine = 0;
    child.on("message", (m: ChildMessage) => {
      if (m.type === "done") done = m.report;
      else last = m.report;
      if (m.type === "progress" && Date.now() - lastLine > 15_000) {
        lastLine = Date.now();
        const r = m.report;
        console.error(`  ${name}: ${r.runs.toLocaleString("en")} inputs, ${Math.round(r.inputsPerSecond).toLocaleString("en")}/s, ${r.findingCount} findings, peak ${r.peakRssMiB.toFixed(0)} MiB`);
      }
    });
    child.on("exit", (code, signal) => {
      if (done !== undefined) return resolve({ report: done });
      let died = `child exited with ${signal ?? `code ${code}`}`;
      if (existsSync(notePath)) {
        const note = JSON.parse(readFileSync(notePath, "utf8")) as { file: string; hex: string; seconds: number; kind: string };
        died = `${note.kind}: one input ran over ${note.seconds.toFixed(0)} s${note.kind === "stuck" ? " without using CPU (a deadlock?)" : ""}; saved as ${note.file}`;
        rmSync(notePath, { force: true });
      }
      resolve({ report: last, died });
    });
  });
}

function saveFindings(report: SerialReport): string[] {
  const files: string[] = [];
  for (const f of report.findings) {
    mkdirSync(FINDINGS_DIR, { recursive: true });
    const input = Buffer.from(f.hex, "hex");
    const base = join(FINDINGS_DIR, `${report.target}-${createHash("sha256").update(input).digest("hex").slice(0, 16)}`);
    writeFileSync(`${base}.bin`, input);
    writeFileSync(`${base}.txt`, `${f.signature}\nseen ${f.count} times\n\n${f.detail}\n\ninput (hex):\n${f.hex}\n`);
    files.push(`${base}.bin`);
  }
  return files;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const cpu = cpus();
  console.log(`Airlock fuzzing: ${options.targets.length} targets x ${fmt(options.runs)} inputs, seed ${options.seed}, ${options.jobs} at a time`);
  console.log(`${new Date().toISOString()}  node ${process.version}  ${cpu[0]?.model ?? "unknown CPU"} x${cpu.length}  load average ${loadavg()[0]!.toFixed(2)}`);
  const started = Date.now();
  const results = new Map<string, Result>();
  const queue = [...options.targets];
  await Promise.all(
    Array.from({ length: Math.min(options.jobs, queue.length) }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        console.error(`  ${name}: started`);
        results.set(name, await runChild(name, options));
      }
    }),
  );

  const rows: string[][] = [["target", "inputs", "inputs/s", "findings", "slowest ms", "peak RSS MiB", "corpus"]];
  const json: Record<string, unknown> = {};
  let findings = 0;
  const notes: string[] = [];
  for (const name of options.targets) {
    const { report, died } = results.get(name)!;
    const count = (report?.findingCount ?? 0) + (died === undefined ? 0 : 1);
    findings += count;
    rows.push([
      name,
      fmt(report?.runs ?? 0),
      fmt(report?.inputsPerSecond ?? 0),
      String(count),
      fmt(report?.slowestMs ?? 0, 1),
      fmt(report?.peakRssMiB ?? 0, 1),
      String(report?.corpus ?? 0),
    ]);
    const files = report === undefined || died !== undefined ? [] : saveFindings(report);
    if (died !== undefined) notes.push(`${name}: ${died}`);
    for (const f of report?.findings ?? []) notes.push(`${name}: ${f.signature} (x${f.count})`);
    json[name] = {
      inputs: report?.runs ?? 0,
      seconds: report?.seconds ?? 0,
      inputsPerSecond: report?.inputsPerSecond ?? 0,
      ok: report?.ok ?? 0,
      typedErrors: report?.typed ?? 0,
      findings: count,
      slowestMs: report?.slowestMs ?? 0,
      peakRssMiB: report?.peakRssMiB ?? 0,
      corpus: report?.corpus ?? 0,
      outcomeKinds: report?.features ?? 0,
      entry: report?.entry,
      died,
      findingFiles: files,
      findingSignatures: report?.findings.map((f) => f.signature) ?? [],
    };
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log("");
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
  console.log(`\n${findings} finding${findings === 1 ? "" : "s"} in ${fmt((Date.now() - started) / 1000)} s`);
  for (const n of notes) console.log(`  ${n}`);
  if (findings > 0) console.log(`inputs and stacks: ${FINDINGS_DIR}`);
  writeFileSync(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seed: options.seed, runsPerTarget: options.runs, targets: json }, null, 2)}\n`);
  process.exitCode = findings > 0 ? 1 : 0;
}

await main();
