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
 *
 * A vault restored from a backup of a restored vault keeps every restore's record: each old
 * device is gated on its own. And the two ways a restore goes wrong are said loudly: the team
 * refused the restore's add-device entry (its old device had been revoked first: decision #49),
 * seen here as this device missing from the team, and, on a teammate's vault, such a refused entry.
 */
import { ancestors } from "../team/state.js";
import { backupError } from "./backup-file.js";
import { hex, unhex } from "./hex.js";
import type { VaultContext } from "./context.js";
import type { Vault } from "./vault.js";

/**
 * A vault whose join request was not admitted yet (no welcome imported) is neither backed up nor
 * restored: its device is the request's, and the device admitted meanwhile may have written, so
 * the restored vault's next write would reuse a number (BACKUP_NOT_ADMITTED).
 */
export function refusePendingJoin(vault: Pick<Vault, "teamId" | "identitySeed">, message: string): void {
  if (vault.teamId !== undefined) return;
  const identity = vault.identitySeed();
  if (identity === undefined) return;
  identity.fill(0);
  throw backupError("BACKUP_NOT_ADMITTED", message);
}

/** Meta key: what the restores did (RestoreRecord[], JSON; one object before several were kept). */
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

/** Every restore this vault's lineage went through, oldest first. */
export function restoreRecords(vault: Pick<VaultContext, "storage">): RestoreRecord[] {
  const raw = vault.storage.meta.get(META_RESTORE);
  if (raw === undefined) return [];
  const doc = JSON.parse(raw) as RestoreRecord | RestoreRecord[];
  return Array.isArray(doc) ? doc : [doc];
}

/** Adds a restore's record to the list (inside the restore's transaction). */
export function addRestoreRecord(vault: Pick<VaultContext, "storage">, record: RestoreRecord): void {
  vault.storage.meta.set(META_RESTORE, JSON.stringify([...restoreRecords(vault), record]));
}

export interface RestorePeer {
  readonly device: string;
  readonly name: string | undefined;
  /** A device of this vault's own user (one they can revoke from here). */
  readonly mine: boolean;
  /** It sent a bundle written after it learned of the restore. */
  readonly knowsRestore: boolean;
  /** How much of the old device's chain it acknowledged. */
  readonly acked: number;
}

export interface RestoreProgress {
  readonly from: string;
  /** The restore's add-device entry (hex). */
  readonly entry: string;
  /** The old device's chain this vault holds now (the backup's point, plus what came back). */
  readonly held: number;
  readonly backupSeq: number;
  readonly peers: readonly RestorePeer[];
  /** The peers it still waits for. */
  readonly waiting: readonly RestorePeer[];
  /** Revoking the old device from here now loses nothing any teammate holds. */
  readonly caughtUp: boolean;
  /** The old device is no longer active (revoked from here or elsewhere). */
  readonly revoked: boolean;
}

/** The progress of every restore whose old device is still in the team's log, oldest first. */
export function restoresProgress(vault: VaultContext): RestoreProgress[] {
  const records = restoreRecords(vault);
  if (records.length === 0 || vault.teamId === undefined) return [];
  const state = vault.state();
  const mine = state.devices.get(vault.deviceId)?.user;
  // Earlier laptops of this lineage are lost: none of them will ever export again.
  const lost = new Set(records.map((r) => r.from));
  const entries = vault.entries();
  const acks = vault.storage.acks;
  const all = acks.all();
  // What each teammate's last bundle knew of the team log: the same for every restore.
  const others = [...state.devices.values()]
    .filter((d) => d.active && d.id !== vault.deviceId && !lost.has(d.id))
    .map((d) => {
      const heads = acks.logHeads(unhex(d.id)).map(hex).filter((h) => entries.has(h));
      return { d, known: heads.length === 0 ? undefined : ancestors(entries, heads) };
    });
  return records
    .filter((r) => state.devices.has(r.from))
    .map((record) => {
      const held = vault.storage.heads.seqOf(unhex(record.from)) ?? 0;
      const ackedOld = new Map(all.filter((a) => hex(a.device) === record.from).map((a) => [hex(a.peer), a.seq]));
      const peers: RestorePeer[] = others.map(({ d, known }) => ({ device: d.id, name: state.users.get(d.user)?.name, mine: d.user === mine, knowsRestore: known?.has(record.entry) ?? false, acked: ackedOld.get(d.id) ?? 0 }));
      const waiting = peers.filter((p) => !p.knowsRestore || p.acked > held);
      const revoked = state.devices.get(record.from)?.active !== true;
      return { from: record.from, entry: record.entry, held, backupSeq: record.seq, peers, waiting, caughtUp: waiting.length === 0, revoked };
    });
}

/** The newest restore's progress (undefined when there is none, or its old device is not in the log). */
export function restoreProgress(vault: VaultContext): RestoreProgress | undefined {
  const records = restoreRecords(vault);
  const last = records.at(-1);
  return last === undefined ? undefined : restoresProgress(vault).find((p) => p.from === last.from);
}

/** "bob's device 3f2a9c0d1e2b", "your device …": whom a restore waits for, by id. */
function named(p: RestorePeer): string {
  return `${p.mine ? "your" : `${p.name ?? "an unknown member"}'s`} device ${p.device.slice(0, 12)}`;
}

