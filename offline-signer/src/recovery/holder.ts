/**
 * A holder's side (docs/recovery.md, "Holding and releasing"): the shares sealed to this vault's
 * device in the team's recovery-set entries, and `airlock recovery release`, which seals one of
 * them — with the team log, the transport key and this vault's view of the lost member's device
 * chains — to the new laptop's request, after its fingerprint was confirmed (commands/recovery.ts).
 * Any member may release the team log alone, so cards plus one teammate are enough.
 */
import { isBundleError, openBundle, sealBundle, wipe } from "@airlock/bundle-format";
import { MAX_SEALED_SHARE } from "../team/entry.js";
import type { RecoverySet, TeamState, UserState } from "../team/state.js";
import { hex } from "../vault/hex.js";
import type { Vault } from "../vault/vault.js";
import { vaultError } from "../vault/errors.js";
import { checkCode, encodePiece, encodeRelease, parsePiece, parseRecoveryRequest, shareHash, type RecoveryRequest, type SharePiece } from "./codec.js";
import { recoveryError } from "./errors.js";

export type HeldStatus = "current" | "replaced" | "used" | "member removed";

export interface HeldShare {
  /** The member it recovers (hex) and their name. */
  readonly user: string;
  readonly name: string;
  readonly set: RecoverySet;
  readonly time: number;
  readonly check: string;
  readonly status: HeldStatus;
  readonly piece: SharePiece;
}

const NO_TAG = new Uint8Array(16);

function statusOf(state: TeamState, set: RecoverySet): HeldStatus {
  if (state.users.get(set.user)?.active !== true) return "member removed";
  if (set.spent !== undefined) return "used";
  return set.superseded ? "replaced" : "current";
}

/**
 * Every share sealed to this device by an accepted recovery set, checked against the set's
 * commitment (a share that does not match its set is not listed: its sealer would be lying to us).
 * The caller wipes `piece.share`.
 */
export function heldShares(vault: Vault): HeldShare[] {
  const state = vault.requireTeam();
  const out: HeldShare[] = [];
  for (const set of state.recoverySets.values()) {
    const entry = vault.entries().get(set.entry);
    if (entry === undefined || entry.body.type !== "recovery-set") continue;
    for (const sealed of entry.body.sealed) {
      let opened;
      try {
        opened = openBundle(sealed, { recipient: vault.encryptionKey, maxLength: MAX_SEALED_SHARE });
      } catch (e) {
        if (isBundleError(e)) continue; // another holder's, or damaged: nothing of ours
        throw e;
      }
      try {
        if (hex(opened.sender) !== hex(entry.author)) continue;
        const piece = parsePiece(opened.body);
        if (hex(piece.team) !== state.teamHex || hex(piece.set) !== set.id || !set.shares.includes(hex(shareHash(piece.set, piece.share)))) {
          wipe(piece.share);
          continue;
        }
        out.push({ user: set.user, name: state.users.get(set.user)?.name ?? set.user.slice(0, 8), set, time: entry.time, check: checkCode(piece.set, piece.share), status: statusOf(state, set), piece });
      } catch {
        continue; // a malformed piece from a member's modified client: not a share we hold
      } finally {
        wipe(opened.body);
      }
    }
  }
  return out;
}

export interface ReleaseResult {
  readonly request: RecoveryRequest;
  readonly user: UserState;
  readonly bytes: Uint8Array;
  /** The check code of the share it carries; undefined for a release of the team log alone. */
  readonly check: string | undefined;
  readonly set: string | undefined;
}

/** Seals this vault's share of `who`'s current set (or only the team log) to the request's device. */
export function releaseShare(vault: Vault, requestBytes: Uint8Array, who: string, options: { logOnly?: boolean } = {}): ReleaseResult {
  const state = vault.requireTeam();
  const request = parseRecoveryRequest(requestBytes);
  const me = vault.me();
  if (!me.device.active || !me.user.active) throw vaultError("VAULT_NOT_ALLOWED", "this device was removed from the team and cannot release anything");
  const user = vault.findUser(who);
  if (!user.active) throw recoveryError("RECOVERY_WRONG_MEMBER", `${user.name} is no longer a member: a recovery cannot bring them back`);
  if (user.id === me.user.id) throw recoveryError("RECOVERY_WRONG_MEMBER", "this is your own vault: a recovery is for a member whose laptop is gone");
  if (request.name.toLowerCase() !== user.name.toLowerCase()) throw recoveryError("RECOVERY_WRONG_MEMBER", `the request is from ${JSON.stringify(request.name)}'s new laptop, not ${JSON.stringify(user.name)}'s`);
  const known = state.devices.get(hex(request.sign));
  if (known !== undefined) throw recoveryError("RECOVERY_BAD_REQUEST", `this laptop is already in the team (device ${known.id.slice(0, 12)}, ${known.active ? "active" : "revoked"}): a recovery starts on a fresh vault`);
  const held = options.logOnly === true ? [] : heldShares(vault);
  const mine = held.find((h) => h.user === user.id && h.status === "current");
  for (const h of held) if (h !== mine) wipe(h.piece.share);
  const transport = vault.transportKey();
  if (transport === undefined) throw vaultError("VAULT_NO_TEAM", "this vault has no transport key");
  const key = transport.exportKey();
  transport.wipe();
  const piece = mine === undefined ? undefined : encodePiece(mine.piece);
  const seen = [...state.devices.values()].filter((d) => d.user === user.id).map((d) => ({ device: d.keys.sign, seq: vault.storage.heads.seqOf(d.keys.sign) ?? 0 }));
  const body = encodeRelease({
    team: state.team,
    user: Buffer.from(user.id, "hex"),
    for: request.sign,
    piece,
    log: state.order.map((h) => vault.entries().get(h)!.bytes),
    transport: key,
    seen,
    created: vault.now(),
  });
  try {
    const bytes = sealBundle(body, { recipients: [request.enc], sender: vault.deviceKey, mailboxTag: NO_TAG });
    return { request, user, bytes, check: mine?.check, set: mine?.set.id };
  } finally {
    wipe(body, key, piece, mine?.piece.share);
  }
}
