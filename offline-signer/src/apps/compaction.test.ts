/**
 * History compaction (docs/decisions.md #30): members admitted after `compact` get the current
 * state and never what was deleted or superseded before it; existing members check the snapshot
 * against their own history and refuse a false one.
 */
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { stateDigest, vaultStatus } from "../vault/report.js";
import { importInto, newVault, sync, team, tempRoots } from "../../test-support/vaults.js";
import { HostileMember } from "../../test-support/hostile.js";
import { sealGrant } from "../vault/grants.js";
import { readerDevices } from "../team/state.js";
import type { TeamEntry } from "../team/entry.js";
import type { Vault } from "../vault/vault.js";
import { addTicket, commentIntents, myUser } from "./tickets/write.js";
import { createDoc, loadDoc, propose, review } from "./docs/ops.js";

const root = tempRoots("airlock-compact-");

function opsText(v: { store: { connection(): { prepare(sql: string): { all(): unknown[] } } } }): string {
  return (v.store.connection().prepare("SELECT value FROM ops").all() as { value: Buffer }[]).map((r) => r.value.toString("utf8")).join("\n");
}

/** An admin's `compact` entry for notes, made by hand (its device's heads as the frontier), for a snapshot the test then forges. */
function hostileCompaction(a: Vault): { mallory: HostileMember; fresh: Uint8Array; entry: TeamEntry } {
  const mallory = new HostileMember(a);
  const fresh = new Uint8Array(randomBytes(32));
  const heads = a.store.connection().prepare("SELECT device, seq, hash FROM device_heads").all() as { device: Buffer; seq: number; hash: Buffer }[];
  const entry = mallory.entry({
    type: "compact",
    collection: "notes",
    frontier: heads.map((h) => ({ device: new Uint8Array(h.device), seq: h.seq, id: new Uint8Array(h.hash) })).sort((x, y) => Buffer.compare(x.device, y.device)),
    rekeys: [sealGrant(a.deviceKey, "notes", [fresh], readerDevices(a.state(), "notes"))],
  });
  return { mallory, fresh, entry };
}

