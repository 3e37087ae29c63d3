/**
 * `airlock courier-enroll`: what a courier needs to carry this team's bundles (the transport key
 * and its generation, the epoch length, the team id and name, a suggested mailbox, the signing
 * keys of the team's admin devices), sealed to the courier's X25519 public key and signed by this
 * device. It holds no content key and no signing key.
 *
 * Enrolling records the courier in the team log (a `courier` entry: name, public key, author), so
 * every member sees it in `airlock couriers list` and every admin vault sends it the next
 * generation after a rotation: its exports carry a fresh enrollment for each active courier
 * (refreshEnrollments), which the courier adopts when an admin device or its enroller signed it. Any member may
 * enroll one (it is given the key every member holds); a courier retires when revoked (by an admin
 * or its enroller) and with the device that enrolled it, and then gets no later generation
 * (docs/transport-key.md, "Couriers").
 */
import { encodePayload, isValidX25519PublicKey, MAX_ENROLLMENT_ADMINS, MAX_SUPERSEDED, sealBundle, wipe } from "@airlock/bundle-format";
import { DEFAULT_EPOCH_SECONDS } from "@airlock/shared";
import { COURIER_NAME, atLeast } from "../team/entry.js";
import type { TeamEntry } from "../team/entry.js";
import { courierActive, type CourierState, type TeamState } from "../team/state.js";
import type { VaultContext } from "./context.js";
import { vaultError } from "./errors.js";
import { hex, unhex } from "./hex.js";
import { generationOf } from "./transport-rotation.js";
import { transportKeyId } from "@airlock/shared";
import type { Vault } from "./vault.js";

const KEY_LINE = /^airlock-courier-key:v1:([0-9a-f]{64})\r?\n?$/;

/** Parses the one-line file `airlock-courier keygen --out FILE` writes. */
export function parseCourierKey(text: string): Uint8Array {
  const m = KEY_LINE.exec(text);
  if (m === null) throw vaultError("VAULT_BAD_COURIER_KEY", "this is not a courier public key file (expected one line airlock-courier-key:v1:<64 hex digits>)");
  const key = new Uint8Array(Buffer.from(m[1]!, "hex"));
  if (!isValidX25519PublicKey(key)) throw vaultError("VAULT_BAD_COURIER_KEY", "this courier public key is a low-order X25519 point: anything sealed to it would be readable by all");
  return key;
}

/** A courier key's fingerprint, as `couriers list` shows it: 16 hex digits of its id. */
export function courierFingerprint(keyHex: string): string {
  return keyHex.slice(0, 16);
}

/** The signing keys of the active admin devices: whose later enrollments a courier adopts on its own. */
function adminDevices(state: TeamState): Uint8Array[] {
  return [...state.devices.values()]
    .filter((d) => {
      const u = state.users.get(d.user);
      return d.active && u !== undefined && u.active && atLeast(u.role, "admin");
    })
    .map((d) => d.keys.sign)
    .sort((a, b) => Buffer.compare(a, b));
}

/**
 * The key ids generation `g` replaces as this vault's fold sees them: the generations before it
 * and every key of a `transport-key` entry the fold refused (a courier may have adopted one before
 * the refusal reached its admin). The courier adopts when the key it holds is among them; the
 * team's first key (generation 0, never in the log) every courier replaces on its own. Newest last,
 * at most MAX_SUPERSEDED.
 */
function supersededIds(vault: Pick<VaultContext, "entries">, state: TeamState, g: number): Uint8Array[] {
  const accepted = new Set(state.transport.map((t) => t.id));
  const out = new Map<string, Uint8Array>();
  const entries = vault.entries();
  for (const h of state.order) {
    const e = entries.get(h);
    if (e?.body.type !== "transport-key") continue;
    const id = hex(e.body.key);
    const at = state.transport.findIndex((t) => t.id === id) + 1;
    if ((state.rejected.has(h) && !accepted.has(id)) || (at >= 1 && at < g)) out.set(id, e.body.key);
  }
  return [...out.values()].slice(-MAX_SUPERSEDED);
}

/**
 * Whose later enrollments the courier adopts on its own: the active admin devices and the device
 * that enrolled it (review M1: a member's own courier follows a rotation through that member's
 * exports; the courier retires with that device anyway). At most MAX_ENROLLMENT_ADMINS.
 */
