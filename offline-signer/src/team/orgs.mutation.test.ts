/**
 * Shared spaces between organizations, rule by rule at their edges (docs/spaces.md, "Shared
 * spaces between organizations"; docs/team-model.md I14-I16): the mutation run
 * (`npm run mutate -- orgs`, docs/testing.md) found the cases orgs.test.ts does not decide.
 * Entries are real, as in orgs.test.ts: every person has an Ed25519 identity and device key,
 * every entry is signed by its author's device and decoded like one from a bundle.
 */
import { describe, expect, it } from "vitest";
import { concatBytes, ed25519KeyPair, ed25519Sign, utf8, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { encodeObject, type Plain } from "./cbor-object.js";
import { certifyDevice, decodeEntry, signEntry, type DeviceKeys, type EntryBody, type Role, type TeamEntry } from "./entry.js";
import { foldTeam, isSpaceLevel, seatedOrgs, type TeamState } from "./state.js";

const hx = (b: Uint8Array): string => Buffer.from(b).toString("hex");

interface Person {
  readonly name: string;
  readonly device: KeyPair;
  readonly identity: KeyPair;
  readonly keys: DeviceKeys;
  readonly id: string;
  readonly user: Uint8Array;
}

/** `seed`: keys from fixed seeds, so hashes (and the fold's order) are the same on every run. */
function person(name: string, seed?: number): Person {
  const fixed = (n: number): Uint8Array | undefined => (seed === undefined ? undefined : new Uint8Array(32).fill(n));
  const identity = ed25519KeyPair(fixed(seed ?? 0));
  const device = ed25519KeyPair(fixed((seed ?? 0) + 1));
  return { name, identity, device, keys: certifyDevice(identity, device.publicKey, x25519KeyPair(fixed((seed ?? 0) + 2)).publicKey), id: hx(identity.publicKey), user: identity.publicKey };
}

/** A log built by hand: each entry on the previous one unless parents are given. */
class Log {
  readonly entries = new Map<string, TeamEntry>();
  readonly genesis: TeamEntry;
  #tip: Uint8Array;
  #time = 1;

  constructor(creator: Person, orgs?: readonly string[], orgK?: number) {
    this.genesis = signEntry(creator.device, { team: undefined, parents: [], time: this.#time++, body: { type: "genesis", name: "Joint", user: creator.user, userName: creator.name, device: creator.keys, orgs, orgK } });
    this.entries.set(this.genesis.hashHex, this.genesis);
    this.#tip = this.genesis.hash;
  }

  get tip(): Uint8Array {
    return this.#tip;
  }

  add(by: Person, body: EntryBody, parents?: readonly Uint8Array[], time?: number): TeamEntry {
    const e = signEntry(by.device, { team: this.genesis.hash, parents: parents ?? [this.#tip], time: time ?? this.#time++, body });
    this.entries.set(e.hashHex, e);
    if (parents === undefined) this.#tip = e.hash;
    return e;
  }

  admit(by: Person, p: Person, role: Role, org?: number): TeamEntry {
    return this.add(by, { type: "add-member", user: p.user, userName: p.name, role, device: p.keys, grants: [], ...(org === undefined ? {} : { org }) });
  }

  approve(by: Person, proposal: TeamEntry): TeamEntry {
    return this.add(by, { type: "approve", proposal: proposal.hash });
  }

  fold(): TeamState {
    return foldTeam(this.genesis.hashHex, this.entries);
  }
}

/** A body signed as-is, fields and all: what a modified client could send. */
function signedRaw(device: KeyPair, fields: Record<string, Plain>): Uint8Array {
  const body = encodeObject({ author: device.publicKey, ...fields });
  return encodeObject({ body, sig: ed25519Sign(device.secretKey, concatBytes(utf8("airlock/v1/team-entry-sig"), body)) });
}

const plainDevice = (p: Person): Plain => ({ sign: p.keys.sign, enc: p.keys.enc, cert: p.keys.cert });

const removal = (p: Person): EntryBody => ({ type: "remove-member", user: p.user, cutoffs: [], rekeys: [] });
const setRole = (p: Person, role: Role): EntryBody => ({ type: "set-role", user: p.user, role, cutoffs: [], rekeys: [] });
const notes: EntryBody = { type: "collection", id: "notes", name: "Notes", read: "viewer", write: "editor", grants: [] };

/** Acme (0): alice (owner), adam (admin), ann (editor); Birch (1): bea, its only admin, seated by alice, and bob (editor). */
function space(): { log: Log; alice: Person; adam: Person; ann: Person; bea: Person; bob: Person } {
  const [alice, adam, ann, bea, bob] = ["alice", "adam", "ann", "bea", "bob"].map((n) => person(n)) as [Person, Person, Person, Person, Person];
  const log = new Log(alice, ["Acme", "Birch"]);
  log.add(alice, notes);
  log.admit(alice, adam, "admin", 0);
  log.admit(alice, ann, "editor", 0);
  log.admit(alice, bea, "admin", 1);
  log.admit(bea, bob, "editor", 1);
  expect(log.fold().rejected.size).toBe(0);
  return { log, alice, adam, ann, bea, bob };
}

describe("the entry codec: organization fields at their limits", () => {
  const alice = person("alice");
  const genesis = (fields: Record<string, Plain>): Uint8Array =>
    signedRaw(alice.device, { type: "genesis", time: 1, name: "Joint", user: alice.user, userName: "alice", device: plainDevice(alice), ...fields });

  it("orgK that is not a small integer is malformed and named as orgK", () => {
    expect(() => decodeEntry(genesis({ orgs: ["Acme", "Birch", "Cedar"], orgK: "two" }))).toThrow(/orgK must be an integer in 0\.\.16/);
    expect(() => decodeEntry(genesis({ orgs: ["Acme", "Birch", "Cedar"], orgK: 17 }))).toThrow(/orgK must be an integer in 0\.\.16/);
  });

  it("a shared genesis names its bad creator key or device as such", () => {
    expect(() => decodeEntry(genesis({ orgs: ["Acme", "Birch"], user: new Uint8Array(31) }))).toThrow(/user must be 32 bytes/);
    expect(() => decodeEntry(genesis({ orgs: ["Acme", "Birch"], device: 7 }))).toThrow(/device must be a map/);
  });

  it("organization fields at v 2 decode (the version limit is above 2, not at it); v 3 without them is still a newer minor version", () => {
    const at2 = decodeEntry(genesis({ orgs: ["Acme", "Birch"], v: 2 }));
    expect(at2.body).toMatchObject({ type: "genesis", orgs: ["Acme", "Birch"] });
    const team = decodeEntry(genesis({}));
    // An entry of a newer minor version without organization fields: its unknown field is ignored, as always.
    const later = decodeEntry(signedRaw(alice.device, { type: "collection", v: 3, time: 2, team: team.hash, parents: [team.hash], id: "notes", name: "Notes", read: "viewer", write: "editor", grants: [], colour: "blue" }));
    expect(later.body).toMatchObject({ type: "collection", id: "notes" });
  });
});

describe("organizations in an ordinary team: none, and the team's rules as before", () => {
  it("a team has no seats, requires one organization, and nothing in it is space-level", () => {
    const [alice, adam] = [person("alice"), person("adam")];
    const log = new Log(alice);
    log.admit(alice, adam, "admin");
    const s = log.fold();
    expect(s.seats.size).toBe(0);
    expect(s.orgsRequired).toBe(1);
    const owner = s.users.get(alice.id)!;
    for (const b of [{ type: "set-policy", collection: "notes", read: "viewer", write: "editor", cutoffs: [], rekeys: [] }, { type: "set-approvals", k: 2 }, { type: "compact", collection: "notes", frontier: [], rekeys: [] }] as EntryBody[]) {
      expect(isSpaceLevel(s, b, owner), b.type).toBe(false);
    }
  });

  it("with k = 2 a team's critical change waits for a second admin and then applies; a non-critical one applies alone", () => {
    const [alice, adam, carl] = [person("alice"), person("adam"), person("carl")];
    const log = new Log(alice);
    log.admit(alice, adam, "admin");
    log.admit(alice, carl, "editor");
    log.add(alice, { type: "set-approvals", k: 2 });
    const remove = log.add(adam, removal(carl));
    const collection = log.add(adam, notes);
    let s = log.fold();
    expect(s.approvalsRequired).toBe(2);
    expect(s.proposals.has(remove.hashHex)).toBe(true);
    expect(s.users.get(carl.id)?.active).toBe(true);
    expect(s.effective.get(collection.hashHex)).toBe(collection.hashHex);
    const approve = log.approve(alice, remove);
    s = log.fold();
    expect(s.effective.get(remove.hashHex)).toBe(approve.hashHex);
    expect(s.users.get(carl.id)?.active).toBe(false);
  });

  it("with k = 3 a team's critical change is not complete with two admins' approvals, only with the third's", () => {
    const [alice, adam, amy, carl] = [person("alice"), person("adam"), person("amy"), person("carl")];
    const log = new Log(alice);
    log.admit(alice, adam, "admin");
    log.admit(alice, amy, "admin");
    log.admit(alice, carl, "editor");
    log.add(alice, { type: "set-approvals", k: 3 });
    const remove = log.add(adam, removal(carl));
    log.approve(alice, remove);
    let s = log.fold();
    expect(s.proposals.get(remove.hashHex)?.approvers).toEqual(new Set([adam.id, alice.id]));
    expect(s.users.get(carl.id)?.active).toBe(true);
    const third = log.approve(amy, remove);
    s = log.fold();
    expect(s.effective.get(remove.hashHex)).toBe(third.hashHex);
  });

  it("a team's last owner is neither removed nor demoted, with the team's own wording", () => {
    const [alice, adam] = [person("alice"), person("adam")];
    const log = new Log(alice);
    log.admit(alice, adam, "admin");
    const leave = log.add(alice, removal(alice));
    const demote = log.add(alice, setRole(alice, "admin"));
    const s = log.fold();
    expect(s.rejected.get(leave.hashHex)).toBe("would remove the last owner");
    expect(s.rejected.get(demote.hashHex)).toBe("would demote the last owner");
  });
});

describe("the fold: organization rules at their edges", () => {
  it("seatedOrgs lists the seated organizations in index order, whatever order they were seated in", () => {
    const [alice, bea, carl] = [person("alice"), person("bea"), person("carl")];
    const log = new Log(alice, ["Acme", "Birch", "Cedar"], 2);
    log.admit(alice, carl, "admin", 2); // Cedar first, while Acme alone is seated
    const seatBirch = log.admit(alice, bea, "admin", 1);
    log.approve(carl, seatBirch);
    const s = log.fold();
    expect([...s.users.values()].map((u) => u.org)).toEqual([0, 2, 1]);
    expect(seatedOrgs(s)).toEqual([0, 1, 2]);
  });

  it("an add-member naming the organization one past the last is refused; another organization may not seat a viewer either", () => {
    const { log, adam } = space();
    const beyond = log.admit(adam, person("olga"), "editor", 2);
    const [alice, vic] = [person("alice"), person("vic")];
    const three = new Log(alice, ["Acme", "Birch", "Cedar"]);
    const asViewer = three.admit(alice, vic, "viewer", 2);
    expect(log.fold().rejected.get(beyond.hashHex)).toBe("names organization 2, but the space has 2");
    expect(three.fold().rejected.get(asViewer.hashHex)).toBe(`another organization adds only "Cedar"'s first admin (it has none yet), not a viewer`);
  });

  it("an admin adds devices to, and revokes devices of, members of its own organization", () => {
    const { log, adam, ann } = space();
    const second = certifyDevice(ann.identity, ed25519KeyPair().publicKey, x25519KeyPair().publicKey);
    const add = log.add(adam, { type: "add-device", user: ann.user, device: second, grants: [] });
    const revoke = log.add(adam, { type: "revoke-device", device: ann.device.publicKey, cutoff: 0, rekeys: [] });
    const s = log.fold();
    expect(s.effective.get(add.hashHex)).toBe(add.hashHex);
    expect(s.effective.get(revoke.hashHex)).toBe(revoke.hashHex);
    expect(s.devices.get(hx(second.sign))).toMatchObject({ user: ann.id, active: true });
    expect(s.devices.get(hx(ann.device.publicKey))?.active).toBe(false);
  });

  it("a change naming someone or something the space does not have is refused for that, not as another organization's, and the fold does not throw", () => {
    const { log, adam } = space();
    const stranger = person("stranger");
    const entries = [
      [log.add(adam, removal(stranger)), "removes someone who is not a member"],
      [log.add(adam, setRole(stranger, "viewer")), "changes the role of someone who is not a member"],
      [log.add(adam, { type: "add-device", user: stranger.user, device: stranger.keys, grants: [] }), "adds a device to someone who is not a member"],
      [log.add(adam, { type: "revoke-device", device: stranger.device.publicKey, cutoff: 0, rekeys: [] }), "revokes a device that is not active"],
      [log.add(adam, { type: "revoke-courier", key: x25519KeyPair().publicKey }), "revokes a courier that is not enrolled"],
    ] as const;
    const s = log.fold();
    for (const [e, why] of entries) expect(s.rejected.get(e.hashHex), why).toBe(why);
  });

  it("an organization with one admin: that admin removes its editors, keeps its own role, and cannot leave it without an admin", () => {
    const { log, bea, bob } = space();
    const reaffirm = log.add(bea, setRole(bea, "admin"));
    const removeBob = log.add(bea, removal(bob));
    const leave = log.add(bea, removal(bea));
    const s = log.fold();
    expect(s.effective.get(reaffirm.hashHex)).toBe(reaffirm.hashHex);
    expect(s.effective.get(removeBob.hashHex)).toBe(removeBob.hashHex);
    expect(s.users.get(bob.id)?.active).toBe(false);
    expect(s.rejected.get(leave.hashHex)).toBe(`would leave organization "Birch" without an admin`);
    expect(s.users.get(bea.id)).toMatchObject({ role: "admin", active: true });
  });

  it("owners are counted per organization: Birch's owner does not let Acme's last owner go; a second Acme owner does", () => {
    const [alice, adam, ann, bea] = [person("alice"), person("adam"), person("ann"), person("bea")];
    const log = new Log(alice, ["Acme", "Birch"]);
    log.admit(alice, adam, "admin", 0);
    log.admit(alice, ann, "editor", 0);
    log.admit(alice, bea, "owner", 1); // Birch seated with an owner
    const stays = log.add(alice, setRole(alice, "owner")); // no change: the last owner stays one
    const demoteSelf = log.add(alice, setRole(alice, "admin"));
    const leave = log.add(alice, removal(alice));
    const promoteAnn = log.add(adam, setRole(ann, "admin"));
    let s = log.fold();
    expect(s.effective.get(stays.hashHex)).toBe(stays.hashHex);
    expect(s.rejected.get(demoteSelf.hashHex)).toBe(`would demote the last owner of organization "Acme"`);
    expect(s.rejected.get(leave.hashHex)).toBe(`would remove the last owner of organization "Acme"`);
    expect(s.effective.get(promoteAnn.hashHex)).toBe(promoteAnn.hashHex); // Acme has one owner; promoting someone else is no demotion
    log.add(alice, setRole(adam, "owner"));
    log.add(alice, setRole(ann, "owner"));
    const demoteAdam = log.add(alice, setRole(adam, "admin"));
    const removeAnn = log.add(alice, removal(ann));
    s = log.fold();
    expect(s.effective.get(demoteAdam.hashHex)).toBe(demoteAdam.hashHex);
    expect(s.effective.get(removeAnn.hashHex)).toBe(removeAnn.hashHex);
    expect(s.users.get(alice.id)?.role).toBe("owner");
  });

  it("with k = 2 in a space, what is not critical still applies alone", () => {
    const { log, adam, ann, bea } = space();
    const k2 = log.add(adam, { type: "set-approvals", k: 2 });
    log.approve(bea, k2);
    const collection = log.add(adam, { type: "collection", id: "plans", name: "Plans", read: "viewer", write: "editor", grants: [] });
    const device = log.add(ann, { type: "add-device", user: ann.user, device: certifyDevice(ann.identity, ed25519KeyPair().publicKey, x25519KeyPair().publicKey), grants: [] });
    const s = log.fold();
    expect(s.approvalsSet).toBe(2);
    expect(s.effective.get(collection.hashHex)).toBe(collection.hashHex);
    expect(s.effective.get(device.hashHex)).toBe(device.hashHex);
  });

  it("a proposal whose author lost its device never applies: the approvals that complete it are refused with the reason, and the fold does not throw", () => {
    const { log, alice, adam, ann, bea } = space();
    const k2 = log.add(adam, { type: "set-approvals", k: 2 });
    log.approve(bea, k2);
    const remove = log.add(adam, removal(ann)); // inside Acme: waits for a second Acme admin
    log.add(adam, { type: "revoke-device", device: adam.device.publicKey, cutoff: 0, rekeys: [] }); // his own: applies alone
    const byAlice = log.approve(alice, remove);
    let s = log.fold();
    expect(s.rejected.has(byAlice.hashHex)).toBe(false);
    expect(s.proposals.get(remove.hashHex)?.approvers).toEqual(new Set([adam.id, alice.id]));
    // Its author gone, the proposal counts as the space's: with Birch's approval it is complete, and cannot apply.
    const byBea = log.approve(bea, remove);
    s = log.fold();
    expect(s.rejected.get(byBea.hashHex)).toBe("the approved change can no longer apply: signed by a revoked or removed device");
    expect(s.proposals.has(remove.hashHex)).toBe(false);
    expect(s.effective.has(remove.hashHex)).toBe(false);
    expect(s.users.get(ann.id)?.active).toBe(true);
  });

  it("an organization's own approval counts even on parents from before its seat: the backdating check refuses only changes made without it", () => {
    const [alice, bea] = [person("alice", 80), person("bea", 83)];
    const log = new Log(alice, ["Acme", "Birch"]);
    log.add(alice, notes);
    const seat = log.admit(alice, bea, "admin", 1);
    const policy = log.add(alice, { type: "set-policy", collection: "notes", read: "viewer", write: "admin", cutoffs: [], rekeys: [] });
    const all = new Map(log.entries);
    let after = 0;
    for (let t = 1; t <= 64; t++) {
      // Bea approves on the genesis alone: the fold may put her approval before her seat (refused: not yet a device), or after the policy.
      const approve = signEntry(bea.device, { team: log.genesis.hash, parents: [log.genesis.hash], time: 5000 + t, body: { type: "approve", proposal: policy.hash } });
      const s = foldTeam(log.genesis.hashHex, new Map([...all, [approve.hashHex, approve]]));
      if (s.order.indexOf(approve.hashHex) > s.order.indexOf(policy.hashHex)) {
        after++;
        expect(s.rejected.has(approve.hashHex)).toBe(false);
        expect(s.rejected.has(policy.hashHex)).toBe(false);
        expect(s.effective.get(policy.hashHex)).toBe(approve.hashHex);
        expect(s.orgApprovals.get(policy.hashHex)).toEqual([0, 1]);
        expect(s.collections.get("notes")?.write).toBe("admin");
      } else {
        expect(s.effective.has(policy.hashHex)).toBe(false);
      }
      expect(s.seats.get(1)).toBe(seat.hashHex);
    }
    expect(after).toBeGreaterThan(0);
  });

  it("a backdated space-level change whose author was demoted concurrently is refused for the demotion in every order, also where it took effect before the seat", () => {
    const [alice, adam, bea] = [person("alice", 90), person("adam", 93), person("bea", 96)];
    const log = new Log(alice, ["Acme", "Birch"]);
    log.add(alice, notes);
    log.admit(alice, adam, "admin", 0);
    const beforeSeat = [log.tip];
    log.admit(alice, bea, "admin", 1);
    const demote = log.add(alice, setRole(adam, "editor"));
    const all = new Map(log.entries);
    let first = 0;
    for (let t = 1; t <= 24; t++) {
      const sneaky = signEntry(adam.device, { team: log.genesis.hash, parents: beforeSeat, time: 7000 + t, body: { type: "set-policy", collection: "notes", read: "editor", write: "admin", cutoffs: [], rekeys: [] } });
      const s = foldTeam(log.genesis.hashHex, new Map([...all, [sneaky.hashHex, sneaky]]));
      expect(s.effective.get(demote.hashHex)).toBe(demote.hashHex);
      if (s.order.indexOf(sneaky.hashHex) < s.order.indexOf(s.seats.get(1)!)) {
        // It took effect alone, before the seat; refused after the fold for the demotion, not for the seat.
        first++;
        expect(s.rejected.get(sneaky.hashHex)).toBe("made without knowing its author was demoted: only admins make set-policy changes");
      } else {
        // After the seat it waited for Birch; after the demotion it is an editor's.
        expect(s.rejected.get(sneaky.hashHex)).toMatch(/^(made without knowing its author was demoted: )?only admins make set-policy changes$/);
      }
      expect(s.collections.get("notes")).toMatchObject({ read: "viewer", write: "editor" });
    }
    expect(first).toBeGreaterThan(0); // applied before Birch's seat, alone, and still refused for the demotion
    expect(first).toBeLessThan(24);
  });
});

/** Acme (0): alice (owner), adam (admin); Birch (1): bea, seated by alice, and bob (editor); Cedar (2): carl, seated by alice with Birch's approval, cal and cy (editors). */
function threeOrgs(): { log: Log; alice: Person; adam: Person; bea: Person; bob: Person; carl: Person; cal: Person; cy: Person } {
  const [alice, adam, bea, bob, carl, cal, cy] = ["alice", "adam", "bea", "bob", "carl", "cal", "cy"].map((n) => person(n)) as [Person, Person, Person, Person, Person, Person, Person];
  const log = new Log(alice, ["Acme", "Birch", "Cedar"]);
  log.add(alice, notes);
  log.admit(alice, adam, "admin", 0);
  log.admit(alice, bea, "admin", 1);
  log.approve(bea, log.admit(alice, carl, "admin", 2));
  log.admit(bea, bob, "editor", 1);
  log.admit(carl, cal, "editor", 2);
  log.admit(carl, cy, "editor", 2);
  expect(log.fold().rejected.size).toBe(0);
  return { log, alice, adam, bea, bob, carl, cal, cy };
}

const cutoff = (device: Uint8Array, seq: number): { device: Uint8Array; seq: number } => ({ device, seq });

describe("adding and removing organizations at their edges (docs/spaces.md, rule 6; I17)", () => {
  it("a new organization's name may not be the first organization's, ignoring case", () => {
    const { log, adam, bea } = space();
    const again = log.add(adam, { type: "add-org", name: "aCME" });
    log.approve(bea, again);
    const s = log.fold();
    expect(s.rejected.get(again.hashHex)).toBe(`organization "Acme" already exists`);
    expect(s.orgs).toEqual(["Acme", "Birch"]);
  });

  it("remove-org cuts each device of the organization's members at the cutoff it names for that device, 0 for one it does not name; an earlier leaver keeps the cutoff it had", () => {
    const { log, adam, bea, bob, carl, cal, cy } = threeOrgs();
    // Carl has a second device; cy left Cedar earlier, cut at 3 (her changesets up to 3 stand).
    const carl2 = ed25519KeyPair();
    log.add(carl, { type: "add-device", user: carl.user, device: certifyDevice(carl.identity, carl2.publicKey, x25519KeyPair().publicKey), grants: [] });
    const cyLeaves = log.add(carl, { type: "remove-member", user: cy.user, cutoffs: [cutoff(cy.device.publicKey, 3)], rekeys: [] });
    // Carl's first device is cut at 5 and cal's at 2 (what Acme had seen of them); carl's second and cy's are not named.
    const cutoffs = [cutoff(carl.device.publicKey, 5), cutoff(cal.device.publicKey, 2)].sort((a, b) => Buffer.compare(a.device, b.device));
    const expel = log.add(adam, { type: "remove-org", org: 2, cutoffs, rekeys: [] });
    const approved = log.approve(bea, expel);
    const s = log.fold();
    expect(s.effective.get(expel.hashHex)).toBe(approved.hashHex);
    const device = (key: Uint8Array): unknown => s.devices.get(hx(key));
    // A changeset of a cut device is accepted up to its cutoff and rejected after it (docs/team-model.md, cutoffs).
    expect(device(carl.device.publicKey)).toMatchObject({ active: false, cutoff: 5, losses: [{ entry: expel.hashHex, seq: 5 }] });
    expect(device(cal.device.publicKey)).toMatchObject({ active: false, cutoff: 2, losses: [{ entry: expel.hashHex, seq: 2 }] });
    expect(device(carl2.publicKey)).toMatchObject({ active: false, cutoff: 0, losses: [{ entry: expel.hashHex, seq: 0 }] });
    // Not a member of Cedar any more when it was removed: no new loss, and her cutoff is not lowered to 0.
    expect(device(cy.device.publicKey)).toMatchObject({ active: false, cutoff: 3, losses: [{ entry: cyLeaves.hashHex, seq: 3 }] });
    // The other organizations' devices lose nothing.
    for (const p of [adam, bea, bob]) expect(device(p.device.publicKey), p.name).toMatchObject({ active: true, cutoff: undefined, losses: [] });
  });

  it("a removal goes first among concurrent entries, like the other removals: made without knowing of Cedar's seat it is judged before the seat, even when its hash sorts after", () => {
    const [alice, adam, bea, carl] = [person("alice", 100), person("adam", 103), person("bea", 106), person("carl", 109)];
    const log = new Log(alice, ["Acme", "Birch", "Cedar"]);
    log.admit(alice, adam, "admin", 0);
    log.admit(alice, bea, "admin", 1);
    const seatCedar = log.admit(alice, carl, "admin", 2); // waits for Birch
    const base = [log.tip];
    const expel = log.add(adam, { type: "remove-org", org: 1, cutoffs: [], rekeys: [] }, base);
    // Birch seats Cedar concurrently, with a hash that sorts before the removal's.
    let seated: TeamEntry;
    for (let time = 1000; ; time++) {
      seated = log.add(bea, { type: "approve", proposal: seatCedar.hash }, base, time);
      if (seated.hashHex < expel.hashHex) break;
      log.entries.delete(seated.hashHex);
    }
    const carlApproves = log.add(carl, { type: "approve", proposal: expel.hash }, [expel.hash, seated.hash]);
    const s = log.fold();
    expect(s.order.indexOf(expel.hashHex)).toBeLessThan(s.order.indexOf(seated.hashHex));
    expect(s.effective.get(seatCedar.hashHex)).toBe(seated.hashHex);
    expect(s.rejected.get(expel.hashHex)).toBe(`removing organization "Birch" needs the approval of two other seated organizations and the space has 1 besides it: one organization never expels another`);
    expect(s.rejected.get(carlApproves.hashHex)).toBe("approves a change that is not pending");
    expect(s.users.get(bea.id)?.active).toBe(true);
    expect(s.removedOrgs.size).toBe(0);
    // Proposed again knowing the seat, Acme and Cedar remove Birch.
    const again = log.add(adam, { type: "remove-org", org: 1, cutoffs: [], rekeys: [] }, [carlApproves.hash]);
    log.add(carl, { type: "approve", proposal: again.hash }, [again.hash]);
    expect(log.fold().removedOrgs.get(1)).toBe(again.hashHex);
  });

  it("a removal's admin threshold counts the active admins of the other organizations only: not the removed organization's, not a removed admin, not an editor", () => {
    // Acme's two admins and Birch's one: with k = 3, all three of them approve (two organizations are not enough).
    {
      const { log, alice, adam, bea, carl } = threeOrgs();
      const k3 = log.add(alice, { type: "set-approvals", k: 3 });
      log.approve(bea, k3);
      log.approve(carl, k3);
      expect(log.fold().approvalsSet).toBe(3);
      const expel = log.add(adam, { type: "remove-org", org: 2, cutoffs: [], rekeys: [] });
      log.approve(bea, expel);
      let s = log.fold();
      expect(s.proposals.has(expel.hashHex)).toBe(true);
      expect(s.removedOrgs.size).toBe(0);
      const third = log.approve(alice, expel);
      s = log.fold();
      expect(s.effective.get(expel.hashHex)).toBe(third.hashHex);
      expect(s.removedOrgs.get(2)).toBe(expel.hashHex);
    }
    // Acme's admin removed, Cedar with two admins, editors in every organization: with k = 3 the
    // others have two active admins (alice and bea), and those two remove Cedar.
    {
      const { log, alice, adam, bea, carl, cal } = threeOrgs();
      log.add(alice, removal(adam));
      log.add(carl, setRole(cal, "admin"));
      const k3 = log.add(alice, { type: "set-approvals", k: 3 });
      log.approve(bea, k3);
      log.approve(carl, k3);
      let s = log.fold();
      expect(s.rejected.size).toBe(0);
      expect(s.approvalsSet).toBe(3);
      const expel = log.add(alice, { type: "remove-org", org: 2, cutoffs: [], rekeys: [] });
      const second = log.approve(bea, expel);
      s = log.fold();
      expect(s.effective.get(expel.hashHex)).toBe(second.hashHex);
      expect(s.removedOrgs.get(2)).toBe(expel.hashHex);
      expect([carl, cal].map((p) => s.users.get(p.id)?.active)).toEqual([false, false]);
    }
  });

  it("an approval given by an admin demoted since no longer counts: Acme's demoted proposer does not stand for Acme beside Birch's approval", () => {
    const { log, alice, adam, bea } = space();
    const policy = log.add(adam, { type: "set-policy", collection: "notes", read: "viewer", write: "admin", cutoffs: [], rekeys: [] });
    log.add(alice, setRole(adam, "editor"));
    const byBirch = log.approve(bea, policy);
    const s = log.fold();
    expect(s.rejected.has(byBirch.hashHex)).toBe(false);
    // Only Birch approved among the admins: the change waits for Acme, it is not judged (and refused for adam's new role).
    expect(s.proposals.get(policy.hashHex)?.approvers).toEqual(new Set([adam.id, bea.id]));
    expect(s.rejected.has(policy.hashHex)).toBe(false);
    expect(s.collections.get("notes")).toMatchObject({ read: "viewer", write: "editor" });
  });

  it("a removal naming the organization one past the last is refused as such, not left waiting", () => {
    const { log, adam, bea, carl } = threeOrgs();
    const past = log.add(adam, { type: "remove-org", org: 3, cutoffs: [], rekeys: [] });
    log.approve(bea, past);
    log.approve(carl, past);
    const s = log.fold();
    expect(s.rejected.get(past.hashHex)).toBe("removes organization 3, but the space has 3");
    expect(s.proposals.size).toBe(0);
    expect(s.removedOrgs.size).toBe(0);
  });

  it("a removal that took effect beside the concurrent seat of the organization it removes stands: that organization's approval is never needed", () => {
    const [alice, bea, cy] = ["alice", "bea", "cy"].map((n) => person(n)) as [Person, Person, Person];
    const log = new Log(alice, ["Acme", "Birch", "Cedar"]);
    log.admit(alice, bea, "admin", 1);
    const base = [log.tip];
    // Acme proposes removing Cedar, not yet seated; concurrently it seats Cedar's first admin, and Birch approves both.
    const expel = log.add(alice, { type: "remove-org", org: 2, cutoffs: [], rekeys: [] }, base);
    const seat = log.add(alice, { type: "add-member", user: cy.user, userName: cy.name, role: "admin", device: cy.keys, grants: [], org: 2 }, base);
    const seated = log.add(bea, { type: "approve", proposal: seat.hash }, [seat.hash]);
    // The removal's approval sorts after both, so the seat takes effect first.
    let removed: TeamEntry;
    for (let time = 1000; ; time++) {
      removed = log.add(bea, { type: "approve", proposal: expel.hash }, [expel.hash], time);
      if (removed.hashHex > seat.hashHex && removed.hashHex > seated.hashHex) break;
      log.entries.delete(removed.hashHex);
    }
    const s = log.fold();
    expect(s.effective.get(seat.hashHex)).toBe(seated.hashHex);
    expect(s.seats.get(2)).toBe(seated.hashHex);
    expect(s.rejected.has(removed.hashHex)).toBe(false);
    expect(s.effective.get(expel.hashHex)).toBe(removed.hashHex);
    expect(s.removedOrgs.get(2)).toBe(expel.hashHex);
    expect(s.users.get(cy.id)?.active).toBe(false);
  });
});
