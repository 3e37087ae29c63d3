/**
 * `airlock import --remove`: which bundle files an import may take off the stick. Only a bundle
 * that this vault applied, or whose content it already held, and that nobody else needs from this
 * stick: recipients are anonymous (docs/bundle-format.md), so a sync bundle sealed to the whole
 * team is taken only once every other device it may be for is known (by its acks and announced log
 * heads) to hold all it carries. A refused bundle stays as evidence; one not for this device stays
 * for its owner.
 */
import type { DecodedPayload, SyncPayload } from "@airlock/bundle-format";
import { decodeChangeset } from "../sync/changeset.js";
import { decodeEntry } from "../team/entry.js";
import { ancestors } from "../team/state.js";
import { hex, unhex } from "./hex.js";
import { peerAcks } from "./sync.js";
import type { Vault } from "./vault.js";

/** What one bundle brought, as the per-bundle outcome of an import. */
export type BundleOutcome = "applied" | "held" | "not-for-me" | "refused";

/** What a sync bundle carries, by chain and log entry: what others must hold before it goes. */
export interface BundleContent {
  readonly sender: string;
  /** Per device chain (hex), the highest seq the bundle carries. */
  readonly chains: ReadonlyMap<string, number>;
  /** Team entries (hashes, hex). */
  readonly entries: readonly string[];
  /** A welcome is sealed to one device: this one. */
  readonly onlyForMe: boolean;
}

/** Reads what a payload carries (undecodable parts are the import's business: it refuses them). */
export function contentOf(sender: Uint8Array, payload: DecodedPayload): BundleContent {
  const chains = new Map<string, number>();
  const entries: string[] = [];
  if (payload.kind === "sync") {
    const p = payload as SyncPayload;
    for (const bytes of p.changesets) {
      try {
        const cs = decodeChangeset(bytes, { verify: false });
        const d = hex(cs.device);
        chains.set(d, Math.max(chains.get(d) ?? 0, cs.seq));
      } catch {
        // quarantined by the import, which then refuses the bundle
      }
    }
    for (const bytes of p.entries) {
      try {
        entries.push(decodeEntry(bytes).hashHex);
      } catch {
        // likewise
      }
    }
  }
  return { sender: hex(sender), chains, entries, onlyForMe: payload.kind === "welcome" };
}

/**
 * Whether every other active device of the team that a bundle from `content.sender` may be sealed
 * to (all but this one and the sender) is known to hold everything it carries.
 */
export function othersHold(vault: Vault, content: BundleContent): boolean {
  if (content.onlyForMe) return true;
  if (vault.teamId === undefined) return false;
  const state = vault.state();
  const others = [...state.devices.values()].filter((d) => d.active && d.id !== vault.deviceId && d.id !== content.sender);
  if (others.length === 0) return true;
  const acks = peerAcks(vault);
  const entries = vault.entries();
  for (const peer of others) {
    const theirs = acks.get(peer.id);
    for (const [device, seq] of content.chains) {
      // A device has its own changesets by definition.
      if (device !== peer.id && (theirs?.get(device) ?? 0) < seq) return false;
    }
    if (content.entries.length > 0) {
      const heads = vault.storage.acks.logHeads(unhex(peer.id)).map(hex);
      const held = heads.length === 0 ? undefined : ancestors(entries, heads);
      if (held === undefined || content.entries.some((h) => !held.has(h))) return false;
    }
  }
  return true;
}

/**
 * A file bundle (held or received): whether every other active device is known to hold the file
 * (its sender is, once it arrived). With one other device, that one sent it.
 */
export function othersHoldFile(vault: Vault, hashHex: string | undefined): boolean {
  if (vault.teamId === undefined) return false;
  const others = [...vault.state().devices.values()].filter((d) => d.active && d.id !== vault.deviceId);
  if (others.length <= 1) return true;
  if (hashHex === undefined) return false;
  return others.every((d) => vault.storage.blobs.peerHas(unhex(hashHex), unhex(d.id)));
}
