/**
 * The apps (secrets, contacts, notes, search, typed collections) through the real `airlock` bin as
 * child processes: one team of three vaults (alice admin, bob editor, vera viewer) plus a second
 * team's vault (carol), real files and a USB folder between them. Every process start costs about
 * a second on a busy machine, so the tests share one setup, each call checks several things, and
 * commands in a row that read no standard input run in one process (airlockBatch: each still
 * opens and closes its vault, with its own output and exit code).
 */
import * as kdbxweb from "kdbxweb";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AIRLOCK_BIN, airlockBatch, airlockJson, airlockJsonBatch, cliEnv, type CliResult, cliFailure as failure } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { fingerprintArgs } from "../../test-support/fingerprint.js";
import { effLargeWordlist } from "./secrets/wordlist.js";
import { totpCode } from "./secrets/totp.js";
import { APPS } from "./registry.js";
// Sets kdbxweb's Argon2 implementation, which writing the test database needs too.
import "./secrets/formats/kdbx.js";

const { root, cleanup } = tempRoot("airlock-apps-cli-");
afterAll(cleanup);
const HOMES = { alice: join(root, "alice"), bob: join(root, "bob"), vera: join(root, "vera"), carol: join(root, "carol") };
type Who = keyof typeof HOMES;
const as = (who: Who): string[] => ["--home", HOMES[who]];

const MASK = "••••••••";
// Distinct words, so a leak shows up wherever it lands (stdout, search index).
const PASSWORD = "quixotic-pelican-4471";
// The new password holds the word search looks for: search must still not find the login.
const NEW_PASSWORD = "marigold-walrus-0932";
const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP";
const TOTP_URI = `otpauth://totp/Bank:alice?secret=${TOTP_SECRET}&issuer=Bank`;
const ADMIN_ONLY_WORD = "zanzibar";
// Hidden custom field values (a PIN), earlier and current: shown only with --reveal.
const PINS = ["heron-pin-first", "osprey-pin-second"] as const;
const ORG = "Marigold Radio";

