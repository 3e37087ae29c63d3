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
 * Every further space the backup carries (docs/spaces.md; a version 2 file) is restored the same
 * way into `spaces/<id>/` of the staging folder, opened with its key from the restored first
 * store, and becomes a new device of the same user in its own team. Spaces the index names but
 * the backup left out (a join still waiting for its welcome, a space left or removed from: see
 * backup.ts) are dropped from the restored index, with their keys, and named in the result.
 *
 * Everything happens in a staging folder beside the target; the target is touched only by the
 * final rename, after the passphrase opened the copy and every new device was enrolled. A wrong
 * passphrase, a truncated or foreign file, a backup without the identity key, a backup of a
 * vault whose join request was still pending, a live vault of the same device at the target
 * with changes no teammate acknowledged, a live vault at the target holding a space the backup
 * does not carry (made or joined after it; never silently left behind in the moved-aside
 * folder): a typed error and nothing changed. Staging folders a
 * crashed restore left beside the target are removed on the next run (they hold keys).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { ed25519KeyPair, equalBytes, wipe, x25519KeyPair } from "@airlock/bundle-format";
import { AirlockError, isAirlockError, quoted, syncDirectory } from "@airlock/shared";
import { DB_FILE, PARAMS_FILE } from "../store/index.js";
import { BACKUPS_DIR } from "../store/vault-store.js";
import { readParams, writeParamsAtomic } from "../store/params.js";
import type { Migration } from "../store/migrations.js";
import { BLOBS_DIR } from "../attachments/folder.js";
import { resealInto } from "../attachments/reseal.js";
import { deleteSpace, openSpace, readIndex, SPACES_DIR, type SpaceEntry } from "../spaces/spaces.js";
import { backupError, blobCount, readBackup, removeLeftovers, type BackupBlob, type BackupLayout, type StoreSink } from "./backup-file.js";
import { addRestoreRecord, refusePendingJoin, type RestoreRecord } from "./backup-status.js";
import { makeJoinRequest } from "./request.js";
import { hex, unhex } from "./hex.js";
import { Vault, type VaultOpenOptions } from "./vault.js";

export interface RestoreOptions {
  /** Move a vault (or anything else) at the target aside first, instead of refusing. */
  readonly force?: boolean;
  /** "test-insecure" to accept a backup of a test vault (tests only). */
  readonly kdf?: "test-insecure" | undefined;
  readonly now?: () => number;
  /** Schema migrations (tests only: a backup from an older schema). */
  readonly migrations?: readonly Migration[] | undefined;
  readonly onProgress?: (phase: "check" | "files", done: number, total: number) => void;
}

export interface RestoreResult {
  readonly home: string;
  /** Where what was at the target went (with --force). */
  readonly movedAside: string | undefined;
  /** What is known of the vault moved aside (with --force), in a sentence. */
  readonly movedAsideNote: string | undefined;
  /** Staging folders of an interrupted earlier restore that were removed. */
  readonly leftovers: number;
  readonly team: string | undefined;
  /** The device the backup belonged to, and the new one (hex); equal when the vault had no team yet. */
  readonly oldDevice: string;
  readonly device: string;
  /** The add-device entry (hex), when there was a team. */
  readonly entry: string | undefined;
  /** The old device's own chain as the backup held it. */
  readonly backupSeq: number;
  readonly backupCreated: number;
  /** Attached files restored, every space together. */
  readonly files: number;
  /** Each further space restored, in the backup's order. */
  readonly spaces: readonly RestoredSpace[];
  /** Spaces the restored index named that the backup did not carry, dropped from it. */
  readonly dropped: readonly { readonly id: string; readonly name: string }[];
}

/** A further space as the restore left it: as the first space's fields of RestoreResult. */
export interface RestoredSpace {
  readonly id: string;
  readonly name: string;
  readonly team: string | undefined;
  readonly oldDevice: string;
  readonly device: string;
  readonly entry: string | undefined;
  readonly backupSeq: number;
  readonly files: number;
}

const NO_TAG = new Uint8Array(16);

/** What stands at the target: nothing (or an empty folder), a vault, or something else. */
function targetState(home: string): "free" | "vault" | "occupied" {
  if (!existsSync(home)) return "free";
  if (!statSync(home).isDirectory()) return "occupied";
  if (existsSync(join(home, PARAMS_FILE)) || existsSync(join(home, DB_FILE))) return "vault";
  return readdirSync(home).length === 0 ? "free" : "occupied";
}

