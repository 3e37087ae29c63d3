/**
 * The new laptop's side (docs/recovery.md, "Recovering"): `recover start` makes a request,
 * `recover add` judges releases and paper cards, and with k shares of the member's current set
 * combines them, restores the identity, enrols this device with an add-device entry it signs
 * itself (docs/team-model.md, "Recovery enrolment") and revokes the lost devices at the highest
 * seq of them the holders saw. Where the team asks for approvals the enrolment waits for them
 * and `recover finish` revokes afterwards.
 *
 * Judging happens before anything is stored: every input gets a verdict naming what it is (a
 * share of this set, a duplicate, a forged or damaged share, another team's or another member's,
 * a share of an older set), and the vault changes only in one transaction once k shares are in.
 */
import { combine } from "shamir-secret-sharing";
import { ed25519KeyPair, ed25519Sign, isBundleError, openBundle, randomBytes, wipe, type KeyPair } from "@airlock/bundle-format";
import { isAirlockError } from "@airlock/shared";
import { certifyDevice, decodeEntry, recoveryEnrolMessage, signEntry, type TeamEntry } from "../team/entry.js";
import { atLeast } from "../team/entry.js";
import { foldTeam, readerDevices, recoverySetKey, type DeviceState, type RecoverySet, type TeamState, type UserState } from "../team/state.js";
import { sealGrant } from "../vault/grants.js";
import { vaultError } from "../vault/errors.js";
import { hex, unhex } from "../vault/hex.js";
import { checkName } from "../vault/names.js";
import type { Vault } from "../vault/vault.js";
import { MAX_RELEASE_BYTES, SECRET_BYTES, checkCode, makeRecoveryRequest, parsePiece, parseRelease, setLabel, shareHash, type RecoveryRequest, type Release, type SharePiece } from "./codec.js";
import { recoveryError } from "./errors.js";

const META_NAME = "recovery.name";
const META_FINISH = "recovery.finish";

export interface RecoveryInput {
  readonly source: string;
  /** A holder's release (a sealed bundle file) or the bytes a paper card's QR code held. */
  readonly kind: "release" | "card";
  readonly bytes: Uint8Array;
}

export interface Verdict {
  readonly source: string;
  readonly kind: "release" | "card";
  /** share: counted; duplicate: the same share again, counted once; log: a release without a share; refused: see code. */
  readonly status: "share" | "duplicate" | "log" | "refused";
  readonly code?: string;
  readonly reason?: string;
  readonly check?: string;
}

/** `airlock recover start NAME`: this fresh vault's request, to carry to the holders. */
export function startRecovery(vault: Vault, name: string): RecoveryRequest {
  if (vault.teamId !== undefined) throw vaultError("VAULT_HAS_TEAM", `this vault already belongs to team ${vault.state().name}; recover on a fresh vault (another --home)`);
  checkName(name, "name");
  const meta = vault.storage.meta;
  const earlier = meta.get(META_NAME);
  if (earlier !== undefined && earlier !== name) throw recoveryError("RECOVERY_WRONG_MEMBER", `this vault is recovering ${JSON.stringify(earlier)}; use another --home to recover someone else`);
  if (earlier === undefined) vault.tx(() => meta.set(META_NAME, name));
  return makeRecoveryRequest(name, vault.deviceKey, vault.encryptionKey.publicKey, vault.now());
}

/** What the inputs add up to, before anything is stored. */
export interface Judged {
  readonly verdicts: readonly Verdict[];
  readonly name: string;
  readonly team: string | undefined;
  readonly user: string | undefined;
  readonly set: RecoverySet | undefined;
  /** Distinct shares of the member's current set. */
  readonly shares: readonly Uint8Array[];
  /** Union of the releases' logs, and its fold (undefined without a release). */
  readonly log: ReadonlyMap<string, TeamEntry>;
  readonly state: TeamState | undefined;
  readonly transport: { readonly key: Uint8Array; readonly sender: string; readonly rank: number } | undefined;
  /** Per device of the member (hex): the revocation cutoff, from what the releasers saw (see cutoffsFrom). */
  readonly seen: ReadonlyMap<string, number>;
}

interface OpenedRelease {
  readonly input: RecoveryInput;
  readonly release: Release;
  readonly sender: string;
}

const refused = (input: RecoveryInput, e: unknown, check?: string): Verdict => ({
  source: input.source,
  kind: input.kind,
  status: "refused",
  code: isAirlockError(e) ? e.code : "RECOVERY_BAD_BUNDLE",
  reason: (e as Error).message,
  ...(check === undefined ? {} : { check }),
});