function trustedFor(state: TeamState, admins: readonly Uint8Array[], courier: string): Uint8Array[] {
  const out = [...admins];
  const author = state.couriers.get(courier)?.author;
  const enroller = author === undefined ? undefined : state.devices.get(author);
  if (enroller !== undefined && enroller.active && !out.some((k) => Buffer.compare(k, enroller.keys.sign) === 0)) out.push(enroller.keys.sign);
  return out.slice(0, MAX_ENROLLMENT_ADMINS);
}

/** An enrollment for the newest generation this vault holds, sealed to `courierPublicKey`. */
export function courierEnrollment(vault: VaultContext, courierPublicKey: Uint8Array, mailbox: string): Uint8Array {
  return sealEnrollments(vault, [courierPublicKey], mailbox)[0]!;
}

/**
 * Enrollments for several couriers: the key, its generation, what it supersedes and the admin
 * devices are read once per export, not once per courier; only the trusted list and the seal differ.
 */
function sealEnrollments(vault: VaultContext, couriers: readonly Uint8Array[], mailbox: string): Uint8Array[] {
  const state = vault.requireTeam();
  const tk = vault.transportKey();
  if (tk === undefined) throw vaultError("VAULT_NO_TEAM", "this vault has no transport key");
  const transportKey = tk.exportKey();
  try {
    const generation = generationOf(state, hex(transportKeyId(transportKey)));
    const supersedes = supersededIds(vault, state, generation);
    const admins = adminDevices(state);
    return couriers.map((courier) => {
      const body = encodePayload({
        kind: "courier-enrollment",
        team: state.team,
        teamName: state.name,
        transportKey,
        epochSeconds: tk.epochSeconds ?? DEFAULT_EPOCH_SECONDS,
        mailbox,
        generation,
        admins: trustedFor(state, admins, hex(courier)),
        supersedes,
      });
      try {
        return sealBundle(body, { recipients: [courier], sender: vault.deviceKey, mailboxTag: new Uint8Array(16) });
      } finally {
        wipe(body);
      }
    });
  } finally {
    wipe(transportKey);
    tk.wipe();
  }
}

function requireMember(vault: Vault, what: string): void {
  const { user, device } = vault.me();
  if (!user.active || !device.active) throw vaultError("VAULT_NOT_ALLOWED", `this device was removed from the team and cannot ${what}`);
}

/** `airlock courier-enroll`: records the courier in the team log (once; a retired key is refused) and returns its enrollment. */
export function enrollCourier(vault: Vault, courierPublicKey: Uint8Array, name: string | undefined, mailbox: string): { bytes: Uint8Array; courier: CourierState; entry: TeamEntry | undefined } {
  const state = vault.requireTeam();
  requireMember(vault, "enroll a courier");
  const key = hex(courierPublicKey);
  const known = state.couriers.get(key);
  if (known !== undefined && !courierActive(state, known)) throw vaultError("VAULT_NOT_ALLOWED", `courier ${known.name} was retired; a retired courier comes back only with a new key (airlock-courier keygen in a new home)`);
  let entry: TeamEntry | undefined;
  if (known === undefined) {
    const chosen = name ?? `courier-${courierFingerprint(key).slice(0, 8)}`;
    if (!COURIER_NAME.test(chosen)) throw vaultError("VAULT_BAD_ARGUMENT", `courier name "${chosen.slice(0, 80)}" must be lowercase letters, digits, dots, dashes or underscores (at most 64)`);
    if ([...state.couriers.values()].some((c) => courierActive(state, c) && c.name === chosen)) throw vaultError("VAULT_BAD_ARGUMENT", `a courier named "${chosen}" is already enrolled; choose another --name`);
    entry = vault.tx(() => vault.appendEntry({ type: "courier", name: chosen, key: courierPublicKey }));
  } else if (name !== undefined && name !== known.name) {
    throw vaultError("VAULT_BAD_ARGUMENT", `this courier is enrolled as "${known.name}"; its name stays`);
  }
  return { bytes: courierEnrollment(vault, courierPublicKey, mailbox), courier: vault.state().couriers.get(key)!, entry };
}

/**
 * `airlock couriers revoke NAME` (an admin, or the member who enrolled it; the fold judges): marks
 * it revoked; an admin vault's key repair then makes a new generation it never gets.
 */
