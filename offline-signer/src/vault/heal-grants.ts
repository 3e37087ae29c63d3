/**
 * Repairing collection keys after concurrent membership changes (docs/team-model.md, "Repairing
 * keys"). Two cases need a new grant, and the fold shows both to every vault the same way:
 *
 * - a reader lacks the key this vault writes with (an admin added a reader while another
 *   rotated the key: neither saw the other) -> that key is sealed to the readers that lack it;
 * - a device that may no longer read holds that key (two rotations crossed, and the one the
 *   fold kept was sealed to a member the other removed) -> a fresh key for all current readers.
 *
 * Who holds a key comes from the fold's accepted grants (CollectionState.holders), not from who
 * happens to have opened what, so repairs are decided on the same facts everywhere. Several
 * admins repairing at once add duplicate grants or two fresh keys; the fold keeps both and the
 * later one in log order is the write key, which every reader holds.
 */
import { isReader, readerDevices, type DeviceState, type TeamState } from "../team/state.js";

export type KeyRepair = { readonly kind: "none" } | { readonly kind: "share" | "rotate"; readonly to: DeviceState[] };

const NONE: KeyRepair = { kind: "none" };

/** What `collection` needs, given the id (hex) of the key this vault writes with (undefined: none held). */
export function keyRepairs(state: TeamState, collection: string, writeKey: string | undefined): KeyRepair {
  const c = state.collections.get(collection);
  if (c === undefined) return NONE;
  const readers = readerDevices(state, collection);
  if (readers.length === 0) return NONE;
  if (writeKey === undefined) return c.keys.length === 0 ? { kind: "rotate", to: readers } : NONE;
  const holders = c.holders.get(writeKey);
  if (holders === undefined) return NONE;
  for (const d of holders) if (!isReader(state, c, d)) return { kind: "rotate", to: readers };
  const missing = readers.filter((d) => !holders.has(d.id));
  return missing.length > 0 ? { kind: "share", to: missing } : NONE;
}
