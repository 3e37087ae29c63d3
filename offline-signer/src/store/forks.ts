/**
 * forks: devices caught signing two different changesets under one seq (docs/team-model.md, I6),
 * with the lowest such seq and the version not kept in changesets, forwarded as the proof.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { bytes } from "./bytes.js";
import { Statements } from "./statements.js";

export interface Fork {
  readonly device: Uint8Array;
  readonly seq: number;
  /** The other signed changeset under `seq`. */
  readonly other: Uint8Array;
}

export class Forks {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  all(): Fork[] {
    return (this.#s.get("SELECT device, seq, other FROM forks").all() as { device: Buffer; seq: number; other: Buffer }[]).map((r) => ({
      device: bytes(r.device),
      seq: r.seq,
      other: bytes(r.other),
    }));
  }

  /** Devices and seqs only, lowest seq first (for alerts). */
  bySeq(): { device: Uint8Array; seq: number }[] {
    return (this.#s.get("SELECT device, seq FROM forks ORDER BY seq").all() as { device: Buffer; seq: number }[]).map((r) => ({ device: bytes(r.device), seq: r.seq }));
  }

  /** Records (or lowers: the caller checks) the fork of `device`. */
  set(device: Uint8Array, seq: number, other: Uint8Array): void {
    const sql = "INSERT INTO forks (device, seq, other) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE SET seq = excluded.seq, other = excluded.other";
    this.#s.get(sql).run(device, seq, other);
  }
}
