/**
 * Transport key generations in the vault (docs/transport-key.md, "Generations"; decisions #51).
 *
 * A generation is introduced by a `transport-key` team entry: an admin's fresh key, named in
 * clear by its id and sealed to the team's active devices; the fold refuses one from anyone but
 * an admin and one sealed to a device that is not active. Like collection keys (heal-grants.ts),
 * the work is done by every active admin vault after each change to the log:
 *
 * - rotate: when someone who may hold the newest generation is gone (a device revoked, a member
 *   removed, a courier revoked, also in a race), a fresh generation sealed to the active devices;
 * - share: when an active device lacks it (admitted concurrently with a rotation), the newest
 *   generation again, sealed to those devices only.
 *
 * A vault seals with the newest generation it holds (currentTransport); generations it opened
 * are kept in one secret, so a fold that reorders entries never leaves it without a key.
 */
import { concatBytes, isBundleError, openBundle, randomBytes, sealBundle, wipe, type KeyPair } from "@airlock/bundle-format";
import { TRANSPORT_KEY_LENGTH, transportKeyId } from "@airlock/shared";
import { decodeObject, encodeObject } from "../team/cbor-object.js";
import type { EntryBody, TeamEntry } from "../team/entry.js";
import { Reader } from "../team/read.js";
import type { DeviceState, TeamState } from "../team/state.js";
import { hex } from "./hex.js";
import type { Vault } from "./vault.js";

/** The team's first transport key (generation 0), or the key a welcome brought. */
export const SECRET_TRANSPORT = "team.transport";
/** Generations opened from the log: records of id (16 bytes) || key (32 bytes). */
const SECRET_GENERATIONS = "team.transport.generations";
const RECORD = 16 + TRANSPORT_KEY_LENGTH;
const NO_TAG = new Uint8Array(16);
const R = new Reader("TRANSPORT_KEY_INVALID", "transport key", "the entry's sealed key is damaged; an admin's vault seals it again after the next change");

export interface CurrentTransport {
  /** The raw key; the caller wipes it. */
  readonly key: Uint8Array;
  readonly generation: number;
  /** Key id (hex). */
  readonly id: string;
}

type Secrets = Pick<Vault, "store" | "teamId" | "state">;

function heldGenerations(vault: Secrets): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const raw = vault.store.getSecret(SECRET_GENERATIONS);
  for (let at = 0; raw !== undefined && at + RECORD <= raw.length; at += RECORD) out.set(hex(raw.subarray(at, at + 16)), raw.slice(at + 16, at + RECORD));
  raw?.fill(0);
  return out;
}

/** The newest generation this vault holds, as the fold orders generations; undefined before a team. */
export function currentTransport(vault: Secrets): CurrentTransport | undefined {
  const base = vault.store.getSecret(SECRET_TRANSPORT);
  const baseId = base === undefined ? undefined : hex(transportKeyId(base));
  if (vault.teamId === undefined) return base === undefined ? undefined : { key: base, generation: 0, id: baseId! };
  const held = heldGenerations(vault);
  if (base !== undefined) held.set(baseId!, base);
  try {
    const generations = vault.state().transport;
    for (let g = generations.length; g >= 1; g--) {
      const key = held.get(generations[g - 1]!.id);
      if (key !== undefined) return { key: key.slice(), generation: g, id: generations[g - 1]!.id };
    }
    return base === undefined ? undefined : { key: base.slice(), generation: 0, id: baseId! };
  } finally {
    for (const k of held.values()) k.fill(0);
  }
}

/** The generation a transport key id names in `state` (0 when no entry names it: the team's first key). */
export function generationOf(state: TeamState, id: string): number {
  return state.transport.findIndex((g) => g.id === id) + 1;
}

const isActive = (state: TeamState, device: string): boolean => {
  const d = state.devices.get(device);
  return d !== undefined && d.active && state.users.get(d.user)?.active === true;
};

type Log = Pick<Vault, "entries" | "ancestorsOf" | "stateAtHex">;

