import { describe, expect, it } from "vitest";
import { importInto, newVault, sync, team, tempRoots, TestClock } from "../../test-support/vaults.js";
import { stateDigest } from "./report.js";
import { welcomeTargets } from "./transfer.js";
import type { SyncPayload } from "@airlock/bundle-format";
import { applyPayloadsParallel, emptyReport, exportBundles, openForVault } from "./sync.js";

const root = tempRoots();

describe("vault: team and notes", () => {
  it("init, join by request, welcome, and notes flowing both ways", async () => {
    const { a, b } = await team(root());
    expect(b.teamId).toBe(a.teamId);
    expect(b.state().name).toBe("Field office");
    expect(b.me().user.role).toBe("editor");
    a.write("notes", [
      { kind: "set", record: "n1", field: "title", value: "Safe houses" },
      { kind: "set", record: "n1", field: "body", value: "canary-123" },
    ]);
    const [r] = sync(a, b);
    expect(r!.applied).toBe(1);
    expect(b.record("notes", "n1")?.fields).toEqual({ title: "Safe houses", body: "canary-123" });
    b.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Safe houses (2)" }]);
    sync(b, a);
    expect(a.record("notes", "n1")?.fields["title"]).toBe("Safe houses (2)");
    a.close();
    b.close();
  });

  it("re-importing the same bundles changes nothing", async () => {
    const { a, b } = await team(root());
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "x" }]);
    const bundles = exportBundles(a);
    const first = importInto(b, bundles);
    const again = importInto(b, bundles);
    expect(first.applied).toBe(1);
    expect(again.applied).toBe(0);
    expect(again.duplicates).toBe(1);
    a.close();
    b.close();
  });

  it("bundles imported one by one in reverse order still apply every changeset", async () => {
    const { a, b } = await team(root());
    for (let i = 0; i < 60; i++) a.write("notes", [{ kind: "set", record: `n${i}`, field: "body", value: "x".repeat(400) }]);
    const bundles = exportBundles(a, { maxBodyBytes: 8 * 1024 }).filter((x) => x.kind === "sync");
    expect(bundles.length).toBeGreaterThan(3);
    let applied = 0;
    for (const bundle of [...bundles].reverse()) applied += importInto(b, [bundle]).applied;
    expect(applied).toBe(60);
    expect(stateDigest(b)).toBe(stateDigest(a));
    a.close();
    b.close();
  });

  it("the two-core import applies the same changesets and quarantines a forged signature", async () => {
    const { a, b } = await team(root());
    for (let i = 0; i < 80; i++) a.write("notes", [{ kind: "set", record: `n${i}`, field: "title", value: `t${i}` }]);
    const [sync] = exportBundles(a).filter((x) => x.kind === "sync");
    const report = emptyReport();
    const opened = openForVault(b, sync!.bytes, "test", report)!;
    const payload = opened.payload as SyncPayload & { readonly minor: number };
    // Flip a bit of the last changeset's signature (the last bytes of its encoding).
    const forged = payload.changesets.map((c, i) => (i === payload.changesets.length - 1 ? Uint8Array.from(c, (x, j) => (j === c.length - 1 ? x ^ 1 : x)) : c));
    await applyPayloadsParallel(b, [{ ...opened, payload: { ...payload, changesets: forged } }], report);
    expect(report.applied).toBe(79);
    expect(report.quarantined).toBe(1);
    expect(b.record("notes", "n78")?.fields["title"]).toBe("t78");
    expect(b.record("notes", "n79")).toBeUndefined();
    a.close();
    b.close();
  });

  it("a viewer's edit is refused locally and quarantined when forged", async () => {
    const r = root();
    const clock = new TestClock();
    const { a, b } = await team(r, clock);
    const v = await newVault(r, "v", clock);
    a.addMember(v.joinRequest("vera").bytes, "viewer");
    sync(a, b, v);
    expect(() => v.write("notes", [{ kind: "set", record: "n9", field: "title", value: "forged" }])).toThrow(/viewer may not write/);
    a.close();
    b.close();
    v.close();
  });

  it("a welcome can come from another admin's vault when asked (the admitting laptop was lost)", async () => {
    const r = root();
    const clock = new TestClock();
    const { a, b } = await team(r, clock);
    a.setRole("bob", "admin"); // only the admitting device or an admin may welcome (team-model I7)
    sync(a, b);
    sync(b, a); // a has heard from b: no welcome for b any more
    const d = await newVault(r, "d", clock);
    a.addMember(d.joinRequest("dana").bytes, "editor");
    const fromA = exportBundles(a);
    expect(fromA.filter((x) => x.kind === "welcome")).toHaveLength(1);
    importInto(b, fromA.filter((x) => x.kind === "sync")); // b learns of dana; a's laptop is then lost
    expect(exportBundles(b).filter((x) => x.kind === "welcome")).toHaveLength(0);
    const asked = exportBundles(b, { welcome: welcomeTargets(b, ["dana"]) });
    expect(asked.filter((x) => x.kind === "welcome")).toHaveLength(1);
    importInto(d, asked);
    expect(d.teamId).toBe(a.teamId);
    expect(() => welcomeTargets(b, ["bob"])).toThrow(/bob has no other active laptop/);
    expect(() => welcomeTargets(b, [b.deviceId.slice(0, 12)])).toThrow(/does not need a welcome from itself/);
    expect(() => welcomeTargets(b, ["nobody"])).toThrow(/no device/);
    // My own name means my other laptops.
    const a2 = await newVault(r, "a2", clock);
    a.addDevice(a2.joinRequest("alice").bytes);
    expect(welcomeTargets(a, ["alice"])).toEqual([a2.deviceId]);
    a2.close();
    a.close();
    b.close();
    d.close();
  });

  it("widening a policy gives the new readers the old keys and the fresh one: they read what is written after", async () => {
    const { a, b } = await team(root());
    a.createCollection("legal", "Legal", "admin", "admin");
    a.write("legal", [{ kind: "set", record: "l1", field: "title", value: "before" }]);
    sync(a, b);
    expect(b.record("legal", "l1")).toBeUndefined();
    a.setPolicy("legal", "editor", "editor");
    a.write("legal", [{ kind: "set", record: "l2", field: "title", value: "after" }]);
    sync(a, b);
    expect(b.record("legal", "l1")?.fields["title"]).toBe("before");
    expect(b.record("legal", "l2")?.fields["title"]).toBe("after");
    expect(b.currentKeyId("legal")).toBe(a.currentKeyId("legal"));
    b.write("legal", [{ kind: "set", record: "l3", field: "title", value: "bob writes with the fresh key" }]);
    sync(b, a);
    expect(a.record("legal", "l3")?.fields["title"]).toBe("bob writes with the fresh key");
    a.close();
    b.close();
  });

  it("a proposer may approve again once the threshold was lowered to what the change already has", async () => {
    const { a, b } = await team(root());
    a.setRole("bob", "admin");
    a.setApprovals(2);
    sync(a, b);
    const policy = a.setPolicy("notes", "editor", "editor");
    expect(() => a.approve(policy.hashHex)).toThrow(/already approved/);
    const lower = a.setApprovals(1);
    sync(a, b);
    b.approve(lower.hashHex); // two approvals: the threshold is 1 from now on
    sync(b, a);
    expect(a.state().approvalsRequired).toBe(1);
    expect(a.state().proposals.has(policy.hashHex)).toBe(true);
    a.approve(policy.hashHex);
    expect(a.state().collections.get("notes")!.read).toBe("editor");
    a.close();
    b.close();
  });
});
