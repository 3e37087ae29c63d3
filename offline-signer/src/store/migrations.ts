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
  {
    name: "team log, changesets, ops, keys, acks, quarantine",
    up: (db) => {
      db.exec(`
        CREATE TABLE team_entries (
          hash     BLOB PRIMARY KEY NOT NULL,
          bytes    BLOB NOT NULL,
          received INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        -- One row per verified changeset. status: waiting (gap or unknown team heads),
        -- applied (ops materialized), locked (valid, no key for a batch yet), rejected (reason).
        CREATE TABLE changesets (
          id       INTEGER PRIMARY KEY,
          hash     BLOB NOT NULL UNIQUE,
          device   BLOB NOT NULL,
          seq      INTEGER NOT NULL,
          bytes    BLOB NOT NULL,
          status   TEXT NOT NULL,
          reason   TEXT,
          received INTEGER NOT NULL,
          UNIQUE (device, seq)
        ) STRICT;
        CREATE INDEX changesets_by_status ON changesets (status);
        -- Every accepted op; a field's value is read as the op with the largest HLC.
        CREATE TABLE ops (
          cs         INTEGER NOT NULL,
          collection TEXT NOT NULL,
          record     TEXT NOT NULL,
          field      TEXT NOT NULL,
          kind       INTEGER NOT NULL,
          hlc        BLOB NOT NULL,
          value      BLOB NOT NULL
        ) STRICT;
        CREATE INDEX ops_by_field ON ops (collection, record, field, hlc);
        CREATE INDEX ops_by_cs ON ops (cs);
        -- Highest seq per device up to which every changeset has been processed.
        CREATE TABLE device_heads (
          device BLOB PRIMARY KEY NOT NULL,
          seq    INTEGER NOT NULL,
          hash   BLOB NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE peer_acks (
          peer   BLOB NOT NULL,
          device BLOB NOT NULL,
          seq    INTEGER NOT NULL,
          heard  INTEGER NOT NULL,
          PRIMARY KEY (peer, device)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE collection_keys (
          key_id     BLOB PRIMARY KEY NOT NULL,
          collection TEXT NOT NULL,
          key        BLOB NOT NULL,
          entry      TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        -- What could not even be attributed: unparsable, badly signed, equivocating, other team.
        CREATE TABLE quarantine (
          hash     BLOB PRIMARY KEY NOT NULL,
          kind     TEXT NOT NULL,
          author   BLOB,
          reason   TEXT NOT NULL,
          received INTEGER NOT NULL,
          bytes    BLOB NOT NULL
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    name: "team log heads each peer holds",
    up: (db) => {
      // Sync 1.1 `logHeads`: what a peer said it holds of the team log, so exports send it
      // only what it lacks. Kept reduced to the newest heads (docs/sync.md).
      db.exec(`
        CREATE TABLE peer_log_heads (
          peer BLOB NOT NULL,
          head BLOB NOT NULL,
          PRIMARY KEY (peer, head)
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    name: "key grants opened",
    up: (db) => {
      // Each key grant addressed to this device ("entry/collection/grant index/"), once opened,
      // so a grant of keys already held is not opened again after every change.
      db.exec(`
        CREATE TABLE opened_grants (
          tag TEXT PRIMARY KEY NOT NULL
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    name: "equivocation proofs and acknowledged changeset ids",
    up: (db) => {
      // forks: a device that signed two different changesets under one seq (docs/team-model.md,
      // I6). `other` is the version not kept in changesets; both are forwarded as the proof.
      // peer_acks.hash: the id of the changeset a peer's ack ends at (sync 1.2 ackIds).
      db.exec(`
        CREATE TABLE forks (
          device BLOB PRIMARY KEY NOT NULL,
          seq    INTEGER NOT NULL,
          other  BLOB NOT NULL
        ) STRICT, WITHOUT ROWID;
        ALTER TABLE peer_acks ADD COLUMN hash BLOB;
      `);
    },
  },
  {
    name: "materialized records, the search index and compaction snapshots",
    up: (db) => {
      // records: each visible record folded from its ops (apps/fold.ts), so listing a collection
      // never re-reads its history. search: FTS5 over what each app says is searchable (never a
      // secret field), rowid = records.id; contentless, the text is kept only in records.view.
      // Both are filled by the vault on its next open (meta records.rebuild): folding needs the
      // collections' apps, which only the team log knows.
      db.exec(`
        CREATE TABLE records (
          id         INTEGER PRIMARY KEY,
          collection TEXT NOT NULL,
          record     TEXT NOT NULL,
          updated    INTEGER NOT NULL,
          view       TEXT NOT NULL,
          UNIQUE (collection, record)
        ) STRICT;
        CREATE INDEX records_by_updated ON records (collection, updated);
        CREATE VIRTUAL TABLE search USING fts5(title, body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
        -- Titles weigh four times the rest in ranking.
        INSERT INTO search (search, rank) VALUES ('rank', 'bm25(4.0, 1.0)');
        -- Compaction (docs/decisions.md #30): the applied snapshot of each compact entry, and the
        -- changesets applied with a batch passed over as covered by one; both judged again when
        -- the team log changes.
        CREATE TABLE snapshots (
          entry TEXT PRIMARY KEY NOT NULL,
          cs    INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX snapshots_by_cs ON snapshots (cs);
        CREATE TABLE covered (
          cs INTEGER PRIMARY KEY NOT NULL
        ) STRICT;
        INSERT INTO meta (key, value) VALUES ('records.rebuild', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value;
      `);
    },
  },
  {
    name: "records keep their fold state",
    up: (db) => {
      // state: the rows that decide the record (apps/fold.ts foldState, store/record-state.ts), so
      // an import folds new ops into them instead of re-reading the record's history; the record
      // a reader sees is folded from them (the JSON view of v6 doubled what every write stored).
      // A deleted record keeps its row (shown 0): its tombstone still hides older ops arriving
      // later. Refilled from the ops on the next open, as v6 did.
      db.exec(`
        DROP TABLE search;
        DROP TABLE records;
        CREATE TABLE records (
          id         INTEGER PRIMARY KEY,
          collection TEXT NOT NULL,
          record     TEXT NOT NULL,
          updated    INTEGER NOT NULL,
          shown      INTEGER NOT NULL,
          state      BLOB NOT NULL,
          UNIQUE (collection, record)
        ) STRICT;
        -- Listing reads the shown records newest first; deleted ones (shown 0) stay out of its range.
        CREATE INDEX records_by_updated ON records (collection, shown, updated);
        CREATE VIRTUAL TABLE search USING fts5(title, body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO search (search, rank) VALUES ('rank', 'bm25(4.0, 1.0)');
        INSERT INTO meta (key, value) VALUES ('records.rebuild', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value;
      `);
    },
  },
  {
    name: "attached files",
    up: (db) => {
      // blobs: each attached file this vault holds, by content address (SHA-256 of its file
      // body); the bytes stay in blobs/<file> beside the database, as a bundle sealed to this
      // device. blob_peers: devices known to hold a file (they sent it, or this vault sent it to
      // them), so an export does not send it again. blob_wants: what each peer last asked for.
      db.exec(`
        CREATE TABLE blobs (
          hash  BLOB PRIMARY KEY NOT NULL,
          size  INTEGER NOT NULL,
          file  TEXT NOT NULL UNIQUE,
          added INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE blob_peers (
          hash   BLOB NOT NULL,
          device BLOB NOT NULL,
          PRIMARY KEY (hash, device)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE blob_wants (
          device BLOB NOT NULL,
          hash   BLOB NOT NULL,
          PRIMARY KEY (device, hash)
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
