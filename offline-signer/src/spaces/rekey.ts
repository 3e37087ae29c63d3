/**
 * Fresh page keys for a vault's further spaces at a passphrase change (docs/vault-store.md,
 * "Passphrase change"; docs/spaces.md, "Storage").
 *
 * A further space's store is encrypted under 32 random bytes kept as the secret `space.<id>.key`
 * in the first store. Re-keying only the first store would leave those keys as they were: an old
 * copy of vault.db (an old backup, `backups/before-v*`, a copied laptop) opened with the old
 * passphrase would still yield keys that open the current space stores. So a passphrase change
 * first gives every further space a fresh key, in this order (each step atomic):
 *
 *   1. one transaction of the first store: `space.<id>.key.next` := a fresh key, every space;
 *   2. each space store in turn: `PRAGMA rekey` from `.key` to `.key.next` (VaultStore.rekeySpace:
 *      out of WAL mode, one rollback-journal transaction over every page);
 *   3. one transaction: `.key` := `.key.next`, `.key.next` deleted, every space.
 *
 * At every instant each space store opens with `.key` or with `.key.next`, and the first store
 * holds both: a crash in step 2 leaves some spaces under their new key with `.key` still naming
 * the old one. Opening the first store settles that (settleSpaceKeys, from VaultStore's open):
 * a space that `.key.next` opens gets it as `.key`. A `.key.next` that opens nothing (a crash
 * before that space's re-key committed) is left alone, not deleted: another airlock's passphrase
 * change may be about to commit it; it opens nothing and the next change overwrites it. A change
 * that fails (a space open in another airlock, a space's folder gone) settles what it did itself
 * and leaves the passphrase unchanged.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AirlockError } from "@airlock/shared";
// Used inside functions only: vault-store.ts calls this module from changePassphrase and open (a cycle).
import { DB_FILE, VaultStore } from "../store/vault-store.js";

import { SPACES_DIR, pendingKeyName, spaceKeyName } from "./layout.js";

export { pendingKeyName, spaceKeyName } from "./layout.js";
/** Where further spaces' folders are (layout.ts). */
export const SPACES_FOLDER = SPACES_DIR;
const ID = "[0-9a-f]{32}";
const KEY_NAME = new RegExp(`^space\\.(${ID})\\.key$`);
const PENDING_NAME = new RegExp(`^space\\.(${ID})\\.key\\.next$`);


/**
 * Test hook, called between the steps of a passphrase change: "pending" after step 1,
 * "space-before"/"space-after" around each space's re-key (with its id), "settled" after step 3,
 * "first-store" before the first store's own re-key. A throw there stands for a crash at that
 * point: nothing after it runs, nothing is cleaned up.
 */
export type RekeyHook = (step: "pending" | "space-before" | "space-after" | "settled" | "first-store", id?: string) => void;

function secretIds(first: VaultStore, pattern: RegExp): string[] {
  const rows = first.connection().prepare("SELECT name FROM secrets WHERE name LIKE 'space.%' ORDER BY name").all() as { name: string }[];
  return rows.flatMap((r) => {
    const m = pattern.exec(r.name);
    return m === null ? [] : [m[1] as string];
  });
}

/** The ids of the further spaces whose keys the first store holds. */
export function spaceKeyIds(first: VaultStore): string[] {
  return secretIds(first, KEY_NAME);
}

function folder(first: VaultStore, id: string): string {
  return join(first.dir, SPACES_FOLDER, id);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Makes `.key.next` the space's key if that is what opens its store (in one transaction that
 * checks it is still the same key). Returns whether it did.
 */
function promote(first: VaultStore, id: string): boolean {
  const next = first.getSecret(pendingKeyName(id));
  if (next === undefined) return false;
  try {
    if (!VaultStore.spaceKeyOpens(folder(first, id), next)) return false;
    return first.transaction(() => {
      const now = first.getSecret(pendingKeyName(id));
      try {
        if (now === undefined || !equal(now, next)) return false;
        first.setSecret(spaceKeyName(id), now);
        first.deleteSecret(pendingKeyName(id));
        return true;
      } finally {
        now?.fill(0);
      }
    });
  } finally {
    next.fill(0);
  }
}

