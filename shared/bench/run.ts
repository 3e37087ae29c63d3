/**
 * `npm run bench`, second half: QR scanning figures (shared/). Prints one line per figure and
 * merges them into bench-results.json (the bundle-format runner writes the first half).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { benchEndToEnd } from "./end-to-end.js";
import { benchQrScan, type BenchFigure } from "./qr-scan.js";

const RESULTS = fileURLToPath(new URL("../../../bench-results.json", import.meta.url));

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function print(f: BenchFigure): void {
  console.log(`   ${f.name.padEnd(30)} ${`${fmt(f.value)} ${f.unit}`.padStart(16)}   vs ${`${fmt(f.baseline)} ${f.unit}`.padStart(16)}   ratio ${f.ratio.toFixed(3)}`);
  console.log(`   ${"".padEnd(30)} ${f.note}`);
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  console.log(`\nAirlock QR scanning benchmarks${quick ? " (--quick)" : ""}`);
  console.log("\n== jsqr decode rate on 720p camera-like frames (baseline: the clean PNG of the same code; higher is better)");
  const scan = await benchQrScan({ quick });
  scan.forEach(print);
  console.log("\n== end to end at a 10 fps display, camera-like capture (baseline: an ideal receiver; higher is better)");
  const e2e = await benchEndToEnd({ quick });
  e2e.forEach(print);
  const existing = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf8")) as Record<string, unknown>) : {};
  const round = (x: number): number => Number(x.toFixed(4));
  for (const f of [...scan, ...e2e]) existing[f.name] = { value: round(f.value), unit: f.unit, baseline: round(f.baseline), ratio: round(f.ratio) };
  writeFileSync(RESULTS, `${JSON.stringify(existing, null, 2)}\n`);
  console.log(`\nMerged ${scan.length + e2e.length} figures into ${RESULTS}.`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
