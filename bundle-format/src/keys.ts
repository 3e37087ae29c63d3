/**
 * Key schedule of suite 1. Every derivation is HKDF-SHA256 with its own label, so no key is
 * ever used for two purposes. Spec: docs/bundle-format.md, "Keys".
 */
import { concatBytes, utf8 } from "./bytes.js";
import { hkdfSha256 } from "./primitives.js";

export const LABEL_SLOT_KEY: Uint8Array = utf8("airlock/v1/slot-key");
export const LABEL_PAYLOAD_KEY: Uint8Array = utf8("airlock/v1/payload-key");
export const LABEL_SIGNATURE: Uint8Array = utf8("airlock/v1/bundle-signature");

/** The all-zero nonce of a slot: safe because every slot key is used exactly once. */
export const SLOT_NONCE: Uint8Array = new Uint8Array(12);

/** Key that wraps the content key for one recipient: bound to both public keys of the exchange. */
export function slotKey(sharedSecret: Uint8Array, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
  return hkdfSha256(sharedSecret, concatBytes(ephemeralPublic, recipientPublic), LABEL_SLOT_KEY);
}

/** Payload key: the content key bound to the exact header and slots (SHA-256 of the prefix). */
export function payloadKey(contentKey: Uint8Array, prefixHash: Uint8Array): Uint8Array {
  return hkdfSha256(contentKey, prefixHash, LABEL_PAYLOAD_KEY);
}

/** What the sender signs: label || SHA-256(prefix) || u64 body length || SHA-256(body). */
export function signedMessage(prefixHash: Uint8Array, bodyLength: Uint8Array, bodyDigest: Uint8Array): Uint8Array {
  return concatBytes(LABEL_SIGNATURE, prefixHash, bodyLength, bodyDigest);
}
