/**
 * The typed-collection screens (secrets, contacts) and search, against real vaults (encrypted
 * SQLite in temp folders, test-only KDF): keys go in through stdin, assertions read every
 * rendered frame and the vault itself.
 */
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { sync } from "../../test-support/vaults.js";
import { DOWN, ENTER, ESC, TAB, press, tuiFixtures, until, type Ui } from "../../test-support/tui.js";
import { contactIntents, contactOf } from "../apps/contacts/record.js";
import type { Contact } from "../apps/contacts/contact.js";
import { newRecordId } from "../apps/ids.js";
import type { SecretItem } from "../apps/secrets/item.js";
import { itemIntents, itemOf } from "../apps/secrets/record.js";
import { parseTotp, totpCode } from "../apps/secrets/totp.js";
import type { Vault } from "../vault/vault.js";
import { APPS } from "../apps/registry.js";
import { App } from "./App.js";
import { SCREENS } from "./appScreens.js";

const fixtures = tuiFixtures("airlock-tui-apps-");
/** Alice (owner) and Bob (editor) in one team, closed after the test. */
const alice = fixtures.team;

const MASK = "••••••••";
/** Fixed, and 7 s into a 30 s TOTP period. */
const NOW = Date.UTC(2026, 10, 28, 9, 0, 7);

function ui(vault: Vault): Ui {
  return render(<App home={vault.store.dir} vault={vault} now={() => NOW} />);
}

function addLogin(vault: Vault, collection: string, item: Partial<SecretItem> & { title: string }): string {
  const id = newRecordId();
  vault.write(collection, itemIntents(id, { urls: [], tags: [], fields: [], ...item }));
  return id;
}

function addContact(vault: Vault, collection: string, c: Partial<Contact> & { name: string }): string {
  const id = newRecordId();
  vault.write(collection, contactIntents(id, { organisations: [], phones: [], emails: [], messengers: [], addresses: [], ...c }));
  return id;
}

const framesSoFar = (screen: Ui): string => screen.frames.join("\n");

describe("the TUI's navigation", () => {
  it("has a screen for every app in the registry", () => {
    expect(APPS.map((a) => a.schema.app).filter((name) => SCREENS[name] === undefined)).toEqual([]);
  });
});

