/** meta: the vault's small named settings (team id, user name, clock, welcome rank, schema flags). */
import type Database from "better-sqlite3-multiple-ciphers";
import { Statements } from "./statements.js";

export class Meta {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  get(key: string): string | undefined {
    return (this.#s.get("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.#s.get("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  delete(key: string): void {
    this.#s.get("DELETE FROM meta WHERE key = ?").run(key);
  }
}
