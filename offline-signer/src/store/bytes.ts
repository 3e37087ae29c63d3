/**
 * Blobs leave the store as plain Uint8Arrays: better-sqlite3 returns Buffers, whose `slice` and
 * `toString` differ from Uint8Array's. A view over the same memory, no copy (each blob SQLite
 * returns has its own allocation, so wiping the view wipes the row's copy of a key).
 */
export function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export function maybeBytes(b: Buffer | null): Uint8Array | null {
  return b === null ? null : bytes(b);
}
