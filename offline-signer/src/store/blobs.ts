/**
 * Attached files (docs/attachments.md): which files this vault holds (`blobs`, the bytes in
 * blobs/<file> beside the database), which devices are known to hold each (`blob_peers`), and
 * what each peer last asked for (`blob_wants`, want tokens: attachments/wants.ts). Content
 * addresses are SHA-256 of a file body.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { OP_CODE } from "../apps/fold.js";
import { bytes } from "./bytes.js";
import { Statements } from "./statements.js";

export interface StoredBlob {
  readonly hash: Uint8Array;
  readonly size: number;
  /** Its bundle's name in the vault's blobs/ folder. */
  readonly file: string;
  readonly added: number;
}

interface BlobRow {
  hash: Buffer;
  size: number;
  file: string;
  added: number;
}

const blobOf = (r: BlobRow): StoredBlob => ({ hash: bytes(r.hash), size: r.size, file: r.file, added: r.added });

export class Blobs {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  get(hash: Uint8Array): StoredBlob | undefined {
    const r = this.#s.get("SELECT hash, size, file, added FROM blobs WHERE hash = ?").get(hash) as BlobRow | undefined;
    return r === undefined ? undefined : blobOf(r);
  }

  /** Records a held file; false (and nothing changed) when one with this address is already held. */
  add(blob: StoredBlob): boolean {
    return this.#s.get("INSERT INTO blobs (hash, size, file, added) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING").run(blob.hash, blob.size, blob.file, blob.added).changes === 1;
  }

  remove(hash: Uint8Array): void {
    this.#s.get("DELETE FROM blobs WHERE hash = ?").run(hash);
  }

  all(): StoredBlob[] {
    return (this.#s.get("SELECT hash, size, file, added FROM blobs ORDER BY added, hash").all() as BlobRow[]).map(blobOf);
  }

  /** The bundle file names of every held file (to tell stray files in blobs/ from held ones). */
  files(): Set<string> {
    return new Set((this.#s.get("SELECT file FROM blobs").all() as { file: string }[]).map((r) => r.file));
  }

  /** Bytes held for these addresses. */
  bytesOf(hashes: Iterable<Uint8Array>): number {
    let total = 0;
    for (const h of hashes) total += this.get(h)?.size ?? 0;
    return total;
  }

  /** Notes that `device` holds the file (it sent it, or this vault sent it to it). */
  markPeer(hash: Uint8Array, device: Uint8Array): void {
    this.#s.get("INSERT INTO blob_peers (hash, device) VALUES (?, ?) ON CONFLICT DO NOTHING").run(hash, device);
  }

  peerHas(hash: Uint8Array, device: Uint8Array): boolean {
    return this.#s.get("SELECT 1 FROM blob_peers WHERE hash = ? AND device = ?").get(hash, device) !== undefined;
  }

  /** Forgets what was sent, so the next export sends every file again (a lost stick). */
  forgetPeers(): void {
    this.#s.get("DELETE FROM blob_peers").run();
  }

  /** Replaces what `device` asks for with its newest list (want tokens, attachments/wants.ts). */
  setWants(device: Uint8Array, hashes: readonly Uint8Array[]): void {
    this.#s.get("DELETE FROM blob_wants WHERE device = ?").run(device);
    const insert = this.#s.get("INSERT INTO blob_wants (device, hash) VALUES (?, ?) ON CONFLICT DO NOTHING");
    for (const h of hashes) insert.run(device, h);
  }

  /** The devices whose newest list holds this want token. */
  wantedBy(hash: Uint8Array): Uint8Array[] {
    return (this.#s.get("SELECT device FROM blob_wants WHERE hash = ?").all(hash) as { device: Buffer }[]).map((r) => bytes(r.device));
  }

  /** The records that ever had a file op: where references may be (the fold says which are live). */
  recordsWithFiles(field: string): { collection: string; record: string }[] {
    return this.#s.get("SELECT DISTINCT collection, record FROM ops WHERE field = ? AND kind = ?").all(field, OP_CODE.add) as { collection: string; record: string }[];
  }
}
