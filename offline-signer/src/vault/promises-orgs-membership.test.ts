/**
 * Adding and removing organizations of a shared space through real vaults and sealed bundles
 * (docs/spaces.md, rule 6; docs/team-model.md, I17). Acme: alice (creator, owner); Birch: bea
 * (its first admin); Cedar: carl (its first admin) and cal (an editor carl admitted).
 */
import { afterEach, describe, expect, it } from "vitest";
import { newVault, sync, tempRoots, TestClock, settle } from "../../test-support/vaults.js";
import { thrownAirlockError } from "../../test-support/errors.js";
import { addMember, addOrg, initShared, orgViews, proposalOrgs, removeOrg } from "./orgs.js";
import type { Vault } from "./vault.js";

const roots = tempRoots("airlock-orgs-membership-");
const open: Vault[] = [];
afterEach(() => {
  for (const v of open.splice(0)) v.close();
});



async function threeOrgs(): Promise<{ alice: Vault; bea: Vault; carl: Vault; cal: Vault; all: Vault[] }> {
  const r = roots();
  const clock = new TestClock();
  const [alice, bea, carl, cal] = (await Promise.all(["alice", "bea", "carl", "cal"].map((n) => newVault(r, n, clock)))) as [Vault, Vault, Vault, Vault];
  const all = [alice, bea, carl, cal];
  open.push(...all);
  initShared(alice, "Joint", "alice", ["Acme", "Birch"]);
  addMember(alice, bea.joinRequest("bea").bytes, "admin", { org: "Birch" });
  sync(alice, bea);
  // Cedar comes later: a space-level change both seated organizations approve.
  const add = addOrg(alice, "Cedar");
  expect(alice.state().proposals.has(add.hashHex)).toBe(true);
  expect(proposalOrgs(alice.state(), add.hashHex)).toEqual({ approved: [0], waiting: [1], required: 2 });
  sync(alice, bea);
  bea.approve(add.hashHex.slice(0, 12));
  sync(bea, alice);
  expect(alice.state().orgs).toEqual(["Acme", "Birch", "Cedar"]);
  const seat = addMember(alice, carl.joinRequest("carl").bytes, "admin", { org: "Cedar" }).entry;
  sync(alice, bea);
  bea.approve(seat.hashHex.slice(0, 12));
  settle(all);
  expect(carl.state().users.get(carl.me().user.id)?.org).toBe(2);
  addMember(carl, cal.joinRequest("cal").bytes, "editor", { org: "Cedar" });
  settle(all);
  const heads = JSON.stringify(alice.state().heads);
  for (const v of all) expect(JSON.stringify(v.state().heads)).toBe(heads);
  return { alice, bea, carl, cal, all };
}

describe("adding and removing organizations through the vault", () => {
  it("removeOrg: pending until a second organization approves; then Cedar's members are cut off on every vault and the notes key moves on without them", async () => {
    const { alice, bea, carl, cal, all } = await threeOrgs();
    cal.write("notes", [{ kind: "set", record: "c1", field: "title", value: "before" }]);
    settle(all);
    for (const v of all) expect(v.record("notes", "c1")?.fields["title"]).toBe("before");
    // Cedar cannot propose its own removal; the honest API says why before signing anything.
    expect(thrownAirlockError(() => removeOrg(carl, "Cedar"))).toMatchObject({ code: "VAULT_NOT_ALLOWED", message: expect.stringMatching(/does not propose its own removal/) });
    const r = removeOrg(alice, "cedar");
    expect(r.members).toBe(2);
    expect(alice.state().proposals.has(r.entry.hashHex)).toBe(true);
    expect(proposalOrgs(alice.state(), r.entry.hashHex)).toEqual({ approved: [0], waiting: [1], required: 2 });
    settle(all);
    // Carl's approval is refused by the honest vault too (the fold would refuse it).
    expect(() => carl.approve(r.entry.hashHex.slice(0, 12))).toThrow(/approves the removal of its own organization "Cedar"/);
    bea.approve(r.entry.hashHex.slice(0, 12));
    settle(all);
    for (const v of [alice, bea]) {
      const s = v.state();
      expect(s.removedOrgs.get(2)).toBe(r.entry.hashHex);
      expect(s.users.get(carl.me().user.id)?.active).toBe(false);
      expect(s.users.get(cal.me().user.id)?.active).toBe(false);
      expect(orgViews(s).map((o) => [o.name, o.members, o.removed !== undefined])).toEqual([
        ["Acme", 1, false],
        ["Birch", 1, false],
        ["Cedar", 0, true],
      ]);
    }
    // What cal wrote before stands; a new note is sealed under a key Cedar never got.
    alice.write("notes", [{ kind: "set", record: "a1", field: "title", value: "after" }]);
    settle(all);
    expect(bea.record("notes", "c1")?.fields["title"]).toBe("before");
    expect(bea.record("notes", "a1")?.fields["title"]).toBe("after");
    expect(cal.record("notes", "a1")).toBeUndefined();
    expect(carl.record("notes", "a1")).toBeUndefined();
    const s = bea.state();
    const newest = s.collections.get("notes")!.keys.at(-1)!;
    const holders = s.collections.get("notes")!.holders.get(newest.id)!;
    expect(holders.has(carl.deviceId) || holders.has(cal.deviceId)).toBe(false);
    // Nobody adds into Cedar again, nor adds another organization named like it.
    expect(thrownAirlockError(() => addOrg(alice, "CEDAR")).message).toMatch(/"Cedar" already exists in Joint \(removed: its name stays taken\)/);
    const cora = await newVault(roots(), "cora", new TestClock());
    open.push(cora);
    const before = alice.entries().size;
    expect(thrownAirlockError(() => addMember(alice, cora.joinRequest("cora").bytes, "admin", { org: "Cedar" }))).toMatchObject({ code: "VAULT_NOT_ALLOWED", message: expect.stringMatching(/"Cedar" was removed from the space; nobody is added into it/) });
    expect(alice.entries().size).toBe(before);
  });

  it("with two organizations, removeOrg refuses before signing anything; addOrg refuses a team and a taken name", async () => {
    const r = roots();
    const clock = new TestClock();
    const [alice, bea, tom] = (await Promise.all(["alice", "bea", "tom"].map((n) => newVault(r, n, clock)))) as [Vault, Vault, Vault];
    open.push(alice, bea, tom);
    initShared(alice, "Joint", "alice", ["Acme", "Birch"]);
    addMember(alice, bea.joinRequest("bea").bytes, "admin", { org: "Birch" });
    const size = alice.entries().size;
    expect(thrownAirlockError(() => removeOrg(alice, "Birch"))).toMatchObject({ code: "VAULT_NOT_ALLOWED", message: expect.stringMatching(/one organization never expels another/) });
    expect(alice.entries().size).toBe(size);
    expect(thrownAirlockError(() => addOrg(alice, "birch")).code).toBe("VAULT_BAD_ARGUMENT");
    tom.init("Team", "tom");
    expect(thrownAirlockError(() => addOrg(tom, "Delta")).message).toMatch(/is not a shared space/);
  });
});
