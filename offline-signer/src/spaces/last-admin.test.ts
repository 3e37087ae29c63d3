/**
 * `spaces leave` refuses whoever would leave a space with nobody to admit, remove or approve
 * (docs/spaces.md, "Storage"; rule 2). Team states folded from real signed entries.
 */
import { describe, expect, it } from "vitest";
import { Log, person, type Person } from "../../test-support/team-log.js";
import type { TeamState, UserState } from "../team/state.js";
import { leaveRefusal } from "./last-admin.js";

const userOf = (s: TeamState, p: Person): UserState => s.users.get(p.id)!;
const [ann, ben, cat, bea, bob] = ["ann", "ben", "cat", "bea", "bob"].map((n) => person(n)) as [Person, Person, Person, Person, Person];

describe("who may leave a space", () => {
  it("in a team: the last admin or owner may not leave others behind; with another admin, or alone, they may", () => {
    const alone = new Log(ann, "Field office");
    expect(leaveRefusal(alone.fold(), userOf(alone.fold(), ann), "Field office")).toBeUndefined();

    const log = new Log(ann, "Field office");
    log.admit(ann, ben, "editor");
    let s = log.fold();
    expect(leaveRefusal(s, userOf(s, ann), "Field office")?.message).toBe('you are the last admin or owner in space "Field office", and others remain');
    expect(leaveRefusal(s, userOf(s, ben), "Field office")).toBeUndefined(); // an editor may always leave
    log.admit(ann, cat, "admin");
    s = log.fold();
    expect(leaveRefusal(s, userOf(s, ann), "Field office")).toBeUndefined();
  });

  it("in a shared space: an organization's only admin may not leave while other organizations remain", () => {
    const log = new Log(ann, "Joint", ["Acme", "Birch"]);
    log.admit(ann, bea, "admin", 1); // seats Birch; bea is all of Birch
    let s = log.fold();
    const refusal = leaveRefusal(s, userOf(s, bea), "Joint");
    expect(refusal?.message).toMatch(/^you are the only admin of "Birch" in space "Joint": it would stay in the space with no laptop/);
    expect(refusal?.hint).toMatch(/admit a colleague as "Birch"'s admin first, or ask the other organizations to remove it/);
    expect(leaveRefusal(s, userOf(s, ann), "Joint")?.message).toMatch(/only admin of "Acme"/);

    log.admit(bea, bob, "editor", 1);
    s = log.fold();
    expect(leaveRefusal(s, userOf(s, bea), "Joint")?.message).toBe('you are the last admin or owner of "Birch" in space "Joint", and others remain');
    log.add(bea, { type: "set-role", user: bob.user, role: "admin", cutoffs: [], rekeys: [] });
    s = log.fold();
    expect(leaveRefusal(s, userOf(s, bea), "Joint")).toBeUndefined(); // Birch keeps an admin with a laptop
  });

  it("the space's name is printed escaped (organization names cannot hold controls: the codec refuses them)", () => {
    const log = new Log(ann, "Joint", ["Acme", "Birch"]);
    log.admit(ann, bea, "admin", 1);
    const s = log.fold();
    const refusal = leaveRefusal(s, userOf(s, bea), "J\u0007oint")!;
    expect(refusal.message + refusal.hint).not.toMatch(/\p{Cc}/u);
  });
});
