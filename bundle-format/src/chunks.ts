/**
 * STREAM chunking of the payload (Hoang, Reyhanitabar, Rogaway, Vizár, "Online
 * Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015), as in age:
 * chunk i is ChaCha20-Poly1305 under the bundle's payload key with nonce = i as an 11-byte
 * big-endian counter || 1 byte last-chunk flag. Reordering changes a nonce, truncation or
 * extension loses or moves the flagged chunk, and the per-bundle key stops splicing.
 *
 * The chunk boundaries are a pure function of the payload ciphertext length C (known from the
 * header), so a reader never guesses: n = max(1, ceil((C - 16) / (CHUNK + 16))) chunks, all
 * but the last exactly CHUNK + 16 bytes; the last one takes the rest (17 .. CHUNK + 32 bytes).
 * Letting the last chunk grow to CHUNK + 16 plaintext bytes is what lets every bucket size
 * be filled exactly. Spec: docs/bundle-format.md, "Payload".
 */
import { NONCE_LENGTH, TAG_LENGTH } from "./primitives.js";

/** Plaintext bytes per full chunk. */
export const CHUNK_SIZE = 64 * 1024;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_LENGTH;

export interface ChunkPlan {
  /** Number of chunks. */
  readonly count: number;
  /** Plaintext bytes in the last chunk. */
  readonly lastPlaintext: number;
  /** Total plaintext bytes carried by all chunks. */
  readonly plaintext: number;
}

/** The chunk layout for a payload ciphertext of `sealedLength` bytes (>= TAG_LENGTH + 1). */
export function planChunks(sealedLength: number): ChunkPlan {
  const count = Math.max(1, Math.ceil((sealedLength - TAG_LENGTH) / SEALED_CHUNK_SIZE));
  const lastSealed = sealedLength - (count - 1) * SEALED_CHUNK_SIZE;
  return {
    count,
    lastPlaintext: lastSealed - TAG_LENGTH,
    plaintext: sealedLength - count * TAG_LENGTH,
  };
}

/** Nonce for chunk `index`: 11-byte big-endian counter, then 0x01 on the last chunk. */
export function chunkNonce(index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(NONCE_LENGTH);
  const view = new DataView(nonce.buffer);
  // Counters above 2^53 cannot occur: the format caps bundles at 2^40 bytes.
  view.setUint32(3, Math.floor(index / 2 ** 32));
  view.setUint32(7, index >>> 0);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Sealed length needed for `plaintext` bytes under the normal "full chunks, then the rest" split. */
export function sealedLengthFor(plaintext: number): number {
  return plaintext + TAG_LENGTH * Math.max(1, Math.ceil(plaintext / CHUNK_SIZE));
}
