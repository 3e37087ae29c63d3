/**
 * The file-to-file path's ChaCha20-Poly1305: libsodium's IETF construction (RFC 8439, 12-byte
 * nonce, the primitive of the format's payload chunks) through sodium-native, which writes
 * into the caller's memory. node:crypto returns a fresh buffer per chunk, which V8 frees
 * late (tens of MiB of RSS on a large file) and which made the AEAD ~1.6x slower here.
 *
 * Loaded on first use with require, not imported: sodium-native is a native addon with
 * prebuilds for the usual platforms only, and where it does not load (or fails the check
 * below) the callers fall back to bundle-format's node:crypto path, with the same bytes.
 * Decisions: docs/decisions.md #37.
 */
import { createRequire } from "node:module";
import { aeadOpen, aeadSeal, type ChunkAead } from "@airlock/bundle-format/streaming";

const TAG = 16;

/** The two functions of sodium-native used here (it ships no types). */
interface SodiumAead {
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  /** Throws when the tag does not verify (libsodium then zeroes `m`). */
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: null, npub: Uint8Array, k: Uint8Array): number;
}

function bind(sodium: SodiumAead): ChunkAead {
  return {
    seal(key, nonce, plaintext, out, outOffset) {
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out.subarray(outOffset, outOffset + plaintext.length + TAG), plaintext, null, null, nonce, key);
    },
    open(key, nonce, sealed, out, outOffset) {
      try {
        sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out.subarray(outOffset, outOffset + sealed.length - TAG), null, sealed, null, nonce, key);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * A known-answer check against node:crypto before the binding is trusted with a file: the
 * same ciphertext and tag, a round trip, and a refused tag. A broken or foreign build fails
 * here and is not used.
 */
function agreesWithNodeCrypto(aead: ChunkAead): boolean {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  const nonce = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
  const plaintext = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
  const expected = aeadSeal(key, nonce, plaintext);
  const sealed = new Uint8Array(expected.length + 3);
  aead.seal(key, nonce, plaintext, sealed, 3);
  if (Buffer.compare(sealed.subarray(3), expected) !== 0) return false;
  const opened = new Uint8Array(plaintext.length);
  if (!aead.open(key, nonce, expected, opened, 0) || Buffer.compare(opened, plaintext) !== 0) return false;
  const changed = expected.slice();
  changed[changed.length - 1]! ^= 1;
  return !aead.open(key, nonce, changed, opened, 0) && aeadOpen(key, nonce, changed) === undefined;
}

/** libsodium's AEAD from the module `name`, or undefined when it does not load or disagrees with node:crypto. */
export function loadChunkAead(name = "sodium-native"): ChunkAead | undefined {
  try {
    const aead = bind(createRequire(import.meta.url)(name) as SodiumAead);
    return agreesWithNodeCrypto(aead) ? aead : undefined;
  } catch {
    return undefined;
  }
}

let cached: { readonly aead: ChunkAead | undefined } | undefined;

/** The AEAD sealFile/openFile use: libsodium's, loaded once, or undefined for node:crypto's. */
export function fileChunkAead(): ChunkAead | undefined {
  cached ??= { aead: loadChunkAead() };
  return cached.aead;
}
