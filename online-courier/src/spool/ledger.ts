/**
 * The courier's bookkeeping, kept in the spool's SQLite file (migration 2) so that a bundle
 * and the state that refers to it commit to the same durable file: list cursors per backend
 * namespace, digests already judged (cover, strangers, malformed), per-backend sync results
 * for `status`, and counters of what was dropped or refused. None of it is secret: it is
 * what a store operator could learn anyway, minus the bytes.
 */
import type { SqliteDatabase, Statement } from "./sqlite.js";

export type SeenOutcome = "cover" | "refused" | "own-cover";

/** What a mailbox sees of a bundle besides its random-looking bytes: its length and recipient slot count. */
export interface TrafficShape {
  readonly length: number;
  readonly slotTier: number;
}

/** How many recent real shapes per team cover draws from. */
export const SHAPES_KEPT = 64;

export interface SyncRecord {
  readonly team: string;
  readonly backend: string;
  readonly lastOk: number | undefined;
  readonly lastTry: number | undefined;
  readonly lastError: string | undefined;
  readonly failures: number;
}

export interface CounterRow {
  readonly team: string;
  readonly outcome: string;
  readonly reason: string;
  readonly n: number;
  readonly lastAt: number;
}

const MAX_TEXT = 1000;

export class Ledger {
  readonly #db: SqliteDatabase;
  readonly #now: () => number;
  #isSeen: Statement | undefined;

