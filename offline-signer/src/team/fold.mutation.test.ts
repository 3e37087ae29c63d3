/**
 * The team fold, rule by rule at its edges (docs/team-model.md: the entry table, roles and
 * policies, "Keys are judged by the fold", approvals, the order, I3/I4): what the mutation run
 * (`npm run mutate -- team`, docs/testing.md) found the vault-level tests leave undecided or too
 * slow to run per mutant. Logs are built by hand (test-support/team-log.ts): real Ed25519
 * identity and device keys, every entry signed by its author's device and decoded as one from a
 * bundle. Grants carry opaque `sealed` bytes: the fold judges them by what they name in clear.
 */
import { describe, expect, it } from "vitest";
import { ed25519KeyPair, ed25519Sign, x25519KeyPair } from "@airlock/bundle-format";
import { Log, hx, person, type Person } from "../../test-support/team-log.js";
import { certifyDevice, recoveryEnrolMessage, recoverySetMessage, signEntry, type EntryBody, type KeyGrant, type Role, type TeamEntry } from "./entry.js";
import { activeAdmins, ancestors, courierActive, foldTeam, isCritical, mayWrite, readerDevices, recoverySetKey, type TeamState } from "./state.js";

const key = (n: number): Uint8Array => new Uint8Array(16).fill(n);
const sorted = (xs: readonly Uint8Array[]): Uint8Array[] => [...xs].sort((a, b) => Buffer.compare(a, b));
function grant(collection: string, to: readonly Person[], ...keys: number[]): KeyGrant {
  return { collection, to: sorted(to.map((p) => p.device.publicKey)), keys: keys.map(key), sealed: new Uint8Array([1, 2, 3]) };
}
const collection = (id: string, read: Role, write: Role, grants: readonly KeyGrant[] = []): EntryBody => ({ type: "collection", id, name: id, read, write, grants });
const removal = (p: Person, cutoffs: { device: Uint8Array; seq: number }[] = [], rekeys: readonly KeyGrant[] = []): EntryBody => ({ type: "remove-member", user: p.user, cutoffs, rekeys });
const setRole = (p: Person, role: Role, cutoffs: { device: Uint8Array; seq: number }[] = [], rekeys: readonly KeyGrant[] = []): EntryBody => ({ type: "set-role", user: p.user, role, cutoffs, rekeys });
const revoke = (device: Uint8Array, cutoff = 0): EntryBody => ({ type: "revoke-device", device, cutoff, rekeys: [] });
const newDevice = (of: Person): { keys: ReturnType<typeof certifyDevice>; device: ReturnType<typeof ed25519KeyPair> } => {
  const device = ed25519KeyPair();
  return { device, keys: certifyDevice(of.identity, device.publicKey, x25519KeyPair().publicKey) };
};
const addDevice = (of: Person, grants: readonly KeyGrant[] = []): EntryBody => ({ type: "add-device", user: of.user, device: newDevice(of).keys, grants });
const addMember = (p: Person, role: Role, grants: readonly KeyGrant[] = []): EntryBody => ({ type: "add-member", user: p.user, userName: p.name, role, device: p.keys, grants });

interface Team {
  readonly log: Log;
  /** owner */
  readonly alice: Person;
  /** admin */
  readonly dave: Person;
  /** editor */
  readonly bob: Person;
  /** viewer */
  readonly vera: Person;
  /** editor the changes aim at */
  readonly tom: Person;
}

/**
 * The base log's entries, signed and decoded once (decoding checks every key's group order,
 * the slow part), and a fresh log over them in every test: never at collection time, since
 * Stryker counts what runs outside a test as covering every mutant (a static mutant runs all
 * tests). The people have fixed keys, so every fresh genesis is the same entry.
 */
let base: { people: [Person, Person, Person, Person, Person]; entries: TeamEntry[]; tip: Uint8Array } | undefined;

/** A log over the base entries; entries added without parents go on its own tip. */
class TeamLog extends Log {
  #tip: Uint8Array;
  constructor(creator: Person, entries: readonly TeamEntry[], tip: Uint8Array) {
    super(creator, "Field office");
    for (const e of entries) this.entries.set(e.hashHex, e);
    this.#tip = tip;
  }

  override get tip(): Uint8Array {
    return this.#tip;
  }

