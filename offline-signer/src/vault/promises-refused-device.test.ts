/**
 * A device whose admission the team log refused writes nothing that counts (docs/team-model.md,
 * I3 and "Writes"). The thief's case: Alice's laptop is stolen, Bob (an owner) revokes it, and the
 * thief, not knowing, adds a device of their own with the laptop (its `add-device` entry names
 * the heads from before the revocation) and writes with it. At the entry's causal position the
 * laptop could still add devices, so the changeset looks fine there; in the team log as a whole
 * the entry is refused, and so must be everything the new device signs — on vaults that learn of
 * the revocation first and on those that learn of it last.
 */
import { afterEach, describe, expect, it } from "vitest";
import { addNote, listNotes } from "../apps/notes/index.js";
import { importInto, newVault, sync, team, tempRoot } from "../../test-support/vaults.js";
import { exportBundles } from "./sync.js";
import type { Vault } from "./vault.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function stolenLaptopAddsADevice(): Promise<{ a: Vault; b: Vault; c: Vault; y: Vault; revocation: ReturnType<typeof exportBundles> }> {
  const r = tempRoot();
  const { a, b, clock } = await team(r.root);
  const c = await newVault(r.root, "c", clock);
  const y = await newVault(r.root, "thief", clock);
  cleanups.push(() => {
    for (const v of [a, b, c, y]) v.close();
    r.cleanup();
  });
  a.addMember(c.joinRequest("carol").bytes, "viewer");
  a.setRole("bob", "owner");
  sync(a, b, c);
  sync(b, a, c);
  sync(c, a, b);
  b.revokeDevice(a.deviceId.slice(0, 12));
  const revocation = exportBundles(b);
  // The thief's laptop has not seen the revocation: it certifies a new device and welcomes it.
  a.addDevice(y.joinRequest("alice").bytes);
  importInto(y, exportBundles(a));
  addNote(y, "notes", { title: "written by the thief's device" });
  return { a, b, c, y, revocation };
}

describe("a device whose admission the log refused", () => {
  it("writes nothing that counts on a vault that knew of the revocation first", async () => {
    const { a, b, y } = await stolenLaptopAddsADevice();
    sync(a, b);
    sync(y, b);
    const added = [...b.entries().values()].find((e) => e.body.type === "add-device")!;
    expect(b.state().rejected.get(added.hashHex)).toMatch(/revoked|removed/);
    expect(b.state().devices.has(y.deviceId)).toBe(false);
    expect(listNotes(b, "notes").map((n) => n.title)).not.toContain("written by the thief's device");
    expect(b.storage.changesets.countByStatus()).toMatchObject({ applied: 0, rejected: 1 });
  });

  it("withdraws what it wrote on a vault that learns of the revocation last", async () => {
    const { a, c, y, revocation } = await stolenLaptopAddsADevice();
    // Carol hears from the laptop and its new device before she hears from Bob.
    sync(a, c);
    sync(y, c);
    expect(listNotes(c, "notes").map((n) => n.title)).toContain("written by the thief's device");
    importInto(c, revocation);
    expect(c.state().devices.has(y.deviceId)).toBe(false);
    expect(listNotes(c, "notes").map((n) => n.title)).not.toContain("written by the thief's device");
  });
});