describe("the secrets screen", () => {
  it("lists logins without passwords, masks the detail until r, re-masks on a move, and shows the TOTP code for the clock", async () => {
    const { a } = await alice();
    a.createCollection("passwords", "Passwords", "viewer", "editor", "secrets");
    const totp = parseTotp("JBSWY3DPEHPK3PXP", { label: "Bank" });
    addLogin(a, "passwords", {
      title: "Bank",
      username: "alice@bank",
      password: "Tr0ub4dor&3-Quartz",
      urls: ["https://bank.example/login"],
      totp,
      fields: [{ name: "PIN", value: "pin-Zq9x", hidden: true }],
    });
    addLogin(a, "passwords", { title: "Mail", username: "alice@mail", password: "Mail-Pw-Vortex-7" });
    const screen = ui(a);
    await until(screen, "Notes (0)");
    let frame = await press(screen, TAB, "Logins (2)");
    expect(frame).toContain("passwords · Passwords");
    expect(frame).toContain("notes · Notes");
    expect(frame).toMatch(/› Bank\s+alice@bank\s+https:\/\/bank\.example/);
    expect(frame).toMatch(/ {2}Mail\s+alice@mail/);
    expect(frame).toMatch(new RegExp(`password\\s+${MASK}`));
    expect(frame).toMatch(new RegExp(`TOTP secret\\s+${MASK}`));
    expect(frame).toMatch(new RegExp(`PIN\\s+${MASK}`));
    const { code, secondsLeft } = totpCode(totp, NOW);
    expect(secondsLeft).toBe(23);
    expect(frame).toContain(`${code}  (23 s left)`);
    const secrets = ["Tr0ub4dor&3-Quartz", "JBSWY3DPEHPK3PXP", "pin-Zq9x", "Mail-Pw-Vortex-7"];
    for (const s of secrets) expect(framesSoFar(screen)).not.toContain(s);

    const masked = screen.frames.length;
    frame = await press(screen, "r", "Tr0ub4dor&3-Quartz");
    expect(frame).toMatch(/PIN\s+pin-Zq9x/);
    expect(frame).toContain("r hides the secrets again");
    frame = await press(screen, "r", "r reveals");
    expect(frame).not.toContain("Tr0ub4dor&3-Quartz");
    await press(screen, "r", "Tr0ub4dor&3-Quartz");
    // Moving the selection masks again, also when coming back.
    frame = await press(screen, "j", /› Mail/);
    expect(frame).toMatch(new RegExp(`password\\s+${MASK}`));
    frame = await press(screen, "k", /› Bank/);
    expect(frame).toMatch(new RegExp(`password\\s+${MASK}`));
    expect(frame).not.toContain("Tr0ub4dor&3-Quartz");
    // Only the frames drawn while revealed showed the secrets; Mail's password never showed.
    const revealedFrames = screen.frames.slice(masked).filter((f) => f.includes("Tr0ub4dor&3-Quartz"));
    expect(revealedFrames.length).toBeGreaterThan(0);
    for (const f of revealedFrames) expect(f).toContain("r hides the secrets again");
    expect(framesSoFar(screen)).not.toContain("Mail-Pw-Vortex-7");
    for (const f of screen.frames.slice(0, masked)) for (const s of secrets) expect(f).not.toContain(s);
  });

  it("adds a login through the form as a real changeset, typing the password masked, then edits and deletes it", async () => {
    const { a } = await alice();
    a.createCollection("passwords", "Passwords", "viewer", "editor", "secrets");
    const password = "Sleet-Harbor-Copper-42";
    const screen = ui(a);
    await until(screen, "Notes (0)");
    await press(screen, TAB, "no logins yet");
    await press(screen, "a", "New login in passwords");
    await press(screen, "Router", "Router");
    await press(screen, TAB, /› Username/);
    await press(screen, "admin", "admin");
    await press(screen, TAB, /› Password/);
    await press(screen, password, "•".repeat(password.length));
    await press(screen, TAB, /› URL/);
    await press(screen, "http://192.168.1.1", "http://192.168.1.1");
    await press(screen, TAB, /› TOTP/);
    await press(screen, "jbsw y3dp ehpk 3pxp", "•".repeat(19));
    let frame = await press(screen, ENTER, "Added “Router” to passwords.");
    expect(frame).toMatch(/› Router\s+admin\s+http:\/\/192\.168\.1\.1/);
    const records = a.records("passwords");
    expect(records.length).toBe(1);
    const item = itemOf(records[0]!);
    const totp = parseTotp("JBSWY3DPEHPK3PXP", { label: "Router" });
    expect(item).toEqual({ title: "Router", username: "admin", password, totp, urls: ["http://192.168.1.1"], tags: [], fields: [] });
    expect(frame).toContain(`${totpCode(totp, NOW).code}  (23 s left)`);
    const applied = a.store.connection().prepare("SELECT count(*) AS n FROM changesets WHERE status = 'applied'").get() as { n: number };
    expect(applied.n).toBe(1);

    // Editing shows the stored password masked too; only what changed is written.
    await press(screen, "e", "Edit “Router”");
    await press(screen, ENTER, /› Username/);
    await press(screen, "\x7f".repeat(5), /› Username\s*: \s/);
    await press(screen, "root", /› Username\s*: root/);
    frame = await press(screen, ENTER, /› Password\s*: •+/);
    expect(frame).toContain("•".repeat(password.length));
    await press(screen, ENTER, /› URL/);
    await press(screen, ENTER, /› TOTP/);
    await press(screen, ENTER, "Updated “Router”.");
    expect(itemOf(a.records("passwords")[0]!)).toEqual({ ...item, username: "root" });
    const edit = a.store.connection().prepare("SELECT count(*) AS n FROM changesets WHERE status = 'applied'").get() as { n: number };
    expect(edit.n).toBe(2);

    await press(screen, "d", "Delete “Router”?");
    await press(screen, "n", "Nothing deleted.");
    expect(a.records("passwords").length).toBe(1);
    await press(screen, "d", "Delete “Router”?");
    await press(screen, "y", "Deleted “Router”.");
    expect(a.records("passwords")).toEqual([]);
    for (const s of [password, "JBSWY3DPEHPK3PXP", "jbsw y3dp"]) expect(framesSoFar(screen)).not.toContain(s);
  });

  it("refuses a login without a title with the item's own reason, and writes nothing", async () => {
    const { a } = await alice();
    a.createCollection("passwords", "Passwords", "viewer", "editor", "secrets");
    const screen = ui(a);
    await until(screen, "Notes (0)");
    await press(screen, TAB, "no logins yet");
    await press(screen, "a", "New login in passwords");
    await press(screen, TAB, /› Username/);
    await press(screen, TAB, /› Password/);
    await press(screen, "Pw-Never-Shown-99", "•••");
    await press(screen, TAB, /› URL/);
    await press(screen, TAB, /› TOTP/);
    // The form stays, with what was typed (still masked), until it is fixed or cancelled.
    const frame = await press(screen, ENTER, /error: the new login: title is empty/);
    expect(frame).toContain("New login in passwords");
    expect(frame).toMatch(/Password\s*: •{17}/);
    expect(a.records("passwords")).toEqual([]);
    await press(screen, ESC, "Logins (0)");
    expect(framesSoFar(screen)).not.toContain("Pw-Never-Shown-99");
  });
});