  override add(by: Person, body: EntryBody, options: { parents?: readonly Uint8Array[]; keep?: boolean; time?: number } = {}): TeamEntry {
    const e = super.add(by, body, { ...options, parents: options.parents ?? [this.#tip] });
    if (options.keep !== false && options.parents === undefined) this.#tip = e.hash;
    return e;
  }
}

/** alice (owner), dave (admin), bob and tom (editors), vera (viewer); `notes` (read viewer, write editor) with key 1 held by all. */
function team(): Team {
  if (base === undefined) {
    const people = ["alice", "dave", "bob", "vera", "tom"].map((n, i) => person(n, 60 + 3 * i)) as [Person, Person, Person, Person, Person];
    const [alice, dave, bob, vera, tom] = people;
    const log = new Log(alice, "Field office");
    log.add(alice, collection("notes", "viewer", "editor", [grant("notes", [alice], 1)]));
    log.admit(alice, dave, "admin");
    log.add(alice, addMember(bob, "editor"));
    log.add(alice, addMember(vera, "viewer"));
    log.add(alice, addMember(tom, "editor"));
    log.add(alice, { type: "grant", grants: [grant("notes", [dave, bob, vera, tom], 1)] });
    base = { people, entries: [...log.entries.values()], tip: log.tip };
  }
  const [alice, dave, bob, vera, tom] = base.people;
  const log = new TeamLog(alice, base.entries, base.tip);
  expect(log.genesis.hashHex).toBe(base.entries[0]!.hashHex);
  const s = log.fold();
  expect(s.rejected.size).toBe(0);
  expect(s.invalidGrants).toEqual([]);
  return { log, alice, dave, bob, vera, tom };
}

/** Folds the log with `body` by `by` added at the tip: its rejection reason (undefined if accepted) and the state. */
function verdict(t: Team, by: Person, body: EntryBody): { reason: string | undefined; state: TeamState; entry: TeamEntry } {
  const entry = t.log.add(by, body, { keep: false });
  const state = t.log.fold(entry);
  expect(state.order).toContain(entry.hashHex);
  return { reason: state.rejected.get(entry.hashHex), state, entry };
}

/** Who holds which role, active or not. */
const membership = (s: TeamState): string => JSON.stringify([...s.users.values()].map((u) => [u.name, u.role, u.active]).sort());

/** `make(time)` signed again with growing times until its hash sorts after `than`'s: the fold then orders it later among ready entries. */
function hashAfter(than: TeamEntry, make: (time: number) => TeamEntry): TeamEntry {
  for (let time = 1000; ; time++) {
    const e = make(time);
    if (e.hashHex > than.hashHex) return e;
  }
}
function hashBefore(than: TeamEntry, make: (time: number) => TeamEntry): TeamEntry {
  for (let time = 1000; ; time++) {
    const e = make(time);
    if (e.hashHex < than.hashHex) return e;
  }
}

describe("the rights table: every entry type, by every role (docs/team-model.md)", () => {
  type Case = { what: string; body: (t: Team) => EntryBody; by: Partial<Record<Role, RegExp | null>> };
  const ADMIN_ONLY = (type: string): Partial<Record<Role, RegExp | null>> => ({ viewer: new RegExp(`^only admins make ${type} changes$`), editor: new RegExp(`^only admins make ${type} changes$`), admin: null, owner: null });
  const cases: Case[] = [
    { what: "add-member (an editor)", body: (_t) => addMember(person("newcomer"), "editor"), by: { viewer: /^only admins add members$/, editor: /^only admins add members$/, admin: null, owner: null } },
    { what: "add-member (an owner)", body: (_t) => addMember(person("newcomer"), "owner"), by: { admin: /^only an owner makes someone an owner$/, owner: null } },
    { what: "add-device (to tom)", body: (t) => addDevice(t.tom), by: { viewer: /^only the user or an admin adds a device$/, editor: /^only the user or an admin adds a device$/, admin: null, owner: null } },
    { what: "revoke-device (tom's)", body: (t) => revoke(t.tom.device.publicKey), by: { viewer: /^only the device's user or an admin revokes a device$/, editor: /^only the device's user or an admin revokes a device$/, admin: null, owner: null } },
    { what: "revoke-device (the owner's)", body: (t) => revoke(t.alice.device.publicKey), by: { editor: /^only the device's user or an admin revokes a device$/, admin: /^only an owner revokes an owner's device$/ } },
    { what: "remove-member (tom)", body: (t) => removal(t.tom), by: { viewer: /^only admins remove members$/, editor: /^only admins remove members$/, admin: null, owner: null } },
    { what: "remove-member (the owner)", body: (t) => removal(t.alice), by: { editor: /^only admins remove members$/, admin: /^only an owner removes an owner$/ } },
    { what: "set-role (tom to viewer)", body: (t) => setRole(t.tom, "viewer"), by: { viewer: /^only admins change roles$/, editor: /^only admins change roles$/, admin: null, owner: null } },
    { what: "set-role (tom to owner)", body: (t) => setRole(t.tom, "owner"), by: { admin: /^only an owner makes someone an owner$/, owner: null } },
    { what: "set-role (the owner to admin)", body: (t) => setRole(t.alice, "admin"), by: { editor: /^only admins change roles$/, admin: /^only an owner changes an owner's role$/ } },
    { what: "collection", body: (_t) => collection("plans", "viewer", "editor"), by: ADMIN_ONLY("collection") },
    { what: "set-policy", body: (_t) => ({ type: "set-policy", collection: "notes", read: "viewer", write: "admin", cutoffs: [], rekeys: [] }), by: ADMIN_ONLY("set-policy") },
    { what: "compact", body: (_t) => ({ type: "compact", collection: "notes", frontier: [], rekeys: [] }), by: ADMIN_ONLY("compact") },
    { what: "set-approvals", body: (_t) => ({ type: "set-approvals", k: 2 }), by: ADMIN_ONLY("set-approvals") },
    { what: "grant", body: (_t) => ({ type: "grant", grants: [] }), by: ADMIN_ONLY("grant") },
    { what: "transport-key", body: (t) => ({ type: "transport-key", key: key(9), to: [t.alice.device.publicKey], sealed: new Uint8Array([1]) }), by: ADMIN_ONLY("transport-key") },
    { what: "courier", body: (_t) => ({ type: "courier", name: "relay", key: x25519KeyPair().publicKey }), by: { viewer: null, editor: null, admin: null, owner: null } },
    { what: "approve (nothing pending)", body: (t) => ({ type: "approve", proposal: t.log.tip }), by: { viewer: /^only admins approve changes$/, editor: /^only admins approve changes$/, admin: /^approves a change that is not pending$/, owner: /^approves a change that is not pending$/ } },
    { what: "add-org (in a team)", body: (_t) => ({ type: "add-org", name: "Birch" }), by: { editor: /^only admins make add-org changes$/, admin: /^adds an organization, but this team is not a shared space/ } },
    { what: "remove-org (in a team)", body: (_t) => ({ type: "remove-org", org: 1, cutoffs: [], rekeys: [] }), by: { editor: /^only admins make remove-org changes$/, admin: /^removes an organization, but this team is not a shared space/ } },
    { what: "add-member naming an organization (in a team)", body: (_t) => ({ ...addMember(person("newcomer"), "editor"), org: 0 }) as EntryBody, by: { admin: /^names an organization, but this team is not a shared space/ } },
  ];
  const author = (t: Team, role: Role): Person => ({ viewer: t.vera, editor: t.bob, admin: t.dave, owner: t.alice })[role];
  const rows = cases.flatMap((c) => Object.entries(c.by).map(([role, expected]) => ({ name: `${c.what} by the ${role}`, c, role: role as Role, expected })));

  it.each(rows)("$name", ({ c, role, expected }) => {
    const t = team();
    const before = membership(t.log.fold());
    const body = c.body(t);
    const { reason, state, entry } = verdict(t, author(t, role), body);
    if (expected === null) {
      expect(reason).toBeUndefined();
      if (body.type !== "approve") expect(state.effective.get(entry.hashHex)).toBe(entry.hashHex);
    } else {
      expect(reason).toMatch(expected);
      // A refused entry changes nothing.
      expect(membership(state)).toBe(before);
      expect(state.effective.has(entry.hashHex)).toBe(false);
      expect(state.proposals.size).toBe(0);
    }
  });

  it("a member adds a device to themselves and revokes their own device; another editor's is not theirs", () => {
    const t = team();
    expect(verdict(t, t.tom, addDevice(t.tom)).reason).toBeUndefined();
    expect(verdict(t, t.tom, revoke(t.tom.device.publicKey)).reason).toBeUndefined();
    expect(verdict(t, t.bob, addDevice(t.tom)).reason).toBe("only the user or an admin adds a device");
    // Revoking a device the team does not know is not a right question: the effect refuses it.
    expect(verdict(t, t.bob, revoke(ed25519KeyPair().publicKey)).reason).toBe("revokes a device that is not active");
  });

  it("signed by a key that is not a device of this team, or by a revoked one, counts for nothing", () => {
    const t = team();
    const stranger = person("stranger");
    expect(verdict(t, stranger, { type: "courier", name: "relay", key: x25519KeyPair().publicKey }).reason).toBe("signed by a key that is not a device of this team");
    const revoked = t.log.add(t.alice, revoke(t.tom.device.publicKey), { keep: false });
    const late = t.log.add(t.tom, { type: "courier", name: "relay", key: x25519KeyPair().publicKey }, { keep: false, parents: [revoked.hash] });
    const s = t.log.fold(revoked, late);
    expect(s.rejected.get(late.hashHex)).toBe("signed by a revoked or removed device");
    expect(s.couriers.size).toBe(0);
  });
});

describe("critical changes wait for k approvals (docs/team-model.md, the table's last column, Approvals)", () => {
  /** The base team with k = 2: alice and dave are its two admins. */
  function withTwo(): Team {
    const t = team();
    t.log.add(t.alice, { type: "set-approvals", k: 2 });
    const s = t.log.fold();
    expect(s.approvalsSet).toBe(2);
    expect(s.approvalsRequired).toBe(2);
    return t;
  }
  const pending = (t: Team, by: Person, body: EntryBody): boolean => {
    const { reason, state, entry } = verdict(t, by, body);
    expect(reason).toBeUndefined();
    const waits = state.proposals.has(entry.hashHex);
    expect(state.effective.has(entry.hashHex)).toBe(!waits);
    return waits;
  };

  it("critical: making an admin or owner, another's device, removals, demotions, promotions to admin, policy, compaction, the threshold", () => {
    const t = withTwo();
    expect(pending(t, t.dave, addMember(person("ada"), "admin"))).toBe(true);
    expect(pending(t, t.alice, addMember(person("olga"), "owner"))).toBe(true);
    expect(pending(t, t.dave, revoke(t.tom.device.publicKey))).toBe(true);
    expect(pending(t, t.dave, removal(t.tom))).toBe(true);
    expect(pending(t, t.dave, setRole(t.tom, "viewer"))).toBe(true);
    expect(pending(t, t.dave, setRole(t.tom, "admin"))).toBe(true);
    expect(pending(t, t.alice, setRole(t.dave, "owner"))).toBe(true);
    expect(pending(t, t.dave, { type: "set-policy", collection: "notes", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] })).toBe(true);
    expect(pending(t, t.dave, { type: "compact", collection: "notes", frontier: [], rekeys: [] })).toBe(true);
    expect(pending(t, t.dave, { type: "set-approvals", k: 1 })).toBe(true);
  });

  it("not critical: an editor or viewer added, one's own device, a promotion below admin, collections, grants, couriers", () => {
    const t = withTwo();
    expect(pending(t, t.dave, addMember(person("ed"), "editor"))).toBe(false);
    expect(pending(t, t.dave, addMember(person("vic"), "viewer"))).toBe(false);
    expect(pending(t, t.dave, addDevice(t.tom))).toBe(false);
    expect(pending(t, t.dave, revoke(t.dave.device.publicKey))).toBe(false);
    expect(pending(t, t.tom, revoke(t.tom.device.publicKey))).toBe(false);
    expect(pending(t, t.dave, setRole(t.vera, "editor"))).toBe(false);
    expect(pending(t, t.dave, collection("plans", "viewer", "editor"))).toBe(false);
    expect(pending(t, t.dave, { type: "grant", grants: [] })).toBe(false);
    expect(pending(t, t.bob, { type: "courier", name: "relay", key: x25519KeyPair().publicKey })).toBe(false);
  });

  it("isCritical for a set-role of someone not in the team: as its new role says", () => {
    const t = withTwo();
    const s = t.log.fold();
    const dave = s.users.get(t.dave.id)!;
    expect(isCritical(s, setRole(person("ghost"), "admin"), dave)).toBe(true);
    expect(isCritical(s, setRole(person("ghost"), "editor"), dave)).toBe(false);
    expect(isCritical(s, revoke(ed25519KeyPair().publicKey), dave)).toBe(false);
    expect(isCritical(s, setRole(t.tom, "editor"), dave)).toBe(false);
    expect(isCritical(s, setRole(t.dave, "admin"), dave)).toBe(true);
  });

  it("another admin's approval makes the change effective at the approval; an editor's or the author's own does not count", () => {
    const t = withTwo();
    const p = t.log.add(t.dave, removal(t.tom), { keep: false });
    const self = t.log.add(t.dave, { type: "approve", proposal: p.hash }, { keep: false, parents: [p.hash] });
    const byEditor = t.log.add(t.bob, { type: "approve", proposal: p.hash }, { keep: false, parents: [self.hash] });
    let s = t.log.fold(p, self, byEditor);
    expect(s.rejected.get(self.hashHex)).toBeUndefined();
    expect(s.rejected.get(byEditor.hashHex)).toBe("only admins approve changes");
    expect(s.proposals.get(p.hashHex)?.approvers).toEqual(new Set([t.dave.id]));
    expect(s.users.get(t.tom.id)!.active).toBe(true);
    const byAlice = t.log.add(t.alice, { type: "approve", proposal: p.hash }, { keep: false, parents: [byEditor.hash] });
    s = t.log.fold(p, self, byEditor, byAlice);
    expect(s.users.get(t.tom.id)!.active).toBe(false);
    expect(s.effective.get(p.hashHex)).toBe(byAlice.hashHex);
    expect(s.proposals.has(p.hashHex)).toBe(false);
    expect(s.rejected.has(p.hashHex)).toBe(false);
    // Approving it again: it is no longer pending.
    const again = t.log.add(t.alice, { type: "approve", proposal: p.hash }, { keep: false, parents: [byAlice.hash] });
    expect(t.log.fold(p, self, byEditor, byAlice, again).rejected.get(again.hashHex)).toBe("approves a change that is not pending");
  });

  it("a non-admin's critical change waits without its author's approval: two admins approve it", () => {
    const t = withTwo();
    // tom revoking tom's own device is not critical; a recovered device's enrolment is (below). Here: an
    // editor's critical entry cannot exist by the table, so the author's approval rule is seen on an admin.
    const p = t.log.add(t.dave, setRole(t.tom, "viewer"), { keep: false });
    expect(t.log.fold(p).proposals.get(p.hashHex)!.approvers).toEqual(new Set([t.dave.id]));
  });

  it("the change is checked again when approved: a target already removed, an author since removed", () => {
    const u = withTwo();
    const ada = person("ada", 90);
    const admitAda = u.log.admit(u.alice, ada, "admin");
    u.log.approve(u.dave, admitAda);
    expect(u.log.fold().approvalsRequired).toBe(2);
    const byDave = u.log.add(u.dave, removal(u.tom));
    const byAda = u.log.add(ada, removal(u.tom));
    u.log.approve(u.alice, byAda);
    const late = u.log.approve(u.alice, byDave);
    let s = u.log.fold();
    expect(s.users.get(u.tom.id)!.active).toBe(false);
    expect(s.effective.get(byAda.hashHex)).toBeDefined();
    expect(s.rejected.get(late.hashHex)).toBeUndefined();
    expect(s.rejected.get(byDave.hashHex)).toBe("removes someone who is not a member");
    expect(s.effective.has(byDave.hashHex)).toBe(false);
    // dave proposes, then loses his membership before the approval arrives.
    const proposal = u.log.add(u.dave, setRole(u.vera, "editor", [], []));
    expect(u.log.fold().effective.has(proposal.hashHex)).toBe(true); // not critical: applies at once
    const critical = u.log.add(u.dave, setRole(u.bob, "viewer"));
    const out = u.log.add(ada, removal(u.dave));
    u.log.approve(u.alice, out);
    const approvals = [u.log.approve(u.alice, critical), u.log.approve(ada, critical)];
    s = u.log.fold();
    expect(s.users.get(u.dave.id)!.active).toBe(false);
    // The approval that completes the count (his own no longer counts once he is out) finds its author gone.
    expect(approvals.map((a) => s.rejected.get(a.hashHex)).filter((r) => r !== undefined)).toEqual(["the approved change can no longer apply: signed by a revoked or removed device"]);
    expect(s.users.get(u.bob.id)!.role).toBe("editor");
    expect(s.proposals.has(critical.hashHex)).toBe(false);
  });

  it("the threshold in force is never more than the active admins, and never less than one", () => {
    const u = withTwo();
    // dave proposes his own removal (his signature counts as one approval), alice's approval makes it two.
    const p = u.log.add(u.dave, removal(u.dave));
    u.log.approve(u.alice, p);
    const s = u.log.fold();
    expect(s.users.get(u.dave.id)!.active).toBe(false);
    expect(activeAdmins(s)).toBe(1);
    expect(s.approvalsSet).toBe(2);
    expect(s.approvalsRequired).toBe(1);
    // With one admin left, its critical changes apply alone.
    const { state, entry } = verdict(u, u.alice, removal(u.tom));
    expect(state.effective.get(entry.hashHex)).toBe(entry.hashHex);
    expect(state.users.get(u.tom.id)!.active).toBe(false);
  });

  it("set-approvals: 1..the active admins", () => {
    const u = team();
    expect(verdict(u, u.alice, { type: "set-approvals", k: 3 }).reason).toBe("asks for 3 approvals but the team has 2 active admins");
    expect(verdict(u, u.alice, { type: "set-approvals", k: 0 }).reason).toBe("at least one approval is always required");
    const two = verdict(u, u.alice, { type: "set-approvals", k: 2 });
    expect(two.reason).toBeUndefined();
    expect(two.state.approvalsSet).toBe(2);
  });
});

describe("the last owner, and what each change does to the state", () => {
  it("the last owner is never removed or demoted; with a second owner either may go", () => {
    const t = team();
    expect(verdict(t, t.alice, removal(t.alice)).reason).toBe("would remove the last owner");
    expect(verdict(t, t.alice, setRole(t.alice, "admin")).reason).toBe("would demote the last owner");
    expect(verdict(t, t.alice, setRole(t.alice, "owner")).reason).toBeUndefined();
    const olga = person("olga", 95);
    t.log.admit(t.alice, olga, "owner");
    expect(verdict(t, t.alice, setRole(t.alice, "admin")).state.users.get(t.alice.id)!.role).toBe("admin");
    const removed = verdict(t, olga, removal(t.alice));
    expect(removed.reason).toBeUndefined();
    expect(removed.state.users.get(t.alice.id)!.active).toBe(false);
  });

  it("add-member: not someone already in, not a known device, only a device its identity certified; a removed member may come back", () => {
    const t = team();
    expect(verdict(t, t.dave, addMember(t.bob, "viewer")).reason).toBe("that person is already a member");
    const ed = person("ed");
    expect(verdict(t, t.dave, { type: "add-member", user: ed.user, userName: "ed", role: "editor", device: certifyDevice(ed.identity, t.tom.keys.sign, t.tom.keys.enc), grants: [] }).reason).toBe("that device is already known");
    expect(verdict(t, t.dave, { type: "add-member", user: ed.user, userName: "ed", role: "editor", device: certifyDevice(t.bob.identity, ed.keys.sign, ed.keys.enc), grants: [] }).reason).toBe("the device certificate does not verify");
    t.log.add(t.dave, removal(t.tom));
    const back = newDevice(t.tom);
    const again = verdict(t, t.dave, { type: "add-member", user: t.tom.user, userName: "tom", role: "viewer", device: back.keys, grants: [] });
    expect(again.reason).toBeUndefined();
    expect(again.state.users.get(t.tom.id)).toMatchObject({ role: "viewer", active: true });
    expect(again.state.devices.get(hx(back.device.publicKey))).toMatchObject({ user: t.tom.id, active: true });
    expect(again.state.devices.get(hx(t.tom.device.publicKey))!.active).toBe(false);
  });

  it("add-device: only to an active member, a new device, certified by that member's identity", () => {
    const t = team();
    const d = newDevice(t.tom);
    const ok = verdict(t, t.dave, { type: "add-device", user: t.tom.user, device: d.keys, grants: [] });
    expect(ok.reason).toBeUndefined();
    expect(ok.state.devices.get(hx(d.device.publicKey))).toMatchObject({ user: t.tom.id, active: true, cutoff: undefined, losses: [] });
    expect(verdict(t, t.dave, { type: "add-device", user: t.tom.user, device: t.bob.keys, grants: [] }).reason).toBe("that device is already known");
    expect(verdict(t, t.dave, { type: "add-device", user: t.tom.user, device: certifyDevice(t.bob.identity, d.keys.sign, d.keys.enc), grants: [] }).reason).toBe("the device certificate does not verify");
    expect(verdict(t, t.dave, addDevice(person("ghost"))).reason).toBe("adds a device to someone who is not a member");
    t.log.add(t.dave, removal(t.tom));
    expect(verdict(t, t.dave, addDevice(t.tom)).reason).toBe("adds a device to someone who is not a member");
  });

  it("revoke-device cuts the device at its cutoff; remove-member cuts every device of the member at the cutoff named, 0 otherwise", () => {
    const t = team();
    const second = newDevice(t.tom);
    t.log.add(t.tom, { type: "add-device", user: t.tom.user, device: second.keys, grants: [] });
    const r = verdict(t, t.dave, revoke(t.tom.device.publicKey, 7));
    expect(r.state.devices.get(hx(t.tom.device.publicKey))).toMatchObject({ active: false, cutoff: 7, losses: [{ entry: r.entry.hashHex, seq: 7 }] });
    expect(r.state.devices.get(hx(second.device.publicKey))!.active).toBe(true);
    expect(r.state.users.get(t.tom.id)!.active).toBe(true);
    const rm = verdict(t, t.dave, removal(t.tom, [{ device: second.device.publicKey, seq: 4 }]));
    expect(rm.reason).toBeUndefined();
    expect(rm.state.users.get(t.tom.id)!.active).toBe(false);
    expect(rm.state.devices.get(hx(second.device.publicKey))).toMatchObject({ active: false, cutoff: 4, losses: [{ entry: rm.entry.hashHex, seq: 4 }] });
    expect(rm.state.devices.get(hx(t.tom.device.publicKey))).toMatchObject({ active: false, cutoff: 0, losses: [{ entry: rm.entry.hashHex, seq: 0 }] });
    // Other members' devices are untouched.
    expect(rm.state.devices.get(hx(t.bob.device.publicKey))).toMatchObject({ active: true, cutoff: undefined, losses: [] });
    expect(verdict(t, t.dave, removal(person("ghost"))).reason).toBe("removes someone who is not a member");
    t.log.add(t.dave, removal(t.tom));
    expect(verdict(t, t.dave, removal(t.tom)).reason).toBe("removes someone who is not a member");
    expect(verdict(t, t.dave, revoke(t.tom.device.publicKey)).reason).toBe("revokes a device that is not active");
    expect(verdict(t, t.dave, setRole(t.tom, "viewer")).reason).toBe("changes the role of someone who is not a member");
    expect(verdict(t, t.dave, setRole(person("ghost"), "viewer")).reason).toBe("changes the role of someone who is not a member");
  });

  it("a revoked device's later cutoff never raises the earlier one", () => {
    const t = team();
    const r1 = t.log.add(t.dave, revoke(t.tom.device.publicKey, 7));
    const rm = verdict(t, t.dave, removal(t.tom, [{ device: t.tom.device.publicKey, seq: 9 }]));
    expect(rm.reason).toBeUndefined();
    expect(rm.state.devices.get(hx(t.tom.device.publicKey))).toMatchObject({ active: false, cutoff: 7 });
    expect(rm.state.devices.get(hx(t.tom.device.publicKey))!.losses.map((l) => l.entry)).toEqual([r1.hashHex, rm.entry.hashHex]);
  });

  it("a demotion records a loss for each of the member's devices at its cutoff; a promotion records none", () => {
    const t = team();
    const down = verdict(t, t.dave, setRole(t.tom, "viewer", [{ device: t.tom.device.publicKey, seq: 3 }]));
    expect(down.state.users.get(t.tom.id)!.role).toBe("viewer");
    expect(down.state.devices.get(hx(t.tom.device.publicKey))).toMatchObject({ active: true, cutoff: undefined, losses: [{ entry: down.entry.hashHex, seq: 3 }] });
    const up = verdict(t, t.dave, setRole(t.tom, "admin"));
    expect(up.state.users.get(t.tom.id)!.role).toBe("admin");
    expect(up.state.devices.get(hx(t.tom.device.publicKey))!.losses).toEqual([]);
    const same = verdict(t, t.dave, setRole(t.tom, "editor"));
    expect(same.state.devices.get(hx(t.tom.device.publicKey))!.losses).toEqual([]);
  });

  it("collections: one per id, the app notes when none is named; set-policy and compact need the collection", () => {
    const t = team();
    expect(verdict(t, t.dave, collection("notes", "viewer", "editor")).reason).toBe('collection "notes" already exists');
    const c = verdict(t, t.dave, collection("plans", "editor", "admin")).state.collections.get("plans")!;
    expect(c).toMatchObject({ id: "plans", name: "plans", app: "notes", read: "editor", write: "admin", grants: [], keys: [], compactions: [] });
    const tasks = verdict(t, t.dave, { ...collection("todo", "viewer", "editor"), app: "tasks" } as EntryBody).state.collections.get("todo")!;
    expect(tasks.app).toBe("tasks");
    expect(verdict(t, t.dave, { type: "set-policy", collection: "nope", read: "viewer", write: "editor", cutoffs: [], rekeys: [] }).reason).toBe('no collection "nope"');
    expect(verdict(t, t.dave, { type: "compact", collection: "nope", frontier: [], rekeys: [] }).reason).toBe('no collection "nope"');
  });

  it("raising the write level records a loss for each member who could write and no longer can, at the cutoffs named", () => {
    const t = team();
    const p = verdict(t, t.dave, { type: "set-policy", collection: "notes", read: "viewer", write: "admin", cutoffs: [{ device: t.bob.device.publicKey, seq: 5 }], rekeys: [] });
    expect(p.reason).toBeUndefined();
    const notes = p.state.collections.get("notes")!;
    expect([notes.read, notes.write]).toEqual(["viewer", "admin"]);
    const losses = (x: Person): unknown => p.state.devices.get(hx(x.device.publicKey))!.losses;
    expect(losses(t.bob)).toEqual([{ entry: p.entry.hashHex, seq: 5 }]);
    expect(losses(t.tom)).toEqual([{ entry: p.entry.hashHex, seq: 0 }]);
    expect(losses(t.vera)).toEqual([]); // could not write before
    expect(losses(t.dave)).toEqual([]); // still may
    expect(losses(t.alice)).toEqual([]);
    expect(mayWrite(p.state, hx(t.bob.device.publicKey), "notes")).toBe('an editor may not write "notes" (needs admin)');
    // Lowering it takes nothing from anyone.
    const low = verdict(t, t.dave, { type: "set-policy", collection: "notes", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] });
    for (const x of [t.alice, t.dave, t.bob, t.vera, t.tom]) expect(low.state.devices.get(hx(x.device.publicKey))!.losses).toEqual([]);
    expect(mayWrite(low.state, hx(t.vera.device.publicKey), "notes")).toBeUndefined();
  });

  it("mayWrite names why not: unknown device, revoked, removed, no collection, role", () => {
    const t = team();
    const s0 = t.log.fold();
    expect(mayWrite(s0, hx(t.bob.device.publicKey), "notes")).toBeUndefined();
    expect(mayWrite(s0, hx(t.vera.device.publicKey), "notes")).toBe('a viewer may not write "notes" (needs editor)');
    expect(mayWrite(s0, hx(ed25519KeyPair().publicKey), "notes")).toBe("the author is not a device of this team");
    expect(mayWrite(s0, hx(t.bob.device.publicKey), "nope")).toBe('no collection "nope"');
    t.log.add(t.dave, revoke(t.bob.device.publicKey));
    t.log.add(t.dave, removal(t.tom));
    const s = t.log.fold();
    expect(mayWrite(s, hx(t.bob.device.publicKey), "notes")).toBe("the author device was revoked or its user removed");
    expect(mayWrite(s, hx(t.tom.device.publicKey), "notes")).toBe("the author device was revoked or its user removed");
    expect(readerDevices(s, "notes").map((d) => d.user).sort()).toEqual([t.alice.id, t.dave.id, t.vera.id].sort());
    expect(readerDevices(s, "nope")).toEqual([]);
  });

  it("transport keys go only to active devices; a generation seen again gains holders", () => {
    const t = team();
    const tk = (n: number, to: Person[]): EntryBody => ({ type: "transport-key", key: key(n), to: sorted(to.map((p) => p.device.publicKey)), sealed: new Uint8Array([1]) });
    const g1 = t.log.add(t.dave, tk(1, [t.alice, t.dave]));
    t.log.add(t.alice, tk(1, [t.bob]));
    t.log.add(t.alice, tk(2, [t.alice]));
    const s = t.log.fold();
    expect(s.transport.map((g) => [g.id, g.entry, [...g.holders].sort()])).toEqual([
      [hx(key(1)), g1.hashHex, sorted([t.alice, t.dave, t.bob].map((p) => p.device.publicKey)).map(hx)],
      [hx(key(2)), s.transport[1]!.entry, [hx(t.alice.device.publicKey)]],
    ]);
    expect(s.transport[0]!.time).toBe(g1.time);
    t.log.add(t.dave, revoke(t.bob.device.publicKey));
    t.log.add(t.dave, removal(t.tom));
    for (const who of [t.bob, t.tom]) expect(verdict(t, t.dave, tk(3, [who])).reason).toMatch(/^seals the transport key to a device that is not active/);
    expect(verdict(t, t.dave, { type: "transport-key", key: key(3), to: [ed25519KeyPair().publicKey], sealed: new Uint8Array([1]) }).reason).toMatch(/^seals the transport key to a device that is not active/);
  });

  it("couriers: one per key and per name among the active; a retired key never returns; the enroller or an admin retires one", () => {
    const t = team();
    const k1 = x25519KeyPair().publicKey;
    const enrol = t.log.add(t.bob, { type: "courier", name: "relay", key: k1 });
    expect(verdict(t, t.tom, { type: "courier", name: "other", key: k1 }).reason).toBe("that courier is already enrolled");
    expect(verdict(t, t.tom, { type: "courier", name: "relay", key: x25519KeyPair().publicKey }).reason).toBe('a courier named "relay" is already enrolled');
    expect(verdict(t, t.tom, { type: "revoke-courier", key: k1 }).reason).toBe("only an admin or the member who enrolled a courier revokes it");
    expect(verdict(t, t.dave, { type: "revoke-courier", key: k1 }).reason).toBeUndefined();
    expect(verdict(t, t.dave, { type: "revoke-courier", key: x25519KeyPair().publicKey }).reason).toBe("revokes a courier that is not enrolled");
    const by = verdict(t, t.bob, { type: "revoke-courier", key: k1 });
    expect(by.reason).toBeUndefined();
    expect(by.state.couriers.get(hx(k1))).toMatchObject({ name: "relay", entry: enrol.hashHex, author: hx(t.bob.device.publicKey), time: enrol.time, revoked: by.entry.hashHex });
    t.log.add(t.bob, { type: "revoke-courier", key: k1 });
    expect(verdict(t, t.dave, { type: "revoke-courier", key: k1 }).reason).toBe("that courier is already revoked");
    expect(verdict(t, t.bob, { type: "courier", name: "relay2", key: k1 }).reason).toBe("that courier key was retired; a retired courier comes back only with a new key");
    // Its name is free again once it is retired.
    expect(verdict(t, t.tom, { type: "courier", name: "relay", key: x25519KeyPair().publicKey }).reason).toBeUndefined();
  });

  it("a courier retires with the member who enrolled it, and its name is then free", () => {
    const t = team();
    const k1 = x25519KeyPair().publicKey;
    t.log.add(t.tom, { type: "courier", name: "relay", key: k1 });
    expect(courierActive(t.log.fold(), t.log.fold().couriers.get(hx(k1))!)).toBe(true);
    t.log.add(t.dave, removal(t.tom));
    const s = t.log.fold();
    expect(s.couriers.get(hx(k1))!.revoked).toBeUndefined();
    expect(courierActive(s, s.couriers.get(hx(k1))!)).toBe(false);
    expect(verdict(t, t.bob, { type: "courier", name: "relay", key: x25519KeyPair().publicKey }).reason).toBeUndefined();
    // An admin still retires it for the record; a member who did not enrol it does not.
    expect(verdict(t, t.bob, { type: "revoke-courier", key: k1 }).reason).toBe("only an admin or the member who enrolled a courier revokes it");
    const u = team();
    const k2 = x25519KeyPair().publicKey;
    u.log.add(u.tom, { type: "courier", name: "relay", key: k2 });
    u.log.add(u.dave, revoke(u.tom.device.publicKey));
    const s2 = u.log.fold();
    expect(courierActive(s2, s2.couriers.get(hx(k2))!)).toBe(false);
  });
});

describe("key grants are judged one by one (docs/team-model.md, Keys are judged by the fold)", () => {
  const invalid = (s: TeamState, e: TeamEntry): string[] => s.invalidGrants.filter((g) => g.entry === e.hashHex).map((g) => g.reason);

  it("accepted grants record the keys in the order introduced and who holds each; an entry's grants of one collection are numbered", () => {
    const t = team();
    const c = t.log.fold().collections.get("notes")!;
    expect(c.keys.map((k) => k.id)).toEqual([hx(key(1))]);
    expect([...c.holders.get(hx(key(1)))!].sort()).toEqual([t.alice, t.dave, t.bob, t.vera, t.tom].map((p) => hx(p.device.publicKey)).sort());
    const r = verdict(t, t.dave, removal(t.tom, [], [grant("notes", [t.alice, t.dave], 2), grant("notes", [t.bob, t.vera], 2)]));
    expect(r.state.invalidGrants).toEqual([]);
    const notes = r.state.collections.get("notes")!;
    expect(notes.keys).toEqual([{ id: hx(key(1)), entry: notes.keys[0]!.entry }, { id: hx(key(2)), entry: r.entry.hashHex }]);
    expect([...notes.holders.get(hx(key(2)))!].sort()).toEqual([t.alice, t.dave, t.bob, t.vera].map((p) => hx(p.device.publicKey)).sort());
    expect(notes.grants.filter((g) => g.entry === r.entry.hashHex).map((g) => g.index)).toEqual([0, 1]);
  });

  it("the collection must exist, and a collection's own entry grants only its keys", () => {
    const t = team();
    const r = verdict(t, t.dave, { type: "grant", grants: [grant("nope", [t.bob], 1)] });
    expect(invalid(r.state, r.entry)).toEqual(['grants keys of unknown collection "nope"']);
    const c = verdict(t, t.dave, collection("plans", "viewer", "editor", [grant("notes", [t.dave], 1)]));
    expect(invalid(c.state, c.entry)).toEqual(["a new collection's entry grants keys of another collection"]);
    // The entry still applies: only the grant is dropped.
    expect(c.state.collections.has("plans")).toBe(true);
  });

  it("an author gives only keys it could read before the entry: a creator its own collection's, an admin not an owner-only one", () => {
    const t = team();
    const c = verdict(t, t.dave, collection("vault", "owner", "owner", [grant("vault", [t.dave], 5)]));
    expect(invalid(c.state, c.entry)).toEqual(["its author (a admin) could not read the collection it created"]);
    expect(c.state.collections.get("vault")!.keys).toEqual([]);
    t.log.add(t.alice, collection("vault", "owner", "owner", [grant("vault", [t.alice], 5)]));
    const g = verdict(t, t.dave, { type: "grant", grants: [grant("vault", [t.alice], 5)] });
    expect(invalid(g.state, g.entry)).toEqual(['its author (a admin) may not read "vault", so it may not hand out its keys']);
    const ok = verdict(t, t.alice, { type: "grant", grants: [grant("vault", [t.alice], 5)] });
    expect(invalid(ok.state, ok.entry)).toEqual([]);
    // A reader may pass it on: an admin of `notes` (read by all) hands out notes keys.
    const notes = verdict(t, t.dave, { type: "grant", grants: [grant("notes", [t.bob], 1)] });
    expect(invalid(notes.state, notes.entry)).toEqual([]);
  });

  it("every recipient must read the collection: not a viewer of an editors' collection, not a device this entry takes it from", () => {
    const t = team();
    t.log.add(t.alice, collection("plans", "editor", "editor", [grant("plans", [t.alice], 7)]));
    const v = verdict(t, t.dave, { type: "grant", grants: [grant("plans", [t.bob, t.vera], 7)] });
    expect(invalid(v.state, v.entry)).toEqual(['seals keys of "plans" to a device that may not read it']);
    expect(v.state.collections.get("plans")!.holders.get(hx(key(7)))).toEqual(new Set([hx(t.alice.device.publicKey)]));
    const x = verdict(t, t.dave, { type: "grant", grants: [grant("plans", [person("stranger")], 7)] });
    expect(invalid(x.state, x.entry)).toEqual(['seals keys of "plans" to a device that may not read it']);
    const rm = verdict(t, t.dave, removal(t.tom, [], [grant("notes", [t.dave, t.tom], 8)]));
    expect(invalid(rm.state, rm.entry)).toEqual(['seals keys of "notes" to a device this entry takes them from']);
    const demote = verdict(t, t.dave, setRole(t.bob, "viewer", [], [grant("plans", [t.alice, t.bob], 8)]));
    expect(invalid(demote.state, demote.entry)).toEqual(['seals keys of "plans" to a device this entry takes them from']);
  });

  it("only rotating entries introduce keys; a key of another collection is never passed on as this one's", () => {
    const t = team();
    t.log.add(t.alice, collection("plans", "viewer", "editor", [grant("plans", [t.alice], 7)]));
    const ed = person("ed");
    const m = verdict(t, t.dave, addMember(ed, "editor", [{ collection: "notes", to: [ed.device.publicKey], keys: [key(9)], sealed: new Uint8Array([1]) }]));
    expect(invalid(m.state, m.entry)).toEqual(['passes on a key of "notes" that no entry introduced (a add-member may only pass on existing keys)']);
    const d = verdict(t, t.dave, addDevice(t.tom, [{ collection: "notes", to: [t.alice.device.publicKey], keys: [key(9)], sealed: new Uint8Array([1]) }]));
    expect(invalid(d.state, d.entry)).toEqual(['passes on a key of "notes" that no entry introduced (a add-device may only pass on existing keys)']);
    const existing = verdict(t, t.dave, addMember(ed, "editor", [{ collection: "notes", to: [ed.device.publicKey], keys: [key(1)], sealed: new Uint8Array([1]) }]));
    expect(invalid(existing.state, existing.entry)).toEqual([]);
    const other = verdict(t, t.dave, { type: "grant", grants: [grant("notes", [t.bob], 7)] });
    expect(invalid(other.state, other.entry)).toEqual(['passes on a key of another collection as "notes"\'s']);
    for (const body of [
      { type: "grant", grants: [grant("notes", [t.bob], 9)] },
      revoke(t.tom.device.publicKey),
      { ...revoke(t.tom.device.publicKey), rekeys: [grant("notes", [t.alice], 9)] },
      removal(t.tom, [], [grant("notes", [t.alice], 9)]),
      setRole(t.tom, "viewer", [], [grant("notes", [t.alice], 9)]),
      { type: "set-policy", collection: "notes", read: "viewer", write: "editor", cutoffs: [], rekeys: [grant("notes", [t.alice], 9)] },
      { type: "compact", collection: "notes", frontier: [], rekeys: [grant("notes", [t.alice], 9)] },
    ] as EntryBody[]) {
      const r = verdict(t, t.alice, body);
      expect(r.reason, body.type).toBeUndefined();
      expect(r.state.invalidGrants, body.type).toEqual([]);
    }
  });

  it("a compaction's key is the one fresh key its entry introduced; without it the compaction is inert", () => {
    const t = team();
    const ok = verdict(t, t.alice, { type: "compact", collection: "notes", frontier: [{ device: t.bob.device.publicKey, seq: 3, id: new Uint8Array(32).fill(4) }], rekeys: [grant("notes", [t.alice, t.bob], 9)] });
    const c = ok.state.collections.get("notes")!.compactions;
    expect(c).toEqual([{ entry: ok.entry.hashHex, author: hx(t.alice.device.publicKey), frontier: new Map([[hx(t.bob.device.publicKey), { seq: 3, id: hx(new Uint8Array(32).fill(4)) }]]), key: hx(key(9)) }]);
    const none = verdict(t, t.alice, { type: "compact", collection: "notes", frontier: [], rekeys: [] });
    expect(none.state.collections.get("notes")!.compactions[0]!.key).toBeUndefined();
    const old = verdict(t, t.alice, { type: "compact", collection: "notes", frontier: [], rekeys: [grant("notes", [t.alice], 1)] });
    expect(old.state.collections.get("notes")!.compactions[0]!.key).toBeUndefined();
    const two = verdict(t, t.alice, { type: "compact", collection: "notes", frontier: [], rekeys: [grant("notes", [t.alice], 9, 10)] });
    expect(two.state.collections.get("notes")!.compactions[0]!.key).toBeUndefined();
  });

  it("a recipient who lost the right in a concurrent entry ordered first keeps the grant (an honest race)", () => {
    const t = team();
    const base = t.log.tip;
    const out = t.log.add(t.alice, setRole(t.vera, "viewer"), { keep: false }); // not a loss of notes: a viewer reads
    expect(out).toBeDefined();
    t.log.add(t.alice, collection("plans", "editor", "editor", [grant("plans", [t.alice, t.dave, t.bob, t.tom], 7)]));
    const p = t.log.tip;
    // alice demotes tom below plans' read level; dave, not knowing, seals plans' key to tom (a grant entry).
    const demote = t.log.add(t.alice, setRole(t.tom, "viewer"), { keep: false, parents: [p] });
    const give = t.log.add(t.dave, { type: "grant", grants: [grant("plans", [t.tom], 7)] }, { keep: false, parents: [p] });
    const s = t.log.fold(demote, give);
    expect(s.order.indexOf(demote.hashHex)).toBeLessThan(s.order.indexOf(give.hashHex)); // removals and demotions first
    expect(s.rejected.has(give.hashHex)).toBe(false);
    expect(s.invalidGrants).toEqual([]);
    // The same grant made after the demotion was seen is dropped.
    const late = t.log.add(t.dave, { type: "grant", grants: [grant("plans", [t.tom], 7)] }, { keep: false, parents: [demote.hash] });
    const s2 = t.log.fold(demote, late);
    expect(s2.invalidGrants.map((g) => g.reason)).toEqual(['seals keys of "plans" to a device that may not read it']);
    expect(base).toBeDefined();
  });
});

describe("order and concurrency (docs/team-model.md, the fold; I3, I4)", () => {
  it("an entry its author made without knowing its device was revoked is refused, even when the order applies it first", () => {
    const t = team();
    const p = t.log.tip;
    const x = t.log.add(t.dave, collection("plans", "viewer", "editor"), { keep: false, parents: [p] });
    const y = hashAfter(x, (time) => t.log.add(t.alice, { type: "courier", name: "relay", key: x25519KeyPair().publicKey }, { keep: false, parents: [p], time }));
    const loss = t.log.add(t.alice, revoke(t.dave.device.publicKey), { keep: false, parents: [y.hash] });
    const s = t.log.fold(x, y, loss);
    expect(s.rejected.get(x.hashHex)).toBe("made without knowing its author's device was revoked or its member removed (a concurrent entry)");
    expect(s.collections.has("plans")).toBe(false);
    expect(s.rejected.has(y.hashHex)).toBe(false);
    // What it made knowing of nothing later, and what the loss itself descends from, stand.
    const known = t.log.add(t.dave, collection("plans", "viewer", "editor"), { keep: false, parents: [p] });
    const loss2 = t.log.add(t.alice, revoke(t.dave.device.publicKey), { keep: false, parents: [known.hash] });
    const s2 = t.log.fold(known, loss2);
    expect(s2.rejected.size).toBe(0);
    expect(s2.collections.has("plans")).toBe(true);
  });

  it("after a demotion, a concurrent entry the new role forbids is refused and one it allows stands", () => {
    const t = team();
    const p = t.log.tip;
    const x = t.log.add(t.dave, collection("plans", "viewer", "editor"), { keep: false, parents: [p] });
    const c = t.log.add(t.dave, { type: "courier", name: "relay", key: x25519KeyPair().publicKey }, { keep: false, parents: [x.hash] });
    const y = hashAfter(x, (time) => t.log.add(t.alice, { type: "courier", name: "other", key: x25519KeyPair().publicKey }, { keep: false, parents: [p], time }));
    const loss = t.log.add(t.alice, setRole(t.dave, "editor"), { keep: false, parents: [y.hash] });
    const s = t.log.fold(x, c, y, loss);
    expect(s.rejected.get(x.hashHex)).toBe("made without knowing its author was demoted: only admins make collection changes");
    expect(s.rejected.has(c.hashHex)).toBe(false);
    expect(s.users.get(t.dave.id)!.role).toBe("editor");
    expect(s.couriers.size).toBe(2);
  });

  it("a critical change that took effect alone, concurrent with a threshold above 1, is refused; a non-critical one stands", () => {
    const t = team();
    const p = t.log.tip;
    const x = t.log.add(t.dave, removal(t.tom), { keep: false, parents: [p] });
    const n = t.log.add(t.dave, collection("plans", "viewer", "editor"), { keep: false, parents: [p] });
    const k = hashAfter(x, (time) => t.log.add(t.alice, { type: "set-approvals", k: 2 }, { keep: false, parents: [p], time }));
    // A removal goes first among concurrent entries, so it took effect alone at k = 1.
    const s = t.log.fold(x, n, k);
    expect(s.order.indexOf(x.hashHex)).toBeLessThan(s.order.indexOf(k.hashHex));
    expect(s.rejected.get(x.hashHex)).toBe("a critical change made alone, concurrent with a threshold that requires approvals; propose it again");
    expect(s.users.get(t.tom.id)!.active).toBe(true);
    // The same for a change the order puts first by its hash: a policy change.
    const pol = t.log.add(t.dave, { type: "set-policy", collection: "notes", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] }, { keep: false, parents: [p] });
    const k2 = hashAfter(pol, (time) => t.log.add(t.alice, { type: "set-approvals", k: 2 }, { keep: false, parents: [p], time }));
    const s2 = t.log.fold(pol, n, k2);
    expect(s2.rejected.get(pol.hashHex)).toBe("a critical change made alone, concurrent with a threshold that requires approvals; propose it again");
    expect(s2.collections.get("notes")!.write).toBe("editor");
    expect(s2.rejected.has(n.hashHex)).toBe(false);
    expect(s2.rejected.has(k2.hashHex)).toBe(false);
    expect(s2.approvalsSet).toBe(2);
    // The same change made knowing the threshold waits for approval instead.
    const after = t.log.add(t.dave, { type: "set-policy", collection: "notes", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] }, { keep: false, parents: [k2.hash] });
    expect(t.log.fold(k2, after).proposals.has(after.hashHex)).toBe(true);
    // A concurrent threshold of 1 changes nothing.
    const one = hashAfter(pol, (time) => t.log.add(t.alice, { type: "set-approvals", k: 1 }, { keep: false, parents: [p], time }));
    expect(t.log.fold(pol, one).rejected.size).toBe(0);
  });

  it("one concurrent threshold above 1 is enough: an earlier one, lowered since, does not excuse a critical change made alone beside it", () => {
    const t = team();
    t.log.add(t.alice, { type: "set-approvals", k: 2 }); // alone at k = 1: a threshold the removal below descends from
    const down = t.log.add(t.dave, { type: "set-approvals", k: 1 });
    t.log.approve(t.alice, down);
    const q = t.log.tip;
    const x = t.log.add(t.dave, removal(t.tom), { keep: false, parents: [q] });
    // Known to the removal, the earlier threshold alone changes nothing: it took effect alone at k = 1.
    const known = t.log.fold(x);
    expect(known.approvalsSet).toBe(1);
    expect(known.effective.get(x.hashHex)).toBe(x.hashHex);
    expect(known.rejected.has(x.hashHex)).toBe(false);
    // With a second threshold made concurrently, the removal is refused: one concurrent threshold is enough.
    const k = t.log.add(t.alice, { type: "set-approvals", k: 2 }, { keep: false, parents: [q] });
    const s = t.log.fold(x, k);
    expect(s.order.indexOf(x.hashHex)).toBeLessThan(s.order.indexOf(k.hashHex));
    expect(s.rejected.get(x.hashHex)).toBe("a critical change made alone, concurrent with a threshold that requires approvals; propose it again");
    expect(s.users.get(t.tom.id)!.active).toBe(true);
    expect(s.approvalsSet).toBe(2);
  });

  it("removals and demotions go first among concurrent entries, whatever their hashes", () => {
    const t = team();
    const p = t.log.tip;
    for (const body of [removal(t.dave), setRole(t.dave, "editor"), revoke(t.dave.device.publicKey)]) {
      const loss = t.log.add(t.alice, body, { keep: false, parents: [p] });
      const add = hashBefore(loss, (time) => t.log.add(t.dave, addMember(person("ed"), "editor"), { keep: false, parents: [p], time }));
      const s = t.log.fold(add, loss);
      expect(s.order.indexOf(loss.hashHex), body.type).toBeLessThan(s.order.indexOf(add.hashHex));
      expect(s.rejected.has(add.hashHex), body.type).toBe(true);
      expect(s.users.size).toBe(5);
    }
    // Without a loss the smaller hash goes first.
    const a = t.log.add(t.alice, { type: "courier", name: "a", key: x25519KeyPair().publicKey }, { keep: false, parents: [p] });
    const b = hashBefore(a, (time) => t.log.add(t.dave, { type: "courier", name: "b", key: x25519KeyPair().publicKey }, { keep: false, parents: [p], time }));
    const s = t.log.fold(a, b);
    expect(s.order.indexOf(b.hashHex)).toBeLessThan(s.order.indexOf(a.hashHex));
  });

  it("two admins removing each other at the same time: the smaller hash applies, the other is refused", () => {
    const t = team();
    const p = t.log.tip;
    const ada = person("ada", 99);
    t.log.admit(t.alice, ada, "admin");
    const q = t.log.tip;
    const x = t.log.add(t.dave, removal(ada), { keep: false, parents: [q] });
    const y = t.log.add(ada, removal(t.dave), { keep: false, parents: [q] });
    const s = t.log.fold(x, y);
    const [first, second] = x.hashHex < y.hashHex ? [x, y] : [y, x];
    expect(s.rejected.has(first.hashHex)).toBe(false);
    expect(s.rejected.get(second.hashHex)).toBe("signed by a revoked or removed device");
    expect([...s.users.values()].filter((u) => !u.active)).toHaveLength(1);
    expect(p).toBeDefined();
  });

  it("an entry of another team is refused as such; an entry whose parent is missing waits; heads are the entries nothing names", () => {
    const t = team();
    const other = new Log(t.alice, "Other office");
    const foreign = other.add(t.alice, { type: "courier", name: "relay", key: x25519KeyPair().publicKey });
    const missing = t.log.add(t.alice, { type: "courier", name: "relay", key: x25519KeyPair().publicKey }, { keep: false, parents: [new Uint8Array(32).fill(9)] });
    const side = t.log.add(person("stranger"), { type: "courier", name: "side", key: x25519KeyPair().publicKey }, { keep: false, parents: [t.log.genesis.hash] });
    const all = new Map(t.log.entries).set(foreign.hashHex, foreign).set(missing.hashHex, missing).set(side.hashHex, side);
    const s = foldTeam(t.log.genesis.hashHex, all);
    expect(s.rejected.get(foreign.hashHex)).toBe("belongs to another team");
    expect(s.order).not.toContain(foreign.hashHex);
    expect(s.waiting).toEqual([missing.hashHex]);
    expect(s.order).not.toContain(missing.hashHex);
    // A stranger's entry on the genesis is refused, but it is still a head: nothing names it.
    expect(s.rejected.get(side.hashHex)).toBe("signed by a key that is not a device of this team");
    expect(s.heads).toEqual([t.log.tip, side.hash].map(hx).sort());
    expect(s.order[0]).toBe(t.log.genesis.hashHex);
    expect(s.name).toBe("Field office");
    expect(s.teamHex).toBe(t.log.genesis.hashHex);
  });

  it("the state at a causal position is the fold of that position's ancestors only", () => {
    const t = team();
    const p = t.log.tip;
    const later = t.log.add(t.dave, removal(t.tom));
    const within = ancestors(t.log.entries, [hx(p)])!;
    expect(within.has(later.hashHex)).toBe(false);
    expect(within.has(hx(p))).toBe(true);
    expect(within.has(t.log.genesis.hashHex)).toBe(true);
    const at = foldTeam(t.log.genesis.hashHex, t.log.entries, within);
    expect(at.users.get(t.tom.id)!.active).toBe(true);
    expect(at.order).not.toContain(later.hashHex);
    expect(at.waiting).toEqual([]);
    expect(t.log.fold().users.get(t.tom.id)!.active).toBe(false);
    expect(ancestors(t.log.entries, [hx(new Uint8Array(32).fill(3))])).toBeUndefined();
  });

  it("a log without its genesis, or with a genesis its own device did not sign, is not a team", () => {
    const t = team();
    const rest = new Map(t.log.entries);
    rest.delete(t.log.genesis.hashHex);
    expect(() => foldTeam(t.log.genesis.hashHex, rest)).toThrow(/genesis entry is missing/);
    const notGenesis = [...t.log.entries.values()][1]!;
    expect(() => foldTeam(notGenesis.hashHex, t.log.entries)).toThrow(/genesis entry is missing/);
    const mallory = person("mallory");
    const forged = signEntry(mallory.device, { team: undefined, parents: [], time: 1, body: { type: "genesis", name: "F", user: t.alice.user, userName: "alice", device: t.alice.keys } });
    expect(() => foldTeam(forged.hashHex, new Map([[forged.hashHex, forged]]))).toThrow(/not signed by the device it certifies/);
    const uncertified = signEntry(mallory.device, { team: undefined, parents: [], time: 1, body: { type: "genesis", name: "F", user: t.alice.user, userName: "alice", device: certifyDevice(mallory.identity, mallory.device.publicKey, mallory.keys.enc) } });
    expect(() => foldTeam(uncertified.hashHex, new Map([[uncertified.hashHex, uncertified]]))).toThrow(/not signed by the device it certifies/);
  });
});

describe("recovery sets and enrolment, folded by hand (docs/team-model.md, Recovery enrolment)", () => {
  function recovery(t: Team, who: Person, n: number): { body: EntryBody; recoveryKey: ReturnType<typeof ed25519KeyPair>; set: Uint8Array } {
    const recoveryKey = ed25519KeyPair();
    const set = new Uint8Array(16).fill(n);
    const fields = { set, threshold: 2, key: recoveryKey.publicKey, shares: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)] };
    const sig = ed25519Sign(who.identity.secretKey, recoverySetMessage(t.log.genesis.hash, who.user, fields));
    return { body: { type: "recovery-set", ...fields, sealed: [new Uint8Array([1]), new Uint8Array([2])], sig }, recoveryKey, set };
  }
  function enrol(t: Team, who: Person, r: { recoveryKey: ReturnType<typeof ed25519KeyPair>; set: Uint8Array }, parents: Uint8Array[], cutoffs?: { device: Uint8Array; seq: number }[]): { e: TeamEntry; device: Uint8Array } {
    const device = ed25519KeyPair();
    const keys = certifyDevice(who.identity, device.publicKey, x25519KeyPair().publicKey);
    const sig = ed25519Sign(r.recoveryKey.secretKey, recoveryEnrolMessage(t.log.genesis.hash, r.set, keys));
    const e = signEntry(device, { team: t.log.genesis.hash, parents, time: 50, body: { type: "add-device", user: who.user, device: keys, grants: [], recovery: { set: r.set, sig, ...(cutoffs === undefined ? {} : { cutoffs }) } } });
    return { e, device: device.publicKey };
  }

