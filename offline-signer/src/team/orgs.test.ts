/**
 * Shared spaces between organizations in the entry codec and the fold (docs/spaces.md, "Shared
 * spaces between organizations"; docs/team-model.md, I14-I16). Entries are real: every person
 * has an Ed25519 identity and device key, every entry is signed by its author's device and
 * decoded like one from a bundle. Two organizations, three people each: Acme (alice the
 * creator and owner, adam an admin, ann an editor) and Birch (bea its first admin, seated by
 * alice's invitation, ben an admin and bob an editor, both admitted by bea).
 */
import { describe, expect, it } from "vitest";
import { Log, hx, person, signedRaw, type Person } from "../../test-support/team-log.js";
import { ed25519KeyPair, sha256, x25519KeyPair } from "@airlock/bundle-format";
import { AirlockError } from "@airlock/shared";
import type { Plain } from "./cbor-object.js";
import { MAX_ORGS, certifyDevice, decodeEntry, encodeSignedEntry, type Role, type TeamEntry } from "./entry.js";
import { foldTeam, type TeamState } from "./state.js";

interface Space {
  readonly log: Log;
  readonly alice: Person;
  readonly adam: Person;
  readonly ann: Person;
  readonly bea: Person;
  readonly ben: Person;
  readonly bob: Person;
}

/**
 * Acme (index 0) and Birch (index 1), three people each, and the collection `notes`. `fixed`:
 * keys from fixed seeds, so every hash (and the fold's order) is the same on every run.
 */
function space(fixed = false): Space {
  const [alice, adam, ann, bea, ben, bob] = ["alice", "adam", "ann", "bea", "ben", "bob"].map((n, i) => person(n, fixed ? 20 + 3 * i : undefined)) as [Person, Person, Person, Person, Person, Person];
  const log = new Log(alice, "Joint", ["Acme", "Birch"]);
  log.add(alice, { type: "collection", id: "notes", name: "Notes", read: "viewer", write: "editor", grants: [] });
  log.admit(alice, adam, "admin", 0);
  log.admit(alice, ann, "editor", 0);
  log.admit(alice, bea, "admin", 1); // the invitation: Birch's first admin, while Birch has none
  log.admit(bea, ben, "admin", 1);
  log.admit(bea, bob, "editor", 1);
  return { log, alice, adam, ann, bea, ben, bob };
}

const who = (s: TeamState): string => JSON.stringify([...s.users.values()].map((u) => [u.name, u.role, u.active, u.org]).sort());

/** The parts of a fold that must not depend on the order entries arrived in. */
const digest = (s: TeamState): string =>
  JSON.stringify({
    users: [...s.users.values()].map((u) => [u.id, u.role, u.active, u.org]).sort(),
    devices: [...s.devices.values()].map((d) => [d.id, d.active, d.cutoff]).sort(),
    order: s.order,
    rejected: [...s.rejected].sort(),
    effective: [...s.effective].sort(),
    proposals: [...s.proposals.keys()].sort(),
    seats: [...s.seats].sort(),
    orgApprovals: [...s.orgApprovals].sort(),
    notes: s.collections.get("notes"),
  });

function codeOf(bytes: Uint8Array): string | undefined {
  try {
    decodeEntry(bytes);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(AirlockError);
    return (e as AirlockError).code;
  }
}

