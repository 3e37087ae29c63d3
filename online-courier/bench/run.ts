/**
 * The courier's bench runner: mailbox backend throughput (see backends.ts for what is measured
 * and why the baseline is fair). Prints one line per figure and merges the figures into
 * bench-results.json at the repository root, as the other packages' runners do.
 *
 *   node online-courier/dist/bench/run.js [--quick] [--backend LABEL]...
 *
 * To benchmark a new backend, add one entry to BACKENDS: a label and a factory returning a
 * fresh, empty backend and how to dispose of it (e.g. a bucket prefix, a server on 127.0.0.1).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DirMailbox } from "../src/mailbox/dir.js";
import { MemoryMailbox } from "../src/mailbox/memory.js";
import { mergeBenchResults, printFigure } from "@airlock/shared";
import { benchBackend, type BackendUnderTest, type Figure } from "./backends.js";

export interface BackendEntry {
  /** Becomes part of the figure names: mailbox.<label>.<size>. */
  readonly label: string;
  readonly make: () => Promise<BackendUnderTest>;
}

/** A fresh DirMailbox in its own temp folder on the same file system as the baseline's files. */
async function tempDirMailbox(): Promise<BackendUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), "airlock-bench-dir-"));
  return { backend: new DirMailbox(dir), close: () => rm(dir, { recursive: true, force: true }) };
}

export const BACKENDS: BackendEntry[] = [
  { label: "memory", make: async () => ({ backend: new MemoryMailbox(), close: async () => undefined }) },
  { label: "dir", make: tempDirMailbox },
];

const RESULTS = fileURLToPath(new URL("../../../bench-results.json", import.meta.url));


function selected(argv: readonly string[]): BackendEntry[] {
  const wanted = argv.flatMap((arg, i) => (arg === "--backend" ? [argv[i + 1] ?? ""] : arg.startsWith("--backend=") ? [arg.slice(10)] : []));
  if (wanted.length === 0) return BACKENDS;
  const unknown = wanted.filter((w) => !BACKENDS.some((b) => b.label === w));
  if (unknown.length > 0) throw new Error(`unknown backend ${unknown.join(", ")}; known: ${BACKENDS.map((b) => b.label).join(", ")}`);
  return BACKENDS.filter((b) => wanted.includes(b.label));
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const backends = selected(process.argv.slice(2));
  console.log(`\nAirlock courier mailbox benchmarks${quick ? " (--quick)" : ""}`);
  console.log(
    `\n== put + list + get throughput (baseline: raw files with write+fsync, readdir, readFile in ${tmpdir()}; higher is better)`,
  );
  const figures: Figure[] = [];
  for (const entry of backends) {
    const got = await benchBackend(entry.label, entry.make, { quick });
    got.forEach(printFigure);
    figures.push(...got);
  }
  mergeBenchResults(RESULTS, figures);
}

// Importing this module for BACKENDS must not start a benchmark.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
