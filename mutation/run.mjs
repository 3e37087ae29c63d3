#!/usr/bin/env node
/**
 * `npm run mutate -- <group> [<group>…] [stryker options]`: mutation testing of one group of
 * promise-carrying modules at a time (mutation/groups.mjs), then the score per module and every
 * surviving mutant. `npm run mutate -- list` names the groups. Options after the groups go to
 * Stryker as they are, e.g. `--concurrency 1` on a shared machine, `--force` to ignore the
 * incremental cache. Docs: docs/testing.md, "Mutation testing".
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { groups } from "./groups.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith("-"));
const names = firstOption < 0 ? args : args.slice(0, firstOption);
const passOn = firstOption < 0 ? [] : args.slice(firstOption);

if (names.length === 0 || names.includes("list")) {
  console.log("usage: npm run mutate -- <group> [<group>…] [stryker options]\n\ngroups:");
  for (const [name, g] of Object.entries(groups)) console.log(`  ${name.padEnd(11)} ${g.mutate.join(" ")}`);
  process.exit(names.length === 0 ? 2 : 0);
}
const unknown = names.filter((n) => groups[n] === undefined);
if (unknown.length > 0) {
  console.error(`unknown group ${unknown.join(", ")}; the groups are: ${Object.keys(groups).join(", ")}`);
  process.exit(2);
}

/** Killed, timed out, survived, no coverage and the score (killed + timeout over the valid mutants). */
function tally(mutants) {
  const n = (s) => mutants.filter((m) => m.status === s).length;
  const killed = n("Killed") + n("Timeout");
  const survived = n("Survived");
  const noCoverage = n("NoCoverage");
  const valid = killed + survived + noCoverage;
  return { killed, survived, noCoverage, valid, score: valid === 0 ? 100 : (100 * killed) / valid };
}

function summarise(name) {
  const file = join(root, "mutation", "reports", `${name}.json`);
  if (!existsSync(file)) return false;
  const report = JSON.parse(readFileSync(file, "utf8"));
  const rows = Object.entries(report.files).map(([path, f]) => ({ path, ...tally(f.mutants) }));
  const all = tally(Object.values(report.files).flatMap((f) => f.mutants));
  console.log(`\n== ${name}: score per module (killed incl. timeouts / valid mutants)`);
  for (const r of rows) {
    console.log(`${r.score.toFixed(1).padStart(6)}%  ${String(r.killed).padStart(4)}/${String(r.valid).padEnd(4)} survived ${String(r.survived).padStart(3)}  no coverage ${String(r.noCoverage).padStart(3)}  ${r.path}`);
  }
  console.log(`${all.score.toFixed(1).padStart(6)}%  ${String(all.killed).padStart(4)}/${String(all.valid).padEnd(4)} survived ${String(all.survived).padStart(3)}  no coverage ${String(all.noCoverage).padStart(3)}  (group ${name})`);
  const left = Object.entries(report.files).flatMap(([path, f]) =>
    f.mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage").map((m) => ({ path, ...m })),
  );
  if (left.length > 0) console.log(`\n== ${name}: surviving mutants (${left.length})`);
  for (const m of left.sort((a, b) => a.path.localeCompare(b.path) || a.location.start.line - b.location.start.line)) {
    const replacement = (m.replacement ?? "").replace(/\s+/g, " ").slice(0, 100);
    console.log(`${m.path}:${m.location.start.line}:${m.location.start.column}  ${m.mutatorName}${m.status === "NoCoverage" ? " (no coverage)" : ""}  -> ${replacement}`);
  }
  return true;
}

let failed = false;
for (const name of names) {
  const stryker = join(root, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
  const run = spawnSync(process.execPath, [stryker, "run", "mutation/stryker.config.mjs", ...passOn], {
    cwd: root,
    stdio: "inherit",
    // A fixed property seed: a mutant killed by one seed and not another would make scores drift.
    env: { ...process.env, AIRLOCK_MUTATE_GROUP: name, AIRLOCK_PROPERTY_SEED: process.env["AIRLOCK_PROPERTY_SEED"] ?? "20260601" },
  });
  if (run.status !== 0) failed = true;
  if (!summarise(name)) failed = true;
}
process.exit(failed ? 1 : 0);
