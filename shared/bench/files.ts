/**
 * File to file, 1 GiB (64 MiB with --quick or AIRLOCK_BENCH_QUICK): sealFile and openFile
 * against `age -r` / `age -d -i` on the same random file, in the same run, interleaved round
 * by round (the order rotating), each figure the median round. Ours run in a child process
 * (files-child.ts) that also reports its peak RSS. Skipped, with a message, where `age` or
 * `age-keygen` is not installed (Debian: `apt-get install age`).
 *
 * Figures (ratio = value / baseline):
 * - `files.seal.<size>`, `files.open.<size>`: MB/s of body; baseline = age on the same file
 *   (MB/s of its plaintext). Higher is better; target ratio >= 1.0.
 *   Timed: ours, the sealFile/openFile call only (worker start, temp file, fsync and rename
 *   included; Node's own start-up not); age, the whole process (start-up is a few ms). age
 *   does not fsync its output; ours does, so the comparison is tilted towards age.
 * - `files.seal-durable.<size>`, `files.open-durable.<size>`: the same MB/s of ours against age
 *   followed by an fsync of its output (timed by this process): the same work, durability
 *   included. Higher is better; target ratio >= 1.0.
 * - `files.seal-cpu.<size>`, `files.open-cpu.<size>`: CPU seconds (user + system, all threads)
 *   per GiB of body; baseline = age's, read with GNU time (/usr/bin/time; the figures are
 *   skipped without it). Lower is better; no target. On a shared machine this is the steadier
 *   comparison: wall-clock time there mostly measures what the other jobs leave over.
 * - `files.peak-rss.seal.<size>`, `files.peak-rss.open.<size>`: MiB, the kernel's maxRSS of the
 *   child (worker thread included); baseline = the child's RSS after
 *   start-up. Lower is better; target: value < 64 MiB.
 *
 * Ours use libsodium's chunk AEAD (the log says so if it did not load). With
 * AIRLOCK_BENCH_FILES_FALLBACK=1 every round also runs the node:crypto fallback, interleaved
 * the same way, and the same figures are given for it with the suffix `.node-crypto`.
 */
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes, randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { BenchFigure } from "../src/bench-figures.js";
import type { FilesChildReport } from "./files-child.js";

const CHILD = fileURLToPath(new URL("./files-child.js", import.meta.url));
const MiB = 1024 * 1024;
const TARGET_RSS_MIB = 64;

interface Config {
  readonly bytes: number;
  readonly rounds: number;
}

export function filesConfig(quick: boolean): Config {
  return quick ? { bytes: 64 * MiB, rounds: 3 } : { bytes: 1024 * MiB, rounds: 5 };
}

const label = (bytes: number): string => (bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)}GiB` : `${bytes / MiB}MiB`);
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number, seconds: number): number => bytes / seconds / 1e6;
const toMiB = (bytes: number): number => bytes / MiB;

async function hasAge(): Promise<boolean> {
  try {
    await promisify(execFile)("age", ["--version"]);
    await promisify(execFile)("age-keygen", ["--help"]).catch((e: { code?: unknown }) => {
      if (e.code === "ENOENT") throw e; // --help exits non-zero on some versions; only a missing binary counts
    });
    return true;
  } catch {
    return false;
  }
}

const GNU_TIME = "/usr/bin/time";

/**
 * Runs a command to completion; returns its wall-clock seconds and, under GNU time when
 * `cpuFile` is given, its CPU seconds (user + system).
 */
function timed(command: string, args: readonly string[], cpuFile?: string): Promise<{ seconds: number; cpuSeconds?: number }> {
  const [file, argv] = cpuFile === undefined ? [command, args] : [GNU_TIME, ["-f", "%U %S", "-o", cpuFile, command, ...args]];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, argv, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} failed (${code}): ${stderr.trim()}`));
      if (cpuFile === undefined) return resolve({ seconds });
      readFile(cpuFile, "utf8").then((text) => {
        const [user, system] = text.trim().split(/\s+/).map(Number);
        resolve({ seconds, cpuSeconds: user! + system! });
      }, reject);
    });
  });
}

/**
 * Seconds to fsync `path`: what age leaves undone. Ours fsyncs before it renames the file into
 * place, as anything that keeps an attachment must; on this machine's disk that alone takes
 * about 1.1-1.3 s per GiB when done at the end.
 */
