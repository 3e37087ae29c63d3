/**
 * The record layer end to end on real vaults: typed collections, add-wins sets merged through
 * real bundles, the schema enforced on import, search limited to what a member may read, and
 * forward compatibility (what a newer release wrote waits, then applies after an upgrade).
 */
import { describe, expect, it } from "vitest";
import { exportBundles } from "../vault/sync.js";
import { NEWER_REASON } from "../vault/sync.js";
import { stateDigest, vaultStatus } from "../vault/report.js";
import { importInto, reopen, sync, team, tempRoots } from "../../test-support/vaults.js";
import { HostileMember } from "../../test-support/hostile.js";
import type { AppModule } from "./app.js";
import { APPS } from "./registry.js";
import { contactIntents, contactOf } from "./contacts/record.js";
import { itemIntents, itemOf } from "./secrets/record.js";

const root = tempRoots("airlock-apps-");

const contact = { name: "Amal Haddad", organisations: ["Radio Free"], phones: [{ label: "cell", value: "+961 3 123 456" }], emails: [], messengers: [], addresses: [] };

describe("typed collections", () => {
  it("carry their type in the team log, and a write is checked against that type's schema", async () => {
    const { a, b } = await team(root());
    a.createCollection("people", "People", "viewer", "editor", "contacts");
    a.createCollection("passwords", "Passwords", "editor", "editor", "secrets");
    sync(a, b);
    expect(b.state().collections.get("people")?.app).toBe("contacts");
    expect(b.state().collections.get("notes")?.app).toBe("notes");
    expect(() => a.write("people", [{ kind: "set", record: "r1", field: "password", value: "x" }])).toThrow(/contacts has no field "password"/);
    expect(() => a.write("people", [{ kind: "set", record: "r1", field: "phones", value: "x" }])).toThrow(/a set, not written with set/);
    expect(() => a.write("notes", [{ kind: "set", record: "r1", field: "title", value: "two\nlines" }])).toThrow(/must be one line/);
    expect(() => a.createCollection("x", "X", "viewer", "editor", "spreadsheets")).toThrow(/unknown collection type/);
    a.close();
    b.close();
  });
});

describe("add-wins sets through real bundles", () => {
  it("two laptops adding different phone numbers to one contact offline both keep theirs", async () => {
    const { a, b } = await team(root());
    a.createCollection("people", "People", "viewer", "editor", "contacts");
    a.write("people", contactIntents("c1", contact));
    sync(a, b);
    const have = (v: typeof a): ReturnType<typeof contactOf> => contactOf(v.record("people", "c1")!);
    a.write("people", contactIntents("c1", { ...contact, phones: [...contact.phones, { label: "work", value: "+961 1 111 111" }] }, a.record("people", "c1")));
    b.write("people", contactIntents("c1", { ...contact, phones: [...contact.phones, { label: "home", value: "+961 1 222 222" }] }, b.record("people", "c1")));
    sync(a, b);
    sync(b, a);
    expect(have(a).phones.map((p) => p.label).sort()).toEqual(["cell", "home", "work"]);
    expect(have(b)).toEqual(have(a));
    expect(stateDigest(b)).toBe(stateDigest(a));
    a.close();
    b.close();
  });

  it("a removal takes away only what its author had seen: a concurrent re-add of the same value survives", async () => {
    const { a, b } = await team(root());
    a.createCollection("people", "People", "viewer", "editor", "contacts");
    a.write("people", contactIntents("c1", contact));
    sync(a, b);
    // A removes the cell number; B, not knowing, adds the very same number again (fresh tag).
    a.write("people", [{ kind: "remove", record: "c1", field: "phones", value: "cell\u001f+961 3 123 456" }]);
    b.write("people", [{ kind: "add", record: "c1", field: "phones", value: "cell\u001f+961 3 123 456" }]);
    sync(a, b);
    sync(b, a);
    expect(contactOf(a.record("people", "c1")!).phones).toEqual([{ label: "cell", value: "+961 3 123 456" }]);
    expect(stateDigest(a)).toBe(stateDigest(b));
    // Removed once more by someone who has seen both additions: gone everywhere.
    a.write("people", [{ kind: "remove", record: "c1", field: "phones", value: "cell\u001f+961 3 123 456" }]);
    sync(a, b);
    expect(contactOf(b.record("people", "c1")!).phones).toEqual([]);
    a.close();
    b.close();
  });
});

