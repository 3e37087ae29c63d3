/**
 * device_heads: per device, the highest seq up to which every changeset of its chain has been
 * processed (judged, or refused from an equivocation on), and that changeset's id. What this
 * vault acknowledges to peers, and where the next changeset of the device must attach.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { bytes } from "./bytes.js";
import { Statements } from "./statements.js";

export interface DeviceHead {
  readonly device: Uint8Array;
  readonly seq: number;
  readonly hash: Uint8Array;
}

export class DeviceHeads {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  get(device: Uint8Array): { seq: number; hash: Uint8Array } | undefined {
    const row = this.#s.get("SELECT seq, hash FROM device_heads WHERE device = ?").get(device) as { seq: number; hash: Buffer } | undefined;
    return row === undefined ? undefined : { seq: row.seq, hash: bytes(row.hash) };
  }

  seqOf(device: Uint8Array): number | undefined {
    const row = this.#s.get("SELECT seq FROM device_heads WHERE device = ?").get(device) as { seq: number } | undefined;
    return row?.seq;
  }

  /** Sets (or creates) the head of `device`. */
  set(device: Uint8Array, seq: number, hash: Uint8Array): void {
    const sql = "INSERT INTO device_heads (device, seq, hash) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE SET seq = excluded.seq, hash = excluded.hash";
    this.#s.get(sql).run(device, seq, hash);
  }

  /** Moves an existing head; a device without one is left without. */
  move(device: Uint8Array, seq: number, hash: Uint8Array): void {
    this.#s.get("UPDATE device_heads SET seq = ?, hash = ? WHERE device = ?").run(seq, hash, device);
  }

  /** Every head, by device. */
  all(): DeviceHead[] {
    const rows = this.#s.get("SELECT device, seq, hash FROM device_heads ORDER BY device").all() as { device: Buffer; seq: number; hash: Buffer }[];
    return rows.map((r) => ({ device: bytes(r.device), seq: r.seq, hash: bytes(r.hash) }));
  }
}
