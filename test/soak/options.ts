/** `npm run soak -- [--seed N] [--kills N] [--only import,export,sync] [--changesets N] [--keep] [--results FILE]`. */
import { randomInt } from "node:crypto";
import { DEFAULT_FIXTURE } from "./fixtures.js";
import { SCENARIOS, type ScenarioName } from "./scenario.js";
import type { SoakOptions } from "./soak.js";

export interface CliOptions extends SoakOptions {
  /** Leave the temp folders in place even when nothing failed. */
  readonly keep: boolean;
}

export const USAGE = "usage: npm run soak -- [--seed N] [--kills N (default 100)] [--only import,export,sync] [--changesets N (default 3000)] [--keep] [--results FILE]";

function integer(flag: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${flag} wants an integer in ${min}..${max}, got ${JSON.stringify(raw ?? "")}\n${USAGE}`);
  return n;
}

export function parseSoakArgs(argv: readonly string[], defaultResults: string): CliOptions {
  let seed = randomInt(2 ** 31);
  let kills = 100;
  let commands: readonly ScenarioName[] = SCENARIOS;
  let changesets = DEFAULT_FIXTURE.changesets;
  let keep = false;
  let resultsFile = defaultResults;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string | undefined => argv[++i];
    if (flag === "--seed") seed = integer(flag, value(), 0, 2 ** 32 - 1);
    else if (flag === "--kills") kills = integer(flag, value(), 1, 100_000);
    else if (flag === "--changesets") changesets = integer(flag, value(), 3, 300_000);
    else if (flag === "--keep") keep = true;
    else if (flag === "--results") resultsFile = value() ?? "";
    else if (flag === "--only") {
      const names = (value() ?? "").split(",");
      const bad = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
      if (bad.length > 0) throw new Error(`--only takes ${SCENARIOS.join(", ")}; not ${bad.join(", ")}\n${USAGE}`);
      commands = names as ScenarioName[];
    } else throw new Error(`unknown option ${JSON.stringify(flag)}\n${USAGE}`);
  }
  if (changesets % 3 !== 0) throw new Error(`--changesets must be a multiple of 3 (three writers)\n${USAGE}`);
  if (resultsFile === "") throw new Error(`--results wants a file name\n${USAGE}`);
  return { seed, kills, commands, fixture: { ...DEFAULT_FIXTURE, changesets }, references: 3, resultsFile, keep };
}
