/**
 * One command under the soak: how to put its folders back to the prepared state, how to run
 * it, what to check right after a kill (integrity, nothing committed lost) and after the rerun
 * (the same, plus a digest of the state it converged to, compared with uninterrupted runs).
 */
import { createHash } from "node:crypto";
import type { Command, Finished } from "./kill.js";

export type ScenarioName = "import" | "export" | "sync";
export const SCENARIOS: readonly ScenarioName[] = ["import", "export", "sync"];

export interface Findings {
  /** The store or a folder is damaged: integrity_check, half a bundle, a torn file under a final name. */
  readonly integrity: string[];
  /** Something committed before (or at) the kill is gone or went backwards. */
  readonly losses: string[];
}

export interface AfterKill extends Findings {
  /** How far the killed run got, for the log (e.g. "2000/3000 changesets"). */
  readonly progress: string;
  /** The kill left work behind that was begun and not finished. */
  readonly partial: boolean;
  /** Where in the command's work the kill landed, coarsely (counted per stage in the results). */
  readonly stage: string;
}

export interface AfterRerun extends Findings {
  /** Digest of the state reached; every run from the prepared state must reach the same one. */
  readonly state: string;
  /** Other ways the run ended somewhere an uninterrupted run does not. */
  readonly diverged?: readonly string[];
}

export interface Scenario {
  readonly name: ScenarioName;
  /** As a person would type it, for the summary. */
  readonly label: string;
  readonly command: Command;
  /** Puts the work folders back to the prepared state (and forgets the last kill). */
  reset(): void;
  /** Reads the prepared state once, after a reset; the checks compare against it. */
  baseline(): Promise<void>;
  afterKill(): Promise<AfterKill>;
  /** After a run that exited 0 (a rerun after a kill, or an uninterrupted run). */
  afterRun(run: Finished): Promise<AfterRerun>;
  /** Figures of the scenario's own, for soak-results.json. */
  figures?(): Record<string, number>;
}

export function findings(): Findings {
  return { integrity: [], losses: [] };
}

export const digestOf = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex");

/** `before` items missing from `after`, described (at most a few named). */
export function missing(what: string, before: Iterable<string>, after: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  const gone = [...before].filter((x) => !after.has(x));
  if (gone.length === 0) return [];
  return [`${gone.length} ${what} gone (${gone.slice(0, 3).map((x) => x.slice(0, 16)).join(", ")}${gone.length > 3 ? ", …" : ""})`];
}