  it("any member makes a set for themselves, signed by their identity; a newer one supersedes it; an id is used once per member", () => {
    const t = team();
    const r1 = recovery(t, t.vera, 1);
    const e1 = t.log.add(t.vera, r1.body);
    let s = t.log.fold();
    expect(s.recoverySets.get(recoverySetKey(t.vera.id, r1.set))).toMatchObject({ id: hx(r1.set), user: t.vera.id, entry: e1.hashHex, threshold: 2, superseded: false, spent: undefined });
    expect(verdict(t, t.vera, recovery(t, t.vera, 1).body).reason).toBe("that recovery set id is already used");
    const bobs = recovery(t, t.vera, 3);
    expect(verdict(t, t.bob, bobs.body).reason).toBe("the recovery set is not signed by its member's identity key");
    // Another member may use the same id: sets are keyed by member.
    expect(verdict(t, t.bob, recovery(t, t.bob, 1).body).reason).toBeUndefined();
    t.log.add(t.vera, recovery(t, t.vera, 2).body);
    s = t.log.fold();
    expect(s.recoverySets.get(recoverySetKey(t.vera.id, r1.set))!.superseded).toBe(true);
    expect(s.recoverySets.get(recoverySetKey(t.vera.id, new Uint8Array(16).fill(2)))!.superseded).toBe(false);
  });

