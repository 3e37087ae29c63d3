/**
 * `airlock backup` and `airlock restore` as people run them: the real bin as child processes,
 * real files, a USB drop folder between two vaults (docs/sync.md "Restoring a backup").
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airlock, airlockBatch, airlockJson, airlockJsonBatch } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { fingerprintArgs } from "../../test-support/fingerprint.js";

const { root, cleanup } = tempRoot("airlock-backup-cli-");
afterAll(cleanup);
const home = (n: string): string => join(root, n);

function stick(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Several commands in one child process (the process is not what they test); each result parsed, with its exit status. */
function batch(commands: readonly (readonly string[])[]): { status: number | null; json: Record<string, unknown> }[] {
  return airlockBatch(commands.map((c) => [...c, "--json"])).map((r) => ({ status: r.status, json: JSON.parse(r.stdout) as Record<string, unknown> }));
}

const titlesOf = (json: Record<string, unknown>): string[] => (json["notes"] as { title: string }[]).map((n) => n.title).sort();
const ALL = ["after the backup", "after the restore", "before the backup"];

describe("airlock backup / restore", () => {
  it("a backup restored after the laptop died comes back as a new device, gets back what was written after the backup, and reuses no number", () => {
    const request = join(root, "bob.req");
    airlockJsonBatch([
      ["init", "--team", "Field office", "--name", "alice", "--home", home("a")],
      ["join", "--name", "bob", "--out", request, "--home", home("b")],
    ]);
    const toBob = stick("to-bob");
    const setup = airlockJsonBatch([
      ["members", "add", request, "--role", "editor", ...fingerprintArgs(request), "--home", home("a")],
      ["notes", "add", "--title", "before the backup", "--home", home("a")],
      ["export", "--usb", toBob, "--home", home("a")],
      ["import", toBob, "--home", home("b")],
      ["status", "--home", home("a")],
    ]);
    const oldDevice = (setup[4]!["status"] as { me: { device: string } }).me.device;
    const file = join(root, "alice.airlock-backup");
    const made = airlockJson(["backup", "--out", file, "--home", home("a")]);
    expect(made).toMatchObject({ ok: true, file, files: 0 });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Work after the backup that only bob's vault receives; then alice's laptop is gone.
    const toBob2 = stick("to-bob-2");
    const after = batch([
      ["backup", "--out", file, "--home", home("a")],
      ["notes", "add", "--title", "after the backup", "--home", home("a")],
      ["export", "--usb", toBob2, "--home", home("a")],
      ["import", toBob2, "--home", home("b")],
    ]);
    expect(after[0]).toMatchObject({ status: 1, json: { ok: false, error: { code: "VAULT_FILE_EXISTS" } } });
    expect(after.slice(1).map((r) => r.status)).toEqual([0, 0, 0]);
    rmSync(home("a"), { recursive: true });

    // A wrong passphrase, a damaged file: refused before anything is written.
    const wrong = airlock(["restore", file, "--home", home("a2"), "--json"], { AIRLOCK_PASSPHRASE: "not it" });
    expect(wrong.status).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, error: { code: "VAULT_WRONG_PASSPHRASE" } });
    const cut = join(root, "cut.airlock-backup");
    writeFileSync(cut, readFileSync(file).subarray(0, 5000));
    const truncated = airlock(["restore", cut, "--home", home("a2")]);
    expect(truncated.status).toBe(1);
    expect(truncated.stderr).toMatch(/^airlock: error: .*(ends|announces)/m);
    expect(truncated.stderr).toMatch(/^airlock: hint: the copy is incomplete/m);
    expect(existsSync(home("a2"))).toBe(false);

    const restored = airlockJson(["restore", file, "--home", home("a2")]);
    expect(restored).toMatchObject({ ok: true, team: "Field office", oldDevice });
    expect(restored["device"]).not.toBe(oldDevice);

    const toBob3 = stick("to-bob-3");
    const toAlice = stick("to-alice");
    const toBob4 = stick("to-bob-4");
    const r = batch([
      /* 0 */ ["restore", file, "--home", home("a2")],
      /* 1 */ ["notes", "list", "--home", home("a2")],
      // Revoking the old device now would cut off "after the backup": refused, and status says why.
      /* 2 */ ["devices", "revoke", oldDevice.slice(0, 12), "--home", home("a2")],
      /* 3 */ ["notes", "add", "--title", "after the restore", "--home", home("a2")],
      /* 4 */ ["export", "--usb", toBob3, "--home", home("a2")],
      /* 5 */ ["import", toBob3, "--home", home("b")],
      /* 6 */ ["export", "--usb", toAlice, "--home", home("b")],
      /* 7 */ ["status", "--home", home("a2")],
      /* 8 */ ["import", toAlice, "--home", home("a2")],
      /* 9 */ ["notes", "list", "--home", home("a2")],
      /* 10 */ ["notes", "list", "--home", home("b")],
      // Caught up: the old device is revoked with nothing lost, and no equivocation anywhere.
      /* 11 */ ["devices", "revoke", oldDevice.slice(0, 12), "--home", home("a2")],
      /* 12 */ ["export", "--usb", toBob4, "--home", home("a2")],
      /* 13 */ ["import", toBob4, "--home", home("b")],
      /* 14 */ ["status", "--home", home("b")],
      /* 15 */ ["status", "--home", home("a2")],
      /* 16 */ ["notes", "list", "--home", home("b")],
    ]);
    expect(r[0]).toMatchObject({ status: 1, json: { ok: false, error: { code: "BACKUP_TARGET_EXISTS" } } });
    expect(titlesOf(r[1]!.json)).toEqual(["before the backup"]);
    expect(r[2]).toMatchObject({ status: 1, json: { ok: false, error: { code: "BACKUP_RESTORE_PENDING" } } });
    expect(r.slice(3, 12).map((x) => x.status)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect((r[7]!.json["status"] as { alerts: string[] }).alerts.some((a) => /restored from a backup of device .*waiting/.test(a))).toBe(true);
    expect(r[8]!.json).toMatchObject({ report: { applied: 1 } });
    expect(titlesOf(r[9]!.json)).toEqual(ALL);
    expect(titlesOf(r[10]!.json)).toEqual(ALL);
    for (const s of [r[14]!.json, r[15]!.json]) {
      const st = s["status"] as { alerts: string[]; quarantine: unknown[]; changesets: { rejected: number } };
      expect(st.alerts).toEqual([]);
      expect(st.quarantine).toEqual([]);
      expect(st.changesets.rejected).toBe(0);
    }
    expect(titlesOf(r[16]!.json)).toEqual(ALL);
  });
});
