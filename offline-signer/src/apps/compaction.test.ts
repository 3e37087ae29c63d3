/**
 * History compaction (docs/decisions.md #30): members admitted after `compact` get the current
 * state and never what was deleted or superseded before it; existing members check the snapshot
 * against their own history and refuse a false one.
 */
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { stateDigest } from "../vault/report.js";
import { importInto, newVault, sync, team, tempRoots } from "../../test-support/vaults.js";
import { HostileMember } from "../../test-support/hostile.js";
import { sealGrant } from "../vault/grants.js";
import { readerDevices } from "../team/state.js";

const root = tempRoots("airlock-compact-");

function opsText(v: { store: { connection(): { prepare(sql: string): { all(): unknown[] } } } }): string {
  return (v.store.connection().prepare("SELECT value FROM ops").all() as { value: Buffer }[]).map((r) => r.value.toString("utf8")).join("\n");
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
    const mallory = new HostileMember(a);
    const state = a.state();
    const fresh = new Uint8Array(randomBytes(32));
    const heads = a.store.connection().prepare("SELECT device, seq, hash FROM device_heads").all() as { device: Buffer; seq: number; hash: Buffer }[];
    const entry = mallory.entry({
      type: "compact",
      collection: "notes",
      frontier: heads.map((h) => ({ device: new Uint8Array(h.device), seq: h.seq, id: new Uint8Array(h.hash) })).sort((x, y) => Buffer.compare(x.device, y.device)),
      rekeys: [sealGrant(a.deviceKey, "notes", [fresh], readerDevices(state, "notes"))],
    });
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
    a.close();
    b.close();
  });
});