function openRelease(vault: Vault, input: RecoveryInput): OpenedRelease {
  let opened;
  try {
    opened = openBundle(input.bytes, { recipient: vault.encryptionKey, maxLength: MAX_RELEASE_BYTES });
  } catch (e) {
    if (isBundleError(e) && e.code === "BUNDLE_NOT_FOR_ME") throw recoveryError("RECOVERY_BAD_BUNDLE", "not sealed to this laptop: a release for another request, or not a release at all");
    if (isBundleError(e)) throw recoveryError("RECOVERY_BAD_BUNDLE", `damaged or forged (${e.message})`, e);
    throw e;
  }
  try {
    const release = parseRelease(opened.body);
    if (hex(release.for) !== vault.deviceId) {
      wipeRelease(release);
      throw recoveryError("RECOVERY_BAD_BUNDLE", "written for another laptop's request");
    }
    return { input, release, sender: hex(opened.sender) };
  } finally {
    wipe(opened.body); // it held the piece and the transport key; parseRelease copied what it keeps
  }
}

function wipeRelease(r: Release): void {
  if (r.piece !== undefined) wipe(r.piece);
  wipe(r.transport);
}

/**
 * The cutoff of each lost device (docs/decisions.md #50, "after review"): the highest seq a
 * share-carrying release saw — the holders are people the member chose and trusted with the
 * identity. A log-only release (any member may write one) counts only when no holder's release
 * came, and then the lowest such value: it can lower a cutoff, never raise it alone. The new
 * vault cannot check these numbers (releases carry no changesets), which is why who reports them
 * is bounded instead.
 */
function cutoffsFrom(releases: readonly OpenedRelease[]): Map<string, number> {
  const holders = releases.filter((r) => r.release.piece !== undefined);
  const out = new Map<string, number>();
  if (holders.length > 0) {
    for (const r of holders) for (const s of r.release.seen) out.set(hex(s.device), Math.max(out.get(hex(s.device)) ?? 0, s.seq));
    return out;
  }
  for (const r of releases) {
    const mine = new Map(r.release.seen.map((s) => [hex(s.device), s.seq]));
    for (const d of new Set([...out.keys(), ...mine.keys()])) out.set(d, Math.min(out.get(d) ?? Infinity, mine.get(d) ?? 0));
  }
  return out;
}

function memberNamed(state: TeamState, user: string, name: string): UserState {
  const u = state.users.get(user);
  if (u === undefined || !u.active) throw recoveryError("RECOVERY_WRONG_MEMBER", "releases a share for someone who is not a member of its team");
  if (u.name.toLowerCase() !== name.toLowerCase()) throw recoveryError("RECOVERY_WRONG_MEMBER", `releases a share for ${JSON.stringify(u.name)}, but this laptop recovers ${JSON.stringify(name)}`);
  return u;
}

function activeSender(state: TeamState, sender: string): UserState {
  const d = state.devices.get(sender);
  const u = d === undefined ? undefined : state.users.get(d.user);
  if (d === undefined || u === undefined || !d.active || !u.active) throw recoveryError("RECOVERY_BAD_BUNDLE", "written by a device that is not an active member's in its own team log");
  return u;
}

/**
 * Judges every input: releases first (they bring the team log every share is checked against),
 * then each share against the commitment of the member's recovery set in that log.
 */
