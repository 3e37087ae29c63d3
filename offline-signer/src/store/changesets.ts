/**
 * The changesets table: every verified changeset this vault holds, with its verdict (docs/sync.md).
 * status: waiting (a gap, unknown team heads, or dated ahead), applied (its ops are stored),
 * locked (valid, but no key for a batch or written by a newer release), rejected (with a reason).
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { bytes } from "./bytes.js";
import { Statements } from "./statements.js";

export type ChangesetStatus = "applied" | "locked" | "rejected" | "waiting";

/** A stored changeset: its row id and its signed bytes. */
export interface StoredChangeset {
  readonly id: number;
  readonly bytes: Uint8Array;
}

/** The identity of a changeset as stored: its id (hash), device, seq and bytes. */
export interface ChangesetKey {
  readonly id: Uint8Array;
  readonly device: Uint8Array;
  readonly seq: number;
  readonly bytes: Uint8Array;
}

type Row = { id: number; bytes: Buffer };
const stored = (r: Row): StoredChangeset => ({ id: r.id, bytes: bytes(r.bytes) });

export class Changesets {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  /** A new row; returns its id. */
  insert(cs: ChangesetKey, status: ChangesetStatus, reason: string | null, received: number): number {
    const sql = "INSERT INTO changesets (hash, device, seq, bytes, status, reason, received) VALUES (?, ?, ?, ?, ?, ?, ?)";
    return Number(this.#s.get(sql).run(cs.id, cs.device, cs.seq, cs.bytes, status, reason, received).lastInsertRowid);
  }

  setVerdict(id: number, status: ChangesetStatus, reason: string | null): void {
    this.#s.get("UPDATE changesets SET status = ?, reason = ? WHERE id = ?").run(status, reason, id);
  }

  /** Why a row still waits (its status unchanged). */
  setReason(id: number, reason: string): void {
    this.#s.get("UPDATE changesets SET reason = ? WHERE id = ?").run(reason, id);
  }

  /** The id of the changeset `device` signed under `seq`, if held: one lookup tells a duplicate from an equivocation. */
  hashAt(device: Uint8Array, seq: number): Uint8Array | undefined {
    const row = this.#s.get("SELECT hash FROM changesets WHERE device = ? AND seq = ?").get(device, seq) as { hash: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.hash);
  }

  bytesAt(device: Uint8Array, seq: number): Uint8Array | undefined {
    const row = this.#s.get("SELECT bytes FROM changesets WHERE device = ? AND seq = ?").get(device, seq) as { bytes: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.bytes);
  }

  bytesOf(hash: Uint8Array): Uint8Array | undefined {
    const row = this.#s.get("SELECT bytes FROM changesets WHERE hash = ?").get(hash) as { bytes: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.bytes);
  }

  /** The highest seq of `device` held (any status) and its id. */
  last(device: Uint8Array): { seq: number; hash: Uint8Array } | undefined {
    const row = this.#s.get("SELECT seq, hash FROM changesets WHERE device = ? ORDER BY seq DESC LIMIT 1").get(device) as { seq: number; hash: Buffer } | undefined;
    return row === undefined ? undefined : { seq: row.seq, hash: bytes(row.hash) };
  }

  // ---- waiting -------------------------------------------------------------------------------

  waitingDevices(): Uint8Array[] {
    return (this.#s.get("SELECT DISTINCT device FROM changesets WHERE status = 'waiting'").all() as { device: Buffer }[]).map((r) => bytes(r.device));
  }

  /** The waiting changeset of `device` at `seq`, if any. */
  waitingAt(device: Uint8Array, seq: number): StoredChangeset | undefined {
    const row = this.#s.get("SELECT id, bytes FROM changesets WHERE device = ? AND seq = ? AND status = 'waiting'").get(device, seq) as Row | undefined;
    return row === undefined ? undefined : stored(row);
  }

  waitingCount(): number {
    return (this.#s.get("SELECT count(*) AS n FROM changesets WHERE status = 'waiting'").get() as { n: number }).n;
  }

  /** How many changesets of `device` wait, and their total size in bytes. */
  waitingOf(device: Uint8Array): { count: number; size: number } {
    const row = this.#s.get("SELECT count(*) AS n, coalesce(sum(length(bytes)), 0) AS size FROM changesets WHERE device = ? AND status = 'waiting'").get(device) as { n: number; size: number };
    return { count: row.n, size: row.size };
  }

  /** Rows waiting with `reason` at or below their device's head: they wait alone, not for a predecessor. */
  waitingBehindHead(reason: string): StoredChangeset[] {
    const sql = "SELECT c.id, c.bytes FROM changesets c JOIN device_heads h ON h.device = c.device WHERE c.status = 'waiting' AND c.reason = ? AND c.seq <= h.seq";
    return (this.#s.get(sql).all(reason) as Row[]).map(stored);
  }

  // ---- by status -----------------------------------------------------------------------------

  withStatus(status: ChangesetStatus): StoredChangeset[] {
    return (this.#s.get("SELECT id, bytes FROM changesets WHERE status = ?").all(status) as Row[]).map(stored);
  }

  withReason(status: ChangesetStatus, reason: string): StoredChangeset[] {
    return (this.#s.get("SELECT id, bytes FROM changesets WHERE status = ? AND reason = ?").all(status, reason) as Row[]).map(stored);
  }

  withReasonPrefix(status: ChangesetStatus, prefix: string): StoredChangeset[] {
    const sql = "SELECT id, bytes FROM changesets WHERE status = ? AND substr(reason, 1, ?) = ?";
    return (this.#s.get(sql).all(status, prefix.length, prefix) as Row[]).map(stored);
  }

  /** Bytes of every changeset not judged for good yet (waiting or locked). */
  pendingBytes(): Uint8Array[] {
    return (this.#s.get("SELECT bytes FROM changesets WHERE status IN ('waiting', 'locked')").all() as { bytes: Buffer }[]).map((r) => bytes(r.bytes));
  }

  /** Changesets of `device` after `seq` that count (applied or locked): what a loss of rights may turn. */
  countedAfter(device: Uint8Array, seq: number): StoredChangeset[] {
    const sql = "SELECT id, bytes FROM changesets WHERE device = ? AND seq > ? AND status IN ('applied', 'locked')";
    return (this.#s.get(sql).all(device, seq) as Row[]).map(stored);
  }

  /** Changesets of `device` from `seq` on that are not rejected yet. */
  unrejectedFrom(device: Uint8Array, seq: number): StoredChangeset[] {
    const sql = "SELECT id, bytes FROM changesets WHERE device = ? AND seq >= ? AND status IN ('applied', 'locked', 'waiting')";
    return (this.#s.get(sql).all(device, seq) as Row[]).map(stored);
  }

  /** Bytes of `device`'s judged changesets after `seq`, in seq order: what an export forwards. */
  *forwardable(device: Uint8Array, seq: number): Generator<Uint8Array> {
    const sql = "SELECT bytes FROM changesets WHERE device = ? AND seq > ? AND status != 'waiting' ORDER BY seq";
    for (const r of this.#s.get(sql).iterate(device, seq) as Iterable<{ bytes: Buffer }>) yield bytes(r.bytes);
  }

  // ---- for status and the audit log -------------------------------------------------------------

  countByStatus(): Record<ChangesetStatus, number> {
    const counts = { applied: 0, locked: 0, rejected: 0, waiting: 0 };
    for (const r of this.#s.get("SELECT status, count(*) AS n FROM changesets GROUP BY status").all() as { status: ChangesetStatus; n: number }[]) counts[r.status] = r.n;
    return counts;
  }

  countWithReason(status: ChangesetStatus, reason: string): number {
    return (this.#s.get("SELECT count(*) AS n FROM changesets WHERE status = ? AND reason = ?").get(status, reason) as { n: number }).n;
  }

  countWithReasonPrefix(status: ChangesetStatus, prefix: string): number {
    return (this.#s.get("SELECT count(*) AS n FROM changesets WHERE status = ? AND substr(reason, 1, ?) = ?").get(status, prefix.length, prefix) as { n: number }).n;
  }

  /** Per device, how many changesets have `status` and exactly `reason`. */
  countByDevice(status: ChangesetStatus, reason: string): { device: Uint8Array; n: number }[] {
    const sql = "SELECT device, count(*) AS n FROM changesets WHERE status = ? AND reason = ? GROUP BY device";
    return (this.#s.get(sql).all(status, reason) as { device: Buffer; n: number }[]).map((r) => ({ device: bytes(r.device), n: r.n }));
  }

  /** Per device, how many changesets have `status` and a reason matching the LIKE `pattern`. */
  countByDeviceLike(status: ChangesetStatus, pattern: string): { device: Uint8Array; n: number }[] {
    const sql = "SELECT device, count(*) AS n FROM changesets WHERE status = ? AND reason LIKE ? GROUP BY device";
    return (this.#s.get(sql).all(status, pattern) as { device: Buffer; n: number }[]).map((r) => ({ device: bytes(r.device), n: r.n }));
  }

  /** The latest rejected changesets, newest received first. */
  latestRejected(limit: number): { device: Uint8Array; seq: number; reason: string; received: number }[] {
    const sql = "SELECT device, seq, reason, received FROM changesets WHERE status = 'rejected' ORDER BY received DESC LIMIT ?";
    return (this.#s.get(sql).all(limit) as { device: Buffer; seq: number; reason: string; received: number }[]).map((r) => ({ ...r, device: bytes(r.device) }));
  }

  /** The last `limit` rows stored, newest first, with their verdicts. */
  newest(limit: number): { id: number; bytes: Uint8Array; status: ChangesetStatus; reason: string | null }[] {
    const sql = "SELECT id, bytes, status, reason FROM changesets ORDER BY id DESC LIMIT ?";
    return (this.#s.get(sql).all(limit) as { id: number; bytes: Buffer; status: ChangesetStatus; reason: string | null }[]).map((r) => ({ ...r, bytes: bytes(r.bytes) }));
  }
}
