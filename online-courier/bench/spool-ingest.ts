/**
 * Benchmark: how fast the courier spools bundles from the offline side, for 100 000 bundles
 * (quick: 10 000) of 1 KiB (the smallest bucket, so per-bundle overhead dominates).
 *
 * - `spool-ingest.courier`: Courier.ingestMany in batches of 500 (what `ingest` of a USB stick
 *   does per transaction: header check, tag classification against the served team, SHA-256,
 *   insert), bundles/s; baseline = raw better-sqlite3 inserts of the same bytes and digests
 *   into a table of the same shape, same batch size, same pragmas (WAL, synchronous=FULL), in
 *   this run. Ratio = courier / raw (1 = no overhead).
 * - `spool-ingest.one-by-one`: Spool.put per bundle (one transaction and fsync each), against
 *   raw autocommit inserts (one fsync each).
 * Bundles are filler bundles with the team's real tag: the codec's seal cost is not the spool's.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fillerBundle } from "@airlock/bundle-format";
import { TransportKey } from "@airlock/shared";
import { Courier } from "../src/courier/courier.js";
import { createHome, resolveHome } from "../src/home/paths.js";
import { saveTeams, type TeamId } from "../src/home/teams.js";
import { Spool } from "../src/spool/spool.js";
import { openSqlite } from "../src/spool/sqlite.js";
import type { BenchFigure as Figure } from "@airlock/shared";
/** A figure as every bench runner prints and stores it (shared/src/bench-figures.ts). */
export type { Figure };


const BATCH = 500;

function rawInsertRate(path: string, bundles: readonly Uint8Array[], batch: number): number {
  const db = openSqlite(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE b (digest TEXT PRIMARY KEY, direction TEXT, mailbox_tag TEXT, length INTEGER, first_seen INTEGER, bundle BLOB, team TEXT) STRICT");
  const insert = db.prepare("INSERT INTO b VALUES (?, 'outbound', ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING");
  const many = db.transaction((rows: readonly Uint8Array[]) => {
    for (const r of rows) insert.run(createHash("sha256").update(r).digest("hex"), "00".repeat(16), r.length, Date.now(), r, "11".repeat(32));
  });
  const started = performance.now();
  for (let i = 0; i < bundles.length; i += batch) many.immediate(bundles.slice(i, i + batch));
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return bundles.length / seconds;
}

export async function benchSpoolIngest(options: { quick: boolean }): Promise<Figure[]> {
  const count = options.quick ? 10_000 : 100_000;
  const oneByOne = options.quick ? 300 : 2000;
  const dir = mkdtempSync(join(tmpdir(), "airlock-bench-spool-"));
  try {
    const tk = TransportKey.generate();
    const epoch = tk.epochAt(Date.now());
    const bundles = Array.from({ length: count }, () => fillerBundle({ mailboxTag: tk.tag("real", epoch), length: 1024 }));

    const home = resolveHome(join(dir, "home"));
    createHome(home);
    const key = tk.exportKey();
    saveTeams(home, [
      { id: "11".repeat(32) as TeamId, name: "bench", transportKey: Buffer.from(key).toString("hex"), epochSeconds: tk.epochSeconds, mailboxes: ["dir:/unused"], sendPerRound: 4, bucketSizes: [65536] },
    ]);
    key.fill(0);
    const courier = Courier.open(home);
    const started = performance.now();
    for (let i = 0; i < bundles.length; i += BATCH) courier.ingestMany(bundles.slice(i, i + BATCH));
    const courierRate = count / ((performance.now() - started) / 1000);
    courier.close();
    const rawRate = rawInsertRate(join(dir, "raw.sqlite"), bundles, BATCH);

    const spool = Spool.open(join(dir, "single.sqlite"));
    const few = bundles.slice(0, oneByOne);
    const t0 = performance.now();
    for (const b of few) spool.put(b, "outbound");
    const singleRate = oneByOne / ((performance.now() - t0) / 1000);
    spool.close();
    const rawSingle = rawInsertRate(join(dir, "raw-single.sqlite"), few, 1);

    return [
      {
        name: "spool-ingest.courier",
        value: courierRate,
        unit: "bundles/s",
        baseline: rawRate,
        ratio: courierRate / rawRate,
        note: `${count} bundles of 1 KiB via Courier.ingestMany (batches of ${BATCH}: inspect + classify + SHA-256 + insert); baseline raw better-sqlite3 inserts, same batches and pragmas`,
      },
      {
        name: "spool-ingest.one-by-one",
        value: singleRate,
        unit: "bundles/s",
        baseline: rawSingle,
        ratio: singleRate / rawSingle,
        note: `${oneByOne} bundles via Spool.put, one transaction (fsync) each; baseline raw autocommit inserts`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