const STAGING_TAIL = /^restore-[0-9a-f]{16}$/;

/** What a restored store's old device held: its device (hex) and its own chain in the backup. */
interface OldDevice {
  readonly device: string;
  readonly backupSeq: number;
}

/** Throws BACKUP_LIVE_CHANGES when `live` is the device `old` with changes of its own nobody acknowledged. */
function refuseLive(live: Vault, old: OldDevice, where: string): boolean {
  if (live.deviceId !== old.device) return false;
  const head = live.storage.heads.seqOf(unhex(old.device)) ?? 0;
  const acked = Math.max(0, ...live.storage.acks.all().filter((a) => hex(a.device) === old.device).map((a) => a.seq));
  if (head > acked) {
    throw backupError(
      "BACKUP_LIVE_CHANGES",
      `${where} is the vault of device ${old.device.slice(0, 12)} itself, the one this backup was made of, and holds ${head - acked} change(s) of its own no teammate has acknowledged (up to ${head}; the backup holds up to ${old.backupSeq})`,
    );
  }
  return true;
}

/**
 * Why a live space the backup does not carry would be no loss to leave behind (as backup.ts
 * leaves such a space out of a backup), or undefined when it holds what a backup made now would
 * carry: a team it is an active device of, or notes of its own without a team.
 */
function nothingToLose(space: Vault, entry: SpaceEntry): string | undefined {
  if (entry.leaving === true) return "being left";
  if (space.teamId === undefined) {
    // As refusePendingJoin: an identity but no team is a join request not answered yet.
    const identity = space.identitySeed();
    identity?.fill(0);
    return identity === undefined ? undefined : "waiting for its welcome";
  }
  const state = space.state();
  const me = state.devices.get(space.deviceId);
  const user = me === undefined ? undefined : state.users.get(me.user);
  return me?.active === true && user?.active === true ? undefined : "no longer a device of its team";
}

/**
 * With --force over a vault: is it the very device this backup was made of, still holding
 * changes of its own that no teammate acknowledged, in its first space or in any space the backup
 * carries? Those would live on only in the folder moved aside, and be refused everywhere once
 * the restored vault revokes the old device: refused (BACKUP_LIVE_CHANGES). Does it hold a space
 * the backup does not carry (made or joined after it), one a backup made now would carry? The
 * restore would leave that space, its identity key and everything not yet exported from it, only
 * in the folder moved aside, under no name: refused too (BACKUP_LIVE_SPACES), whichever device's
 * vault it is. Returns a sentence for the output otherwise, naming the spaces left behind.
 */
