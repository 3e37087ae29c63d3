/**
 * `npm run bench`, vault part: import throughput against the unavoidable work, incremental
 * export against vault size, one edit's bundle size against the whole-log export, the TUI's
 * first frame and keys with a large collection, and unlock time. Prints each figure and merges it into
 * bench-results.json. `--quick` runs a tenth of the sizes (figures named *.quick).
 */
import { fileURLToPath } from "node:url";
import { mergeBenchResults, printFigure, type BenchFigure } from "@airlock/shared";
import { benchImport, benchIncrementalExport, benchUnlock } from "./import.js";
import { benchTeamLogBytes } from "./team-log.js";
import { benchListing, benchSearch } from "./apps.js";
import { benchDocs } from "./docs.js";
import { benchAgenda } from "./agenda.js";
import { benchTui } from "./tui.js";
import { benchSpaces } from "./spaces.js";
import { benchRecovery } from "./recovery.js";

const RESULTS = fileURLToPath(new URL("../../../bench-results.json", import.meta.url));

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  console.log(`\nAirlock vault benchmarks${quick ? " (--quick)" : ""}`);
  const figures: BenchFigure[] = [];
  const show = (got: BenchFigure[]): void => {
    got.forEach(printFigure);
    figures.push(...got);
  };
  console.log("\n== import: ops/s vs bare node:crypto Ed25519 verify + raw encrypted-SQLite inserts of the same rows (higher is better)");
  show(await benchImport({ quick }));
  console.log("\n== incremental export after 10 edits: large vault vs small vault (ratio ~1 is the target)");
  show(await benchIncrementalExport({ quick }));
  console.log("\n== one edit on the wire: team entries only as needed (sync 1.1) vs the whole team log (lower is better)");
  show(await benchTeamLogBytes());
  console.log("\n== search over records across apps vs a plain FTS5 query on the same index (ratio >= 0.5 is the target)");
  show(await benchSearch({ quick }));
  console.log("\n== listing a collection: long history vs none (ratio ~1 is the target)");
  show(await benchListing({ quick }));
  console.log("\n== documents: one paragraph edited in a 200 KB document (bundle bytes vs the document), draft apply in the vault vs Yjs alone");
  show(await benchDocs({ quick }));
  console.log("\n== calendar: a year's agenda of 1,000 recurring events vs the bare rrule expansion");
  show(await benchAgenda({ quick }));
  console.log("\n== terminal UI: first frame and one key in the list, 100,000 notes vs 100 (ratio <= 1.5 is the target)");
  show(await benchTui({ quick }));
  console.log("\n== spaces: the same data in 5 spaces vs 1 (import, export, open; ratio ~1 is the target)");
  show(await benchSpaces({ quick }));
  console.log("\n== recovery to usable: recover start -> release -> recover add -> re-sent import, vs a newcomer importing the same data (lower is better)");
  show(await benchRecovery({ quick }));
  console.log("\n== unlock (Argon2id) vs the bare KDF");
  show(await benchUnlock());
  mergeBenchResults(RESULTS, figures);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
