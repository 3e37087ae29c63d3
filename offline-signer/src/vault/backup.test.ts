/**
 * Backups that lose nothing (docs/sync.md "Restoring a backup", decisions #49): real encrypted
 * vaults in temp folders, real bundles, a simulated clock. The command-line flow is in
 * commands/backup-cli.test.ts.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodePayload, sealBundle } from "@airlock/bundle-format";
import { importInto, newVault, sync, team, tempRoots, TEST_PASSPHRASE, TestClock } from "../../test-support/vaults.js";
import { passphraseBytes } from "../store/index.js";
import { addNote, editNote, listNotes } from "../apps/notes/index.js";
import { attachFile, findFile, getFile } from "../attachments/local.js";
import { backupVault } from "./backup.js";
import { encodeHeader, MAX_BLOBS, MAX_HEADER_BYTES } from "./backup-file.js";
import { restoreBackup } from "./backup-restore.js";
import { restoreAlert, restoreProgress } from "./backup-status.js";
import { stateDigest } from "./report.js";
import { exportBundles } from "./sync.js";
import { unhex } from "./hex.js";
import { Vault } from "./vault.js";

const root = tempRoots("airlock-backup-");
const DAY = 24 * 60 * 60 * 1000;
const pass = (): Uint8Array => passphraseBytes(TEST_PASSPHRASE);
const open = (dir: string, clock: TestClock): Promise<Vault> => Vault.open(dir, pass(), { kdf: "test-insecure", now: clock.now });
const restore = (file: string, home: string, clock: TestClock, force = false) => restoreBackup(file, home, pass(), { kdf: "test-insecure", now: clock.now, force });

/** Every changeset a vault holds, as (device, seq). */
function chains(v: Vault): Map<string, number[]> {
  const rows = v.store.connection().prepare("SELECT device, seq FROM changesets ORDER BY device, seq").all() as { device: Buffer; seq: number }[];
  const out = new Map<string, number[]>();
  for (const r of rows) out.set(r.device.toString("hex"), [...(out.get(r.device.toString("hex")) ?? []), r.seq]);
  return out;
}

/** No equivocation anywhere: no fork proof, nothing quarantined, no changeset rejected. */
function clean(v: Vault): void {
  expect(v.storage.forks.all()).toEqual([]);
  const q = v.store.connection().prepare("SELECT count(*) AS n FROM quarantine").get() as { n: number };
  expect(q.n).toBe(0);
  expect(v.storage.changesets.countByStatus()).toMatchObject({ rejected: 0, waiting: 0, locked: 0 });
}

const titles = (v: Vault): string[] => listNotes(v, "notes").map((n) => n.title).sort();

