/**
 * How every `npm run bench` runner prints a figure and merges it into bench-results.json
 * (name -> { value, unit, baseline, ratio }). The baseline is always measured in the same run.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export interface BenchFigure {
  /** Key in bench-results.json, e.g. "vault.import.ops". */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number;
  /** value / baseline (or baseline / value for times: the runner says which in its note). */
  readonly ratio: number;
  readonly note: string;
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function printFigure(f: BenchFigure): void {
  console.log(`   ${f.name.padEnd(32)} ${`${fmt(f.value)} ${f.unit}`.padStart(18)}   vs ${`${fmt(f.baseline)} ${f.unit}`.padStart(18)}   ratio ${f.ratio.toFixed(3)}`);
  if (f.note !== "") console.log(`   ${"".padEnd(32)} ${f.note}`);
}

/** Merges figures into the JSON file at `path` (created if missing), keeping other runners' entries. */
export function mergeBenchResults(path: string, figures: readonly BenchFigure[]): void {
  const existing = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
  const round = (x: number): number => Number(x.toFixed(4));
  for (const f of figures) existing[f.name] = { value: round(f.value), unit: f.unit, baseline: round(f.baseline), ratio: round(f.ratio) };
  writeFileSync(path, `${JSON.stringify(existing, null, 2)}\n`);
  console.log(`\nMerged ${figures.length} figures into ${path}.`);
}