  it("an enrolment with the newest set's recovery key adds the device, revokes the member's devices it knows at their cutoffs, and spends the set", () => {
    const t = team();
    const second = newDevice(t.vera);
    t.log.add(t.vera, { type: "add-device", user: t.vera.user, device: second.keys, grants: [] });
    const r = recovery(t, t.vera, 1);
    t.log.add(t.vera, r.body);
    const { e, device } = enrol(t, t.vera, r, [t.log.tip], [{ device: t.vera.device.publicKey, seq: 6 }]);
    const s = t.log.fold(e);
    expect(s.rejected.get(e.hashHex)).toBeUndefined();
    expect(s.devices.get(hx(device))).toMatchObject({ user: t.vera.id, active: true });
    expect(s.devices.get(hx(t.vera.device.publicKey))).toMatchObject({ active: false, cutoff: 6, losses: [{ entry: e.hashHex, seq: 6 }] });
    expect(s.devices.get(hx(second.device.publicKey))).toMatchObject({ active: false, cutoff: 0, losses: [{ entry: e.hashHex, seq: 0 }] });
    expect(s.devices.get(hx(t.bob.device.publicKey))!.active).toBe(true);
    expect(s.recoverySets.get(recoverySetKey(t.vera.id, r.set))!.spent).toBe(e.hashHex);
    expect(s.users.get(t.vera.id)).toMatchObject({ active: true, role: "viewer" });
    // The set enrols one device.
    const again = enrol(t, t.vera, r, [e.hash]);
    expect(t.log.fold(e, again.e).rejected.get(again.e.hashHex)).toBe("names a recovery set that already enrolled a device (each set enrols one)");
  });

