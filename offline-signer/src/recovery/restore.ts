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
import { ed25519KeyPair, ed25519Sign, isBundleError, openBundle, wipe } from "@airlock/bundle-format";
import { isAirlockError } from "@airlock/shared";
import { certifyDevice, decodeEntry, recoveryEnrolMessage, signEntry, type TeamEntry } from "../team/entry.js";
import { foldTeam, isReader, type RecoverySet, type TeamState, type UserState } from "../team/state.js";
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
  /** Union of the releases' logs. */
  readonly log: ReadonlyMap<string, TeamEntry>;
  readonly transport: { readonly key: Uint8Array; readonly sender: string; readonly rank: number } | undefined;
  /** Per device of the member (hex): the highest seq any accepted release saw. */
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
  const release = parseRelease(opened.body);
  if (hex(release.for) !== vault.deviceId) throw recoveryError("RECOVERY_BAD_BUNDLE", "written for another laptop's request");
  return { input, release, sender: hex(opened.sender) };
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
      verdicts.set(input, refused(input, e));
      return;
    }
    const check = checkCode(piece.set, piece.share);
    try {
      if (state === undefined) throw recoveryError("RECOVERY_NO_LOG", "cannot be checked: no teammate's release brought the team log");
      if (hex(piece.team) !== state.teamHex) throw recoveryError("RECOVERY_WRONG_TEAM", `share ${check} belongs to another team (${hex(piece.team).slice(0, 12)}), not ${JSON.stringify(state.name)}`);
      const set = state.recoverySets.get(hex(piece.set));
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
    if (transport === undefined || (admin && transport.rank === 0)) transport = { key: r.release.transport, sender: r.sender, rank: admin ? 1 : 0 };
  }
  const seen = new Map<string, number>();
  for (const r of releases) for (const s of r.release.seen) seen.set(hex(s.device), Math.max(seen.get(hex(s.device)) ?? 0, s.seq));
  return { verdicts: inputs.map((i) => verdicts.get(i)!), name, team, user, set: current, shares: [...shares.values()], log, transport, seen };
}

export interface Restored {
  readonly team: string;
  readonly teamName: string;
  readonly entry: string;
  /** Approvals the enrolment still needs (0: the device is in). */
  readonly waiting: number;
  readonly revoked: readonly { readonly device: string; readonly cutoff: number }[];
}

