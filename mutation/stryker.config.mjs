/**
 * Stryker for `npm run mutate -- <group>` (mutation/run.mjs picks the group through
 * AIRLOCK_MUTATE_GROUP; the groups are in mutation/groups.mjs). Not part of `npm test` or CI:
 * a group takes minutes to an hour. Docs: docs/testing.md, "Mutation testing".
 */
import { groups } from "./groups.mjs";

const name = process.env["AIRLOCK_MUTATE_GROUP"] ?? "";
const group = groups[name];
if (group === undefined) throw new Error(`AIRLOCK_MUTATE_GROUP must be one of: ${Object.keys(groups).join(", ")} (got "${name}")`);
// Read by mutation/vitest.config.mjs in Stryker's workers, which inherit this environment.
// Set beforehand, it replaces the group's tests (e.g. to measure a score before new tests).
process.env["AIRLOCK_MUTATE_TESTS"] ??= group.tests.join(",");

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "mutation/vitest.config.mjs", related: false },
  mutate: group.mutate,
  // The group's tests are chosen by vitest's `include` (mutation/vitest.config.mjs reads
  // AIRLOCK_MUTATE_TESTS), not by Stryker's `testFiles`: in 9.6.1 a test filter makes Stryker
  // activate static mutants (module-level constants) after the module has loaded, so they
  // survive whatever the tests say (stryker-js issue #6144).
  coverageAnalysis: "perTest",
  // Two cores; run.mjs passes --concurrency 1 when the machine is shared.
  concurrency: 2,
  timeoutMS: 20_000,
  // Re-runs test only mutants whose code or covering tests changed. The file is a cache (it holds
  // the mutated sources) and stays out of git; the scores that matter are in docs/testing.md.
  incremental: true,
  incrementalFile: `mutation/.incremental/${name}.json`,
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: `mutation/reports/${name}.json` },
  htmlReporter: { fileName: `mutation/reports/${name}.html` },
  clearTextReporter: { allowColor: true, allowEmojis: false, logTests: false, reportMutants: false, reportScoreTable: true },
  // What the sandbox copy of the repository leaves out: release artefacts, results, caches.
  ignorePatterns: ["/dist-release", "/release-key", "/docs", "/fuzz/findings", "/test", "/.tmp", "/coverage", "/bench-results.json", "/fuzz-results.json", "/soak-results.json", "/mutation/reports", "/mutation/.incremental", "/.stryker-tmp*"],
  // One sandbox folder per group, so two groups can run at once without one cleaning up the
  // other's sandboxes (and neither copies the other's into its own).
  tempDirName: `.stryker-tmp-${name}`,
  cleanTempDir: true,
  thresholds: { high: 90, low: 85, break: null },
};
