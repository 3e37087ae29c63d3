/**
 * `npm run bench`, second half: QR scanning and file-to-file figures (shared/). Prints one line per figure and
 * merges them into bench-results.json (the bundle-format runner writes the first half).
 */
import { fileURLToPath } from "node:url";
import { benchEndToEnd } from "./end-to-end.js";
import { benchFiles } from "./files.js";
import { benchQrScan } from "./qr-scan.js";
import { mergeBenchResults, printFigure, type BenchFigure } from "../src/bench-figures.js";

const RESULTS = fileURLToPath(new URL("../../../bench-results.json", import.meta.url));


async function main(): Promise<void> {
  const quick = process.argv.includes("--quick") || process.env.AIRLOCK_BENCH_QUICK !== undefined;
  // `--only files` (or qr): one group of figures, for a focused run.
  const only = process.argv[process.argv.indexOf("--only") + 1];
  const run = (group: string): boolean => !process.argv.includes("--only") || only === group;
  const figures: BenchFigure[] = [];
  if (run("qr")) {
    console.log(`\nAirlock QR scanning benchmarks${quick ? " (--quick)" : ""}`);
    console.log("\n== jsqr decode rate on 720p camera-like frames (baseline: the clean PNG of the same code; higher is better)");
    const scan = await benchQrScan({ quick });
    scan.forEach(printFigure);
    console.log("\n== end to end at a 10 fps display, camera-like capture (baseline: an ideal receiver; higher is better)");
    const e2e = await benchEndToEnd({ quick });
    e2e.forEach(printFigure);
    figures.push(...scan, ...e2e);
  }
  if (run("files")) {
    console.log(`\n== file to file${quick ? " (quick)" : ""}: sealFile/openFile against age on the same file (MB/s, higher is better; peak RSS, lower is better)`);
    const files = await benchFiles({ quick, log: (line) => console.log(`   ${line}`) });
    files.forEach(printFigure);
    figures.push(...files);
  }
  mergeBenchResults(RESULTS, figures);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