async function checkLive(target: string, passphrase: Uint8Array, layout: BackupLayout, first: OldDevice, spaces: ReadonlyMap<string, OldDevice>, openOptions: VaultOpenOptions): Promise<string> {
  // Another vault (or this one under a passphrase changed since) has another salt: left unopened, untouched.
  let salt: Uint8Array | undefined;
  try {
    salt = readParams(join(target, PARAMS_FILE)).current.salt;
  } catch {
    salt = undefined;
  }
  if (salt === undefined || !equalBytes(salt, layout.header.params.current.salt)) {
    return "not opened: another vault, or this one under a passphrase changed since the backup; if it is this laptop's vault, changes in it that were never exported are only there";
  }
  let live: Vault;
  try {
    live = await Vault.open(target, passphrase, openOptions);
  } catch (e) {
    return `it was not opened (${isAirlockError(e) ? e.code : "unreadable"}): if it is this laptop's vault, changes in it that were never exported are only there`;
  }
  try {
    const same = refuseLive(live, first, target);
    let index: SpaceEntry[] | undefined;
    try {
      index = readIndex(live);
    } catch {
      index = undefined;
    }
    const behind: string[] = [];
    const abandoned: SpaceEntry[] = [];
    for (const entry of index ?? []) {
      const old = spaces.get(entry.id);
      let space: Vault;
      try {
        space = openSpace(live, entry, openOptions);
      } catch (e) {
        // Unreadable there: nothing of it the restore could keep either.
        if (old === undefined) behind.push(`${quoted(entry.name)} (it did not open: ${isAirlockError(e) ? e.code : "unreadable"})`);
        continue;
      }
      try {
        if (old !== undefined) {
          refuseLive(space, old, `space ${entry.name} of ${target}`);
          continue;
        }
        const why = nothingToLose(space, entry);
        if (why === undefined) abandoned.push(entry);
        else behind.push(`${quoted(entry.name)} (${why})`);
      } finally {
        space.close();
      }
    }
    if (abandoned.length > 0) {
      const names = abandoned.map((e) => quoted(e.name)).join(", ");
      throw new AirlockError(
        "BACKUP_LIVE_SPACES",
        `the vault at ${target} holds ${abandoned.length === 1 ? "a space" : "spaces"} this backup does not carry (made or joined after it): ${names}; restoring would leave ${abandoned.length === 1 ? "it" : "them"}, with ${abandoned.length === 1 ? "its" : "their"} identity key and what was never exported, only in the folder moved aside`,
        {
          hint: `the vault there works: back it up again (airlock backup --out FILE), which carries every space, and restore that file instead; or give such a space up first (airlock spaces leave ${quoted(abandoned[0]!.name)}, then airlock export); nothing was changed`,
        },
      );
    }
    const said = same ? "it was this backup's device, and teammates acknowledged every change it made in every space the backup carries" : "it is another device's vault";
    const left = index === undefined ? "; its index of spaces is damaged: any further spaces stay only in the folder moved aside" : behind.length === 0 ? "" : `; spaces the backup does not carry, left only in the folder moved aside: ${behind.join(", ")}`;
    return `${said}${left}`;
  } finally {
    live.close();
  }
}

/**
 * Restores the backup at `file` into `home` (see the file comment). Wipes `passphrase`.
 */