describe("the schema on import", () => {
  it("rejects, on every vault, a member's batch that breaks its collection's schema, and applies the member's other changesets", async () => {
    const { a, b } = await team(root());
    a.createCollection("passwords", "Passwords", "editor", "editor", "secrets");
    sync(a, b);
    sync(b, a); // A learns B's heads
    const mallory = new HostileMember(b);
    const bad = mallory.changeset({ collection: "passwords", ops: [{ kind: "set", record: "r1", field: "colour", value: "red" }] });
    const good = mallory.changeset({ collection: "passwords", ops: [{ kind: "set", record: "r2", field: "title", value: "Mail" }] });
    const report = importInto(a, [mallory.bundle({ changesets: [bad, good] })]);
    expect(report.rejected).toBe(1);
    expect(report.applied).toBe(1);
    expect(a.record("passwords", "r1")).toBeUndefined();
    expect(a.record("passwords", "r2")?.fields["title"]).toBe("Mail");
    a.close();
    b.close();
  });
});

describe("search", () => {
  it("finds records across apps by word prefix, never a password, never a collection this member cannot read", async () => {
    const { a, b } = await team(root());
    a.createCollection("passwords", "Passwords", "admin", "admin", "secrets");
    a.createCollection("people", "People", "viewer", "editor", "contacts");
    a.write("passwords", itemIntents("s1", { title: "Bank of Beirut", username: "alice", password: "hunter2-zebra", urls: ["https://bank.example"], tags: [], fields: [] }));
    a.write("people", contactIntents("c1", contact));
    a.write("notes", [
      { kind: "set", record: "n1", field: "title", value: "Beirut safe house" },
      { kind: "set", record: "n1", field: "body", value: "Ask Amal about the keys" },
    ]);
    sync(a, b);
    expect(a.search("beirut").map((h) => h.id).sort()).toEqual(["n1", "s1"]);
    expect(a.search("amal").map((h) => h.id).sort()).toEqual(["c1", "n1"]);
    expect(a.search("BEIR hous").map((h) => h.id)).toEqual(["n1"]);
    expect(a.search("zebra")).toEqual([]);
    expect(a.search('"unbalanced ( AND OR')).toEqual([]);
    // Bob is an editor: the admin-only passwords collection is not his to search.
    expect(b.search("beirut").map((h) => h.id)).toEqual(["n1"]);
    a.write("notes", [{ kind: "delete", record: "n1" }]);
    expect(a.search("beirut").map((h) => h.id)).toEqual(["s1"]);
    a.close();
    b.close();
  });

  it("drops what a withdrawn changeset wrote, and a full rebuild gives the same records and index", async () => {
    const { a, b } = await team(root());
    b.write("notes", [{ kind: "set", record: "n9", field: "title", value: "Withdrawn later" }]);
    b.write("notes", [{ kind: "set", record: "n8", field: "title", value: "Stays" }]);
    sync(b, a);
    expect(a.search("withdrawn").map((h) => h.id)).toEqual(["n9"]);
    const row = a.store.connection().prepare("SELECT c.id FROM changesets c WHERE c.device = ? AND c.seq = 1").get(b.deviceKey.publicKey) as { id: number };
    // What the importer does when a changeset is re-judged as rejected or locked.
    a.tx(() => a.recordStore.deleteOps(row.id));
    expect(a.search("withdrawn")).toEqual([]);
    expect(a.record("notes", "n9")).toBeUndefined();
    const before = JSON.stringify([a.records("notes"), a.search("stays")]);
    a.tx(() => a.recordStore.rebuild((c) => a.appOf(c)));
    expect(JSON.stringify([a.records("notes"), a.search("stays")])).toBe(before);
    a.close();
    b.close();
  });
});