  it("an enrolment is refused without the recovery key, with a replaced or unknown set, for a non-member, or signed by another device", () => {
    const t = team();
    const r1 = recovery(t, t.vera, 1);
    const beforeSet = t.log.tip;
    const setEntry = t.log.add(t.vera, r1.body);
    const wrongKey = enrol(t, t.vera, { recoveryKey: ed25519KeyPair(), set: r1.set }, [t.log.tip]);
    expect(t.log.fold(wrongKey.e).rejected.get(wrongKey.e.hashHex)).toBe("the recovery signature does not verify (the set's shares were not combined)");
    const unknown = enrol(t, t.vera, { recoveryKey: r1.recoveryKey, set: new Uint8Array(16).fill(9) }, [t.log.tip]);
    expect(t.log.fold(unknown.e).rejected.get(unknown.e.hashHex)).toBe("names a recovery set this team does not know");
    const bobsClaim = enrol(t, t.bob, r1, [t.log.tip]);
    expect(t.log.fold(bobsClaim.e).rejected.get(bobsClaim.e.hashHex)).toBe("names another member's recovery set");
    // Concurrent with the set, and ordered after it: the set is known but not in the enrolment's past.
    let before = enrol(t, t.vera, r1, [beforeSet]);
    while (before.e.hashHex < setEntry.hashHex) before = enrol(t, t.vera, r1, [beforeSet]);
    expect(t.log.fold(before.e).rejected.get(before.e.hashHex)).toBe("names a recovery set it does not descend from");
    const r2 = recovery(t, t.vera, 2);
    t.log.add(t.vera, r2.body);
    const replaced = enrol(t, t.vera, r1, [t.log.tip]);
    expect(t.log.fold(replaced.e).rejected.get(replaced.e.hashHex)).toBe("names a recovery set its member replaced with a newer one");
    const ghost = person("ghost");
    const notMember = enrol(t, ghost, r2, [t.log.tip]);
    expect(t.log.fold(notMember.e).rejected.get(notMember.e.hashHex)).toBe("a recovery enrolment for someone who is not a member");
    // Certified by another member's identity.
    const device = ed25519KeyPair();
    const keys = certifyDevice(t.bob.identity, device.publicKey, x25519KeyPair().publicKey);
    const forged = signEntry(device, { team: t.log.genesis.hash, parents: [t.log.tip], time: 50, body: { type: "add-device", user: t.vera.user, device: keys, grants: [], recovery: { set: r2.set, sig: ed25519Sign(r2.recoveryKey.secretKey, recoveryEnrolMessage(t.log.genesis.hash, r2.set, keys)) } } });
    expect(t.log.fold(forged).rejected.get(forged.hashHex)).toBe("the device certificate does not verify under the member's identity");
    // Signed by a key that is not the device it enrols.
    const other = ed25519KeyPair();
    const good = enrol(t, t.vera, r2, [t.log.tip]);
    const body = good.e.body;
    const bySomeoneElse = signEntry(other, { team: t.log.genesis.hash, parents: [t.log.tip], time: 50, body });
    expect(t.log.fold(bySomeoneElse).rejected.get(bySomeoneElse.hashHex)).toBe("a recovery enrolment is signed by the device it enrols");
    // A member's own device adding a device with a proof: the proof belongs only in the self-signed enrolment.
    const byVera = t.log.add(t.vera, body, { keep: false });
    expect(t.log.fold(byVera).rejected.get(byVera.hashHex)).toBe("a recovery proof only in the enrolment the recovered device signs itself");
    // Without a proof, an unknown key is just not a device of this team.
    const plain = signEntry(other, { team: t.log.genesis.hash, parents: [t.log.tip], time: 50, body: { type: "add-device", user: t.vera.user, device: certifyDevice(t.vera.identity, other.publicKey, x25519KeyPair().publicKey), grants: [] } });
    expect(t.log.fold(plain).rejected.get(plain.hashHex)).toBe("signed by a key that is not a device of this team");
  });

