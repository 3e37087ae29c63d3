/**
 * fast-check settings for every property test (docs/testing.md, "Properties"), loaded before each
 * test file by vitest.config.ts (setupFiles) and imported by the property tests for runs().
 *
 * Seed: AIRLOCK_PROPERTY_SEED (an integer, or "random"); without it a fixed seed in strict and CI
 * runs (AIRLOCK_REQUIRE_TOOLS=1 or CI set), so a red CI run is the same run on a laptop, and a
 * random one elsewhere. fast-check prints the seed and path with every counterexample.
 * Runs: every property's numRuns goes through runs(n): n times AIRLOCK_PROPERTY_RUNS_FACTOR
 * (default 1; `npm run soak:props` uses 10 with random seeds).
 */
import fc from "fast-check";

/** The seed of strict and CI runs. */
export const CI_SEED = 20_260_601;

const strict = process.env["AIRLOCK_REQUIRE_TOOLS"] === "1" || (process.env["CI"] ?? "") !== "";

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

function chooseSeed(): number {
  const raw = process.env["AIRLOCK_PROPERTY_SEED"];
  if (raw === undefined || raw === "") return strict ? CI_SEED : randomSeed();
  if (raw === "random") return randomSeed();
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new RangeError(`AIRLOCK_PROPERTY_SEED must be an integer or "random", got ${JSON.stringify(raw)}`);
  return n | 0;
}

const randomSeed = (): number => (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;

export const RUNS_FACTOR = positive("AIRLOCK_PROPERTY_RUNS_FACTOR", 1);

/** A property's number of runs, scaled for soak runs. */
export function runs(n: number): number {
  return Math.max(1, Math.round(n * RUNS_FACTOR));
}

/** The seed every property of this test file runs with (set once, by the setup file's first load). */
export function propertySeed(): number {
  const seed = fc.readConfigureGlobal().seed;
  if (seed === undefined) throw new Error("vitest-properties.ts was not loaded as a setup file");
  return seed;
}

if (fc.readConfigureGlobal().seed === undefined) fc.configureGlobal({ seed: chooseSeed(), numRuns: runs(100) });
