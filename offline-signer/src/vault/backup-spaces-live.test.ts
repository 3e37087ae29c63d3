/**
 * `restore --force` over a live vault that holds a space the backup does not carry (made or
 * joined after the backup): refused, naming it, nothing changed (docs/sync.md "Restoring a
 * backup"). Real encrypted vaults in temp folders, real bundles between real teammates.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { airlock, airlockBatch, cliFailure } from "../../test-support/cli.js";
import { newVault, sync, team, tempRoots, TEST_PASSPHRASE } from "../../test-support/vaults.js";
import { passphraseBytes } from "../store/index.js";
import { addNote, listNotes } from "../apps/notes/index.js";
import { allSpaces, createSpace, findSpace, markLeaving, openSpace } from "../spaces/spaces.js";
import { backupVault } from "./backup.js";
import { restoreBackup } from "./backup-restore.js";
import { Vault } from "./vault.js";

const root = tempRoots("airlock-backup-live-");
const pass = (): Uint8Array => passphraseBytes(TEST_PASSPHRASE);

/**
 * Every file under `dir` with its content hash: "nothing changed" is this map, equal. The first
 * vault.db is left out: merely opening a vault writes to it (the restore opens the live vault to
 * check it); what it holds is checked through the vault instead.
 */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p !== join(dir, "vault.db")) out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

const titles = (v: Vault): string[] => listNotes(v, "notes").map((n) => n.title);

describe("restore --force over a live vault with a space the backup does not carry", () => {
  it("a space joined after the backup, with a note never exported: refused, named, nothing changed; a new backup carries it", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    addNote(a, "notes", { title: "field" });
    sync(a, b);
    sync(b, a);
    const old = join(r, "old.airlock-backup");
    await backupVault(a, old);

    // After the backup: alice joins dave's team "Gamma" in a new space, and writes a note there she never exports.
    const dave = await newVault(r, "dave", clock);
    dave.init("Gamma", "dave");
    const gamma = createSpace(a, "Gamma", { now: clock.now });
    dave.addMember(gamma.vault.joinRequest("alice").bytes, "editor");
    sync(dave, gamma.vault); // the welcome
    addNote(gamma.vault, "notes", { title: "gamma: only here" });
    // And a space made after the backup whose join request is still unanswered: nothing to lose there.
    const waiting = createSpace(a, "Waiting", { now: clock.now });
    waiting.vault.joinRequest("alice");
    waiting.vault.close();
    const identity = gamma.vault.identitySeed();
    expect(identity).toBeDefined();
    gamma.vault.close();
    const home = a.store.dir;
    a.close();

    const before = tree(home);
    const restore = (file: string) => restoreBackup(file, home, pass(), { kdf: "test-insecure", now: clock.now, force: true });
    await expect(restore(old)).rejects.toMatchObject({
      code: "BACKUP_LIVE_SPACES",
      message: expect.stringMatching(/"Gamma"/),
      hint: expect.stringMatching(/airlock backup.*nothing was changed/),
    });
    // Nothing changed: every file of the live vault as it was, no staging or moved-aside folder.
    expect(tree(home)).toEqual(before);
    expect(readdirSync(r).filter((n) => n.includes(".restore-") || n.includes("before-restore"))).toEqual([]);
    const live = await Vault.open(home, pass(), { kdf: "test-insecure", now: clock.now });
    expect(allSpaces(live).map((s) => s.name)).toEqual(["Field office", "Gamma", "Waiting"]);
    const g = openSpace(live, findSpace(live, "Gamma"));
    expect(titles(g)).toEqual(["gamma: only here"]);

    // Even once dave holds the note, the old backup would leave Gamma's identity key behind: still refused.
    sync(g, dave);
    sync(dave, g);
    g.close();
    live.close();
    await expect(restore(old)).rejects.toMatchObject({ code: "BACKUP_LIVE_SPACES" });
    expect(existsSync(join(home, "spaces", gamma.space.id, "vault.db"))).toBe(true);
    expect(readdirSync(r).filter((n) => n.includes(".restore-") || n.includes("before-restore"))).toEqual([]);

    // The way out the hint gives: back up again (it carries Gamma), restore that.
    const again = await reopen(home, clock.now);
    const fresh = join(r, "fresh.airlock-backup");
    const made = await backupVault(again, fresh);
    expect(made.spaces.map((s) => s.name)).toEqual(["Gamma"]);
    again.close();
    const done = await restore(fresh);
    expect(done.spaces.map((s) => s.name)).toEqual(["Gamma"]);
    // The space still waiting for its welcome is left behind, and said so, by name.
    expect(done.movedAsideNote).toMatch(/not carry.*"Waiting" \(waiting for its welcome\)/);
    const restored = await reopen(home, clock.now);
    const rg = openSpace(restored, findSpace(restored, "Gamma"));
    expect(titles(rg)).toEqual(["gamma: only here"]);
    const seed = rg.identitySeed();
    expect(seed).toEqual(identity);
    rg.close();
    restored.close();
    b.close();
    dave.close();
  });

  it("a space being left (its revocation waiting for the next export) is no reason to refuse: the restore names it as left behind", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const old = join(r, "old.airlock-backup");
    await backupVault(a, old);
    const dave = await newVault(r, "dave", clock);
    dave.init("Gamma", "dave");
    const gamma = createSpace(a, "Gamma", { now: clock.now });
    dave.addMember(gamma.vault.joinRequest("alice").bytes, "editor");
    sync(dave, gamma.vault);
    gamma.vault.close();
    markLeaving(a, gamma.space);
    const home = a.store.dir;
    a.close();
    const done = await restoreBackup(old, home, pass(), { kdf: "test-insecure", now: clock.now, force: true });
    expect(done.movedAsideNote).toMatch(/"Gamma" \(being left\)/);
    expect(existsSync(join(done.movedAside!, "spaces", gamma.space.id))).toBe(true);
    b.close();
    dave.close();
  });

  it("through the CLI: exit 1 with BACKUP_LIVE_SPACES naming the space, and the vault there still holds it and its note", () => {
    const r = root();
    const a = join(r, "a");
    expect(airlock(["init", "--team", "Field office", "--name", "alice", "--home", a]).status).toBe(0);
    const file = join(r, "a.airlock-backup");
    expect(airlock(["backup", "--out", file, "--home", a]).status).toBe(0);
    const run = airlockBatch([
      ["spaces", "create", "Gamma", "--home", a],
      ["notes", "add", "--title", "gamma: only here", "--space", "Gamma", "--home", a],
      ["restore", file, "--home", a, "--force", "--json"],
      ["notes", "list", "--space", "Gamma", "--home", a, "--json"],
    ]);
    expect(run.slice(0, 2).map((x) => x.status)).toEqual([0, 0]);
    const error = cliFailure(run[2]!);
    expect(error).toMatchObject({ code: "BACKUP_LIVE_SPACES", message: expect.stringMatching(/"Gamma"/), hint: expect.stringMatching(/airlock backup/) });
    expect(run[3]!.status).toBe(0);
    expect((JSON.parse(run[3]!.stdout) as { notes: { title: string }[] }).notes.map((n) => n.title)).toEqual(["gamma: only here"]);
    expect(readdirSync(r).filter((n) => n.includes("before-restore") || n.includes(".restore-"))).toEqual([]);
  });
});

function reopen(home: string, now: () => number): Promise<Vault> {
  return Vault.open(home, pass(), { kdf: "test-insecure", now });
}
