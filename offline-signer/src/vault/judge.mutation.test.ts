/**
 * Judging a changeset at its causal position (docs/team-model.md, "Roles and policies", I4):
 * heads that go back along a device's chain, losses of rights cut off by sequence number, writes
 * withdrawn when the loss arrives later (and kept out when a loss is overruled but the device
 * forked), compaction snapshots a newcomer cannot compare but still checks against the schema,
 * and the local clock moved past what was applied. Written for the mutation group `changesets`
 * (docs/testing.md, "Mutation testing"). One team (Alice owner, Bob editor, Vera viewer) is
 * built once; each test opens its own copy of its vaults.
 */
import { describe, expect, it } from "vitest";
import { HostileMember } from "../../test-support/hostile.js";
import { teamTemplate, verdict } from "../../test-support/team-template.js";
import { importInto, newVault, reopen, tempRoots } from "../../test-support/vaults.js";
import { decodeChangeset, sealChangeset } from "../sync/changeset.js";
import { CUTOFF_REASON, exportBundles } from "./sync.js";
import { FUTURE_REASON, NO_KEY_REASON, SNAPSHOT_PENDING_REASON } from "./judge.js";
import { unhex } from "./hex.js";
import { Vault } from "./vault.js";

const fresh = teamTemplate();
const roots = tempRoots();

const title = (v: Vault, id: string): unknown => v.record("notes", id)?.fields["title"];
const BACKWARDS = "names an older team state than its device's previous changeset (its heads went backwards)";