/** Whether the author of `e` was an active admin at the entry's own causal position (a refused entry's author may still have sent what it carries). */
function adminAtOwnPosition(vault: Log, e: TeamEntry): boolean {
  const at = vault.stateAtHex(e.parents.map(hex));
  const d = at?.devices.get(hex(e.author));
  const u = d === undefined ? undefined : at!.users.get(d.user);
  return d !== undefined && d.active && u !== undefined && u.active && (u.role === "admin" || u.role === "owner");
}

/**
 * Devices that may hold generation `g`: those it was sealed to, and those admitted after it
 * (their welcome carried the admitter's newest). Generation 0 went to every device the team had.
 * Entries the fold refused count too when their author was an admin where it wrote them: the
 * sealed key or the welcome was sent all the same (a share racing a removal, an admission the fold
 * later refuses), so their recipients may hold it and, being inactive, make it rotate (I12). A
 * member's forged entry does not count: it could otherwise force rotations at will.
 */
export function holdersOf(vault: Log, state: TeamState, g: number): Set<string> {
  if (g === 0) return new Set(state.devices.keys());
  const gen = state.transport[g - 1]!;
  const out = new Set(gen.holders);
  const entries = vault.entries();
  for (const h of state.order) {
    const e = entries.get(h);
    if (e === undefined) continue;
    const refused = state.rejected.has(h);
    if (e.body.type === "transport-key") {
      if (refused && hex(e.body.key) === gen.id && adminAtOwnPosition(vault, e)) for (const d of e.body.to) out.add(hex(d));
      continue;
    }
    if (e.body.type !== "add-member" && e.body.type !== "add-device") continue;
    const device = hex(e.body.device.sign);
    // A device that enrolled itself (a recovery, docs/recovery.md) had no admitter to welcome it: it is shared the key.
    if (device === hex(e.author) || out.has(device)) continue;
    if (vault.ancestorsOf([h])?.has(gen.entry) === true && (!refused || adminAtOwnPosition(vault, e))) out.add(device);
  }
  return out;
}

export type TransportRepair = { kind: "rotate"; to: DeviceState[]; why: string } | { kind: "share"; to: DeviceState[] } | { kind: "none" };

/** What the newest generation needs, as every admin vault sees it in the fold. */
export function transportRepair(vault: Log, state: TeamState): TransportRepair {
  const newest = state.transport.length;
  const active = [...state.devices.values()].filter((d) => isActive(state, d.id));
  const holders = holdersOf(vault, state, newest);
  const gone = [...holders].find((d) => !isActive(state, d));
  if (gone !== undefined) return { kind: "rotate", to: active, why: `device ${gone.slice(0, 12)} may hold it and left the team` };
  const introduced = newest === 0 ? undefined : vault.ancestorsOf([state.transport[newest - 1]!.entry]);
  const courier = [...state.couriers.values()].find((c) => c.revoked !== undefined && introduced?.has(c.revoked) !== true);
  if (courier !== undefined) return { kind: "rotate", to: active, why: `courier ${courier.name} was revoked` };
  const lacking = active.filter((d) => !holders.has(d.id));
  return lacking.length > 0 ? { kind: "share", to: lacking } : { kind: "none" };
}

/** A `transport-key` entry body: `key` sealed to `to` (anonymous slots), its id in clear. */
export function sealTransportKey(sender: KeyPair, team: Uint8Array, key: Uint8Array, to: readonly DeviceState[]): Extract<EntryBody, { type: "transport-key" }> {
  const body = encodeObject({ team, key });
  try {
    const sealed = sealBundle(body, { recipients: to.map((d) => d.keys.enc), sender, mailboxTag: NO_TAG });
    return { type: "transport-key", key: transportKeyId(key), to: to.map((d) => d.keys.sign).sort((a, b) => Buffer.compare(a, b)), sealed };
  } finally {
    body.fill(0);
  }
}

