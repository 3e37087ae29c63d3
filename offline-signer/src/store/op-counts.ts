/**
 * Counts over the ops table for status, the audit log and compaction. The ops themselves are the
 * record store's (store/records.ts); these only count them.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { Statements } from "./statements.js";

export class OpCounts {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  /** Ops stored for `collection` (every applied changeset's, superseded ones too). */
  inCollection(collection: string): number {
    return (this.#s.get("SELECT count(*) AS n FROM ops WHERE collection = ?").get(collection) as { n: number }).n;
  }

  /** Distinct records any stored op of `collection` names (deleted ones too). */
  recordsIn(collection: string): number {
    return (this.#s.get("SELECT count(DISTINCT record) AS n FROM ops WHERE collection = ?").get(collection) as { n: number }).n;
  }

  /** Per collection, the ops changeset row `cs` carried and how many records they touch. */
  ofChangeset(cs: number): { collection: string; ops: number; records: number }[] {
    const sql = "SELECT collection, count(*) AS n, count(DISTINCT record) AS r FROM ops WHERE cs = ? GROUP BY collection";
    return (this.#s.get(sql).all(cs) as { collection: string; n: number; r: number }[]).map((c) => ({ collection: c.collection, ops: c.n, records: c.r }));
  }

  /** The records changeset row `cs` wrote to (at most `limit`, by collection and id) and whether it deleted each. */
  recordsOf(cs: number, limit: number): { collection: string; record: string; deleted: boolean }[] {
    const sql = "SELECT collection, record, max(kind = 1) AS d FROM ops WHERE cs = ? GROUP BY collection, record ORDER BY collection, record LIMIT ?";
    return (this.#s.get(sql).all(cs, limit) as { collection: string; record: string; d: number }[]).map((r) => ({ collection: r.collection, record: r.record, deleted: r.d === 1 }));
  }
}