describe("judging a changeset at its causal position", () => {
  it("a device's heads never go back along its chain, also after the vault was reopened; the same heads again are fine", async () => {
    const t = await fresh();
    const now = t.a.state().heads.map(unhex);
    // The team state before Vera was added: the add-member of Bob.
    const older = [t.a.state().order.map(unhex).find((h) => { const b = t.a.entries().get(Buffer.from(h).toString("hex"))!.body; return b.type === "add-member" && b.userName === "bob"; })!];
    const first = t.bob.changeset({ collection: "notes", ops: [{ record: "h", value: "names today's heads" }], heads: now });
    t.clock.tick();
    const same = t.bob.changeset({ collection: "notes", ops: [{ record: "h", value: "the same heads" }], heads: now });
    const back = t.bob.changeset({ collection: "notes", ops: [{ record: "h", value: "names older heads" }], heads: older });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [first, same, back] })]);
    expect([r.applied, r.rejected]).toEqual([2, 1]);
    expect(verdict(t.a, back)?.reason).toBe(BACKWARDS);
    expect(title(t.a, "h")).toBe("the same heads");
    // A first changeset may name any state it knew; the check needs the previous one, read from the store after a reopen.
    const t2 = await fresh();
    const bob2 = new HostileMember(t2.b);
    const one = bob2.changeset({ collection: "notes", ops: [{ record: "o", value: "old heads are fine first" }], heads: older });
    const two = bob2.changeset({ collection: "notes", ops: [{ record: "o", value: "new heads" }], heads: now });
    const three = bob2.changeset({ collection: "notes", ops: [{ record: "o", value: "back again" }], heads: older });
    expect(importInto(t2.a, [bob2.bundle({ changesets: [one, two] })]).applied).toBe(2);
    const a2 = await reopen(t2.a, t2.clock);
    expect(importInto(a2, [bob2.bundle({ changesets: [three] })]).rejected).toBe(1);
    expect(verdict(a2, three)?.reason).toBe(BACKWARDS);
    a2.close();
    t2.b.close();
    t2.v.close();
    t.close();
  });

  it("one batch its author may not write refuses the whole changeset, whatever batch comes first", async () => {
    const t = await fresh();
    t.a.createCollection("news", "News", "viewer", "admin");
    importInto(t.b, exportBundles(t.a));
    const bob = new HostileMember(t.b);
    const mixed = bob.changeset({ collection: "notes", ops: [{ record: "m", value: "allowed part" }], also: [{ collection: "news", ops: [{ record: "m", value: "not his to write" }] }] });
    expect(importInto(t.a, [bob.bundle({ changesets: [mixed] })]).rejected).toBe(1);
    expect(verdict(t.a, mixed)?.reason).toMatch(/may not write/);
    expect(title(t.a, "m")).toBeUndefined();
    t.close();
  });

  it("a removed member's changesets above the cutoff are refused whatever heads they name; those its admin had seen stand", async () => {
    const t = await fresh();
    const heads = t.a.state().heads.map(unhex);
    const seen = t.bob.changeset({ collection: "notes", ops: [{ record: "r", value: "seen before the removal" }], heads });
    importInto(t.a, [t.bob.bundle({ changesets: [seen] })]);
    t.a.removeMember("bob");
    const unseen = t.bob.changeset({ collection: "notes", ops: [{ record: "r2", value: "written offline, named old heads" }], heads });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [unseen] }, [t.a.me().device])]);
    expect(r.rejected).toBe(1);
    expect(verdict(t.a, unseen)?.reason).toMatch(new RegExp(`^${CUTOFF_REASON}: `));
    expect(verdict(t.a, seen)?.status).toBe("applied");
    expect(title(t.a, "r")).toBe("seen before the removal");
    expect(title(t.a, "r2")).toBeUndefined();
    // Vera gets the removal and both changesets from Alice, the entry judged first: the changeset at the cutoff stands, the one above it does not.
    importInto(t.v, exportBundles(t.a));
    expect([verdict(t.v, seen)?.status, verdict(t.v, unseen)?.status]).toEqual(["applied", "rejected"]);
    expect(t.v.record("notes", "r")?.fields["title"]).toBe("seen before the removal");
    t.close();
  });

  it("a changeset naming its author's own removal is refused as a loss of the right (and may be judged again)", async () => {
    const t = await fresh();
    const removal = t.a.removeMember("bob");
    // Alice no longer sends to Bob; a copy of the entry reaches him anyway (the log is not secret from him).
    const bobDevice = t.a.state().devices.get(t.b.deviceId)!;
    importInto(t.b, [new HostileMember(t.a).bundle({ entries: [removal] }, [bobDevice])]);
    expect(t.b.state().users.get(t.b.me().user.id)?.active).toBe(false);
    const after = t.bob.changeset({ collection: "notes", ops: [{ record: "x", value: "after my removal" }] });
    expect(importInto(t.a, [t.bob.bundle({ changesets: [after] }, [t.a.me().device])]).rejected).toBe(1);
    expect(verdict(t.a, after)?.reason).toMatch(new RegExp(`^${CUTOFF_REASON}: `));
    t.close();
  });

  it("a demotion withdraws, on a vault that applied them first, the writes its author made after the cutoff; the earlier ones stand", async () => {
    const t = await fresh();
    const before = t.bob.changeset({ collection: "notes", ops: [{ record: "d1", value: "while an editor" }] });
    importInto(t.a, [t.bob.bundle({ changesets: [before] })]);
    importInto(t.v, [t.bob.bundle({ changesets: [before] })]);
    t.a.setRole("bob", "viewer");
    const after = t.bob.changeset({ collection: "notes", ops: [{ record: "d2", value: "after the demotion, unaware" }] });
    // Vera hears Bob's second write before the demotion: applied, then withdrawn when the demotion arrives.
    importInto(t.v, [t.bob.bundle({ changesets: [after] })]);
    expect(title(t.v, "d2")).toBe("after the demotion, unaware");
    importInto(t.v, exportBundles(t.a));
    expect(verdict(t.v, after)?.status).toBe("rejected");
    expect(verdict(t.v, after)?.reason).toMatch(new RegExp(`^${CUTOFF_REASON}: .*viewer may not write`));
    expect(title(t.v, "d2")).toBeUndefined();
    expect(title(t.v, "d1")).toBe("while an editor");
    // Alice refuses it too, on arrival.
    importInto(t.a, [t.bob.bundle({ changesets: [after] })]);
    expect(verdict(t.a, after)?.status).toBe("rejected");
    t.close();
  });

  it("what was applied moves the local clock: the vault's next edit is ordered after it", async () => {
    const t = await fresh();
    const hour = 3600_000;
    const ahead = t.bob.changeset({
      collection: "notes",
      // The newest in the middle: after an older op and a same-hour one with a lower counter, before
      // a same-hour one with a lower counter still and an older one with a higher counter.
      ops: [
        { record: "c3", field: "title", value: "bob, earlier", wall: t.clock.ms, counter: 9 },
        { record: "c2", field: "title", value: "bob, same hour", wall: t.clock.ms + hour, counter: 2 },
        { record: "c", field: "title", value: "bob, an hour ahead", wall: t.clock.ms + hour, counter: 7 },
        { record: "c5", field: "title", value: "bob, same hour, lowest", wall: t.clock.ms + hour, counter: 1 },
        { record: "c4", field: "title", value: "bob, earlier, highest", wall: t.clock.ms, counter: 10 },
      ],
    });
    expect(importInto(t.a, [t.bob.bundle({ changesets: [ahead] })]).applied).toBe(1);
    t.a.write("notes", [{ kind: "set", record: "c", field: "title", value: "alice, after it" }]);
    expect(title(t.a, "c")).toBe("alice, after it");
    t.close();
  });

  it("a changeset locked for its key and dated ahead waits once the key arrives, and applies when the clock gets there", async () => {
    const t = await fresh();
    const day = 24 * 3600_000;
    t.a.createCollection("sources", "Sources", "editor", "editor");
    importInto(t.b, exportBundles(t.a));
    importInto(t.v, exportBundles(t.a));
    const bob = new HostileMember(t.b);
    const ahead = bob.changeset({ collection: "sources", ops: [{ record: "f", value: "two days ahead", wall: t.clock.ms + 2 * day }], time: t.clock.ms + 2 * day });
    importInto(t.v, [bob.bundle({ changesets: [ahead] })]);
    expect(verdict(t.v, ahead)?.status).toBe("locked");
    // Vera becomes a reader: the key arrives, the changeset is judged again and waits for the clock.
    t.a.setRole("vera", "editor");
    const unlocked = importInto(t.v, exportBundles(t.a));
    expect(verdict(t.v, ahead)).toEqual({ status: "waiting", reason: expect.stringMatching(/ahead of this vault's clock/) });
    expect([unlocked.applied, unlocked.rejected, unlocked.locked]).toEqual([0, 0, 0]);
    // Three days later, the next import applies it (no change to the team log needed).
    t.clock.tick(3 * day);
    const later = bob.changeset({ collection: "notes", ops: [{ record: "n", value: "later" }] });
    importInto(t.v, [bob.bundle({ changesets: [later] })]);
    expect(verdict(t.v, ahead)?.status).toBe("applied");
    expect(t.v.record("sources", "f")?.fields["title"]).toBe("two days ahead");
    t.close();
  });

  it("a device whose admission the whole log refused writes nothing that counts, though its admission holds at the position it names", async () => {
    const t = await fresh();
    // Bob, not yet aware that Alice removes him, certifies a device of his own and writes with it.
    const device = t.bob.newDevice();
    const added = t.bob.entry({ type: "add-device", user: unhex(t.b.me().user.id), device: device.keys, grants: [] });
    const cs = sealChangeset(device.sign, { team: unhex(t.a.teamId!), seq: 1, prev: new Uint8Array(32), heads: [added.hash], time: t.clock.ms, groups: [{ collection: "notes", key: t.b.currentKey("notes")!, ops: [{ kind: "set", record: "t", field: "title", value: "by the new device", wall: t.clock.ms, counter: 0 }] }] }).bytes;
    // Vera hears of the device and its changeset first: at that point it counts.
    importInto(t.v, [t.bob.bundle({ entries: [added], changesets: [cs] })]);
    expect(verdict(t.v, cs)).toEqual({ status: "applied", reason: null });
    t.a.removeMember("bob");
    // Alice hears of them after the removal: the add-device is concurrent with it, so refused.
    const r = importInto(t.a, [t.bob.bundle({ entries: [added], changesets: [cs] }, [t.a.me().device])]);
    expect(t.a.state().rejected.has(added.hashHex)).toBe(true);
    expect([r.rejected, r.applied]).toEqual([1, 0]);
    expect(verdict(t.a, cs)).toEqual({ status: "rejected", reason: `${CUTOFF_REASON}: its device's admission was refused by the team log` });
    expect(title(t.a, "t")).toBeUndefined();
    // Vera gets the removal: what the device wrote is withdrawn there too, for the same reason.
    importInto(t.v, exportBundles(t.a));
    expect(verdict(t.v, cs)).toEqual(verdict(t.a, cs));
    expect(title(t.v, "t")).toBeUndefined();
    t.close();
  });

  it("a newcomer after a compaction: the snapshot waits for the changesets it restates, then the older one-batch changesets it covers apply without their key", async () => {
    const t = await fresh();
    const bob = new HostileMember(t.b);
    // 501 comments on k1 in each of two changesets: the snapshot restates 1,002 in one batch, over the 1,000 one ordinary batch may add.
    const comments = (from: number): { kind: "append"; record: string; field: string; value: string }[] => Array.from({ length: 501 }, (_, i) => ({ kind: "append", record: "k1", field: "comments", value: `comment ${from + i}` }));
    const one = bob.changeset({ collection: "notes", ops: [{ record: "k1", value: "bob's first" }, ...comments(0)] });
    const two = bob.changeset({ collection: "notes", ops: [{ record: "k2", value: "two batches" }, ...comments(501)], also: [{ collection: "notes", ops: [{ record: "k3", value: "second batch" }] }] });
    importInto(t.a, [bob.bundle({ changesets: [one, two] })]);
    const compaction = t.a.compact("notes");
    const snapshot = t.a.storage.changesets.bytesOf(unhex(compaction.changeset))!;
    const c = await newVault(roots(), "c", t.clock);
    t.a.addMember(c.joinRequest("carol").bytes, "editor");
    importInto(c, exportBundles(t.a).filter((b) => b.kind === "welcome"));
    const carol = t.a.state().devices.get(c.deviceId)!;
    const alice = new HostileMember(t.a);
    // The snapshot first: Carol does not hold Bob's changesets its frontier names yet.
    importInto(c, [alice.bundle({ changesets: [snapshot] }, [carol])]);
    expect(verdict(c, snapshot)).toEqual({ status: "locked", reason: SNAPSHOT_PENDING_REASON });
    // Bob's changesets arrive (under the old key, which Carol was never given): the snapshot applies, then the one-batch changeset it covers.
    const r = importInto(c, [alice.bundle({ changesets: [one, two] }, [carol])]);
    expect(verdict(c, snapshot)).toEqual({ status: "applied", reason: null });
    expect(verdict(c, one)).toEqual({ status: "applied", reason: null });
    // A changeset of two batches is not passed over: its other batch's fate may hang on what Carol cannot read.
    expect(verdict(c, two)).toEqual({ status: "locked", reason: NO_KEY_REASON });
    expect(r.applied).toBe(2);
    // The covered one is marked so, to be judged again if the compaction changes; the snapshot too.
    const ids = (rows: readonly { id: number }[]): number[] => rows.map((x) => x.id);
    const rowOf = (bytes: Uint8Array): number => (c.store.connection().prepare("SELECT id FROM changesets WHERE hash = ?").get(decodeChangeset(bytes, { verify: false }).id) as { id: number }).id;
    expect(ids(c.storage.snapshots.appliedCovered())).toEqual([rowOf(one)]);
    expect(ids(c.storage.snapshots.appliedSnapshots())).toEqual([rowOf(snapshot)]);
    expect(c.storage.snapshots.has(compaction.entry.hashHex)).toBe(true);
    expect(c.records("notes").map((x) => [x.id, x.fields["title"]])).toEqual(t.a.records("notes").map((x) => [x.id, x.fields["title"]]));
    c.close();
    t.close();
  });
  it("a newcomer after a compaction refuses a snapshot of its admin that breaks the app's schema, though it cannot compare its content", async () => {
    const t = await fresh();
    importInto(t.a, [t.bob.bundle({ changesets: [t.bob.changeset({ collection: "notes", ops: [{ record: "s1", value: "before the compaction" }] })] })]);
    const compaction = t.a.compact("notes");
    const snapshot = t.a.storage.changesets.bytesOf(unhex(compaction.changeset))!;
    // Alice's client restates a field notes does not have, under the compaction's own entry and key,
    // by a device its frontier names: everything a newcomer can check but the schema holds.
    const forged = new HostileMember(t.a).changeset({ collection: "notes", heads: [compaction.entry.hash], snapshot: compaction.entry.hash, ops: [{ record: "s1", field: "colour", value: "made up", device: t.b.deviceId }] });
    const c = await newVault(roots(), "c", t.clock);
    t.a.addMember(c.joinRequest("carol").bytes, "editor");
    importInto(c, exportBundles(t.a));
    const carol = t.a.state().devices.get(c.deviceId)!;
    importInto(c, [new HostileMember(t.a).bundle({ changesets: [snapshot, forged] }, [carol])]);
    expect(verdict(c, snapshot)).toEqual({ status: "applied", reason: null });
    expect(verdict(c, forged)).toEqual({ status: "rejected", reason: 'notes: op 0: notes has no field "colour"' });
    expect(c.record("notes", "s1")?.fields["colour"]).toBeUndefined();
    c.close();
    t.close();
  });

  it("a row refused for a cutoff, at or above a fork found later, stays refused when the cutoff is overruled", async () => {
    const t = await fresh();
    t.a.setRole("vera", "admin");
    importInto(t.v, exportBundles(t.a));
    // Vera demotes Bob while Alice, concurrently, demotes Vera: the log refuses Vera's entry.
    const demotion = t.v.setRole("bob", "viewer");
    t.a.setRole("vera", "viewer");
    const bob = new HostileMember(t.b);
    const one = bob.changeset({ collection: "notes", ops: [{ record: "f1", value: "at the fork" }] });
    const two = bob.changeset({ collection: "notes", ops: [{ record: "f2", value: "above the fork" }] });
    const first = decodeChangeset(one, { verify: false });
    const other = bob.changeset({ collection: "notes", ops: [{ record: "f1", value: "the other version" }], seq: first.seq, prev: first.prev });
    importInto(t.v, [bob.bundle({ changesets: [one, two] })]);
    for (const x of [one, two]) expect(verdict(t.v, x)?.reason).toMatch(new RegExp(`^${CUTOFF_REASON}: `));
    // Another version of the first of them: a fork at its seq, found after both rows were refused.
    importInto(t.v, [bob.bundle({ changesets: [other] })]);
    expect(verdict(t.v, one)?.reason).toMatch(new RegExp(`^${CUTOFF_REASON}: `));
    // Alice's demotion arrives: Vera's is refused, so Bob's loss is gone, but his device forked.
    importInto(t.v, exportBundles(t.a));
    expect(t.v.state().rejected.has(demotion.hashHex)).toBe(true);
    expect([verdict(t.v, one)?.status, verdict(t.v, two)?.status]).toEqual(["rejected", "rejected"]);
    expect([title(t.v, "f1"), title(t.v, "f2")]).toEqual([undefined, undefined]);
    t.close();
  });

  it("a stored row whose team heads are unknown, which no import writes, costs that row only: later imports go on", async () => {
    // Every path that stores a row for judging again checks its heads first, so this state is
    // forged in the store: it stands for a bug that broke that promise. drain() judges such rows
    // in every import; a throw there would fail every import from then on.
    const t = await fresh();
    const forged = t.bob.changeset({ collection: "notes", ops: [{ record: "u", value: "names a team entry nobody has" }], heads: [new Uint8Array(32).fill(7)] });
    const cs = decodeChangeset(forged, { verify: false });
    t.a.tx(() => {
      t.a.storage.changesets.insert(cs, "waiting", FUTURE_REASON, t.clock.now());
      t.a.storage.heads.set(cs.device, cs.seq, cs.id);
    });
    const next = t.bob.changeset({ collection: "notes", ops: [{ record: "n", value: "its next one" }] });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [next] })]);
    expect(r.issues).toEqual([]);
    expect(verdict(t.a, forged)).toMatchObject({ status: "rejected", reason: "names team entries or a collection this vault does not have" });
    expect(title(t.a, "u")).toBeUndefined();
    // Judged like any other: its heads do not hold the forged row's.
    expect(verdict(t.a, next)?.reason).toBe(BACKWARDS);
    // And so does every import after it.
    expect(importInto(t.a, exportBundles(t.v)).issues).toEqual([]);
    t.close();
  });
});
