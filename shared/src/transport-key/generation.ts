/**
 * Transport key generations (docs/transport-key.md, "Generations"). A team's transport key is
 * replaced by a fresh random one whenever someone who held it leaves: a member removed, a device
 * revoked, a courier retired. Generation 0 is the key the team was created with; each later one
 * is introduced by a `transport-key` team entry that names it in clear by its id and seals it to
 * the team's active devices only. Not to be confused with epochs: an epoch is the period after
 * which one key's mailbox names and tags roll over; a generation is the key itself.
 */
import { createHash } from "node:crypto";
import { TRANSPORT_KEY_LENGTH } from "./transport-key.js";
import { utf8 } from "./derive.js";

/** Bytes of a transport key id (named in clear in the team log). */
export const TRANSPORT_KEY_ID_LENGTH = 16;
/**
 * How long a courier keeps accepting tags of, and listing the namespaces of, the generation it
 * replaced: bundles sealed or put before the rotation reached it are not lost. Never used to put.
 */
export const TRANSPORT_GRACE_MS = 7 * 86_400_000;

const LABEL_ID = utf8("airlock/v1/transport-key-id");

/** id = SHA-256("airlock/v1/transport-key-id" || k)[0..16]: names a generation without revealing it. */
export function transportKeyId(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== TRANSPORT_KEY_LENGTH) throw new TypeError(`a transport key is ${TRANSPORT_KEY_LENGTH} bytes`);
  return new Uint8Array(createHash("sha256").update(LABEL_ID).update(key).digest().subarray(0, TRANSPORT_KEY_ID_LENGTH));
}
