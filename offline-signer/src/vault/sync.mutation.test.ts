/**
 * Importing changesets (docs/sync.md; docs/team-model.md I4-I6, I8): what is stored, quarantined
 * alone or kept waiting, and that one member's bad changeset never blocks anyone else's. Written
 * for the mutation group `changesets` (docs/testing.md, "Mutation testing"): what the older tests
 * left unchecked. One team (Alice owner, Bob editor, Vera viewer) is built once; each test opens
 * its own copy of its vaults.
 */
import { concatBytes, ed25519KeyPair, ed25519Sign, encodePayload, randomBytes, sealBundle, utf8, x25519KeyPair } from "@airlock/bundle-format";
import { describe, expect, it } from "vitest";
import { HostileMember } from "../../test-support/hostile.js";
import { teamTemplate, verdict } from "../../test-support/team-template.js";
import { importInto, newVault, tempRoots } from "../../test-support/vaults.js";
import { decodeChangeset, keyIdOf, sealChangeset } from "../sync/changeset.js";
import { encodeObject } from "../team/cbor-object.js";
import { vaultStatus } from "./report.js";
import { addTicket } from "../apps/tickets/write.js";
import { OP_CODE } from "../apps/fold.js";
import { EQUIVOCATION_REASON, exportBundles, FUTURE_REASON, importBundles, importBundlesParallel, MAX_WAITING_BYTES_PER_DEVICE, MAX_WAITING_PER_DEVICE, peerAcks, type ImportOptions } from "./sync.js";
import { sealGrant } from "./grants.js";
import { unhex } from "./hex.js";
import { Vault } from "./vault.js";

const fresh = teamTemplate();
const roots = tempRoots();

const hx = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const title = (v: Vault, id: string): unknown => v.record("notes", id)?.fields["title"];