export function judgeInputs(vault: Vault, inputs: readonly RecoveryInput[]): Judged {
  const name = vault.storage.meta.get(META_NAME);
  if (name === undefined) throw recoveryError("RECOVERY_NOT_STARTED", "no recovery was started on this vault");
  if (vault.teamId !== undefined) throw vaultError("VAULT_HAS_TEAM", `this vault is already in team ${vault.state().name}${vault.storage.meta.get(META_FINISH) === undefined ? "" : "; run `airlock recover finish`"}`);
  const verdicts = new Map<RecoveryInput, Verdict>();
  const accepted: OpenedRelease[] = [];
  let team: string | undefined;
  let user: string | undefined;
  const log = new Map<string, TeamEntry>();
  for (const input of inputs.filter((i) => i.kind === "release")) {
    try {
      const r = openRelease(vault, input);
      const t = hex(r.release.team);
      if (team !== undefined && t !== team) throw recoveryError("RECOVERY_WRONG_TEAM", `belongs to team ${t.slice(0, 12)}, not team ${team.slice(0, 12)} which the first release restores`);
      const own = new Map<string, TeamEntry>();
      for (const bytes of r.release.log) {
        try {
          const e = decodeEntry(bytes);
          if (e.team === undefined ? e.hashHex === t : hex(e.team) === t) own.set(e.hashHex, e);
        } catch {
          // a bad entry is judged by nobody: the fold never sees it
        }
      }
      if (!own.has(t)) throw recoveryError("RECOVERY_BAD_BUNDLE", "its team log has no genesis for its team");
      const state = foldTeam(t, own);
      activeSender(state, r.sender);
      const u = hex(r.release.user);
      if (user !== undefined && u !== user) throw recoveryError("RECOVERY_WRONG_MEMBER", "releases a share for another member than the first release");
      memberNamed(state, u, name);
      team = t;
      user = u;
      for (const [h, e] of own) log.set(h, e);
      accepted.push(r);
    } catch (e) {
      if (!isAirlockError(e)) throw e;
      verdicts.set(input, refused(input, e));
    }
  }
  const state = team === undefined ? undefined : foldTeam(team, log);
  // The union of the logs may know more (a holder removed since): judged again on it.
  const releases = accepted.filter((r) => {
    try {
      activeSender(state!, r.sender);
      memberNamed(state!, user!, name);
      return true;
    } catch (e) {
      verdicts.set(r.input, refused(r.input, e));
      return false;
    }
  });
  const sets = state === undefined ? [] : [...state.recoverySets.values()].filter((s) => s.user === user);
  const current = sets.find((s) => !s.superseded);
  const shares = new Map<string, Uint8Array>();
  const judgePiece = (input: RecoveryInput, bytes: Uint8Array, what: "release" | "card"): void => {
    let piece: SharePiece;
    try {
      piece = parsePiece(bytes);
    } catch (e) {
      // Inside a release the piece is the holder's to write again, not a card to scan again.
      verdicts.set(input, refused(input, what === "release" && isAirlockError(e) ? recoveryError("RECOVERY_BAD_BUNDLE", `its share is damaged (${e.message})`, e) : e));
      return;
    }
    const check = checkCode(piece.set, piece.share);
    try {
      if (state === undefined) throw recoveryError("RECOVERY_NO_LOG", "cannot be checked: no teammate's release brought the team log");
      if (hex(piece.team) !== state.teamHex) throw recoveryError("RECOVERY_WRONG_TEAM", `share ${check} belongs to another team (${hex(piece.team).slice(0, 12)}), not ${JSON.stringify(state.name)}`);
      // Sets are the member's own: a set id another member used too names their set, not this one.
      const set = state.recoverySets.get(recoverySetKey(user!, piece.set)) ?? [...state.recoverySets.values()].find((s) => s.id === hex(piece.set));
      if (set === undefined) throw recoveryError("RECOVERY_FORGED_SHARE", `share ${check} names a recovery set (${setLabel(piece.set)}) that team ${JSON.stringify(state.name)} never had: forged`);
      if (set.user !== user) throw recoveryError("RECOVERY_WRONG_MEMBER", `share ${check} is a share of ${JSON.stringify(state.users.get(set.user)?.name ?? "another member")}'s recovery, not ${JSON.stringify(name)}'s`);
      const h = hex(shareHash(piece.set, piece.share));
      if (!set.shares.includes(h)) throw recoveryError("RECOVERY_FORGED_SHARE", `share ${check} (${input.source}) is not one of the ${set.shares.length} shares recovery set ${setLabel(piece.set)} committed to: forged or damaged`);
      if (set.spent !== undefined) throw recoveryError("RECOVERY_SET_USED", `share ${check} is of recovery set ${setLabel(piece.set)}, which already enrolled a device`);
      if (set !== current) throw recoveryError("RECOVERY_OLD_SET", `share ${check} is of recovery set ${setLabel(piece.set)}, which ${JSON.stringify(name)} replaced with a newer one`);
      const duplicate = shares.has(h);
      if (!duplicate) shares.set(h, piece.share);
      else wipe(piece.share);
      verdicts.set(input, { source: input.source, kind: what, status: duplicate ? "duplicate" : "share", check });
    } catch (e) {
      wipe(piece.share);
      if (!isAirlockError(e)) throw e;
      verdicts.set(input, refused(input, e, check));
    }
  };
  for (const r of releases) {
    if (r.release.piece === undefined) verdicts.set(r.input, { source: r.input.source, kind: "release", status: "log" });
    else judgePiece(r.input, r.release.piece, "release");
  }
  for (const input of inputs.filter((i) => i.kind === "card")) judgePiece(input, input.bytes, "card");
  // The transport key from an admin's release if there is one (docs/team-model.md, I7), else from any holder's.
  let transport: Judged["transport"];
  for (const r of releases) {
    const admin = state !== undefined && ["admin", "owner"].includes(activeSender(state, r.sender).role);
    if (transport === undefined || (admin && transport.rank === 0)) transport = { key: r.release.transport.slice(), sender: r.sender, rank: admin ? 1 : 0 };
  }
  const seen = cutoffsFrom(releases);
  for (const r of accepted) wipeRelease(r.release); // the transport key was copied out below before this runs
  return { verdicts: inputs.map((i) => verdicts.get(i)!), name, team, user, set: current, shares: [...shares.values()], log, state, transport, seen };
}

