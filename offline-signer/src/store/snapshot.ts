/**
 * A consistent copy of the open vault's database for `airlock backup` (vault/backup.ts).
 *
 * `VACUUM INTO` rather than SQLite's online backup API: better-sqlite3 opens the backup API's
 * target itself, without a key, and SQLite3MultipleCiphers refuses to copy an encrypted database
 * into an unencrypted one ("incompatible source and target databases") — the API cannot write an
 * encrypted copy from here. `VACUUM INTO` runs in one read transaction (a snapshot, even while
 * another process writes in WAL mode) and SQLite3MultipleCiphers encrypts its target with the
 * source's cipher and key, so the copy opens with the same passphrase and salt and is never
 * plaintext on disk (tested with a canary: vault/backup.test.ts). It also leaves out free pages.
 */
import { closeSync, fsyncSync, openSync, statSync } from "node:fs";
import type Database from "better-sqlite3-multiple-ciphers";

/**
 * Writes the database behind `db` to `path`, which must not exist: it is created empty with mode
 * 0600 first (VACUUM INTO would create it with the process's umask), then filled and fsynced.
 * Returns its size.
 */
export function snapshotDatabase(db: Database.Database, path: string): number {
  closeSync(openSync(path, "wx", 0o600));
  db.prepare("VACUUM INTO ?").run(path);
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}
