/**
 * Versioned spool schema. `PRAGMA user_version` counts the migrations applied; migration N
 * runs in one transaction with the bump to N, so a crash leaves N-1 or N. Append only.
 */
import { AirlockError } from "@airlock/shared";
import type { SqliteDatabase } from "./sqlite.js";

export interface Migration {
  readonly name: string;
  readonly up: (db: SqliteDatabase) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: "bundles",
    up: (db) =>
      db.exec(`
        CREATE TABLE bundles (
          digest      TEXT PRIMARY KEY NOT NULL CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
          direction   TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
          mailbox_tag TEXT NOT NULL CHECK (length(mailbox_tag) = 32),
          length      INTEGER NOT NULL CHECK (length > 0),
          first_seen  INTEGER NOT NULL,
          state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
          attempts    INTEGER NOT NULL DEFAULT 0,
          last_error  TEXT,
          bundle      BLOB NOT NULL CHECK (length(bundle) = length)
        ) STRICT; -- rowid table: WITHOUT ROWID suits small rows, not multi-MiB blobs
        CREATE INDEX bundles_queue ON bundles (direction, state, first_seen);
        CREATE INDEX bundles_age ON bundles (first_seen);
      `),
  },
];

export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma("user_version", { simple: true }) as number;
}

export function applyMigrations(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): void {
  const from = schemaVersion(db);
  if (from > migrations.length) {
    throw new AirlockError("SPOOL_VERSION", `the spool's schema is version ${from}; this courier knows up to ${migrations.length}`, {
      hint: "the spool was written by a newer airlock-courier; upgrade it (the spool was not changed)",
    });
  }
  for (let v = from + 1; v <= migrations.length; v++) {
    const m = migrations[v - 1]!;
    db.transaction(() => {
      if (schemaVersion(db) !== v - 1) return; // another process migrated meanwhile
      m.up(db);
      db.pragma(`user_version = ${v}`);
    }).immediate();
  }
}
