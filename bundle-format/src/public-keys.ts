/**
 * Public keys another party sent us are checked before they are stored or used. Two classes of
 * bad key matter (docs/team-model.md, "Invariants"):
 *
 * - Ed25519: OpenSSL (node:crypto) verifies against small-order or mixed-order points, for which
 *   one signature can verify under many messages, and against non-canonical encodings. A device
 *   or identity key must be a canonical encoding of a point in the prime-order subgroup.
 * - X25519: a low-order point makes every shared secret all-zero, so a bundle "sealed" to it is
 *   readable by anyone, and sealing to it fails. Such a key is never a valid encryption key.
 *
 * @noble/curves does the point arithmetic; nothing here is a primitive of our own.
 */
import { ed25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";

const KEY = 32;
/** A fixed scalar: any scalar exposes a low-order point (its product is then the identity). */
const PROBE = new Uint8Array(32).fill(0x42);

/** Whether `key` is a canonical Ed25519 public key of prime order (not small- or mixed-order). */
export function isValidEd25519PublicKey(key: Uint8Array): boolean {
  if (!(key instanceof Uint8Array) || key.length !== KEY) return false;
  try {
    const point = ed25519.Point.fromBytes(key, false); // zip215 = false: canonical encodings only
    return !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    return false;
  }
}

/** Whether `key` is an X25519 public key whose shared secrets are not all zeros. */
export function isValidX25519PublicKey(key: Uint8Array): boolean {
  if (!(key instanceof Uint8Array) || key.length !== KEY) return false;
  try {
    const shared = nobleX25519.getSharedSecret(PROBE, key);
    return shared.some((b) => b !== 0);
  } catch {
    return false; // noble refuses an all-zero result itself
  }
}
