/**
 * The spool's record of outbound batches (migration 5; docs/transport-key.md, "Batches"): per
 * team, the batches built and not yet taken by every mailbox, each as its bundles in push order
 * (a real one by digest, its bytes in `bundles`; a cover one with its bytes here), and which
 * mailboxes took it. The courier decides what goes in a batch; this module only keeps it.
 *
 * Invariants: a batch is written whole in one transaction and never changed afterwards, so
 * every push of it is the same names and bytes; a real digest is in at most one open batch; a
 * closed batch keeps only its counts (for the shape of later cover batches).
 */
import type { SqliteDatabase, Statement } from "./sqlite.js";

export interface BatchItem {
  readonly digest: string;
  /** A cover bundle's bytes; undefined for a real one (read it from the spool by digest). */
  readonly cover: Uint8Array | undefined;
}

export interface StoredBatch {
  readonly id: number;
  readonly team: string;
  readonly created: number;
  readonly real: number;
  readonly items: readonly BatchItem[];
  /** The mailboxes (redacted URLs) that took it whole. */
  readonly pushedTo: ReadonlySet<string>;
}

/** Closed batches kept per team for their counts. */
const CLOSED_KEPT = 64;

export class BatchStore {
  readonly #db: SqliteDatabase;
  readonly #now: () => number;
  #holds: Statement | undefined;

  constructor(db: SqliteDatabase, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** The team's open batches, oldest first, with their bytes. */
  open(team: string): StoredBatch[] {
    const rows = this.#db.prepare("SELECT id, team, created, real FROM batches WHERE team = ? AND closed IS NULL ORDER BY id").all(team) as {
      id: number;
      team: string;
      created: number;
      real: number;
    }[];
    const items = this.#db.prepare("SELECT digest, cover FROM batch_items WHERE batch = ? ORDER BY position");
    const pushes = this.#db.prepare("SELECT backend FROM batch_pushes WHERE batch = ?");
    return rows.map((r) => ({
      ...r,
      items: (items.all(r.id) as { digest: string; cover: Buffer | null }[]).map((i) => ({
        digest: i.digest,
        cover: i.cover === null ? undefined : new Uint8Array(i.cover.buffer, i.cover.byteOffset, i.cover.byteLength),
      })),
      pushedTo: new Set((pushes.all(r.id) as { backend: string }[]).map((p) => p.backend)),
    }));
  }

  /** Stores a batch whole; returns its id. */
  save(team: string, items: readonly BatchItem[]): number {
    const real = items.filter((i) => i.cover === undefined).length;
    return this.#db.transaction((): number => {
      const id = Number(
        this.#db.prepare("INSERT INTO batches (team, created, real, size) VALUES (?, ?, ?, ?)").run(team, this.#now(), real, items.length).lastInsertRowid,
      );
      const insert = this.#db.prepare("INSERT INTO batch_items (batch, position, digest, cover) VALUES (?, ?, ?, ?)");
      for (const [position, item] of items.entries()) insert.run(id, position, item.digest, item.cover ?? null);
      return id;
    }).immediate();
  }

  markPushed(batch: number, backend: string): void {
    this.#db.prepare("INSERT INTO batch_pushes (batch, backend, at) VALUES (?, ?, ?) ON CONFLICT (batch, backend) DO NOTHING").run(batch, backend, this.#now());
  }

  /**
   * Every mailbox took it: its real bundles are delivered, in the same transaction (so a crash
   * can never leave one pending outside any batch, to be batched again beside other cover),
   * its cover bytes go, its counts stay.
   */
  close(batch: number): void {
    this.#db.transaction(() => {
      const row = this.#db.prepare("SELECT team FROM batches WHERE id = ?").get(batch) as { team: string } | undefined;
      this.#db
        .prepare("UPDATE bundles SET state = 'delivered', last_error = NULL WHERE digest IN (SELECT digest FROM batch_items WHERE batch = ? AND cover IS NULL)")
        .run(batch);
      this.#db.prepare("DELETE FROM batch_items WHERE batch = ?").run(batch);
      this.#db.prepare("DELETE FROM batch_pushes WHERE batch = ?").run(batch);
      this.#db.prepare("UPDATE batches SET closed = ? WHERE id = ?").run(this.#now(), batch);
      if (row !== undefined) {
        this.#db
          .prepare("DELETE FROM batches WHERE team = ? AND closed IS NOT NULL AND id NOT IN (SELECT id FROM batches WHERE team = ? AND closed IS NOT NULL ORDER BY id DESC LIMIT ?)")
          .run(row.team, row.team, CLOSED_KEPT);
      }
    }).immediate();
  }

  /** How many real bundles the team's recent batches that carried any held (newest last). */
  recentRealCounts(team: string): number[] {
    const rows = this.#db.prepare("SELECT real FROM batches WHERE team = ? AND real > 0 ORDER BY id DESC LIMIT ?").all(team, CLOSED_KEPT) as { real: number }[];
    return rows.map((r) => r.real).reverse();
  }

  /**
   * The team's next real bundles to batch: pending or failed outbound ones in no batch yet, from
   * the oldest arrival (one ingest) that has any, in digest order, at most `limit`.
   */
  nextReal(team: string, limit: number): string[] {
    const first = this.#db
      .prepare(
        `SELECT arrival FROM bundles WHERE team = ? AND direction = 'outbound' AND state IN ('pending', 'failed')
           AND NOT EXISTS (SELECT 1 FROM batch_items i WHERE i.digest = bundles.digest)
         ORDER BY arrival, digest LIMIT 1`,
      )
      .get(team) as { arrival: number | null } | undefined;
    if (first === undefined || limit === 0) return [];
    const rows = this.#db
      .prepare(
        `SELECT digest FROM bundles WHERE team = ? AND direction = 'outbound' AND state IN ('pending', 'failed') AND arrival IS ?
           AND NOT EXISTS (SELECT 1 FROM batch_items i WHERE i.digest = bundles.digest)
         ORDER BY digest LIMIT ?`,
      )
      .all(team, first.arrival, limit) as { digest: string }[];
    return rows.map((r) => r.digest);
  }

  /** Whether a digest is in one of this courier's open batches (never fetched back from a mailbox). */
  holds(digest: string): boolean {
    // Prepared once: a pull asks this for every listed name.
    this.#holds ??= this.#db.prepare("SELECT 1 FROM batch_items WHERE digest = ?");
    return this.#holds.get(digest) !== undefined;
  }

  /** How many batches of the team are open and, per mailbox, how many of them it has not taken yet. */
  backlog(team: string, backends: readonly string[]): { open: number; waiting: Record<string, number> } {
    const open = (this.#db.prepare("SELECT count(*) AS n FROM batches WHERE team = ? AND closed IS NULL").get(team) as { n: number }).n;
    const waiting = this.#db.prepare(
      `SELECT count(*) AS n FROM batches b WHERE b.team = ? AND b.closed IS NULL
         AND NOT EXISTS (SELECT 1 FROM batch_pushes p WHERE p.batch = b.id AND p.backend = ?)`,
    );
    return { open, waiting: Object.fromEntries(backends.map((b) => [b, (waiting.get(team, b) as { n: number }).n])) };
  }
}
