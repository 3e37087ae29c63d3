/**
 * Adding and removing organizations of a shared space after its genesis (docs/spaces.md, rule 6;
 * docs/team-model.md, I17). Entries are real, as in orgs.test.ts: every person has an Ed25519
 * identity and device key, every entry is signed by its author's device and decoded like one
 * from a bundle. Three organizations: Acme (alice the creator and owner, adam an admin), Birch
 * (bea its first admin, bob an editor) and Cedar (carl its first admin, cal an editor).
 */
import { describe, expect, it } from "vitest";
import { Log, hx, person, signedRaw, type Person } from "../../test-support/team-log.js";
import { AirlockError } from "@airlock/shared";
import type { Plain } from "./cbor-object.js";
import { MAX_ORGS, decodeEntry, type EntryBody, type KeyGrant } from "./entry.js";
import { foldTeam, type TeamState } from "./state.js";

/** A grant whose `sealed` is opaque to the fold (it judges grants by what they name in clear). */
function grant(collection: string, to: readonly Person[], key: number): KeyGrant {
  return { collection, to: to.map((p) => p.device.publicKey).sort((a, b) => Buffer.compare(a, b)), keys: [new Uint8Array(16).fill(key)], sealed: new Uint8Array([1, 2, 3]) };
}

interface Space {
  readonly log: Log;
  readonly alice: Person;
  readonly adam: Person;
  readonly bea: Person;
  readonly bob: Person;
  readonly carl: Person;
  readonly cal: Person;
}

/** Acme (0), Birch (1), Cedar (2), every one seated; the collection `notes` readable by all. */
function space(fixed = false, orgK?: number): Space {
  const [alice, adam, bea, bob, carl, cal] = ["alice", "adam", "bea", "bob", "carl", "cal"].map((n, i) => person(n, fixed ? 40 + 3 * i : undefined)) as [Person, Person, Person, Person, Person, Person];
  const log = new Log(alice, "Joint", ["Acme", "Birch", "Cedar"], orgK);
  log.add(alice, { type: "collection", id: "notes", name: "Notes", read: "viewer", write: "editor", grants: [] });
  log.admit(alice, adam, "admin", 0);
  log.admit(alice, bea, "admin", 1); // Acme alone: applies
  const seatCedar = log.admit(alice, carl, "admin", 2);
  log.approve(bea, seatCedar);
  log.admit(bea, bob, "editor", 1);
  log.admit(carl, cal, "editor", 2);
  return { log, alice, adam, bea, bob, carl, cal };
}

/** Acme and Birch only: two organizations. */
function twoOrgs(): { log: Log; alice: Person; adam: Person; bea: Person } {
  const [alice, adam, bea] = [person("alice"), person("adam"), person("bea")];
  const log = new Log(alice, "Joint", ["Acme", "Birch"]);
  log.admit(alice, adam, "admin", 0);
  log.admit(alice, bea, "admin", 1);
  return { log, alice, adam, bea };
}

const removal = (org: number, of: readonly Person[], rekeys: readonly KeyGrant[] = []): EntryBody => ({
  type: "remove-org",
  org,
  cutoffs: of.map((p) => ({ device: p.device.publicKey, seq: 0 })).sort((a, b) => Buffer.compare(a.device, b.device)),
  rekeys,
});

const digest = (s: TeamState): string =>
  JSON.stringify({
    users: [...s.users.values()].map((u) => [u.id, u.role, u.active, u.org]).sort(),
    devices: [...s.devices.values()].map((d) => [d.id, d.active, d.cutoff]).sort(),
    order: s.order,
    rejected: [...s.rejected].sort(),
    effective: [...s.effective].sort(),
    proposals: [...s.proposals.keys()].sort(),
    orgs: s.orgs,
    orgK: s.orgK,
    removed: [...s.removedOrgs].sort(),
    orgApprovals: [...s.orgApprovals].sort(),
    notes: s.collections.get("notes"),
  });