/** The key a `transport-key` entry seals to `me`; undefined when it is not for me. Throws when it is damaged or names another key. */
export function openTransportKey(body: Extract<EntryBody, { type: "transport-key" }>, team: Uint8Array, me: KeyPair): Uint8Array | undefined {
  let plain: Uint8Array;
  try {
    plain = openBundle(body.sealed, { recipient: me, maxLength: 64 * 1024 }).body;
  } catch (e) {
    if (isBundleError(e) && e.code === "BUNDLE_NOT_FOR_ME") return undefined;
    throw e;
  }
  try {
    const o = R.obj(decodeObject(plain, { maxBytes: 1024, maxDepth: 2, maxItems: 8 }), "transport key", ["team", "key"]);
    if (Buffer.compare(R.bytes(o["team"], "team", 32), team) !== 0) R.fail("it is sealed for another team");
    const key = R.bytes(o["key"], "key", TRANSPORT_KEY_LENGTH);
    if (Buffer.compare(transportKeyId(key), body.key) !== 0) R.fail("the sealed key is not the one the entry names");
    return key.slice();
  } finally {
    plain.fill(0);
  }
}

/**
 * Opens the accepted `transport-key` entries sealed to one of `recipients` (this device, and
 * devices a restore retired here) and keeps their keys. A damaged one is quarantined alone.
 * Inside the caller's transaction (afterTeamChange).
 */
export function openTransportKeys(vault: Vault, recipients: readonly { device: Uint8Array; enc: KeyPair }[]): void {
  const state = vault.state();
  const held = vault.storage.keys;
  const entries = vault.entries();
  let added: Uint8Array[] | undefined;
  for (const h of state.order) {
    const e = entries.get(h);
    if (e === undefined || e.body.type !== "transport-key" || state.rejected.has(h)) continue;
    const body = e.body;
    const enc = recipients.find((r) => body.to.some((d) => Buffer.compare(d, r.device) === 0))?.enc;
    const tag = `transport/${h}`;
    if (enc === undefined || held.grantOpened(tag)) continue;
    held.markGrantOpened(tag);
    let key: Uint8Array | undefined;
    try {
      key = openTransportKey(body, state.team, enc);
    } catch (err) {
      quarantine(vault, e, (err as Error).message);
      continue;
    }
    if (key === undefined) {
      quarantine(vault, e, "names this device but holds no key sealed to it");
      continue;
    }
    (added ??= []).push(concatBytes(body.key, key));
    wipe(key);
  }
  if (added === undefined) return;
  const old = vault.store.getSecret(SECRET_GENERATIONS) ?? new Uint8Array(0);
  const all = concatBytes(old, ...added);
  vault.store.setSecret(SECRET_GENERATIONS, all);
  wipe(old, all, ...added);
}

function quarantine(vault: Vault, e: TeamEntry, reason: string): void {
  const why = `the transport key in entry ${e.hashHex.slice(0, 12)} did not open: ${reason}`.slice(0, 500);
  if (e.body.type === "transport-key") vault.storage.quarantine.add({ hash: e.hash, kind: "grant", author: e.author, reason: why, received: vault.now(), bytes: e.body.sealed });
}

/**
 * An active admin vault's follow-up after the log changed: a fresh generation when someone who
 * may hold the newest one left, or the newest one for active devices that lack it. Appends one
 * entry inside the caller's transaction; the caller catches (a repair never stops an import).
 */
export function repairTransport(vault: Vault): void {
  const state = vault.state();
  const me = state.devices.get(vault.deviceId);
  const user = me === undefined ? undefined : state.users.get(me.user);
  if (me === undefined || user === undefined || !me.active || !user.active || (user.role !== "admin" && user.role !== "owner")) return;
  const repair = transportRepair(vault, state);
  if (repair.kind === "none" || repair.to.length === 0) return;
  if (repair.kind === "rotate") {
    const fresh = randomBytes(TRANSPORT_KEY_LENGTH);
    try {
      vault.storage.savepoint(() => vault.appendEntry(sealTransportKey(vault.deviceKey, state.team, fresh, repair.to)));
    } finally {
      wipe(fresh);
    }
    return;
  }
  const current = currentTransport(vault);
  if (current === undefined) return;
  try {
    // Only the newest generation is shared: a vault that does not hold it yet leaves it to one that does.
    if (current.generation !== state.transport.length || state.transport.length === 0) return;
    vault.storage.savepoint(() => vault.appendEntry(sealTransportKey(vault.deviceKey, state.team, current.key, repair.to)));
  } finally {
    wipe(current.key);
  }
}
