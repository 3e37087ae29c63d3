/** The vault CLI as people and scripts meet it: the real bin as child processes, real files. */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airlock, airlockJson, type CliResult, CLI_PASSPHRASE, forgeNote } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { bashComplete, hasShell } from "../../../shared/test-support/bash-complete.js";
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
    // Global flags before the command work too (docs/cli.md).
    const status = airlockJson(["--home", home("b"), "status"]);
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

  // The CLI contract (docs/cli.md): exit codes, usage errors with suggestions, help and completion.

  /** Exactly `airlock: error: …` then `airlock: hint: …` on stderr, nothing on stdout, and `status`. */
  function expectReport(r: CliResult, status: number, error: RegExp, hint: RegExp): void {
    expect(r.status, r.stdout + r.stderr).toBe(status);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n").filter((l) => l !== "" && !/^airlock: warning: /.test(l));
    expect(lines, r.stderr).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^airlock: error: ${error.source}$`));
    expect(lines[1]).toMatch(new RegExp(`^airlock: hint: ${hint.source}$`));
  }

  it("exits 0 when done, 1 when failed, 2 for a command line that cannot be right, 3 when input was refused", () => {
    expect(airlock(["status", "--home", home("a")]).status).toBe(0);
    // A collection that does not exist is an error (exit 1), not an empty list.
    expectReport(airlock(["notes", "list", "--collection", "nope", "--home", home("a")]), 1, /no collection "nope"/, /notes collections this device reads: notes \(airlock collections list shows every collection\)/);
    expectReport(airlock(["notes", "ad", "--title", "x", "--home", home("a")]), 2, /no command "notes ad"/, /did you mean "airlock notes add"\?/);
    writeFileSync(join(root, "README.md"), "# not a bundle\n");
    const refused = airlock(["import", join(root, "README.md"), "--home", home("a"), "--json"]);
    expect(refused.status, refused.stderr).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: true, report: { issues: [{ code: "BUNDLE_MALFORMED" }] } });
  });

  it("usage errors: code USAGE, exit 2, one error line and one hint line with the nearest command or flag", () => {
    const table: [args: string[], error: RegExp, hint: RegExp][] = [
      [["ntoes"], /no command "ntoes"/, /did you mean "airlock notes"\?/], // an unknown topic
      [["fly"], /no command "fly"/, /see airlock help for the commands/],
      [["members", "rmv", "x"], /no command "members rmv"/, /the members commands are add, list, remove, role \(airlock help members\)/],
      [["import", "--dry", "x"], /unknown flag --dry for "airlock import"/, /did you mean "--dry-run"\? \(see airlock import --help\)/],
      [["notes", "add", "--home", home("a")], /missing required flag --title/, /see airlock notes add --help/],
      [["members", "add", "--role", "editor"], /"airlock members add" needs REQUEST/, /see airlock members add --help/],
      [["members", "add", "x.req", "--role", "boss"], /Expected --role=boss to be one of: viewer, editor, admin, owner/, /see airlock members add --help/],
      [["help", "notes", "ad"], /no command "notes ad"/, /did you mean "airlock notes add"\?/],
      [["completion", "tcsh"], /Expected tcsh to be one of: bash, zsh, fish/, /see airlock completion --help/],
    ];
    for (const [args, error, hint] of table) expectReport(airlock(args), 2, error, hint);
    const json = airlock(["notes", "ad", "--json"]);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: { code: "USAGE", message: 'no command "notes ad"', hint: 'did you mean "airlock notes add"?' } });
  });

  it("--collection: a name or another case suggests the id; a collection this device may not read says why", () => {
    expectReport(airlock(["notes", "list", "--collection", "Notes", "--home", home("b")]), 1, /no collection "Notes"/, /--collection takes the id: did you mean "notes"\? \(notes collections this device reads: notes\)/);
    // Alice makes a collection only admins read; Bob (an editor) learns of it from her next export.
    airlockJson(["collections", "add", "board", "--read", "admin", "--write", "admin", "--home", home("a")]);
    const s = join(root, "stick-board");
    mkdirSync(s);
    airlockJson(["export", "--usb", s, "--home", home("a")]);
    airlockJson(["import", s, "--home", home("b")]);
    const r = airlock(["notes", "list", "--collection", "board", "--home", home("b"), "--json"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      error: {
        code: "VAULT_NOT_ALLOWED",
        message: 'this device may not read "board": it is read by admin and up, and you are an editor',
        hint: "notes collections this device reads: notes; an admin can change who reads it (airlock collections policy board)",
      },
    });
  });

  it("help [COMMAND...] shows the command list, a topic or a command", () => {
    const top = airlock(["help"]);
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/COMMANDS[\s\S]*completion[\s\S]*help/);
    expect(top.stdout).toMatch(/TOPICS[\s\S]*notes/);
    const topic = airlock(["help", "notes"]);
    expect(topic.stdout).toMatch(/notes add +Add a note/);
    const command = airlock(["help", "notes", "add"]);
    expect(command.status).toBe(0);
    expect(command.stdout).toMatch(/USAGE\n {2}\$ airlock notes add --title <value>/);
  });

  it("completion: a bash script that completes commands, topics, subcommands, flags and roles; zsh and fish scripts", () => {
    const bash = airlock(["completion", "bash"]);
    expect(bash.status).toBe(0);
    const complete = (...line: string[]): string[] => bashComplete(bash.stdout, "_airlock", ["airlock", ...line]);
    expect(complete("no")).toEqual(["notes"]);
    expect(complete("notes", "a")).toEqual(["add"]);
    expect(complete("import", "--d")).toEqual(["--device", "--dry-run"]);
    expect(complete("import", "--")).toEqual(expect.arrayContaining(["--dry-run", "--home", "--json", "--passphrase-file", "--remove"]));
    expect(complete("members", "add", "bob.req", "--role", "")).toEqual(["viewer", "editor", "admin", "owner"]);
    expect(complete("")).toEqual(expect.arrayContaining(["completion", "help", "import", "members", "notes", "secrets", "status"]));
    for (const shell of ["zsh", "fish"]) {
      const r = airlock(["completion", shell]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(shell === "zsh" ? "#compdef airlock" : "complete -c airlock");
      for (const word of ["notes", "members", "dry-run", "passphrase-file"]) expect(r.stdout).toContain(word);
      if (hasShell(shell)) expect(spawnSync(shell, ["-n"], { input: r.stdout, encoding: "utf8" }).status).toBe(0);
    }
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
