/**
 * Adversary's tests: one per item of the review that broke the trust structure (issue 10), each
 * played by a member with a modified client that signs only with its own keys
 * (test-support/hostile.ts) and delivered through real bundles. The invariants they guard are
 * written down in docs/team-model.md ("Invariants"), which names these tests.
 */
import { describe, expect, it } from "vitest";
import { ed25519KeyPair, encodePayload, fromHex, randomBytes, sealBundle, x25519KeyPair } from "@airlock/bundle-format";
import { HostileMember } from "../../test-support/hostile.js";
import { importInto, newVault, sync, team, tempRoots, TestClock } from "../../test-support/vaults.js";
import { decodeChangeset, keyIdOf } from "../sync/changeset.js";
import { certifyDevice, decodeEntry, type EntryBody, type TeamEntry } from "../team/entry.js";
import { exportBundles } from "./sync.js";
import { stateDigest, vaultStatus } from "./report.js";
import { makeJoinRequest, parseJoinRequest } from "./request.js";
import type { Vault } from "./vault.js";

const root = tempRoots("airlock-hostile-");

async function withViewer(): Promise<{ a: Vault; b: Vault; v: Vault; clock: TestClock; close(): void }> {
  const r = root();
  const { a, b, clock } = await team(r);
  const v = await newVault(r, "v", clock);
  a.addMember(v.joinRequest("vera").bytes, "viewer");
  sync(a, b, v);
  return { a, b, v, clock, close: () => [a, b, v].forEach((x) => x.close()) };
}

const note = (vault: Vault, collection: string, id: string): unknown => vault.record(collection, id)?.fields["title"];

