/** The vault CLI as people and scripts meet it: the real bin as child processes, real files. */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airlock, airlockJson, CLI_PASSPHRASE, forgeNote } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { fingerprintArgs } from "../../test-support/fingerprint.js";
import { passphraseBytes } from "../store/index.js";
import { Vault } from "../vault/vault.js";

const { root, cleanup } = tempRoot("airlock-cli-");
afterAll(cleanup);
const home = (n: string): string => join(root, n);
const CANARY_BODY = "canary-body-7f3e9a1c";
const CANARY_TITLE = "canary-title-safehouse";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe("airlock CLI", () => {
  const stick = join(root, "stick");
  mkdirSync(stick);

  it("init, join, members add, notes, export to USB, import, and status, as scripts use them", () => {
    const init = airlockJson(["init", "--team", "Field office", "--name", "alice", "--home", home("a")]);
    expect(init).toMatchObject({ ok: true, team: { name: "Field office" } });
    const join1 = airlockJson(["join", "--name", "bob", "--out", join(root, "bob.req"), "--home", home("b")]);
    expect(join1["fingerprint"]).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    const added = airlockJson(["members", "add", join(root, "bob.req"), "--role", "editor", ...fingerprintArgs(join(root, "bob.req")), "--home", home("a")]);
    expect(added).toMatchObject({ name: "bob", role: "editor", fingerprint: join1["fingerprint"] });
    const note = airlockJson(["notes", "add", "--title", CANARY_TITLE, "--body", CANARY_BODY, "--tags", "x,y", "--home", home("a")]);
    const exported = airlockJson(["export", "--usb", stick, "--home", home("a")]);
    expect((exported["bundles"] as { kind: string }[]).map((b) => b.kind).sort()).toEqual(["sync", "welcome"]);
    const imported = airlockJson(["import", stick, "--home", home("b")]);
    expect(imported).toMatchObject({ report: { welcomed: "Field office", applied: 1 } });
    const list = airlockJson(["notes", "list", "--home", home("b")]);
    expect(list["notes"]).toEqual([expect.objectContaining({ id: note["id"], title: CANARY_TITLE, body: CANARY_BODY, tags: ["x", "y"] })]);
    const again = airlockJson(["import", stick, "--home", home("b")]);
    expect(again).toMatchObject({ report: { applied: 0, duplicates: 1 } });
    const status = airlockJson(["status", "--home", home("b")]);
    expect(status).toMatchObject({ status: { team: { name: "Field office" }, me: { name: "bob", role: "editor" }, changesets: { applied: 1 } } });
  });

  it("edits merge field by field across vaults, and the log tells who did what", () => {
    const id = (airlockJson(["notes", "list", "--home", home("a")])["notes"] as { id: string }[])[0]!.id;
    airlockJson(["notes", "edit", id.slice(0, 6), "--body", "alice's body", "--home", home("a")]);
    airlockJson(["notes", "edit", id, "--title", "bob's title", "--home", home("b")]);
    const stickB = join(root, "stick-b");
    mkdirSync(stickB);
    airlockJson(["export", "--usb", stickB, "--home", home("b")]);
    airlockJson(["export", "--usb", stick, "--home", home("a")]);
    airlockJson(["import", stickB, "--home", home("a")]);
    airlockJson(["import", stick, "--home", home("b")]);
    for (const h of ["a", "b"]) {
      const shown = airlockJson(["notes", "show", id, "--home", home(h)])["note"] as { title: string; body: string };
      expect(shown).toMatchObject({ title: "bob's title", body: "alice's body" });
    }
    const log = airlockJson(["log", "--home", home("a")])["events"] as { author: string; what: string }[];
    expect(log.some((e) => e.author === "bob" && /notes/.test(e.what))).toBe(true);
    expect(log.some((e) => e.author === "alice" && e.what === 'added "bob" as editor')).toBe(true);
  });

  it("exports as QR frame images that the other vault imports from pixels", () => {
    airlockJson(["notes", "add", "--title", "by qr", "--home", home("a")]);
    const qr = join(root, "qr");
    const out = airlockJson(["export", "--qr", qr, "--preset", "high", "--home", home("a")]);
    const bundles = out["bundles"] as { kind: string; path: string; frames: number }[];
    expect(bundles.every((b) => b.frames > 0)).toBe(true);
    const sync = bundles.find((b) => b.kind === "sync")!;
    expect(readdirSync(sync.path).some((f) => f.endsWith(".png"))).toBe(true);
    expect(airlockJson(["import", sync.path, "--home", home("b")])).toMatchObject({ read: 1, report: { applied: 1 } });
  });

  it("a viewer's forged edit lands in quarantine on the other vault", () => {
    airlockJson(["join", "--name", "vera", "--out", join(root, "vera.req"), "--home", home("v")]);
    airlockJson(["members", "add", join(root, "vera.req"), "--role", "viewer", ...fingerprintArgs(join(root, "vera.req")), "--home", home("a")]);
    const s = join(root, "stick-v");
    mkdirSync(s);
    airlockJson(["export", "--usb", s, "--home", home("a")]);
    airlockJson(["import", s, "--home", home("v")]);
    const refused = airlock(["notes", "add", "--title", "nope", "--home", home("v")]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^airlock: error: a viewer may not write "notes"/m);
    expect(refused.stderr).toMatch(/^airlock: hint: /m);
    // Her modified client signs the edit anyway (test-support/forge-note.ts) and exports it.
    const out = join(root, "stick-v2");
    mkdirSync(out);
    forgeNote(home("v"), out, "forged");
    expect(airlockJson(["import", out, "--home", home("a")])).toMatchObject({ report: { rejected: 1 } });
    const status = airlockJson(["status", "--home", home("a")])["status"] as { quarantine: { reason: string }[] };
    expect(status.quarantine.some((q) => /viewer may not write/.test(q.reason))).toBe(true);
    expect((airlockJson(["notes", "list", "--home", home("a")])["notes"] as { title: string }[]).some((n) => n.title === "forged")).toBe(false);
  });

  it("refuses a wrong passphrase, a missing vault, bad flags and a damaged request with one clear line", () => {
    const wrong = airlock(["status", "--home", home("a")], { AIRLOCK_PASSPHRASE: "not it" });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/airlock: error: the passphrase does not open the vault/);
    const missing = airlock(["status", "--home", home("nothing-here"), "--json"]);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: "VAULT_NOT_FOUND" } });
    const badRole = airlock(["members", "add", join(root, "bob.req"), "--role", "boss", "--home", home("a")]);
    expect(badRole.status).not.toBe(0);
    writeFileSync(join(root, "junk.req"), "hello");
    const junk = airlock(["members", "add", join(root, "junk.req"), "--role", "editor", "--home", home("a"), "--json"]);
    expect(JSON.parse(junk.stdout)).toMatchObject({ ok: false, error: { code: "JOIN_REQUEST_INVALID" } });
  });

  it("reads the passphrase from --passphrase-file, and --help shows examples", () => {
    const file = join(root, "pass.txt");
    writeFileSync(file, `${CLI_PASSPHRASE}\n`, { mode: 0o600 });
    const r = airlock(["status", "--home", home("a"), "--passphrase-file", file], { AIRLOCK_PASSPHRASE: "" });
    expect(r.status, r.stderr).toBe(0);
    const help = airlock(["export", "--help"]);
    expect(help.stdout).toMatch(/EXAMPLES[\s\S]*airlock export --usb/);
    const noTty = airlock(["status", "--home", home("a")], { AIRLOCK_PASSPHRASE: "" });
    expect(noTty.stderr).toMatch(/no passphrase given[\s\S]*hint: use --passphrase-file/);
  });

  it("at rest, no canary, name or key byte appears in any vault file", async () => {
    const vault = await Vault.open(home("a"), passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });
    const secrets = ["device.sign", "device.enc", "user.identity", "team.transport"].map((n) => vault.store.getSecret(n)!);
    vault.close();
    const needles: Buffer[] = [CANARY_BODY, CANARY_TITLE, "Field office", "alice's body", "bob's title", "vera"].map((s) => Buffer.from(s));
    for (const s of secrets) needles.push(Buffer.from(s), Buffer.from(Buffer.from(s).toString("hex")));
    for (const h of ["a", "b", "v"]) {
      const files = filesUnder(home(h));
      expect(files.length).toBeGreaterThan(1);
      for (const f of files) {
        if (statSync(f).size === 0) continue;
        const bytes = readFileSync(f);
        for (const n of needles) expect(bytes.includes(n), `${f} contains ${n.toString().slice(0, 20)}`).toBe(false);
      }
    }
  });
});