/** With k shares judged good: restores the identity, enrols this device, and (unless approvals are due) revokes the lost ones. */
export async function restoreFrom(vault: Vault, j: Judged): Promise<Restored> {
  if (j.team === undefined || j.user === undefined || j.transport === undefined) {
    throw recoveryError("RECOVERY_NO_LOG", "no teammate's release was accepted, so the team log is missing");
  }
  const set = j.set;
  if (set === undefined) throw recoveryError("RECOVERY_OLD_SET", `the team log holds no current recovery set of ${JSON.stringify(j.name)}`);
  if (j.shares.length < set.threshold) {
    throw recoveryError("RECOVERY_NOT_ENOUGH", `need ${set.threshold} shares of recovery set ${setLabel(unhex(set.id))}, have ${j.shares.length}`);
  }
  const secret = await combine(j.shares.slice(0, set.threshold).map((s) => s.slice()));
  const identity = ed25519KeyPair(secret.slice(0, 32));
  const recovery = ed25519KeyPair(secret.slice(32, SECRET_BYTES));
  wipe(secret, ...j.shares);
  try {
    if (hex(identity.publicKey) !== j.user || hex(recovery.publicKey) !== hex(set.key)) {
      throw recoveryError("RECOVERY_MISMATCH", `the ${set.threshold} shares combine into another key than ${JSON.stringify(j.name)}'s identity and the set's recovery key`);
    }
    const team = unhex(j.team);
    const device = certifyDevice(identity, vault.deviceKey.publicKey, vault.encryptionKey.publicKey);
    const sig = ed25519Sign(recovery.secretKey, recoveryEnrolMessage(team, unhex(set.id), device));
    const before = foldTeam(j.team, j.log);
    const entry = signEntry(vault.deviceKey, {
      team,
      parents: before.heads.map(unhex),
      time: vault.now(),
      body: { type: "add-device", user: identity.publicKey, device, grants: [], recovery: { set: unhex(set.id), sig } },
    });
    const log = new Map(j.log);
    log.set(entry.hashHex, entry);
    const after = foldTeam(j.team, log);
    const why = after.rejected.get(entry.hashHex);
    if (why !== undefined) throw vaultError("VAULT_NOT_ALLOWED", `the team log refuses this enrolment: ${why}`);
    const waiting = after.proposals.get(entry.hashHex);
    // Every other active device of the member is taken for lost: one recovers when every laptop is gone.
    const lost = [...after.devices.values()].filter((d) => d.user === j.user && d.active && d.id !== vault.deviceId).map((d) => ({ device: d.id, cutoff: j.seen.get(d.id) ?? 0 }));
    vault.tx(() => {
      vault.restoreIdentity(identity.secretKey, after.users.get(j.user!)!.name);
      vault.adoptTeam(j.team!, [...log.values()], j.transport!.key, j.transport!.rank, j.transport!.sender, waiting === undefined ? undefined : entry.hashHex);
      vault.storage.meta.set(META_FINISH, JSON.stringify({ entry: entry.hashHex, lost }));
      vault.storage.meta.delete(META_NAME);
    });
    if (waiting !== undefined) return { team: j.team, teamName: after.name, entry: entry.hashHex, waiting: after.approvalsRequired - waiting.approvers.size, revoked: [] };
    return { team: j.team, teamName: after.name, entry: entry.hashHex, waiting: 0, revoked: finishRecovery(vault).revoked };
  } finally {
    wipe(identity.secretKey, recovery.secretKey, j.transport.key);
  }
}

/**
 * Once this device is in the team: revokes the member's lost devices at the highest seq the
 * holders saw of each. A collection's fresh key is withheld from this device where another
 * admin reads it: that admin's key repair (vault/heal-grants.ts) then seals it the fresh key and
 * the history since the last compaction together, which this device could not get otherwise.
 */
export function finishRecovery(vault: Vault): { revoked: { device: string; cutoff: number }[] } {
  const raw = vault.storage.meta.get(META_FINISH);
  if (raw === undefined) throw recoveryError("RECOVERY_NOT_STARTED", "no recovery waits to be finished on this vault");
  const info = JSON.parse(raw) as { entry: string; lost: { device: string; cutoff: number }[] };
  const state = vault.requireTeam();
  const me = state.devices.get(vault.deviceId);
  if (me === undefined || !me.active) {
    const why = state.rejected.get(info.entry);
    if (why !== undefined) throw vaultError("VAULT_NOT_ALLOWED", `the team refused this recovery: ${why}`);
    const p = state.proposals.get(info.entry);
    const missing = p === undefined ? state.approvalsRequired : state.approvalsRequired - p.approvers.size;
    throw recoveryError("RECOVERY_WAITING", `this device's enrolment (${info.entry.slice(0, 12)}) waits for ${missing} more admin approval${missing === 1 ? "" : "s"}`);
  }
  const lost = new Set(info.lost.map((l) => l.device));
  const withhold = (collection: string): ReadonlySet<string> => {
    const s = vault.state();
    const c = s.collections.get(collection);
    const out = new Set([...lost]);
    const admins = [...s.devices.values()].filter((d) => d.id !== vault.deviceId && !lost.has(d.id) && c !== undefined && isReader(s, c, d.id) && ["admin", "owner"].includes(s.users.get(d.user)?.role ?? ""));
    if (admins.length > 0) out.add(vault.deviceId);
    return out;
  };
  const revoked: { device: string; cutoff: number }[] = [];
  for (const l of info.lost) {
    if (vault.state().devices.get(l.device)?.active !== true) continue;
    vault.revokeDevice(l.device, { cutoff: l.cutoff, withhold });
    lost.delete(l.device);
    revoked.push(l);
  }
  vault.tx(() => vault.storage.meta.delete(META_FINISH));
  return { revoked };
}
