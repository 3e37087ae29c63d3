/**
 * The primitives the format uses, bound to node:crypto (8-30x faster than pure JS here).
 * primitives.test.ts proves each binding gives byte-identical output to @noble, so another
 * implementation can follow the spec with either library.
 *
 * Importing a raw key into node:crypto is the hidden cost: DER import of a private key takes
 * ~0.6 ms here, more than the curve operation. So public keys are imported as JWK (~20 us;
 * they are not secret, strings are fine), a bundle's ephemeral key is generated inside
 * OpenSSL and never leaves it, and long-lived secret keys (a device's, a sender's) are
 * imported from their Uint8Array once and cached per array, re-checked by digest so a
 * wiped or rewritten array is never served a stale key. Secrets never become JS strings.
 */
import * as nodeCrypto from "node:crypto";
import { abytes } from "./asserts.js";

// PKCS#8 DER prefixes that wrap a raw 32-byte private key for node:crypto (RFC 8410).
const X25519_PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");
const ED25519_PKCS8 = Buffer.from("302e020100300506032b657004220420", "hex");

export const KEY_LENGTH = 32;
export const TAG_LENGTH = 16;
export const NONCE_LENGTH = 12;
export const SIGNATURE_LENGTH = 64;

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.length);
const own = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

function importPrivateKey(prefix: Buffer, secret: Uint8Array): nodeCrypto.KeyObject {
  const der = Buffer.concat([prefix, view(secret)]);
  try {
    return nodeCrypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } finally {
    der.fill(0);
  }
}

const privateKeys = new WeakMap<Uint8Array, { digest: Buffer; key: nodeCrypto.KeyObject }>();

/** The KeyObject for a secret key array, imported once per array and contents. */
function privateKey(prefix: Buffer, secret: Uint8Array): nodeCrypto.KeyObject {
  const digest = nodeCrypto.createHash("sha256").update(prefix).update(view(secret)).digest();
  const hit = privateKeys.get(secret);
  if (hit !== undefined && hit.digest.equals(digest)) return hit.key;
  const key = importPrivateKey(prefix, secret);
  privateKeys.set(secret, { digest, key });
  return key;
}

/**
 * Imported public keys, by curve and value. A vault verifies thousands of changesets from a
 * handful of devices: importing the same key each time cost as much as the verification itself.
 * Public keys are not secret; the cache is bounded (oldest entry evicted first).
 */
const publicKeys = new Map<string, nodeCrypto.KeyObject>();
const MAX_CACHED_PUBLIC_KEYS = 1024;

function publicKey(crv: "X25519" | "Ed25519", pub: Uint8Array): nodeCrypto.KeyObject {
  const x = view(pub).toString("base64url");
  const id = `${crv}:${x}`;
  let key = publicKeys.get(id);
  if (key === undefined) {
    key = nodeCrypto.createPublicKey({ key: { kty: "OKP", crv, x }, format: "jwk" });
    if (publicKeys.size >= MAX_CACHED_PUBLIC_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(id, key);
  }
  return key;
}

function rawPublic(key: nodeCrypto.KeyObject): Uint8Array {
  const x = nodeCrypto.createPublicKey(key).export({ format: "jwk" }).x;
  if (typeof x !== "string") throw new Error("internal: node:crypto exported no public key");
  return own(Buffer.from(x, "base64url"));
}

export function randomBytes(length: number): Uint8Array {
  return own(nodeCrypto.randomBytes(length));
}

const ZERO_IV = Buffer.alloc(16);

/**
 * The first `length` bytes of the ChaCha20 keystream (RFC 8439: 32-byte key, nonce 0, counter
 * from 0) under `key`: bytes as good as random to anyone without the key, reproducible by
 * anyone with it. node:crypto's "chacha20" takes the counter and nonce as one 16-byte IV.
 */
export function chacha20Keystream(key: Uint8Array, length: number): Uint8Array {
  abytes(key, "key", KEY_LENGTH);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  const cipher = nodeCrypto.createCipheriv("chacha20", view(key), ZERO_IV);
  const out = Buffer.alloc(length);
  // Encrypting zeros yields the keystream; in place, so a large filler costs one buffer.
  const written = cipher.update(out);
  written.copy(out);
  cipher.final();
  return own(out);
}

// ---- X25519 -------------------------------------------------------------------------------

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return rawPublic(importPrivateKey(X25519_PKCS8, abytes(secretKey, "secretKey", KEY_LENGTH)));
}

