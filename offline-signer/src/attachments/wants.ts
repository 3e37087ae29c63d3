/**
 * How a vault asks for files it lacks without telling anyone else which files those are.
 *
 * A sync bundle goes to every active device, including ones that may not read the collection a
 * file belongs to; a bare content address would let such a member confirm that the team holds a
 * file they can hash (a leaked document, say). So a want is HMAC-SHA256 under the collection's
 * current key of the content address: only devices holding that key can match it against the
 * files they hold. Both sides use their current key; right after a key rotation one side may not
 * have the new key yet, and the want matches once it does.
 */
import { createHmac } from "node:crypto";
import type { Vault } from "../vault/vault.js";

export function wantToken(key: Uint8Array, hash: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(hash).digest());
}

/** The want for a file named in `collection`, or undefined without a key for it. */
export function wantFor(vault: Vault, collection: string, hash: Uint8Array): Uint8Array | undefined {
  const key = vault.currentKey(collection);
  return key === undefined ? undefined : wantToken(key, hash);
}