/** Notes as a later release might define them: the next schema version adds a "pinned" flag. */
const notesNow = APPS.find((x) => x.schema.app === "notes")!;
const notesV2: AppModule = {
  ...notesNow,
  schema: {
    ...notesNow.schema,
    version: notesNow.schema.version + 1,
    versions: { ...notesNow.schema.versions, [notesNow.schema.version + 1]: [...notesNow.schema.versions[notesNow.schema.version]!, { name: "pinned", kind: "bool", merge: "lww", maxLength: 1 }] },
  },
};
const newer = APPS.map((x) => (x.schema.app === "notes" ? notesV2 : x));
const older = APPS.filter((x) => x.schema.app === "notes");

describe("versions", () => {
  it("a vault without an app keeps that app's changesets locked, applies the rest, forwards them, and converges after its upgrade", async () => {
    const { a, b: b0 } = await team(root());
    const b = await reopen(b0, undefined, older); // Bob still runs a release that knows only notes
    a.createCollection("passwords", "Passwords", "editor", "editor", "secrets");
    a.write("passwords", itemIntents("s1", { title: "Mail", username: "alice", password: "pw", urls: [], tags: [], fields: [] }));
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Readable everywhere" }]);
    const report = importInto(b, exportBundles(a));
    expect(report.locked).toBe(1);
    expect(report.applied).toBe(1);
    expect(b.record("notes", "n1")?.fields["title"]).toBe("Readable everywhere");
    const locked = b.store.connection().prepare("SELECT reason FROM changesets WHERE status = 'locked'").all() as { reason: string }[];
    expect(locked[0]!.reason.startsWith(NEWER_REASON)).toBe(true);
    expect(() => b.write("passwords", [{ kind: "set", record: "x", field: "title", value: "t" }])).toThrow(/does not know/);
    expect(vaultStatus(b).alerts.some((x) => /written by a newer release/.test(x))).toBe(true);
    const upgraded = await reopen(b);
    expect(itemOf(upgraded.record("passwords", "s1")!).password).toBe("pw");
    expect(stateDigest(upgraded)).toBe(stateDigest(a));
    a.close();
    upgraded.close();
  });

  it("a batch of a newer schema version waits on an older release and applies once it knows that version", async () => {
    const { a: a0, b } = await team(root());
    const a = await reopen(a0, undefined, newer); // Alice upgraded first
    a.write("notes", [
      { kind: "set", record: "n1", field: "title", value: "Pinned note" },
      { kind: "set", record: "n1", field: "pinned", value: true },
    ]);
    const report = importInto(b, exportBundles(a));
    expect(report.locked).toBe(1);
    expect(b.record("notes", "n1")).toBeUndefined();
    const upgraded = await reopen(b, undefined, newer);
    expect(upgraded.record("notes", "n1")?.fields["pinned"]).toBe(true);
    expect(stateDigest(upgraded)).toBe(stateDigest(a));
    a.close();
    upgraded.close();
  });
});

describe("app boundaries", () => {
  it("notes functions refuse a collection of another app (a login is not a note), and an unknown collection", async () => {
    const { a, b } = await team(root());
    const { addNote, deleteNote, findNote, listNotes } = await import("./notes/index.js");
    a.createCollection("passwords", "Passwords", "editor", "editor", "secrets");
    a.write("passwords", itemIntents("s1", { title: "Bank", username: "alice", password: "pw", urls: [], tags: [], fields: [] }));
    expect(() => deleteNote(a, "passwords", "s1")).toThrow(/holds secrets, not notes/);
    expect(() => findNote(a, "passwords", "s1")).toThrow(/holds secrets, not notes/);
    expect(() => addNote(a, "passwords", { title: "x" })).toThrow(/holds secrets, not notes/);
    expect(() => listNotes(a, "nope")).toThrow(/no collection "nope"/);
    expect(itemOf(a.record("passwords", "s1")!).title).toBe("Bank");
    a.close();
    b.close();
  });

  it("search ignores a lone letter beside longer words (Bank's finds Bank)", async () => {
    const { a, b } = await team(root());
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Bank" }]);
    expect(a.search("Bank's").map((h) => h.id)).toEqual(["n1"]);
    a.close();
    b.close();
  });
});