export function x25519KeyPair(secretKey: Uint8Array = randomBytes(KEY_LENGTH)): KeyPair {
  return { secretKey, publicKey: x25519PublicKey(secretKey) };
}

function agree(privateKey: nodeCrypto.KeyObject, peerPublicKey: Uint8Array): Uint8Array | undefined {
  abytes(peerPublicKey, "peerPublicKey", KEY_LENGTH);
  try {
    return own(nodeCrypto.diffieHellman({ privateKey, publicKey: publicKey("X25519", peerPublicKey) }));
  } catch {
    // OpenSSL refuses an all-zero shared secret (RFC 7748 section 6.1).
    return undefined;
  }
}

/**
 * X25519(secret, public). Returns undefined when the result is all zeros (the public key is
 * a low-order point), which callers treat as "this key does not fit", never as a secret.
 */
export function x25519(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array | undefined {
  return agree(privateKey(X25519_PKCS8, abytes(secretKey, "secretKey", KEY_LENGTH)), peerPublicKey);
}

/** A one-bundle X25519 key pair whose secret half stays inside OpenSSL. */
export interface EphemeralKey {
  readonly publicKey: Uint8Array;
  agree(peerPublicKey: Uint8Array): Uint8Array | undefined;
}

const X25519_SPKI = Buffer.from("302a300506032b656e032100", "hex");

/** A fresh ephemeral key, or (test vectors only) one made from given secret bytes. */
export function x25519Ephemeral(secretKey?: Uint8Array): EphemeralKey {
  if (secretKey === undefined) {
    // Never a JWK export of a generated key: on Node 20 a GC inside that export can finalize the
    // key generation job, whose destructor waits for the lock the export holds, and the process
    // hangs for good (found by fuzzing: one seal in some tens of thousands). The SPKI DER
    // export does not hang; its last 32 bytes are the raw key.
    const pair = nodeCrypto.generateKeyPairSync("x25519");
    const spki = pair.publicKey.export({ format: "der", type: "spki" });
    if (spki.length !== X25519_SPKI.length + KEY_LENGTH || !spki.subarray(0, X25519_SPKI.length).equals(X25519_SPKI)) {
      throw new Error("internal: node:crypto exported an unexpected X25519 public key");
    }
    return { publicKey: own(Buffer.from(spki.subarray(X25519_SPKI.length))), agree: (peer) => agree(pair.privateKey, peer) };
  }
  const key = importPrivateKey(X25519_PKCS8, abytes(secretKey, "ephemeralSecret", KEY_LENGTH));
  return { publicKey: rawPublic(key), agree: (peer) => agree(key, peer) };
}

// ---- Ed25519 ------------------------------------------------------------------------------

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return rawPublic(importPrivateKey(ED25519_PKCS8, abytes(secretKey, "secretKey", KEY_LENGTH)));
}

export function ed25519KeyPair(secretKey: Uint8Array = randomBytes(KEY_LENGTH)): KeyPair {
  return { secretKey, publicKey: ed25519PublicKey(secretKey) };
}

export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  abytes(secretKey, "secretKey", KEY_LENGTH);
  return own(nodeCrypto.sign(null, view(message), privateKey(ED25519_PKCS8, secretKey)));
}

/** Strict RFC 8032 verification (OpenSSL): false for any malformed key or signature. */
export function ed25519Verify(publicKeyBytes: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKeyBytes.length !== KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
  try {
    return nodeCrypto.verify(null, view(message), publicKey("Ed25519", publicKeyBytes), view(signature));
  } catch {
    return false;
  }
}