describe("the entry codec: organizations", () => {
  it("a team's genesis keeps the bytes and hash it had before shared spaces (decode vector)", () => {
    const alice = person("alice", 7);
    const plainDevice = { sign: alice.keys.sign, enc: alice.keys.enc, cert: alice.keys.cert };
    // The encoding before shared spaces, field by field.
    const before = signedRaw(alice.device, { type: "genesis", time: 1_764_320_400_000, name: "Field office", user: alice.user, userName: "alice", device: plainDevice });
    const now = encodeSignedEntry(alice.device, { team: undefined, parents: [], time: 1_764_320_400_000, body: { type: "genesis", name: "Field office", user: alice.user, userName: "alice", device: alice.keys } });
    expect(hx(now)).toBe(hx(before));
    // Pinned: fixed keys and deterministic Ed25519 make these bytes the same on every machine and release.
    expect(hx(sha256(now))).toBe(PINNED_TEAM_GENESIS_SHA256);
    const e = decodeEntry(now);
    expect(e.body).not.toHaveProperty("orgs");
    expect(e.body).not.toHaveProperty("orgK");
    const s = foldTeam(e.hashHex, new Map([[e.hashHex, e]]));
    expect(s.orgs).toBeUndefined();
    expect(s.orgK).toBeUndefined();
    expect(s.orgsRequired).toBe(1);
    expect(s.users.get(alice.id)).toMatchObject({ role: "owner", active: true, org: undefined });
    // And an add-member without an organization, likewise.
    const bob = person("bob", 11);
    const addBefore = signedRaw(alice.device, { type: "add-member", time: 2, team: e.hash, parents: [e.hash], user: bob.user, userName: "bob", role: "editor", device: { sign: bob.keys.sign, enc: bob.keys.enc, cert: bob.keys.cert }, grants: [] });
    const addNow = encodeSignedEntry(alice.device, { team: e.hash, parents: [e.hash], time: 2, body: { type: "add-member", user: bob.user, userName: "bob", role: "editor", device: bob.keys, grants: [] } });
    expect(hx(addNow)).toBe(hx(addBefore));
  });

  it("a shared genesis carries orgs (2..16 distinct safe names) and orgK (2..n-1); the creator is in orgs[0]", () => {
    const alice = person("alice");
    const genesis = (fields: Record<string, Plain>): Uint8Array =>
      signedRaw(alice.device, { type: "genesis", time: 1, name: "Joint", user: alice.user, userName: "alice", device: { sign: alice.keys.sign, enc: alice.keys.enc, cert: alice.keys.cert }, ...fields });
    const ok = decodeEntry(genesis({ orgs: ["Acme", "Birch", "Cedar"], orgK: 2 }));
    expect(ok.body).toMatchObject({ type: "genesis", orgs: ["Acme", "Birch", "Cedar"], orgK: 2 });
    const s = foldTeam(ok.hashHex, new Map([[ok.hashHex, ok]]));
    expect(s.orgs).toEqual(["Acme", "Birch", "Cedar"]);
    expect(s.orgK).toBe(2);
    expect(s.users.get(alice.id)?.org).toBe(0);
    expect(s.seats.get(0)).toBe(ok.hashHex);
    const all = decodeEntry(genesis({ orgs: ["Acme", "Birch"] }));
    expect(foldTeam(all.hashHex, new Map([[all.hashHex, all]])).orgK).toBe(2); // absent: every organization
    const many = Array.from({ length: MAX_ORGS + 1 }, (_, i) => `Org ${i}`);
    for (const [fields, reason] of [
      [{ orgs: ["Acme"] }, /orgs names 1 organization; a shared space has 2\.\.16/],
      [{ orgs: [] }, /orgs names 0 organizations/],
      [{ orgs: many }, /orgs must be a list of at most 16 items/],
      [{ orgs: ["Acme", "ACME"] }, /orgs names an organization twice/],
      [{ orgs: ["Acme", "Bir\u202Ech"] }, /orgs\[1\] holds/],
      [{ orgs: ["Acme", "  "] }, /orgs\[1\] is blank/],
      [{ orgs: ["Acme", 7] }, /orgs\[1\] must be text/],
      [{ orgK: 2 }, /orgK without orgs/],
      [{ orgs: ["Acme", "Birch", "Cedar"], orgK: 1 }, /orgK must be 2\.\.2/],
      [{ orgs: ["Acme", "Birch", "Cedar"], orgK: 3 }, /orgK must be 2\.\.2/], // the default is written by leaving it out
      [{ orgs: ["Acme", "Birch"], orgK: 2 }, /orgK must be 2\.\.1/],
      [{ orgs: ["Acme", "Birch"], orgs2: 1 }, /unknown field "orgs2" in a genesis entry/],
      // Marked as a newer minor version, a release before shared spaces would ignore orgs: refused.
      [{ orgs: ["Acme", "Birch"], v: 3 }, /organization fields are never marked with a version above 2/],
    ] as const) {
      const bytes = genesis(fields as Record<string, Plain>);
      expect(codeOf(bytes), JSON.stringify(fields)).toBe("TEAM_ENTRY_MALFORMED");
      expect(() => decodeEntry(bytes)).toThrow(reason);
    }
  });

  it("org on add-member is an index (0..15); a name, a negative, 16, or org on add-device is malformed", () => {
    const { log, alice, bob } = space();
    const base = { type: "add-member", time: 9, team: log.genesis.hash, parents: [log.tip], user: bob.user, userName: "bob", role: "editor", device: { sign: bob.keys.sign, enc: bob.keys.enc, cert: bob.keys.cert }, grants: [] };
    expect(decodeEntry(signedRaw(alice.device, { ...base, org: 15 })).body).toMatchObject({ org: 15 });
    for (const [org, reason] of [
      ["Birch", /org must be an integer in 0\.\.15/],
      [-1, /org must be an integer in 0\.\.15/],
      [16, /org must be an integer in 0\.\.15/],
    ] as const) {
      expect(() => decodeEntry(signedRaw(alice.device, { ...base, org }))).toThrow(reason);
    }
    expect(() => decodeEntry(signedRaw(alice.device, { ...base, org: 1, v: 3 }))).toThrow(/organization fields are never marked with a version/);
    const device = person("bob2");
    expect(() =>
      decodeEntry(signedRaw(bob.device, { type: "add-device", time: 9, team: log.genesis.hash, parents: [log.tip], user: bob.user, device: { sign: device.keys.sign, enc: device.keys.enc, cert: device.keys.cert }, grants: [], org: 0 })),
    ).toThrow(/unknown field "org" in a add-device entry/);
  });
});

