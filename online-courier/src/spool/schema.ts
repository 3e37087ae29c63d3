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
  {
    // The courier learns which served team a bundle belongs to by its tag (the transport key);
    // the vault never tells it. Plus the courier's own bookkeeping, in the same file so a
    // bundle and the state that refers to it commit together.
    name: "teams-and-ledger",
    up: (db) =>
      db.exec(`
        ALTER TABLE bundles ADD COLUMN team TEXT CHECK (team IS NULL OR (length(team) = 64 AND team NOT GLOB '*[^0-9a-f]*'));
        CREATE INDEX bundles_team_queue ON bundles (team, direction, state, first_seen);
        -- Digests seen and not spooled (cover, strangers' bundles, malformed bytes that match
        -- their name), so a backend's full listing does not make us download them again.
        CREATE TABLE seen (
          digest  TEXT PRIMARY KEY NOT NULL CHECK (length(digest) = 64),
          outcome TEXT NOT NULL,
          at      INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX seen_age ON seen (at);
        CREATE TABLE cursors (
          backend   TEXT NOT NULL,
          namespace TEXT NOT NULL,
          cursor    TEXT,
          pulls     INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (backend, namespace)
        ) STRICT;
        -- One row per (team, backend): when it last synced, and its last error.
        CREATE TABLE syncs (
          team       TEXT NOT NULL,
          backend    TEXT NOT NULL,
          last_ok    INTEGER,
          last_try   INTEGER,
          last_error TEXT,
          failures   INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (team, backend)
        ) STRICT;
        -- Counters of what was dropped or refused, by outcome and reason code.
        CREATE TABLE counters (
          team    TEXT NOT NULL,
          outcome TEXT NOT NULL,
          reason  TEXT NOT NULL,
          n       INTEGER NOT NULL DEFAULT 0,
          last_at INTEGER NOT NULL,
          PRIMARY KEY (team, outcome, reason)
        ) STRICT;
        CREATE TABLE team_tiers (
          team      TEXT PRIMARY KEY NOT NULL,
          slot_tier INTEGER NOT NULL
        ) STRICT;
      `),
  },
  {
    // Per team and mailbox, the newest epoch whose namespace this courier has emptied: pruning
    // resumes there, so a failed or capped round is caught up later (docs/transport-key.md).
    name: "prune-marks",
    up: (db) =>
      db.exec(`
        CREATE TABLE prunes (
          team    TEXT NOT NULL,
          backend TEXT NOT NULL,
          through INTEGER NOT NULL,
          PRIMARY KEY (team, backend)
        ) STRICT;
      `),
  },
  {
    // Per team, the shapes (length, slot tier) of the last real bundles it saw, in either
    // direction: cover draws its shape from them, so a mailbox sees one size distribution
    // (docs/transport-key.md, "Cover"). Seeded from the real bundles already spooled, with the
    // tier the old single-tier table remembered; that table goes.
    name: "traffic-shapes",
    up: (db) =>
      db.exec(`
        CREATE TABLE traffic_shapes (
          id        INTEGER PRIMARY KEY,
          team      TEXT NOT NULL,
          length    INTEGER NOT NULL CHECK (length > 0),
          slot_tier INTEGER NOT NULL CHECK (slot_tier BETWEEN 2 AND 10)
        ) STRICT;
        CREATE INDEX traffic_shapes_team ON traffic_shapes (team, id);
        INSERT INTO traffic_shapes (team, length, slot_tier)
          SELECT b.team, b.length, coalesce(t.slot_tier, 2)
          FROM bundles b LEFT JOIN team_tiers t ON t.team = b.team
          WHERE b.team IS NOT NULL
          ORDER BY b.first_seen, b.rowid;
        DROP TABLE team_tiers;
      `),
  },
  {
    // Pushes that reveal nothing (docs/transport-key.md, "Batches"). A round's batch is stored
    // whole (cover bytes with it, real bundles by digest) and pushed as the same bytes to every
    // mailbox of the team, again and again until each has taken it: a restart or a failed put
    // never puts the same real names beside new cover. `arrival` groups the outbound bundles of
    // one ingest, so the batch around them depends on them alone, not on what else was pending.
    // `warnings` holds what status reports about a mailbox until it clears (a hostile listing, a full quota).
    name: "batches",
    up: (db) =>
      db.exec(`
        ALTER TABLE bundles ADD COLUMN arrival INTEGER;
        UPDATE bundles SET arrival = first_seen WHERE direction = 'outbound';
        CREATE INDEX bundles_arrival ON bundles (arrival) WHERE arrival IS NOT NULL;
        CREATE TABLE batches (
          id      INTEGER PRIMARY KEY,
          team    TEXT NOT NULL,
          created INTEGER NOT NULL,
          real    INTEGER NOT NULL CHECK (real >= 0),
          size    INTEGER NOT NULL CHECK (size >= real),
          closed  INTEGER
        ) STRICT;
        CREATE INDEX batches_team ON batches (team, closed, id);
        CREATE TABLE batch_items (
          batch    INTEGER NOT NULL,
          position INTEGER NOT NULL,
          digest   TEXT NOT NULL CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
          cover    BLOB,
          PRIMARY KEY (batch, position)
        ) STRICT;
        CREATE INDEX batch_items_digest ON batch_items (digest);
        CREATE TABLE batch_pushes (
          batch   INTEGER NOT NULL,
          backend TEXT NOT NULL,
          at      INTEGER NOT NULL,
          PRIMARY KEY (batch, backend)
        ) STRICT;
        CREATE TABLE warnings (
          team    TEXT NOT NULL,
          backend TEXT NOT NULL,
          code    TEXT NOT NULL,
          message TEXT NOT NULL,
          at      INTEGER NOT NULL,
          PRIMARY KEY (team, backend, code)
        ) STRICT;
      `),
  },
  {
    // Inbound bundles handed to the offline side wait for the vault's receipt (docs/receipts.md):
    // they stay pending, and these say when and how they were last shown or written, and how often.
    name: "handoffs",
    up: (db) =>
      db.exec(`
        ALTER TABLE bundles ADD COLUMN handed_at INTEGER;
        ALTER TABLE bundles ADD COLUMN handed_via TEXT CHECK (handed_via IS NULL OR handed_via IN ('qr', 'usb'));
        ALTER TABLE bundles ADD COLUMN handed_count INTEGER NOT NULL DEFAULT 0;
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