// ---- ChaCha20-Poly1305 (RFC 8439) ---------------------------------------------------------

/** Returns ciphertext || 16-byte tag. For small messages (slots); chunks use ChunkCipher. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const cipher = new ChunkCipher(key, nonce, aad, plaintext.length);
  return concatParts([cipher.update(plaintext), ...cipher.final()]);
}

/**
 * One ChaCha20-Poly1305 encryption fed in pieces, so a chunk is encrypted straight from the
 * caller's buffers with no staging copy. Output pieces are node:crypto's own buffers.
 */
export class ChunkCipher {
  readonly #cipher: nodeCrypto.CipherChaCha20Poly1305;

  constructor(key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array, plaintextLength?: number) {
    this.#cipher = nodeCrypto.createCipheriv("chacha20-poly1305", view(key), view(nonce), { authTagLength: TAG_LENGTH });
    if (aad !== undefined) this.#cipher.setAAD(view(aad), { plaintextLength: plaintextLength ?? 0 });
  }

  update(plaintext: Uint8Array): Uint8Array {
    return own(this.#cipher.update(view(plaintext)));
  }

  /** Any remaining ciphertext (empty for this stream cipher) and the 16-byte tag. */
  final(): Uint8Array[] {
    const rest = this.#cipher.final();
    const tag = own(this.#cipher.getAuthTag());
    return rest.length > 0 ? [own(rest), tag] : [tag];
  }
}

/**
 * Opens ciphertext || tag; returns undefined on authentication failure. node:crypto only
 * checks the tag in final(), so the plaintext update() produced is wiped and never returned
 * unless the tag verified.
 */
export function aeadOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < TAG_LENGTH) return undefined;
  const ctLength = sealed.length - TAG_LENGTH;
  const decipher = nodeCrypto.createDecipheriv("chacha20-poly1305", view(key), view(nonce), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAuthTag(view(sealed.subarray(ctLength)));
  if (aad !== undefined) decipher.setAAD(view(aad), { plaintextLength: ctLength });
  const body = decipher.update(view(sealed.subarray(0, ctLength)));
  try {
    const tail = decipher.final();
    return tail.length === 0 ? own(body) : concatParts([own(body), own(tail)]);
  } catch {
    body.fill(0);
    return undefined;
  }
}

/**
 * ChaCha20-Poly1305 as above (RFC 8439: 32-byte key, 12-byte nonce, 16-byte tag, no associated
 * data) from a binding that writes into the caller's memory, so a large body is sealed without
 * a fresh buffer per chunk. This package stays pure: a caller with such a binding (shared's
 * file-to-file path, libsodium) passes it to BundleSealer/BundleOpener for the payload chunks.
 * It must give exactly aeadSeal's bytes.
 */
export interface ChunkAead {
  /** Writes ciphertext || tag (plaintext.length + 16 bytes) at out[outOffset]. */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): void;
  /**
   * Checks the tag of `sealed` (ciphertext || tag), then writes the plaintext (sealed.length - 16
   * bytes) at out[outOffset]. False when it does not verify: nothing written there may be used.
   */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, out: Uint8Array, outOffset: number): boolean;
}

function concatParts(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  return own(Buffer.concat(parts));
}

// ---- Hashes and KDF -----------------------------------------------------------------------

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = nodeCrypto.createHash("sha256");
  for (const p of parts) h.update(view(p));
  return own(h.digest());
}

/** Incremental SHA-256 for streamed bodies. */
export interface Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

export function sha256Hasher(): Hasher {
  const h = nodeCrypto.createHash("sha256");
  return {
    update: (data) => void h.update(view(data)),
    digest: () => own(h.digest()),
  };
}

/** HKDF-SHA256 (RFC 5869). node:crypto's is ~4x faster here than @noble's; tests prove them equal. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length = KEY_LENGTH): Uint8Array {
  return new Uint8Array(nodeCrypto.hkdfSync("sha256", view(ikm), view(salt), view(info), length));
}