/** The CLI with `input` on standard input (airlock() gives the child none). */
function airlockIn(args: readonly string[], input: string | Uint8Array, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [AIRLOCK_BIN, ...args], { input, encoding: "utf8", env: cliEnv(env), timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}


function parsed(r: CliResult): Record<string, unknown> {
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Whether `phrase` is exactly `n` wordlist words joined by "-" (some EFF words hold a dash themselves). */
function isPassphraseOf(phrase: string, n: number): boolean {
  const words = new Set(effLargeWordlist());
  const parts = phrase.split("-");
  // counts[i]: the word counts that can spell parts[0..i).
  const counts: Set<number>[] = parts.map(() => new Set<number>());
  counts.push(new Set<number>());
  counts[0]!.add(0);
  for (let i = 0; i < parts.length; i++) {
    for (const k of counts[i]!) {
      for (let j = i + 1; j <= Math.min(parts.length, i + 2); j++) if (words.has(parts.slice(i, j).join("-"))) counts[j]!.add(k + 1);
    }
  }
  return counts[parts.length]!.has(n);
}

interface Phone {
  label: string;
  value: string;
}
const byValue = (phones: readonly Phone[]): Phone[] => [...phones].sort((a, b) => a.value.localeCompare(b.value));

describe("apps through the airlock CLI", () => {
  const stick = join(root, "stick");
  let bankAdd: CliResult;
  let bank: string;
  let amal: string;

  beforeAll(() => {
    mkdirSync(stick);
    airlockJsonBatch([
      ["init", "--team", "Field office", "--name", "alice", ...as("alice")],
      ["join", "--name", "bob", "--out", join(root, "bob.req"), ...as("bob")],
      ["join", "--name", "vera", "--out", join(root, "vera.req"), ...as("vera")],
    ]);
    // The admin reads each request's fingerprint once it exists (the code on the joiner's screen).
    airlockJsonBatch([
      ["members", "add", join(root, "bob.req"), "--role", "editor", ...fingerprintArgs(join(root, "bob.req")), ...as("alice")],
      ["members", "add", join(root, "vera.req"), "--role", "viewer", ...fingerprintArgs(join(root, "vera.req")), ...as("alice")],
      ["collections", "add", "logins", "--type", "secrets", ...as("alice")],
      ["collections", "add", "board", "--type", "secrets", "--read", "admin", "--write", "admin", ...as("alice")],
      ["collections", "add", "people", "--type", "contacts", ...as("alice")],
    ]);
    bankAdd = airlockIn(
      ["secrets", "add", "--title", "Bank", "--username", "alice", "--password-stdin", "--url", "https://bank.example", "--totp", TOTP_URI, "--collection", "logins", ...as("alice")],
      `${PASSWORD}\n`,
    );
    expect(bankAdd.status, bankAdd.stderr).toBe(0);
    bank = /\(([0-9a-f]{16})\)/.exec(bankAdd.stdout)![1]!;
    const [added] = airlockJsonBatch([
      ["contacts", "add", "--name", "Amal Haddad", "--org", ORG, "--phone", "cell=+961 3 123 456", "--phone", "work=+961 1 555 000", "--collection", "people", ...as("alice")],
      ["export", "--usb", stick, ...as("alice")],
      ["import", stick, ...as("bob")],
      ["import", stick, ...as("vera")],
      // A second team: nothing shared with the first but the files we carry over.
      ["init", "--team", "Partner desk", "--name", "carol", ...as("carol")],
      ["collections", "add", "address-book", "--type", "contacts", ...as("carol")],
    ]);
    amal = added!["id"] as string;
  }, 120_000);

  it("secrets: stdin password never printed unless revealed; generate, edit, history, export, import (all or nothing), totp, rm", () => {
    const logins = ["--collection", "logins", ...as("alice")];
    expect(bankAdd.stdout).not.toContain(PASSWORD);
    expect(bankAdd.stderr).not.toContain(PASSWORD);

    const [shown, reveal, generate] = airlockBatch([
      ["secrets", "show", bank, ...logins],
      ["secrets", "show", bank, "--reveal", "--json", ...logins],
      ["secrets", "add", "--title", "Generated", "--generate", "--words", "6", "--json", ...logins],
    ]);
    expect(shown!.status, shown!.stderr).toBe(0);
    expect(shown!.stdout).toContain(`password: ${MASK}`);
    expect(shown!.stdout).toContain(`totp: ${MASK}`);
    for (const s of [PASSWORD, TOTP_SECRET]) expect(shown!.stdout).not.toContain(s);
    const revealed = parsed(reveal!)["secret"] as { password: string; totp: string; urls: string[] };
    expect(revealed).toMatchObject({ password: PASSWORD, urls: ["https://bank.example"] });
    expect(revealed.totp).toContain(`secret=${TOTP_SECRET}`);

    const gen = parsed(generate!);
    expect(gen["generatedBits"]).toBe(Math.floor(6 * Math.log2(7776)));

    const edited = parsed(airlockIn(["secrets", "edit", bank.slice(0, 6), "--password-stdin", "--json", ...logins], `${NEW_PASSWORD}\r\n`));
    expect(edited).toMatchObject({ id: bank, changed: ["password"] });
    const file = join(root, "logins.json");
    // URLs, tags and a hidden custom field changed and put back (the URL and tag), so only the PIN differs after.
    const [masked, unmasked, refusedExport, edit1, edit2, whole, wholeRevealed, wholeText] = airlockBatch([
      ["secrets", "history", bank, "--field", "password", "--json", ...logins],
      ["secrets", "history", bank, "--field", "password", "--reveal", "--json", ...logins],
      ["secrets", "export", file, "--format", "bitwarden-json", "--json", ...logins],
      ["secrets", "edit", bank, "--add-url", "https://old.bank.example", "--add-tag", "finance", "--hidden-field", `PIN=${PINS[0]}`, "--json", ...logins],
      ["secrets", "edit", bank, "--remove-url", "https://old.bank.example", "--remove-tag", "finance", "--hidden-field", `PIN=${PINS[1]}`, "--json", ...logins],
      ["secrets", "history", bank, "--json", ...logins],
      ["secrets", "history", bank, "--field", "fields", "--reveal", "--json", ...logins],
      ["secrets", "history", bank, ...logins],
    ]);
    for (const e of [edit1, edit2]) expect(e!.status, e!.stderr).toBe(0);
    // Every field's earlier values, secrets (hidden custom fields too) masked unless revealed.
    type Line = { field: string; change: string; value: string | null; name?: string; hidden?: boolean; by: string };
    const lines = parsed(whole!)["history"] as Line[];
    const of = (field: string): [string, string | null][] => lines.filter((h) => h.field === field).map((h) => [h.change, h.value]);
    expect(of("urls")).toEqual([["added", "https://bank.example"], ["added", "https://old.bank.example"], ["removed", "https://old.bank.example"]]);
    expect(of("tags")).toEqual([["added", "finance"], ["removed", "finance"]]);
    expect(of("fields")).toEqual([["added", MASK], ["removed", MASK], ["added", MASK]]);
    expect(of("title")).toEqual([["set", "Bank"]]);
    expect(of("totp")).toEqual([["set", MASK]]);
    for (const s of [PASSWORD, NEW_PASSWORD, TOTP_SECRET, ...PINS]) for (const out of [whole!, wholeText!]) expect(out.stdout).not.toContain(s);
    expect(wholeText!.stdout).toMatch(/hidden field PIN\s+removed\s+•+/);
    const pins = parsed(wholeRevealed!)["history"] as Line[];
    expect(pins.map((h) => [h.change, h.name, h.hidden, h.value, h.by])).toEqual([
      ["added", "PIN", true, PINS[0], "alice"],
      ["removed", "PIN", true, PINS[0], "alice"],
      ["added", "PIN", true, PINS[1], "alice"],
    ]);
    expect((parsed(masked!)["history"] as { value: string }[]).map((h) => h.value)).toEqual([MASK, MASK]);
    for (const s of [PASSWORD, NEW_PASSWORD]) expect(masked!.stdout).not.toContain(s);
    const history = parsed(unmasked!)["history"] as { value: string; by: string }[];
    expect(history.map((h) => h.value).sort()).toEqual([PASSWORD, NEW_PASSWORD].sort());
    expect(history.every((h) => h.by === "alice")).toBe(true);

    const refused = failure(refusedExport!);
    expect(refused).toMatchObject({ code: "USAGE" });
    expect(refused.message).toMatch(/--plaintext/);
    expect(existsSync(file)).toBe(false);
    const [exported, removed, list] = airlockBatch([
      ["secrets", "export", file, "--format", "bitwarden-json", "--plaintext", "--json", ...logins],
      ["secrets", "rm", gen["id"] as string, "--json", ...logins],
      ["secrets", "list", ...logins],
    ]);
    expect(parsed(exported!)).toMatchObject({ exported: 2 });
    expect(exported!.stderr).toMatch(/PLAINTEXT/);
    const doc = JSON.parse(readFileSync(file, "utf8")) as { items: { name: string; login: { password: string; totp: string | null } }[] };
    const inFile = new Map(doc.items.map((i) => [i.name, i.login]));
    expect(inFile.get("Bank")).toMatchObject({ password: NEW_PASSWORD, totp: revealed.totp });
    expect(isPassphraseOf(inFile.get("Generated")!.password, 6)).toBe(true);

    expect(parsed(removed!)).toMatchObject({ id: gen["id"] });
    expect(list!.status, list!.stderr).toBe(0);
    expect(list!.stdout).toMatch(/Bank\s+alice\s+https:\/\/bank\.example\s+totp/);
    expect(list!.stdout).not.toContain("Generated");
    for (const s of [PASSWORD, NEW_PASSWORD, TOTP_SECRET, inFile.get("Generated")!.password]) expect(list!.stdout).not.toContain(s);

    // Into the admin-only collection. A broken file first, whose first item is fine and whose
    // second is not: nothing of it may land.
    const board = ["--collection", "board", ...as("alice")];
    const half = join(root, "half-good.json");
    writeFileSync(half, JSON.stringify({ encrypted: false, items: [{ type: 1, name: "Partial entry", login: { username: "p", password: "p" } }, { type: 9, name: "Broken" }] }));
    // The export as written, plus one login only admins may see (the roles test looks for it).
    const forBoard = join(root, "for-board.json");
    writeFileSync(forBoard, JSON.stringify({ ...doc, items: [...doc.items, { type: 1, name: `Board safe ${ADMIN_ONLY_WORD}`, login: { username: "treasurer" } }] }));
    const [halfImport, boardImport, boardList] = airlockBatch([
      ["secrets", "import", half, "--format", "bitwarden-json", "--json", ...board],
      ["secrets", "import", forBoard, "--format", "bitwarden-json", "--json", ...board],
      ["secrets", "list", "--json", ...board],
    ]);
    const bad = failure(halfImport!);
    expect(bad).toMatchObject({ code: "SECRETS_IMPORT_MALFORMED" });
    expect(bad.message).toMatch(/Broken/);
    expect(parsed(boardImport!)).toMatchObject({ imported: 3, skipped: 0, withTotp: 1 });
    const inBoard = parsed(boardList!)["secrets"] as { id: string; title: string; hasTotp: boolean }[];
    expect(inBoard.map((s) => s.title).sort()).toEqual(["Bank", `Board safe ${ADMIN_ONLY_WORD}`, "Generated"]);

    // The imported copy's codes are the original secret's: computed here before and after, so a
    // 30 s step boundary between them cannot fail the test.
    const copy = inBoard.find((s) => s.title === "Bank")!;
    expect(copy.hasTotp).toBe(true);
    const before = totpCode(revealed.totp, Date.now()).code;
    const totp = airlockJson(["secrets", "totp", copy.id, ...board]);
    const after = totpCode(revealed.totp, Date.now()).code;
    expect(totp["code"]).toMatch(/^\d{6}$/);
    expect([before, after]).toContain(totp["code"]);
  });

  it("contacts: labelled phones through vCard into another team; phones added on two laptops offline both survive, a removal too", () => {
    const vcf = join(root, "people.vcf");
    const fromAlice = join(root, "stick-alice");
    const fromBob = join(root, "stick-bob");
    mkdirSync(fromAlice);
    mkdirSync(fromBob);
    const [, imported, listed, , , , , , , ...shown] = airlockJsonBatch([
      ["contacts", "export", vcf, "--collection", "people", ...as("alice")],
      ["contacts", "import", vcf, ...as("carol")],
      ["contacts", "list", ...as("carol")],
      // Offline, each on their own laptop: alice adds one number and drops the work one, bob adds another.
      ["contacts", "edit", amal, "--add-phone", "home=+961 1 222 333", "--remove-phone", "+961 1 555 000", ...as("alice")],
      ["contacts", "edit", amal, "--add-phone", "cell=+961 70 444 555", ...as("bob")],
      ["export", "--usb", fromAlice, ...as("alice")],
      ["export", "--usb", fromBob, ...as("bob")],
      ["import", fromBob, ...as("alice")],
      ["import", fromAlice, ...as("bob")],
      ["contacts", "show", amal, ...as("alice")],
      ["contacts", "show", amal, ...as("bob")],
    ]);
    const card = readFileSync(vcf, "utf8");
    for (const line of [`ORG:${ORG}`, "TEL;TYPE=cell:+961 3 123 456", "TEL;TYPE=work:+961 1 555 000"]) expect(card.split(/\r?\n/)).toContain(line);
    expect(imported).toMatchObject({ added: 1, updated: 0, unchanged: 0 });
    const carols = listed!["contacts"] as { name: string; organisations: string[]; phones: Phone[] }[];
    expect(carols).toHaveLength(1);
    expect(carols[0]).toMatchObject({ name: "Amal Haddad", organisations: [ORG] });
    expect(byValue(carols[0]!.phones)).toEqual([
      { label: "work", value: "+961 1 555 000" },
      { label: "cell", value: "+961 3 123 456" },
    ]);

    // A card with no UID: the import gives it one, so the export carries it and importing the
    // export again adds nothing (Amal, who has a UID since contacts add, is unchanged too).
    const noUid = join(root, "no-uid.vcf");
    const again = join(root, "carol-again.vcf");
    writeFileSync(noUid, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nadia Uidless\r\nTEL:+33 1 23 45 67 89\r\nEND:VCARD\r\n");
    const [first, , second, removeAbsent, removeLabelled] = airlockBatch([
      ["contacts", "import", noUid, "--json", ...as("carol")],
      ["contacts", "export", again, "--json", ...as("carol")],
      ["contacts", "import", again, "--json", ...as("carol")],
      // A removal that matches nothing is refused; one typed as add takes it (label=value) matches.
      ["contacts", "edit", amal, "--remove-email", "nobody@example.org", "--json", ...as("alice")],
      ["contacts", "edit", amal, "--remove-phone", "cell=+961 70 444 555", "--json", ...as("alice")],
    ]);
    expect(parsed(first!)).toMatchObject({ added: 1, updated: 0, unchanged: 0 });
    expect(readFileSync(again, "utf8").match(/^UID:/gm)).toHaveLength(2);
    expect(parsed(second!)).toMatchObject({ added: 0, updated: 0, unchanged: 2 });
    expect(failure(removeAbsent!)).toMatchObject({ code: "VAULT_NOT_FOUND", message: `--remove-email: contact ${amal} has no such email` });
    expect(parsed(removeLabelled!)).toMatchObject({ changed: ["phones"] });

    const want = [
      { label: "home", value: "+961 1 222 333" },
      { label: "cell", value: "+961 3 123 456" },
      { label: "cell", value: "+961 70 444 555" },
    ];
    for (const [i, who] of (["alice", "bob"] as const).entries()) {
      const contact = shown[i]!["contact"] as { phones: Phone[] };
      expect(byValue(contact.phones), who).toEqual(want);
    }
  });

  it("roles: a viewer may not add or edit a secret; an editor neither sees nor finds an admin-only collection", () => {
    const [addByViewer, editByViewer, bobsCollections, bobsSearch, alicesSearch] = airlockBatch([
      ["secrets", "add", "--title", "nope", "--username", "v", "--collection", "logins", "--json", ...as("vera")],
      ["secrets", "edit", bank, "--username", "mallory", "--collection", "logins", "--json", ...as("vera")],
      ["collections", "list", "--json", ...as("bob")],
      ["search", ADMIN_ONLY_WORD, "--json", ...as("bob")],
      ["search", ADMIN_ONLY_WORD, "--json", ...as("alice")],
    ]);
    const viewerAdd = failure(addByViewer!);
    expect(viewerAdd.code).toBe("VAULT_NOT_ALLOWED");
    const viewerEdit = failure(editByViewer!);
    expect(viewerEdit.code).toBe("VAULT_NOT_ALLOWED");

    const collections = parsed(bobsCollections!)["collections"] as { id: string; type: string; canRead: boolean }[];
    expect(collections.map(({ id, type, canRead }) => ({ id, type, canRead }))).toEqual(
      expect.arrayContaining([
        { id: "notes", type: "notes", canRead: true },
        { id: "logins", type: "secrets", canRead: true },
        { id: "board", type: "secrets", canRead: false },
        { id: "people", type: "contacts", canRead: true },
      ]),
    );
    expect(parsed(bobsSearch!)["results"]).toEqual([]);
    const admin = parsed(alicesSearch!)["results"] as { collection: string; type: string }[];
    expect(admin.map((r) => r.collection)).toEqual(["board"]);
    expect(admin[0]!.type).toBe("secrets");
  });

  let note: string;

  it("notes: --body - keeps a 3-line body exactly; --body-file refuses invalid UTF-8; notes edit opens $EDITOR", () => {
    const body = "first line\n  second line, indented\nthird line\n";
    note = parsed(airlockIn(["notes", "add", "--title", "Depot", "--body", "-", "--json", ...as("alice")], body))["id"] as string;

    const latin1 = join(root, "latin1.txt");
    writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    // The "editor" keeps a copy of what it was handed (the stored body), then writes the new one.
    const seen = join(root, "editor-saw.txt");
    const editor = `sh -c 'cp "$1" "$SEEN" && printf "new body\\nchecked at the marigold depot\\n" > "$1"' sh`;
    const [latin1Add, editorEdit] = airlockBatch(
      [
        ["notes", "add", "--title", "Latin-1", "--body-file", latin1, "--json", ...as("alice")],
        ["notes", "edit", note, "--json", ...as("alice")],
      ],
      { EDITOR: editor, VISUAL: "", SEEN: seen },
    );
    const notText = failure(latin1Add!);
    expect(notText.code).toBe("INPUT_NOT_TEXT");
    expect(notText.message).toMatch(/byte offset 3/);
    const edited = parsed(editorEdit!);
    expect(edited).toMatchObject({ id: note, changed: ["body"] });
    expect(readFileSync(seen, "utf8")).toBe(body);
    // That the stored body is now the editor's: the search test finds this note by "marigold", a word only the new body holds.
  });

  it("search: a note by a word in its body, a contact by its organisation, never a password", () => {
    const hits = airlockJson(["search", "marigold", ...as("alice")])["results"] as { type: string; id: string }[];
    expect(hits.map(({ type, id }) => ({ type, id }))).toEqual(
      expect.arrayContaining([
        { type: "notes", id: note },
        { type: "contacts", id: amal },
      ]),
    );
    // Not the Bank login, whose password holds the word too.
    expect(hits).toHaveLength(2);
  });

  it("collections: an unknown type is refused with the valid ones listed", () => {
    const [r, j, addHelp, searchHelp] = airlockBatch([
      ["collections", "add", "x", "--type", "nope", ...as("alice")],
      ["collections", "add", "x", "--type", "nope", "--json", ...as("alice")],
      ["collections", "add", "--help"],
      ["search", "--help"],
    ]);
    // The help names every app a collection can hold and search covers, not the first three only.
    for (const help of [addHelp!, searchHelp!]) {
      const summary = help.stdout.split("\n")[0]!;
      for (const app of APPS) expect(summary).toContain(app.schema.app === "docs" ? "doc" : app.schema.app);
    }
    expect(r!.status).not.toBe(0);
    expect(r!.stderr).toMatch(/nope/);
    // Every registered app is listed, in registry order.
    const types = APPS.map((a) => a.schema.app).join(", ");
    // The contract's form: one error line naming what was wrong, one hint line, code USAGE in --json.
    expect(r!.stderr.split("\n")).toContain(`airlock: error: Expected --type=nope to be one of: ${types}`);
    expect(r!.stderr).toMatch(/^airlock: hint: see airlock collections add --help$/m);
    expect(JSON.parse(j!.stdout)).toMatchObject({ ok: false, error: { code: "USAGE", hint: "see airlock collections add --help" } });
  });

  it("secrets: --length, --words and --no-symbols without --generate are refused, not ignored", () => {
    const [lengthAlone, wordsAlone] = airlockBatch([
      ["secrets", "add", "--title", "Shaped", "--length", "12", "--collection", "logins", "--json", ...as("alice")],
      ["secrets", "edit", "0000", "--words", "5", "--collection", "logins", "--json", ...as("alice")],
    ]);
    for (const r of [lengthAlone!, wordsAlone!]) expect(failure(r)).toMatchObject({ code: "USAGE", message: "--length, --words and --no-symbols shape a generated password: add --generate" });
  });

  it("secrets copy with no display and no terminal: a typed error whose hint names secrets show --reveal", () => {
    // setsid: no controlling terminal, so /dev/tty cannot be opened wherever the tests run.
    const env: NodeJS.ProcessEnv = { ...cliEnv(), DISPLAY: "", WAYLAND_DISPLAY: "" };
    const r = spawnSync("setsid", ["-w", process.execPath, AIRLOCK_BIN, "secrets", "copy", bank, "--collection", "logins", "--json", ...as("alice")], { encoding: "utf8", env, timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
    expect(failure({ status: r.status, stdout: r.stdout, stderr: r.stderr })).toMatchObject({
      code: "CLIPBOARD_UNAVAILABLE",
      hint: `print it on a screen you trust with: airlock secrets show ${bank} --reveal (or copy from a desktop session or a terminal, where OSC 52 works)`,
    });
    for (const secret of [PASSWORD, NEW_PASSWORD]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("secrets: the built CLI imports a KeePass KDBX 4 file, its TOTP too", async () => {
    // kdbxweb is CommonJS: the test's own import of it goes through vitest's interop, the bin's
    // through Node's (which once left Kdbx and ProtectedValue undefined and failed every import).
    const db = kdbxweb.Kdbx.create(new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString("keepass pw")), "Team");
    db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
    const kdf = db.header.kdfParameters!;
    kdf.set("M", kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(64 * 1024));
    kdf.set("I", kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(1));
    const entry = db.createEntry(db.getDefaultGroup());
    entry.fields.set("Title", "Router");
    entry.fields.set("UserName", "admin");
    entry.fields.set("Password", kdbxweb.ProtectedValue.fromString("r0uter-pw"));
    entry.fields.set("otp", `otpauth://totp/Router:admin?secret=${TOTP_SECRET}`);
    const file = join(root, "team.kdbx");
    const passFile = join(root, "kdbx.pass");
    writeFileSync(file, new Uint8Array(await db.save()));
    writeFileSync(passFile, "keepass pw\n");
    const keepass = ["--collection", "keepass", ...as("alice")];
    const [, imported, listed] = airlockBatch([
      ["collections", "add", "keepass", "--type", "secrets", "--json", ...as("alice")],
      ["secrets", "import", file, "--format", "kdbx", "--source-password-file", passFile, "--json", ...keepass],
      ["secrets", "list", "--json", ...keepass],
    ]);
    expect(parsed(imported!)).toMatchObject({ imported: 1, withTotp: 1 });
    expect(parsed(listed!)["secrets"]).toMatchObject([{ title: "Router", username: "admin", hasTotp: true }]);
  });
});
