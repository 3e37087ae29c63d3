/**
 * `airlock restore FILE`: a backup (backup-file.ts) becomes a working vault again without ever
 * reusing a sequence number of its device (docs/sync.md, "Restoring a backup";
 * docs/decisions.md #49).
 *
 * Why a new device: a changeset is (device, seq, prev). The backup holds the device's chain up
 * to seq b, while teammates may hold its changesets up to n > b, written after the backup was
 * taken. Signing anything new with that key would reuse b + 1 — an equivocation, which every vault
 * punishes by refusing the device's chain from there. So the restored vault gets a fresh device
 * (Ed25519 + X25519) for the same user, certified with the identity key from the backup and
 * enrolled by an `add-device` entry the old device signs (team entries are a DAG with no per-device
 * numbering, so that entry reuses nothing); the old signing key is wiped and the old X25519 key
 * kept only to open grants sealed to the old device (keys rotated after the backup). The old
 * device is not revoked here: a cutoff at the backup's point would refuse, everywhere, its edits
 * after the backup that teammates still hold. Those come back by gossip — the new device has
 * acknowledged nothing, so peers send it what it lacks — and backup-status.ts tells when the old
 * device can be revoked with nothing lost.
 *
 * Everything happens in a staging folder beside the target; the target is touched only by the
 * final rename, after the passphrase opened the copy and the new device was enrolled. A wrong
 * passphrase, a truncated or foreign file, a backup without the identity key: a typed error and
 * nothing changed.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { ed25519KeyPair, wipe, x25519KeyPair } from "@airlock/bundle-format";
import { AirlockError, isAirlockError, syncDirectory } from "@airlock/shared";
import { DB_FILE, PARAMS_FILE } from "../store/index.js";
import { writeParamsAtomic } from "../store/params.js";
import { BLOBS_DIR } from "../attachments/folder.js";
import { resealInto } from "../attachments/reseal.js";
import { backupError, checkBackup, type BackupLayout } from "./backup-file.js";
import { META_RESTORE, type RestoreRecord } from "./backup-status.js";
import { makeJoinRequest } from "./request.js";
import { unhex } from "./hex.js";
import { Vault } from "./vault.js";

export interface RestoreOptions {
  /** Move a vault (or anything else) at the target aside first, instead of refusing. */
  readonly force?: boolean;
  /** "test-insecure" to accept a backup of a test vault (tests only). */
  readonly kdf?: "test-insecure" | undefined;
  readonly now?: () => number;
  readonly onProgress?: (phase: "check" | "files", done: number, total: number) => void;
}

export interface RestoreResult {
  readonly home: string;
  /** Where what was at the target went (with --force). */
  readonly movedAside: string | undefined;
  readonly team: string | undefined;
  /** The device the backup belonged to, and the new one (hex); equal when the vault had no team yet. */
  readonly oldDevice: string;
  readonly device: string;
  /** The add-device entry (hex), when there was a team. */
  readonly entry: string | undefined;
  /** The old device's own chain as the backup held it. */
  readonly backupSeq: number;
  readonly backupCreated: number;
  readonly files: number;
}

const CHUNK = 4 * 1024 * 1024;
const NO_TAG = new Uint8Array(16);

/** Copies `size` bytes at `offset` of the backup into a new file (mode 0600), fsynced. */
function extract(layout: BackupLayout, offset: number, size: number, to: string): void {
  const input = openSync(layout.path, "r");
  const output = openSync(to, "wx", 0o600);
  try {
    const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
    for (let at = 0; at < size; ) {
      const n = readSync(input, buffer, 0, Math.min(buffer.length, size - at), offset + at);
      if (n === 0) throw backupError("BACKUP_TRUNCATED", `${layout.path} shrank while it was restored`);
      for (let w = 0; w < n; ) w += writeSync(output, buffer, w, n - w);
      at += n;
    }
    fsyncSync(output);
  } finally {
    closeSync(input);
    closeSync(output);
  }
}

/** What stands at the target: nothing (or an empty folder), a vault, or something else. */
function targetState(home: string): "free" | "vault" | "occupied" {
  if (!existsSync(home)) return "free";
  if (!statSync(home).isDirectory()) return "occupied";
  if (existsSync(join(home, PARAMS_FILE)) || existsSync(join(home, DB_FILE))) return "vault";
  return readdirSync(home).length === 0 ? "free" : "occupied";
}

/**
 * Restores the backup at `file` into `home` (see the file comment). Wipes `passphrase`.
 */