describe("compaction", () => {
  it("a member admitted afterwards gets the same records, none of the deleted or superseded values, and only the fresh key", async () => {
    const { a, b, clock } = await team(root());
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Old title" }]);
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "New title" }]);
    a.write("notes", [{ kind: "set", record: "n2", field: "title", value: "Secret plan" }]);
    a.write("notes", [{ kind: "delete", record: "n2" }]);
    b.write("notes", [{ kind: "append", record: "n1", field: "comments", value: "seen by bob" }]);
    sync(a, b);
    sync(b, a);
    const result = a.compact("notes");
    expect(result.records).toBe(2); // n1, and n2's tombstone
    expect(result.dropped).toBeGreaterThan(0);
    const toB = sync(a, b)[0]!;
    expect(toB.rejected).toBe(0);
    expect(stateDigest(b)).toBe(stateDigest(a));
    // Carol joins after the compaction.
    const c = await newVault(root(), "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    sync(a, c);
    sync(b, c);
    expect(c.records("notes").map((r) => [r.id, r.fields["title"], r.lists["comments"]])).toEqual(a.records("notes").map((r) => [r.id, r.fields["title"], r.lists["comments"]]));
    expect(stateDigest(c)).toBe(stateDigest(a));
    const text = opsText(c);
    expect(text).toContain("New title");
    expect(text).not.toContain("Old title");
    expect(text).not.toContain("Secret plan");
    expect((c.store.connection().prepare("SELECT count(*) AS n FROM collection_keys WHERE collection = 'notes'").get() as { n: number }).n).toBe(1);
    expect((c.store.connection().prepare("SELECT count(*) AS n FROM changesets WHERE status != 'applied'").get() as { n: number }).n).toBe(0);
    // Later edits merge as usual, everywhere.
    c.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Carol's title" }]);
    sync(c, a, b);
    expect(a.record("notes", "n1")?.fields["title"]).toBe("Carol's title");
    expect(stateDigest(b)).toBe(stateDigest(c));
    a.close();
    b.close();
    c.close();
  });

  it("an existing member refuses a snapshot that restates history falsely, and keeps the true one", async () => {
    const { a, b } = await team(root());
    b.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Bob wrote this" }]);
    sync(b, a);
    sync(a, b);
    // A hostile admin compacts, but its snapshot puts words in Bob's mouth.
    const { mallory, fresh, entry } = hostileCompaction(a);
    const hlcOfBob = (a.store.connection().prepare("SELECT hlc FROM ops WHERE record = 'n1'").get() as { hlc: Buffer }).hlc;
    const forged = mallory.changeset({
      collection: "notes",
      key: fresh,
      heads: [entry.hash],
      snapshot: entry.hash,
      ops: [{ kind: "set", record: "n1", field: "title", value: "Bob confessed", wall: Number(hlcOfBob.readBigUInt64BE(0)), counter: hlcOfBob.readUInt32BE(8), device: b.deviceId }],
    });
    const report = importInto(b, [mallory.bundle({ entries: [entry], changesets: [forged] })]);
    expect(report.rejected).toBe(1);
    const why = b.store.connection().prepare("SELECT reason FROM changesets WHERE status = 'rejected'").get() as { reason: string };
    expect(why.reason).toMatch(/does not match this vault's history/);
    expect(b.record("notes", "n1")?.fields["title"]).toBe("Bob wrote this");
    expect(vaultStatus(b).alerts.some((x) => /compaction snapshot that does not match/.test(x))).toBe(true);
    a.close();
    b.close();
  });

  it("a snapshot op by a device its frontier does not name is refused on every vault, before any content check", async () => {
    const { a, b } = await team(root());
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "real" }]);
    sync(a, b);
    const { mallory, fresh, entry } = hostileCompaction(a);
    // Thousands of made-up authors would each cost every vault a device in the record's state.
    const ops = Array.from({ length: 3 }, (_, i) => ({ kind: "append" as const, record: "n1", field: "comments", value: `from nobody ${i}`, wall: 1, counter: i, device: "ee".repeat(32) }));
    const forged = mallory.changeset({ collection: "notes", key: fresh, heads: [entry.hash], snapshot: entry.hash, ops });
    const report = importInto(b, [mallory.bundle({ entries: [entry], changesets: [forged] })]);
    expect(report.rejected).toBe(1);
    const why = b.store.connection().prepare("SELECT reason FROM changesets WHERE status = 'rejected'").get() as { reason: string };
    expect(why.reason).toMatch(/an op by a device its frontier does not name/);
    expect(b.record("notes", "n1")?.lists["comments"]).toBeUndefined();
    a.close();
    b.close();
  });

  it("tickets and documents other members wrote (comments, history, reviews, draft updates) compact, and a newcomer reads them", async () => {
    const { a, b, clock } = await team(root());
    a.createCollection("work", "Work", "viewer", "editor", "tickets");
    a.createCollection("papers", "Papers", "viewer", "editor", "docs");
    sync(a, b);
    const { id: ticket } = addTicket(b, "work", { title: "Fix the van", assignee: myUser(a), labels: ["garage"] }, clock.ms);
    b.write("work", commentIntents(b.record("work", ticket)!, myUser(b), clock.ms, "bob's note").intents);
    const { id: doc } = createDoc(b, "papers", "Plan", "first line\n");
    sync(b, a);
    const { id: proposal } = propose(b, "papers", doc, "first line\nsecond line\n", "add a line");
    sync(b, a);
    review(a, "papers", proposal, "approve");
    sync(a, b);
    for (const c of ["work", "papers"]) a.compact(c);
    expect(sync(a, b)[0]!.rejected).toBe(0);
    const c = await newVault(root(), "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    sync(a, c);
    sync(b, c);
    expect((c.store.connection().prepare("SELECT count(*) AS n FROM changesets WHERE status != 'applied'").get() as { n: number }).n).toBe(0);
    for (const col of ["work", "papers"]) expect(JSON.stringify(c.records(col))).toBe(JSON.stringify(a.records(col)));
    const versions = loadDoc(c, "papers", doc).versions;
    expect(versions[versions.length - 1]!.text).toBe("first line\nsecond line\n");
    a.close();
    b.close();
    c.close();
  });

  it("what a member wrote under the old key before it saw the compaction is carried forward, so a newcomer gets it", async () => {
    const { a, b, clock } = await team(root());
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "before" }]);
    sync(a, b);
    sync(b, a);
    a.compact("notes");
    // Bob has not seen the compaction: he writes under the old key, after its frontier.
    clock.tick();
    b.write("notes", [
      { kind: "set", record: "n2", field: "title", value: "written offline" },
      { kind: "append", record: "n1", field: "comments", value: "bob's comment" },
    ]);
    sync(a, b); // now Bob has the compaction and its key: his vault carries his writes forward
    sync(b, a);
    const c = await newVault(root(), "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    sync(a, c);
    const view = (v: typeof a): unknown => v.records("notes").map((r) => [r.id, r.fields["title"], r.lists["comments"] ?? []]);
    expect(view(c)).toEqual(view(a));
    expect(c.record("notes", "n2")?.fields["title"]).toBe("written offline");
    expect(c.record("notes", "n1")?.lists["comments"]).toEqual(["bob's comment"]);
    // Readers who had the original fold the carried rows as the same rows: nothing changes for them.
    sync(a, b);
    expect(stateDigest(b)).toBe(stateDigest(a));
    // Carried once: later changes do not carry again.
    const count = (v: typeof a): number => (v.store.connection().prepare("SELECT count(*) AS n FROM changesets").get() as { n: number }).n;
    const before = count(b);
    sync(a, b);
    b.write("notes", [{ kind: "set", record: "n3", field: "title", value: "later" }]);
    sync(a, b);
    expect(count(b)).toBe(before + 1);
    a.close();
    b.close();
    c.close();
  });

  it("a long comment thread (more items than one ordinary batch may add) survives compaction for newcomers", async () => {
    const { a, b, clock } = await team(root());
    for (let part = 0; part < 2; part++) a.write("notes", Array.from({ length: 600 }, (_, i) => ({ kind: "append" as const, record: "n1", field: "comments", value: `comment ${part}.${i}` })));
    sync(a, b);
    a.compact("notes");
    expect(sync(a, b)[0]!.rejected).toBe(0);
    const c = await newVault(root(), "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    sync(a, c);
    expect(c.record("notes", "n1")?.lists["comments"]?.length).toBe(1200);
    expect(stateDigest(c)).toBe(stateDigest(a));
    a.close();
    b.close();
    c.close();
  });

  it("a compaction whose frontier names history nobody holds applies nowhere, a newcomer included, and is shown", async () => {
    const { a, b, clock } = await team(root());
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Real" }]);
    sync(a, b);
    const mallory = new HostileMember(b);
    const state = b.state();
    const fresh = new Uint8Array(randomBytes(32));
    const entry = mallory.entry({
      type: "compact",
      collection: "notes",
      frontier: [{ device: a.deviceKey.publicKey, seq: 2 ** 40, id: new Uint8Array(32) }],
      rekeys: [sealGrant(b.deviceKey, "notes", [fresh], readerDevices(state, "notes"))],
    });
    // Bob is only an editor: the fold refuses his compact entry outright.
    expect(() => importInto(a, [mallory.bundle({ entries: [entry] })])).not.toThrow();
    expect(a.state().collections.get("notes")?.compactions.length).toBe(0);
    // Made by an admin, the same frontier keeps the snapshot waiting on every vault.
    a.setRole("bob", "admin");
    sync(a, b);
    const admin = new HostileMember(b);
    const entry2 = admin.entry({
      type: "compact",
      collection: "notes",
      frontier: [{ device: a.deviceKey.publicKey, seq: 2 ** 40, id: new Uint8Array(32) }],
      rekeys: [sealGrant(b.deviceKey, "notes", [fresh], readerDevices(b.state(), "notes"))],
    });
    const snap = admin.changeset({ collection: "notes", key: fresh, heads: [entry2.hash], snapshot: entry2.hash, ops: [{ kind: "set", record: "n1", field: "title", value: "Forged", device: a.deviceId }] });
    const bundle = admin.bundle({ entries: [entry2], changesets: [snap] });
    importInto(a, [bundle]);
    expect(a.record("notes", "n1")?.fields["title"]).toBe("Real");
    expect(vaultStatus(a).alerts.some((x) => /wait for changesets they claim to restate/.test(x))).toBe(true);
    const c = await newVault(root(), "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    sync(a, c);
    importInto(c, [bundle]);
    // Alice never applied that snapshot, so she gave Carol the notes' whole key history.
    expect(c.record("notes", "n1")?.fields["title"]).toBe("Real");
    a.close();
    b.close();
    c.close();
  });

  it("a newcomer does not pass over a covered batch when its changeset holds others: one bad batch cannot smuggle the rest in", async () => {
    const { a, b, clock } = await team(root());
    a.createCollection("other", "Other", "viewer", "editor");
    sync(a, b);
    // Bob signs one changeset: a notes batch every vault refuses, beside a harmless-looking one.
    const bob = new HostileMember(b);
    const cs = bob.changeset({ collection: "notes", ops: [{ kind: "set", record: "n1", field: "colour", value: "red" }], also: [{ collection: "other", ops: [{ kind: "set", record: "o1", field: "title", value: "smuggled" }] }] });
    expect(importInto(a, [bob.bundle({ changesets: [cs] })]).rejected).toBe(1);
    a.compact("notes");
    const c = await newVault(root(), "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    sync(a, c);
    expect(a.record("other", "o1")).toBeUndefined();
    expect(c.record("other", "o1")).toBeUndefined();
    expect(stateDigest(c)).toBe(stateDigest(a));
    a.close();
    b.close();
    c.close();
  });
});