describe("importing changesets", () => {
  it("a changeset with a broken signature is quarantined alone; the rest of the bundle applies", async () => {
    const t = await fresh();
    const good1 = t.bob.changeset({ collection: "notes", ops: [{ record: "g1", value: "one" }] });
    const good2 = t.bob.changeset({ collection: "notes", ops: [{ record: "g2", value: "two" }] });
    const bad = Uint8Array.from(good2);
    bad[bad.length - 1]! ^= 1; // the signature's last byte
    const r = importInto(t.a, [t.bob.bundle({ changesets: [good1, bad, good2] })]);
    expect(r.quarantined).toBe(1);
    expect(r.applied).toBe(2);
    expect(r.changesetsNew).toBe(2);
    expect([title(t.a, "g1"), title(t.a, "g2")]).toEqual(["one", "two"]);
    const q = vaultStatus(t.a).quarantine.filter((x) => x.kind === "changeset");
    expect(q).toHaveLength(1);
    expect(q[0]!.author).toBeUndefined(); // its signature failed: its device is not trusted as its author
    // A changeset that does not even decode, with a field name of a kilobyte: quarantined with a reason cut to 500 characters.
    const junk = encodeObject({ body: encodeObject({ ["x".repeat(1000)]: 1 }), sig: new Uint8Array(64) });
    expect(importInto(t.a, [t.bob.bundle({ changesets: [junk] })]).quarantined).toBe(1);
    const long = vaultStatus(t.a).quarantine.find((x) => x.reason.includes("xxxx"));
    expect(long?.reason.length).toBe(500);
    t.close();
  });

  it("the same changeset twice is a duplicate, stored once", async () => {
    const t = await fresh();
    const cs = t.bob.changeset({ collection: "notes", ops: [{ record: "d", value: "once" }] });
    const first = importInto(t.a, [t.bob.bundle({ changesets: [cs] })]);
    const again = importInto(t.a, [t.bob.bundle({ changesets: [cs] })]);
    expect([first.changesetsNew, first.applied, first.duplicates]).toEqual([1, 1, 0]);
    expect([again.changesetsNew, again.applied, again.duplicates, again.quarantined]).toEqual([0, 0, 1, 0]);
    t.close();
  });

  it("a changeset signed for another team is quarantined with that reason, and the device's chain goes on", async () => {
    const t = await fresh();
    const other = sealChangeset(t.b.deviceKey, { team: randomBytes(32), seq: 1, prev: new Uint8Array(32), heads: t.b.state().heads.map(unhex), time: t.clock.ms, groups: [{ collection: "notes", key: t.b.currentKey("notes")!, ops: [{ kind: "set", record: "x", field: "title", value: "elsewhere", wall: t.clock.ms, counter: 0 }] }] });
    const ours = t.bob.changeset({ collection: "notes", ops: [{ record: "o", value: "ours" }] });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [other.bytes, ours] })]);
    expect(r.quarantined).toBe(1);
    expect(r.applied).toBe(1);
    expect(vaultStatus(t.a).quarantine.map((q) => [q.kind, q.reason, q.author])).toContainEqual(["changeset", "belongs to another team", t.b.deviceId]);
    expect(verdict(t.a, other.bytes)).toBeUndefined();
    expect(title(t.a, "o")).toBe("ours");
    t.close();
  });

  it("a changeset whose predecessor has not arrived waits, then both apply in order when it does", async () => {
    const t = await fresh();
    const one = t.bob.changeset({ collection: "notes", ops: [{ record: "w", value: "first" }] });
    t.clock.tick();
    const two = t.bob.changeset({ collection: "notes", ops: [{ record: "w", value: "second" }] });
    const r1 = importInto(t.a, [t.bob.bundle({ changesets: [two] })]);
    expect([r1.changesetsNew, r1.applied, r1.waiting]).toEqual([1, 0, 1]);
    expect(verdict(t.a, two)?.status).toBe("waiting");
    expect(title(t.a, "w")).toBeUndefined();
    const r2 = importInto(t.a, [t.bob.bundle({ changesets: [one] })]);
    expect([r2.applied, r2.waiting]).toEqual([2, 0]);
    expect(verdict(t.a, two)).toEqual({ status: "applied", reason: null });
    expect(title(t.a, "w")).toBe("second");
    t.close();
  });

  it("a changeset that does not follow its device's previous one is rejected for the broken chain, arriving in order or not", async () => {
    const t = await fresh();
    const one = t.bob.changeset({ collection: "notes", ops: [{ record: "c", value: "one" }] });
    const stray = t.bob.changeset({ collection: "notes", ops: [{ record: "c", value: "stray" }], seq: 2, prev: randomBytes(32) });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [one, stray] })]);
    expect([r.applied, r.rejected]).toEqual([1, 1]);
    expect(verdict(t.a, stray)?.reason).toMatch(/broken hash chain/);
    // The other order: the stray one waits, and is judged (rejected) once its seq's predecessor arrives.
    const t2 = await fresh();
    const one2 = new HostileMember(t2.b).changeset({ collection: "notes", ops: [{ record: "c", value: "one" }] });
    importInto(t2.a, [t2.bob.bundle({ changesets: [stray] })]);
    expect(verdict(t2.a, stray)?.status).toBe("waiting");
    const r2 = importInto(t2.a, [t2.bob.bundle({ changesets: [one2] })]);
    expect([r2.applied, r2.rejected, r2.waiting]).toEqual([1, 1, 0]);
    expect(verdict(t2.a, stray)?.reason).toMatch(/broken hash chain/);
    expect(title(t2.a, "c")).toBe("one");
    t.close();
    t2.close();
  });

  it("a changeset naming team entries the vault lacks waits for them, then applies", async () => {
    const t = await fresh();
    // Alice adds a collection; Bob hears of it and writes naming it; Vera gets Bob's changeset first.
    t.a.createCollection("sources", "Sources", "viewer", "editor");
    importInto(t.b, exportBundles(t.a));
    const cs = new HostileMember(t.b).changeset({ collection: "notes", ops: [{ record: "h", value: "names the new head" }] });
    const r1 = importInto(t.v, [t.bob.bundle({ changesets: [cs] })]);
    expect([r1.applied, r1.waiting]).toEqual([0, 1]);
    expect(verdict(t.v, cs)?.status).toBe("waiting");
    importInto(t.v, exportBundles(t.a));
    expect(verdict(t.v, cs)?.status).toBe("applied");
    expect(t.v.record("notes", "h")?.fields["title"]).toBe("names the new head");
    t.close();
  });

  it("a viewer's changeset is rejected alone with the true reason; an editor's in the same import applies", async () => {
    const t = await fresh();
    const vera = new HostileMember(t.v);
    const forged = vera.changeset({ collection: "notes", ops: [{ record: "v", value: "by a viewer" }] });
    const honest = t.bob.changeset({ collection: "notes", ops: [{ record: "e", value: "by an editor" }] });
    const r = importInto(t.a, [vera.bundle({ changesets: [forged] }), t.bob.bundle({ changesets: [honest] })]);
    expect([r.applied, r.rejected, r.quarantined]).toEqual([1, 1, 0]);
    expect(verdict(t.a, forged)).toEqual({ status: "rejected", reason: expect.stringMatching(/viewer may not write/) });
    expect(verdict(t.a, forged)?.reason).not.toMatch(/lost this right/);
    expect(title(t.a, "v")).toBeUndefined();
    expect(title(t.a, "e")).toBe("by an editor");
    // Vera's next changeset follows a rejected one: it is judged on its own (and rejected for the same reason).
    const next = vera.changeset({ collection: "notes", ops: [{ record: "v2", value: "again" }] });
    const r2 = importInto(t.a, [vera.bundle({ changesets: [next] })]);
    expect([r2.rejected, r2.waiting]).toEqual([1, 0]);
    t.close();
  });

  it("a device the team does not know: rejected as such, and a second version of its changeset is no equivocation proof", async () => {
    const t = await fresh();
    const stranger = ed25519KeyPair();
    const make = (value: string): Uint8Array =>
      sealChangeset(stranger, { team: unhex(t.a.teamId!), seq: 1, prev: new Uint8Array(32), heads: t.a.state().heads.map(unhex), time: t.clock.ms, groups: [{ collection: "notes", key: t.b.currentKey("notes")!, ops: [{ kind: "set", record: "s", field: "title", value, wall: t.clock.ms, counter: 0 }] }] }).bytes;
    const one = make("one");
    const r1 = importInto(t.a, [t.bob.bundle({ changesets: [one] })]);
    expect(r1.rejected).toBe(1);
    expect(verdict(t.a, one)?.reason).toBe("signed by a key that is not a device of this team");
    const r2 = importInto(t.a, [t.bob.bundle({ changesets: [make("two")] })]);
    expect(r2.quarantined).toBe(1);
    expect(r2.issues.some((i) => i.code === "IMPORT_EQUIVOCATION")).toBe(false);
    expect(t.a.forkSeq(Buffer.from(stranger.publicKey).toString("hex"))).toBeUndefined();
    t.close();
  });

  it("an equivocation refuses the device's chain from that seq, also what was applied or waiting above it", async () => {
    const t = await fresh();
    const one = t.bob.changeset({ collection: "notes", ops: [{ record: "q", value: "one" }] });
    const two = t.bob.changeset({ collection: "notes", ops: [{ record: "q", value: "two" }] });
    const four = t.bob.changeset({ collection: "notes", ops: [{ record: "q", value: "four" }], seq: 4, prev: randomBytes(32) });
    const otherTwo = t.bob.changeset({ collection: "notes", ops: [{ record: "q", value: "other two" }], seq: 2, prev: decodeChangeset(one, { verify: false }).id });
    importInto(t.a, [t.bob.bundle({ changesets: [one, two, four] })]);
    expect(verdict(t.a, two)?.status).toBe("applied");
    expect(verdict(t.a, four)?.status).toBe("waiting");
    const r = importInto(t.a, [t.bob.bundle({ changesets: [otherTwo] })]);
    expect(r.quarantined).toBe(1);
    expect(r.issues.filter((i) => i.code === "IMPORT_EQUIVOCATION").map((i) => i.reason)).toEqual([`device ${t.b.deviceId.slice(0, 12)} signed two different changesets 2: its changes from there on are refused on every vault; revoke it`]);
    expect(t.a.forkSeq(t.b.deviceId)).toBe(2);
    expect(verdict(t.a, one)?.status).toBe("applied");
    expect(verdict(t.a, two)).toEqual({ status: "rejected", reason: expect.stringMatching(/equivocation/) });
    expect(verdict(t.a, four)).toEqual({ status: "rejected", reason: expect.stringMatching(/equivocation/) });
    expect(title(t.a, "q")).toBe("one");
    // Its chain counts as processed up to the last changeset held (4), so this vault acknowledges it and peers stop sending it.
    expect(t.a.storage.heads.seqOf(unhex(t.b.deviceId))).toBe(4);
    // A later, higher proof changes nothing: the lowest seq stands.
    const otherFour = t.bob.changeset({ collection: "notes", ops: [{ record: "q", value: "other four" }], seq: 4, prev: randomBytes(32) });
    const r2 = importInto(t.a, [t.bob.bundle({ changesets: [otherFour] })]);
    expect(r2.issues.some((i) => i.code === "IMPORT_EQUIVOCATION")).toBe(false);
    expect(t.a.forkSeq(t.b.deviceId)).toBe(2);
    // Nothing of Bob's waits any more: his chain counts as processed from the fork on.
    expect(vaultStatus(t.a).changesets.waiting).toBe(0);
    expect(vaultStatus(t.a).quarantine.map((q) => [q.kind, q.reason, q.author])).toContainEqual(["changeset", "a second, different changeset 2 from the same device (equivocation)", t.b.deviceId]);
    // A third version under the same seq is quarantined too, and reported once only.
    const thirdTwo = t.bob.changeset({ collection: "notes", ops: [{ record: "q", value: "third two" }], seq: 2, prev: decodeChangeset(one, { verify: false }).id });
    const r3 = importInto(t.a, [t.bob.bundle({ changesets: [thirdTwo] })]);
    expect(r3.quarantined).toBe(1);
    expect(r3.issues.some((i) => i.code === "IMPORT_EQUIVOCATION")).toBe(false);
    t.close();
  });

  it("a vault that learns of an equivocation first still applies what the device signed before the fork", async () => {
    const t = await fresh();
    const one = t.bob.changeset({ collection: "notes", ops: [{ record: "b", value: "before the fork" }] });
    const two = t.bob.changeset({ collection: "notes", ops: [{ record: "b", value: "two" }] });
    const otherTwo = t.bob.changeset({ collection: "notes", ops: [{ record: "b", value: "other two" }], seq: 2, prev: decodeChangeset(one, { verify: false }).id });
    importInto(t.a, [t.bob.bundle({ changesets: [two, otherTwo] })]);
    expect(t.a.forkSeq(t.b.deviceId)).toBe(2);
    const r = importInto(t.a, [t.bob.bundle({ changesets: [one] })]);
    expect(r.applied).toBe(1);
    expect(verdict(t.a, one)).toEqual({ status: "applied", reason: null });
    expect(title(t.a, "b")).toBe("before the fork");
    t.close();
  });

  it("a fork far above a device's head leaves the chain below it to arrive and apply; a lower fork found later replaces a higher one", async () => {
    const t = await fresh();
    const chain = [1, 2, 3].map((i) => t.bob.changeset({ collection: "notes", ops: [{ record: "l", value: `v${i}` }] }));
    const three = chain[2]!;
    const otherThree = t.bob.changeset({ collection: "notes", ops: [{ record: "l", value: "other" }], seq: 3, prev: randomBytes(32) });
    // No head at all for Bob yet: the fork at 3 is recorded, and 1 and 2 still apply when they come.
    importInto(t.a, [t.bob.bundle({ changesets: [three, otherThree] })]);
    expect(t.a.forkSeq(t.b.deviceId)).toBe(3);
    const r = importInto(t.a, [t.bob.bundle({ changesets: [chain[0]!, chain[1]!] })]);
    expect([r.applied, r.waiting]).toEqual([2, 0]);
    expect(title(t.a, "l")).toBe("v2");
    // Vera's vault: Bob's 1 applied (a stored head of 1), then a fork at 3; 2 still applies.
    importInto(t.v, [t.bob.bundle({ changesets: [chain[0]!] })]);
    importInto(t.v, [t.bob.bundle({ changesets: [three, otherThree] })]);
    expect(importInto(t.v, [t.bob.bundle({ changesets: [chain[1]!] })]).applied).toBe(1);
    // A fork at 2 found after the one at 3: the lower seq stands, and 2 is refused from then on.
    const otherTwo = t.bob.changeset({ collection: "notes", ops: [{ record: "l", value: "other two" }], seq: 2, prev: decodeChangeset(chain[0]!, { verify: false }).id });
    importInto(t.a, [t.bob.bundle({ changesets: [otherTwo] })]);
    expect(t.a.forkSeq(t.b.deviceId)).toBe(2);
    expect(verdict(t.a, chain[1]!)?.status).toBe("rejected");
    expect(title(t.a, "l")).toBe("v1");
    t.close();
  });

  it("an equivocation right after the head (the stored version waiting for the clock) moves the head: what follows is judged, not left waiting", async () => {
    const t = await fresh();
    const day = 24 * 3600_000;
    const one = t.bob.changeset({ collection: "notes", ops: [{ record: "y", value: "one" }] });
    const ahead = t.bob.changeset({ collection: "notes", ops: [{ record: "y", value: "ahead" }], time: t.clock.ms + 2 * day });
    importInto(t.a, [t.bob.bundle({ changesets: [one, ahead] })]);
    expect(verdict(t.a, ahead)).toEqual({ status: "waiting", reason: FUTURE_REASON });
    const otherTwo = t.bob.changeset({ collection: "notes", ops: [{ record: "y", value: "other" }], seq: 2, prev: decodeChangeset(one, { verify: false }).id });
    importInto(t.a, [t.bob.bundle({ changesets: [otherTwo] })]);
    expect(t.a.forkSeq(t.b.deviceId)).toBe(2);
    expect(t.a.storage.heads.seqOf(unhex(t.b.deviceId))).toBe(2);
    const three = t.bob.changeset({ collection: "notes", ops: [{ record: "y", value: "three" }] });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [three] })]);
    expect([r.rejected, r.waiting]).toEqual([1, 0]);
    expect(verdict(t.a, three)?.reason).toMatch(/equivocation/);
    t.close();
  });

  it("dated more than 24 h ahead: waits with that reason (with what follows it), and applies once the clock gets there", async () => {
    const t = await fresh();
    const day = 24 * 3600_000;
    const edge = t.bob.changeset({ collection: "notes", ops: [{ record: "edge", value: "exactly 24 h ahead", wall: t.clock.ms + day }], time: t.clock.ms + day });
    const r0 = importInto(t.a, [t.bob.bundle({ changesets: [edge] })]);
    expect(r0.applied).toBe(1);
    const ahead = t.bob.changeset({ collection: "notes", ops: [{ record: "f", value: "from the future", wall: t.clock.ms + day + 1 }], time: t.clock.ms + day });
    const after = t.bob.changeset({ collection: "notes", ops: [{ record: "g", value: "after it" }] });
    const r1 = importInto(t.a, [t.bob.bundle({ changesets: [ahead, after] })]);
    expect([r1.applied, r1.waiting]).toEqual([0, 2]);
    expect(verdict(t.a, ahead)).toEqual({ status: "waiting", reason: FUTURE_REASON });
    expect(verdict(t.a, after)?.status).toBe("waiting");
    t.clock.tick(2);
    const r2 = importInto(t.a, [t.bob.bundle({ changesets: [] })]);
    expect([r2.applied, r2.waiting]).toEqual([2, 0]);
    expect(title(t.a, "f")).toBe("from the future");
    expect(title(t.a, "g")).toBe("after it");
    t.close();
  });

  it("a changeset dated ahead while its ops are not also waits", async () => {
    const t = await fresh();
    const day = 24 * 3600_000;
    const cs = t.bob.changeset({ collection: "notes", ops: [{ record: "t", value: "now", wall: t.clock.ms }], time: t.clock.ms + day + 1 });
    expect(importInto(t.a, [t.bob.bundle({ changesets: [cs] })]).waiting).toBe(1);
    expect(verdict(t.a, cs)?.reason).toBe(FUTURE_REASON);
    t.close();
  });

  it("an op stamped more than 24 h after its changeset's time is rejected; exactly 24 h is not", async () => {
    const t = await fresh();
    const day = 24 * 3600_000;
    const base = t.clock.ms - day;
    const ok = t.bob.changeset({ collection: "notes", ops: [{ record: "s1", value: "at the limit", wall: base + day }], time: base });
    const late = t.bob.changeset({ collection: "notes", ops: [{ record: "s2", value: "past it", wall: base + day + 1 }, { record: "s3", value: "early", wall: base }], time: base });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [ok, late] })]);
    expect([r.applied, r.rejected]).toEqual([1, 1]);
    expect(verdict(t.a, late)).toEqual({ status: "rejected", reason: "an op is stamped more than 24 h after its changeset was made" });
    t.close();
  });

  it("what a newer release wrote (a schema version or collection unknown here) is locked, kept, not rejected", async () => {
    const t = await fresh();
    const newer = t.bob.changeset({ collection: "notes", ops: [{ record: "n", value: "v99" }], version: 99 });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [newer] })]);
    expect([r.locked, r.rejected, r.applied]).toEqual([1, 0, 0]);
    expect(verdict(t.a, newer)?.reason).toMatch(/^needs a newer release of Airlock \(notes schema version 99\)/);
    // A batch at exactly this release's schema version is no newer release's.
    const current = t.a.appOf("notes")!.schema.version;
    const next = t.bob.changeset({ collection: "notes", ops: [{ record: "n2", value: "ordinary" }], version: current });
    expect(importInto(t.a, [t.bob.bundle({ changesets: [next] })]).applied).toBe(1);
    expect(title(t.a, "n2")).toBe("ordinary");
    // An op kind this release does not know (code 9, as a newer release's encoder would write it): locked too.
    const codes = OP_CODE as unknown as Record<string, number>;
    codes["future"] = 9;
    let future: Uint8Array;
    try {
      future = t.bob.changeset({ collection: "notes", ops: [{ record: "n3", value: "written by a newer release", kind: "future" as "set" }] });
    } finally {
      delete codes["future"];
    }
    const r2 = importInto(t.a, [t.bob.bundle({ changesets: [future] })]);
    expect([r2.locked, r2.rejected, r2.applied]).toEqual([1, 0, 0]);
    expect(verdict(t.a, future)).toEqual({ status: "locked", reason: "needs a newer release of Airlock (it holds op kind 9)" });
    t.close();
  });

  it("a batch that breaks its app's schema is rejected on every vault with the collection and the reason", async () => {
    const t = await fresh();
    const bad = t.bob.changeset({ collection: "notes", ops: [{ record: "z", field: "colour", value: "red" }] });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [bad] })]);
    expect([r.rejected, r.locked]).toEqual([1, 0]);
    expect(verdict(t.a, bad)).toEqual({ status: "rejected", reason: 'notes: op 0: notes has no field "colour"' });
    // An ordinary batch may add at most 1,000 comments to a note (a compaction snapshot may restate more).
    const many = t.bob.changeset({ collection: "notes", ops: Array.from({ length: 1001 }, (_, i) => ({ kind: "append" as const, record: "z", field: "comments", value: `c${i}` })) });
    expect(importInto(t.a, [t.bob.bundle({ changesets: [many] })]).rejected).toBe(1);
    expect(verdict(t.a, many)).toEqual({ status: "rejected", reason: 'notes: op 1000: adds more than 1000 items to "comments" at once' });
    // A snapshot no compaction asked for is refused as such (it would restate history on the author's word alone).
    const forged = t.bob.changeset({ collection: "notes", ops: [{ record: "z", value: "restated" }], snapshot: randomBytes(32), version: 1 });
    expect(importInto(t.a, [t.bob.bundle({ changesets: [forged] })]).rejected).toBe(1);
    expect(verdict(t.a, forged)).toEqual({ status: "rejected", reason: "a snapshot that no compaction of this collection by its author asked for" });
    // The app's own rules see the team state and the author: a ticket Bob files (as a member) applies.
    t.a.createCollection("tix", "Tickets", "viewer", "editor", "tickets");
    importInto(t.b, exportBundles(t.a));
    const filed = addTicket(t.b, "tix", { title: "filed by bob" }, t.clock.ms);
    const r2 = importInto(t.a, exportBundles(t.b));
    expect([r2.applied, r2.rejected]).toEqual([1, 0]);
    expect(t.a.record("tix", filed.id)?.fields["title"]).toBe("filed by bob");
    t.close();
  });

  it("a collection of an app this release does not know: its batches are locked for a newer release, not rejected", async () => {
    const t = await fresh();
    const readers = [...t.a.state().devices.values()];
    const key = randomBytes(32);
    const created = new HostileMember(t.a).entry({ type: "collection", id: "boards", name: "Boards", read: "viewer", write: "editor", app: "kanban", grants: [sealGrant(t.a.deviceKey, "boards", [key], readers)] });
    importInto(t.b, [new HostileMember(t.a).bundle({ entries: [created] })]);
    expect(t.b.state().collections.get("boards")?.app).toBe("kanban");
    const cs = new HostileMember(t.b).changeset({ collection: "boards", key, ops: [{ record: "k", value: "a card" }] });
    importInto(t.a, [new HostileMember(t.a).bundle({ entries: [created] }, [t.a.me().device])]);
    const r = importInto(t.a, [t.bob.bundle({ changesets: [cs] })]);
    expect([r.locked, r.rejected]).toEqual([1, 0]);
    expect(verdict(t.a, cs)?.reason).toBe('needs a newer release of Airlock (collection type "kanban")');
    t.close();
  });

  it("a batch under a key the vault was never given is locked for it, and applies when the key arrives", async () => {
    const t = await fresh();
    t.a.createCollection("sources", "Sources", "editor", "editor");
    importInto(t.b, exportBundles(t.a));
    const cs = new HostileMember(t.b).changeset({ collection: "sources", ops: [{ record: "k", value: "sealed" }] });
    // Vera (a viewer) is not a reader: the batch stays locked on her vault.
    importInto(t.v, exportBundles(t.a));
    const rv = importInto(t.v, [t.bob.bundle({ changesets: [cs] })]);
    expect(rv.locked).toBe(1);
    expect(verdict(t.v, cs)?.reason).toBe("no key for a collection it writes (yet)");
    // Promoted to editor, she is sealed the key and the locked changeset applies.
    t.a.setRole("vera", "editor");
    importInto(t.v, exportBundles(t.a));
    expect(verdict(t.v, cs)?.status).toBe("applied");
    expect(t.v.record("sources", "k")?.fields["title"]).toBe("sealed");
    t.close();
  });

  it("ops that do not decrypt under the key they name are rejected with that reason", async () => {
    const t = await fresh();
    const time = t.clock.ms;
    const heads = t.b.state().heads.map(unhex);
    // Sealed under a key of Bob's choosing, but naming the collection's real key id: signed, so only decryption can tell.
    const other = sealChangeset(t.b.deviceKey, { team: unhex(t.a.teamId!), seq: 1, prev: new Uint8Array(32), heads, time, groups: [{ collection: "notes", key: randomBytes(32), ops: [{ kind: "set", record: "x", field: "title", value: "x", wall: time, counter: 0 }] }] });
    const body = encodeObject({ team: other.team, device: other.device, seq: 1, prev: other.prev, heads: [...other.heads], time, batches: other.batches.map((b) => ({ collection: b.collection, key: keyIdOf(t.b.currentKey("notes")!), salt: b.salt, ct: b.ct })) });
    const bytes = encodeObject({ body, sig: ed25519Sign(t.b.deviceKey.secretKey, concatBytes(utf8("airlock/v1/changeset-sig"), body)) });
    const r = importInto(t.a, [t.bob.bundle({ changesets: [bytes] })]);
    expect([r.rejected, r.quarantined, r.applied]).toEqual([1, 0, 0]);
    expect(verdict(t.a, bytes)).toEqual({ status: "rejected", reason: "its notes ops do not decrypt (tampered, or a wrong key)" });
    // Ops that decrypt but do not decode (a snapshot naming schema version 0): rejected with the decoder's reason, the import goes on.
    const undecodable = new HostileMember(t.b).changeset({ collection: "notes", ops: [{ record: "u", value: "x" }], snapshot: randomBytes(32), version: 0, seq: 2, prev: decodeChangeset(bytes, { verify: false }).id });
    const r2 = importInto(t.a, [t.bob.bundle({ changesets: [undecodable] })]);
    expect([r2.rejected, r2.issues]).toEqual([1, []]);
    expect(verdict(t.a, undecodable)).toEqual({ status: "rejected", reason: expect.stringMatching(/a snapshot names schema version 1 or later/) });
    t.close();
  });

  it("acknowledgements (with the ids they end at) and log heads are recorded only from a device of the team", async () => {
    const t = await fresh();
    const written = t.b.write("notes", [{ kind: "set", record: "ack", field: "title", value: "x" }]);
    importInto(t.a, exportBundles(t.b));
    const rows = t.a.storage.acks.all().filter((r) => hx(r.peer) === t.b.deviceId);
    const own = rows.find((r) => hx(r.device) === t.b.deviceId);
    expect(own?.seq).toBe(1);
    expect(hx(own!.hash!)).toBe(written.changeset);
    expect(t.a.storage.acks.logHeads(t.b.deviceKey.publicKey).map(hx)).toEqual(t.b.state().heads);
    // A peer with nothing of its own to ack still says it exists; ids are kept only when they pair with the acks.
    const plain = encodePayload({ kind: "sync", team: unhex(t.a.teamId!), entries: [], changesets: [], acks: [{ device: t.a.deviceKey.publicKey, seq: 3 }], ackIds: [randomBytes(32), randomBytes(32)] });
    importInto(t.a, [sealBundle(plain, { recipients: [t.a.encryptionKey.publicKey], sender: t.v.deviceKey, mailboxTag: new Uint8Array(16) })]);
    const fromVera = t.a.storage.acks.all().filter((r) => hx(r.peer) === t.v.deviceId);
    expect(fromVera.map((r) => [hx(r.device), r.seq, r.hash]).sort()).toEqual([[t.a.deviceId, 3, null], [t.v.deviceId, 0, null]].sort());
    // The same sent by a key that is no device of the team: nothing is recorded for it.
    const stranger = ed25519KeyPair();
    const body = encodePayload({ kind: "sync", team: unhex(t.a.teamId!), entries: [], changesets: [], acks: [{ device: t.b.deviceKey.publicKey, seq: 7 }], logHeads: [randomBytes(32)] });
    importInto(t.a, [sealBundle(body, { recipients: [t.a.encryptionKey.publicKey], sender: stranger, mailboxTag: new Uint8Array(16) })]);
    expect(peerAcks(t.a).has(hx(stranger.publicKey))).toBe(false);
    expect(t.a.storage.acks.logHeads(stranger.publicKey)).toEqual([]);
    t.close();
  });

  it("the two-core import quarantines a forged signature alone and applies the rest, also a batch whose key the same bundle brings", async () => {
    const t = await fresh();
    // Vera is promoted and Bob writes to sources; one bundle brings her the entries and the changeset: the key arrives inside it.
    t.a.createCollection("sources", "Sources", "editor", "editor");
    t.a.setRole("vera", "editor");
    importInto(t.b, exportBundles(t.a));
    const cs = t.bob.changeset({ collection: "sources", ops: [{ record: "s", value: "fresh key" }] });
    const entries = t.a.state().order.map((h) => t.a.entries().get(h)!);
    const rv = await importBundlesParallel(t.v, [{ bytes: t.bob.bundle({ entries, changesets: [cs] }), source: "usb" }]);
    expect(rv.applied).toBe(1);
    expect(t.v.record("sources", "s")?.fields["title"]).toBe("fresh key");
    const good = t.bob.changeset({ collection: "notes", ops: [{ record: "p1", value: "one" }] });
    const bad = Uint8Array.from(t.bob.changeset({ collection: "notes", ops: [{ record: "p2", value: "two" }] }));
    bad[bad.length - 1]! ^= 1;
    const r = await importBundlesParallel(t.a, [{ bytes: t.bob.bundle({ changesets: [cs, good, bad] }), source: "usb" }]);
    expect([r.applied, r.quarantined, r.changesetsNew]).toEqual([2, 1, 2]);
    expect(title(t.a, "p1")).toBe("one");
    t.close();
  });

  it("bundles that are not for this vault, damaged, of another team, of a kind not for a vault, or early are reported, not imported", async () => {
    const t = await fresh();
    const notMine = sealBundle(encodePayload({ kind: "sync", team: unhex(t.a.teamId!), entries: [], changesets: [], acks: [] }), { recipients: [x25519KeyPair().publicKey], sender: t.b.deviceKey, mailboxTag: new Uint8Array(16) });
    const r1 = importInto(t.a, [notMine]);
    expect([r1.notForMe, r1.bundles, r1.issues.length]).toEqual([1, 0, 0]);
    const r2 = importInto(t.a, [randomBytes(2000)]);
    expect(r2.notForMe).toBe(0);
    expect(r2.issues).toHaveLength(1);
    expect(r2.issues[0]!.source).toBe("bundle 0");
    expect(r2.issues[0]!.code).toMatch(/^BUNDLE_/);
    const other = sealBundle(encodePayload({ kind: "sync", team: randomBytes(32), entries: [], changesets: [], acks: [] }), { recipients: [t.a.encryptionKey.publicKey], sender: t.b.deviceKey, mailboxTag: new Uint8Array(16) });
    const r3 = importInto(t.a, [other]);
    expect(r3.issues.map((i) => [i.code, i.reason])).toEqual([["IMPORT_OTHER_TEAM", "a sync bundle of another team"]]);
    expect(r3.bundles).toBe(1);
    const enrollment = sealBundle(encodePayload({ kind: "enrollment", name: "eve", user: randomBytes(32), deviceSigning: randomBytes(32), deviceEncryption: randomBytes(32), created: t.clock.ms }), { recipients: [t.a.encryptionKey.publicKey], sender: t.b.deviceKey, mailboxTag: new Uint8Array(16) });
    const r4 = importInto(t.a, [enrollment]);
    expect(r4.issues.map((i) => [i.code, i.reason])).toEqual([["IMPORT_WRONG_KIND", "a enrollment bundle is not for a vault"]]);
    // A sync bundle before the vault has a team: it asks for the welcome first.
    const early = await newVault(roots(), "early", t.clock);
    const sync = sealBundle(encodePayload({ kind: "sync", team: unhex(t.a.teamId!), entries: [], changesets: [], acks: [] }), { recipients: [early.encryptionKey.publicKey], sender: t.b.deviceKey, mailboxTag: new Uint8Array(16) });
    expect(importInto(early, [sync]).issues.map((i) => [i.code, i.reason])).toEqual([["VAULT_NO_TEAM", "a sync bundle arrived before this vault's welcome; import the welcome, then this again"]]);
    early.close();
    t.close();
  });

  it("the waiting room is bounded per device, in changesets and in bytes: beyond, a changeset is not kept (reported once per bundle) and is taken when sent again", async () => {
    // The production bounds, 4,096 changesets or 64 MiB per device (docs/sync.md); the test passes small ones to reach the edge.
    expect([MAX_WAITING_PER_DEVICE, MAX_WAITING_BYTES_PER_DEVICE]).toEqual([4096, 64 * 1024 * 1024]);
    const t = await fresh();
    const into = (v: Vault, bundles: readonly Uint8Array[], options: ImportOptions): ReturnType<typeof importBundles> => importBundles(v, bundles.map((bytes, i) => ({ bytes, source: `bundle ${i}` })), options);
    const full = (device: string): string => `device ${device.slice(0, 12)} has too many changesets waiting for earlier ones; the rest were not kept (they are sent again)`;
    const chain = [1, 2, 3, 4, 5].map((n) => t.bob.changeset({ collection: "notes", ops: [{ record: "w", value: `number ${n}` }] }));
    const [one, two, three, four, five] = chain as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    // Two may wait: the third and fourth arrivals are dropped, with one issue for the bundle.
    const r1 = into(t.a, [t.bob.bundle({ changesets: [two, three, four, five] })], { maxWaitingPerDevice: 2 });
    expect([r1.changesetsNew, r1.waiting]).toEqual([2, 2]);
    expect(r1.issues.map((i) => [i.source, i.code, i.reason])).toEqual([["bundle 0", "IMPORT_WAITING_FULL", full(t.b.deviceId)]]);
    expect([verdict(t.a, two)?.status, verdict(t.a, three)?.status, verdict(t.a, four), verdict(t.a, five)]).toEqual(["waiting", "waiting", undefined, undefined]);
    // Each bundle that overflows says so once.
    const r2 = into(t.a, [t.bob.bundle({ changesets: [four] }), t.bob.bundle({ changesets: [five] })], { maxWaitingPerDevice: 2 });
    expect([r2.changesetsNew, r2.issues.map((i) => [i.source, i.code])]).toEqual([0, [["bundle 0", "IMPORT_WAITING_FULL"], ["bundle 1", "IMPORT_WAITING_FULL"]]]);
    // The predecessor arrives: the chain applies, and what was dropped is taken when it comes again.
    expect(into(t.a, [t.bob.bundle({ changesets: [one] })], { maxWaitingPerDevice: 2 }).applied).toBe(3);
    const r3 = into(t.a, [t.bob.bundle({ changesets: [five, four] })], { maxWaitingPerDevice: 2 });
    expect([r3.changesetsNew, r3.applied, r3.waiting, r3.issues]).toEqual([2, 2, 0, []]);
    expect(title(t.a, "w")).toBe("number 5");
    // In bytes: exactly the bound fits, one byte less does not; the count bound stays the default.
    const vera = new HostileMember(t.v);
    const v = [1, 2, 3, 4].map((n) => vera.changeset({ collection: "notes", ops: [{ record: "v", value: `vera ${n}` }] }));
    const size = (bytes: Uint8Array): number => decodeChangeset(bytes, { verify: false }).bytes.length;
    const exact = size(v[1]!) + size(v[2]!);
    const r4 = into(t.b, [vera.bundle({ changesets: [v[1]!, v[2]!, v[3]!] })], { maxWaitingBytesPerDevice: exact });
    expect([r4.changesetsNew, r4.waiting, r4.issues.map((i) => i.reason)]).toEqual([2, 2, [full(t.v.deviceId)]]);
    const r5 = into(t.a, [vera.bundle({ changesets: [v[1]!, v[2]!] })], { maxWaitingBytesPerDevice: exact - 1 });
    expect([r5.changesetsNew, r5.waiting]).toEqual([1, 1]);
    // An issue of another kind from the same bundle does not stand for this one.
    importInto(t.a, [vera.bundle({ changesets: [v[0]!] })]);
    const otherOne = vera.changeset({ collection: "notes", ops: [{ record: "v", value: "vera's other 1" }], seq: 1, prev: new Uint8Array(32) });
    const far = t.bob.changeset({ collection: "notes", ops: [{ record: "w", value: "far ahead" }], seq: 9 });
    const r6 = into(t.a, [vera.bundle({ changesets: [otherOne, far] })], { maxWaitingPerDevice: 0 });
    expect(r6.issues.map((i) => i.code)).toEqual(["IMPORT_EQUIVOCATION", "IMPORT_WAITING_FULL"]);
    t.close();
  });

  it("the two-core import does not use a batch opened before the transaction when an entry in the same bundle withdrew its key", async () => {
    const t = await fresh();
    t.a.setRole("bob", "owner");
    t.a.createCollection("board", "Board", "viewer", "viewer");
    importInto(t.b, exportBundles(t.a));
    // Bob revokes Alice's laptop; unaware, she creates a collection (its key sealed to Vera), which the revocation refuses.
    const revocation = t.b.revokeDevice(t.a.deviceId.slice(0, 12));
    t.a.createCollection("sources", "Sources", "viewer", "viewer");
    importInto(t.v, exportBundles(t.a));
    const vera = new HostileMember(t.v);
    const alone = vera.changeset({ collection: "sources", ops: [{ record: "s1", value: "under the withdrawn key" }] });
    const cs = vera.changeset({ collection: "sources", ops: [{ record: "s", value: "under the withdrawn key" }], also: [{ collection: "board", ops: [{ record: "b", value: "under a key still listed" }] }] });
    // Alice's vault holds the key when the import starts; the bundle's first entry takes it out of the fold.
    const alice = t.a.state().devices.get(t.a.deviceId)!;
    const r = await importBundlesParallel(t.a, [{ bytes: new HostileMember(t.b).bundle({ entries: [revocation], changesets: [alone, cs] }, [alice]), source: "usb" }]);
    expect(t.a.state().collections.get("sources")).toBeUndefined();
    expect([r.applied, r.locked]).toEqual([0, 2]);
    for (const x of [alone, cs]) expect(verdict(t.a, x)).toEqual({ status: "locked", reason: "no key for a collection it writes (yet)" });
    expect(t.a.records("sources")).toEqual([]);
    expect(t.a.record("board", "b")).toBeUndefined();
    t.close();
  });

  it("what a device signs at or above its fork is refused on arrival, in whatever order its chain, the fork and the rest arrive; none of it waits", async () => {
    const t = await fresh();
    const chain = [1, 2, 3, 4].map((i) => t.bob.changeset({ collection: "notes", ops: [{ record: "f", value: `v${i}` }] }));
    const [one, two, three, four] = chain as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const otherThree = t.bob.changeset({ collection: "notes", ops: [{ record: "f", value: "other" }], seq: 3, prev: randomBytes(32) });
    // Alice: the fork at 3 before any of Bob's chain, then 1 and 2 (the head reaches the fork), then 4.
    importInto(t.a, [t.bob.bundle({ changesets: [three, otherThree] })]);
    importInto(t.a, [t.bob.bundle({ changesets: [one, two] })]);
    const r = importInto(t.a, [t.bob.bundle({ changesets: [four] })]);
    expect([r.rejected, r.waiting]).toEqual([1, 0]);
    expect(verdict(t.a, four)).toEqual({ status: "rejected", reason: EQUIVOCATION_REASON });
    // Vera: the chain first, then the fork, then 4: the same verdicts.
    importInto(t.v, [t.bob.bundle({ changesets: [one, two, three, otherThree, four] })]);
    for (const x of chain) expect(verdict(t.v, x)).toEqual(verdict(t.a, x));
    expect(vaultStatus(t.a).changesets.waiting).toBe(0);
    // Nothing of notes is left pending, so Alice may compact it (a changeset waiting for ever would refuse that for ever).
    expect(t.a.compact("notes").records).toBeGreaterThan(0);
    t.close();
  });

  it("a fork at a device's first changeset while that one waits for team entries: what follows is refused, not left waiting", async () => {
    const t = await fresh();
    // Bob names an entry of his that Alice does not have yet (a device of his own).
    const unseen = t.bob.entry({ type: "add-device", user: unhex(t.b.me().user.id), device: t.bob.newDevice().keys, grants: [] });
    const one = t.bob.changeset({ collection: "notes", ops: [{ record: "u", value: "one" }], heads: [unseen.hash] });
    const two = t.bob.changeset({ collection: "notes", ops: [{ record: "u", value: "two" }], heads: [unseen.hash] });
    const otherOne = t.bob.changeset({ collection: "notes", ops: [{ record: "u", value: "other one" }], seq: 1, prev: new Uint8Array(32) });
    importInto(t.a, [t.bob.bundle({ changesets: [one] })]);
    expect(verdict(t.a, one)?.status).toBe("waiting");
    importInto(t.a, [t.bob.bundle({ changesets: [otherOne] })]);
    expect(t.a.forkSeq(t.b.deviceId)).toBe(1);
    const r = importInto(t.a, [t.bob.bundle({ entries: [unseen], changesets: [two] })]);
    expect([r.rejected, r.waiting]).toEqual([1, 0]);
    expect(verdict(t.a, two)).toEqual({ status: "rejected", reason: EQUIVOCATION_REASON });
    t.close();
  });
});