export async function restoreBackup(file: string, home: string, passphrase: Uint8Array, options: RestoreOptions = {}): Promise<RestoreResult> {
  let staging: string | undefined;
  let vault: Vault | undefined;
  try {
    const target = resolve(home);
    const layout = await checkBackup(file, (done, total) => options.onProgress?.("check", done, total));
    const state = targetState(target);
    if (state !== "free" && options.force !== true) {
      throw backupError("BACKUP_TARGET_EXISTS", state === "vault" ? `${target} already holds a vault` : `${target} is not an empty folder`);
    }
    staging = join(dirname(target), `.${basename(target).slice(0, 100)}.restore-${randomBytes(8).toString("hex")}`);
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    writeParamsAtomic(join(staging, PARAMS_FILE), layout.header.params);
    extract(layout, layout.dbOffset, layout.header.db, join(staging, DB_FILE));
    const blobsDir = join(staging, BLOBS_DIR);
    mkdirSync(blobsDir, { mode: 0o700 });
    layout.header.blobs.forEach((b, i) => extract(layout, layout.blobOffsets[i]!, b.size, join(blobsDir, b.file)));
    // The passphrase is checked here, on the copy: the target has not been touched yet.
    vault = await Vault.open(staging, passphrase, { ...(options.kdf === undefined ? {} : { kdf: options.kdf }), ...(options.now === undefined ? {} : { now: options.now }) });
    const oldDevice = vault.deviceId;
    const team = vault.teamId === undefined ? undefined : vault.state().name;
    let device = oldDevice;
    let entry: string | undefined;
    let backupSeq = 0;
    if (vault.teamId !== undefined) {
      ({ device, entry, backupSeq } = await becomeNewDevice(vault, layout, blobsDir, options));
    }
    vault.close();
    vault = undefined;
    let movedAside: string | undefined;
    if (existsSync(target) && state !== "free") {
      movedAside = `${target}.before-restore-${new Date(options.now?.() ?? Date.now()).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
      renameSync(target, movedAside);
    }
    // rename(2) replaces an empty folder atomically; otherwise the target did not exist.
    renameSync(staging, target);
    staging = undefined;
    await syncDirectory(dirname(target));
    return { home: target, movedAside, team, oldDevice, device, entry, backupSeq, backupCreated: layout.header.created, files: layout.header.blobs.length };
  } finally {
    wipe(passphrase);
    vault?.close();
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The new device: attached files sealed again to its X25519 key, then one transaction that
 * enrolls it (the old device signs the add-device entry, with the identity key's certificate),
 * stores its keys in place of the old ones and records the restore. Nothing is signed with the
 * old device's key but that entry.
 */
async function becomeNewDevice(vault: Vault, layout: BackupLayout, blobsDir: string, options: RestoreOptions): Promise<{ device: string; entry: string; backupSeq: number }> {
  const { user } = vault.me();
  const sign = ed25519KeyPair();
  const enc = x25519KeyPair();
  const throwaway = ed25519KeyPair(); // addDevice certifies with the real identity key; a request needs one of its own
  try {
    const blobs = layout.header.blobs;
    for (const [i, b] of blobs.entries()) {
      const resealed = await resealInto(join(blobsDir, b.file), vault.encryptionKey, { recipients: [enc.publicKey], sender: sign, mailboxTag: NO_TAG }, blobsDir);
      renameSync(resealed.path, join(blobsDir, b.file));
      options.onProgress?.("files", i + 1, blobs.length);
    }
    const request = makeJoinRequest(user.name, throwaway, sign, enc.publicKey, vault.now());
    return vault.tx(() => {
      const old = unhex(vault.deviceId);
      const before = vault.storage.heads.seqOf(old) ?? 0;
      let entry;
      try {
        ({ entry } = vault.addDevice(request.bytes));
      } catch (e) {
        if (isAirlockError(e) && e.code === "VAULT_NO_IDENTITY") {
          throw new AirlockError("VAULT_NO_IDENTITY", "this backup does not hold your identity key (it is the vault of a device added later), so it cannot enroll a new device by itself", {
            hint: "on the new laptop run `airlock join`, and add it from your laptop that holds your identity key (airlock devices add) or with recovery shares; nothing was restored",
            cause: e,
          });
        }
        throw e;
      }
      // The entry's follow-ups (key repairs) add entries only; a changeset under the old key would be a reused number.
      if ((vault.storage.heads.seqOf(old) ?? 0) !== before) throw new Error("internal: the restore signed a changeset with the old device key");
      vault.replaceDeviceKeys(sign.secretKey, enc.secretKey);
      // Carry-forward marks count the old device's sequence numbers (vault.ts #carryForward).
      for (const c of vault.state().collections.keys()) vault.storage.meta.delete(`carry.${c}`);
      const record: RestoreRecord = { from: vault.deviceId, device: Buffer.from(sign.publicKey).toString("hex"), entry: entry.hashHex, seq: before, backup: layout.header.created, at: vault.now() };
      vault.storage.meta.set(META_RESTORE, JSON.stringify(record));
      return { device: record.device, entry: entry.hashHex, backupSeq: before };
    });
  } finally {
    wipe(sign.secretKey, enc.secretKey, throwaway.secretKey);
  }
}