export interface Restored {
  readonly team: string;
  readonly teamName: string;
  readonly entry: string;
  /** Approvals the enrolment still needs (0: the device is in). */
  readonly waiting: number;
  readonly revoked: readonly { readonly device: string; readonly cutoff: number }[];
  /** Collections no other admin reads: this device gets their fresh key only, never their history (docs/recovery.md, "Limits"). */
  readonly withoutHistory: readonly string[];
}

/** With k shares judged good: restores the identity and enrols this device, which revokes the lost ones in the same entry. */
export async function restoreFrom(vault: Vault, j: Judged): Promise<Restored> {
  try {
    if (j.team === undefined || j.user === undefined || j.state === undefined || j.transport === undefined) {
      throw recoveryError("RECOVERY_NO_LOG", "no teammate's release was accepted, so the team log is missing");
    }
    const set = j.set;
    if (set === undefined) throw recoveryError("RECOVERY_OLD_SET", `the team log holds no current recovery set of ${JSON.stringify(j.name)}`);
    if (j.shares.length < set.threshold) {
      throw recoveryError("RECOVERY_NOT_ENOUGH", `need ${set.threshold} shares of recovery set ${setLabel(unhex(set.id))}, have ${j.shares.length}`);
    }
    const parts = j.shares.slice(0, set.threshold).map((s) => s.slice());
    let secret: Uint8Array;
    try {
      secret = await combine(parts);
    } finally {
      wipe(...parts);
    }
    const idSeed = secret.slice(0, 32);
    const recSeed = secret.slice(32, SECRET_BYTES);
    wipe(secret);
    const identity = ed25519KeyPair(idSeed);
    const recovery = ed25519KeyPair(recSeed);
    try {
      return enrol(vault, j as Accepted, set, identity, recovery);
    } finally {
      wipe(identity.secretKey, recovery.secretKey, idSeed, recSeed);
    }
  } finally {
    wipe(...j.shares);
    if (j.transport !== undefined) wipe(j.transport.key);
  }
}

type Accepted = Judged & { team: string; user: string; state: TeamState; transport: NonNullable<Judged["transport"]> };

