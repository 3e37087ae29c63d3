/**
 * The collection keys this vault was granted (collection_keys), and the key grants addressed to
 * it that it has opened (opened_grants), so a grant of keys already held is not opened again.
 * Keys leave as copies of the row's bytes; the caller wipes them.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { bytes } from "./bytes.js";
import { Statements } from "./statements.js";

export interface HeldKey {
  readonly keyId: Uint8Array;
  readonly key: Uint8Array;
  /** Which grant brought it: "entry/collection/grant index/key index". */
  readonly entry: string;
}

export class CollectionKeys {
  readonly #s: Statements;

  constructor(db: Database.Database) {
    this.#s = new Statements(db);
  }

  /** Stores a key; false when this id was already held. */
  insert(keyId: Uint8Array, collection: string, key: Uint8Array, entry: string): boolean {
    const sql = "INSERT INTO collection_keys (key_id, collection, key, entry) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";
    return this.#s.get(sql).run(keyId, collection, key, entry).changes > 0;
  }

  /** Every key held for `collection`, in no particular order. */
  ofCollection(collection: string): HeldKey[] {
    const rows = this.#s.get("SELECT key_id, key, entry FROM collection_keys WHERE collection = ?").all(collection) as { key_id: Buffer; key: Buffer; entry: string }[];
    return rows.map((r) => ({ keyId: bytes(r.key_id), key: bytes(r.key), entry: r.entry }));
  }

  /** The key with id `keyId`, only if it was granted for `collection`. */
  key(keyId: Uint8Array, collection: string): Uint8Array | undefined {
    const row = this.#s.get("SELECT key FROM collection_keys WHERE key_id = ? AND collection = ?").get(keyId, collection) as { key: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.key);
  }

  /** The ids of every key held, with their collection. */
  ids(): { keyId: Uint8Array; collection: string }[] {
    return (this.#s.get("SELECT key_id, collection FROM collection_keys").all() as { key_id: Buffer; collection: string }[]).map((r) => ({ keyId: bytes(r.key_id), collection: r.collection }));
  }

  /** Whether the grant tagged `tag` was opened already. */
  grantOpened(tag: string): boolean {
    return this.#s.get("SELECT 1 FROM opened_grants WHERE tag = ?").get(tag) !== undefined;
  }

  markGrantOpened(tag: string): void {
    this.#s.get("INSERT INTO opened_grants (tag) VALUES (?) ON CONFLICT DO NOTHING").run(tag);
  }
}
