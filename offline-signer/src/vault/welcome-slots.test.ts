/**
 * Issue 17, item 5: every bundle a vault seals for its team shows the same slot count in its
 * clear header. A welcome has one real recipient; without padding, in a team of six or more
 * devices its smaller slot count would mark it as an admission among the sync bundles.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseHeader } from "@airlock/bundle-format";
import { importInto, newVault, tempRoot } from "../../test-support/vaults.js";
import { exportBundles } from "./sync.js";
import type { Vault } from "./vault.js";

const roots: { cleanup(): void }[] = [];
const vaults: Vault[] = [];
afterEach(() => {
  for (const v of vaults.splice(0)) v.close();
  for (const r of roots.splice(0)) r.cleanup();
});

describe("slot counts", () => {
  it("a welcome shows the slot count of the team's sync bundles", async () => {
    const r = tempRoot();
    roots.push(r);
    const admin = await newVault(r.root, "admin");
    vaults.push(admin);
    admin.init("Large office", "alice");
    for (let i = 0; i < 6; i++) {
      const v = await newVault(r.root, `m${i}`);
      vaults.push(v);
      admin.addMember(v.joinRequest(`member${i}`).bytes, "editor");
    }
    const out = exportBundles(admin);
    const sync = out.filter((b) => b.kind === "sync");
    const welcomes = out.filter((b) => b.kind === "welcome");
    expect(welcomes).toHaveLength(6);
    const slots = new Set(out.map((b) => parseHeader(b.bytes, b.bytes.length).slotCount));
    // Six other devices need 8 slots; every bundle shows 8, the welcomes included.
    expect(parseHeader(sync[0]!.bytes, sync[0]!.bytes.length).slotCount).toBe(8);
    expect([...slots]).toEqual([8]);
    // And each welcome still opens on its own device.
    const joined = vaults[1]!;
    const report = importInto(joined, welcomes);
    expect(report.welcomed).toBe("Large office");
  });
});