describe("the contacts screen", () => {
  it("lists contacts and shows every labelled value, then adds, edits and deletes one through the form", async () => {
    const { a } = await alice();
    a.createCollection("people", "People", "viewer", "editor", "contacts");
    addContact(a, "people", {
      name: "Ana Lima",
      organisations: ["Rede Norte"],
      phones: [
        { label: "cell", value: "+55 11 5555 0101" },
        { label: "work", value: "+55 11 5555 0199" },
      ],
      emails: [{ label: "work", value: "ana@rede.example" }],
      messengers: [{ label: "signal", value: "ana.07" }],
    });
    addContact(a, "people", { name: "Bruno Sá" });
    const screen = ui(a);
    await until(screen, "Notes (0)");
    let frame = await press(screen, TAB, "Contacts (2)");
    expect(frame).toContain("people · Contacts");
    expect(frame).toMatch(/› Ana Lima\s+Rede Norte\s+\+55 11 5555 0101/);
    expect(frame).toContain("Bruno Sá");
    expect(frame).toMatch(/phone \(cell\)\s+\+55 11 5555 0101/);
    expect(frame).toMatch(/phone \(work\)\s+\+55 11 5555 0199/);
    expect(frame).toMatch(/email \(work\)\s+ana@rede\.example/);
    expect(frame).toMatch(/messenger \(signal\)\s+ana\.07/);
    expect(frame).toMatch(/organisation\s+Rede Norte/);

    await press(screen, "a", "New contact in people");
    await press(screen, "Carla Dias", "Carla Dias");
    await press(screen, TAB, /› Organisation/);
    await press(screen, "Clinic", "Clinic");
    await press(screen, TAB, /› Phone/);
    await press(screen, "+351 21 000 0000", "+351 21 000 0000");
    await press(screen, TAB, /› Email/);
    await press(screen, "carla@clinic.example", "carla@clinic.example");
    frame = await press(screen, ENTER, "Added “Carla Dias” to people.");
    expect(frame).toContain("Contacts (3)");
    expect(frame).toMatch(/› Carla Dias/);
    const carla = a.records("people").find((r) => contactOf(r).name === "Carla Dias")!;
    expect(contactOf(carla)).toMatchObject({
      organisations: ["Clinic"],
      phones: [{ label: "", value: "+351 21 000 0000" }],
      emails: [{ label: "", value: "carla@clinic.example" }],
    });

    // Editing the first phone keeps its label and the other phone.
    await press(screen, "k", /› Bruno Sá/);
    await press(screen, "k", /› Ana Lima/);
    await press(screen, "e", "Edit “Ana Lima”");
    await press(screen, ENTER, /› Organisation/);
    await press(screen, ENTER, /› Phone/);
    await press(screen, "\x7f\x7f\x7f\x7f", /› Phone\s*: \+55 11 5555 \s/);
    await press(screen, "0202", /› Phone\s*: \+55 11 5555 0202/);
    await press(screen, ENTER, /› Email/);
    await press(screen, ENTER, "Updated “Ana Lima”.");
    const ana = contactOf(a.records("people").find((r) => contactOf(r).name === "Ana Lima")!);
    expect(new Set(ana.phones.map((p) => `${p.label}=${p.value}`))).toEqual(new Set(["cell=+55 11 5555 0202", "work=+55 11 5555 0199"]));
    expect(ana.messengers).toEqual([{ label: "signal", value: "ana.07" }]);

    await press(screen, "d", "Delete “Ana Lima”?");
    frame = await press(screen, "y", "Deleted “Ana Lima”.");
    expect(frame).toContain("Contacts (2)");
    expect(a.records("people").map((r) => contactOf(r).name).sort()).toEqual(["Bruno Sá", "Carla Dias"]);
  });

  it("shows an editor the refusal before a form when the collection is written by admins, and writes nothing", async () => {
    const { a, b } = await alice();
    a.createCollection("people", "People", "viewer", "admin", "contacts");
    addContact(a, "people", { name: "Ana Lima" });
    sync(a, b);
    const screen = ui(b);
    await until(screen, "Notes (0)");
    await press(screen, TAB, "Contacts (1)");
    let frame = await press(screen, "a", "error:");
    expect(frame).toMatch(/may not write "people" \(needs admin\)/);
    expect(frame).not.toContain("New contact in");
    frame = await press(screen, "d", /error: .*needs admin/);
    expect(frame).not.toContain("Delete “");
    expect(b.records("people").map((r) => contactOf(r).name)).toEqual(["Ana Lima"]);
  });
});

