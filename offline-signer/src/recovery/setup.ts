/**
 * `airlock recovery setup` (docs/recovery.md, "Setting up"): splits the member's identity seed
 * and a fresh recovery key's seed into n Shamir shares (any k restore both), seals one share to
 * each teammate holder's devices and returns the rest for paper cards. One `recovery-set` entry
 * carries the commitment — the hash of every share, the threshold, the set id and the recovery
 * public key, signed by the identity key — and the sealed shares, so holders receive theirs with
 * ordinary sync and every vault's fold knows the key a recovered device must prove it combined.
 * The recovery key's seed exists only inside the shares: it is wiped here and never stored.
 */
import { concatBytes, ed25519KeyPair, ed25519Sign, randomBytes, sealBundle, wipe } from "@airlock/bundle-format";
import { split } from "shamir-secret-sharing";
import { MAX_RECOVERY_SHARES, recoverySetMessage, type TeamEntry } from "../team/entry.js";
import type { DeviceState, UserState } from "../team/state.js";
import { vaultError } from "../vault/errors.js";
import { hex } from "../vault/hex.js";
import type { Vault } from "../vault/vault.js";
import { SET_ID_BYTES, checkCode, encodePiece, shareHash, type SharePiece } from "./codec.js";
import { recoveryError } from "./errors.js";

export interface SetupOptions {
  readonly threshold: number;
  /** Teammates (names or id prefixes) who each hold one share in their vaults. */
  readonly holders: readonly string[];
  /** Shares printed on paper cards. */
  readonly paper: number;
  /**
   * Writes the paper cards out, before the set is committed: if it throws, the set is not
   * appended and the working set stays the newest (a set whose cards were not written could leave
   * fewer than k shares in existence).
   */
  readonly writePaper?: ((paper: readonly PaperShare[], set: Uint8Array, threshold: number, total: number) => void) | undefined;
}

export interface PaperShare {
  /** 1-based among the paper shares. */
  readonly index: number;
  readonly piece: SharePiece;
  readonly bytes: Uint8Array;
  readonly check: string;
}

export interface SetupResult {
  readonly entry: TeamEntry;
  readonly set: Uint8Array;
  readonly threshold: number;
  readonly total: number;
  readonly holders: readonly { readonly name: string; readonly devices: number; readonly check: string }[];
  /** The caller writes them out (card-png.ts) and wipes `piece.share` and `bytes`. */
  readonly paper: readonly PaperShare[];
}

const NO_TAG = new Uint8Array(16);

function holdersOf(vault: Vault, refs: readonly string[], me: UserState): { user: UserState; devices: DeviceState[] }[] {
  const state = vault.state();
  const out: { user: UserState; devices: DeviceState[] }[] = [];
  for (const ref of refs) {
    const user = vault.findUser(ref);
    if (user.id === me.id) throw recoveryError("RECOVERY_SETUP", "you cannot hold a share of your own recovery: the laptop it protects is the one that may be lost");
    if (!user.active) throw recoveryError("RECOVERY_SETUP", `${user.name} is no longer a member`);
    if (out.some((h) => h.user.id === user.id)) throw recoveryError("RECOVERY_SETUP", `${user.name} is named twice: each holder holds one share`);
    const devices = [...state.devices.values()].filter((d) => d.user === user.id && d.active);
    if (devices.length === 0) throw recoveryError("RECOVERY_SETUP", `${user.name} has no active device to hold a share`);
    out.push({ user, devices });
  }
  return out;
}

export async function setupRecovery(vault: Vault, options: SetupOptions): Promise<SetupResult> {
  const state = vault.requireTeam();
  const me = vault.me();
  if (!me.device.active || !me.user.active) throw vaultError("VAULT_NOT_ALLOWED", "this device was removed from the team and cannot set up recovery");
  const { threshold, paper } = options;
  const holders = holdersOf(vault, options.holders, me.user);
  const total = holders.length + paper;
  if (!Number.isSafeInteger(paper) || paper < 0) throw recoveryError("RECOVERY_SETUP", `--paper must be 0 or more, got ${paper}`);
  if (!Number.isSafeInteger(threshold) || threshold < 2) throw recoveryError("RECOVERY_SETUP", `the threshold must be at least 2 (one share alone must reveal nothing), got ${threshold}`);
  if (total > MAX_RECOVERY_SHARES) throw recoveryError("RECOVERY_SETUP", `${total} shares is more than the ${MAX_RECOVERY_SHARES} a set may have`);
  if (total < threshold) throw recoveryError("RECOVERY_SETUP", `${total} share${total === 1 ? "" : "s"} (${holders.length} holders, ${paper} on paper) cannot meet a threshold of ${threshold}`);
  const identity = vault.identitySeed();
  if (identity === undefined) throw vaultError("VAULT_NO_IDENTITY", "this device does not hold your identity key, so it cannot split it");
  const recovery = ed25519KeyPair();
  let secret: Uint8Array | undefined;
  let shares: Uint8Array[] = [];
  try {
    const identityKey = ed25519KeyPair(identity);
    if (hex(identityKey.publicKey) !== me.user.id) throw vaultError("VAULT_NO_IDENTITY", "the identity key held here is not yours in the team log");
    secret = concatBytes(identity, recovery.secretKey);
    shares = await split(secret, total, threshold);
    const set = randomBytes(SET_ID_BYTES);
    const hashes = shares.map((s) => shareHash(set, s)).sort((a, b) => Buffer.compare(a, b));
    const user = identityKey.publicKey;
    const sig = ed25519Sign(identity, recoverySetMessage(state.team, user, { set, threshold, key: recovery.publicKey, shares: hashes }));
    const piece = (share: Uint8Array): SharePiece => ({ team: state.team, set, share });
    // Sealed like key grants (anonymous slots): other members see how many teammates hold a share, not who.
    const sealed = holders.map((h, i) => {
      const body = encodePiece(piece(shares[i]!));
      try {
        return sealBundle(body, { recipients: h.devices.map((d) => d.keys.enc), sender: vault.deviceKey, mailboxTag: NO_TAG });
      } finally {
        wipe(body);
      }
    });
    sealed.sort((a, b) => Buffer.compare(a, b));
    const papers = shares.slice(holders.length).map((share, i) => {
      const p = piece(share.slice());
      return { index: i + 1, piece: p, bytes: encodePiece(p), check: checkCode(set, share) };
    });
    let entry: TeamEntry;
    try {
      options.writePaper?.(papers, set, threshold, total);
      entry = vault.tx(() => vault.appendEntry({ type: "recovery-set", set, threshold, key: recovery.publicKey, shares: hashes, sealed, sig }));
    } catch (e) {
      for (const p of papers) wipe(p.bytes, p.piece.share);
      throw e;
    }
    return {
      entry,
      set,
      threshold,
      total,
      holders: holders.map((h, i) => ({ name: h.user.name, devices: h.devices.length, check: checkCode(set, shares[i]!) })),
      paper: papers,
    };
  } finally {
    wipe(identity, recovery.secretKey, secret, ...shares);
  }
}