export async function restoreBackup(file: string, home: string, passphrase: Uint8Array, options: RestoreOptions = {}): Promise<RestoreResult> {
  let staging: string | undefined;
  let vault: Vault | undefined;
  const opened: Vault[] = [];
  const forLive = Uint8Array.from(passphrase);
  const openOptions: VaultOpenOptions = { ...(options.kdf === undefined ? {} : { kdf: options.kdf }), ...(options.now === undefined ? {} : { now: options.now }), ...(options.migrations === undefined ? {} : { migrations: options.migrations }) };
  try {
    const target = resolve(home);
    const leftovers = removeLeftovers(target, STAGING_TAIL);
    const state = targetState(target);
    if (state !== "free" && options.force !== true) {
      throw backupError("BACKUP_TARGET_EXISTS", state === "vault" ? `${target} already holds a vault` : `${target} is not an empty folder`);
    }
    staging = join(dirname(target), `.${basename(target).slice(0, 100)}.restore-${randomBytes(8).toString("hex")}`);
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    const blobsDir = join(staging, BLOBS_DIR);
    mkdirSync(blobsDir, { mode: 0o700 });
    const stagingDir = staging;
    // Called only for ids the header check let through (32 hex digits, each once).
    const spaceSink = (id: string): StoreSink => {
      const dir = join(stagingDir, SPACES_DIR, id);
      mkdirSync(join(stagingDir, SPACES_DIR), { mode: 0o700, recursive: true });
      mkdirSync(dir, { mode: 0o700 });
      mkdirSync(join(dir, BLOBS_DIR), { mode: 0o700 });
      return { db: join(dir, DB_FILE), blobsDir: join(dir, BLOBS_DIR) };
    };
    // Checked and extracted in one pass: what is opened below is exactly what the hash covered.
    const layout = await readBackup(file, { db: join(staging, DB_FILE), blobsDir, space: spaceSink }, (done, total) => options.onProgress?.("check", done, total));
    writeParamsAtomic(join(staging, PARAMS_FILE), layout.header.params);
    // The passphrase is checked here, on the copy: the target has not been touched yet.
    vault = await Vault.open(staging, passphrase, openOptions);
    // A backup from an older schema was migrated just now, and the store copied it as it was to
    // backups/before-vN-*: a working vault of the old device, whose signing key must not survive
    // (docs/install.md tells people to copy that folder back). The backup file is the "before" copy.
    rmSync(join(staging, BACKUPS_DIR), { recursive: true, force: true });
    refusePendingJoin(vault, `${file} is a backup of a vault whose join request was not admitted yet when it was made`);
    const first = checkDevice(vault, file, "");
    // The further spaces: each named by the restored index (whose keys open them), each opened
    // and checked as the first before any new device is made.
    const index = readIndex(vault);
    const spaces: { entry: SpaceEntry; vault: Vault; old: OldDevice & { team: string | undefined } ; blobs: readonly BackupBlob[]; blobsDir: string }[] = [];
    for (const s of layout.header.spaces) {
      const entry = index.find((e) => e.id === s.id);
      if (entry === undefined) throw backupError("BACKUP_CORRUPT", `${file} holds space ${s.id.slice(0, 8)}, which its vault's index of spaces does not name`);
      if (entry.leaving === true) throw backupError("BACKUP_CORRUPT", `${file} holds space ${entry.name}, which was being left (a backup leaves such a space out)`);
      let space: Vault;
      try {
        space = openSpace(vault, entry, openOptions);
      } catch (e) {
        if (isAirlockError(e) && e.code === "VAULT_WRONG_KEY") throw backupError("BACKUP_CORRUPT", `the database ${file} holds for space ${entry.name} does not open with that space's key (another database put in its place)`, e);
        throw e;
      }
      opened.push(space);
      rmSync(join(space.store.dir, BACKUPS_DIR), { recursive: true, force: true });
      refusePendingJoin(space, `${file} holds space ${entry.name}, whose join request was not admitted yet (a backup leaves such a space out)`);
      spaces.push({ entry, vault: space, old: checkDevice(space, file, ` in space ${entry.name}`), blobs: s.blobs, blobsDir: join(space.store.dir, BLOBS_DIR) });
    }
    let movedAsideNote: string | undefined;
    if (state === "vault") movedAsideNote = await checkLive(target, forLive, layout, first, new Map(spaces.map((s) => [s.entry.id, s.old])), openOptions);
    // Spaces the backup left out have nothing here to open: out of the index, with their keys.
    const carried = new Set(layout.header.spaces.map((s) => s.id));
    const dropped = index.filter((e) => !carried.has(e.id)).map((e) => ({ id: e.id, name: e.name }));
    for (const d of dropped) deleteSpace(vault, d);
    let device = first.device;
    let entry: string | undefined;
    let backupSeq = first.backupSeq;
    if (vault.teamId !== undefined) ({ device, entry, backupSeq } = await becomeNewDevice(vault, layout, layout.header.blobs, blobsDir, options));
    const restored: RestoredSpace[] = [];
    for (const s of spaces) {
      let made = { device: s.old.device, entry: undefined as string | undefined, backupSeq: s.old.backupSeq };
      if (s.vault.teamId !== undefined) made = await becomeNewDevice(s.vault, layout, s.blobs, s.blobsDir, options, ` in space ${s.entry.name}`);
      restored.push({ id: s.entry.id, name: s.entry.name, team: s.old.team, oldDevice: s.old.device, ...made, files: s.blobs.length });
    }
    for (const v of opened.splice(0)) v.close();
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
    return {
      home: target,
      movedAside,
      movedAsideNote,
      leftovers,
      team: first.team,
      oldDevice: first.device,
      device,
      entry,
      backupSeq,
      backupCreated: layout.header.created,
      files: blobCount(layout.header),
      spaces: restored,
      dropped,
    };
  } finally {
    wipe(passphrase, forLive);
    for (const v of opened) v.close();
    vault?.close();
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
  }
}

/** A restored store's old device, checked active in its team (when it has one); `where` names the space in errors. */
function checkDevice(vault: Vault, file: string, where: string): OldDevice & { team: string | undefined } {
  const oldDevice = vault.deviceId;
  if (vault.teamId === undefined) return { device: oldDevice, backupSeq: 0, team: undefined };
  const teamState = vault.state();
  const me = teamState.devices.get(oldDevice);
  const user = me === undefined ? undefined : teamState.users.get(me.user);
  if (me === undefined || !me.active || user === undefined || !user.active) throw backupError("BACKUP_DEVICE_REVOKED", `the device of ${file}${where} (${oldDevice.slice(0, 12)}) was already revoked or removed when the backup was made`);
  return { device: oldDevice, backupSeq: vault.storage.heads.seqOf(unhex(oldDevice)) ?? 0, team: teamState.name };
}

