/**
 * The TUI against real vaults (encrypted SQLite in temp folders, test-only KDF): keys go in
 * through stdin, assertions read the rendered frame and the vault itself.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { HostileMember } from "../../test-support/hostile.js";
import { importInto, newVault, sync, team, TEST_PASSPHRASE } from "../../test-support/vaults.js";
import { TAB, ENTER, press, tuiFixtures, until, type Ui } from "../../test-support/tui.js";
import { passphraseBytes } from "../store/index.js";
import { listNotes } from "../apps/notes/index.js";
import { fingerprint } from "../vault/request.js";
import { importFrom } from "../vault/transfer.js";
import type { Vault } from "../vault/vault.js";
import { App } from "./App.js";

const { root, keep } = tuiFixtures("airlock-tui-");


/** Alice (owner) and Bob (editor) in one team, in a fresh temp folder `r`, closed after the test. */
async function aliceAndBob(): Promise<{ r: string; a: Vault; b: Vault }> {
  const r = root();
  const { a, b } = await team(r);
  keep(a, b);
  return { r, a, b };
}


function ui(vault: Vault): Ui {
  return render(<App home={vault.store.dir} vault={vault} />);
}

describe("the vault TUI", () => {
  it("shows the team header, the test-KDF warning and the notes written through the Vault API", async () => {
    const { a } = await aliceAndBob();
    a.write("notes", [
      { kind: "set", record: "n1", field: "title", value: "Safe houses" },
      { kind: "set", record: "n1", field: "body", value: "the blue door on Rua Augusta" },
      { kind: "set", record: "n1", field: "tags", value: "logistics,urgent" },
    ]);
    a.write("notes", [{ kind: "append", record: "n1", field: "comments", value: "checked on site" }]);
    const screen = ui(a);
    const frame = await until(screen, "Safe houses");
    expect(frame).toContain('team "Field office"');
    expect(frame).toContain("alice");
    expect(frame).toContain("owner");
    expect(frame).toContain("TEST-ONLY KEY DERIVATION");
    expect(frame).toContain("the blue door on Rua Augusta");
    expect(frame).toContain("tags: logistics, urgent");
    expect(frame).toContain("- checked on site");
    expect(frame).toMatch(/updated .* by alice/);
  });

  it("asks for the passphrase masked, unlocks the vault at --home, and never shows what was typed", async () => {
    const r = root();
    const v = await newVault(r, "solo");
    v.init("Newsroom", "sam");
    const home = v.store.dir;
    v.close();
    const screen = render(<App home={home} kdf="test-insecure" />);
    await until(screen, "Vault passphrase:");
    await press(screen, "wrong", "*****");
    await press(screen, ENTER, /error: .*passphrase/i);
    await press(screen, TEST_PASSPHRASE, "*".repeat(TEST_PASSPHRASE.length));
    const frame = await press(screen, ENTER, 'team "Newsroom"');
    expect(frame).toContain("sam");
    expect(screen.frames.join("\n")).not.toContain(TEST_PASSPHRASE);
    expect(screen.frames.join("\n")).not.toContain("wrong");
  });

  it("uses a given passphrase (file or environment) without asking", async () => {
    const r = root();
    const v = await newVault(r, "solo");
    v.init("Newsroom", "sam");
    const home = v.store.dir;
    v.close();
    const given = passphraseBytes(TEST_PASSPHRASE);
    const screen = render(<App home={home} kdf="test-insecure" passphrase={given} />);
    await until(screen, 'team "Newsroom"');
    expect(given.every((b) => b === 0)).toBe(true);
  });

  it("says how to start when there is no vault at --home", async () => {
    const r = root();
    const frame = await until(render(<App home={join(r, "nothing-here")} />), "No vault at");
    expect(frame).toContain("airlock init");
    expect(frame).toContain("airlock join");
  });

  it("says how to join when the vault has no team yet", async () => {
    const r = root();
    const v = await newVault(r, "fresh");
    keep(v);
    v.joinRequest("dana");
    const frame = await until(ui(v), "not in a team yet");
    expect(frame).toContain("airlock join");
    expect(frame).toContain("i import");
  });

  it("adds a note through the form as a real changeset, then edits, comments on and deletes it", async () => {
    const { a } = await aliceAndBob();
    const screen = ui(a);
    await until(screen, "no notes yet");
    await press(screen, "a", "New note in notes");
    await press(screen, "Meeting point", "Meeting point");
    await press(screen, TAB, /› Body/);
    await press(screen, "north gate, 9:00", "north gate, 9:00");
    await press(screen, TAB, /› Tags/);
    await press(screen, "ops, travel", "ops, travel");
    await press(screen, ENTER, "Added “Meeting point” to notes.");
    const [note] = listNotes(a, "notes");
    expect(note).toMatchObject({ title: "Meeting point", body: "north gate, 9:00", tags: ["ops", "travel"], authors: [a.deviceId] });
    const changesets = a.store.connection().prepare("SELECT count(*) AS n FROM changesets WHERE status = 'applied'").get() as { n: number };
    expect(changesets.n).toBe(1);

    await press(screen, "e", "Edit “Meeting point”");
    for (const left of ["Meeting poin", "Meeting poi", "Meeting po", "Meeting p"]) await press(screen, "\x7f", new RegExp(`› Title\\s*: ${left} `));
    await press(screen, "lace", "Meeting place");
    await press(screen, ENTER, /› Body/);
    await press(screen, TAB, /› Tags/);
    await press(screen, ENTER, "Updated title.");
    expect(listNotes(a, "notes")[0]).toMatchObject({ title: "Meeting place", body: "north gate, 9:00" });

    await press(screen, "c", "Comment on");
    await press(screen, "gate is locked after 10", "gate is locked after 10");
    await press(screen, ENTER, "Commented on");
    expect(listNotes(a, "notes")[0]!.comments).toEqual(["gate is locked after 10"]);
    expect(screen.lastFrame()).toContain("- gate is locked after 10");

    await press(screen, "d", "Delete “Meeting place”?");
    await press(screen, "y", "Deleted “Meeting place”.");
    expect(listNotes(a, "notes")).toEqual([]);
  });

  it("shows a viewer the refusal when adding, and writes nothing", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const v = await newVault(r, "v", clock);
    keep(a, b, v);
    a.addMember(v.joinRequest("vera").bytes, "viewer");
    sync(a, v);
    const screen = ui(v);
    await until(screen, "viewer");
    const frame = await press(screen, "a", "error:");
    expect(frame).toContain('a viewer may not write "notes" (needs editor)');
    expect(frame).toContain("hint: ask an admin");
    expect(frame).not.toContain("New note in");
    expect(v.records("notes")).toEqual([]);
  });

  it("shows a viewer's forged edit as quarantined in the status screen", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const v = await newVault(r, "v", clock);
    keep(a, b, v);
    a.addMember(v.joinRequest("vera").bytes, "viewer");
    sync(a, v);
    const evil = new HostileMember(v);
    const report = importInto(a, [evil.bundle({ changesets: [evil.changeset({ collection: "notes", ops: [{ record: "n1", value: "forged by a viewer" }] })] })]);
    expect(report.rejected).toBe(1);
    const screen = ui(a);
    // It opens on the home screen, which names the quarantine and goes there with s.
    const home = await until(screen, "Needs attention");
    expect(home).toMatch(/s {2}[1-9]\d* items? quarantined/);
    const frame = await press(screen, "s", "Quarantined (");
    expect(frame).toMatch(/Quarantined \([1-9]\d*\)/);
    expect(frame).toContain("viewer may not write");
    expect(frame).toContain("vera");
    expect(frame).toMatch(/Members \(3\)/);
    expect(frame).toContain("Pending approvals (0)");
    expect(frame).not.toContain("forged by a viewer");
    await press(screen, "\x1b", "Notes (0)");
  });

  it("exports to a USB folder through the UI, and the other vault imports it through the UI", async () => {
    const { r, a, b } = await aliceAndBob();
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Carried by hand" }]);
    const stick = join(r, "stick");
    mkdirSync(stick);
    const screen = ui(a);
    await until(screen, "Carried by hand");
    await press(screen, "x", "Export outgoing sync bundles");
    await press(screen, "u", "USB folder");
    await press(screen, stick, stick);
    const frame = await press(screen, ENTER, /Exported \d+ bundle\(s\)/);
    expect(frame).toMatch(/sync\s+\d+(\.\d+)? ?[KMG]?i?B/);
    expect(frame).toContain("changeset(s)");
    expect(readdirSync(join(stick, "airlock", "outbox")).length).toBeGreaterThan(0);
    await press(screen, " ", "Carried by hand");

    const other = ui(b);
    await until(other, "Notes (0)");
    await press(other, "i", "Import bundles");
    await press(other, stick, stick);
    const result = await press(other, ENTER, "Imported from");
    expect(result).toContain("Quarantined: 0 · rejected: 0");
    expect(result).toMatch(/Changesets: 1 new, 1 applied/);
    // The summary names the record that arrived.
    expect(result).toContain("Carried by hand");
    await press(other, " ", "Notes (1)");
    expect(b.records("notes").map((n) => n.fields["title"])).toEqual(["Carried by hand"]);
    // The same stick again: it says nothing new came, not "Imported from".
    await press(other, "i", "Import bundles");
    await press(other, stick, stick);
    const again = await press(other, ENTER, `Nothing new in ${stick}: everything there was already here`);
    expect(again).not.toContain("Imported from");
  });

  it("exports QR frames through the UI that another vault imports", async () => {
    const { r, a, b } = await aliceAndBob();
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Over the air gap" }]);
    const qr = join(r, "qr");
    const screen = ui(a);
    await until(screen, "Over the air gap");
    await press(screen, "x", "Export outgoing sync bundles");
    await press(screen, "q", "QR folder");
    await press(screen, qr, qr);
    const frame = await press(screen, ENTER, /Exported \d+ bundle\(s\), \d+ QR frames/);
    expect(frame).toMatch(/\d+ frames/);
    expect(existsSync(qr)).toBe(true);
    const { report } = await importFrom(b, readdirSync(qr).map((d) => join(qr, d)));
    expect(report.applied).toBe(1);
    expect(b.records("notes").map((n) => n.fields["title"])).toEqual(["Over the air gap"]);
  });

  it("shows an unreadable import path as a one-line error, not a crash", async () => {
    const { a } = await aliceAndBob();
    const screen = ui(a);
    await until(screen, "Notes (0)");
    await press(screen, "i", "Import bundles");
    await press(screen, "/nonexistent/stick", "/nonexistent/stick");
    const frame = await press(screen, ENTER, /error:|unreadable: [1-9]/);
    expect(frame).not.toMatch(/\n\s+at /);
    expect(frame).not.toContain("Imported from");
  });

  it("shows the audit log", async () => {
    const { a } = await aliceAndBob();
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "x" }]);
    const screen = ui(a);
    await until(screen, "Notes (1)");
    const frame = await press(screen, "l", "Audit log");
    expect(frame).toContain('created team "Field office" with owner "alice"');
    expect(frame).toContain('added "bob" as editor');
    // Changesets name the records they wrote (vault/report.ts auditLog).
    expect(frame).toMatch(/#1: notes: "x" \(1 change\(s\)\)/);
  });
});

