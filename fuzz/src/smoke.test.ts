/**
 * CI smoke run of every fuzz target: 1,000 inputs each (the seeds, then mutants), in this
 * process, from a fixed seed. Fails on any finding, printing its input as hex and its stack;
 * `npm run fuzz` is the long run (docs/benchmarks.md, "Fuzzing").
 */
import { describe, expect, it } from "vitest";
import { fuzzTarget } from "./engine.js";
import { TARGETS } from "./targets/index.js";

const RUNS = 1000;

describe("fuzz smoke", () => {
  for (const target of TARGETS) {
    it(`${target.name}: ${RUNS} inputs, no untyped error, broken invariant or slow input`, async () => {
      const report = await fuzzTarget(target, { runs: RUNS, seed: 1 });
      const found = report.findings.map((f) => `${f.signature} (x${f.count})\ninput: ${Buffer.from(f.input).toString("hex")}\n${f.detail}`);
      expect(found).toEqual([]);
      expect(report.runs).toBe(RUNS);
      // The seeds come from the project's own encoders: some input must be accepted, or the
      // target is only exercising its first check.
      expect(report.ok).toBeGreaterThan(0);
    });
  }
});
