/**
 * The courier's bench runner: mailbox backend throughput (backends.ts: what is measured and why
 * the baseline is fair), spool ingest rate (spool-ingest.ts) and the blind HTTP mailbox server
 * under concurrent load (http-server.ts). Prints one line per figure and merges the figures into
 * bench-results.json at the repository root, as the other packages' runners do.
 *
 *   node online-courier/dist/bench/run.js [--quick] [--backend LABEL]... [--suite NAME]...
 *
 * Suites: mailbox, spool-ingest, http-server (default: all). To benchmark a new backend, add
 * one entry to BACKENDS: a label and a factory returning a fresh, empty backend and how to
 * dispose of it (e.g. a bucket prefix, a server on 127.0.0.1).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DirMailbox } from "../src/mailbox/dir.js";
import { MemoryMailbox } from "../src/mailbox/memory.js";
import { mergeBenchResults, printFigure } from "@airlock/shared";
import { startHttpMailboxForBench } from "../test-support/http-mailbox.js";
import { cephUnavailableReason, startS3MailboxForBench } from "../test-support/s3-mailbox.js";
import { benchBackend, type BackendUnderTest, type Figure } from "./backends.js";
import { benchHttpServer } from "./http-server.js";
import { benchSpoolIngest } from "./spool-ingest.js";

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
  // A real server on 127.0.0.1 (fsynced dir: storage behind it), through the real client.
  { label: "http", make: startHttpMailboxForBench },
  // A fresh local Ceph radosgw per run (test-support/ceph.ts); left out, with a note, where Ceph is not installed.
  ...(cephUnavailableReason() === undefined ? [{ label: "s3", make: startS3MailboxForBench }] : []),
];

const SUITES = ["mailbox", "spool-ingest", "http-server"] as const;
type Suite = (typeof SUITES)[number];

const RESULTS = fileURLToPath(new URL("../../../bench-results.json", import.meta.url));


function selected(argv: readonly string[]): BackendEntry[] {
  const wanted = argv.flatMap((arg, i) => (arg === "--backend" ? [argv[i + 1] ?? ""] : arg.startsWith("--backend=") ? [arg.slice(10)] : []));
  if (wanted.length === 0) return BACKENDS;
  const unknown = wanted.filter((w) => !BACKENDS.some((b) => b.label === w));
  if (unknown.length > 0) throw new Error(`unknown backend ${unknown.join(", ")}; known: ${BACKENDS.map((b) => b.label).join(", ")}`);
  return BACKENDS.filter((b) => wanted.includes(b.label));
}

function suites(argv: readonly string[]): Suite[] {
  const wanted = argv.flatMap((arg, i) => (arg === "--suite" ? [argv[i + 1] ?? ""] : arg.startsWith("--suite=") ? [arg.slice(8)] : []));
  if (wanted.length === 0) return [...SUITES];
  const unknown = wanted.filter((w) => !(SUITES as readonly string[]).includes(w));
  if (unknown.length > 0) throw new Error(`unknown suite ${unknown.join(", ")}; known: ${SUITES.join(", ")}`);
  return SUITES.filter((s) => wanted.includes(s));
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const argv = process.argv.slice(2);
  const backends = selected(argv);
  const run = suites(argv);
  console.log(`\nAirlock courier benchmarks${quick ? " (--quick)" : ""}`);
  const figures: Figure[] = [];
  const report = (got: readonly Figure[]): void => {
    got.forEach(printFigure);
    figures.push(...got);
  };
  if (run.includes("mailbox")) {
    const noCeph = cephUnavailableReason();
    if (noCeph !== undefined) console.log(`\n(s3 backend not measured: ${noCeph})`);
    console.log(
      `\n== mailbox backends: put + list + get throughput (baseline: raw files with write+fsync, readdir, readFile in ${tmpdir()}; higher is better)`,
    );
    for (const entry of backends) report(await benchBackend(entry.label, entry.make, { quick }));
  }
  // backends.ts marks its quick figures itself; the others are marked here, so a smoke run's
  // figures never overwrite a full run's under the same name in bench-results.json.
  const mark = (got: readonly Figure[]): Figure[] => got.map((f) => (quick ? { ...f, name: `${f.name}.quick` } : f));
  if (run.includes("spool-ingest")) {
    console.log("\n== spool ingest from the offline side (baseline: raw better-sqlite3 inserts, same batches and pragmas; higher is better)");
    report(mark(await benchSpoolIngest({ quick })));
  }
  if (run.includes("http-server")) {
    console.log("\n== blind HTTP mailbox server, 50 concurrent clients on loopback (baseline: bare node:http; higher rate is better, lower RSS is better)");
    report(mark(await benchHttpServer({ quick })));
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
