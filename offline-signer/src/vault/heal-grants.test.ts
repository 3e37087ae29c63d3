import { describe, expect, it } from "vitest";
import { newVault, sync, team, tempRoots, TestClock } from "../../test-support/vaults.js";
import { stateDigest } from "./report.js";
import type { Vault } from "./vault.js";

const root = tempRoots();

/** Every vault exports to every other, `rounds` times. */
function exchange(vaults: Vault[], rounds = 3): void {
  for (let r = 0; r < rounds; r++) for (const from of vaults) sync(from, ...vaults.filter((v) => v !== from));
}

/** Alice (owner) and Bob (admin), Carol (editor), a Sources collection for editors; all in sync. */
async function twoAdminsAndCarol(): Promise<{ r: string; clock: TestClock; a: Vault; b: Vault; c: Vault }> {
  const r = root();
  const clock = new TestClock();
  const { a, b } = await team(r, clock);
  const c = await newVault(r, "c", clock);
  a.setRole("bob", "admin");
  a.createCollection("sources", "Sources", "editor", "editor");
  a.addMember(c.joinRequest("carol").bytes, "editor");
  exchange([a, b, c], 2);
  return { r, clock, a, b, c };
}

const grantEntries = (v: Vault): number => v.state().order.filter((h) => v.entries().get(h)!.body.type === "grant").length;

describe("healing key grants after concurrent membership changes", () => {
  it("a reader added while another admin rotated the key gets the fresh key, and reads what is written after", async () => {
    const { r, clock, a, b, c } = await twoAdminsAndCarol();
    const m = await newVault(r, "m", clock);
    const request = m.joinRequest("mona").bytes;

    // Concurrently, neither seeing the other: alice admits mona, bob removes carol (fresh keys).
    a.addMember(request, "editor");
    b.removeMember("carol");
    exchange([a, b], 1);
    expect(a.state().heads).toEqual(b.state().heads);
    // Both admins saw mona lacks the key bob's removal introduced, and granted it.
    expect(grantEntries(a) + grantEntries(b)).toBeGreaterThan(0);
    exchange([a, b, m], 2);
    expect(m.teamId).toBe(a.teamId);

    b.write("sources", [{ kind: "set", record: "s1", field: "title", value: "after the rotation" }]);
    exchange([a, b, m], 2);
    expect(m.record("sources", "s1")?.fields["title"]).toBe("after the rotation");
    m.write("sources", [{ kind: "set", record: "s2", field: "title", value: "mona writes with the fresh key" }]);
    exchange([a, b, m], 2);
    expect(b.record("sources", "s2")?.fields["title"]).toBe("mona writes with the fresh key");
    // Carol, removed, cannot open either; every active vault agrees on the state.
    sync(b, c);
    expect(c.record("sources", "s1")).toBeUndefined();
    expect(stateDigest(m)).toBe(stateDigest(a));
    expect(stateDigest(b)).toBe(stateDigest(a));
    for (const v of [a, b, c, m]) v.close();
  });

  it("nothing to heal in ordinary, sequential changes: no grant entries appear", async () => {
    const { a, b, c } = await twoAdminsAndCarol();
    b.removeMember("carol");
    exchange([a, b], 2);
    a.setPolicy("sources", "admin", "admin");
    exchange([a, b], 2);
    expect(grantEntries(a)).toBe(0);
    expect(grantEntries(b)).toBe(0);
    for (const v of [a, b, c]) v.close();
  });
});
