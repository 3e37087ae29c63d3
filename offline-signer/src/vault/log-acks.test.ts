import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload, type SyncPayload } from "@airlock/bundle-format";
import { importInto, newVault, sync, team, tempRoots, TestClock } from "../../test-support/vaults.js";
import { stateDigest, vaultStatus, type PeerSync } from "./report.js";
import { emptyReport, exportBundles, openForVault } from "./sync.js";
import type { Vault } from "./vault.js";

const root = tempRoots();

/** The team entries inside `from`'s sync bundle, as `to` opens it. */
function entriesSent(from: Vault, to: Vault): number {
  const bundle = exportBundles(from).find((x) => x.kind === "sync")!;
  const opened = openForVault(to, bundle.bytes, "test", emptyReport())!;
  return (opened.payload as SyncPayload).entries.length;
}

describe("team log in sync bundles (sync 1.1 logHeads)", () => {
  it("sends a peer only the team entries it has not acknowledged, and all of them to one that never said", async () => {
    const r = root();
    const clock = new TestClock();
    const { a, b } = await team(r, clock);
    const logLength = a.state().order.length;
    // b has not sent anything yet: a does not know what b holds.
    expect(entriesSent(a, b)).toBe(logLength);
    sync(b, a); // b's bundle announces its log heads
    expect(entriesSent(a, b)).toBe(0);
    a.createCollection("sources", "Sources", "editor", "editor");
    a.setRole("bob", "admin");
    expect(entriesSent(a, b)).toBe(2);
    sync(a, b);
    expect(entriesSent(a, b)).toBe(2); // a has not heard back yet: re-sent until acknowledged
    sync(b, a);
    expect(entriesSent(a, b)).toBe(0);
    expect(stateDigest(b)).toBe(stateDigest(a));
    a.close();
    b.close();
  });

  it("a bundle to several devices carries what the least informed of them lacks", async () => {
    const r = root();
    const clock = new TestClock();
    const { a, b } = await team(r, clock);
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    sync(a, b, c);
    sync(b, a);
    sync(c, a);
    expect(entriesSent(a, b)).toBe(0);
    a.createCollection("sources", "Sources", "editor", "editor");
    sync(a, b); // only b hears about it
    sync(b, a);
    expect(entriesSent(a, b)).toBe(1); // c still lacks the collection entry
    sync(a, c);
    sync(c, a);
    expect(entriesSent(a, b)).toBe(0);
    for (const v of [b, c]) expect(stateDigest(v)).toBe(stateDigest(a));
    a.close();
    b.close();
    c.close();
  });

  it("an old, late bundle never makes a peer look less informed than it said, and concurrent heads reduce to the newest", async () => {
    const r = root();
    const clock = new TestClock();
    const { a, b } = await team(r, clock);
    const early = exportBundles(b); // b's heads: the log up to its own admission
    a.setRole("bob", "admin");
    a.createCollection("one", "One", "editor", "editor");
    sync(a, b);
    b.createCollection("two", "Two", "editor", "editor");
    a.createCollection("three", "Three", "editor", "editor"); // concurrent with "two"
    sync(b, a); // b holds one and two; a now has two heads-worth of history merged
    expect(entriesSent(a, b)).toBe(1); // "three" only
    expect(a.state().heads).toHaveLength(2); // "two" and "three" are concurrent
    importInto(a, early); // the stale ack arrives late
    expect(entriesSent(a, b)).toBe(1);
    sync(a, b);
    sync(b, a);
    expect(entriesSent(a, b)).toBe(0);
    const stored = a.store.connection().prepare("SELECT count(*) AS n FROM peer_log_heads WHERE peer = ?").get(Buffer.from(b.deviceId, "hex")) as { n: number };
    expect(stored.n).toBe(b.state().heads.length);
    a.close();
    b.close();
  });

  it("a 1.0 sync body (v 0, no logHeads) still decodes; 1.1 bodies announce the sender's heads", async () => {
    const r = root();
    const { a, b } = await team(r, new TestClock());
    sync(b, a);
    expect(entriesSent(a, b)).toBe(0);
    // What a 1.0 writer produced: the same fields, v 0, no logHeads.
    const body = encodePayload({ kind: "sync", team: b.state().team, entries: [], changesets: [], acks: [] });
    const v0 = Buffer.from(body);
    const at = v0.indexOf(Buffer.from([0x61, 0x76, 0x03])); // "v": 3, today's minor
    expect(at).toBeGreaterThan(0);
    v0[at + 2] = 0x00;
    expect(decodePayload(v0)).toMatchObject({ kind: "sync", minor: 0 });
    expect(decodePayload(v0)).not.toHaveProperty("logHeads");
    // Imported, it records no heads for b: a goes on sending b only what b announced it lacks.
    const report = emptyReport();
    const opened = openForVault(a, exportBundles(b)[0]!.bytes, "test", report)!;
    expect((opened.payload as SyncPayload).logHeads).toHaveLength(b.state().heads.length);
    a.close();
    b.close();
  });

  it("status tells, per other device, what it has not acknowledged yet", async () => {
    const r = root();
    const clock = new TestClock();
    const { a, b } = await team(r, clock);
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "one" }]);
    a.write("notes", [{ kind: "set", record: "n2", field: "title", value: "two" }]);
    const peerB = (): PeerSync => vaultStatus(a).peers.find((p) => p.device === b.deviceId)!;
    expect(peerB()).toMatchObject({ name: "bob", lastHeard: undefined, unacknowledged: { changesets: 2, entries: a.state().order.length } });
    sync(a, b);
    sync(b, a);
    expect(peerB().unacknowledged).toEqual({ changesets: 0, entries: 0 });
    expect(peerB().lastHeard).toBeDefined();
    b.write("notes", [{ kind: "set", record: "n3", field: "title", value: "from bob" }]);
    sync(b, a);
    expect(peerB().unacknowledged).toEqual({ changesets: 0, entries: 0 }); // its own change
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    expect(peerB().unacknowledged).toEqual({ changesets: 0, entries: 1 });
    const peerC = vaultStatus(a).peers.find((p) => p.name === "carol")!;
    expect(peerC).toMatchObject({ lastHeard: undefined, unacknowledged: { changesets: 3 } });
    a.close();
    b.close();
    c.close();
  });
});
