/**
 * What goes wrong around a restore (docs/sync.md "Restoring a backup", decision #49): a teammate
 * revoked the old laptop first, a backup of a vault whose join request was pending, a backup from
 * an older schema, a restore that waits for a device that will never export, a restored vault
 * restored again, a forced restore over the live vault of the same device, leftovers of a crash,
 * a swapped attached file, a symlink into the vault. Real encrypted vaults, the test KDF.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodePayload, sealBundle } from "@airlock/bundle-format";
import { importInto, newVault, sync, team, tempRoots, TEST_PASSPHRASE, TestClock } from "../../test-support/vaults.js";
import { passphraseBytes } from "../store/index.js";
import { MIGRATIONS, type Migration } from "../store/migrations.js";
import { addNote, listNotes } from "../apps/notes/index.js";
import { attachFile } from "../attachments/local.js";
import { backupVault } from "./backup.js";
import { restoreBackup, type RestoreOptions } from "./backup-restore.js";
import { restoreAlert, restoreRecords, restoresProgress } from "./backup-status.js";
import { stateDigest } from "./report.js";
import { exportBundles } from "./sync.js";
import { unhex } from "./hex.js";
import { Vault } from "./vault.js";

const root = tempRoots("airlock-backup-hazards-");
const pass = (): Uint8Array => passphraseBytes(TEST_PASSPHRASE);
const open = (dir: string, clock: TestClock, migrations?: readonly Migration[]): Promise<Vault> => Vault.open(dir, pass(), { kdf: "test-insecure", now: clock.now, ...(migrations === undefined ? {} : { migrations }) });
const restore = (file: string, home: string, clock: TestClock, more: RestoreOptions = {}) => restoreBackup(file, home, pass(), { kdf: "test-insecure", now: clock.now, ...more });
const titles = (v: Vault): string[] => listNotes(v, "notes").map((n) => n.title).sort();

describe("restore hazards", () => {
  it("H1: a teammate revoked the old laptop before the restore: the teammate's status names the refused device, and once the restored vault learns it, it says so and refuses every write", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    a.setRole("bob", "owner");
    sync(a, b);
    sync(b, a);
    const file = join(r, "a.bak");
    await backupVault(a, file);
    const old = a.deviceId;
    a.close();
    b.revokeDevice(old); // the laptop may be stolen: revoked at once
    const done = await restore(file, join(r, "a2"), clock);
    const a2 = await open(done.home, clock);
    // Nothing a teammate sends has confirmed the device yet: status says what that may mean.
    expect(restoreAlert(a2)).toMatch(/no teammate has confirmed this device yet: .*revoked before the restore/);
    sync(a2, b);
    expect(b.state().devices.has(done.device)).toBe(false); // refused: signed by a device revoked concurrently
    expect(restoreAlert(b)).toMatch(new RegExp(`alice's revoked device ${old.slice(0, 12)} tried to enroll a new device ${done.device.slice(0, 12)}, refused .*airlock devices add`));
    // Nothing bob exports is sealed to it (here bob has nobody left to send to at all).
    expect(() => exportBundles(b)).toThrow(/no other device in the team/);
    // Once the log reaches it (here: bob's log sealed to it by hand, as another device of alice's could relay it).
    const state = b.state();
    const body = encodePayload({ kind: "sync", team: state.team, entries: [...b.entries().values()].map((e) => e.bytes), changesets: [], acks: [], logHeads: state.heads.map(unhex) });
    importInto(a2, [sealBundle(body, { recipients: [a2.encryptionKey.publicKey], sender: b.deviceKey, mailboxTag: new Uint8Array(16) })]);
    expect(a2.state().devices.has(a2.deviceId)).toBe(false);
    expect(restoreAlert(a2)).toMatch(/^THIS VAULT IS NOT IN THE TEAM: .*airlock devices add/);
    expect(() => addNote(a2, "notes", { title: "lost" })).toThrow(expect.objectContaining({ code: "BACKUP_RESTORE_REFUSED", hint: expect.stringMatching(/airlock join/) }));
    expect(() => a2.setRole("bob", "editor")).toThrow(expect.objectContaining({ code: "BACKUP_RESTORE_REFUSED" }));
    a2.close();
    b.close();
  });

  it("M1: a vault whose join request is pending is not backed up (its restore would bring back the request's device); a vault that asked nothing is", async () => {
    const r = root();
    const clock = new TestClock();
    const c = await newVault(r, "c", clock);
    const fresh = await backupVault(c, join(r, "fresh.bak"));
    expect(fresh.files).toBe(0);
    c.joinRequest("carol");
    await expect(backupVault(c, join(r, "pending.bak"))).rejects.toMatchObject({ code: "BACKUP_NOT_ADMITTED", hint: expect.stringMatching(/after its welcome is imported/) });
    expect(existsSync(join(r, "pending.bak"))).toBe(false);
    expect(readdirSync(r).filter((n) => n.startsWith(".pending.bak"))).toEqual([]);
    const done = await restore(join(r, "fresh.bak"), join(r, "c2"), clock);
    expect(done.device).toBe(done.oldDevice);
    c.close();
  });

  it("M2: a backup from an older schema restores without leaving a pre-migration copy of the old signing key", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const file = join(r, "a.bak");
    await backupVault(a, file);
    a.close();
    const newer: Migration[] = [...MIGRATIONS, { name: "a later release's table", up: (db) => db.exec("CREATE TABLE later_release (x INTEGER)") }];
    const done = await restore(file, join(r, "a2"), clock, { migrations: newer });
    expect(existsSync(join(done.home, "backups"))).toBe(false);
    const a2 = await open(done.home, clock, newer);
    expect(a2.deviceId).toBe(done.device);
    a2.close();
    b.close();
  });

  it("M3 + M4: a restored vault restored again gates each old device; an abandoned second restore is named (yours) and --force overrides", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    addNote(a, "notes", { title: "one" });
    sync(a, b);
    sync(b, a);
    const file = join(r, "a.bak");
    await backupVault(a, file);
    const d0 = a.deviceId;
    a.close();
    // Restored, backed up at once, then that laptop is lost too and its backup restored.
    const first = await restore(file, join(r, "a1"), clock);
    const a1 = await open(first.home, clock);
    const file1 = join(r, "a1.bak");
    await backupVault(a1, file1);
    a1.close();
    const second = await restore(file1, join(r, "a2"), clock);
    const a2 = await open(second.home, clock);
    expect(restoreRecords(a2).map((x) => x.from)).toEqual([d0, first.device]);
    expect(() => a2.revokeDevice(d0)).toThrow(expect.objectContaining({ code: "BACKUP_RESTORE_PENDING" }));
    expect(restoreAlert(a2)).toContain(`backup of device ${d0.slice(0, 12)}`);
    expect(restoreAlert(a2)).toContain(`backup of device ${first.device.slice(0, 12)}`);
    // A test restore of the same backup, made and abandoned.
    const test = await restore(file1, join(r, "a3"), clock);
    const a3 = await open(test.home, clock);
    sync(a3, b);
    a3.close();
    sync(a2, b);
    sync(b, a2);
    // Bob caught up; the lost laptops are not waited for; the abandoned restore is, by id, as yours.
    const waiting = restoresProgress(a2).map((p) => p.waiting.map((w) => [w.device, w.mine]));
    expect(waiting).toEqual([[[test.device, true]], [[test.device, true]]]);
    expect(() => a2.revokeDevice(first.device)).toThrow(expect.objectContaining({ code: "BACKUP_RESTORE_PENDING", message: expect.stringContaining(`your device ${test.device.slice(0, 12)}`) }));
    expect(restoreAlert(a2)).toContain(`waiting for your device ${test.device.slice(0, 12)}`);
    a2.revokeDevice(d0, { force: true });
    // Revoking the abandoned one (yours) releases the other.
    a2.revokeDevice(test.device);
    a2.revokeDevice(first.device);
    expect(restoreAlert(a2)).toBeUndefined();
    expect(titles(a2)).toEqual(["one"]);
    a2.close();
    b.close();
  });

  it("M6: --force over the live vault of the same device is refused while it holds changes no teammate acknowledged", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const file = join(r, "a.bak");
    await backupVault(a, file);
    addNote(a, "notes", { title: "never exported" });
    const home = a.store.dir;
    // The refusal opens the live vault to look (which rewrites pages of any vault): what it holds must not change.
    const digest = stateDigest(a);
    a.close();
    await expect(restore(file, home, clock, { force: true })).rejects.toMatchObject({ code: "BACKUP_LIVE_CHANGES", hint: expect.stringMatching(/export from it/) });
    const back = await open(home, clock);
    expect(titles(back)).toEqual(["never exported"]);
    expect(stateDigest(back)).toBe(digest);
    expect(back.deviceId).toBe(a.deviceId);
    expect(readdirSync(r).filter((n) => n.includes("before-restore") || n.includes(".restore-"))).toEqual([]);
    sync(back, b);
    sync(b, back);
    back.close();
    const done = await restore(file, home, clock, { force: true });
    expect(done.movedAsideNote).toMatch(/teammates acknowledged every change/);
    b.close();
  });

  it("L1 + L7: leftovers of an interrupted restore or backup are removed; a symlink into the vault is still inside it", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const file = join(r, "a.bak");
    const leftover = join(r, ".a.bak.0123456789abcdef.db-tmp");
    writeFileSync(leftover, "a crashed backup's database copy");
    await backupVault(a, file);
    expect(existsSync(leftover)).toBe(false);
    const staging = join(r, ".a2.restore-0123456789abcdef");
    mkdirSync(staging);
    writeFileSync(join(staging, "vault.db"), "a crashed restore's keys");
    const done = await restore(file, join(r, "a2"), clock);
    expect(done.leftovers).toBe(1);
    expect(existsSync(staging)).toBe(false);
    symlinkSync(a.store.dir, join(r, "link"));
    await expect(backupVault(a, join(r, "link", "inside.bak"))).rejects.toMatchObject({ code: "VAULT_BAD_ARGUMENT" });
    expect(existsSync(join(a.store.dir, "inside.bak"))).toBe(false);
    a.close();
    b.close();
  });

  it("L3: an attached file swapped for another in the backup (its hash recomputed) is refused, nothing restored", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    for (const t of ["first", "second"]) {
      const note = addNote(a, "notes", { title: t }).id;
      writeFileSync(join(r, `${t}.bin`), randomBytes(t === "first" ? 3000 : 5000));
      await attachFile(a, "notes", note, join(r, `${t}.bin`));
    }
    const file = join(r, "a.bak");
    await backupVault(a, file);
    a.close();
    // Rebuilt with the two files' bundles exchanged under each other's names, and a fresh checksum.
    const raw = readFileSync(file);
    const length = raw.readUInt32BE(16);
    const header = JSON.parse(raw.subarray(20, 20 + length).toString("utf8")) as { db: number; blobs: { file: string; size: number }[] };
    let at = 20 + length + header.db;
    const bodies = header.blobs.map((x) => raw.subarray(at, (at += x.size)));
    const swapped = { ...header, blobs: header.blobs.map((x, i) => ({ file: x.file, size: header.blobs[1 - i]!.size })) };
    const json = Buffer.from(JSON.stringify(swapped));
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(json.length);
    const db = raw.subarray(20 + length, 20 + length + header.db);
    const content = Buffer.concat([raw.subarray(0, 16), prefix, json, db, bodies[1]!, bodies[0]!]);
    const forged = join(r, "forged.bak");
    writeFileSync(forged, Buffer.concat([content, createHash("sha256").update(content).digest()]));
    await expect(restore(forged, join(r, "a2"), clock)).rejects.toMatchObject({ code: "BACKUP_CORRUPT", message: expect.stringMatching(/not the file its database names/) });
    expect(existsSync(join(r, "a2"))).toBe(false);
    expect(readdirSync(r).filter((n) => n.includes(".restore-"))).toEqual([]);
    b.close();
  });
});