  it("an enrolment is critical: with two approvals required it waits, and its own signature is no admin's approval", () => {
    const t = team();
    const r = recovery(t, t.vera, 1);
    t.log.add(t.vera, r.body);
    t.log.add(t.alice, { type: "set-approvals", k: 2 });
    const { e, device } = enrol(t, t.vera, r, [t.log.tip]);
    const s = t.log.fold(e);
    expect(s.proposals.get(e.hashHex)!.approvers).toEqual(new Set());
    const a1 = t.log.add(t.alice, { type: "approve", proposal: e.hash }, { keep: false, parents: [e.hash] });
    expect(t.log.fold(e, a1).devices.has(hx(device))).toBe(false);
    const a2 = t.log.add(t.dave, { type: "approve", proposal: e.hash }, { keep: false, parents: [a1.hash] });
    const s2 = t.log.fold(e, a1, a2);
    expect(s2.devices.get(hx(device))!.active).toBe(true);
    expect(s2.effective.get(e.hashHex)).toBe(a2.hashHex);
    // An enrolment's grants may bring fresh keys (it revokes the lost devices): they are accepted.
    const u = team();
    const ru = recovery(u, u.vera, 1);
    u.log.add(u.vera, ru.body);
    const dev = ed25519KeyPair();
    const keys = certifyDevice(u.vera.identity, dev.publicKey, x25519KeyPair().publicKey);
    const withKey = signEntry(dev, { team: u.log.genesis.hash, parents: [u.log.tip], time: 50, body: { type: "add-device", user: u.vera.user, device: keys, grants: [{ collection: "notes", to: [dev.publicKey], keys: [key(9)], sealed: new Uint8Array([1]) }], recovery: { set: ru.set, sig: ed25519Sign(ru.recoveryKey.secretKey, recoveryEnrolMessage(u.log.genesis.hash, ru.set, keys)) } } });
    const su = u.log.fold(withKey);
    expect(su.rejected.has(withKey.hashHex)).toBe(false);
    expect(su.invalidGrants).toEqual([]);
    expect(su.collections.get("notes")!.keys.map((k) => k.id)).toEqual([hx(key(1)), hx(key(9))]);
  });