describe("search", () => {
  it("finds a note and a contact (never a password) and opens each in its own screen, selected", async () => {
    const { a, clock } = await alice();
    a.createCollection("people", "People", "viewer", "editor", "contacts");
    a.createCollection("passwords", "Passwords", "viewer", "editor", "secrets");
    a.write("notes", [{ kind: "set", record: "n-vera", field: "title", value: "Call Vera about the safe house" }]);
    clock.tick();
    a.write("notes", [{ kind: "set", record: "n-other", field: "title", value: "Shopping list" }]);
    addContact(a, "people", { name: "Aaron Beck" });
    const vera = addContact(a, "people", { name: "Vera Santos", organisations: ["Rede"] });
    addLogin(a, "passwords", { title: "Router", password: "vera-is-the-password" });
    const screen = ui(a);
    // Newest note first: the one search should open is not the one selected now.
    await until(screen, /› Shopping list/);
    await press(screen, "/", "Search:");
    let frame = await press(screen, "vera", "2 result(s)");
    expect(frame).toMatch(/Call Vera about the safe house\s+notes · Notes/);
    expect(frame).toMatch(/Vera Santos\s+people · Contacts/);
    expect(frame).not.toContain("Router");
    // Results come in rank order: step down to the contact, wherever it is.
    const lines = frame.split("\n");
    const row = (text: string): number => lines.findIndex((l) => l.includes(text));
    for (let i = row("Call Vera") < row("Vera Santos") ? 1 : 0; i > 0; i--) await press(screen, DOWN, /› Vera Santos/);
    frame = await press(screen, ENTER, "Contacts (2)");
    expect(frame).toMatch(/› Vera Santos/);
    expect(frame).toMatch(/organisation\s+Rede/);
    expect(frame).toContain(`id ${vera}`);

    await press(screen, "/", "Search:");
    frame = await press(screen, "safe house", "1 result(s)");
    frame = await press(screen, ENTER, "Notes (2)");
    expect(frame).toMatch(/› Call Vera about the safe/);
    expect(frame).toContain("id n-vera");

    // Esc leaves search where it was.
    await press(screen, "/", "Search:");
    await press(screen, ESC, /› Call Vera about the safe/);
    expect(framesSoFar(screen)).not.toContain("vera-is-the-password");
  });
});

describe("terminal output hygiene in the app screens", () => {
  /** Anything a terminal acts on, newlines aside (what the escaper must never let through). */
  const RAW = /(?![\n\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

  it("shows hostile login and contact values escaped, in lists, details and search results", async () => {
    const { a } = await alice();
    a.createCollection("passwords", "Passwords", "viewer", "editor", "secrets");
    a.createCollection("people", "People", "viewer", "editor", "contacts");
    // Written as a hostile member could (raw ops, no checkItem/checkContact on the way in).
    a.write("passwords", [
      { kind: "set", record: "s1", field: "title", value: "Bank\x1b[2J\x1b[Hpwned" },
      { kind: "set", record: "s1", field: "username", value: "\u202eevil" },
      { kind: "add", record: "s1", field: "urls", value: "https://x\x1b]52;c;cm0gLXJm\x07" },
    ]);
    a.write("people", [
      { kind: "set", record: "c1", field: "name", value: "Zed\x9b2J" },
      { kind: "add", record: "c1", field: "phones", value: "cell\u001f+1\x1b[8mhidden" },
    ]);
    const screen = ui(a);
    await until(screen, "Notes (0)");
    let frame = await press(screen, TAB, "Bank\\x1b[2J\\x1b[Hpwned");
    expect(frame).toContain("\\u202eevil");
    expect(frame).toContain("https://x\\x1b]52;c;cm0gLXJm\\x07");
    frame = await press(screen, TAB, "Zed\\x9b2J");
    expect(frame).toContain("+1\\x1b[8mhidden");
    await press(screen, "/", "Search:");
    frame = await press(screen, "bank", "1 result(s)");
    expect(frame).toContain("Bank\\x1b[2J\\x1b[Hpwned");
    for (const f of screen.frames) expect(f).not.toMatch(RAW);
  });
});
