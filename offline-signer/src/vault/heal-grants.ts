/**
 * Healing key grants after concurrent membership changes. When an admin adds a reader while
 * another admin rotates a collection's key (a removal, a revocation, a policy change), neither
 * saw the other: the rotation is sealed to the readers its author knew, and the new reader's
 * grant carries only the keys its author had. Every vault folds the same log, so every vault can
 * see that the new reader holds no grant made with knowledge of the fresh key. An admin vault
 * that received that key in the entry that introduced it seals it to the readers it misses, in a
 * plain `grant` entry. Several admins healing at once only add duplicate grants; a device that
 * already holds a key ignores it. Rules: docs/team-model.md, "Healing grants".
 */
import type { TeamEntry } from "../team/entry.js";
import { readerDevices, type DeviceState, type TeamState } from "../team/state.js";
import { hex } from "./hex.js";

/** Entry types that seal fresh keys (a rotation or a new collection), as opposed to passing on existing ones. */
const INTRODUCES_KEYS = new Set(["collection", "revoke-device", "remove-member", "set-policy", "set-role"]);

/**
 * Whether `keyEntry` (the entry that gave this vault its current key of a collection) introduced
 * that key, so this vault may judge who lacks it. A set-role that promoted *us* only passed on
 * existing keys; grants, additions and heals never introduce keys.
 */
export function introducedKey(entries: ReadonlyMap<string, TeamEntry>, keyEntry: string, myUser: string): boolean {
  const e = entries.get(keyEntry);
  if (e === undefined || !INTRODUCES_KEYS.has(e.body.type)) return false;
  return !(e.body.type === "set-role" && hex(e.body.user) === myUser);
}

/**
 * Active readers of `collection` that hold no grant of the key introduced in `keyEntry`: those in
 * that entry's grants hold it, and so do those in any later grant whose entry descends from it
 * and whose author held the key (it passed on every key it had).
 */
export function readersMissingKey(state: TeamState, entries: ReadonlyMap<string, TeamEntry>, collection: string, keyEntry: string): DeviceState[] {
  const c = state.collections.get(collection);
  if (c === undefined) return [];
  const start = c.grants.findIndex((g) => g.entry === keyEntry);
  if (start < 0) return [];
  const after = descendants(state.order, entries, keyEntry);
  const covered = new Set<string>();
  for (const g of c.grants) if (g.entry === keyEntry) for (const d of g.grant.to) covered.add(hex(d));
  for (const g of c.grants.slice(start)) {
    const e = entries.get(g.entry);
    if (e === undefined || !after.has(g.entry) || !covered.has(hex(e.author))) continue;
    for (const d of g.grant.to) covered.add(hex(d));
  }
  return readerDevices(state, collection).filter((d) => !covered.has(d.id));
}

/** The entries that descend from `root` (made with it in their history), in one pass over the fold order. */
function descendants(order: readonly string[], entries: ReadonlyMap<string, TeamEntry>, root: string): Set<string> {
  const out = new Set<string>();
  for (const h of order) {
    const parents = entries.get(h)?.parents.map(hex) ?? [];
    if (parents.some((p) => p === root || out.has(p))) out.add(h);
  }
  return out;
}
