/**
 * What peers told this vault they hold (docs/sync.md): per peer and device chain, the highest seq
 * acknowledged and the id of the changeset it ends at (peer_acks), and the team log heads each
 * peer announced (peer_log_heads).
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { bytes, maybeBytes } from "./bytes.js";
import { Statements } from "./statements.js";

export interface PeerAck {
  readonly peer: Uint8Array;
  readonly device: Uint8Array;
  readonly seq: number;
  /** The id of the changeset the ack ends at (sync 1.2), if the peer said. */
  readonly hash: Uint8Array | null;
}

/**
 * An ack only moves forward: a lower seq than stored changes only `heard`. At an equal seq a
 * missing id keeps the stored one. A lower ack is not taken as a rollback: a stale bundle sends
 * one far more often (sticks keep earlier bundles, import reads both boxes in random order, and
 * no payload field orders one sender's bundles), so "latest wins" would re-send and raise false
 * alarms all the time. A vault restored from a backup speaks with a new device instead, whose
 * acks start from what the backup held (vault/backup-restore.ts, docs/decisions.md #49).
 */
const UPSERT_ACK =
  "INSERT INTO peer_acks (peer, device, seq, heard, hash) VALUES (?, ?, ?, ?, ?) ON CONFLICT (peer, device) DO UPDATE SET " +
  "hash = CASE WHEN excluded.seq > seq THEN excluded.hash WHEN excluded.seq = seq THEN coalesce(excluded.hash, hash) ELSE hash END, seq = max(seq, excluded.seq), heard = excluded.heard";

export class PeerAcks {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  record(peer: Uint8Array, device: Uint8Array, seq: number, heard: number, hash: Uint8Array | null): void {
    this.#s.get(UPSERT_ACK).run(peer, device, seq, heard, hash);
  }

  all(): PeerAck[] {
    return (this.#s.get("SELECT peer, device, seq, hash FROM peer_acks").all() as { peer: Buffer; device: Buffer; seq: number; hash: Buffer | null }[]).map((r) => ({
      peer: bytes(r.peer),
      device: bytes(r.device),
      seq: r.seq,
      hash: maybeBytes(r.hash),
    }));
  }

  /** Per peer, when this vault last imported a bundle from it (ms). */
  lastHeard(): { peer: Uint8Array; heard: number }[] {
    return (this.#s.get("SELECT peer, max(heard) AS heard FROM peer_acks GROUP BY peer").all() as { peer: Buffer; heard: number }[]).map((r) => ({ peer: bytes(r.peer), heard: r.heard }));
  }

  /** The team log heads `peer` is known to hold. */
  logHeads(peer: Uint8Array): Uint8Array[] {
    return (this.#s.get("SELECT head FROM peer_log_heads WHERE peer = ?").all(peer) as { head: Buffer }[]).map((r) => bytes(r.head));
  }

  /** Replaces the heads `peer` is known to hold. */
  setLogHeads(peer: Uint8Array, heads: readonly Uint8Array[]): void {
    this.#s.get("DELETE FROM peer_log_heads WHERE peer = ?").run(peer);
    const insert = this.#s.get("INSERT INTO peer_log_heads (peer, head) VALUES (?, ?)");
    for (const h of heads) insert.run(peer, h);
  }
}