function malformed(bytes: Uint8Array): string {
  try {
    decodeEntry(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(AirlockError);
    expect((e as AirlockError).code).toBe("TEAM_ENTRY_MALFORMED");
    return (e as Error).message;
  }
  throw new Error("decoded");
}

describe("the entry codec: add-org and remove-org", () => {
  it("add-org { name } and remove-org { org, cutoffs, rekeys } round-trip; bad names, indexes, lists and unknown fields are malformed", () => {
    const { log, alice, carl } = space();
    const common = { time: 9, team: log.genesis.hash, parents: [log.tip] };
    expect(decodeEntry(signedRaw(alice.device, { ...common, type: "add-org", name: "Delta" })).body).toEqual({ type: "add-org", name: "Delta" });
    const cutoffs = [{ device: carl.device.publicKey, seq: 4 }];
    expect(decodeEntry(signedRaw(alice.device, { ...common, type: "remove-org", org: 15, cutoffs, rekeys: [] })).body).toEqual({ type: "remove-org", org: 15, cutoffs, rekeys: [] });
    for (const [fields, reason] of [
      [{ type: "add-org", name: "Del\u202Eta" }, /name holds/],
      [{ type: "add-org", name: "   " }, /name is blank/],
      [{ type: "add-org", name: "x".repeat(257) }, /name/],
      [{ type: "add-org" }, /name/],
      [{ type: "add-org", name: "Delta", org: 3 }, /unknown field "org" in a add-org entry/],
      [{ type: "remove-org", org: 16, cutoffs: [], rekeys: [] }, /org must be an integer in 0\.\.15/],
      [{ type: "remove-org", org: "Cedar", cutoffs: [], rekeys: [] }, /org must be an integer in 0\.\.15/],
      [{ type: "remove-org", org: 2, rekeys: [] }, /cutoffs/],
      [{ type: "remove-org", org: 2, cutoffs: [...cutoffs, ...cutoffs], rekeys: [] }, /cutoffs names a device twice/],
      [{ type: "remove-org", org: 2, cutoffs: [], rekeys: [], name: "x" }, /unknown field "name" in a remove-org entry/],
      // A newer minor version may not slip the organization past a release that knows the type.
      [{ type: "remove-org", org: 2, cutoffs: [], rekeys: [], v: 3 }, /organization fields are never marked with a version above 2/],
    ] as const) {
      expect(malformed(signedRaw(alice.device, { ...common, ...(fields as Record<string, Plain>) })), JSON.stringify(fields)).toMatch(reason);
    }
  });

  it("both are refused in an ordinary team, with the reason", () => {
    const [alice, bea] = [person("alice"), person("bea")];
    const log = new Log(alice, "Team");
    log.admit(alice, bea, "admin");
    const add = log.add(alice, { type: "add-org", name: "Delta" });
    const remove = log.add(alice, removal(0, []));
    const s = log.fold();
    expect(s.rejected.get(add.hashHex)).toBe("adds an organization, but this team is not a shared space (it has none)");
    expect(s.rejected.get(remove.hashHex)).toBe("removes an organization, but this team is not a shared space (it has none)");
    expect(s.orgs).toBeUndefined();
  });
});

describe("the fold: adding an organization", () => {
  it("one organization alone stays pending, however many of its admins approve; it takes effect once every seated organization approved", () => {
    const { log, alice, adam, bea, carl } = space();
    const add = log.add(adam, { type: "add-org", name: "Delta" });
    log.approve(alice, add);
    let s = log.fold();
    expect(s.proposals.get(add.hashHex)?.approvers).toEqual(new Set([adam.id, alice.id]));
    expect(s.orgs).toEqual(["Acme", "Birch", "Cedar"]);
    log.approve(bea, add);
    s = log.fold();
    expect(s.proposals.has(add.hashHex)).toBe(true); // Cedar is seated and has not approved
    const last = log.approve(carl, add);
    s = log.fold();
    expect(s.effective.get(add.hashHex)).toBe(last.hashHex);
    expect(s.orgs).toEqual(["Acme", "Birch", "Cedar", "Delta"]);
    expect(s.orgApprovals.get(add.hashHex)).toEqual([0, 1, 2]);
    // Unseated: it does not count until its first admin, whose seating waits for everyone seated.
    expect(s.seats.has(3)).toBe(false);
    expect(s.orgsRequired).toBe(3);
    expect(s.orgK).toBe(4); // "all of them" stays all
    const dan = person("dan");
    const seat = log.admit(bea, dan, "admin", 3);
    log.approve(alice, seat);
    expect(log.fold().users.has(dan.id)).toBe(false);
    log.approve(carl, seat);
    s = log.fold();
    expect(s.users.get(dan.id)).toMatchObject({ org: 3, active: true });
    expect(s.orgsRequired).toBe(4);
  });

  it("with orgK 2 of 3, two organizations add one and the k stays 2; names stay distinct ignoring case, and at most 16", () => {
    const { log, adam, bea } = space(false, 2);
    const add = log.add(adam, { type: "add-org", name: "Delta" });
    expect(log.fold().proposals.has(add.hashHex)).toBe(true);
    log.approve(bea, add);
    let s = log.fold();
    expect(s.orgs).toHaveLength(4);
    expect(s.orgK).toBe(2);
    const twice = log.add(adam, { type: "add-org", name: "dELTA" });
    log.approve(bea, twice);
    expect(log.fold().rejected.get(twice.hashHex)).toBe(`organization "Delta" already exists`);
    for (let i = 4; i < MAX_ORGS; i++) log.approve(bea, log.add(adam, { type: "add-org", name: `Org ${i}` }));
    s = log.fold();
    expect(s.orgs).toHaveLength(MAX_ORGS);
    const over = log.add(adam, { type: "add-org", name: "One too many" });
    log.approve(bea, over);
    expect(log.fold().rejected.get(over.hashHex)).toBe(`the space already has ${MAX_ORGS} organizations (a removed one keeps its place)`);
  });

  it("a member cannot add one, nor may an added organization be reached by index before it exists", () => {
    const { log, bob, alice } = space();
    const byEditor = log.add(bob, { type: "add-org", name: "Delta" });
    const early = log.admit(alice, person("dan"), "admin", 3);
    const s = log.fold();
    expect(s.rejected.get(byEditor.hashHex)).toBe("only admins make add-org changes");
    expect(s.rejected.get(early.hashHex)).toBe("names organization 3, but the space has 3");
  });
});

describe("the fold: removing an organization", () => {
  it("with two organizations, neither can ever remove the other, whatever the other approves", () => {
    const { log, adam, bea } = twoOrgs();
    const s0 = log.fold();
    const expel = log.add(adam, removal(1, [bea]));
    const beaApproves = log.approve(bea, expel);
    const s = log.fold();
    expect(s.rejected.get(expel.hashHex)).toBe(`removing organization "Birch" needs the approval of two other seated organizations and the space has 1 besides it: one organization never expels another`);
    expect(s.rejected.get(beaApproves.hashHex)).toBe("approves a change that is not pending");
    expect(s.users.get(bea.id)?.active).toBe(true);
    expect(s.removedOrgs.size).toBe(0);
    expect(s.orgsRequired).toBe(s0.orgsRequired);
  });

  it("with three seated, one organization's proposal stays pending; the removed one's approval neither counts nor is accepted; both others make it effective", () => {
    const { log, alice, adam, bea, bob, carl, cal } = space();
    // The rekey seals a fresh key of notes to everyone who stays; the one naming cal is dropped alone.
    const stay = grant("notes", [alice, adam, bea, bob], 7);
    const leak = grant("notes", [alice, cal], 8);
    const expel = log.add(adam, removal(2, [carl, cal], [stay, leak]));
    log.approve(alice, expel);
    const carlApproves = log.approve(carl, expel);
    let s = log.fold();
    expect(s.proposals.get(expel.hashHex)?.approvers).toEqual(new Set([adam.id, alice.id]));
    expect(s.rejected.get(carlApproves.hashHex)).toBe(`approves the removal of its own organization "Cedar"; only the other organizations decide it`);
    expect(s.users.get(carl.id)?.active).toBe(true);
    const beaApproves = log.approve(bea, expel);
    s = log.fold();
    expect(s.effective.get(expel.hashHex)).toBe(beaApproves.hashHex);
    expect(s.orgApprovals.get(expel.hashHex)).toEqual([0, 1]);
    expect(s.removedOrgs.get(2)).toBe(expel.hashHex);
    for (const p of [carl, cal]) {
      expect(s.users.get(p.id)).toMatchObject({ active: false, org: 2 });
      expect(s.devices.get(hx(p.device.publicKey))).toMatchObject({ active: false, cutoff: 0 });
      expect(s.devices.get(hx(p.device.publicKey))?.losses).toEqual([{ entry: expel.hashHex, seq: 0 }]);
    }
    expect(s.orgs).toEqual(["Acme", "Birch", "Cedar"]); // indexes never shift
    expect(s.orgsRequired).toBe(2);
    const notes = s.collections.get("notes")!;
    expect(notes.keys.map((k) => k.id)).toEqual([hx(new Uint8Array(16).fill(7))]);
    expect(s.invalidGrants).toEqual([{ entry: expel.hashHex, collection: "notes", reason: `seals keys of "notes" to a device this entry takes them from` }]);
    // Nothing after it reaches their devices: a grant, a transport key; and they sign nothing more.
    const regrant = log.add(alice, { type: "grant", grants: [grant("notes", [bea, cal], 9)] });
    const transport = log.add(alice, { type: "transport-key", key: new Uint8Array(16).fill(3), to: [carl.device.publicKey], sealed: new Uint8Array([1]) });
    const byCarl = log.add(carl, { type: "collection", id: "cedar", name: "Cedar", read: "viewer", write: "viewer", grants: [] });
    s = log.fold();
    expect(s.invalidGrants.find((g) => g.entry === regrant.hashHex)?.reason).toBe(`seals keys of "notes" to a device that may not read it`);
    expect(s.rejected.get(transport.hashHex)).toMatch(/a device that is not active/);
    expect(s.rejected.get(byCarl.hashHex)).toBe("signed by a revoked or removed device");
    // Space-level changes now wait for Acme and Birch only.
    const policy = log.add(bea, { type: "set-policy", collection: "notes", read: "editor", write: "editor", cutoffs: [], rekeys: [] });
    log.approve(adam, policy);
    expect(log.fold().collections.get("notes")?.read).toBe("editor");
  });

  it("an organization does not propose its own removal, nor remove one already removed; a member cannot propose one", () => {
    const { log, adam, bea, carl, bob } = space();
    const own = log.add(carl, removal(2, [carl]));
    const byEditor = log.add(bob, removal(2, [carl]));
    const first = log.add(adam, removal(2, [carl]));
    log.approve(bea, first);
    const again = log.add(bea, removal(2, [carl]));
    const beyond = log.add(bea, removal(5, []));
    const s = log.fold();
    expect(s.rejected.get(own.hashHex)).toBe(`an organization does not propose its own removal ("Cedar"); another organization's admin proposes it`);
    expect(s.rejected.get(byEditor.hashHex)).toBe("only admins make remove-org changes");
    expect(s.rejected.get(again.hashHex)).toBe(`organization "Cedar" was already removed`);
    expect(s.rejected.get(beyond.hashHex)).toBe("removes organization 5, but the space has 3");
  });

  it("with orgK 2 of 4, removing one needs two of the other three, never one alone", () => {
    const { log, alice, adam, bea, carl } = space(false, 2);
    const add = log.add(adam, { type: "add-org", name: "Delta" });
    log.approve(bea, add);
    const dan = person("dan");
    const seat = log.admit(alice, dan, "admin", 3);
    log.approve(carl, seat);
    expect(log.fold().seats.has(3)).toBe(true);
    const expel = log.add(dan, removal(1, [bea]));
    expect(log.fold().proposals.has(expel.hashHex)).toBe(true);
    log.approve(carl, expel);
    const s = log.fold();
    expect(s.removedOrgs.has(1)).toBe(true);
    expect(s.orgApprovals.get(expel.hashHex)).toEqual([2, 3]);
  });

  it("a removed organization's members are not re-added into it, by anyone; it is not re-seated; its name stays taken", () => {
    const { log, alice, adam, bea, carl } = space();
    const expel = log.add(adam, removal(2, [carl]));
    log.approve(bea, expel);
    const back = log.admit(alice, carl, "admin", 2);
    const carl2 = person("carl");
    const newcomer = log.admit(bea, carl2, "owner", 2);
    const sameName = log.add(alice, { type: "add-org", name: "CEDAR" });
    log.approve(bea, sameName);
    const s = log.fold();
    const refusal = `organization "Cedar" was removed from the space; nobody is added into it`;
    expect(s.rejected.get(back.hashHex)).toBe(refusal);
    expect(s.rejected.get(newcomer.hashHex)).toMatch(/owner|Cedar/);
    expect(s.proposals.has(back.hashHex)).toBe(false);
    expect(s.users.get(carl.id)?.active).toBe(false);
    expect(s.seats.get(2)).toBeDefined(); // its seat is history, not a seat: orgsRequired left it
    expect(s.orgsRequired).toBe(2);
    expect(s.rejected.get(sameName.hashHex)).toBe(`organization "Cedar" already exists (removed: its name stays taken)`);
    const newcomerAsAdmin = log.admit(bea, person("cora"), "admin", 2);
    log.approve(alice, newcomerAsAdmin);
    expect(log.fold().rejected.get(newcomerAsAdmin.hashHex)).toBe(refusal);
  });

  it("a pending invitation into an organization is refused when approved after that organization was removed", () => {
    const { log, alice, adam, bea, carl } = space();
    const add = log.add(adam, { type: "add-org", name: "Delta" });
    log.approve(bea, add);
    log.approve(carl, add);
    const dan = person("dan");
    const seat = log.admit(alice, dan, "admin", 3);
    const expel = log.add(adam, removal(3, []));
    log.approve(bea, expel);
    expect(log.fold().proposals.has(expel.hashHex)).toBe(true); // every other seated organization: Cedar too
    log.approve(carl, expel);
    log.approve(bea, seat);
    log.approve(carl, seat);
    const s = log.fold();
    expect(s.removedOrgs.has(3)).toBe(true);
    expect(s.rejected.get(seat.hashHex)).toBe(`organization "Delta" was removed from the space; nobody is added into it`);
    expect(s.users.has(dan.id)).toBe(false);
  });
});

describe("the fold: concurrency", () => {
  it("a removal, the removed organization's concurrent admissions and edits, and a concurrent add-org converge in every delivery order; nothing of Cedar's survives", () => {
    const { log, adam, bea, carl, cal } = space(true);
    const base = [log.tip];
    const expel = log.add(adam, removal(2, [carl, cal]), { parents: base });
    const approved = log.approve(bea, expel, { parents: [expel.hash] });
    // Cedar, not knowing: admits a newcomer, gives her a device, and creates a collection.
    const cora = person("cora", 90);
    const admitCora = log.admit(carl, cora, "editor", 2, { parents: base });
    const coraPolicy = log.add(carl, { type: "collection", id: "cedar", name: "Cedar", read: "viewer", write: "viewer", grants: [] }, { parents: [admitCora.hash] });
    // Birch concurrently proposes a new organization, which Acme approves after the removal.
    const add = log.add(bea, { type: "add-org", name: "Delta" }, { parents: base });
    const addApproved = log.approve(adam, add, { parents: [approved.hash, add.hash] });
    const entries = [...log.entries.values()];
    const orders = [entries, [...entries].reverse(), [...entries].sort((x, y) => (x.hashHex < y.hashHex ? 1 : -1)), [...entries].sort((x, y) => (x.hashHex < y.hashHex ? -1 : 1))];
    const folds = orders.map((list) => foldTeam(log.genesis.hashHex, new Map(list.map((e) => [e.hashHex, e]))));
    for (const s of folds) expect(digest(s)).toBe(digest(folds[0]!));
    const s = folds[0]!;
    expect(s.effective.get(expel.hashHex)).toBe(approved.hashHex);
    for (const p of [carl, cal]) expect(s.users.get(p.id)?.active).toBe(false);
    expect(s.users.get(cora.id)?.active ?? false).toBe(false);
    expect(s.devices.get(hx(cora.device.publicKey))?.active ?? false).toBe(false);
    expect(s.collections.has("cedar")).toBe(false);
    expect(s.rejected.has(coraPolicy.hashHex)).toBe(true);
    // Cedar never approved Delta; removed by then, it is not waited for: Acme and Birch suffice.
    expect(s.effective.get(add.hashHex)).toBe(addApproved.hashHex);
    expect(s.orgs).toEqual(["Acme", "Birch", "Cedar", "Delta"]);
  });

  it("two concurrent removals of the same organization: one takes effect, the other is refused, the same everywhere", () => {
    const { log, alice, bea, carl, cal } = space(true);
    const base = [log.tip];
    const one = log.add(alice, removal(2, [carl, cal]), { parents: base });
    const two = log.add(bea, removal(2, [carl, cal]), { parents: base });
    const a1 = log.approve(bea, one, { parents: [one.hash, two.hash] });
    const a2 = log.approve(alice, two, { parents: [one.hash, two.hash] });
    const entries = [...log.entries.values()];
    const folds = [entries, [...entries].reverse()].map((list) => foldTeam(log.genesis.hashHex, new Map(list.map((e) => [e.hashHex, e]))));
    expect(digest(folds[1]!)).toBe(digest(folds[0]!));
    const s = folds[0]!;
    const took = [one, two].filter((e) => s.effective.has(e.hashHex));
    expect(took).toHaveLength(1);
    expect(s.removedOrgs.get(2)).toBe(took[0]!.hashHex);
    const other = took[0] === one ? two : one;
    expect(s.rejected.get(other.hashHex) ?? s.rejected.get((other === one ? a1 : a2).hashHex)).toBeDefined();
    expect(s.effective.has(other.hashHex)).toBe(false);
  });
});