/**
 * Refuses to revoke a device this vault was restored from while teammates may hold more of its
 * chain than this vault does (the revocation's cutoff would refuse those edits everywhere), unless
 * `force` (`devices revoke --force`: a device that will never export, an abandoned test restore).
 */
export function assertRevocable(vault: VaultContext, deviceHex: string, force = false): void {
  if (force) return;
  const p = restoresProgress(vault).find((x) => x.from === deviceHex);
  if (p === undefined || p.caughtUp) return;
  const yours = p.waiting.some((x) => x.mine) ? " Yours you can revoke from here if it is no longer in use." : "";
  throw backupError(
    "BACKUP_RESTORE_PENDING",
    `this vault was restored from a backup of device ${deviceHex.slice(0, 12)} and holds its changes up to ${p.held}; revoking it now would refuse what it wrote after the backup. Not heard from since the restore: ${p.waiting.map(named).join(", ")}.${yours}`,
  );
}

/**
 * This device is not in the team although a restore enrolled it: the team refused the restore's
 * add-device entry (its old device was revoked before the entry reached the revoker). Nothing it
 * writes would count anywhere; every write and every team change says so.
 */
export function assertAdmitted(vault: VaultContext): void {
  if (vault.teamId === undefined) return;
  const state = vault.state();
  if (state.devices.has(vault.deviceId)) return;
  const record = restoreRecords(vault).find((r) => r.device === vault.deviceId);
  if (record === undefined) return;
  const why = state.rejected.get(record.entry) ?? "its add-device entry was refused";
  throw backupError("BACKUP_RESTORE_REFUSED", `the team refused this restored vault's device ${vault.deviceId.slice(0, 12)} (${why}): device ${record.from.slice(0, 12)}, whose backup this is, was revoked before the restore reached the team, so nothing written here counts`);
}

/** Refused add-device entries of a device signed by a device revoked before them: a backup of a revoked laptop restored. */
function refusedRestores(vault: VaultContext): string[] {
  const state = vault.state();
  const out: string[] = [];
  for (const [h, reason] of state.rejected) {
    const e = vault.entries().get(h);
    if (e === undefined || e.body.type !== "add-device") continue;
    const author = state.devices.get(hex(e.author));
    const device = hex(e.body.device.sign);
    const user = state.users.get(hex(e.body.user));
    if (author === undefined || author.active || state.devices.has(device) || user === undefined || !user.active || author.user !== user.id) continue;
    out.push(
      `${user.name}'s revoked device ${author.id.slice(0, 12)} tried to enroll a new device ${device.slice(0, 12)}, refused (${reason}): if ${user.name} restored a backup of it, that laptop is not in the team and hears nothing; ${user.name} starts a fresh vault there and has another device of theirs admit it (airlock devices add) or uses recovery (docs/recovery.md)`,
    );
    if (out.length === 3) break;
  }
  return out;
}

/** The status line about restores (undefined when there is nothing to say). */
export function restoreAlert(vault: VaultContext): string | undefined {
  if (vault.teamId === undefined) return undefined;
  const state = vault.state();
  const mine = restoreRecords(vault).find((r) => r.device === vault.deviceId);
  if (mine !== undefined && !state.devices.has(vault.deviceId)) {
    return `THIS VAULT IS NOT IN THE TEAM: the team refused the device the restore enrolled (${state.rejected.get(mine.entry) ?? "its add-device entry was refused"}), because device ${mine.from.slice(0, 12)} had been revoked first; nothing written here counts. Start a fresh vault on this laptop (airlock join) and have another device of yours admit it (airlock devices add), or use recovery (docs/recovery.md)`;
  }
  const lines: string[] = [];
  for (const p of restoresProgress(vault)) {
    if (p.revoked) continue;
    const short = p.from.slice(0, 12);
    if (p.caughtUp) {
      lines.push(`restored from a backup of device ${short}: every teammate has caught up with it; revoke the old device now (airlock devices revoke ${short})`);
      continue;
    }
    const unconfirmed = p.peers.every((x) => !x.knowsRestore)
      ? `; no teammate has confirmed this device yet: if nothing they export opens here (import counts it "not for this vault"), device ${short} was revoked before the restore and the team refuses this laptop (docs/sync.md, "Restoring a backup")`
      : "";
    lines.push(
      `restored from a backup of device ${short} (held up to ${p.backupSeq}, now ${p.held}): waiting for ${p.waiting.map(named).join(", ")} to export to this vault; then revoke the old device (airlock devices revoke ${short})${unconfirmed}`,
    );
  }
  lines.push(...refusedRestores(vault));
  return lines.length === 0 ? undefined : lines.join("; ");
}

/** Whom revoking `deviceHex` (a device this vault was restored from) would not wait for, named; undefined if nothing is pending. */
export function restoreWaitingFor(vault: VaultContext, deviceHex: string): string | undefined {
  const p = restoresProgress(vault).find((x) => x.from === deviceHex);
  return p === undefined || p.caughtUp ? undefined : p.waiting.map(named).join(", ");
}
