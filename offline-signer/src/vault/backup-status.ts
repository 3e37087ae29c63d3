/**
 * After `airlock restore` (backup-restore.ts): has this vault caught up with what its old device
 * wrote after the backup was taken? Until it has, revoking the old device from here would cut
 * its chain at the backup's point and refuse, on every vault, the edits it made after the backup
 * that teammates still hold (docs/team-model.md, "Every loss of a right cuts off by sequence
 * number"). Caught up means: every other active device has sent a bundle that knows of the
 * restore (its announced team log holds the restore's add-device entry, so it was written after
 * that device learned of it) and acknowledges no more of the old device's chain than this vault
 * holds. Then the old device's revocation, with this vault's head as its cutoff, loses nothing any
 * teammate holds (docs/sync.md, "Restoring a backup").
 */
import { ancestors } from "../team/state.js";
import { backupError } from "./backup-file.js";
import { hex, unhex } from "./hex.js";
import type { VaultContext } from "./context.js";

/** Meta key: what the restore did (RestoreRecord, JSON). */
export const META_RESTORE = "restore";

export interface RestoreRecord {
  /** The device the backup belonged to (hex), whose signing key the restore wiped. */
  readonly from: string;
  /** The new device (hex). */
  readonly device: string;
  /** The add-device entry that enrolled it (hex). */
  readonly entry: string;
  /** The old device's own chain as the backup held it. */
  readonly seq: number;
  /** When the backup was made and when it was restored (ms). */
  readonly backup: number;
  readonly at: number;
}

export function restoreRecord(vault: VaultContext): RestoreRecord | undefined {
  const raw = vault.storage.meta.get(META_RESTORE);
  return raw === undefined ? undefined : (JSON.parse(raw) as RestoreRecord);
}

export interface RestorePeer {
  readonly device: string;
  readonly name: string | undefined;
  /** It sent a bundle written after it learned of the restore. */
  readonly knowsRestore: boolean;
  /** How much of the old device's chain it acknowledged. */
  readonly acked: number;
}

export interface RestoreProgress {
  readonly from: string;
  /** The old device's chain this vault holds now (the backup's point, plus what came back). */
  readonly held: number;
  readonly backupSeq: number;
  readonly peers: readonly RestorePeer[];
  /** Revoking the old device from here now loses nothing any teammate holds. */
  readonly caughtUp: boolean;
  /** The old device is no longer active (revoked from here or elsewhere). */
  readonly revoked: boolean;
}

export function restoreProgress(vault: VaultContext): RestoreProgress | undefined {
  const record = restoreRecord(vault);
  if (record === undefined || vault.teamId === undefined) return undefined;
  const state = vault.state();
  const held = vault.storage.heads.seqOf(unhex(record.from)) ?? 0;
  const entries = vault.entries();
  const acks = vault.storage.acks;
  const ackedOld = new Map(acks.all().filter((a) => hex(a.device) === record.from).map((a) => [hex(a.peer), a.seq]));
  const peers: RestorePeer[] = [];
  for (const d of state.devices.values()) {
    if (!d.active || d.id === vault.deviceId || d.id === record.from) continue;
    const heads = acks.logHeads(unhex(d.id)).map(hex).filter((h) => entries.has(h));
    const knowsRestore = heads.length > 0 && (ancestors(entries, heads)?.has(record.entry) ?? false);
    const acked = ackedOld.get(d.id) ?? 0;
    peers.push({ device: d.id, name: state.users.get(d.user)?.name, knowsRestore, acked });
  }
  const revoked = state.devices.get(record.from)?.active !== true;
  const caughtUp = peers.every((p) => p.knowsRestore && p.acked <= held);
  return { from: record.from, held, backupSeq: record.seq, peers, caughtUp, revoked };
}

/**
 * Refuses to revoke the device this vault was restored from while teammates may hold more of its
 * chain than this vault does (the revocation's cutoff would refuse those edits everywhere).
 */
export function assertRevocable(vault: VaultContext, deviceHex: string): void {
  const p = restoreProgress(vault);
  if (p === undefined || p.from !== deviceHex || p.caughtUp) return;
  const waiting = p.peers.filter((x) => !x.knowsRestore || x.acked > p.held).map((x) => x.name ?? x.device.slice(0, 12));
  throw backupError(
    "BACKUP_RESTORE_PENDING",
    `this vault was restored from a backup of device ${deviceHex.slice(0, 12)} and holds its changes up to ${p.held}; revoking it now would refuse what it wrote after the backup. Not heard from since the restore: ${waiting.join(", ")}`,
  );
}

/** The status line about a restore still catching up (undefined once the old device is revoked). */
export function restoreAlert(vault: VaultContext): string | undefined {
  const p = restoreProgress(vault);
  if (p === undefined || p.revoked) return undefined;
  const short = p.from.slice(0, 12);
  if (p.caughtUp) return `restored from a backup of device ${short}: every teammate has caught up with it; revoke the old device now (airlock devices revoke ${short})`;
  const waiting = p.peers.filter((x) => !x.knowsRestore || x.acked > p.held).length;
  return `restored from a backup of device ${short} (held up to ${p.backupSeq}, now ${p.held}): waiting for ${waiting} teammate device(s) to export to this vault; then revoke the old device (airlock devices revoke ${short})`;
}
