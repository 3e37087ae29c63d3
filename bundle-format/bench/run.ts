/**
 * `npm run bench`: the bundle-format benchmarks. Every figure is compared with a baseline
 * measured in this same run on this same machine, printed, and written to bench-results.json
 * at the repository root. `--quick` runs smaller sizes and fewer samples as a smoke test.
 * What each figure means: docs/benchmarks.md.
 */
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Report } from "./report.js";
import { benchRss } from "./rss.js";
import { GiB, KiB, MiB } from "./sizes.js";
import { benchThroughput, type ThroughputConfig } from "./throughput.js";
import { benchSlots, type SlotsConfig } from "./slots.js";
import { benchFountain, type FountainConfig } from "./fountain.js";

const RESULTS = fileURLToPath(new URL("../../../bench-results.json", import.meta.url));

interface Config {
  readonly throughput: ThroughputConfig;
  readonly slots: SlotsConfig;
  readonly rssBody: number;
  readonly fountain: FountainConfig;
}

const FULL: Config = {
  throughput: {
    sizes: [64 * KiB, MiB, 64 * MiB],
    warmupRounds: 2,
    rounds: (size) => (size >= 64 * MiB ? 15 : 41),
    minSampleSeconds: 0.03,
    settleSeconds: 0.01,
  },
  slots: { warmupRounds: 2, rounds: 41, minSampleSeconds: 0.03, settleSeconds: 0.01 },
  rssBody: GiB,
  fountain: { sizes: [2000, 20_000, 200_000], trials: 200, losses: [0, 0.1, 0.3], presets: ["low", "normal", "high"], trialPreset: "normal", urRealChecks: 30 },
};

const QUICK: Config = {
  throughput: { sizes: [64 * KiB, MiB, 8 * MiB], warmupRounds: 1, rounds: () => 5, minSampleSeconds: 0.01, settleSeconds: 0.003 },
  slots: { warmupRounds: 1, rounds: 5, minSampleSeconds: 0.01, settleSeconds: 0.003 },
  rssBody: 64 * MiB,
  fountain: { sizes: [2000, 20_000], trials: 20, losses: [0, 0.3], presets: ["low", "normal", "high"], trialPreset: "normal", urRealChecks: 5 },
};

/** 1-minute load average: other work on this machine skews every figure, so the run shows it. */
const load = (): string => loadavg()[0]!.toFixed(2);

function header(quick: boolean): void {
  const cpu = cpus();
  console.log(`Airlock bundle-format benchmarks${quick ? " (--quick: smaller sizes, fewer samples; a smoke run, not figures to quote)" : ""}`);
  console.log(
    `${new Date().toISOString()}  node ${process.version}  OpenSSL ${process.versions.openssl}  ${cpu[0]?.model ?? "unknown CPU"} x${cpu.length}` +
      `  load average ${load()}`,
  );
  console.log(`
Each line: name, value, the baseline it is compared with (measured in this run), and
ratio = value / baseline, with the direction that is good:
  seal/open (MB/s of body, 1 MB = 10^6 bytes): baseline = raw node:crypto ChaCha20-Poly1305 over the
    same bytes, one cipher per 64 KiB piece. Higher is better; 1.0 = as fast as bare AEAD. Target >= 0.8
    from 1 MiB. seal/open = sealBundle/openBundle (in memory); seal-stream/open-stream = sealBundleStream/
    openBundleStream fed 64 KiB pieces; floor-seal/floor-open = SHA-256 + raw AEAD, the best this design
    can do on one core.
  open-last-of-64-slots (ms): baseline = the same open with our slot first. Lower is better; 1.0 = free.
  peak-rss (MiB): baseline = the child process's RSS at startup. Lower is better. Target: peak < 128 MiB.
  qr.bytes-per-frame (B): baseline = UR (@ngraveio/bc-ur) in the same QR symbol. Higher is better. Target ratio >= 1.3.
  qr.frames-p99/median (frames to decode from a random start with loss): baseline = UR moving the same payload in
    the same symbol. Lower is better. Target: our p99 <= K + 2.`);
  if (globalThis.gc === undefined) console.log("\n(note: run with --expose-gc so sections start from a collected heap)");
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const config = quick ? QUICK : FULL;
  const start = process.hrtime.bigint();
  header(quick);
  const report = new Report();
  await benchThroughput(report, config.throughput);
  await benchSlots(report, config.slots);
  await benchRss(report, config.rssBody);
  benchFountain(report, config.fountain);
  report.write(RESULTS);
  const total = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`\nWrote ${RESULTS} (${Object.keys(report.json()).length} figures) in ${total.toFixed(0)} s; load average now ${load()}.`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
