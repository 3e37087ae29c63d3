/**
 * What this vault wrote to sticks' outboxes, so that a later `airlock export --usb` can take off
 * the ones every recipient has acknowledged (stick cleanup, docs/usb-drop-folder.md). A bundle is
 * sealed to the other devices, never to its writer, so the vault cannot open its own files to see
 * what they held: it remembers, per export, what the recipients had to hold for the export to be
 * acknowledged — for each device chain the highest seq it held then, and the team log heads —
 * and per file its name, size and fingerprint (shared/src/usb/prune.ts).
 *
 * Kept in one meta value (JSON), the newest MAX_EXPORTS exports: a file from an export dropped
 * from the list is simply never removed automatically. Acks only grow, so an export that counts as
 * acknowledged stays so.
 */
import type { OwnBundle } from "@airlock/shared";
import { ancestors } from "../team/state.js";
import { hex, unhex } from "./hex.js";
import { peerAcks } from "./sync.js";
import type { Vault } from "./vault.js";

const META_KEY = "usb.outbox";
/** Exports remembered; older ones are forgotten (their files stay on whatever stick holds them). */
export const MAX_EXPORTS = 64;

export interface LedgerFile extends OwnBundle {
  readonly kind: string;
}

interface LedgerExport {
  readonly at: number;
  /** Device ids (hex) the export's sync and file bundles were sealed to (files: a subset, padded). */
  readonly recipients: readonly string[];
  /** Per device chain (hex), the highest seq this vault held when it exported. */
  readonly chains: Readonly<Record<string, number>>;
  /** This vault's team log heads then (hex). */
  readonly log: readonly string[];
  files: LedgerFile[];
}

function load(vault: Vault): LedgerExport[] {
  const raw = vault.storage.meta.get(META_KEY);
  if (raw === undefined) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as LedgerExport[]) : [];
  } catch {
    return []; // a damaged list costs only automatic removal
  }
}

function save(vault: Vault, exports: readonly LedgerExport[]): void {
  const kept = exports.filter((e) => e.files.length > 0).slice(-MAX_EXPORTS);
  vault.tx(() => {
    if (kept.length === 0) vault.storage.meta.delete(META_KEY);
    else vault.storage.meta.set(META_KEY, JSON.stringify(kept));
  });
}

/** Remembers the files one `export --usb` wrote, with what their recipients must hold to have them. */
export function rememberExport(vault: Vault, files: readonly LedgerFile[]): void {
  if (files.length === 0) return;
  const state = vault.requireTeam();
  const chains: Record<string, number> = {};
  for (const h of vault.storage.heads.all()) {
    const device = hex(h.device);
    if (state.devices.has(device)) chains[device] = h.seq;
  }
  const recipients = [...state.devices.values()].filter((d) => d.active && d.id !== vault.deviceId).map((d) => d.id);
  save(vault, [...load(vault), { at: vault.now(), recipients, chains, log: [...state.heads], files: [...files] }]);
}

/**
 * The remembered files every recipient still in the team has acknowledged: a welcome once every
 * recipient was heard from (a welcome goes to a device never heard from); a sync or file bundle once every recipient's acks reach each chain's seq
 * and its announced log heads hold the export's. (A file bundle a peer skipped is asked for again
 * through its `wants`, as after a lost stick.)
 */
export function acknowledgedFiles(vault: Vault): LedgerFile[] {
  if (vault.teamId === undefined) return [];
  const state = vault.state();
  const acks = peerAcks(vault);
  const entries = vault.entries();
  const active = (id: string): boolean => state.devices.get(id)?.active === true;
  const holds = (peer: string, e: LedgerExport): boolean => {
    const theirs = acks.get(peer);
    if (theirs === undefined) return false;
    for (const [device, seq] of Object.entries(e.chains)) if (device !== peer && (theirs.get(device) ?? 0) < seq) return false;
    if (e.log.length === 0) return true;
    const heads = vault.storage.acks.logHeads(unhex(peer)).map(hex);
    const held = heads.length === 0 ? undefined : ancestors(entries, heads);
    return held !== undefined && e.log.every((h) => held.has(h));
  };
  const out: LedgerFile[] = [];
  for (const e of load(vault)) {
    const still = e.recipients.filter(active);
    const everyone = still.every((p) => holds(p, e));
    const heard = still.every((p) => acks.has(p));
    for (const f of e.files) if (f.kind === "welcome" ? heard : everyone) out.push(f);
  }
  return out;
}

/** Forgets files that are gone from the stick they were on. */
export function forgetFiles(vault: Vault, names: ReadonlySet<string>): void {
  if (names.size === 0) return;
  const exports = load(vault);
  for (const e of exports) e.files = e.files.filter((f) => !names.has(f.name));
  save(vault, exports);
}
