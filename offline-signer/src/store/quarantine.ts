/** quarantine: what could not even be attributed (unparsable, badly signed, equivocating, another team's) or opened. */
import type Database from "better-sqlite3-multiple-ciphers";
import { maybeBytes } from "./bytes.js";
import { Statements } from "./statements.js";

export interface Quarantined {
  /** Primary key: the item's hash (or, for a grant, its entry's). */
  readonly hash: Uint8Array;
  readonly kind: string;
  readonly author: Uint8Array | null;
  readonly reason: string;
  readonly received: number;
  readonly bytes: Uint8Array;
}

export class Quarantine {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  /** Keeps an item; one already kept under that hash stays as it was. */
  add(q: Quarantined): void {
    const sql = "INSERT INTO quarantine (hash, kind, author, reason, received, bytes) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    this.#s.get(sql).run(q.hash, q.kind, q.author, q.reason, q.received, q.bytes);
  }

  /** The latest items, newest received first, without their bytes. */
  latest(limit: number): { kind: string; author: Uint8Array | null; reason: string; received: number }[] {
    const rows = this.#s.get("SELECT kind, author, reason, received FROM quarantine ORDER BY received DESC LIMIT ?").all(limit) as { kind: string; author: Buffer | null; reason: string; received: number }[];
    return rows.map((r) => ({ ...r, author: maybeBytes(r.author) }));
  }
}