function enrol(vault: Vault, j: Accepted, set: RecoverySet, identity: KeyPair, recovery: KeyPair): Restored {
  if (hex(identity.publicKey) !== j.user || hex(recovery.publicKey) !== hex(set.key)) {
    throw recoveryError("RECOVERY_MISMATCH", `the ${set.threshold} shares combine into another key than ${JSON.stringify(j.name)}'s identity and the set's recovery key`);
  }
  const team = unhex(j.team);
  const device = certifyDevice(identity, vault.deviceKey.publicKey, vault.encryptionKey.publicKey);
  const sig = ed25519Sign(recovery.secretKey, recoveryEnrolMessage(team, unhex(set.id), device));
  const before = j.state;
  // Every other active device of the member is taken for lost: one recovers when every laptop is
  // gone. The enrolment itself revokes them (docs/recovery.md), at the cutoffs the releasers saw.
  const lost = [...before.devices.values()].filter((d) => d.user === j.user && d.active);
  const cutoffs = lost.map((d) => ({ device: d.keys.sign, seq: j.seen.get(d.id) ?? 0 }));
  const self: DeviceState = { id: vault.deviceId, keys: device, user: j.user, active: true, cutoff: undefined, losses: [] };
  const withoutHistory: string[] = [];
  const entry = signEntry(vault.deviceKey, {
    team,
    parents: before.heads.map(unhex),
    time: vault.now(),
    body: { type: "add-device", user: identity.publicKey, device, grants: rekeysFor(vault, before, j.user, lost, self, withoutHistory), recovery: { set: unhex(set.id), sig, cutoffs } },
  });
  const log = new Map(j.log);
  log.set(entry.hashHex, entry);
  const after = foldTeam(j.team, log);
  const why = after.rejected.get(entry.hashHex);
  if (why !== undefined) throw vaultError("VAULT_NOT_ALLOWED", `the team log refuses this enrolment: ${why}`);
  const waiting = after.proposals.get(entry.hashHex);
  vault.tx(() => {
    vault.restoreIdentity(identity.secretKey, after.users.get(j.user)!.name);
    vault.adoptTeam(j.team, [...log.values()], j.transport.key, j.transport.rank, j.transport.sender, waiting === undefined ? undefined : entry.hashHex);
    vault.storage.meta.set(META_FINISH, JSON.stringify({ entry: entry.hashHex }));
    vault.storage.meta.delete(META_NAME);
  });
  if (waiting !== undefined) return { team: j.team, teamName: after.name, entry: entry.hashHex, waiting: after.approvalsRequired - waiting.approvers.size, revoked: [], withoutHistory };
  return { team: j.team, teamName: after.name, entry: entry.hashHex, waiting: 0, revoked: finishRecovery(vault).revoked, withoutHistory };
}

/**
 * Fresh keys for every collection a lost device reads, sealed to its other readers. This device
 * is left out where another admin reads the collection: that admin's key repair
 * (vault/heal-grants.ts) then seals it the fresh key and the history since the last compaction
 * together, which it could not get otherwise. Where no other admin reads it, it gets the fresh
 * key alone and no history (docs/recovery.md, "Limits").
 */
function rekeysFor(vault: Vault, state: TeamState, user: string, lost: readonly DeviceState[], self: DeviceState, withoutHistory: string[]): ReturnType<typeof sealGrant>[] {
  const role = state.users.get(user)?.role;
  const gone = new Set(lost.map((d) => d.id));
  const out: ReturnType<typeof sealGrant>[] = [];
  for (const c of state.collections.values()) {
    if (role === undefined || !atLeast(role, c.read) || c.keys.length === 0) continue;
    const readers = readerDevices(state, c.id);
    const keep = readers.filter((d) => !gone.has(d.id));
    if (keep.length === readers.length) continue;
    const admin = keep.some((d) => ["admin", "owner"].includes(state.users.get(d.user)?.role ?? ""));
    const to = admin ? keep : [...keep, self];
    if (!admin) withoutHistory.push(c.id);
    if (to.length === 0) continue;
    const fresh = randomBytes(32);
    out.push(sealGrant(vault.deviceKey, c.id, [fresh], to));
    wipe(fresh);
  }
  return out;
}

/**
 * Once this device's enrolment took effect (at once, or when admins approved it): the lost
 * devices were revoked by that very entry, in the fold; this reports them and ends the recovery.
 */
export function finishRecovery(vault: Vault): { revoked: { device: string; cutoff: number }[] } {
  const raw = vault.storage.meta.get(META_FINISH);
  if (raw === undefined) throw recoveryError("RECOVERY_NOT_STARTED", "no recovery waits to be finished on this vault");
  const info = JSON.parse(raw) as { entry: string };
  const state = vault.requireTeam();
  const me = state.devices.get(vault.deviceId);
  if (me === undefined || !me.active) {
    const why = state.rejected.get(info.entry);
    if (why !== undefined) throw vaultError("VAULT_NOT_ALLOWED", `the team refused this recovery: ${why}`);
    const p = state.proposals.get(info.entry);
    const missing = p === undefined ? state.approvalsRequired : state.approvalsRequired - p.approvers.size;
    throw recoveryError("RECOVERY_WAITING", `this device's enrolment (${info.entry.slice(0, 12)}) waits for ${missing} more admin approval${missing === 1 ? "" : "s"}`);
  }
  const revoked: { device: string; cutoff: number }[] = [];
  for (const d of state.devices.values()) {
    const loss = d.losses.find((l) => l.entry === info.entry);
    if (loss !== undefined && d.id !== vault.deviceId) revoked.push({ device: d.id, cutoff: loss.seq });
  }
  vault.tx(() => vault.storage.meta.delete(META_FINISH));
  return { revoked };
}
