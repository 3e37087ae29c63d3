/**
 * Shared spaces between organizations, end to end through real vaults and sealed bundles
 * (docs/spaces.md, "Shared spaces between organizations"; docs/team-model.md I14-I16). Acme:
 * alice (creator, owner), adam (admin), ann (editor); Birch: bea (its first admin, invited by
 * alice), ben (admin) and bob (editor), both admitted by bea. A modified client
 * (test-support/hostile.ts) plays Acme's admin reaching into Birch; the honest vault API shows
 * what a person at the command line meets.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fromHex } from "@airlock/bundle-format";
import { HostileMember } from "../../test-support/hostile.js";
import { importInto, newVault, sync, tempRoots, TestClock, settle } from "../../test-support/vaults.js";
import { thrownAirlockError } from "../../test-support/errors.js";
import type { TeamState } from "../team/state.js";
import { exportBundles } from "./sync.js";
import { addMember, findOrg, initShared, orgViews, proposalOrgs } from "./orgs.js";
import type { Vault } from "./vault.js";

const roots = tempRoots("airlock-orgs-");
const open: Vault[] = [];
afterEach(() => {
  for (const v of open.splice(0)) v.close();
});

const membership = (s: TeamState): string => JSON.stringify([...s.users.values()].map((u) => [u.name, u.role, u.active, u.org]).sort());
const userId = (v: Vault): Uint8Array => fromHex(v.me().user.id);



async function sharedSpace(): Promise<{ alice: Vault; adam: Vault; ann: Vault; bea: Vault; ben: Vault; bob: Vault; all: Vault[] }> {
  const r = roots();
  const clock = new TestClock();
  const [alice, adam, ann, bea, ben, bob] = await Promise.all(["alice", "adam", "ann", "bea", "ben", "bob"].map((n) => newVault(r, n, clock)));
  const all = [alice!, adam!, ann!, bea!, ben!, bob!];
  open.push(...all);
  initShared(alice!, "Joint", "alice", ["Acme", "Birch"]);
  addMember(alice!, adam!.joinRequest("adam").bytes, "admin", { org: "Acme" });
  addMember(alice!, ann!.joinRequest("ann").bytes, "editor", { org: 0 });
  addMember(alice!, bea!.joinRequest("bea").bytes, "admin", { org: "birch" }); // the invitation (ASCII case ignored)
  sync(alice!, adam!, ann!, bea!);
  addMember(bea!, ben!.joinRequest("ben").bytes, "admin", { org: "Birch" });
  addMember(bea!, bob!.joinRequest("bob").bytes, "editor", { org: "Birch" });
  sync(bea!, ben!, bob!);
  settle(all);
  const heads = JSON.stringify(alice!.state().heads);
  for (const v of all) expect(JSON.stringify(v.state().heads)).toBe(heads);
  return { alice: alice!, adam: adam!, ann: ann!, bea: bea!, ben: ben!, bob: bob!, all };
}

describe("a shared space through the vault", () => {
  it("creating one and admitting members by organization: every vault folds the same organizations", async () => {
    const { alice, bea, bob, all } = await sharedSpace();
    const s = bob.state();
    expect(s.orgs).toEqual(["Acme", "Birch"]);
    expect(s.orgK).toBe(2);
    expect(s.orgsRequired).toBe(2);
    expect(bob.me().user.org).toBe(1);
    expect(alice.me().user.org).toBe(0);
    expect(orgViews(s).map((o) => [o.name, o.members, o.admins, o.seated !== undefined])).toEqual([
      ["Acme", 3, 2, true],
      ["Birch", 3, 2, true],
    ]);
    for (const v of all) expect(membership(v.state())).toBe(membership(s));
    expect(findOrg(s, "BIRCH")).toBe(1);
    expect(thrownAirlockError(() => findOrg(s, "Cedar")).code).toBe("VAULT_NOT_FOUND");
    // Everyone reads the space's notes: the keys reached Birch's members through bea's admissions.
    bea.write("notes", [{ kind: "set", record: "r1", field: "title", value: "from Birch" }]);
    settle(all);
    for (const v of all) expect(v.record("notes", "r1")?.fields["title"]).toBe("from Birch");
  });

  it("Acme's admin (a modified client) removing, demoting or revoking Birch's people: each entry refused alone with its rule on every vault, the rest of the bundle applies", async () => {
    const { adam, ann, ben, bob, all } = await sharedSpace();
    const before = membership(ben.state());
    const forger = new HostileMember(adam);
    const bobDevice = ben.state().devices.get(bob.deviceId)!;
    const attacks = [
      [forger.entry({ type: "remove-member", user: userId(bob), cutoffs: [], rekeys: [] }), /^admins remove members only in their own organization \("Acme"\); this member is in "Birch"$/],
      [forger.entry({ type: "set-role", user: userId(ben), role: "viewer", cutoffs: [], rekeys: [] }), /^admins change roles only in their own organization \("Acme"\)/],
      [forger.entry({ type: "revoke-device", device: bobDevice.keys.sign, cutoff: 0, rekeys: [] }), /^admins revoke only devices of their own organization's members \("Acme"\)/],
      [forger.entry({ type: "add-device", user: userId(bob), device: new HostileMember(bob).newDevice().keys, grants: [] }), /^admins add devices only to members of their own organization/],
    ] as const;
    // Between them, a change Acme's admin may make: demoting Acme's own editor.
    const honest = forger.entry({ type: "set-role", user: userId(ann), role: "viewer", cutoffs: [], rekeys: [] });
    const report = importInto(ben, [forger.bundle({ entries: [...attacks.map(([e]) => e), honest] })]);
    expect(report.issues).toEqual([]);
    expect(report.entriesAdded).toBe(5);
    expect(report.entriesRejected).toBe(4);
    const s = ben.state();
    for (const [e, reason] of attacks) {
      expect(s.rejected.get(e.hashHex)).toMatch(reason);
      expect(s.effective.has(e.hashHex)).toBe(false);
    }
    expect(s.effective.get(honest.hashHex)).toBe(honest.hashHex);
    expect(membership(s)).toBe(before.replace('["ann","editor",true,0]', '["ann","viewer",true,0]'));
    expect(s.devices.get(bob.deviceId)?.active).toBe(true);
    // Bob still writes, and what he writes counts everywhere.
    settle(all);
    bob.write("notes", [{ kind: "set", record: "b1", field: "title", value: "still here" }]);
    settle(all);
    for (const v of all) {
      expect(membership(v.state())).toBe(membership(s));
      expect(v.record("notes", "b1")?.fields["title"]).toBe("still here");
    }
  });

  it("the honest API refuses the same with the fold's reason and leaves the log unchanged", async () => {
    const { adam, bea } = await sharedSpace();
    const entries = adam.entries().size;
    for (const [f, reason] of [
      [() => adam.removeMember("bob"), /admins remove members only in their own organization \("Acme"\)/],
      [() => adam.setRole("ben", "viewer"), /admins change roles only in their own organization/],
      [() => adam.revokeDevice(bea.deviceId.slice(0, 16)), /admins revoke only devices of their own organization's members/],
      [() => bea.removeMember("ann"), /admins remove members only in their own organization \("Birch"\)/],
    ] as const) {
      const e = thrownAirlockError(f);
      expect(e.code).toBe("VAULT_NOT_ALLOWED");
      expect(e.message).toMatch(reason);
    }
    expect(adam.entries().size).toBe(entries);
  });

  it("admitting: the organization is required in a shared space, its own admins admit its members, and another organization only its first admin", async () => {
    const { adam, bea } = await sharedSpace();
    const r = roots();
    const joiner = await newVault(r, "joiner");
    open.push(joiner);
    const req = joiner.joinRequest("jo").bytes;
    const missing = thrownAirlockError(() => addMember(adam, req, "editor"));
    expect(missing.code).toBe("VAULT_BAD_ARGUMENT");
    expect(missing.message).toMatch(/every member belongs to an organization: name theirs \(one of "Acme", "Birch"\)/);
    const other = thrownAirlockError(() => addMember(adam, req, "admin", { org: "Birch" }));
    expect(other.code).toBe("VAULT_NOT_ALLOWED");
    expect(other.message).toMatch(/"Birch" has admins of its own: only they add its members/);
    expect(thrownAirlockError(() => addMember(adam, req, "editor", { org: "Cedar" })).code).toBe("VAULT_NOT_FOUND");
    // Straight through the vault (no pre-check): the fold refuses the add-member without an organization.
    const bare = thrownAirlockError(() => adam.addMember(req, "editor"));
    expect(bare.code).toBe("VAULT_NOT_ALLOWED");
    expect(bare.message).toMatch(/a shared space's add-member must name the member's organization/);
    const { entry } = addMember(bea, req, "editor", { org: "Birch" });
    expect(bea.state().users.get(Buffer.from((entry.body as { user: Uint8Array }).user).toString("hex"))?.org).toBe(1);
  });

  it("in an ordinary team an organization is refused: by the API, and from a modified client by the fold", async () => {
    const r = roots();
    const clock = new TestClock();
    const [a, b, w] = await Promise.all(["a", "b", "w"].map((n) => newVault(r, n, clock)));
    open.push(a!, b!, w!);
    a!.init("Field office", "alice");
    addMember(a!, w!.joinRequest("wes").bytes, "viewer");
    sync(a!, w!);
    const req = b!.joinRequest("bob").bytes;
    expect(thrownAirlockError(() => addMember(a!, req, "editor", { org: "Acme" })).message).toMatch(/is not a shared space: leave out the organization/);
    const joiner = new HostileMember(b!);
    const forged = new HostileMember(a!).entry({ type: "add-member", user: joiner.identity().publicKey, userName: "bob", role: "editor", device: joiner.newDevice().keys, grants: [], org: 0 });
    importInto(w!, [new HostileMember(a!).bundle({ entries: [forged] })]);
    expect(w!.state().rejected.get(forged.hashHex)).toBe("names an organization, but this team is not a shared space (it has none)");
    expect(w!.state().orgs).toBeUndefined();
  });

  it("creating a shared space checks the organizations and k before anything is signed", async () => {
    const r = roots();
    const v = await newVault(r, "v");
    open.push(v);
    for (const [orgs, k, reason] of [
      [["Acme"], undefined, /names 2\.\.16 organizations/],
      [["Acme", "acme"], undefined, /organization "acme" is named twice/],
      [["Acme", "Birch", "Cedar"], 1, /--org-k must be 2\.\.3/],
      [["Acme", "Birch", "Cedar"], 4, /--org-k must be 2\.\.3/],
    ] as const) {
      const e = thrownAirlockError(() => initShared(v, "Joint", "vic", orgs, k));
      expect(e.code).toBe("VAULT_BAD_ARGUMENT");
      expect(e.message).toMatch(reason);
      expect(v.teamId).toBeUndefined();
    }
    expect(thrownAirlockError(() => initShared(v, "Joint", "vic", ["Acme", "Bir\u202Ech"])).code).toBe("VAULT_UNSAFE_NAME");
    // k = n is the default, written by leaving orgK out.
    const s = initShared(v, "Joint", "vic", ["Acme", "Birch", "Cedar"], 3);
    expect(s.orgK).toBe(3);
    expect(v.entries().get(v.teamId!)!.body).not.toHaveProperty("orgK");
  });
});

describe("space-level changes through the vault", () => {
  it("Acme alone changing notes' policy stays pending on every vault until Birch's admin approves; then it applies everywhere", async () => {
    const { alice, adam, bea, ann, all } = await sharedSpace();
    const policy = adam.setPolicy("notes", "editor", "admin");
    expect(adam.state().proposals.has(policy.hashHex)).toBe(true);
    expect(proposalOrgs(adam.state(), policy.hashHex)).toEqual({ approved: [0], waiting: [1], required: 2 });
    settle(all);
    alice.approve(policy.hashHex.slice(0, 12));
    settle(all);
    for (const v of all) {
      expect(v.state().proposals.get(policy.hashHex)?.approvers.size).toBe(2);
      expect(v.state().collections.get("notes")).toMatchObject({ read: "viewer", write: "editor" });
    }
    const approval = bea.approve(policy.hashHex.slice(0, 12));
    settle(all);
    for (const v of all) {
      const s = v.state();
      expect(s.effective.get(policy.hashHex)).toBe(approval.hashHex);
      expect(s.collections.get("notes")).toMatchObject({ read: "editor", write: "admin" });
      expect(s.orgApprovals.get(policy.hashHex)).toEqual([0, 1]);
    }
    // Ann, an editor of Acme, still reads; the threshold change likewise waits for Birch.
    expect(ann.currentKey("notes")).toBeDefined();
    const k = adam.setApprovals(2);
    expect(adam.state().approvalsSet).toBe(1);
    settle(all);
    bea.approve(k.hashHex.slice(0, 12));
    settle(all);
    for (const v of all) expect(v.state().approvalsSet).toBe(2);
  });

  it("concurrent removals by both organizations' admins (and Acme's reach into Birch) converge on every vault", async () => {
    const { alice, adam, ann, bea, bob, ben, all } = await sharedSpace();
    const byAcme = adam.removeMember("ann");
    const byBirch = bea.removeMember("bob");
    const reach = new HostileMember(adam).entry({ type: "remove-member", user: userId(ben), cutoffs: [], rekeys: [] });
    const fromAdam = [...exportBundles(adam), new HostileMember(adam).bundle({ entries: [reach] })];
    const fromBea = exportBundles(bea);
    // Each removed member is handed the entry that removes them, as their own admins' exports would.
    importInto(ann, [new HostileMember(adam).bundle({ entries: [byAcme] }, [adam.state().devices.get(ann.deviceId)!])]);
    importInto(bob, [new HostileMember(bea).bundle({ entries: [byBirch] }, [bea.state().devices.get(bob.deviceId)!])]);
    for (const v of all) importInto(v, [...(v === adam ? [] : fromAdam), ...(v === bea ? [] : fromBea)]);
    settle(all);
    const reference = membership(ben.state());
    for (const v of [alice, adam, bea, ben]) {
      const s = v.state();
      expect(s.effective.get(byAcme.hashHex)).toBe(byAcme.hashHex);
      expect(s.effective.get(byBirch.hashHex)).toBe(byBirch.hashHex);
      expect(membership(s)).toBe(reference);
      expect(JSON.stringify(s.heads)).toBe(JSON.stringify(ben.state().heads));
    }
    // The forged reach went out to the devices still in the space (not back to its author's own vault).
    for (const v of [alice, bea, ben]) expect(v.state().rejected.get(reach.hashHex)).toMatch(/admins remove members only in their own organization \("Acme"\)/);
    for (const [v, removal] of [[ann, byAcme], [bob, byBirch]] as const) {
      expect(v.state().effective.get(removal.hashHex)).toBe(removal.hashHex);
      expect(v.me().user.active).toBe(false);
    }
    expect(JSON.parse(reference)).toEqual(
      [
        ["adam", "admin", true, 0],
        ["alice", "owner", true, 0],
        ["ann", "editor", false, 0],
        ["bea", "admin", true, 1],
        ["ben", "admin", true, 1],
        ["bob", "editor", false, 1],
      ].sort(),
    );
  });
});