  it("a device of the member already revoked keeps its cutoff and only gains the loss; another member's sets are not superseded", () => {
    const t = team();
    const second = newDevice(t.vera);
    t.log.add(t.vera, { type: "add-device", user: t.vera.user, device: second.keys, grants: [] });
    const r0 = t.log.add(t.vera, revoke(second.device.publicKey, 3));
    const bobs = recovery(t, t.bob, 5);
    t.log.add(t.bob, bobs.body);
    const r = recovery(t, t.vera, 1);
    t.log.add(t.vera, r.body);
    const { e } = enrol(t, t.vera, r, [t.log.tip], [{ device: second.device.publicKey, seq: 9 }]);
    const s = t.log.fold(e);
    expect(s.rejected.has(e.hashHex)).toBe(false);
    expect(s.devices.get(hx(second.device.publicKey))).toMatchObject({ active: false, cutoff: 3, losses: [{ entry: r0.hashHex, seq: 3 }, { entry: e.hashHex, seq: 3 }] });
    expect(s.devices.get(hx(t.vera.device.publicKey))).toMatchObject({ active: false, cutoff: 0 });
    expect(s.recoverySets.get(recoverySetKey(t.bob.id, bobs.set))!.superseded).toBe(false);
    expect(s.devices.get(hx(t.bob.device.publicKey))!.losses).toEqual([]);
  });
});

describe("more of the fold's edges", () => {
  it("a grant is judged by what its author could read before the entry: raising a collection's read level above the author still rotates its key", () => {
    const t = team();
    const r = verdict(t, t.dave, { type: "set-policy", collection: "notes", read: "owner", write: "owner", cutoffs: [], rekeys: [grant("notes", [t.alice], 9)] });
    expect(r.reason).toBeUndefined();
    expect(r.state.invalidGrants).toEqual([]);
    expect(r.state.collections.get("notes")!.keys.map((k) => k.id)).toEqual([hx(key(1)), hx(key(9))]);
    // Lowering it does not let a non-reader hand out keys it could not hold before.
    t.log.add(t.alice, collection("vault", "owner", "owner", [grant("vault", [t.alice], 5)]));
    const low = verdict(t, t.dave, { type: "set-policy", collection: "vault", read: "admin", write: "admin", cutoffs: [], rekeys: [grant("vault", [t.alice, t.dave], 6)] });
    expect(low.reason).toBeUndefined();
    expect(low.state.invalidGrants.map((g) => g.reason)).toEqual(['its author (a admin) may not read "vault", so it may not hand out its keys']);
  });

  it("members already removed lose nothing more to a raised write level, and are not counted as admins", () => {
    const t = team();
    t.log.add(t.dave, removal(t.tom));
    t.log.add(t.alice, removal(t.dave));
    const p = verdict(t, t.alice, { type: "set-policy", collection: "notes", read: "viewer", write: "owner", cutoffs: [], rekeys: [] });
    expect(p.state.devices.get(hx(t.tom.device.publicKey))!.losses).toHaveLength(1);
    expect(p.state.devices.get(hx(t.dave.device.publicKey))!.losses).toHaveLength(1);
    expect(p.state.devices.get(hx(t.bob.device.publicKey))!.losses).toEqual([{ entry: p.entry.hashHex, seq: 0 }]);
    expect(activeAdmins(p.state)).toBe(1);
    expect(verdict(t, t.alice, { type: "set-approvals", k: 2 }).reason).toBe("asks for 2 approvals but the team has 1 active admins");
  });

  it("a refused entry changes nothing: not the users, devices, collections, couriers or proposals", () => {
    const t = team();
    const snapshot = (s: TeamState): string => JSON.stringify({ u: [...s.users.values()], d: [...s.devices.values()].map((d) => [d.id, d.active, d.cutoff, d.losses]), c: [...s.collections.values()].map((c) => [c.id, c.read, c.write, c.keys]), k: [...s.couriers.keys()], p: [...s.proposals.keys()], a: s.approvalsSet });
    const before = snapshot(t.log.fold());
    for (const [by, body] of [
      [t.bob, removal(t.tom)],
      [t.dave, removal(t.alice)],
      [t.vera, collection("plans", "viewer", "editor")],
      [t.bob, { type: "set-approvals", k: 2 }],
      [t.dave, { type: "set-policy", collection: "nope", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] }],
      [t.dave, setRole(t.alice, "viewer")],
    ] as [Person, EntryBody][]) {
      const r = verdict(t, by, body);
      expect(r.reason, body.type).toBeDefined();
      expect(snapshot(r.state), body.type).toBe(before);
    }
  });
});

