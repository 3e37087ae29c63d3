/**
 * Collection keys travel inside the team log as sealed grants: a bundle (the same format as
 * sync bundles, anonymous recipient slots) addressed to the encryption keys of the devices
 * that may read, whose body lists (collection, key id, key). A device opens a grant by trial.
 */
import { openBundle, sealBundle, isBundleError, type KeyPair } from "@airlock/bundle-format";
import { decodeObject, encodeObject } from "../team/cbor-object.js";
import type { KeyGrant } from "../team/entry.js";
import { Reader } from "../team/read.js";
import { keyIdOf } from "../sync/changeset.js";
import type { DeviceState } from "../team/state.js";

export interface CollectionKey {
  readonly collection: string;
  readonly keyId: Uint8Array;
  readonly key: Uint8Array;
}

const NO_TAG = new Uint8Array(16);

/** Seals `keys` (oldest first) to `to`; the grant names the key ids in clear for the fold (docs/team-model.md). */
export function sealGrant(sender: KeyPair, collection: string, keys: readonly Uint8Array[], to: readonly DeviceState[]): KeyGrant {
  if (keys.length === 0 || to.length === 0) throw new RangeError("a grant seals at least one key to at least one device");
  const ids = keys.map(keyIdOf);
  const body = encodeObject({ keys: keys.map((key, i) => ({ collection, id: ids[i]!, key })) });
  const sealed = sealBundle(body, { recipients: to.map((d) => d.keys.enc), sender, mailboxTag: NO_TAG });
  body.fill(0);
  const devices = to.map((d) => d.keys.sign).sort((a, b) => Buffer.compare(a, b));
  return { collection, to: devices, keys: ids, sealed };
}

const R = new Reader("KEY_GRANT_INVALID", "key grant", "the grant is damaged; ask an admin to grant the keys again (airlock collections grant)");

/** The keys in a grant addressed to this device, or [] when it is not for us. */
export function openGrant(grant: KeyGrant, me: KeyPair): CollectionKey[] {
  let body: Uint8Array;
  try {
    body = openBundle(grant.sealed, { recipient: me, maxLength: 1024 * 1024 }).body;
  } catch (e) {
    if (isBundleError(e) && e.code === "BUNDLE_NOT_FOR_ME") return [];
    throw e;
  }
  try {
    const o = R.obj(decodeObject(body, { maxBytes: 512 * 1024, maxDepth: 4, maxItems: 4096 }), "grant", ["keys"]);
    const keys = R.array(o["keys"], "keys", 4096).map((k, i) => {
      const x = R.obj(k, `keys[${i}]`, ["collection", "id", "key"]);
      const key = R.bytes(x["key"], `keys[${i}].key`, 32);
      const keyId = R.bytes(x["id"], `keys[${i}].id`, 16);
      if (Buffer.compare(keyIdOf(key), keyId) !== 0) R.fail(`keys[${i}] does not match its id`);
      const collection = R.text(x["collection"], `keys[${i}].collection`, 64, 1);
      if (collection !== grant.collection) R.fail(`keys[${i}] is for another collection`);
      if (i >= grant.keys.length || Buffer.compare(grant.keys[i]!, keyId) !== 0) R.fail(`keys[${i}] is not the key the grant names in clear`);
      return { collection, keyId, key };
    });
    if (keys.length !== grant.keys.length) {
      for (const k of keys) k.key.fill(0);
      R.fail(`holds ${keys.length} keys but names ${grant.keys.length} in clear`);
    }
    return keys;
  } finally {
    body.fill(0);
  }
}