/**
 * After an interrupted re-key (see the file comment): every space that its pending key opens gets
 * it as its key. Never throws for one space (another airlock holding it locked, a folder gone):
 * that space is left as it is, for the next open. Returns the ids settled.
 */
export function settleSpaceKeys(first: VaultStore): string[] {
  const settled: string[] = [];
  const keyed = new Set(spaceKeyIds(first));
  for (const id of secretIds(first, PENDING_NAME)) {
    try {
      // A space deleted meanwhile (spaces leave): its pending key opens nothing any more.
      if (!keyed.has(id)) first.deleteSecret(pendingKeyName(id));
      else if (promote(first, id)) settled.push(id);
    } catch {
      // left for the next open: openSpace would report what is wrong with it
    }
  }
  return settled;
}

/**
 * Steps 1 to 3 of the file comment, for every further space the first store holds a key of.
 * Called by VaultStore.changePassphrase before the first store's own re-key. On a failure (a
 * space open in another airlock, its folder gone, its key not opening it) the spaces re-keyed so
 * far keep their new keys, the others their old ones, and the error (naming the space) is thrown.
 * Returns how many spaces were re-keyed.
 */
export function rekeySpaces(first: VaultStore, onStep?: RekeyHook): number {
  const ids = spaceKeyIds(first);
  if (ids.length === 0) return 0;
  const fresh = new Map(ids.map((id) => [id, new Uint8Array(randomBytes(32))]));
  try {
    first.transaction(() => {
      for (const [id, key] of fresh) first.setSecret(pendingKeyName(id), key);
    });
    onStep?.("pending");
    for (const [i, id] of ids.entries()) {
      onStep?.("space-before", id);
      const key = first.getSecret(spaceKeyName(id));
      try {
        if (key === undefined) throw new AirlockError("VAULT_CORRUPT", `the key of space ${id.slice(0, 8)} vanished during the passphrase change`, { hint: "another airlock changed the vault's spaces meanwhile; change the passphrase again" });
        VaultStore.rekeySpace(folder(first, id), key, fresh.get(id) as Uint8Array, id.slice(0, 8));
      } catch (e) {
        abandon(first, ids.slice(0, i), id, ids.slice(i + 1));
        throw e;
      } finally {
        key?.fill(0);
      }
      onStep?.("space-after", id);
    }
    first.transaction(() => {
      for (const [id, key] of fresh) {
        first.setSecret(spaceKeyName(id), key);
        first.deleteSecret(pendingKeyName(id));
      }
    });
    onStep?.("settled");
    return ids.length;
  } finally {
    for (const key of fresh.values()) key.fill(0);
  }
}

/** A change that failed at space `failed`: the spaces before it keep their new keys, those after it their old ones. */
function abandon(first: VaultStore, done: readonly string[], failed: string, rest: readonly string[]): void {
  const attempt = (fn: () => void): void => {
    try {
      fn();
    } catch {
      // left as it is: both keys stay, and the next open settles it
    }
  };
  for (const id of done) attempt(() => promote(first, id));
  // The failed one: its re-key may have committed before the error (switching back to WAL).
  attempt(() => {
    if (promote(first, failed)) return;
    const key = first.getSecret(spaceKeyName(failed));
    try {
      // Nothing can be under the new key where the old one opens the store, or there is no store.
      const gone = !existsSync(join(folder(first, failed), DB_FILE));
      if (gone || (key !== undefined && VaultStore.spaceKeyOpens(folder(first, failed), key))) first.deleteSecret(pendingKeyName(failed));
    } finally {
      key?.fill(0);
    }
  });
  attempt(() =>
    first.transaction(() => {
      for (const id of rest) first.deleteSecret(pendingKeyName(id));
    }),
  );
}