describe("the fold: each organization governs its own members", () => {
  it("the fixture: two organizations seated, three people each", () => {
    const { log, alice, bea } = space();
    const s = log.fold();
    expect(s.rejected.size).toBe(0);
    expect(who(s)).toBe(JSON.stringify([["adam", "admin", true, 0], ["alice", "owner", true, 0], ["ann", "editor", true, 0], ["bea", "admin", true, 1], ["ben", "admin", true, 1], ["bob", "editor", true, 1]].sort()));
    expect([...s.seats.keys()].sort()).toEqual([0, 1]);
    expect(s.orgsRequired).toBe(2);
    // Seating Birch was space-level, approved by Acme alone (the only organization seated then).
    const seat = s.seats.get(1)!;
    expect(s.orgApprovals.get(seat)).toEqual([0]);
    expect(log.entries.get(seat)?.author).toEqual(alice.device.publicKey);
    expect(s.devices.get(hx(bea.device.publicKey))?.user).toBe(bea.id);
  });

  it("an admin of one organization cannot remove, demote, promote, revoke or add devices for another's members: refused alone with the rule, the rest applies", () => {
    const { log, alice, adam, ann, bea, ben, bob } = space();
    const before = who(log.fold());
    const attacks: [string, TeamEntry, RegExp][] = [
      ["adam removes bob", log.add(adam, { type: "remove-member", user: bob.user, cutoffs: [], rekeys: [] }), /^admins remove members only in their own organization \("Acme"\); this member is in "Birch"$/],
      ["alice (owner) removes bea", log.add(alice, { type: "remove-member", user: bea.user, cutoffs: [], rekeys: [] }), /admins remove members only in their own organization \("Acme"\)/],
      ["adam demotes ben", log.add(adam, { type: "set-role", user: ben.user, role: "viewer", cutoffs: [], rekeys: [] }), /^admins change roles only in their own organization \("Acme"\); this member is in "Birch"$/],
      ["adam promotes bob", log.add(adam, { type: "set-role", user: bob.user, role: "admin", cutoffs: [], rekeys: [] }), /admins change roles only in their own organization/],
      ["adam revokes bob's device", log.add(adam, { type: "revoke-device", device: bob.device.publicKey, cutoff: 0, rekeys: [] }), /^admins revoke only devices of their own organization's members \("Acme"\); this device's member is in "Birch"$/],
      ["adam adds a device to bob", log.add(adam, { type: "add-device", user: bob.user, device: certifyDevice(bob.identity, ed25519KeyPair().publicKey, x25519KeyPair().publicKey), grants: [] }), /^admins add devices only to members of their own organization \("Acme"\)/],
      ["adam adds a member to Birch", log.admit(adam, person("mole"), "admin", 1), /^admins add members only to their own organization \("Acme"\); "Birch" has admins of its own$/],
      ["bea removes ann", log.add(bea, { type: "remove-member", user: ann.user, cutoffs: [], rekeys: [] }), /admins remove members only in their own organization \("Birch"\); this member is in "Acme"/],
      ["ben revokes alice's device", log.add(ben, { type: "revoke-device", device: alice.device.publicKey, cutoff: 0, rekeys: [] }), /only an owner revokes an owner's device/],
    ];
    // The honest changes between them still apply.
    const adamRemovesAnn = log.add(adam, { type: "remove-member", user: ann.user, cutoffs: [], rekeys: [] });
    const beaDemotesBob = log.add(bea, { type: "set-role", user: bob.user, role: "viewer", cutoffs: [], rekeys: [] });
    const s = log.fold();
    for (const [what, e, reason] of attacks) {
      expect(s.rejected.get(e.hashHex), what).toMatch(reason);
      expect(s.effective.has(e.hashHex), what).toBe(false);
    }
    expect(s.rejected.size).toBe(attacks.length);
    expect(s.effective.get(adamRemovesAnn.hashHex)).toBe(adamRemovesAnn.hashHex);
    expect(s.effective.get(beaDemotesBob.hashHex)).toBe(beaDemotesBob.hashHex);
    const changed = JSON.parse(before) as [string, Role, boolean, number][];
    const expected = changed.map(([n, r, a, o]) => (n === "ann" ? [n, r, false, o] : n === "bob" ? [n, "viewer", a, o] : [n, r, a, o])).sort();
    expect(who(s)).toBe(JSON.stringify(expected));
    expect(s.devices.get(hx(bob.device.publicKey))?.active).toBe(true);
  });

  it("an add-member without an organization in a shared space, or naming one the space lacks, is refused", () => {
    const { log, adam } = space();
    const none = log.admit(adam, person("nina"), "editor");
    const beyond = log.admit(adam, person("olga"), "editor", 5);
    const s = log.fold();
    expect(s.rejected.get(none.hashHex)).toBe("a shared space's add-member must name the member's organization");
    expect(s.rejected.get(beyond.hashHex)).toBe("names organization 5, but the space has 2");
    expect([...s.users.values()].some((u) => u.name === "nina" || u.name === "olga")).toBe(false);
  });

  it("an add-member naming an organization in an ordinary team is refused; without one it applies as always", () => {
    const [alice, bob, carl] = [person("alice"), person("bob"), person("carl")];
    const log = new Log(alice, "Field office");
    const forged = log.admit(alice, bob, "editor", 0);
    const plain = log.admit(alice, carl, "editor");
    const s = log.fold();
    expect(s.rejected.get(forged.hashHex)).toBe("names an organization, but this team is not a shared space (it has none)");
    expect(s.users.has(bob.id)).toBe(false);
    expect(s.users.get(carl.id)).toMatchObject({ role: "editor", active: true, org: undefined });
    expect(s.effective.get(plain.hashHex)).toBe(plain.hashHex);
  });

  it("a member's devices inherit their organization: a device bob adds is Birch's, and Acme's admins cannot revoke it", () => {
    const { log, adam, bea, bob } = space();
    const second = certifyDevice(bob.identity, ed25519KeyPair().publicKey, x25519KeyPair().publicKey);
    log.add(bob, { type: "add-device", user: bob.user, device: second, grants: [] });
    const byAdam = log.add(adam, { type: "revoke-device", device: second.sign, cutoff: 0, rekeys: [] });
    const s = log.fold();
    expect(s.rejected.get(byAdam.hashHex)).toMatch(/admins revoke only devices of their own organization's members/);
    expect(s.devices.get(hx(second.sign))?.active).toBe(true);
    const byBea = log.add(bea, { type: "revoke-device", device: second.sign, cutoff: 0, rekeys: [] });
    expect(log.fold().effective.get(byBea.hashHex)).toBe(byBea.hashHex);
  });

  it("couriers: Acme's admin cannot retire a courier Birch's member enrolled; Birch's admin can", () => {
    const { log, adam, bea, bob } = space();
    const key = x25519KeyPair().publicKey;
    log.add(bob, { type: "courier", name: "birch-relay", key });
    const byAdam = log.add(adam, { type: "revoke-courier", key });
    expect(log.fold().rejected.get(byAdam.hashHex)).toBe(`only an admin of its enroller's organization ("Birch") or the member who enrolled a courier revokes it`);
    const byBea = log.add(bea, { type: "revoke-courier", key });
    expect(log.fold().couriers.get(hx(key))?.revoked).toBe(byBea.hashHex);
  });

  it("an organization keeps an admin once it has one, and an owner once it has one: its last is neither removed nor demoted", () => {
    const { log, alice, adam, bea, ben } = space();
    const benDemotesBea = log.add(ben, { type: "set-role", user: bea.user, role: "editor", cutoffs: [], rekeys: [] });
    const benDemotesSelf = log.add(ben, { type: "set-role", user: ben.user, role: "editor", cutoffs: [], rekeys: [] });
    const adamRemovesAlice = log.add(adam, { type: "remove-member", user: alice.user, cutoffs: [], rekeys: [] });
    const aliceDemotesSelf = log.add(alice, { type: "set-role", user: alice.user, role: "admin", cutoffs: [], rekeys: [] });
    const s = log.fold();
    expect(s.effective.get(benDemotesBea.hashHex)).toBe(benDemotesBea.hashHex);
    expect(s.rejected.get(benDemotesSelf.hashHex)).toBe(`would leave organization "Birch" without an admin`);
    expect(s.rejected.get(adamRemovesAlice.hashHex)).toBe("only an owner removes an owner");
    expect(s.rejected.get(aliceDemotesSelf.hashHex)).toBe(`would demote the last owner of organization "Acme"`);
    expect(s.users.get(ben.id)?.role).toBe("admin");
    // So Birch can never be seated again by another organization (a puppet admin).
    const puppet = log.admit(alice, person("puppet"), "admin", 1);
    expect(log.fold().rejected.get(puppet.hashHex)).toBe(`admins add members only to their own organization ("Acme"); "Birch" has admins of its own`);
  });
});

describe("the fold: seating an organization (the invitation)", () => {
  it("another organization adds only an unseated organization's first admin; the second and later come from its own admins", () => {
    const [alice, bea, ben, carl] = [person("alice"), person("bea"), person("ben"), person("carl")];
    const log = new Log(alice, "Joint", ["Acme", "Birch", "Cedar"]);
    const asEditor = log.admit(alice, bea, "editor", 1);
    let s = log.fold();
    expect(s.rejected.get(asEditor.hashHex)).toBe(`another organization adds only "Birch"'s first admin (it has none yet), not an editor`);
    expect(s.orgsRequired).toBe(1); // only Acme is seated: the bootstrap
    const seatBirch = log.admit(alice, bea, "admin", 1, { parents: [log.genesis.hash] });
    s = log.fold();
    expect(s.effective.get(seatBirch.hashHex)).toBe(seatBirch.hashHex);
    expect(s.seats.get(1)).toBe(seatBirch.hashHex);
    expect(s.orgsRequired).toBe(2); // Acme and Birch; Cedar does not count until seated
    // Cedar's seat is now a space-level change: Acme alone cannot seat it (a puppet would vote for Acme).
    const seatCedar = log.admit(alice, carl, "admin", 2, { parents: s.heads.map((h) => Buffer.from(h, "hex")) });
    s = log.fold();
    expect(s.proposals.has(seatCedar.hashHex)).toBe(true);
    expect(s.users.has(carl.id)).toBe(false);
    const second = log.admit(alice, ben, "admin", 1, { parents: s.heads.map((h) => Buffer.from(h, "hex")) });
    s = log.fold();
    expect(s.rejected.get(second.hashHex)).toBe(`admins add members only to their own organization ("Acme"); "Birch" has admins of its own`);
    const approve = log.add(bea, { type: "approve", proposal: seatCedar.hash }, { parents: s.heads.map((h) => Buffer.from(h, "hex")) });
    s = log.fold();
    expect(s.effective.get(seatCedar.hashHex)).toBe(approve.hashHex);
    expect(s.users.get(carl.id)).toMatchObject({ org: 2, role: "admin", active: true });
    expect(s.orgApprovals.get(seatCedar.hashHex)).toEqual([0, 1]);
    expect(s.orgsRequired).toBe(3);
  });

  it("a space-level change made on parents from before another organization was seated never takes effect alone, in either order (backdating does not skip its approval)", () => {
    const { log, adam, bea } = space(true);
    // Adam signs a policy change on the log as it stood before Birch's seat: the fold is free
    // to apply it first, while Acme was the only organization; grinding `time` tries both orders.
    const beforeSeat = [...log.entries.values()].find((e) => e.body.type === "add-member" && hx(e.body.user) === hx(bea.user))!.parents;
    let first = 0;
    for (let t = 1; t <= 24; t++) {
      const sneaky = log.add(adam, { type: "set-policy", collection: "notes", read: "editor", write: "admin", cutoffs: [], rekeys: [] }, { parents: beforeSeat, keep: false, time: 1000 + t });
      const s = log.fold(sneaky);
      const seat = s.seats.get(1)!;
      if (s.order.indexOf(sneaky.hashHex) < s.order.indexOf(seat)) {
        // Applied first, it took effect with Acme alone; the rule refuses it after the fold.
        first++;
        expect(s.rejected.get(sneaky.hashHex)).toBe(`a space-level change made without knowing organization "Birch" had its first admin (a concurrent entry); propose it again`);
      } else {
        // Applied after the seat: a proposal waiting for Birch, like any other.
        expect(s.proposals.has(sneaky.hashHex)).toBe(true);
      }
      expect(s.effective.has(sneaky.hashHex)).toBe(false);
      expect(s.collections.get("notes")).toMatchObject({ read: "viewer", write: "editor" });
    }
    expect(first).toBeGreaterThan(0); // the order that would have let Acme act alone was really tried
    expect(first).toBeLessThan(24); // and the other one too
  });
  it("an approval backdated to before a seat does not complete a space-level change without the newly seated organization", () => {
    const [alice, adam, bea] = [person("alice", 60), person("adam", 63), person("bea", 66)];
    const log = new Log(alice, "Joint", ["Acme", "Birch"]);
    log.add(alice, { type: "collection", id: "notes", name: "Notes", read: "viewer", write: "editor", grants: [] });
    log.admit(alice, adam, "admin", 0);
    log.add(alice, { type: "set-approvals", k: 2 }); // Acme alone, before any invitation: applies
    const policy = log.add(adam, { type: "set-policy", collection: "notes", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] });
    const beforeSeat = [log.tip];
    const seat = log.admit(alice, bea, "admin", 1); // space-level with k = 2: waits for adam
    const seated = log.add(adam, { type: "approve", proposal: seat.hash });
    expect(log.fold().seats.get(1)).toBe(seated.hashHex);
    let first = 0;
    for (let t = 1; t <= 24; t++) {
      const late = log.add(alice, { type: "approve", proposal: policy.hash }, { parents: beforeSeat, keep: false, time: 2000 + t });
      const s = log.fold(late);
      expect(s.effective.has(policy.hashHex)).toBe(false);
      expect(s.collections.get("notes")?.write).toBe("editor");
      if (s.order.indexOf(late.hashHex) < s.order.indexOf(seated.hashHex)) {
        first++;
        expect(s.rejected.get(late.hashHex)).toMatch(/a space-level change made without knowing organization "Birch" had its first admin/);
      }
      expect(s.proposals.has(policy.hashHex)).toBe(true);
    }
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(24);
  });
});

describe("the fold: space-level changes need every seated organization", () => {
  it("Acme alone changing a policy, the approvals threshold or compacting stays pending, however many Acme admins approve; Birch's approval makes it effective", () => {
    const { log, alice, adam, bea } = space();
    const policy = log.add(adam, { type: "set-policy", collection: "notes", read: "editor", write: "admin", cutoffs: [], rekeys: [] });
    const threshold = log.add(adam, { type: "set-approvals", k: 2 });
    const compact = log.add(adam, { type: "compact", collection: "notes", frontier: [], rekeys: [] });
    for (const p of [policy, threshold, compact]) log.add(alice, { type: "approve", proposal: p.hash });
    let s = log.fold();
    for (const p of [policy, threshold, compact]) {
      expect(s.proposals.get(p.hashHex)?.approvers).toEqual(new Set([adam.id, alice.id]));
      expect(s.effective.has(p.hashHex)).toBe(false);
    }
    expect(s.collections.get("notes")).toMatchObject({ read: "viewer", write: "editor", compactions: [] });
    expect(s.approvalsSet).toBe(1);
    const approvals = [policy, threshold].map((p) => log.add(bea, { type: "approve", proposal: p.hash }));
    s = log.fold();
    expect(s.effective.get(policy.hashHex)).toBe(approvals[0]!.hashHex);
    expect(s.effective.get(threshold.hashHex)).toBe(approvals[1]!.hashHex);
    expect(s.collections.get("notes")).toMatchObject({ read: "editor", write: "admin" });
    expect(s.approvalsSet).toBe(2);
    expect(s.orgApprovals.get(policy.hashHex)).toEqual([0, 1]);
    expect(s.proposals.has(compact.hashHex)).toBe(true);
  });

  it("Birch's approval alone does not suffice where the per-admin threshold is higher: with k = 4, four admins across both organizations", () => {
    const { log, alice, adam, bea, ben } = space();
    const k = log.add(adam, { type: "set-approvals", k: 4 });
    log.add(bea, { type: "approve", proposal: k.hash });
    expect(log.fold().approvalsSet).toBe(4);
    const policy = log.add(bea, { type: "set-policy", collection: "notes", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] });
    log.add(adam, { type: "approve", proposal: policy.hash }); // both organizations, two admins
    log.add(ben, { type: "approve", proposal: policy.hash });
    let s = log.fold();
    expect(s.proposals.get(policy.hashHex)?.approvers.size).toBe(3);
    expect(s.collections.get("notes")?.write).toBe("editor");
    log.add(alice, { type: "approve", proposal: policy.hash });
    s = log.fold();
    expect(s.collections.get("notes")?.write).toBe("viewer");
  });

  it("the threshold can never exceed the admins who can approve it, and an organization's internal changes are approved by its own admins only", () => {
    const { log, alice, adam, ann, bea, ben, bob } = space();
    const tooHigh = log.add(adam, { type: "set-approvals", k: 5 });
    log.add(bea, { type: "approve", proposal: tooHigh.hash });
    let s = log.fold();
    expect(s.rejected.get(tooHigh.hashHex)).toBe("asks for 5 approvals but the team has 4 active admins");
    const k2 = log.add(adam, { type: "set-approvals", k: 2 });
    log.add(ben, { type: "approve", proposal: k2.hash });
    expect(log.fold().approvalsSet).toBe(2);
    // Inside Acme: adam's removal of ann waits for a second Acme admin; Birch's admins cannot supply it.
    const removeAnn = log.add(adam, { type: "remove-member", user: ann.user, cutoffs: [], rekeys: [] });
    const beaApproves = log.add(bea, { type: "approve", proposal: removeAnn.hash });
    s = log.fold();
    expect(s.rejected.get(beaApproves.hashHex)).toBe(`approves a change inside organization "Acme"; only its own admins approve it`);
    expect(s.users.get(ann.id)?.active).toBe(true);
    log.add(alice, { type: "approve", proposal: removeAnn.hash });
    s = log.fold();
    expect(s.users.get(ann.id)?.active).toBe(false);
    expect(s.orgApprovals.has(removeAnn.hashHex)).toBe(false); // internal, not space-level
    // Inside Birch, likewise: bea's demotion of bob needs ben, not Acme.
    const demoteBob = log.add(bea, { type: "set-role", user: bob.user, role: "viewer", cutoffs: [], rekeys: [] });
    const adamApproves = log.add(adam, { type: "approve", proposal: demoteBob.hash });
    expect(log.fold().rejected.get(adamApproves.hashHex)).toBe(`approves a change inside organization "Birch"; only its own admins approve it`);
    log.add(ben, { type: "approve", proposal: demoteBob.hash });
    expect(log.fold().users.get(bob.id)?.role).toBe("viewer");
  });

  it("k of n organizations: with orgK 2 of 3, any two seated organizations decide, one never does", () => {
    const [alice, bea, carl] = [person("alice"), person("bea"), person("carl")];
    const log = new Log(alice, "Joint", ["Acme", "Birch", "Cedar"], 2);
    log.add(alice, { type: "collection", id: "notes", name: "Notes", read: "viewer", write: "editor", grants: [] });
    log.admit(alice, bea, "admin", 1); // while only Acme is seated: applies (min(2, 1) = 1)
    const seatCedar = log.admit(alice, carl, "admin", 2);
    log.add(bea, { type: "approve", proposal: seatCedar.hash });
    let s = log.fold();
    expect(s.orgK).toBe(2);
    expect(s.orgsRequired).toBe(2);
    expect(s.users.get(carl.id)?.org).toBe(2);
    const byCarl = log.add(carl, { type: "set-policy", collection: "notes", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] });
    s = log.fold();
    expect(s.proposals.has(byCarl.hashHex)).toBe(true); // Cedar alone: pending
    const beaApproves = log.add(bea, { type: "approve", proposal: byCarl.hash });
    s = log.fold();
    expect(s.effective.get(byCarl.hashHex)).toBe(beaApproves.hashHex); // Birch + Cedar: Acme's approval is not needed
    expect(s.orgApprovals.get(byCarl.hashHex)).toEqual([1, 2]);
    expect(s.collections.get("notes")?.write).toBe("viewer");
  });
});

