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
import { hex } from "./hex.js";
import type { Vault } from "./vault.js";

/** Heads a peer named that this vault does not hold yet, kept for when it does (bounded). */
const MAX_UNKNOWN_HEADS = 64;

/** The heads to announce in our own sync bundles: this vault's fold heads (bounded by the schema). */
export function ownLogHeads(state: TeamState): Uint8Array[] {
  return state.heads.slice(0, MAX_LOG_HEADS).map((h) => new Uint8Array(Buffer.from(h, "hex")));
}

/**
 * Merges a peer's announced heads into what it is known to hold, reduced to the newest heads:
 * an announced head that is an ancestor of another known one adds nothing. Call inside the
 * import transaction, after the bundle's entries were stored.
 */
export function recordLogHeads(vault: Vault, peer: Uint8Array, announced: readonly Uint8Array[]): void {
  const db = vault.store.connection();
  const stored = db.prepare("SELECT head FROM peer_log_heads WHERE peer = ?").all(peer) as { head: Buffer }[];
  const all = new Set([...stored.map((r) => r.head.toString("hex")), ...announced.map(hex)]);
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
  db.prepare("DELETE FROM peer_log_heads WHERE peer = ?").run(peer);
  const insert = db.prepare("INSERT INTO peer_log_heads (peer, head) VALUES (?, ?)");
  for (const h of keep) insert.run(peer, Buffer.from(h, "hex"));
}

/**
 * The team entries (hashes, in the fold's order) that at least one of `recipients` (device ids,
 * hex) is not known to hold: the whole log if any recipient never announced its heads.
 */
export function entriesToSend(vault: Vault, state: TeamState, recipients: readonly string[]): string[] {
  const select = vault.store.connection().prepare("SELECT head FROM peer_log_heads WHERE peer = ?");
  const applied = new Set(state.order);
  const entries = vault.entries();
  let common: Set<string> | undefined;
  for (const id of recipients) {
    const heads = (select.all(Buffer.from(id, "hex")) as { head: Buffer }[]).map((r) => r.head.toString("hex")).filter((h) => applied.has(h));
    const held = heads.length === 0 ? undefined : ancestors(entries, heads);
    if (held === undefined) return [...state.order];
    common = common === undefined ? held : new Set([...common].filter((h) => held.has(h)));
  }
  const everyone = common ?? new Set<string>();
  return state.order.filter((h) => !everyone.has(h));
}
