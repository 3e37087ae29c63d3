/**
 * CI smoke run of every fuzz target: 1,000 inputs each (300-500 for the targets that seal a
 * bundle or open a connection per input), the seeds first, then mutants, in this process,
 * from a fixed seed. Fails on any finding, printing its input as hex and its stack;
 * `npm run fuzz` is the long run (docs/benchmarks.md, "Fuzzing").
 */
import { describe, expect, it } from "vitest";
import { fuzzTarget } from "./engine.js";
import { TARGETS } from "./targets/index.js";

const RUNS = 1000;
/** Targets that do public-key work or a TCP round trip per input: fewer, to keep the smoke cheap. */
const FEWER: Readonly<Record<string, number>> = { "bundle-open": 300, grant: 300, enrollment: 300, "http-mailbox": 500 };

describe("fuzz smoke", () => {
  for (const target of TARGETS) {
    const runs = FEWER[target.name] ?? RUNS;
    it(`${target.name}: ${runs} inputs, no untyped error, broken invariant or slow input`, async () => {
      const report = await fuzzTarget(target, { runs, seed: 1 });
      const found = report.findings.map((f) => `${f.signature} (x${f.count})\ninput: ${Buffer.from(f.input).toString("hex")}\n${f.detail}`);
      expect(found).toEqual([]);
      expect(report.runs).toBe(runs);
      // The seeds come from the project's own encoders: some input must be accepted, or the
      // target is only exercising its first check.
      expect(report.ok).toBeGreaterThan(0);
    });
  }
});