describe("the fold: concurrency between organizations", () => {
  it("both organizations' admins removing members at once (and Acme's admin reaching for Birch's) converge to one state in every delivery order", () => {
    const { log, adam, ann, bea, bob, ben } = space();
    const base = [log.tip];
    const acme = log.add(adam, { type: "remove-member", user: ann.user, cutoffs: [], rekeys: [] }, { parents: base });
    const birch = log.add(bea, { type: "remove-member", user: bob.user, cutoffs: [], rekeys: [] }, { parents: base });
    const reach = log.add(adam, { type: "remove-member", user: ben.user, cutoffs: [], rekeys: [] }, { parents: base });
    // Ben demotes bea while she removes bob: one outcome everywhere.
    const benDemotesBea = log.add(ben, { type: "set-role", user: bea.user, role: "editor", cutoffs: [], rekeys: [] }, { parents: base });
    const entries = [...log.entries.values()];
    const folds = [entries, [...entries].reverse(), [...entries].sort((x, y) => (x.hashHex < y.hashHex ? 1 : -1))].map((list) => foldTeam(log.genesis.hashHex, new Map(list.map((e) => [e.hashHex, e]))));
    for (const s of folds) expect(digest(s)).toBe(digest(folds[0]!));
    const s = folds[0]!;
    expect(s.effective.get(acme.hashHex)).toBe(acme.hashHex);
    expect(s.rejected.get(reach.hashHex)).toMatch(/admins remove members only in their own organization \("Acme"\)/);
    expect(s.users.get(ben.id)).toMatchObject({ role: "admin", active: true });
    expect(s.effective.get(benDemotesBea.hashHex)).toBe(benDemotesBea.hashHex);
    // Bea's removal, made without knowing of her concurrent demotion, is refused in either order
    // (ordered after it: an editor's; before it: refused after the fold, docs/team-model.md I3).
    expect(s.rejected.get(birch.hashHex)).toMatch(s.order.indexOf(birch.hashHex) < s.order.indexOf(benDemotesBea.hashHex) ? /made without knowing its author was demoted/ : /only admins remove members/);
    expect(s.users.get(bob.id)?.active).toBe(true);
  });

  it("two organizations' admins approving and proposing concurrently end with the same policy everywhere", () => {
    const { log, adam, bea } = space();
    const policy = log.add(adam, { type: "set-policy", collection: "notes", read: "viewer", write: "admin", cutoffs: [], rekeys: [] });
    const mid = [log.tip];
    const approve = log.add(bea, { type: "approve", proposal: policy.hash }, { parents: mid });
    const rival = log.add(bea, { type: "set-policy", collection: "notes", read: "editor", write: "editor", cutoffs: [], rekeys: [] }, { parents: mid });
    const rivalApproved = log.add(adam, { type: "approve", proposal: rival.hash }, { parents: [rival.hash] });
    const entries = [...log.entries.values()];
    const a = foldTeam(log.genesis.hashHex, new Map(entries.map((e) => [e.hashHex, e])));
    const b = foldTeam(log.genesis.hashHex, new Map([...entries].reverse().map((e) => [e.hashHex, e])));
    expect(digest(b)).toBe(digest(a));
    expect(a.effective.get(policy.hashHex)).toBe(approve.hashHex);
    expect(a.effective.get(rival.hashHex)).toBe(rivalApproved.hashHex);
    // Both applied, in the fold's one order: the later of the two is the policy in force.
    const last = a.order.indexOf(approve.hashHex) > a.order.indexOf(rivalApproved.hashHex) ? { read: "viewer", write: "admin" } : { read: "editor", write: "editor" };
    expect(a.collections.get("notes")).toMatchObject(last);
  });

  it("nobody takes the space over alone: Acme with every role it holds changes nothing of Birch's or of the space by itself", () => {
    const { log, alice, adam, bea, ben, bob } = space();
    const before = who(log.fold());
    const attempts = [
      log.add(alice, { type: "remove-member", user: bea.user, cutoffs: [], rekeys: [] }),
      log.add(alice, { type: "set-role", user: ben.user, role: "viewer", cutoffs: [], rekeys: [] }),
      log.add(alice, { type: "revoke-device", device: bob.device.publicKey, cutoff: 0, rekeys: [] }),
      log.admit(alice, person("puppet"), "owner", 1),
    ];
    const pending = [
      log.add(alice, { type: "set-approvals", k: 4 }),
      log.add(adam, { type: "set-policy", collection: "notes", read: "admin", write: "admin", cutoffs: [], rekeys: [] }),
      log.add(adam, { type: "compact", collection: "notes", frontier: [], rekeys: [] }),
    ];
    const [k4, policy, compact] = pending as [TeamEntry, TeamEntry, TeamEntry];
    log.add(adam, { type: "approve", proposal: k4.hash });
    for (const p of [policy, compact, policy]) log.add(alice, { type: "approve", proposal: p.hash }); // twice by the same admin counts once
    const s = log.fold();
    for (const e of attempts) expect(s.rejected.has(e.hashHex)).toBe(true);
    for (const p of pending) expect(s.proposals.get(p.hashHex)?.approvers).toEqual(new Set([alice.id, adam.id]));
    expect(who(s)).toBe(before);
    expect(s.collections.get("notes")).toMatchObject({ read: "viewer", write: "editor", compactions: [] });
    expect(s.approvalsSet).toBe(1);
  });
});

/**
 * SHA-256 of the team genesis signed by the fixed keys of the decode vector (seeds 7, 8, 9), as the
 * encoder before shared spaces (commit 17e8992) wrote it.
 */
const PINNED_TEAM_GENESIS_SHA256 = "daf332d162c845981d4aa8a8384f8bec50370bc26471c33e88f8fa5412203dc2";
