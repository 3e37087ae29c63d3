/**
 * Which team log entries each peer already holds (sync 1.1 `logHeads`), so an export carries
 * only the entries some recipient lacks instead of the whole log every time. A peer's heads are
 * what it holds *with their whole ancestry* (its fold's heads), so "holds H" means "holds every
 * ancestor of H". Claims only ever save bytes: a peer that under-claims (an old bundle arriving
 * late, a 1.0 vault) is sent more, never less than it needs; a peer that over-claims only hurts
 * itself. Rules: docs/sync.md, "Team log in sync bundles".
 */
import { MAX_LOG_HEADS } from "@airlock/bundle-format";
import { ancestors, type TeamState } from "../team/state.js";
import { hex, unhex } from "./hex.js";
import type { VaultContext } from "./context.js";

/** Heads a peer named that this vault does not hold yet, kept for when it does (bounded). */
const MAX_UNKNOWN_HEADS = 64;

/** The heads to announce in our own sync bundles: this vault's fold heads (bounded by the schema). */
export function ownLogHeads(state: TeamState): Uint8Array[] {
  return state.heads.slice(0, MAX_LOG_HEADS).map(unhex);
}

/**
 * Merges a peer's announced heads into what it is known to hold, reduced to the newest heads:
 * an announced head that is an ancestor of another known one adds nothing. Call inside the
 * import transaction, after the bundle's entries were stored.
 */
export function recordLogHeads(vault: VaultContext, peer: Uint8Array, announced: readonly Uint8Array[]): void {
  const acks = vault.storage.acks;
  const all = new Set([...acks.logHeads(peer).map(hex), ...announced.map(hex)]);
  const state = vault.state();
  const applied = new Set(state.order);
  const known = [...all].filter((h) => applied.has(h));
  const unknown = [...all].filter((h) => !applied.has(h)).slice(0, MAX_UNKNOWN_HEADS);
  const covered = new Set<string>();
  const entries = vault.entries();
  for (const h of known) {
    for (const a of ancestors(entries, [h]) ?? []) if (a !== h) covered.add(a);
  }
  const keep = [...known.filter((h) => !covered.has(h)), ...unknown];
  acks.setLogHeads(peer, keep.map(unhex));
}

/**
 * The team entries (hashes, in the fold's order) that at least one of `recipients` (device ids,
 * hex) is not known to hold: the whole log if any recipient never announced its heads.
 */
export function entriesToSend(vault: VaultContext, state: TeamState, recipients: readonly string[]): string[] {
  const applied = new Set(state.order);
  const entries = vault.entries();
  let common: Set<string> | undefined;
  for (const id of recipients) {
    const heads = vault.storage.acks.logHeads(unhex(id)).map(hex).filter((h) => applied.has(h));
    const held = heads.length === 0 ? undefined : ancestors(entries, heads);
    if (held === undefined) return [...state.order];
    common = common === undefined ? held : new Set([...common].filter((h) => held.has(h)));
  }
  const everyone = common ?? new Set<string>();
  return state.order.filter((h) => !everyone.has(h));
}
