/**
 * A passphrase change gives every further space a fresh page key (spaces/rekey.ts,
 * docs/vault-store.md "Passphrase change"): real encrypted vaults with spaces in temp folders;
 * crashes are real SIGKILLs of a child process that runs the change from the built dist, at
 * each point between its steps.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { airlock, airlockBatch, cliFailure, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { newVault, tempRoots, TEST_PASSPHRASE, TestClock } from "../../test-support/vaults.js";
import { DB_FILE, PARAMS_FILE, passphraseBytes, VaultStore } from "../store/index.js";
import { addNote, listNotes } from "../apps/notes/index.js";
import { Vault } from "../vault/vault.js";
import { createSpace, deleteSpace, openSpace, readIndex, spaceDir, SPACES_DIR, type SpaceRef } from "./spaces.js";
import { pendingKeyName, spaceKeyName, SPACES_FOLDER } from "./rekey.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const dist = join(repo, "offline-signer", "dist", "src");
const root = tempRoots("airlock-rekey-");
const TEST = { kdf: "test-insecure" } as const;
const OLD = TEST_PASSPHRASE;
const NEW = "a new passphrase, long enough";
const pw = (s: string): Uint8Array => passphraseBytes(s);

beforeAll(() => {
  // The crash tests run the built store in a child process: rebuild if a source is newer.
  const stale = [["store", "vault-store"], ["spaces", "rekey"], ["store", "params"]].some(([dir, f]) => {
    const out = join(dist, dir!, `${f}.js`);
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(here, "..", dir!, `${f}.ts`)).mtimeMs;
  });
  if (stale) execFileSync(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-b", join(repo, "offline-signer")]);
});

/** A vault with two further spaces, each in a team of its own with a note; closed. Returns its folder and the spaces. */
async function setup(r: string): Promise<{ home: string; spaces: SpaceRef[] }> {
  const clock = new TestClock();
  const a = await newVault(r, "a", clock);
  a.init("Field office", "alice");
  addNote(a, "notes", { title: "first" });
  const spaces: SpaceRef[] = [];
  for (const name of ["Board", "Coalition"]) {
    const made = createSpace(a, name, { now: clock.now });
    made.vault.init(name, "alice");
    addNote(made.vault, "notes", { title: `${name}: kept` });
    made.vault.close();
    spaces.push(made.space);
  }
  const home = a.store.dir;
  a.close();
  // In the order a change re-keys them (by id).
  return { home, spaces: spaces.sort((x, y) => (x.id < y.id ? -1 : 1)) };
}

const open = (home: string, pass: string): Promise<Vault> => Vault.open(home, pw(pass), TEST);

/** Each space's key as the first store holds it now. */
function keys(first: Vault, spaces: readonly SpaceRef[]): Uint8Array[] {
  return spaces.map((s) => first.store.getSecret(spaceKeyName(s.id))!);
}

/** Whether `key` opens the space's store (VaultStore.openSpace wipes what it is given: a copy). */
function opens(home: string, first: Vault, space: SpaceRef, key: Uint8Array): boolean {
  try {
    VaultStore.openSpace(join(home, SPACES_DIR, space.id), key.slice(), first.store).close();
    return true;
  } catch (e) {
    expect(e).toMatchObject({ code: "VAULT_WRONG_KEY" });
    return false;
  }
}

/** Every space opens the way every command opens it (spaces.ts, `.key` only) and holds its note. */
function everySpaceOpens(first: Vault, spaces: readonly SpaceRef[]): void {
  for (const s of spaces) {
    const v = openSpace(first, s);
    try {
      expect(listNotes(v, "notes").map((n) => n.title)).toEqual([`${s.name}: kept`]);
    } finally {
      v.close();
    }
  }
}

const pendingLeft = (first: Vault): string[] =>
  (first.store.connection().prepare("SELECT name FROM secrets WHERE name LIKE 'space.%.key.next'").all() as { name: string }[]).map((r) => r.name);

