/** team_entries: the team log's signed entries, as received (decoded and verified by the caller). */
import type Database from "better-sqlite3-multiple-ciphers";
import { bytes } from "./bytes.js";
import { Statements } from "./statements.js";

export class TeamLog {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  /** Every entry's bytes, in no particular order. */
  all(): Uint8Array[] {
    return (this.#s.get("SELECT bytes FROM team_entries").all() as { bytes: Buffer }[]).map((r) => bytes(r.bytes));
  }

  /** Stores an entry; false when it was already there. */
  insert(hash: Uint8Array, entry: Uint8Array, received: number): boolean {
    return this.#s.get("INSERT INTO team_entries (hash, bytes, received) VALUES (?, ?, ?) ON CONFLICT DO NOTHING").run(hash, entry, received).changes > 0;
  }
}