describe("a hostile member cannot break the trust structure (docs/team-model.md, Invariants)", () => {
  it("I1 #1: a viewer's add-device grant of an admin-only collection's key is dropped; admins never write with its key", async () => {
    const { a, b, v, clock, close } = await withViewer();
    a.createCollection("secret", "Secret", "admin", "admin");
    sync(a, b, v);
    const realKey = a.currentKeyId("secret");
    const evil = new HostileMember(v);
    const chosen = randomBytes(32);
    const admins = [...a.state().devices.values()].filter((d) => d.user === a.me().user.id);
    const second = evil.newDevice();
    const entry = evil.entry({ type: "add-device", user: fromHex(v.me().user.id), device: second.keys, grants: [evil.grant("secret", [chosen], [...admins, v.me().device])] });
    importInto(a, [evil.bundle({ entries: [entry] })]);
    // The device was added (a member may add its own), the grant alone was dropped, with why.
    expect(a.state().devices.has(Buffer.from(second.keys.sign).toString("hex"))).toBe(true);
    expect(a.state().invalidGrants.some((g) => g.entry === entry.hashHex && /may not read "secret"/.test(g.reason))).toBe(true);
    expect(a.currentKeyId("secret")).toBe(realKey);
    expect(vaultStatus(a).alerts.some((x) => x.startsWith("vera's device") && /keys of "secret"/.test(x))).toBe(true);
    clock.tick();
    a.write("secret", [{ kind: "set", record: "s1", field: "title", value: "launch codes" }]);
    const cs = exportBundles(a);
    expect(importInto(v, cs).applied).toBe(0); // vera holds no key that opens it
    expect(note(v, "secret", "s1")).toBeUndefined();
    expect(Buffer.from(keyIdOf(chosen)).toString("hex")).not.toBe(a.currentKeyId("secret"));
    close();
  });

  it("I1 #1: revoking one's own device cannot rotate a collection one cannot read", async () => {
    const { a, b, v, close } = await withViewer();
    a.createCollection("secret", "Secret", "admin", "admin");
    sync(a, b, v);
    const evil = new HostileMember(v);
    const second = evil.newDevice();
    const add = evil.entry({ type: "add-device", user: fromHex(v.me().user.id), device: second.keys, grants: [] });
    importInto(a, [evil.bundle({ entries: [add] })]);
    importInto(v, exportBundles(a));
    const admins = [...a.state().devices.values()].filter((d) => d.user === a.me().user.id);
    const revoke = evil.entry({ type: "revoke-device", device: second.keys.sign, cutoff: 0, rekeys: [evil.grant("secret", [randomBytes(32)], admins)] });
    const before = a.currentKeyId("secret");
    importInto(a, [evil.bundle({ entries: [revoke] })]);
    expect(a.state().devices.get(Buffer.from(second.keys.sign).toString("hex"))?.active).toBe(false);
    expect(a.currentKeyId("secret")).toBe(before);
    close();
  });

  it("I1: an add-member grant may only pass on keys some rotation introduced, and only to the new device", async () => {
    const { a, b, close } = await withViewer();
    a.setRole("bob", "admin");
    sync(a, b);
    const evil = new HostileMember(b); // an admin, but add-member grants cannot introduce keys
    const joiner = await newVault(root(), "j");
    const req = parseJoinRequest(joiner.joinRequest("joe").bytes);
    const everyone = [...a.state().devices.values()].filter((d) => d.active);
    const e = evil.entry({ type: "add-member", user: req.user, userName: "joe", role: "editor", device: req.device, grants: [evil.grant("notes", [randomBytes(32)], [everyone[0]!])] });
    importInto(a, [evil.bundle({ entries: [e] })]);
    expect(a.state().users.has(Buffer.from(req.user).toString("hex"))).toBe(true);
    expect(a.state().invalidGrants.find((g) => g.entry === e.hashHex)?.reason).toMatch(/no entry introduced|may not read/);
    joiner.close();
    close();
  });

  it("I2/I8 #2: a grant to the owner that does not open is quarantined alone; the owner imports everyone else's data, now and later", async () => {
    const { a, b, v, clock, close } = await withViewer();
    const evil = new HostileMember(b);
    const aliceDevice = a.me().device;
    const keyId = fromHex(b.currentKeyId("notes")!);
    const bad = evil.entry({ type: "add-device", user: fromHex(b.me().user.id), device: evil.newDevice().keys, grants: [evil.grant("notes", [randomBytes(32)], [aliceDevice], { claim: [keyId], sealed: randomBytes(300) })] });
    importInto(v, [evil.bundle({ entries: [bad] })]);
    clock.tick();
    v.state(); // vera forwards it with her own data (gossip): one bundle, both
    b.write("notes", [{ kind: "set", record: "n1", field: "title", value: "bob's note" }]);
    importInto(v, exportBundles(b));
    const report = importInto(a, exportBundles(v));
    expect(report.issues.filter((i) => !/IMPORT_EQUIVOCATION/.test(i.code))).toEqual([]);
    expect(note(a, "notes", "n1")).toBe("bob's note");
    expect(vaultStatus(a).quarantine.some((q) => q.kind === "grant" && /did not open/.test(q.reason))).toBe(true);
    clock.tick();
    b.write("notes", [{ kind: "set", record: "n2", field: "title", value: "later" }]);
    importInto(a, exportBundles(b));
    expect(note(a, "notes", "n2")).toBe("later");
    close();
  });

  it("I9 #2/#9: a device with a low-order X25519 or small-order Ed25519 key never enters the log; exports and heals keep working", async () => {
    const { a, b, v, close } = await withViewer();
    a.setRole("bob", "admin");
    sync(a, b, v);
    const evil = new HostileMember(b);
    const joe = ed25519KeyPair();
    const lowOrderEnc = new Uint8Array(32); // all zeros: every shared secret is zero
    const dev = ed25519KeyPair();
    const keys = certifyDevice(joe, dev.publicKey, lowOrderEnc);
    expect(() => evil.entry({ type: "add-member", user: joe.publicKey, userName: "joe", role: "editor", device: keys, grants: [] })).toThrow(/low-order X25519/);
    // The same, signed by hand so no encoder check is in the way: every receiver refuses the bytes.
    const smallOrderSign = fromHex("0100000000000000000000000000000000000000000000000000000000000000");
    const smallOrder = evil.entryBytes({ type: "add-member", user: joe.publicKey, userName: "joe", role: "editor", device: certifyDevice(joe, smallOrderSign, x25519KeyPair().publicKey), grants: [] });
    expect(() => decodeEntry(smallOrder)).toThrow(/Ed25519/);
    expect(importInto(a, [evil.bundle({ entries: [smallOrder] })]).entriesRejected).toBe(1);
    // A join request carrying such a key is refused when read (making one reads it back too).
    expect(() => makeJoinRequest("joe", joe, dev, lowOrderEnc, 0)).toThrow(/low-order X25519/);
    expect(exportBundles(a).length).toBeGreaterThan(0);
    close();
  });

  it("a join request whose version is a map is a typed refusal, not a TypeError (found by fuzzing)", () => {
    const bytes = fromHex("a26176a0646b696e64746169726c6f636b2d6a6f696e2d72657175657374");
    expect(() => parseJoinRequest(bytes)).toThrow(expect.objectContaining({ code: "JOIN_REQUEST_INVALID" }));
  });

  it("I4 #3: a demoted editor's later writes naming pre-demotion heads are refused; its earlier ones stand; heads never go backwards", async () => {
    const { a, b, v, clock, close } = await withViewer();
    b.write("notes", [{ kind: "set", record: "n1", field: "title", value: "before demotion" }]);
    sync(b, a, v);
    const oldHeads = b.state().heads.map(fromHex);
    a.setRole("bob", "viewer");
    sync(a, v); // bob's hostile client never imports it
    clock.tick();
    const evil = new HostileMember(b);
    const late = evil.changeset({ collection: "notes", ops: [{ record: "n1", value: "after demotion" }], heads: oldHeads });
    const ra = importInto(a, [evil.bundle({ changesets: [late] })]);
    const rv = importInto(v, [evil.bundle({ changesets: [late] })]);
    expect(ra.rejected).toBe(1);
    expect(rv.rejected).toBe(1);
    expect(note(a, "notes", "n1")).toBe("before demotion");
    expect(vaultStatus(a).quarantine.some((q) => /lost this right/.test(q.reason))).toBe(true);
    // Heads going backwards along its own chain are refused too (an editor still may write).
    const { a: a2, b: b2, close: close2 } = await withViewer();
    const evil2 = new HostileMember(b2);
    const early = a2.state().heads.map(fromHex);
    a2.createCollection("extra", "Extra", "viewer", "editor");
    importInto(b2, exportBundles(a2));
    const first = evil2.changeset({ collection: "notes", ops: [{ record: "x", value: "1" }] });
    const back = evil2.changeset({ collection: "notes", ops: [{ record: "x", value: "2" }], heads: early });
    const r2 = importInto(a2, [evil2.bundle({ changesets: [first, back] })]);
    expect(r2.applied).toBe(1);
    expect(r2.rejected).toBe(1);
    expect(vaultStatus(a2).quarantine.some((q) => /heads went backwards/.test(q.reason))).toBe(true);
    close2();
    close();
  });

  it("I4: raising a collection's write level cuts off writers who name older heads", async () => {
    const { a, b, clock, close } = await withViewer();
    const oldHeads = b.state().heads.map(fromHex);
    a.setPolicy("notes", "viewer", "admin");
    clock.tick();
    const late = new HostileMember(b).changeset({ collection: "notes", ops: [{ record: "p", value: "sneaky" }], heads: oldHeads });
    expect(importInto(a, [new HostileMember(b).bundle({ changesets: [late] })]).rejected).toBe(1);
    expect(note(a, "notes", "p")).toBeUndefined();
    close();
  });

  it("I3 #4: with k = 2 one admin can neither revoke the owner's device, remove or demote an admin, nor raise k beyond the admins", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "admin");
    sync(a, b, c);
    a.setApprovals(2);
    sync(a, b, c);
    expect(c.state().approvalsRequired).toBe(2);
    // The stock CLI path: refused (owner's device), and as a hostile entry: a proposal at most.
    expect(() => c.revokeDevice(a.deviceId.slice(0, 12))).toThrow();
    const evil = new HostileMember(c);
    const revoke = evil.entry({ type: "revoke-device", device: a.deviceKey.publicKey, cutoff: 0, rekeys: [] });
    const setK = evil.entry({ type: "set-approvals", k: 3 });
    importInto(a, [evil.bundle({ entries: [revoke, setK] })]);
    expect(a.state().devices.get(a.deviceId)?.active).toBe(true);
    expect(a.state().rejected.get(revoke.hashHex) ?? "").toMatch(/only an owner revokes an owner's device/);
    // An admin revoking an editor's device needs a second admin: it waits as a proposal.
    const revokeBob = new HostileMember(c).entry({ type: "revoke-device", device: b.deviceKey.publicKey, cutoff: 0, rekeys: [] }, { parents: a.state().heads.map(fromHex) });
    importInto(a, [evil.bundle({ entries: [revokeBob] })]);
    expect(a.state().proposals.has(revokeBob.hashHex)).toBe(true);
    expect(a.state().devices.get(b.deviceId)?.active).toBe(true);
    // k above the number of admins is refused (once approved, it would lock the team).
    a.approve(setK.hashHex.slice(0, 12));
    expect(a.state().approvalsSet).toBe(2);
    expect(a.state().rejected.get(setK.hashHex) ?? "").toMatch(/2 active admins/);
    [a, b, c].forEach((x) => x.close());
  });

  it("I5 #5: a far-future clock never wins: ops beyond 24 h wait, ops stamped past their changeset are refused", async () => {
    const { a, b, clock, close } = await withViewer();
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "owner's" }]);
    sync(a, b);
    clock.tick();
    const evil = new HostileMember(b);
    const year10889 = Date.UTC(10889, 0, 1);
    const future = evil.changeset({ collection: "notes", ops: [{ record: "n1", value: "forever", wall: year10889 }], time: year10889 });
    const r = importInto(a, [evil.bundle({ changesets: [future] })]);
    expect(r.applied).toBe(0);
    expect(r.waiting).toBe(1);
    expect(vaultStatus(a).alerts.some((x) => /dated more than 24 h ahead/.test(x))).toBe(true);
    expect(note(a, "notes", "n1")).toBe("owner's");
    clock.tick();
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "owner edits again" }]);
    expect(note(a, "notes", "n1")).toBe("owner edits again");
    // An op stamped more than 24 h after its own changeset's time: refused on every vault.
    const { a: a2, b: b2, close: close2 } = await withViewer();
    const evil2 = new HostileMember(b2);
    const stamped = evil2.changeset({ collection: "notes", ops: [{ record: "z", wall: a2.now() + 23 * 3600_000 }], time: a2.now() - 2 * 3600_000 });
    expect(importInto(a2, [evil2.bundle({ changesets: [stamped] })]).rejected).toBe(1);
    close2();
    close();
  });

  it("I6 #6: an editor that signs two versions of one changeset is caught: vaults exchange both, refuse its chain from there and agree", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "editor");
    sync(a, b, c);
    sync(c, a, b);
    sync(b, a, c);
    const evil = new HostileMember(b);
    const seq = evil.changeset({ collection: "notes", ops: [{ record: "e", value: "shared" }] });
    importInto(a, [evil.bundle({ changesets: [seq] })]);
    importInto(c, [evil.bundle({ changesets: [seq] })]);
    clock.tick();
    const toAlice = evil.changeset({ collection: "notes", ops: [{ record: "e", value: "A" }] });
    const toCarol = evil.changeset({ collection: "notes", ops: [{ record: "e", value: "B" }], seq: 2, prev: decodeChangeset(seq, { verify: false }).id });
    importInto(a, [evil.bundle({ changesets: [toAlice] })]);
    importInto(c, [evil.bundle({ changesets: [toCarol] })]);
    expect(note(a, "notes", "e")).toBe("A");
    expect(note(c, "notes", "e")).toBe("B");
    clock.tick();
    const ra = sync(c, a)[0]!;
    sync(a, c);
    expect(ra.issues.some((i) => i.code === "IMPORT_EQUIVOCATION")).toBe(true);
    expect(note(a, "notes", "e")).toBe("shared");
    expect(note(c, "notes", "e")).toBe("shared");
    expect(stateDigest(a)).toBe(stateDigest(c));
    expect(a.forkSeq(b.deviceId)).toBe(2);
    expect(vaultStatus(c).alerts.some((x) => x.startsWith("bob's device") && /equivocation/.test(x))).toBe(true);
    expect(c.forkSeq(b.deviceId)).toBe(2);
    [a, b, c].forEach((x) => x.close());
  });

  it("I7 #8: a member's welcome with a transport key of its own neither sticks nor beats the admitting admin's", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const d = await newVault(r, "d", clock);
    a.addMember(d.joinRequest("dana").bytes, "editor");
    importInto(b, exportBundles(a));
    const dana = b.state().devices.get(d.deviceId)!;
    const evil = new HostileMember(b);
    const bogus = evil.welcome(dana, randomBytes(32));
    // Alone: ignored, with a reason.
    const alone = importInto(d, [bogus]);
    expect(d.teamId).toBeUndefined();
    expect(alone.issues.some((i) => i.code === "IMPORT_BAD_WELCOME")).toBe(true);
    // With the admin's in the same import (either order): the admin's transport key is adopted.
    importInto(d, [bogus, ...exportBundles(a)]);
    expect(d.teamId).toBe(a.teamId);
    expect(Buffer.from(d.transportKey()!.exportKey()).toString("hex")).toBe(Buffer.from(a.transportKey()!.exportKey()).toString("hex"));
    [a, b, d].forEach((x) => x.close());
  });

  it("#11: a name with terminal escapes or bidi overrides in a team entry is refused by every receiver", async () => {
    const { a, b, close } = await withViewer();
    a.setRole("bob", "admin");
    sync(a, b);
    const evil = new HostileMember(b);
    const joiner = await newVault(root(), "j");
    const req = parseJoinRequest(joiner.joinRequest("joe").bytes);
    for (const name of ["joe\u001b[8m", "joe\u202eeman", "joe\u0000", "\u200b"]) {
      const e = evil.entryBytes({ type: "add-member", user: req.user, userName: name, role: "editor", device: req.device, grants: [] });
      expect(() => decodeEntry(e)).toThrow(/userName/);
      const before = a.entries().size;
      const r = importInto(a, [evil.bundle({ entries: [e] })]);
      expect(r.entriesRejected).toBe(1);
      expect(a.entries().size).toBe(before);
    }
    joiner.close();
    close();
  });

  it("I3/I4 (review F1): a removed admin's entry naming old parents, ground to sort first, is refused: no sock-puppet, no key", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const c = await newVault(r, "c", clock);
    const addCarol = a.addMember(c.joinRequest("carol").bytes, "admin").entry;
    sync(a, b, c);
    a.createCollection("x", "X", "viewer", "editor");
    sync(a, b, c);
    const evil = new HostileMember(c);
    clock.tick();
    a.removeMember("carol");
    sync(a, b);
    const keyAfterRemoval = a.currentKeyId("notes");
    const s = await newVault(r, "s", clock);
    const req = parseJoinRequest(s.joinRequest("sam").bytes);
    const e = backdated(evil, { type: "add-member", user: req.user, userName: "sam", role: "editor", device: req.device, grants: [] }, addCarol, clock.ms);
    importInto(a, [evil.bundle({ entries: [e] })]);
    expect(a.state().rejected.get(e.hashHex)).toMatch(/without knowing its author's device was revoked or its member removed/);
    expect(a.state().users.get(Buffer.from(req.user).toString("hex"))?.active).not.toBe(true);
    expect(a.currentKeyId("notes")).toBe(keyAfterRemoval);
    expect(a.state().collections.get("notes")!.holders.get(keyAfterRemoval!)!.has(s.deviceId)).toBe(false);
    [a, b, c, s].forEach((v) => v.close());
  });

  it("I3 (review F1b): with k = 2, a critical change made alone and ordered before the threshold is refused", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const d = await newVault(r, "d", clock);
    a.addMember(d.joinRequest("dora").bytes, "admin");
    sync(a, b, d);
    const c = await newVault(r, "c", clock);
    const addCarol = a.addMember(c.joinRequest("carol").bytes, "admin").entry;
    sync(a, b, c, d);
    clock.tick();
    d.write("notes", [{ kind: "set", record: "d1", field: "title", value: "dora's acknowledged note" }]);
    sync(d, a, b, c);
    a.setApprovals(2);
    sync(a, b, c, d);
    const evil = new HostileMember(c);
    const doraUser = Buffer.from(a.state().devices.get(d.deviceId)!.user, "hex");
    const e = backdated(evil, { type: "remove-member", user: doraUser, cutoffs: [], rekeys: [] }, addCarol, clock.ms);
    importInto(a, [evil.bundle({ entries: [e] })]);
    expect(a.state().rejected.get(e.hashHex)).toMatch(/concurrent with a threshold/);
    expect(a.state().users.get(doraUser.toString("hex"))?.active).toBe(true);
    expect(note(a, "notes", "d1")).toBe("dora's acknowledged note");
    [a, b, c, d].forEach((x) => x.close());
  });

  it("I8 (review F2): a viewer's 65 concurrent entries stop nobody: editors still write, admins still import and repair", async () => {
    const { a, b, v, clock, close } = await withViewer();
    const evil = new HostileMember(v);
    const parents = v.state().heads.map(fromHex);
    const many = Array.from({ length: 65 }, () => evil.entry({ type: "add-device", user: fromHex(v.me().user.id), device: evil.newDevice().keys, grants: [] }, { parents }));
    const rb = importInto(b, [evil.bundle({ entries: many })]);
    expect(rb.issues).toEqual([]);
    expect(b.state().heads.length).toBe(65);
    clock.tick();
    b.write("notes", [{ kind: "set", record: "w", field: "title", value: "still writing" }]);
    const ra = importInto(a, exportBundles(b));
    expect(ra.issues).toEqual([]);
    expect(note(a, "notes", "w")).toBe("still writing");
    expect(a.state().heads.length).toBe(1); // alice's repair grant names (and merges) them all
    close();
  });

  it("I7 (review F3): a removed admin's welcome whose log names itself the admitter loses to the real admitter's", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "admin");
    sync(a, b, c);
    const evil = new HostileMember(c);
    clock.tick();
    a.removeMember("carol");
    const d = await newVault(r, "d", clock);
    const reqBytes = d.joinRequest("dana").bytes;
    a.addMember(reqBytes, "editor");
    const req = parseJoinRequest(reqBytes);
    const forged = evil.entry({ type: "add-member", user: req.user, userName: "dana", role: "editor", device: req.device, grants: [] });
    const log = [...c.state().order.map((h) => c.entries().get(h)!.bytes), forged.bytes];
    const body = encodePayload({ kind: "welcome", team: c.state().team, log, transportKey: randomBytes(32) });
    importInto(d, [sealBundle(body, { recipients: [req.device.enc], sender: evil.device, mailboxTag: new Uint8Array(16) })]);
    expect(vaultStatus(d).alerts).toEqual([]); // what d knows so far says carol admitted it
    importInto(d, exportBundles(a));
    expect(Buffer.from(d.transportKey()!.exportKey()).toString("hex")).toBe(Buffer.from(a.transportKey()!.exportKey()).toString("hex"));
    [a, b, c, d].forEach((x) => x.close());
  });

  it("#12: a change the fold would refuse is never appended (an admin removing the owner fails, the log is unchanged)", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "admin");
    sync(a, b, c);
    const before = c.entries().size;
    expect(() => c.removeMember("alice")).toThrow(/only an owner removes an owner/);
    expect(c.entries().size).toBe(before);
    expect(c.state().users.get(a.me().user.id)?.active).toBe(true);
    [a, b, c].forEach((x) => x.close());
  });
});

/** Grinds an entry's time until its hash starts with 00, so the fold's tie-break puts it first (about 256 signatures). */
function backdated(evil: HostileMember, body: EntryBody, parent: TeamEntry, t0: number): TeamEntry {
  for (let t = 0; ; t++) {
    const e = evil.entry(body, { parents: [parent.hash], time: t0 - t });
    if (e.hashHex.startsWith("00")) return e;
  }
}
