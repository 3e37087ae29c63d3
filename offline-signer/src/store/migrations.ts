/**
 * Versioned schema migrations. `PRAGMA user_version` is the number of migrations applied;
 * migration N (1-based) takes the schema from version N-1 to N inside one transaction, together
 * with the user_version bump, so a crash leaves either version N-1 or N. Append only: never
 * edit or reorder a released migration.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { AirlockError } from "@airlock/shared";

export interface Migration {
  /** What it does, for error messages and the doc. */
  readonly name: string;
  readonly up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: "meta and secrets",
    up: (db) => {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY NOT NULL,
          value TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE secrets (
          name  TEXT PRIMARY KEY NOT NULL,
          value BLOB NOT NULL
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
];

export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Brings the schema up to `migrations.length`; returns how many migrations ran. */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const from = schemaVersion(db);
  if (from > migrations.length) {
    throw new AirlockError(
      "VAULT_VERSION",
      `the vault's schema is version ${from}; this airlock knows up to version ${migrations.length}`,
      { hint: "this vault was written by a newer airlock; upgrade airlock on this laptop (the vault was not changed)" },
    );
  }
  for (let v = from + 1; v <= migrations.length; v++) {
    const m = migrations[v - 1] as Migration;
    db.transaction(() => {
      // Re-check inside the write lock: another connection may have migrated meanwhile.
      if (schemaVersion(db) !== v - 1) return;
      m.up(db);
      db.pragma(`user_version = ${v}`);
    }).immediate();
  }
  return migrations.length - from;
}
