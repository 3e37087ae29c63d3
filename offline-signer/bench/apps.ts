/**
 * App-layer benchmarks (issue #11):
 * - search over 100,000 records across notes, secrets and contacts: median and p99 latency of
 *   `vault.search` against a plain FTS5 MATCH on the same index in the same run (ratio =
 *   baseline / ours; target >= 0.5);
 * - listing a collection does not grow with its history: 1,000 records written once vs the same
 *   1,000 records edited 100 times each (100,000 changes), ratio ~1 is the target; plus the time
 *   to list 40,000 records.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { BenchFigure } from "@airlock/shared";
import { passphraseBytes } from "../src/store/index.js";
import { Vault } from "../src/vault/vault.js";
import type { Intent } from "../src/apps/app.js";
import { ftsQuery } from "../src/store/records.js";

const PASS = "bench passphrase";
const WORDS = "amber basil cedar delta ember fable garnet harbor indigo juniper kestrel lantern meadow nectar orchid pepper quartz raven saffron tundra umber violet willow xenon yarrow zephyr".split(" ");

/** A deterministic pseudo-random word stream, so every run searches the same text. */
function words(seed: number, n: number): string {
  let x = seed * 2654435761;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out.push(`${WORDS[x % WORDS.length]}${x % 97}`);
  }
  return out.join(" ");
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function vaultWithApps(root: string): Promise<Vault> {
  let ms = Date.UTC(2026, 11, 1);
  const v = await Vault.create(join(root, "v"), passphraseBytes(PASS), { kdf: "test-insecure", now: () => ms++ });
  v.init("Bench team", "alice");
  v.createCollection("passwords", "Passwords", "editor", "editor", "secrets");
  v.createCollection("people", "People", "viewer", "editor", "contacts");
  return v;
}

function fill(v: Vault, collection: string, count: number, make: (i: number) => Intent[]): void {
  for (let i = 0; i < count; i += 500) {
    const intents: Intent[] = [];
    for (let j = i; j < Math.min(count, i + 500); j++) intents.push(...make(j));
    v.write(collection, intents);
  }
}

export async function benchSearch(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const total = opts.quick ? 10_000 : 100_000;
  const root = mkdtempSync(join(tmpdir(), "airlock-bench-search-"));
  try {
    const v = await vaultWithApps(root);
    const t0 = performance.now();
    fill(v, "notes", total * 0.4, (i) => [
      { kind: "set", record: `n${i}`, field: "title", value: words(i, 4) },
      { kind: "set", record: `n${i}`, field: "body", value: words(i + 7, 40) },
    ]);
    fill(v, "passwords", total * 0.3, (i) => [
      { kind: "set", record: `s${i}`, field: "title", value: words(i + 11, 3) },
      { kind: "set", record: `s${i}`, field: "username", value: `user${i}` },
      { kind: "set", record: `s${i}`, field: "password", value: `pw-${i}-secret` },
      { kind: "add", record: `s${i}`, field: "urls", value: `https://${words(i, 1)}.example` },
    ]);
    fill(v, "people", total * 0.3, (i) => [
      { kind: "set", record: `c${i}`, field: "name", value: words(i + 13, 2) },
      { kind: "add", record: `c${i}`, field: "phones", value: `cell\u001f+44 7700 ${String(i).padStart(6, "0")}` },
      { kind: "set", record: `c${i}`, field: "notes", value: words(i + 17, 12) },
    ]);
    const fillMs = performance.now() - t0;
    const queries = Array.from({ length: 200 }, (_, i) => words(1000 + i, 1 + (i % 2)).replace(/\d+/g, (d) => d.slice(0, 1)));
    const db = v.store.connection();
    const plain = db.prepare("SELECT rowid FROM search WHERE search MATCH ? ORDER BY rank LIMIT 50");
    const ours: number[] = [];
    const base: number[] = [];
    let hits = 0;
    // Interleaved, after one warm-up pass: both see the same cache state.
    for (const q of queries) v.search(q);
    for (const q of queries) {
      const m = ftsQuery(q)!;
      let s = performance.now();
      plain.all(m);
      base.push(performance.now() - s);
      s = performance.now();
      hits += v.search(q).length;
      ours.push(performance.now() - s);
    }
    ours.sort((a, b) => a - b);
    base.sort((a, b) => a - b);
    const figures: BenchFigure[] = [];
    for (const [label, p] of [["median", 0.5], ["p99", 0.99]] as const) {
      const o = percentile(ours, p);
      const b = percentile(base, p);
      figures.push({
        name: `apps.search.${label}${opts.quick ? ".quick" : ""}`,
        value: o,
        unit: "ms",
        baseline: b,
        ratio: b / o,
        note: `vault.search over ${total} records (40% notes, 30% secrets, 30% contacts; ${queries.length} one- or two-word prefix queries, ${hits} results, at most 50 each) vs a plain FTS5 MATCH ... ORDER BY bm25 LIMIT 50 on the same index; ratio = baseline / ours, target >= 0.5; filling took ${(fillMs / 1000).toFixed(1)} s`,
      });
    }
    v.close();
    return figures;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function benchListing(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const records = 1_000;
  const edits = opts.quick ? 20 : 100;
  const root = mkdtempSync(join(tmpdir(), "airlock-bench-list-"));
  try {
    const v = await vaultWithApps(root);
    v.createCollection("flat", "Flat", "viewer", "editor", "notes");
    v.createCollection("deep", "Deep", "viewer", "editor", "notes");
    const once = (i: number, e: number): Intent[] => [
      { kind: "set", record: `r${i}`, field: "title", value: `title ${i} v${e}` },
      { kind: "set", record: `r${i}`, field: "body", value: words(i + e, 20) },
    ];
    fill(v, "flat", records, (i) => once(i, 0));
    for (let e = 0; e < edits; e++) fill(v, "deep", records, (i) => once(i, e));
    const time = (collection: string): number => {
      const samples: number[] = [];
      for (let k = 0; k < 21; k++) {
        const s = performance.now();
        const n = v.records(collection).length;
        samples.push(performance.now() - s);
        if (n !== records) throw new Error(`listed ${n} records of ${collection}`);
      }
      return samples.sort((a, b) => a - b)[10]!;
    };
    const flat = time("flat");
    const deep = time("deep");
    const big = opts.quick ? 10_000 : 40_000;
    fill(v, "notes", big, (i) => once(i, 0).map((x) => ({ ...x, record: `b${i}` })));
    const s = performance.now();
    const n = v.records("notes").length;
    const bigMs = performance.now() - s;
    v.close();
    return [
      {
        name: `apps.list.history${opts.quick ? ".quick" : ""}`,
        value: deep,
        unit: "ms",
        baseline: flat,
        ratio: flat / deep,
        note: `listing ${records} records each edited ${edits} times (${records * edits * 2} ops of history) vs the same ${records} records written once: median of 21; ratio ~1 means listing reads folded records, not history`,
      },
      {
        name: `apps.list.large${opts.quick ? ".quick" : ""}`,
        value: bigMs,
        unit: "ms",
        baseline: flat * (n / records),
        ratio: (flat * (n / records)) / bigMs,
        note: `listing ${n} records in one pass vs ${n / records} x the 1,000-record listing (ratio ~1: linear)`,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