describe("the team screen", () => {
  it("admits a person from their join request file after showing its fingerprint, and the welcome lets them in", async () => {
    const r = root();
    const { a, b } = await team(r);
    const c = await newVault(r, "c");
    keep(a, b, c);
    const request = c.joinRequest("carol");
    const file = join(r, "carol.airlock-join");
    writeFileSync(file, request.bytes);
    const screen = ui(a);
    await until(screen, "Notes (0)");
    let frame = await press(screen, "t", "Team (2 members)");
    expect(frame).toMatch(/alice\s+owner\s+1 device\(s\)\s+\(you\)/);
    expect(frame).toContain(fingerprint(b.state().devices.get(b.deviceId)!.keys));
    await press(screen, "a", "Admit a person from their join request");
    await press(screen, file, file);
    await press(screen, ENTER, /› Role/);
    frame = await press(screen, ENTER, 'Admit "carol" as editor?');
    expect(frame).toContain(fingerprint(request.device));
    frame = await press(screen, "y", "Added carol as editor");
    expect(frame).toContain("Team (3 members)");
    expect(a.findUser("carol").role).toBe("editor");
    sync(a, c);
    expect(c.teamId).toBe(a.teamId);
  });

  it("cancels an admission on any key but y, and refuses a file that is not a join request", async () => {
    const { r, a } = await aliceAndBob();
    const file = join(r, "junk");
    writeFileSync(file, "not a request");
    const screen = ui(a);
    await until(screen, "Notes (0)");
    await press(screen, "t", "Team (2 members)");
    await press(screen, "a", "Admit a person");
    await press(screen, file, file);
    await press(screen, ENTER, /› Role/);
    const frame = await press(screen, ENTER, /error: join request: this file is not a join request/);
    expect(frame).toContain("Team (2 members)");
    expect(a.state().users.size).toBe(2);
  });

  it("changes a role, revokes a device and removes a member, each after a question", async () => {
    const { a, b } = await aliceAndBob();
    const screen = ui(a);
    await until(screen, "Notes (0)");
    await press(screen, "t", "Team (2 members)");
    // Rows: alice, alice's laptop, bob, bob's laptop.
    await press(screen, "j", /› +laptop/);
    await press(screen, "j", /› bob/);
    // Roles are picked from the team model's list: typing filters it, ↑/↓ move, enter picks.
    let frame = await press(screen, "r", "New role for bob (now editor)");
    expect(frame).toMatch(/› editor\s+reads and writes/);
    await press(screen, "\x1b[A", /› viewer/);
    await press(screen, "ow", /filter: ow[^]*› owner/);
    await press(screen, "\x7f\x7f", /› viewer/);
    await press(screen, "vie", /filter: vie/);
    frame = await press(screen, ENTER, "bob is now viewer");
    expect(a.findUser("bob").role).toBe("viewer");
    await press(screen, "j", /› +laptop/);
    await press(screen, "v", "Revoke bob's device");
    frame = await press(screen, "n", "No device was revoked.");
    await press(screen, "v", "Revoke bob's device");
    frame = await press(screen, "y", /Revoked bob's device/);
    expect(a.state().devices.get(b.deviceId)!.active).toBe(false);
    const entries = a.state().order.length;
    await press(screen, "v", "Revoke bob's device");
    frame = await press(screen, "y", /error: device [0-9a-f]{12} is already revoked/);
    expect(a.state().order.length).toBe(entries); // nothing appended
    await press(screen, "k", /› bob/);
    await press(screen, "d", "Remove bob from the team?");
    frame = await press(screen, "y", "Removed bob");
    expect(frame).toContain("Team (1 members)");
    expect([...a.state().users.values()].find((u) => u.name === "bob")?.active).toBe(false);
    // Alice cannot remove herself: the vault's refusal is shown, nothing changes.
    await press(screen, "k", /› +laptop/);
    await press(screen, "k", /› alice/);
    await press(screen, "d", "Remove alice from the team?");
    frame = await press(screen, "y", /error: you cannot remove yourself/);
    expect(a.findUser("alice").active).toBe(true);
    await press(screen, "\x1b", "Notes (0)");
  });
});

describe("the collections and approvals screen", () => {
  it("creates a collection and changes who may read it", async () => {
    const { a, b } = await aliceAndBob();
    const screen = ui(a);
    await until(screen, "Notes (0)");
    let frame = await press(screen, "p", "Collections (1)");
    expect(frame).toMatch(/notes\s+read viewer\+\s+write editor\+/);
    await press(screen, "a", "New collection");
    await press(screen, "legal", /› Id[^:]*: legal/);
    await press(screen, ENTER, /› Name/);
    await press(screen, "Legal files", "Legal files");
    await press(screen, ENTER, /› Who reads/);
    await press(screen, ENTER, /› Who writes/);
    frame = await press(screen, ENTER, "Created legal.");
    expect(frame).toContain("Collections (2)");
    expect(a.state().collections.get("legal")).toMatchObject({ read: "editor", write: "editor" });
    await press(screen, "j", /› legal/);
    await press(screen, "e", "Who may read and write legal");
    await press(screen, "admin", /› Who reads[^:]*: +admin/);
    await press(screen, ENTER, /› Who writes/);
    frame = await press(screen, ENTER, "legal: read admin+, write editor+, new key.");
    expect(a.state().collections.get("legal")).toMatchObject({ read: "admin", write: "editor" });
    a.write("legal", [{ kind: "set", record: "l1", field: "title", value: "after the new key" }]);
    sync(a, b);
    expect(b.record("legal", "l1")).toBeUndefined(); // bob, an editor, has no key for what follows
    expect(b.currentKeyId("legal")).not.toBe(a.currentKeyId("legal"));
  });

  it("shows a change another admin proposed, in words, and approves it after a question", async () => {
    const { a, b } = await aliceAndBob();
    a.setRole("bob", "admin");
    a.setApprovals(2);
    sync(a, b);
    const proposal = b.setPolicy("notes", "editor", "editor"); // critical: waits for a second admin
    expect(() => b.approve(proposal.hashHex)).toThrow(/already approved this change \(or proposed it\)/);
    sync(b, a);
    expect(a.state().collections.get("notes")!.read).toBe("viewer");
    const screen = ui(a);
    const home = await until(screen, "Needs attention");
    expect(home).toContain("p  1 change waiting for your approval: set collection notes");
    let frame = await press(screen, "p", "Waiting for approval (1)");
    expect(frame).toMatch(/set collection notes to read: editor\+, write: editor\+ .*\(by bob\) 1\/2/);
    await press(screen, "j", /› [0-9a-f]{12} set collection notes/);
    frame = await press(screen, "y", "Approve this change?");
    frame = await press(screen, "n", "Not approved.");
    expect(a.state().collections.get("notes")!.read).toBe("viewer");
    await press(screen, "y", "Approve this change?");
    frame = await press(screen, "y", "Approved: set collection notes");
    expect(frame).toContain("Waiting for approval (0)");
    expect(a.state().collections.get("notes")!.read).toBe("editor");
  });
});

describe("terminal output hygiene", () => {
  /** Anything a terminal acts on, newlines aside (what the escaper must never let through). */
  const RAW = /(?![\n\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

  it("shows a hostile note title, body and comment escaped, never as terminal controls", async () => {
    const { a } = await aliceAndBob();
    a.write("notes", [
      { kind: "set", record: "n1", field: "title", value: "Plan\x1b[2J\x1b[Hpwned" },
      { kind: "set", record: "n1", field: "body", value: "line one\nclip\x1b]52;c;cm0gLXJm\x07 bell\u009b2J\rover" },
    ]);
    a.write("notes", [{ kind: "append", record: "n1", field: "comments", value: "invoice\u202egpj.exe\nfake line" }]);
    const screen = ui(a);
    const frame = await until(screen, "Plan\\x1b[2J\\x1b[Hpwned");
    expect(frame).toContain("line one");
    expect(frame).toContain("clip\\x1b]52;c;cm0gLXJm\\x07 bell\\x9b2J\\rover");
    expect(frame).toContain("- invoice\\u202egpj.exe\\nfake line");
    for (const f of screen.frames) expect(f).not.toMatch(RAW);
    // The form shows what is being edited escaped too.
    const edit = await press(screen, "e", "Edit “Plan\\x1b[2J");
    expect(edit).toMatch(/› Title\s*: Plan\\x1b\[2J\\x1b\[Hpwned/);
    for (const f of screen.frames) expect(f).not.toMatch(RAW);
  });
});
