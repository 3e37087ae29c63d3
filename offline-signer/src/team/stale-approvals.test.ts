/**
 * An approval speaks for the team only while its author may still give it (docs/team-model.md,
 * I15; docs/spaces.md, rule 4): a pending change never takes effect on the approval of someone
 * removed or demoted since, or of an organization removed since. Real signed entries, folded as
 * from a bundle (test-support/team-log.ts).
 */
import { describe, expect, it } from "vitest";
import { Log, person, type Person } from "../../test-support/team-log.js";

const noRekeys = { cutoffs: [], rekeys: [] };

describe("approvals given before the approver lost the right", () => {
  it("in a team: an admin demoted after approving no longer counts toward k", () => {
    const [ann, ben, cat, dan] = ["ann", "ben", "cat", "dan"].map((n, i) => person(n, 60 + 3 * i)) as [Person, Person, Person, Person];
    const log = new Log(ann, "Field office");
    for (const p of [ben, cat, dan]) log.admit(ann, p, "admin");
    log.add(ann, { type: "set-approvals", k: 3 }); // k was 1: applies at once
    const policy = log.add(ann, { type: "collection", id: "notes", name: "Notes", read: "viewer", write: "editor", grants: [] });
    const change = log.add(ann, { type: "set-policy", collection: "notes", read: "editor", write: "editor", ...noRekeys });
    log.approve(ben, change); // ann + ben: 2 of 3
    const demote = log.add(ann, { type: "set-role", user: ben.user, role: "editor", ...noRekeys });
    log.approve(cat, demote);
    log.approve(dan, demote); // ann + cat + dan: ben is an editor now
    let s = log.fold();
    expect(s.effective.has(demote.hashHex)).toBe(true);
    expect(s.effective.has(policy.hashHex)).toBe(true);
    expect(s.proposals.has(change.hashHex)).toBe(true);

    log.approve(cat, change); // ann + cat, and ben's stale approval: still 2 of 3
    s = log.fold();
    expect(s.proposals.has(change.hashHex)).toBe(true);
    expect(s.effective.has(change.hashHex)).toBe(false);

    log.approve(dan, change); // a third admin who may approve now: it takes effect
    s = log.fold();
    expect(s.effective.has(change.hashHex)).toBe(true);
  });

  it("in a shared space: a removed organization's approval no longer covers an organization", () => {
    const [ann, bea, cy] = ["ann", "bea", "cy"].map((n, i) => person(n, 80 + 3 * i)) as [Person, Person, Person];
    const log = new Log(ann, "Joint", ["Acme", "Birch", "Cedar"]);
    log.admit(ann, bea, "admin", 1); // seats Birch (Acme alone)
    log.approve(bea, log.admit(ann, cy, "admin", 2)); // seating Cedar needs Birch too
    const change = log.add(ann, { type: "set-approvals", k: 2 }); // space-level: every seated organization
    log.approve(cy, change); // Acme + Cedar; Birch never approves
    const removal = log.add(ann, { type: "remove-org", org: 2, ...noRekeys });
    log.approve(bea, removal);
    let s = log.fold();
    expect(s.removedOrgs.has(2)).toBe(true);
    expect(s.proposals.has(change.hashHex)).toBe(true);

    log.approve(ann, change); // Acme again: Cedar's approval no longer speaks for an organization
    s = log.fold();
    expect(s.effective.has(change.hashHex)).toBe(false);
    expect(s.approvalsSet).toBe(1);

    log.approve(bea, change); // Birch: the two seated organizations now approve
    s = log.fold();
    expect(s.effective.has(change.hashHex)).toBe(true);
    expect(s.orgApprovals.get(change.hashHex)).toEqual([0, 1]);
  });
});
