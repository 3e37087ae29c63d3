/**
 * `npm run bench`, second half: QR scanning figures (shared/). Prints one line per figure and
 * merges them into bench-results.json (the bundle-format runner writes the first half).
 */
import { fileURLToPath } from "node:url";
import { benchEndToEnd } from "./end-to-end.js";
import { benchQrScan } from "./qr-scan.js";
import { mergeBenchResults, printFigure } from "../src/bench-figures.js";

const RESULTS = fileURLToPath(new URL("../../../bench-results.json", import.meta.url));


async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  console.log(`\nAirlock QR scanning benchmarks${quick ? " (--quick)" : ""}`);
  console.log("\n== jsqr decode rate on 720p camera-like frames (baseline: the clean PNG of the same code; higher is better)");
  const scan = await benchQrScan({ quick });
  scan.forEach(printFigure);
  console.log("\n== end to end at a 10 fps display, camera-like capture (baseline: an ideal receiver; higher is better)");
  const e2e = await benchEndToEnd({ quick });
  e2e.forEach(printFigure);
  mergeBenchResults(RESULTS, [...scan, ...e2e]);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
