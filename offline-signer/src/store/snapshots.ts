/**
 * Compaction bookkeeping (docs/decisions.md #30): `snapshots`, the changeset applied as the
 * snapshot of each `compact` entry, and `covered`, the changesets applied with a batch passed
 * over as covered by one. Both are judged again when the team log changes.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { bytes } from "./bytes.js";
import type { StoredChangeset } from "./changesets.js";
import { Statements } from "./statements.js";

export class Snapshots {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  /** Whether the snapshot of compact entry `entry` (hex) was applied here. */
  has(entry: string): boolean {
    return this.#s.get("SELECT 1 FROM snapshots WHERE entry = ?").get(entry) !== undefined;
  }

  /** This vault's own snapshot of `entry` (a fresh entry: never there yet). */
  add(entry: string, cs: number): void {
    this.#s.get("INSERT INTO snapshots (entry, cs) VALUES (?, ?)").run(entry, cs);
  }

  /** An imported snapshot of `entry`; the first one applied stays. */
  addIfNew(entry: string, cs: number): void {
    this.#s.get("INSERT INTO snapshots (entry, cs) VALUES (?, ?) ON CONFLICT (entry) DO NOTHING").run(entry, cs);
  }

  /** Forgets that changeset `cs` was a snapshot (its verdict changes). */
  removeFor(cs: number): void {
    this.#s.get("DELETE FROM snapshots WHERE cs = ?").run(cs);
  }

  cover(cs: number): void {
    this.#s.get("INSERT INTO covered (cs) VALUES (?) ON CONFLICT DO NOTHING").run(cs);
  }

  uncover(cs: number): void {
    this.#s.get("DELETE FROM covered WHERE cs = ?").run(cs);
  }

  /** Applied changesets that are snapshots. */
  appliedSnapshots(): StoredChangeset[] {
    return this.#applied("SELECT c.id, c.bytes FROM changesets c JOIN snapshots t ON t.cs = c.id WHERE c.status = 'applied'");
  }

  /** Applied changesets with a batch passed over as covered. */
  appliedCovered(): StoredChangeset[] {
    return this.#applied("SELECT c.id, c.bytes FROM changesets c JOIN covered t ON t.cs = c.id WHERE c.status = 'applied'");
  }

  #applied(sql: string): StoredChangeset[] {
    return (this.#s.get(sql).all() as { id: number; bytes: Buffer }[]).map((r) => ({ id: r.id, bytes: bytes(r.bytes) }));
  }
}
