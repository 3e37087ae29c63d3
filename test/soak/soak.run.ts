/**
 * `npm run soak`: the crash soak as one long vitest run (vitest gives the TypeScript helpers of
 * test/e2e and the packages' own openers without a build step). Not a *.test.ts file, so
 * `npm test` never picks it up; test/soak/run.mjs passes the command line in AIRLOCK_SOAK_ARGS.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { parseSoakArgs } from "./options.js";
import { runSoak } from "./soak.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

it("crash soak", async () => {
  const options = parseSoakArgs(JSON.parse(process.env["AIRLOCK_SOAK_ARGS"] ?? "[]") as string[], join(repo, "soak-results.json"));
  const root = mkdtempSync(join(tmpdir(), "airlock-soak-"));
  const result = await runSoak(root, { ...options, log: (line) => console.log(line) });
  if (result.ok && !options.keep) rmSync(root, { recursive: true, force: true });
  else console.log(`folders kept in ${root}`);
  expect(result.ok, "the soak found failures (see the lines marked FAIL)").toBe(true);
});
