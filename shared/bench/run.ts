/**
 * `npm run bench`, second half: QR scanning and file-to-file figures (shared/). Prints one line per figure and
 * merges them into bench-results.json (the bundle-format runner writes the first half).
 */
import { fileURLToPath } from "node:url";
import { benchEndToEnd } from "./end-to-end.js";
import { benchFiles } from "./files.js";
import { benchQrScan } from "./qr-scan.js";
import { prepareQrDecoder } from "../src/qr/decoders/load.js";
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
    console.log("\n== QR decoders on 720p camera-like frames, per degradation and preset (baseline: jsqr on the same frames; for jsqr, its rate on the clean PNGs; higher is better)");
    const log = (line: string): void => console.log(`   ${line}`);
    const scan = await benchQrScan({ quick, log });
    scan.forEach(printFigure);
    console.log("\n== end to end at 10 and 20 fps displays, camera-like capture, default decoder (baseline: an ideal receiver; higher is better)");
    const { decoder } = await prepareQrDecoder();
    const e2e = await benchEndToEnd({ quick, decoder, log });
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