describe("backup and restore", () => {
  it("a backup restored a day old converges with no lost edit and no reused sequence number", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const kept = addNote(a, "notes", { title: "before the backup" }).id;
    sync(a, b);
    sync(b, a);
    const file = join(r, "alice.airlock-backup");
    const made = await backupVault(a, file);
    expect(made.db).toBeGreaterThan(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const oldDevice = a.deviceId;
    const backupSeq = a.storage.heads.seqOf(a.deviceKey.publicKey)!;

    // A day of work on the original after the backup, which only bob's vault keeps.
    clock.tick(DAY);
    addNote(a, "notes", { title: "after the backup" });
    editNote(a, "notes", kept, { body: "edited after the backup" });
    sync(a, b);
    const lostSeq = a.storage.heads.seqOf(a.deviceKey.publicKey)!;
    expect(lostSeq).toBe(backupSeq + 2);
    // The laptop dies.
    const homeA = a.store.dir;
    a.close();
    rmSync(homeA, { recursive: true });

    clock.tick(60_000);
    const home = join(r, "alice-restored");
    const done = await restore(file, home, clock);
    expect(done).toMatchObject({ oldDevice, backupSeq, team: "Field office" });
    expect(done.device).not.toBe(oldDevice);
    const a2 = await open(home, clock);
    expect(a2.deviceId).toBe(done.device);
    expect(a2.state().devices.get(oldDevice)?.active).toBe(true); // not revoked: its later edits must still count
    expect(titles(a2)).toEqual(["before the backup"]);

    // Revoking the old device before the teammates caught up would cut its chain at the backup.
    expect(() => a2.revokeDevice(oldDevice)).toThrow(expect.objectContaining({ code: "BACKUP_RESTORE_PENDING" }));
    expect(restoreAlert(a2)).toMatch(new RegExp(`waiting for bob.s device ${b.deviceId.slice(0, 12)} to export`));

    addNote(a2, "notes", { title: "after the restore" });
    // Written on the new device's own chain, from 1; the old chain did not move.
    expect(a2.storage.heads.seqOf(a2.deviceKey.publicKey)).toBe(1);
    expect(a2.storage.heads.seqOf(unhex(oldDevice))).toBe(backupSeq);
    sync(a2, b); // bob learns of the new device and what it acknowledges: the backup's point
    // Bob's next export re-sends what the restored vault lacks instead of counting it delivered.
    const resent = exportBundles(b);
    const report = importInto(a2, resent);
    expect(report.applied).toBeGreaterThanOrEqual(2);
    expect(titles(a2)).toEqual(["after the backup", "after the restore", "before the backup"]);
    expect(listNotes(a2, "notes").find((n) => n.id === kept)?.body).toBe("edited after the backup");
    sync(a2, b);
    expect(stateDigest(a2)).toBe(stateDigest(b));

    // No number reused: the old chain ends where the original left it, and everything the
    // restored vault wrote is on the new device's chain, from 1.
    for (const v of [a2, b]) {
      const c = chains(v);
      expect(c.get(oldDevice)).toEqual(Array.from({ length: lostSeq }, (_, i) => i + 1));
      expect(c.get(a2.deviceId)).toEqual([1]);
      clean(v);
    }

    // Caught up: now the old device is revoked with the highest seq seen as its cutoff, and nothing is lost.
    expect(restoreProgress(a2)).toMatchObject({ caughtUp: true, held: lostSeq, backupSeq });
    expect(restoreAlert(a2)).toMatch(/revoke the old device now/);
    a2.revokeDevice(oldDevice.slice(0, 12));
    sync(a2, b);
    sync(b, a2);
    for (const v of [a2, b]) {
      expect(v.state().devices.get(oldDevice)?.active).toBe(false);
      expect(titles(v)).toEqual(["after the backup", "after the restore", "before the backup"]);
      clean(v);
    }
    expect(stateDigest(a2)).toBe(stateDigest(b));
    expect(restoreAlert(a2)).toBeUndefined();
    a2.close();
    b.close();
  });

  it("keys rotated after the backup (sealed to the old device) still open on the restored vault", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "viewer");
    sync(a, b, c);
    sync(b, a);
    const file = join(r, "a.bak");
    await backupVault(a, file);
    clock.tick(DAY);
    const before = a.currentKeyId("notes");
    a.removeMember("carol"); // a fresh notes key, sealed to alice's old device and bob's
    sync(a, b);
    expect(b.currentKeyId("notes")).not.toBe(before);
    addNote(b, "notes", { title: "under the new key" });
    a.close();
    const done = await restore(file, join(r, "a2"), clock);
    const a2 = await open(done.home, clock);
    sync(a2, b);
    sync(b, a2);
    expect(a2.currentKeyId("notes")).toBe(b.currentKeyId("notes"));
    expect(titles(a2)).toEqual(["under the new key"]);
    addNote(a2, "notes", { title: "restored alice writes" });
    sync(a2, b);
    expect(titles(b)).toEqual(["restored alice writes", "under the new key"]);
    clean(a2);
    clean(b);
    a2.close();
    b.close();
    c.close();
  });

  it("attached files come back, sealed to the new device", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const note = addNote(a, "notes", { title: "with a scan" }).id;
    const scan = join(r, "scan.pdf");
    const bytes = randomBytes(200_000);
    writeFileSync(scan, bytes);
    await attachFile(a, "notes", note, scan);
    const file = join(r, "a.bak");
    const made = await backupVault(a, file);
    expect(made).toMatchObject({ files: 1 });
    a.close();
    const done = await restore(file, join(r, "a2"), clock);
    expect(done.files).toBe(1);
    const a2 = await open(done.home, clock);
    const out = join(r, "back.pdf");
    await getFile(a2, findFile(a2, "notes", note), out);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    a2.close();
    b.close();
  });

  it("the backup file holds no plaintext, and bad files, wrong passphrases and occupied targets are refused with nothing changed", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const canary = "canary-backup-7d1e44b0-safehouse";
    addNote(a, "notes", { title: canary, body: canary });
    const file = join(r, "a.bak");
    await backupVault(a, file);
    const raw = readFileSync(file);
    for (const form of [Buffer.from(canary, "utf8"), Buffer.from(canary, "utf16le"), Buffer.from(Buffer.from(canary).toString("hex")), Buffer.from(Buffer.from(canary).toString("base64").slice(0, 24))]) {
      expect(raw.includes(form)).toBe(false);
    }
    await expect(backupVault(a, file)).rejects.toMatchObject({ code: "VAULT_FILE_EXISTS" });
    await expect(backupVault(a, join(a.store.dir, "inside.bak"))).rejects.toMatchObject({ code: "VAULT_BAD_ARGUMENT" });
    // A folder that cannot take the file: a typed error before the database is copied.
    await expect(backupVault(a, join(r, "no-such-folder", "a.bak"))).rejects.toMatchObject({ code: "FILE_NOT_FOUND", hint: expect.stringMatching(/check the path/) });

    const target = join(r, "target");
    const bad = async (bytes: Buffer, code: string): Promise<void> => {
      const path = join(r, `bad-${code}`);
      writeFileSync(path, bytes);
      await expect(restore(path, target, clock)).rejects.toMatchObject({ code });
      expect(existsSync(target)).toBe(false);
    };
    await bad(raw.subarray(0, raw.length - 1), "BACKUP_TRUNCATED");
    await bad(raw.subarray(0, 10), "BACKUP_TRUNCATED");
    await bad(raw.subarray(0, 100_000 > raw.length ? raw.length >> 1 : 100_000), "BACKUP_TRUNCATED");
    const flipped = Buffer.from(raw);
    flipped[raw.length >> 1]! ^= 1;
    await bad(flipped, "BACKUP_CORRUPT");
    await bad(Buffer.concat([raw, Buffer.from([0])]), "BACKUP_CORRUPT");
    await bad(readFileSync(join(a.store.dir, "vault.db")), "BACKUP_NOT_A_BACKUP");
    await bad(Buffer.from("airlock-backup/1\xff\xff\xff\xff", "latin1"), "BACKUP_NOT_A_BACKUP");
    const hostileHeader = Buffer.from('{"format":"airlock-backup","version":1,"params":{},"created":0,"db":1,"blobs":[{"file":"../../etc/passwd","size":1}]}');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(hostileHeader.length);
    await bad(Buffer.concat([Buffer.from("airlock-backup/1"), length, hostileHeader]), "BACKUP_NOT_A_BACKUP");
    // A well-formed header whose sizes promise more than the file holds, or exactly as much with a wrong checksum.
    const withHeader = (doc: object, rest: Buffer): Buffer => {
      const json = Buffer.from(JSON.stringify(doc));
      const n = Buffer.alloc(4);
      n.writeUInt32BE(json.length);
      return Buffer.concat([Buffer.from("airlock-backup/1"), n, json, rest]);
    };
    const { params } = JSON.parse(raw.subarray(20, 20 + raw.readUInt32BE(16)).toString("utf8")) as { params: unknown };
    const doc = { format: "airlock-backup", version: 1, params, created: 0, db: 1000, blobs: [{ file: "0".repeat(32) + ".bundle", size: 500 }] };
    await bad(withHeader(doc, randomBytes(1000)), "BACKUP_TRUNCATED");
    await bad(withHeader(doc, randomBytes(1000 + 500 + 32)), "BACKUP_CORRUPT");
    await bad(withHeader({ ...doc, db: 2 ** 53 }, randomBytes(10)), "BACKUP_NOT_A_BACKUP");
    const huge = Buffer.alloc(20);
    Buffer.from("airlock-backup/1").copy(huge);
    huge.writeUInt32BE(MAX_HEADER_BYTES + 1, 16);
    await bad(huge, "BACKUP_NOT_A_BACKUP");
    // Any bytes at all: one typed error among the expected ones, never a crash.
    for (let i = 0; i < 20; i++) {
      const junk = Buffer.concat([Buffer.from("airlock-backup/1"), randomBytes(i * 7)]);
      const path = join(r, "junk");
      writeFileSync(path, junk);
      await expect(restore(path, target, clock)).rejects.toMatchObject({ code: expect.stringMatching(/^BACKUP_(TRUNCATED|NOT_A_BACKUP|CORRUPT)$/) });
    }

    // A wrong passphrase is found on the copy, before the target is touched.
    await expect(restoreBackup(file, target, passphraseBytes("not the passphrase"), { kdf: "test-insecure", now: clock.now })).rejects.toMatchObject({ code: "VAULT_WRONG_PASSPHRASE" });
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(r).filter((n) => n.includes(".restore-"))).toEqual([]);

    // A live vault at the target stays as it was without --force; with it, it is moved aside.
    const live = b.store.dir;
    b.close();
    const liveDb = readFileSync(join(live, "vault.db"));
    await expect(restore(file, live, clock)).rejects.toMatchObject({ code: "BACKUP_TARGET_EXISTS" });
    expect(readFileSync(join(live, "vault.db")).equals(liveDb)).toBe(true);
    mkdirSync(join(r, "occupied"));
    writeFileSync(join(r, "occupied", "notes.txt"), "mine");
    await expect(restore(file, join(r, "occupied"), clock)).rejects.toMatchObject({ code: "BACKUP_TARGET_EXISTS" });
    const forced = await restore(file, live, clock, true);
    expect(forced.movedAside).toBeDefined();
    expect(readFileSync(join(forced.movedAside!, "vault.db")).equals(liveDb)).toBe(true);
    const a2 = await open(live, clock);
    expect(titles(a2)).toEqual([canary]);
    a2.close();
    // An empty folder is a fine target.
    mkdirSync(join(r, "empty"));
    const intoEmpty = await restore(file, join(r, "empty"), clock);
    expect(statSync(join(intoEmpty.home, "vault.db")).mode & 0o777).toBe(0o600);
    a.close();
  });

  it("a backup of a device that does not hold the identity key is refused, nothing restored", async () => {
    const r = root();
    const clock = new TestClock();
    const a = await newVault(r, "a", clock);
    a.init("Field office", "alice");
    const second = await newVault(r, "a-laptop2", clock);
    a.addDevice(second.joinRequest("alice").bytes);
    sync(a, second);
    expect(second.state().devices.get(second.deviceId)?.active).toBe(true);
    const file = join(r, "laptop2.bak");
    await backupVault(second, file);
    await expect(restore(file, join(r, "restored"), clock)).rejects.toMatchObject({ code: "VAULT_NO_IDENTITY" });
    expect(existsSync(join(r, "restored"))).toBe(false);
    a.close();
    second.close();
  });

  it("adversary: a member claiming more of the old device's chain than anyone holds only keeps the restored vault from revoking it", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const c = await newVault(r, "c", clock);
    a.setRole("bob", "owner"); // only an owner revokes an owner's device
    a.addMember(c.joinRequest("mallory").bytes, "editor");
    sync(a, b, c);
    sync(b, a);
    sync(c, a);
    const file = join(r, "a.bak");
    await backupVault(a, file);
    const old = a.deviceId;
    a.close();
    const done = await restore(file, join(r, "a2"), clock);
    const a2 = await open(done.home, clock);
    sync(a2, b, c);
    sync(b, a2);
    sync(a2, c);
    // Mallory's client sends a real bundle, written after she learned of the restore, that
    // acknowledges 1000 changesets of alice's old device.
    const state = c.state();
    const body = encodePayload({ kind: "sync", team: state.team, entries: [], changesets: [], acks: [{ device: unhex(old), seq: 1000 }], logHeads: state.heads.map(unhex) });
    const to = [...state.devices.values()].filter((d) => d.active && d.id !== c.deviceId).map((d) => d.keys.enc);
    importInto(a2, [sealBundle(body, { recipients: to, sender: c.deviceKey, mailboxTag: new Uint8Array(16) })]);
    const p = restoreProgress(a2)!;
    expect(p.caughtUp).toBe(false);
    expect(p.peers.find((x) => x.device === c.deviceId)).toMatchObject({ acked: 1000 });
    expect(() => a2.revokeDevice(old)).toThrow(expect.objectContaining({ code: "BACKUP_RESTORE_PENDING" }));
    // Nothing else: the restored vault still writes, and bob's vault (which holds the old chain) may revoke it.
    addNote(a2, "notes", { title: "still writing" });
    b.revokeDevice(old);
    sync(b, a2);
    expect(a2.state().devices.get(old)?.active).toBe(false);
    expect(restoreAlert(a2)).toBeUndefined();
    clean(a2);
    a2.close();
    b.close();
    c.close();
  });

  it("why a restore changes the device: acks only move forward (a stale bundle lowers nothing), so a copy put back by hand is not re-sent what it lost, and its next write is an equivocation", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    addNote(a, "notes", { title: "one" });
    sync(a, b);
    sync(b, a);
    const stale = exportBundles(a); // acks of the moment, kept on a stick
    const copy = join(r, "a-copy");
    const homeA = a.store.dir;
    a.close();
    cpSync(homeA, copy, { recursive: true }); // a copy of the folder, as a careless backup would be
    const a1 = await open(homeA, clock);
    addNote(a1, "notes", { title: "two" });
    sync(a1, b);
    sync(b, a1);
    const sent = (): number => exportBundles(b).reduce((n, x) => n + x.changesets, 0);
    const before = sent();
    importInto(b, stale); // read again from the stick, in any order: it must not look like a rollback
    expect(sent()).toBe(before);
    a1.close();
    // The copy put back by hand still signs with the old key: its next changeset reuses a number.
    const back = await open(copy, clock);
    addNote(back, "notes", { title: "three" });
    sync(back, b);
    expect(b.storage.forks.all()).toHaveLength(1);
    back.close();
    b.close();
  });

  it("the writer keeps the reader's bounds: more attached files than a backup lists is a clear error, not a file restore refuses", () => {
    const params = { cipher: "chacha20", current: { kdf: "test-insecure", m: 8, t: 1, p: 1, salt: new Uint8Array(16) } } as unknown as Parameters<typeof encodeHeader>[0]["params"];
    const blobs = Array.from({ length: MAX_BLOBS + 1 }, (_, i) => ({ file: `${i.toString(16).padStart(32, "0")}.bundle`, size: 1 }));
    expect(() => encodeHeader({ params, created: 0, db: 1, blobs })).toThrow(expect.objectContaining({ code: "BACKUP_TOO_MANY_FILES", hint: expect.stringMatching(/airlock attach rm/) }));
    expect(encodeHeader({ params, created: 0, db: 1, blobs: blobs.slice(0, MAX_BLOBS) }).length).toBeLessThanOrEqual(20 + MAX_HEADER_BYTES);
  });
});