describe("passphrase change and further spaces", () => {
  it("names the spaces' folder as spaces.ts does", () => {
    expect(SPACES_FOLDER).toBe(SPACES_DIR);
  });

  it("gives every space a fresh key: the keys an old copy of vault.db yields with the old passphrase open none of them", async () => {
    const r = root();
    const { home, spaces } = await setup(r);
    // The adversary's copy: the first store as it was (an old backup, a copied laptop).
    const copy = join(r, "stolen");
    mkdirSync(copy);
    for (const f of [DB_FILE, PARAMS_FILE]) copyFileSync(join(home, f), join(copy, f));

    const a = await open(home, OLD);
    const before = keys(a, spaces);
    const next = pw(NEW);
    expect(await a.store.changePassphrase(next, TEST)).toEqual({ spaces: 2 });
    expect(next.every((b) => b === 0)).toBe(true);
    const after = keys(a, spaces);
    for (const [i, s] of spaces.entries()) {
      expect(after[i]).not.toEqual(before[i]);
      expect(opens(home, a, s, before[i]!)).toBe(false);
      expect(opens(home, a, s, after[i]!)).toBe(true);
      // Back in WAL mode like every store.
      const v = openSpace(a, s);
      expect(v.store.connection().pragma("journal_mode", { simple: true })).toBe("wal");
      v.close();
    }
    expect(pendingLeft(a)).toEqual([]);
    a.close();

    await expect(open(home, OLD)).rejects.toMatchObject({ code: "VAULT_WRONG_PASSPHRASE" });
    const again = await open(home, NEW);
    everySpaceOpens(again, spaces);
    expect(listNotes(again, "notes").map((n) => n.title)).toEqual(["first"]);

    // The old copy opens with the old passphrase, and hands out the old keys: they open nothing now.
    const stolen = await open(copy, OLD);
    for (const [i, s] of spaces.entries()) {
      const k = stolen.store.getSecret(spaceKeyName(s.id))!;
      expect(k).toEqual(before[i]);
      expect(opens(home, again, s, k)).toBe(false);
      expect(() => Vault.openSpace(spaceDir(again, s.id), k, again.store, TEST)).toThrow(expect.objectContaining({ code: "VAULT_WRONG_KEY" }));
    }
    stolen.close();
    again.close();
  });

  // Each point between two steps of the change: the child SIGKILLs itself there (no cleanup, no
  // checkpoint, connections never closed).
  const POINTS = ["pending", "space-before:0", "space-after:0", "space-before:1", "space-after:1", "settled", "first-store"] as const;
  for (const point of POINTS) {
    it(`kill -9 at "${point}": every space opens with a key the first store holds, and the change done again succeeds`, async () => {
      const r = root();
      const { home, spaces } = await setup(r);
      const a0 = await open(home, OLD);
      const original = keys(a0, spaces);
      a0.close();

      const child = `
        const { VaultStore } = await import(${JSON.stringify(join(dist, "store", "vault-store.js"))});
        const { passphraseBytes } = await import(${JSON.stringify(join(dist, "store", "params.js"))});
        const [home, old, next, point] = process.argv.slice(1);
        const ids = [];
        const store = await VaultStore.open(home, passphraseBytes(old), { kdf: "test-insecure" });
        await store.changePassphrase(passphraseBytes(next), { kdf: "test-insecure", onStep: (step, id) => {
          if (id !== undefined && !ids.includes(id)) ids.push(id);
          const at = id === undefined ? step : step + ":" + ids.indexOf(id);
          if (at === point) process.kill(process.pid, "SIGKILL");
        } });
        process.stdout.write("not killed\\n");
      `;
      const run = spawnSync(process.execPath, ["--input-type=module", "-e", child, home, OLD, NEW, point], { encoding: "utf8" });
      expect(run.signal, run.stderr).toBe("SIGKILL");

      // Every point is before the first store's own re-key: the old passphrase is still the one.
      await expect(open(home, NEW)).rejects.toMatchObject({ code: "VAULT_WRONG_PASSPHRASE" });
      const a = await open(home, OLD);
      // Opening settled the spaces: each opens with `.key`, the way every command opens it.
      everySpaceOpens(a, spaces);
      // The spaces re-keyed before the kill have their new keys; the others their old ones.
      const done = { pending: 0, "space-before:0": 0, "space-after:0": 1, "space-before:1": 1, "space-after:1": 2, settled: 2, "first-store": 2 }[point];
      for (const [i, s] of spaces.entries()) expect(opens(home, a, s, original[i]!)).toBe(i >= done);
      // A pending key left is one that opens nothing (it was never committed to its space).
      for (const name of pendingLeft(a)) {
        const s = spaces.find((x) => name === pendingKeyName(x.id))!;
        expect(opens(home, a, s, a.store.getSecret(name)!)).toBe(false);
      }

      // The change done again: everything under fresh keys, no original key opens anything.
      expect(await a.store.changePassphrase(pw(NEW), TEST)).toEqual({ spaces: 2 });
      a.close();
      const b = await open(home, NEW);
      everySpaceOpens(b, spaces);
      for (const [i, s] of spaces.entries()) expect(opens(home, b, s, original[i]!)).toBe(false);
      expect(pendingLeft(b)).toEqual([]);
      b.close();
    });
  }

  it("a crash thrown from the hook between the spaces' re-keys leaves the open store working, and its next open settles", async () => {
    const r = root();
    const { home, spaces } = await setup(r);
    const a = await open(home, OLD);
    const original = keys(a, spaces);
    let seen = 0;
    await expect(
      a.store.changePassphrase(pw(NEW), {
        ...TEST,
        onStep: (step) => {
          if (step === "space-after" && ++seen === 1) throw new Error("crash");
        },
      }),
    ).rejects.toThrow("crash");
    // Board is under its pending key, `.key` still the old one: spaces.ts alone would not open it ...
    expect(opens(home, a, spaces[0]!, original[0]!)).toBe(false);
    expect(opens(home, a, spaces[0]!, a.store.getSecret(pendingKeyName(spaces[0]!.id))!)).toBe(true);
    // ... but a candidate list does (what openSpace can pass while a change runs in another airlock).
    const both = VaultStore.openSpace(join(home, SPACES_DIR, spaces[0]!.id), [a.store.getSecret(spaceKeyName(spaces[0]!.id))!, a.store.getSecret(pendingKeyName(spaces[0]!.id))!], a.store);
    both.close();
    a.close();
    const b = await open(home, OLD);
    everySpaceOpens(b, spaces);
    expect(pendingLeft(b)).toEqual([pendingKeyName(spaces[1]!.id)]);
    b.close();
  });

  it("a space held open by another airlock stops the change: the spaces before it keep their new keys, the passphrase is unchanged, nothing pending is left", async () => {
    const r = root();
    const { home, spaces } = await setup(r);
    const a = await open(home, OLD);
    const original = keys(a, spaces);
    const other = openSpace(a, spaces[1]!); // the TUI, say, with Coalition open
    await expect(a.store.changePassphrase(pw(NEW), TEST)).rejects.toMatchObject({ code: "VAULT_BUSY", message: expect.stringContaining(spaces[1]!.id.slice(0, 8)), hint: expect.stringMatching(/passphrase was not changed/) });
    other.close();
    expect(pendingLeft(a)).toEqual([]);
    expect(opens(home, a, spaces[0]!, original[0]!)).toBe(false);
    expect(opens(home, a, spaces[1]!, original[1]!)).toBe(true);
    expect(a.store.connection().pragma("journal_mode", { simple: true })).toBe("wal");
    a.close();
    const b = await open(home, OLD);
    everySpaceOpens(b, spaces);
    await b.store.changePassphrase(pw(NEW), TEST);
    b.close();
    const c = await open(home, NEW);
    everySpaceOpens(c, spaces);
    c.close();
  });

  it("the vault held open by another airlock stops the change before anything is touched", async () => {
    const r = root();
    const { home, spaces } = await setup(r);
    const a = await open(home, OLD);
    const original = keys(a, spaces);
    const other = await open(home, OLD);
    await expect(a.store.changePassphrase(pw(NEW), TEST)).rejects.toMatchObject({ code: "VAULT_BUSY" });
    other.close();
    expect(keys(a, spaces)).toEqual(original);
    expect(pendingLeft(a)).toEqual([]);
    a.close();
    const b = await open(home, OLD);
    everySpaceOpens(b, spaces);
    b.close();
  });

  it("a space whose folder is gone stops the change, named, with the way out; once it is removed the change succeeds", async () => {
    const r = root();
    const { home, spaces } = await setup(r);
    rmSync(join(home, SPACES_DIR, spaces[1]!.id), { recursive: true });
    const a = await open(home, OLD);
    await expect(a.store.changePassphrase(pw(NEW), TEST)).rejects.toMatchObject({ code: "VAULT_NOT_FOUND", hint: expect.stringContaining(`spaces leave ${spaces[1]!.id.slice(0, 8)} --now`) });
    expect(pendingLeft(a)).toEqual([]);
    deleteSpace(a, spaces[1]!);
    expect(readIndex(a).map((e) => e.name)).toEqual([spaces[0]!.name]);
    expect(await a.store.changePassphrase(pw(NEW), TEST)).toEqual({ spaces: 1 });
    a.close();
    const b = await open(home, NEW);
    everySpaceOpens(b, spaces.filter((s) => s.id !== spaces[1]!.id));
    b.close();
    expect(readdirSync(join(home, SPACES_DIR))).toEqual([spaces[0]!.id]);
  });

  it("through the CLI: `passphrase change` says the spaces got fresh keys; every space opens with the new passphrase only", () => {
    const r = root();
    const a = join(r, "a");
    const setup = airlockBatch([
      ["init", "--team", "Field office", "--name", "alice", "--home", a],
      ["spaces", "create", "Board", "--home", a],
      ["notes", "add", "--title", "in Board", "--space", "Board", "--home", a],
    ]);
    expect(setup.map((x) => x.status)).toEqual([0, 0, 0]);
    const next = join(r, "new-passphrase");
    writeFileSync(next, `${NEW}\n`, { mode: 0o600 });
    // Where an upgrade's copy would be (migration-copy.test.ts makes a real one): the command
    // cannot re-key it, so it says it is there.
    mkdirSync(join(a, "backups", "before-v99-20261206T000000Z"), { recursive: true });
    const changed = airlock(["passphrase", "change", "--new-passphrase-file", next, "--home", a]);
    expect(changed.status, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/Passphrase changed\. The 1 further space\(s\) got fresh keys too/);
    expect(changed.stdout).toMatch(/1 copy\(ies\) an upgrade took \(.*backups\) still open with the old passphrase, as the vault was then: if it leaked, delete them\./);
    const after = airlockBatch([["notes", "list", "--space", "Board", "--home", a, "--json"]], { AIRLOCK_PASSPHRASE: NEW });
    expect((JSON.parse(after[0]!.stdout) as { notes: { title: string }[] }).notes.map((n) => n.title)).toEqual(["in Board"]);
    expect(cliFailure(airlock(["notes", "list", "--space", "Board", "--home", a, "--json"], { AIRLOCK_PASSPHRASE: CLI_PASSPHRASE })).code).toBe("VAULT_WRONG_PASSPHRASE");
  });
});