async function fsyncSeconds(path: string): Promise<number> {
  const start = process.hrtime.bigint();
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function hasGnuTime(): Promise<boolean> {
  try {
    await promisify(execFile)(GNU_TIME, ["-f", "%U", "true"]);
    return true;
  } catch {
    return false;
  }
}

async function runChild(mode: "seal" | "open", seed: string, input: string, output: string, nodeCrypto = false): Promise<FilesChildReport> {
  const args = [CHILD, mode, seed, input, output, ...(nodeCrypto ? ["node-crypto"] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: MiB });
  return JSON.parse(stdout) as FilesChildReport;
}

interface Runs {
  readonly ours: number[];
  readonly age: number[];
  /** age's time plus an fsync of its output afterwards: the same durability as ours. */
  readonly ageDurable: number[];
  readonly oursCpu: number[];
  readonly ageCpu: number[];
  readonly rss: FilesChildReport[];
}
const runs = (): Runs => ({ ours: [], age: [], ageDurable: [], oursCpu: [], ageCpu: [], rss: [] });

async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash("sha256");
  const piece = Buffer.allocUnsafe(MiB);
  const handle = await open(path, "w");
  try {
    for (let at = 0; at < bytes; at += piece.length) {
      const chunk = piece.subarray(0, Math.min(piece.length, bytes - at));
      randomFillSync(chunk);
      hash.update(chunk);
      await handle.write(chunk, 0, chunk.length, at);
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of createReadStream(path, { highWaterMark: MiB })) hash.update(piece as Buffer);
  return hash.digest("hex");
}

export async function benchFiles(options: { quick: boolean; log: (line: string) => void }): Promise<BenchFigure[]> {
  const { bytes, rounds } = filesConfig(options.quick);
  const size = label(bytes);
  if (!(await hasAge())) {
    options.log(`skipped: \`age\` is not installed (Debian: apt-get install age); no files.* figures this run`);
    return [];
  }
  const dir = await mkdtemp(join(tmpdir(), "airlock-bench-files-"));
  try {
    const input = join(dir, "input.bin");
    const inputHash = await writeRandomFile(input, bytes);
    const key = join(dir, "age.key");
    await promisify(execFile)("age-keygen", ["-o", key]);
    const ageRecipient = /age1[0-9a-z]+/.exec(await readFile(key, "utf8"))?.[0];
    if (ageRecipient === undefined) throw new Error("age-keygen wrote no recipient");
    const seed = randomBytes(16).toString("hex");
    const ours = join(dir, "ours.bundle");
    const theirs = join(dir, "theirs.age");

    const cpuFile = (await hasGnuTime()) ? join(dir, "age.cpu") : undefined;
    if (cpuFile === undefined) options.log(`note: no GNU time at ${GNU_TIME}; the *-cpu figures are skipped`);
    const fallback = process.env.AIRLOCK_BENCH_FILES_FALLBACK === "1";
    const seal = runs();
    const open_ = runs();
    // The node:crypto fallback, when asked for: its own runs, age's figures shared.
    const sealNode = runs();
    const openNode = runs();
    const nodeOut = join(dir, "node.bundle");
    options.log(
      `${size} random file, ${rounds} interleaved rounds (order rotating); each round seals and opens with both` +
        (fallback ? ", and with our node:crypto fallback" : ""),
    );
    const ourSeal = (into: Runs, bundle: string, nodeCrypto: boolean) => async (): Promise<void> => {
      await rm(bundle, { force: true });
      const report = await runChild("seal", seed, input, bundle, nodeCrypto);
      if (report.bodyHash !== inputHash) throw new Error("sealFile hashed a different body");
      if (!nodeCrypto && report.aead !== "libsodium") options.log("note: libsodium did not load; these are node:crypto's figures");
      into.ours.push(report.seconds);
      into.oursCpu.push(report.cpuSeconds);
      into.rss.push(report);
    };
    const ourOpen = (into: Runs, bundle: string, nodeCrypto: boolean, round: number) => async (): Promise<void> => {
      const output = join(dir, nodeCrypto ? "node.out" : "ours.out");
      await rm(output, { force: true });
      const report = await runChild("open", seed, bundle, output, nodeCrypto);
      if (report.bodyHash !== inputHash) throw new Error("openFile released a different body");
      if (round === 0 && (await sha256File(output)) !== inputHash) throw new Error("openFile wrote a different file");
      into.ours.push(report.seconds);
      into.oursCpu.push(report.cpuSeconds);
      into.rss.push(report);
    };
    for (let round = 0; round < rounds; round++) {
      const steps: (() => Promise<void>)[] = [
        ourSeal(seal, ours, false),
        async () => {
          await rm(theirs, { force: true });
          const run = await timed("age", ["-r", ageRecipient, "-o", theirs, input], cpuFile);
          seal.age.push(run.seconds);
          seal.ageDurable.push(run.seconds + (await fsyncSeconds(theirs)));
          if (run.cpuSeconds !== undefined) seal.ageCpu.push(run.cpuSeconds);
        },
        ...(fallback ? [ourSeal(sealNode, nodeOut, true)] : []),
      ];
      for (let k = 0; k < steps.length; k++) await steps[(round + k) % steps.length]!();
      const opens: (() => Promise<void>)[] = [
        ourOpen(open_, ours, false, round),
        async () => {
          const output = join(dir, "theirs.out");
          await rm(output, { force: true });
          const run = await timed("age", ["-d", "-i", key, "-o", output, theirs], cpuFile);
          open_.age.push(run.seconds);
          open_.ageDurable.push(run.seconds + (await fsyncSeconds(output)));
          if (run.cpuSeconds !== undefined) open_.ageCpu.push(run.cpuSeconds);
        },
        ...(fallback ? [ourOpen(openNode, nodeOut, true, round)] : []),
      ];
      for (let k = 0; k < opens.length; k++) await opens[(round + k) % opens.length]!();
      const nodeNote = fallback
        ? ` (node:crypto: seal ${mb(bytes, sealNode.ours.at(-1)!).toFixed(0)}, open ${mb(bytes, openNode.ours.at(-1)!).toFixed(0)})`
        : "";
      options.log(
        `round ${round + 1}: seal ${mb(bytes, seal.ours.at(-1)!).toFixed(0)} vs age ${mb(bytes, seal.age.at(-1)!).toFixed(0)} MB/s, ` +
          `open ${mb(bytes, open_.ours.at(-1)!).toFixed(0)} vs age ${mb(bytes, open_.age.at(-1)!).toFixed(0)} MB/s${nodeNote}`,
      );
    }

    const figures = figuresFor(bytes, size, seal, open_, "");
    if (fallback) {
      const ageOf = (mine: Runs, theirs: Runs): Runs => ({ ...mine, age: theirs.age, ageDurable: theirs.ageDurable, ageCpu: theirs.ageCpu });
      figures.push(...figuresFor(bytes, size, ageOf(sealNode, seal), ageOf(openNode, open_), ".node-crypto"));
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function figuresFor(bytes: number, size: string, seal: Runs, open_: Runs, suffix: string): BenchFigure[] {
  const figures: BenchFigure[] = [];
  // Against plain age, then against age followed by an fsync of its output (our durability).
  const baselines = [
    { suffix: "", of: (r: Runs) => r.age, says: "on the same file" },
    { suffix: "-durable", of: (r: Runs) => r.ageDurable, says: "then an fsync of its output (the same durability as ours)" },
  ] as const;
  for (const against of baselines) {
    for (const [what, times] of [
      ["seal", seal],
      ["open", open_],
    ] as const) {
      const theirs = against.of(times);
      const value = mb(bytes, median(times.ours));
      const baseline = mb(bytes, median(theirs));
      const ratios = times.ours.map((t, i) => theirs[i]! / t);
      figures.push({
        name: `files.${what}${against.suffix}.${size}${suffix}`,
        value,
        unit: "MB/s",
        baseline,
        ratio: value / baseline,
        note:
          `baseline: age ${what === "seal" ? "-r" : "-d -i"} ${against.says}; higher is better; target ratio >= 1.0: ` +
          `${value / baseline >= 1 ? "MET" : "MISSED"}; per-round ratios ${ratios.map((r) => r.toFixed(2)).join(" ")}`,
      });
    }
  }
  for (const [what, times] of [
    ["seal", seal],
    ["open", open_],
  ] as const) {
    if (times.ageCpu.length !== times.oursCpu.length) continue;
    const perGiB = (cpu: readonly number[]): number => (median(cpu) * 1024 * MiB) / bytes;
    const value = perGiB(times.oursCpu);
    const baseline = perGiB(times.ageCpu);
    figures.push({
      name: `files.${what}-cpu.${size}${suffix}`,
      value,
      unit: "CPU s/GiB",
      baseline,
      ratio: value / baseline,
      note: `user + system, all threads; baseline: age; lower is better; no target (the steadier comparison on a shared machine)`,
    });
  }
  for (const [what, times] of [
    ["seal", seal],
    ["open", open_],
  ] as const) {
    const reports = times.rss;
    const peaks = reports.map((r) => r.maxRss);
    const value = toMiB(Math.max(...peaks));
    const baseline = toMiB(median(reports.map((r) => r.startupRss)));
    figures.push({
      name: `files.peak-rss.${what}.${size}${suffix}`,
      value,
      unit: "MiB",
      baseline,
      ratio: value / baseline,
      note:
        `highest of ${reports.length} child runs (worker thread included); baseline: the child's RSS after start-up; lower is better; ` +
        `target < ${TARGET_RSS_MIB} MiB: ${value < TARGET_RSS_MIB ? "MET" : "MISSED"}; growth ${(value - baseline).toFixed(1)} MiB`,
    });
  }
  return figures;
}
