/**
 * Prepared statements compiled once per open vault and reused: an import runs the same few
 * statements thousands of times, and preparing costs more than most of them take to run.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { AirlockError } from "@airlock/shared";

export class Statements {
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The statement for `sql`, prepared on first use. A closed vault says so, as VaultStore does. */
  get(sql: string): Database.Statement {
    if (!this.#db.open) throw new AirlockError("VAULT_CLOSED", "the vault is closed", { hint: "open the vault again" });
    let s = this.#cache.get(sql);
    if (s === undefined) this.#cache.set(sql, (s = this.#db.prepare(sql)));
    return s;
  }
}