/**
 * The new device: attached files sealed again to its X25519 key (each checked against its
 * content address in the database, which the page cipher authenticates: the backup's own hash
 * is unkeyed), then one transaction that enrolls it (the old device signs the add-device entry,
 * with the identity key's certificate), stores its keys in place of the old ones and records
 * the restore. Nothing is signed with the old device's key but that entry.
 */
async function becomeNewDevice(vault: Vault, layout: BackupLayout, blobs: readonly BackupBlob[], blobsDir: string, options: RestoreOptions, where = ""): Promise<{ device: string; entry: string; backupSeq: number }> {
  const { user } = vault.me();
  const sign = ed25519KeyPair();
  const enc = x25519KeyPair();
  const throwaway = ed25519KeyPair(); // addDevice certifies with the real identity key; a request needs one of its own
  try {
    const rows = new Map(vault.storage.blobs.all().map((b) => [b.file, b.hash]));
    const listed = new Set(blobs.map((b) => b.file));
    const missing = [...rows.keys()].find((f) => !listed.has(f));
    if (missing !== undefined) throw backupError("BACKUP_CORRUPT", `${layout.path} lacks attached file ${missing}, which its database names`);
    for (const [i, b] of blobs.entries()) {
      const expected = rows.get(b.file);
      if (expected === undefined) throw backupError("BACKUP_CORRUPT", `${layout.path} holds attached file ${b.file}, which its database does not name`);
      const resealed = await resealInto(join(blobsDir, b.file), vault.encryptionKey, { recipients: [enc.publicKey], sender: sign, mailboxTag: NO_TAG }, blobsDir);
      if (!equalBytes(resealed.bodyHash, expected)) {
        rmSync(resealed.path, { force: true });
        throw backupError("BACKUP_CORRUPT", `attached file ${b.file} in ${layout.path} is not the file its database names (another file put in its place)`);
      }
      renameSync(resealed.path, join(blobsDir, b.file));
      options.onProgress?.("files", i + 1, blobs.length);
    }
    const request = makeJoinRequest(user.name, throwaway, sign, enc.publicKey, vault.now());
    return vault.tx(() => {
      const old = unhex(vault.deviceId);
      const before = vault.storage.heads.seqOf(old) ?? 0;
      // The add-device entry runs this vault's follow-ups; a carry-forward among them would sign
      // a changeset under the old key (a reused number). Marked done up to the backup's head, it
      // writes nothing; the marks are dropped below, once the keys are the new device's.
      const state = vault.state();
      for (const c of state.collections.values()) {
        const k = c.compactions.findLast((x) => x.key !== undefined);
        if (k !== undefined) vault.storage.meta.set(`carry.${c.id}`, JSON.stringify({ entry: k.entry, seq: before }));
      }
      let entry;
      try {
        ({ entry } = vault.addDevice(request.bytes));
      } catch (e) {
        if (isAirlockError(e) && e.code === "VAULT_NO_IDENTITY") {
          throw new AirlockError("VAULT_NO_IDENTITY", `this backup does not hold your identity key${where} (it is the vault of a device added later), so it cannot enroll a new device by itself`, {
            hint: "on the new laptop run `airlock join`, and add it from your laptop that holds your identity key (airlock devices add) or with recovery shares; nothing was restored",
            cause: e,
          });
        }
        throw e;
      }
      // Fail closed: the entry's follow-ups (key repairs) add entries only.
      if ((vault.storage.heads.seqOf(old) ?? 0) !== before) throw backupError("BACKUP_RESTORE_FAILED", "the restore would have signed a changeset with the old device key");
      vault.replaceDeviceKeys(sign.secretKey, enc.secretKey);
      // Carry-forward marks count the old device's sequence numbers (vault.ts #carryForward).
      for (const c of vault.state().collections.keys()) vault.storage.meta.delete(`carry.${c}`);
      const record: RestoreRecord = { from: vault.deviceId, device: hex(sign.publicKey), entry: entry.hashHex, seq: before, backup: layout.header.created, at: vault.now() };
      addRestoreRecord(vault, record);
      return { device: record.device, entry: entry.hashHex, backupSeq: before };
    });
  } finally {
    wipe(sign.secretKey, enc.secretKey, throwaway.secretKey);
  }
}