describe("what one vault writes, every vault accepts", () => {
  it("refuses a change too large for one changeset instead of storing what others would reject", async () => {
    const { a, b } = await team(root());
    const many = Array.from({ length: 70_000 }, (_, i) => ({ kind: "set" as const, record: `r${i}`, field: "title", value: "x" }));
    expect(() => a.write("notes", many)).toThrow(/do not fit in one changeset/);
    expect(a.records("notes")).toEqual([]);
    expect((a.store.connection().prepare("SELECT count(*) AS n FROM changesets").get() as { n: number }).n).toBe(0);
    a.close();
    b.close();
  });

  it("removing a value another member added thousands of times splits into removes every vault accepts", async () => {
    const { a, b } = await team(root());
    a.createCollection("people", "People", "viewer", "editor", "contacts");
    sync(a, b);
    // Bob adds one phone 4,160 times (65 batches of 64): more tags than one remove may name.
    for (let i = 0; i < 65; i++) b.write("people", Array.from({ length: 64 }, () => ({ kind: "add" as const, record: "c1", field: "phones", value: "\u001f+1 555 0100" })));
    b.write("people", [{ kind: "set", record: "c1", field: "name", value: "Flooded" }]);
    sync(b, a);
    a.write("people", [{ kind: "remove", record: "c1", field: "phones", value: "\u001f+1 555 0100" }]);
    const report = sync(a, b)[0]!;
    expect(report.rejected).toBe(0);
    expect(contactOf(a.record("people", "c1")!).phones).toEqual([]);
    expect(stateDigest(b)).toBe(stateDigest(a));
    a.close();
    b.close();
  });

  it("writes the oldest schema version the change keeps to, so vaults that have not upgraded read it", async () => {
    const { a: a0, b, clock } = await team(root());
    const a = await reopen(a0, clock, newer);
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Only v1 fields" }]);
    const report = importInto(b, exportBundles(a));
    expect(report.applied).toBe(1);
    expect(b.record("notes", "n1")?.fields["title"]).toBe("Only v1 fields");
    a.close();
    b.close();
  });

  it("on upgrade, withdraws what an earlier release applied that this release's schema refuses, as a fresh vault refuses it", async () => {
    const { a, b: b0 } = await team(root());
    sync(b0, a);
    const forged = new HostileMember(a).changeset({ collection: "notes", ops: [{ kind: "set", record: "n1", field: "title", value: "two\nlines" }] });
    const fresh = importInto(b0, [new HostileMember(a).bundle({ changesets: [forged] })]);
    expect(fresh.rejected).toBe(1);
    // Stand-in for a vault that applied it under a release without schemas: mark it applied, with its ops.
    const db = b0.store.connection();
    const row = db.prepare("SELECT id FROM changesets WHERE status = 'rejected'").get() as { id: number };
    b0.tx(() => {
      db.prepare("UPDATE changesets SET status = 'applied', reason = NULL WHERE id = ?").run(row.id);
      b0.recordStore.insertOps(row.id, "notes", a.deviceId, [{ kind: "set", record: "n1", field: "title", value: "two\nlines", wall: a.now(), counter: 0 }]);
      b0.store.setMeta("apps.known", "an earlier release");
    });
    expect(b0.record("notes", "n1")).toBeDefined();
    const b = await reopen(b0);
    expect(b.record("notes", "n1")).toBeUndefined();
    expect((b.store.connection().prepare("SELECT status FROM changesets WHERE id = ?").get(row.id) as { status: string }).status).toBe("rejected");
    a.close();
    b.close();
  });
});

describe("a first record of an app", () => {
  it("makes the usual collection when the team has none and this is an admin's device; an editor is told to ask", async () => {
    const { a, b } = await team(root());
    const { chooseOrCreateCollection } = await import("./collection-choice.js");
    const { secretsApp } = await import("./secrets/index.js");
    expect(() => chooseOrCreateCollection(b, secretsApp, undefined, () => undefined)).toThrow(/no secrets collection this device reads; an admin creates one/);
    const made: string[] = [];
    expect(chooseOrCreateCollection(a, secretsApp, undefined, (id) => made.push(id))).toBe("passwords");
    expect(made).toEqual(["passwords"]);
    expect(a.state().collections.get("passwords")).toMatchObject({ app: "secrets", read: "editor", write: "editor" });
    // Once one exists, it is chosen, never a second made.
    expect(chooseOrCreateCollection(a, secretsApp, undefined, (id) => made.push(id))).toBe("passwords");
    expect(made).toEqual(["passwords"]);
    a.close();
    b.close();
  });
});