export function revokeCourier(vault: Vault, ref: string): { courier: CourierState; generation: number } {
  const state = vault.requireTeam();
  requireMember(vault, "revoke a courier");
  const lower = ref.toLowerCase();
  const matches = [...state.couriers.values()].filter((c) => c.name === ref || (lower.length >= 4 && c.key.startsWith(lower)));
  const active = matches.filter((c) => courierActive(state, c));
  if (active.length > 1) throw vaultError("VAULT_AMBIGUOUS", `"${ref}" matches several couriers`);
  const c = active[0];
  if (c === undefined) throw vaultError(matches.length > 0 ? "VAULT_BAD_ARGUMENT" : "VAULT_NOT_FOUND", matches.length > 0 ? `courier ${matches[0]!.name} is already revoked` : `no courier "${ref}" (airlock couriers list)`);
  vault.tx(() => vault.appendEntry({ type: "revoke-courier", key: unhex(c.key) }));
  const after = vault.state();
  return { courier: after.couriers.get(c.key)!, generation: after.transport.length };
}

export interface CourierListing {
  readonly name: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly enrolledBy: string;
  readonly enrolledAt: number;
  /** The generation every admin vault now sends it (the newest), or, once revoked, the last it was sent. */
  readonly generation: number;
  /** Revoked, or retired with the device that enrolled it. */
  readonly revoked: boolean;
  readonly revokedAt?: number;
  /** Why it is no longer sent keys: "revoked", or "enroller left" (its enrolling device was revoked or its member removed). */
  readonly retired?: "revoked" | "enroller left";
}

/** `airlock couriers list`: every courier the log knows, in enrollment order. */
export function listCouriers(vault: Vault): CourierListing[] {
  const state = vault.requireTeam();
  const entries = vault.entries();
  const nameOf = (device: string): string => {
    const d = state.devices.get(device);
    return (d === undefined ? undefined : state.users.get(d.user)?.name) ?? device.slice(0, 12);
  };
  return [...state.couriers.values()].map((c) => {
    // Retired by its revocation, or by the entry that revoked its enrolling device or removed its member.
    const leaving = c.revoked ?? state.devices.get(c.author)?.losses.find((l) => /^(revoke-device|remove-member)$/.test(entries.get(l.entry)?.body.type ?? ""))?.entry;
    const revokedAt = leaving === undefined ? undefined : entries.get(leaving)?.time;
    // Once retired: the newest generation made before, the last one it could be sent.
    const generation = leaving === undefined ? state.transport.length : state.transport.filter((g) => vault.ancestorsOf([leaving])?.has(g.entry) === true).length;
    const active = courierActive(state, c);
    const retired = active ? {} : { retired: c.revoked === undefined ? ("enroller left" as const) : ("revoked" as const) };
    return { name: c.name, key: c.key, fingerprint: courierFingerprint(c.key), enrolledBy: nameOf(c.author), enrolledAt: c.time, generation, revoked: !active, ...(revokedAt === undefined ? {} : { revokedAt }), ...retired };
  });
}

/**
 * Fresh enrollments a vault's export carries once the team rotated its transport key: an admin's
 * one for every courier not revoked, a member's one for each courier it enrolled, for the newest
 * generation this vault holds. Couriers adopt one
 * for a later generation than theirs and ignore the rest, so sending them with every export costs
 * a few hundred bytes each and needs no bookkeeping of what reached whom.
 */
export function refreshEnrollments(vault: VaultContext): { bytes: Uint8Array; courier: string }[] {
  const state = vault.state();
  const me = state.devices.get(vault.deviceId);
  const user = me === undefined ? undefined : state.users.get(me.user);
  if (me === undefined || user === undefined || !me.active || !user.active || state.transport.length === 0) return [];
  // An admin's export serves every courier; a member's, the couriers it enrolled (they trust it, review M1).
  const admin = atLeast(user.role, "admin");
  const couriers = [...state.couriers.values()].filter((c) => courierActive(state, c) && (admin || c.author === vault.deviceId));
  if (couriers.length === 0) return [];
  const sealed = sealEnrollments(vault, couriers.map((c) => unhex(c.key)), "");
  return couriers.map((c, i) => ({ bytes: sealed[i]!, courier: c.name }));
}