describe("edges the first mutation run left open", () => {
  function recoveryOf(t: Team, who: Person, n: number): { body: EntryBody; recoveryKey: ReturnType<typeof ed25519KeyPair>; set: Uint8Array } {
    const recoveryKey = ed25519KeyPair();
    const set = new Uint8Array(16).fill(n);
    const fields = { set, threshold: 2, key: recoveryKey.publicKey, shares: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)] };
    const sig = ed25519Sign(who.identity.secretKey, recoverySetMessage(t.log.genesis.hash, who.user, fields));
    return { body: { type: "recovery-set", ...fields, sealed: [new Uint8Array([1]), new Uint8Array([2])], sig }, recoveryKey, set };
  }
  function enrolment(t: Team, who: Person, r: { recoveryKey: ReturnType<typeof ed25519KeyPair>; set: Uint8Array }, parents: Uint8Array[]): { e: TeamEntry; device: Uint8Array } {
    const device = ed25519KeyPair();
    const keys = certifyDevice(who.identity, device.publicKey, x25519KeyPair().publicKey);
    const sig = ed25519Sign(r.recoveryKey.secretKey, recoveryEnrolMessage(t.log.genesis.hash, r.set, keys));
    return { e: signEntry(device, { team: t.log.genesis.hash, parents, time: 50, body: { type: "add-device", user: who.user, device: keys, grants: [], recovery: { set: r.set, sig } } }), device: device.publicKey };
  }

  it("a recovery set is found by its id as hex or as bytes; an unknown id in a team without sets is unknown", () => {
    const t = team();
    const r = recoveryOf(t, t.vera, 1);
    const none = enrolment(t, t.vera, r, [t.log.tip]);
    expect(t.log.fold(none.e).rejected.get(none.e.hashHex)).toBe("names a recovery set this team does not know");
    t.log.add(t.vera, r.body);
    const s = t.log.fold();
    expect(recoverySetKey(t.vera.id, hx(r.set))).toBe(recoverySetKey(t.vera.id, r.set));
    expect(recoverySetKey(t.vera.id, r.set)).toBe(`${t.vera.id}:${hx(r.set)}`);
    expect(s.recoverySets.get(recoverySetKey(t.vera.id, hx(r.set)))!.user).toBe(t.vera.id);
  });

  it("the newest set is the member's own: another member's later set does not replace it", () => {
    const t = team();
    const r = recoveryOf(t, t.vera, 1);
    t.log.add(t.vera, r.body);
    t.log.add(t.bob, recoveryOf(t, t.bob, 2).body);
    const { e } = enrolment(t, t.vera, r, [t.log.tip]);
    expect(t.log.fold(e).rejected.has(e.hashHex)).toBe(false);
  });

  it("the creator's enrolment revokes the genesis device; a device an admin added concurrently is not the enrolment's to revoke", () => {
    const t = team();
    const r = recoveryOf(t, t.alice, 1);
    t.log.add(t.alice, r.body);
    const { e } = enrolment(t, t.alice, r, [t.log.tip]);
    const s = t.log.fold(e);
    expect(s.rejected.has(e.hashHex)).toBe(false);
    expect(s.devices.get(hx(t.alice.device.publicKey))).toMatchObject({ active: false, cutoff: 0 });
    const u = team();
    const rv = recoveryOf(u, u.vera, 1);
    u.log.add(u.vera, rv.body);
    const p = u.log.tip;
    const { e: ev } = enrolment(u, u.vera, rv, [p]);
    const extra = newDevice(u.vera);
    const byDave = hashBefore(ev, (time) => u.log.add(u.dave, { type: "add-device", user: u.vera.user, device: extra.keys, grants: [] }, { keep: false, parents: [p], time }));
    const sv = u.log.fold(ev, byDave);
    expect(sv.order.indexOf(byDave.hashHex)).toBeLessThan(sv.order.indexOf(ev.hashHex));
    expect(sv.rejected.has(ev.hashHex)).toBe(false);
    expect(sv.devices.get(hx(extra.device.publicKey))!.active).toBe(true);
    expect(sv.devices.get(hx(u.vera.device.publicKey))!.active).toBe(false);
  });

  it("another team's genesis among the entries is refused as another team's; a merge is applied once, after both parents", () => {
    const t = team();
    const other = new Log(t.bob, "Other office");
    const p = t.log.tip;
    const a = t.log.add(t.alice, { type: "courier", name: "a", key: x25519KeyPair().publicKey }, { keep: false, parents: [p] });
    const b = t.log.add(t.dave, { type: "courier", name: "b", key: x25519KeyPair().publicKey }, { keep: false, parents: [p] });
    const merge = t.log.add(t.alice, { type: "courier", name: "c", key: x25519KeyPair().publicKey }, { keep: false, parents: sorted([a.hash, b.hash]) });
    const all = new Map(t.log.entries).set(other.genesis.hashHex, other.genesis).set(a.hashHex, a).set(b.hashHex, b).set(merge.hashHex, merge);
    const s = foldTeam(t.log.genesis.hashHex, all);
    expect(s.rejected.get(other.genesis.hashHex)).toBe("belongs to another team");
    expect(s.order.filter((h) => h === merge.hashHex)).toHaveLength(1);
    expect(s.order.indexOf(merge.hashHex)).toBeGreaterThan(Math.max(s.order.indexOf(a.hashHex), s.order.indexOf(b.hashHex)));
    expect(s.order).toHaveLength(t.log.entries.size + 3);
    expect(s.heads).toEqual([merge.hashHex]);
  });

  it("heads are sorted by hash, not by the order entries were applied", () => {
    const t = team();
    const p = t.log.tip;
    const loss = t.log.add(t.alice, revoke(t.tom.device.publicKey), { keep: false, parents: [p] });
    const small = hashBefore(loss, (time) => t.log.add(t.dave, { type: "courier", name: "a", key: x25519KeyPair().publicKey }, { keep: false, parents: [p], time }));
    const s = t.log.fold(loss, small);
    expect(s.order.indexOf(loss.hashHex)).toBeLessThan(s.order.indexOf(small.hashHex));
    expect(s.heads).toEqual([small.hashHex, loss.hashHex]);
  });

  it("an entry whose effect is refused never becomes effective", () => {
    const t = team();
    for (const body of [removal(person("ghost")), collection("notes", "viewer", "editor"), revoke(ed25519KeyPair().publicKey)]) {
      const r = verdict(t, t.dave, body);
      expect(r.reason, body.type).toBeDefined();
      expect(r.state.effective.has(r.entry.hashHex), body.type).toBe(false);
    }
  });

  it("a revocation's rekeys introduce a fresh key", () => {
    const t = team();
    const r = verdict(t, t.dave, { type: "revoke-device", device: t.tom.device.publicKey, cutoff: 0, rekeys: [grant("notes", [t.alice, t.dave], 9)] });
    expect(r.state.collections.get("notes")!.keys.map((k) => k.id)).toEqual([hx(key(1)), hx(key(9))]);
  });

  it("a grant naming a collection created concurrently: a recipient who does not read it now is refused, not thrown at", () => {
    const t = team();
    const p = t.log.tip;
    const made = t.log.add(t.alice, collection("plans", "editor", "editor", [grant("plans", [t.alice], 7)]), { keep: false, parents: [p] });
    const give = hashAfter(made, (time) => t.log.add(t.dave, { type: "grant", grants: [grant("plans", [t.vera], 8)] }, { keep: false, parents: [p], time }));
    const s = t.log.fold(made, give);
    expect(s.invalidGrants.map((g) => g.reason)).toEqual(['seals keys of "plans" to a device that may not read it']);
  });

  it("an owner revokes another owner's device; an admin re-adds a removed owner with a lower role", () => {
    const t = team();
    const olga = person("olga", 95);
    t.log.admit(t.alice, olga, "owner");
    expect(verdict(t, t.alice, revoke(olga.device.publicKey)).reason).toBeUndefined();
    t.log.add(t.alice, removal(olga));
    const again = newDevice(olga);
    const back = verdict(t, t.dave, { type: "add-member", user: olga.user, userName: "olga", role: "editor", device: again.keys, grants: [] });
    expect(back.reason).toBeUndefined();
    expect(back.state.users.get(olga.id)).toMatchObject({ role: "editor", active: true });
  });

  it("a member revoking a courier nobody enrolled is refused for the right, not thrown at", () => {
    const t = team();
    expect(verdict(t, t.bob, { type: "revoke-courier", key: x25519KeyPair().publicKey }).reason).toBe("only an admin or the member who enrolled a courier revokes it");
  });

  it("a critical change that took effect with its approvals stands beside a concurrent threshold", () => {
    const t = team();
    const ada = person("ada", 99);
    t.log.admit(t.alice, ada, "admin");
    t.log.add(t.alice, { type: "set-approvals", k: 2 });
    const q = t.log.tip;
    const p = t.log.add(t.dave, removal(t.tom), { keep: false, parents: [q] });
    const a = t.log.add(t.alice, { type: "approve", proposal: p.hash }, { keep: false, parents: [p.hash] });
    const k = t.log.add(ada, { type: "set-approvals", k: 2 }, { keep: false, parents: [q] });
    const ak = t.log.add(t.alice, { type: "approve", proposal: k.hash }, { keep: false, parents: [k.hash] });
    const s = t.log.fold(p, a, k, ak);
    expect(s.effective.get(k.hashHex)).toBe(ak.hashHex);
    expect(s.effective.get(p.hashHex)).toBe(a.hashHex);
    expect(s.rejected.has(p.hashHex)).toBe(false);
    expect(s.users.get(t.tom.id)!.active).toBe(false);
  });
});
