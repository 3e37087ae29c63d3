/**
 * Result lines and bench-results.json. Every figure is a value, the baseline it is compared
 * with (measured in the same run), and ratio = value / baseline; `better` says which way a
 * ratio is good, since for throughput higher is better and for time or memory lower is.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export interface Result {
  /** Key in bench-results.json, e.g. "seal.1MiB". */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number;
  /** What the baseline is, for the printed line. */
  readonly baselineIs: string;
  readonly better: "higher" | "lower";
  /** A target from the issue, checked and printed as met or missed. */
  readonly target?: { readonly on: "ratio" | "value"; readonly op: ">=" | "<"; readonly limit: number };
  /** Extra context for the printed line. */
  readonly note?: string;
}

export interface JsonEntry {
  readonly value: number;
  readonly unit: string;
  readonly baseline: number;
  readonly ratio: number;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

function fmt(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(x >= 1 ? 2 : 3);
}

export class Report {
  readonly #results: Result[] = [];

  section(title: string): void {
    console.log(`\n== ${title}`);
  }

  info(line: string): void {
    console.log(`   ${line}`);
  }

  add(result: Result): void {
    this.#results.push(result);
    const ratio = result.value / result.baseline;
    let target = "";
    if (result.target !== undefined) {
      const { on, op, limit } = result.target;
      const x = on === "ratio" ? ratio : result.value;
      const met = op === ">=" ? x >= limit : x < limit;
      target = `  target ${on} ${op} ${limit}${on === "value" ? ` ${result.unit}` : ""}: ${met ? "MET" : "MISSED"}`;
    }
    const value = `${fmt(result.value)} ${result.unit}`;
    const baseline = `${fmt(result.baseline)} ${result.unit}`;
    console.log(
      `   ${result.name.padEnd(26)} ${value.padStart(12)}   vs ${baseline.padStart(12)} ${`(${result.baselineIs})`.padEnd(30)}` +
        ` ratio ${ratio.toFixed(3)} (${result.better} is better)${target}`,
    );
    if (result.note !== undefined) console.log(`   ${"".padEnd(26)} ${result.note}`);
  }

  /** The results as bench-results.json holds them: { name: { value, unit, baseline, ratio } }. */
  json(): Record<string, JsonEntry> {
    const out: Record<string, JsonEntry> = {};
    for (const r of this.#results) {
      out[r.name] = { value: round(r.value, 3), unit: r.unit, baseline: round(r.baseline, 3), ratio: round(r.value / r.baseline, 4) };
    }
    return out;
  }

  /** Merges into `path`: `npm run bench` clears it, then each package's runner adds its figures. */
  write(path: string): void {
    const existing = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, JsonEntry>) : {};
    writeFileSync(path, `${JSON.stringify({ ...existing, ...this.json() }, null, 2)}\n`);
  }
}
