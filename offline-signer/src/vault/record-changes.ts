/**
 * Which records an import (or a dry run of one) created, changed or deleted, with their titles and
 * who changed them: what `airlock import` prints and the TUI shows after an import, instead of
 * bare counts. The record store tells its observer what each flush changed (store/records.ts);
 * this module merges those changes over a whole import and puts names on them.
 */
import { createHash } from "node:crypto";
import { quoted } from "@airlock/shared";
import { encodeValue, type Value } from "../records/values.js";
import type { RecordChange } from "../store/records.js";
import type { RecordView } from "../apps/app.js";
import type { Vault } from "./vault.js";

export type ChangeKind = "created" | "changed" | "deleted";

export interface ChangedRecord {
  readonly id: string;
  /** The app's title of the record (its newest visible version); undefined when it has none. */
  readonly title: string | undefined;
  readonly kind: ChangeKind;
  /** Names of the members whose changes these were (a device's owner), sorted; empty when a withdrawal did it. */
  readonly by: readonly string[];
}

export interface CollectionChanges {
  readonly collection: string;
  /** The collection's display name and the app's noun ("note"). */
  readonly name: string;
  readonly noun: string;
  readonly created: number;
  readonly changed: number;
  readonly deleted: number;
  /** Every record, created first, then changed, then deleted; by title. */
  readonly records: readonly ChangedRecord[];
}

/** What the collector keeps of one record: digests of what a reader saw, not the views (an import may touch 100,000 records). */
interface Tracked {
  readonly collection: string;
  readonly record: string;
  /** SHA-256 of the view before the import (undefined: not visible), and now. */
  readonly before: string | undefined;
  after: string | undefined;
  title: string | undefined;
  readonly by: Set<string>;
}

/** Collects what the record store reports until `stop()`; a record changed twice counts once. */
export class RecordChangeCollector {
  readonly #vault: Vault;
  readonly #merged = new Map<string, Tracked>();
  readonly #previous: ((changes: readonly RecordChange[]) => void) | undefined;
  #stopped = false;

  constructor(vault: Vault) {
    this.#vault = vault;
    this.#previous = vault.recordStore.observe((changes) => this.add(changes));
  }

  add(changes: readonly RecordChange[]): void {
    if (this.#stopped) return;
    for (const c of changes) {
      const key = `${c.collection}\u0000${c.record}`;
      const seen = this.#merged.get(key);
      const title = titleOf(this.#vault, c.collection, c.after ?? c.before);
      // The first "before" and the last "after": what a reader saw before the import and sees after it.
      if (seen === undefined) this.#merged.set(key, { collection: c.collection, record: c.record, before: digest(c.before), after: digest(c.after), title, by: new Set(c.by) });
      else {
        seen.after = digest(c.after);
        seen.title = title ?? seen.title;
        for (const d of c.by) seen.by.add(d);
      }
    }
  }

  /** Stops listening and says what changed, per collection (collections in name order). */
  stop(): CollectionChanges[] {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#vault.recordStore.observe(this.#previous);
    }
    return summarize(this.#vault, [...this.#merged.values()]);
  }
}

function titleOf(vault: Vault, collection: string, view: RecordView | undefined): string | undefined {
  if (view === undefined) return undefined;
  try {
    return vault.appOf(collection)?.searchText(view).title.trim() || undefined;
  } catch {
    return undefined; // a record an app cannot title still gets named, by its id
  }
}

const digest = (v: RecordView | undefined): string | undefined => (v === undefined ? undefined : createHash("sha256").update(viewKey(v)).digest("base64"));

function summarize(vault: Vault, merged: readonly Tracked[]): CollectionChanges[] {
  const state = vault.teamId === undefined ? undefined : vault.state();
  const nameOf = (device: string): string => {
    const d = state?.devices.get(device);
    return (d === undefined ? undefined : state?.users.get(d.user)?.name) ?? `device ${device.slice(0, 8)}`;
  };
  const groups = new Map<string, ChangedRecord[]>();
  for (const m of merged) {
    let kind: ChangeKind;
    if (m.before === undefined && m.after !== undefined) kind = "created";
    else if (m.before !== undefined && m.after === undefined) kind = "deleted";
    else if (m.before !== undefined && m.after !== undefined && m.before !== m.after) kind = "changed";
    else continue; // created and deleted again within the import, or written with what it already said
    const list = groups.get(m.collection) ?? [];
    list.push({ id: m.record, title: m.title, kind, by: [...new Set([...m.by].map(nameOf))].sort() });
    groups.set(m.collection, list);
  }
  const order: Record<ChangeKind, number> = { created: 0, changed: 1, deleted: 2 };
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([collection, records]) => {
      records.sort((x, y) => order[x.kind] - order[y.kind] || (x.title ?? x.id).localeCompare(y.title ?? y.id) || (x.id < y.id ? -1 : 1));
      const count = (k: ChangeKind): number => records.filter((r) => r.kind === k).length;
      return {
        collection,
        name: state?.collections.get(collection)?.name ?? collection,
        noun: vault.appOf(collection)?.noun ?? "record",
        created: count("created"),
        changed: count("changed"),
        deleted: count("deleted"),
        records,
      };
    });
}

function viewKey(v: RecordView): string {
  const enc = (x: Value): string => Buffer.from(encodeValue(x)).toString("hex");
  const part = (o: Readonly<Record<string, Value | readonly Value[]>>): string =>
    Object.keys(o)
      .sort()
      .map((k) => {
        const x = o[k]!;
        return `${k}=${Array.isArray(x) ? (x as readonly Value[]).map(enc).join(",") : enc(x as Value)}`;
      })
      .join(";");
  return `${part(v.fields)}|${part(v.lists)}|${part(v.sets)}`;
}

/** Lines shown per import summary before "and N more". */
export const SUMMARY_LINES = 20;

/** How a changed record is named: its title (quoted and escaped), else its id. */
export function recordLabel(r: { readonly id: string; readonly title: string | undefined }): string {
  return r.title === undefined ? `(untitled ${r.id.slice(0, 12)})` : quoted(r.title.length > 80 ? `${[...r.title].slice(0, 79).join("")}…` : r.title);
}

/**
 * The summary as lines for a person: a heading per collection with its counts, then one line per
 * record (`+` created, `~` changed, `-` deleted, with who), at most `max` record lines in all,
 * then "… and N more". Titles are quoted and escaped: one line each, whatever they hold.
 */
export function recordChangeLines(changes: readonly CollectionChanges[], max = SUMMARY_LINES): string[] {
  const lines: string[] = [];
  let shown = 0;
  let hidden = 0;
  const mark: Record<ChangeKind, string> = { created: "+", changed: "~", deleted: "-" };
  for (const c of changes) {
    const counts = [c.created > 0 ? `${c.created} new` : "", c.changed > 0 ? `${c.changed} changed` : "", c.deleted > 0 ? `${c.deleted} deleted` : ""].filter((s) => s !== "").join(", ");
    lines.push(`${quoted(c.name)} (${c.collection}): ${counts}`);
    for (const r of c.records) {
      if (shown >= max) {
        hidden++;
        continue;
      }
      shown++;
      lines.push(`  ${mark[r.kind]} ${recordLabel(r)}${r.by.length > 0 ? ` by ${r.by.map((n) => quoted(n)).join(", ")}` : ""}`);
    }
  }
  if (hidden > 0) lines.push(`  … and ${hidden} more`);
  return lines;
}
