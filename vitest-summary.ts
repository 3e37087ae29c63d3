/**
 * Prints the plain closing line "N passed, N failed[, N skipped]" after vitest's own summary,
 * so CI and scripts can read the outcome without parsing vitest's styled output.
 *
 * Strict mode (AIRLOCK_REQUIRE_TOOLS=1, which .ci/run sets; docs/testing.md): a test that did not
 * run fails the run, listed by name — a skip for a missing tool (Ceph, Tor, Syncthing, a display
 * server) would otherwise make a promise's test vanish silently. A name filter (-t) is a person
 * choosing a subset, so what it leaves out is not counted.
 */
import type { Reporter, TestModule, Vitest } from "vitest/node";

const STRICT_ENV = "AIRLOCK_REQUIRE_TOOLS";

export default class SummaryLine implements Reporter {
  #filtered = false;

  onInit(vitest: Vitest): void {
    this.#filtered = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    const skipped: string[] = [];
    for (const module of testModules) {
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped.push(`${module.relativeModuleId} > ${test.fullName}`);
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped.length > 0 ? `, ${skipped.length} skipped` : ""}\n`);
    if (process.env[STRICT_ENV] === "1" && !this.#filtered && skipped.length > 0) {
      process.stdout.write(`\n${STRICT_ENV}=1: every test must run, and ${skipped.length} did not:\n${skipped.map((s) => `  - ${s}\n`).join("")}`);
      process.exitCode = 1;
    }
  }
}
