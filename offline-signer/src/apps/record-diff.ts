/**
 * From "this is what the record should say" to the fewest intents: only changed single values
 * are set, and sets get the additions and removals that differ. Writing only what changed is
 * what lets two laptops' edits of different fields (or different phone numbers) both survive.
 */
import type { Value } from "../records/values.js";
import type { Intent, RecordView } from "./app.js";

export interface Desired {
  /** Single values; undefined means "clear it" (set to null) when the record has it. */
  readonly fields: Readonly<Record<string, Value | undefined>>;
  readonly sets: Readonly<Record<string, readonly string[]>>;
}

const same = (a: Value | undefined, b: Value | undefined): boolean =>
  a instanceof Uint8Array && b instanceof Uint8Array ? Buffer.compare(a, b) === 0 : (a ?? null) === (b ?? null);

export function diffRecord(record: string, want: Desired, have: RecordView | undefined): Intent[] {
  const out: Intent[] = [];
  for (const [field, value] of Object.entries(want.fields)) {
    const current = have?.fields[field];
    if (same(current, value) || (value === undefined && current === undefined)) continue;
    if (value === undefined && current === null) continue;
    out.push({ kind: "set", record, field, value: value ?? null });
  }
  for (const [field, values] of Object.entries(want.sets)) {
    const current = new Set((have?.sets[field] ?? []).filter((v): v is string => typeof v === "string"));
    const wanted = new Set(values);
    for (const v of wanted) if (!current.has(v)) out.push({ kind: "add", record, field, value: v });
    for (const v of current) if (!wanted.has(v)) out.push({ kind: "remove", record, field, value: v });
  }
  return out;
}

export const textOf = (v: Value | undefined): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
export const textsOf = (v: readonly Value[] | undefined): string[] => (v ?? []).filter((x): x is string => typeof x === "string");