  constructor(db: SqliteDatabase, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** The saved list cursor and how many pulls used this namespace so far. */
  cursor(backend: string, namespace: string): { cursor: string | undefined; pulls: number } {
    const row = this.#db.prepare("SELECT cursor, pulls FROM cursors WHERE backend = ? AND namespace = ?").get(backend, namespace) as
      | { cursor: string | null; pulls: number }
      | undefined;
    return { cursor: row?.cursor ?? undefined, pulls: row?.pulls ?? 0 };
  }

  setCursor(backend: string, namespace: string, cursor: string | undefined): void {
    this.#db
      .prepare(
        `INSERT INTO cursors (backend, namespace, cursor, pulls) VALUES (?, ?, ?, 1)
         ON CONFLICT (backend, namespace) DO UPDATE SET cursor = excluded.cursor, pulls = pulls + 1`,
      )
      .run(backend, namespace, cursor ?? null);
  }

  /** Forgets cursors of namespaces no longer pulled (older epochs). */
  forgetCursors(backend: string, keep: readonly string[]): void {
    const rows = this.#db.prepare("SELECT namespace FROM cursors WHERE backend = ?").all(backend) as { namespace: string }[];
    const drop = this.#db.prepare("DELETE FROM cursors WHERE backend = ? AND namespace = ?");
    for (const r of rows) if (!keep.includes(r.namespace)) drop.run(backend, r.namespace);
  }

  isSeen(digest: string): boolean {
    // Prepared once: a pull asks this for every listed name.
    this.#isSeen ??= this.#db.prepare("SELECT 1 FROM seen WHERE digest = ?");
    return this.#isSeen.get(digest) !== undefined;
  }

  /**
   * Remembers a judged digest. Marked again (our own cover, at each put of its batch), its time
   * moves up, so it is kept as long as a namespace that may list it is.
   */
  markSeen(digest: string, outcome: SeenOutcome): void {
    this.#db.prepare("INSERT INTO seen (digest, outcome, at) VALUES (?, ?, ?) ON CONFLICT (digest) DO UPDATE SET at = max(at, excluded.at)").run(digest, outcome, this.#now());
  }

  /** markSeen and count for many names at once, in one transaction (one fsync for a whole listing). */
  recordJudged(
    seen: readonly { digest: string; outcome: SeenOutcome }[],
    counts: readonly { team: string; outcome: "cover-dropped" | "refused" | "cover-sent"; reason: string; n: number }[],
  ): void {
    if (seen.length === 0 && counts.length === 0) return;
    this.#db.transaction(() => {
      for (const s of seen) this.markSeen(s.digest, s.outcome);
      for (const c of counts) this.count(c.team, c.outcome, c.reason, c.n);
    }).immediate();
  }

  /** Retention for the seen set, like Spool.expire for bundles. */
  expireSeen(olderThanMs: number): number {
    return this.expireSeenBefore(this.#now() - olderThanMs);
  }

  /**
   * Forgets digests judged before `cutoff` (ms), and beyond `maxRows` the oldest: a name judged
   * then could only be in a namespace no courier lists any more, so nothing would list it again.
   */
  expireSeenBefore(cutoff: number, maxRows = Number.MAX_SAFE_INTEGER): number {
    let removed = this.#db.prepare("DELETE FROM seen WHERE at < ?").run(cutoff).changes;
    const rows = (this.#db.prepare("SELECT count(*) AS n FROM seen").get() as { n: number }).n;
    if (rows > maxRows) {
      removed += this.#db.prepare("DELETE FROM seen WHERE digest IN (SELECT digest FROM seen ORDER BY at, digest LIMIT ?)").run(rows - maxRows).changes;
    }
    return removed;
  }

  /** How many digests the seen set holds (status, tests). */
  seenCount(): number {
    return (this.#db.prepare("SELECT count(*) AS n FROM seen").get() as { n: number }).n;
  }

  /** Records (or refreshes) a standing warning about a team's mailbox, shown by status until cleared. */
  warn(team: string, backend: string, code: string, message: string): void {
    this.#db
      .prepare(
        `INSERT INTO warnings (team, backend, code, message, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (team, backend, code) DO UPDATE SET message = excluded.message, at = excluded.at`,
      )
      .run(team, backend, code.slice(0, 100), message.slice(0, MAX_TEXT), this.#now());
  }

  clearWarning(team: string, backend: string, code: string): void {
    this.#db.prepare("DELETE FROM warnings WHERE team = ? AND backend = ? AND code = ?").run(team, backend, code);
  }

  warnings(): { team: string; backend: string; code: string; message: string; at: number }[] {
    return this.#db.prepare("SELECT team, backend, code, message, at FROM warnings ORDER BY team, backend, code").all() as {
      team: string;
      backend: string;
      code: string;
      message: string;
      at: number;
    }[];
  }

  count(team: string, outcome: "cover-dropped" | "refused" | "cover-sent" | "expired" | "over-quota", reason: string, by = 1): void {
    this.#db
      .prepare(
        `INSERT INTO counters (team, outcome, reason, n, last_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (team, outcome, reason) DO UPDATE SET n = n + excluded.n, last_at = excluded.last_at`,
      )
      .run(team, outcome, reason.slice(0, 100), by, this.#now());
  }

  counters(): CounterRow[] {
    const rows = this.#db.prepare("SELECT team, outcome, reason, n, last_at FROM counters ORDER BY team, outcome, reason").all() as {
      team: string;
      outcome: string;
      reason: string;
      n: number;
      last_at: number;
    }[];
    return rows.map((r) => ({ team: r.team, outcome: r.outcome, reason: r.reason, n: r.n, lastAt: r.last_at }));
  }

  syncSucceeded(team: string, backend: string): void {
    const now = this.#now();
    this.#db
      .prepare(
        `INSERT INTO syncs (team, backend, last_ok, last_try, last_error, failures) VALUES (?, ?, ?, ?, NULL, 0)
         ON CONFLICT (team, backend) DO UPDATE SET last_ok = excluded.last_ok, last_try = excluded.last_try, last_error = NULL, failures = 0`,
      )
      .run(team, backend, now, now);
  }

  syncFailed(team: string, backend: string, error: string): void {
    this.#db
      .prepare(
        `INSERT INTO syncs (team, backend, last_ok, last_try, last_error, failures) VALUES (?, ?, NULL, ?, ?, 1)
         ON CONFLICT (team, backend) DO UPDATE SET last_try = excluded.last_try, last_error = excluded.last_error, failures = failures + 1`,
      )
      .run(team, backend, this.#now(), error.slice(0, MAX_TEXT));
  }

  /** The newest epoch whose namespace this courier emptied on this team's mailbox, if any. */
  prunedThrough(team: string, backend: string): number | undefined {
    const row = this.#db.prepare("SELECT through FROM prunes WHERE team = ? AND backend = ?").get(team, backend) as { through: number } | undefined;
    return row?.through;
  }

  setPrunedThrough(team: string, backend: string, epoch: number): void {
    this.#db
      .prepare("INSERT INTO prunes (team, backend, through) VALUES (?, ?, ?) ON CONFLICT (team, backend) DO UPDATE SET through = max(through, excluded.through)")
      .run(team, backend, epoch);
  }

  /** When this team last synced with this backend without error (ms), if ever. */
  lastOk(team: string, backend: string): number | undefined {
    const row = this.#db.prepare("SELECT last_ok FROM syncs WHERE team = ? AND backend = ?").get(team, backend) as { last_ok: number | null } | undefined;
    return row?.last_ok ?? undefined;
  }

  syncs(): SyncRecord[] {
    const rows = this.#db.prepare("SELECT team, backend, last_ok, last_try, last_error, failures FROM syncs ORDER BY team, backend").all() as {
      team: string;
      backend: string;
      last_ok: number | null;
      last_try: number | null;
      last_error: string | null;
      failures: number;
    }[];
    return rows.map((r) => ({
      team: r.team,
      backend: r.backend,
      lastOk: r.last_ok ?? undefined,
      lastTry: r.last_try ?? undefined,
      lastError: r.last_error ?? undefined,
      failures: r.failures,
    }));
  }

  /** Remembers the shape of a real bundle of `team`; only the newest SHAPES_KEPT per team are kept. */
  recordShape(team: string, shape: TrafficShape): void {
    this.recordShapes([{ team, shape }]);
  }

  /**
   * recordShape for many bundles in one transaction with one trim per team: an ingest of a stick
   * paid an fsync and a trim per bundle (30x slower than the spool's own inserts).
   */
  recordShapes(items: readonly { team: string; shape: TrafficShape }[]): void {
    if (items.length === 0) return;
    const insert = this.#db.prepare("INSERT INTO traffic_shapes (team, length, slot_tier) VALUES (?, ?, ?)");
    const trim = this.#db.prepare("DELETE FROM traffic_shapes WHERE team = ? AND id NOT IN (SELECT id FROM traffic_shapes WHERE team = ? ORDER BY id DESC LIMIT ?)");
    this.#db.transaction(() => {
      for (const { team, shape } of newestPerTeam(items)) insert.run(team, shape.length, shape.slotTier);
      for (const team of new Set(items.map((i) => i.team))) trim.run(team, team, SHAPES_KEPT);
    }).immediate();
  }

  /** The shapes of the team's last real bundles (at most SHAPES_KEPT, oldest first; repeats kept, so they weigh). */
  shapes(team: string): TrafficShape[] {
    const rows = this.#db.prepare("SELECT length, slot_tier FROM traffic_shapes WHERE team = ? ORDER BY id DESC LIMIT ?").all(team, SHAPES_KEPT) as {
      length: number;
      slot_tier: number;
    }[];
    return rows.reverse().map((r) => ({ length: r.length, slotTier: r.slot_tier }));
  }
}

/** Each team's newest SHAPES_KEPT items, in their order: only those can survive the trim. */
function newestPerTeam<T extends { team: string }>(items: readonly T[]): T[] {
  const left = new Map<string, number>();
  const kept: T[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const n = left.get(items[i]!.team) ?? SHAPES_KEPT;
    if (n > 0) kept.push(items[i]!);
    left.set(items[i]!.team, n - 1);
  }
  return kept.reverse();
}
