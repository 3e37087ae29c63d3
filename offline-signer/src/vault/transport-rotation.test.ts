/**
 * Transport key generations through real vaults (docs/transport-key.md, "Generations"): a removal,
 * a revocation or a revoked courier makes the admin's vault seal a fresh generation to the active
 * devices only; the fold refuses one from a non-admin and one sealed to a device that left; a
 * newcomer admitted concurrently with a rotation is given the newest generation.
 */
import { describe, expect, it } from "vitest";
import { x25519KeyPair, decodePayload, inspectBundle, openBundle, randomBytes } from "@airlock/bundle-format";
import { transportKeyId } from "@airlock/shared";
import { HostileMember } from "../../test-support/hostile.js";
import { importInto, newVault, sync, team, tempRoots, type TestClock } from "../../test-support/vaults.js";
import { exportBundles } from "./sync.js";
import { enrollCourier, listCouriers, revokeCourier } from "./courier-enroll.js";
import { currentTransport, openTransportKey, sealTransportKey } from "./transport-rotation.js";
import type { Vault } from "./vault.js";
import type { Role } from "../team/entry.js";

const root = tempRoots("airlock-rotation-");
const opens = (bytes: Uint8Array, k: ReturnType<typeof x25519KeyPair>): boolean => {
  try {
    openBundle(bytes, { recipient: k, maxLength: 1 << 20 });
    return true;
  } catch {
    return false;
  }
};
const keyOf = (v: Vault): string => {
  const c = currentTransport(v)!;
  const out = Buffer.from(c.key).toString("hex");
  c.key.fill(0);
  return out;
};
const generationOf = (v: Vault): number => {
  const c = currentTransport(v)!;
  c.key.fill(0);
  return c.generation;
};

/** Alice (owner), Bob (editor) and Carol (`role`), every vault synced with the others. */
async function threeMembers(role: Role = "viewer"): Promise<{ a: Vault; b: Vault; c: Vault; r: string; clock: TestClock }> {
  const r = root();
  const { a, b, clock } = await team(r);
  const c = await newVault(r, "c", clock);
  a.addMember(c.joinRequest("carol").bytes, role);
  sync(a, b, c);
  sync(b, a, c);
  sync(c, a, b);
  return { a, b, c, r, clock };
}

describe("transport key generations", () => {
  it("a removal seals a fresh generation to the remaining devices only; the removed member never gets it", async () => {
    const { a, b, c } = await threeMembers();
    const before = keyOf(a);
    expect(keyOf(b)).toBe(before);
    expect(generationOf(a)).toBe(0);
    a.removeMember("carol");
    const state = a.state();
    expect(state.transport).toHaveLength(1);
    expect(generationOf(a)).toBe(1);
    expect(keyOf(a)).not.toBe(before);
    const rotation = [...a.entries().values()].find((e) => e.body.type === "transport-key")!;
    if (rotation.body.type !== "transport-key") throw new Error("unreachable");
    const carolDevice = c.deviceId;
    expect(rotation.body.to.map((d) => Buffer.from(d).toString("hex"))).not.toContain(carolDevice);
    expect(rotation.body.to).toHaveLength(2);
    // Carol's key opens nothing of it, even handed the entry directly.
    expect(openTransportKey(rotation.body, state.team, c.encryptionKey)).toBeUndefined();

    // Everything A exports is sealed under generation 1; B adopts it on import, C is not a recipient.
    sync(a, b, c);
    expect(keyOf(b)).toBe(keyOf(a));
    expect(generationOf(b)).toBe(1);
    expect(keyOf(c)).toBe(before);
    // B's bundles now carry generation-1 tags: A's new key classifies them, the old one does not.
    const tkA = a.transportKey()!;
    const header = inspectBundle(exportBundles(b)[0]!.bytes, 1 << 30);
    expect(tkA.classify(header.mailboxTag, tkA.epochAt(a.now()))?.kind).toBe("real");
    tkA.wipe();
    for (const v of [a, b, c]) v.close();
  });

  it("a revoked device also rotates the key, and the next import on the other vault keeps one generation", async () => {
    const { a, b, c } = await threeMembers();
    a.revokeDevice(c.deviceId.slice(0, 12));
    expect(a.state().transport).toHaveLength(1);
    sync(a, b);
    // B is an editor: it never rotates itself, and holds what A sealed.
    expect(b.state().transport).toHaveLength(1);
    expect(keyOf(b)).toBe(keyOf(a));
    sync(b, a);
    expect(a.state().transport).toHaveLength(1);
    for (const v of [a, b, c]) v.close();
  });

  it("the fold refuses a rotation by an editor and one sealed to a removed member's device", async () => {
    const { a, b, c } = await threeMembers();
    // Bob (editor) seals a generation of his own to everyone: refused, nobody adopts it.
    const bob = new HostileMember(b);
    const devices = [...b.state().devices.values()];
    const forged = bob.entry(sealTransportKey(b.deviceKey, b.state().team, randomBytes(32), devices));
    importInto(a, [bob.bundle({ entries: [forged] }, [a.state().devices.get(a.deviceId)!])]);
    expect(a.state().rejected.get(forged.hashHex)).toMatch(/only admins/);
    expect(a.state().transport).toHaveLength(0);
    expect(generationOf(a)).toBe(0);

    // Alice removes Carol; a second admin-signed rotation that still seals to Carol's device is refused.
    a.removeMember("carol");
    const alice = new HostileMember(a);
    const withCarol = alice.entry(sealTransportKey(a.deviceKey, a.state().team, randomBytes(32), [...a.state().devices.values()]));
    a.tx(() => a.storeEntries([withCarol]));
    expect(a.state().rejected.get(withCarol.hashHex)).toMatch(/not active/);
    expect(a.state().transport).toHaveLength(1);
    for (const v of [a, b, c]) v.close();
  });

  it("with k = 2 a removal rotates when it takes effect, on the vault of the admin whose approval made it so", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    const d = await newVault(r, "d", clock);
    a.setRole("bob", "admin");
    a.setApprovals(2);
    a.addMember(d.joinRequest("dora").bytes, "editor");
    sync(a, b, d);
    const removal = a.removeMember("dora");
    // Only proposed: Dora is still a member, so nothing rotates (a key sealed without her would be handed back to her).
    expect(a.state().proposals.has(removal.hashHex)).toBe(true);
    expect(a.state().transport).toHaveLength(0);
    sync(a, b);
    b.approve(removal.hashHex.slice(0, 10));
    expect(b.state().transport).toHaveLength(1);
    const rotation = b.entries().get(b.state().transport[0]!.entry)!;
    expect(Buffer.from(rotation.author).toString("hex")).toBe(b.deviceId);
    sync(b, a);
    expect(generationOf(a)).toBe(1);
    expect(keyOf(a)).toBe(keyOf(b));
    expect(a.state().transport).toHaveLength(1);
    for (const v of [a, b, d]) v.close();
  });

  it("a newcomer admitted concurrently with a rotation gets the newest generation from the admin's next repair", async () => {
    const { a, b, c, r, clock } = await threeMembers("admin");
    const d = await newVault(r, "d", clock);
    // Carol (admin) admits Dan while Alice, not knowing, removes Bob and rotates.
    c.addMember(d.joinRequest("dan").bytes, "editor");
    a.removeMember("bob");
    sync(c, d);
    expect(generationOf(d)).toBe(0);
    // They meet: Carol's vault sees Dan lacks generation 1 and shares it with him.
    sync(a, c);
    sync(c, a, d);
    expect(c.state().transport).toHaveLength(1);
    expect(generationOf(d)).toBe(1);
    expect(keyOf(d)).toBe(keyOf(a));
    expect(keyOf(c)).toBe(keyOf(a));
    const share = [...c.entries().values()].filter((e) => e.body.type === "transport-key");
    expect(share.length).toBe(2);
    for (const v of [a, b, c, d]) v.close();
  });

  it("a share the fold refuses (its recipient removed concurrently) still counts: the next repair rotates away from the removed device (review H1)", async () => {
    const { a, c, r, clock } = await threeMembers("admin");
    const d = await newVault(r, "d", clock);
    a.removeMember("bob"); // generation 1
    c.addMember(d.joinRequest("dan").bytes, "editor"); // concurrent admission
    sync(c, a, d); // Alice sees Dan lacking generation 1 and shares it
    sync(a, d); // Dan opens generation 1
    c.removeMember("dan"); // concurrent with the share, which the fold then refuses
    sync(c, a);
    sync(a, c);
    sync(c, a);
    const st = a.state();
    expect([...st.rejected.values()].some((why) => /not active/.test(why))).toBe(true);
    expect(keyOf(a)).toBe(keyOf(c));
    expect(keyOf(d)).not.toBe(keyOf(a));
    expect(st.transport.length).toBeGreaterThanOrEqual(2);
    for (const v of [a, c, d]) v.close();
  });
});

describe("couriers registry", () => {
  it("enrolls, lists, revokes (a new generation) and refreshes enrollments only for couriers not revoked", async () => {
    const { a, b, c } = await threeMembers();
    const k1 = x25519KeyPair();
    const k2 = x25519KeyPair();
    const first = enrollCourier(a, k1.publicKey, "relay", "dir:/srv/x");
    enrollCourier(a, k2.publicKey, "laptop", "");
    const opened = decodePayload(openBundle(first.bytes, { recipient: k1, maxLength: 1 << 20 }).body);
    expect(opened).toMatchObject({ kind: "courier-enrollment", generation: 0, mailbox: "dir:/srv/x" });
    // Enrolling the same key again records nothing new.
    expect(enrollCourier(a, k1.publicKey, undefined, "").entry).toBeUndefined();
    sync(a, b, c);
    expect(listCouriers(b).map((x) => [x.name, x.enrolledBy, x.revoked])).toEqual([
      ["relay", "alice", false],
      ["laptop", "alice", false],
    ]);
    // No rotation yet: the export carries no enrollments.
    expect(exportBundles(a).filter((x) => x.kind === "courier-enrollment")).toHaveLength(0);

    const { generation } = revokeCourier(a, "laptop");
    expect(generation).toBe(1);
    const listed = listCouriers(a);
    expect(listed.find((x) => x.name === "laptop")).toMatchObject({ revoked: true, generation: 0 });
    expect(listed.find((x) => x.name === "relay")).toMatchObject({ revoked: false, generation: 1 });
    const refreshed = exportBundles(a).filter((x) => x.kind === "courier-enrollment");
    expect(refreshed).toHaveLength(1);
    const fresh = openBundle(refreshed[0]!.bytes, { recipient: k1, maxLength: 1 << 20 });
    const payload = decodePayload(fresh.body);
    if (payload.kind !== "courier-enrollment") throw new Error("unreachable");
    expect(payload.generation).toBe(1);
    expect(Buffer.from(transportKeyId(payload.transportKey)).toString("hex")).toBe(a.state().transport[0]!.id);
    expect(payload.admins?.map((x) => Buffer.from(x).toString("hex"))).toEqual([a.deviceId]);
    expect(() => openBundle(refreshed[0]!.bytes, { recipient: k2, maxLength: 1 << 20 })).toThrow();
    // A revoked key cannot be enrolled again; an editor's vault sends no enrollments.
    expect(() => enrollCourier(a, k2.publicKey, undefined, "")).toThrow(/retired/);
    sync(a, b);
    expect(exportBundles(b).filter((x) => x.kind === "courier-enrollment")).toHaveLength(0);
    // Any member may enroll one; only an admin or its enroller revokes it; it retires with its enroller.
    const k3 = x25519KeyPair();
    enrollCourier(c, k3.publicKey, "carols", "");
    sync(c, a, b);
    expect(() => revokeCourier(b, "carols")).toThrow(/only an admin or the member who enrolled/);
    // One export, each courier its own list: the enroller is trusted for its courier's enrollment only.
    const both = exportBundles(a).filter((x) => x.kind === "courier-enrollment");
    expect(both).toHaveLength(2);
    const adminsFor = (k: typeof k1): string[] | undefined => {
      const p = decodePayload(openBundle(both.find((x) => opens(x.bytes, k))!.bytes, { recipient: k, maxLength: 1 << 20 }).body);
      return p.kind === "courier-enrollment" ? p.admins?.map((x) => Buffer.from(x).toString("hex")) : undefined;
    };
    expect(adminsFor(k1)).toEqual([a.deviceId]);
    expect(adminsFor(k3)).toEqual([a.deviceId, c.deviceId]);
    a.removeMember("carol");
    expect(a.state().transport).toHaveLength(2);
    expect(listCouriers(a).find((x) => x.name === "carols")).toMatchObject({ revoked: true, retired: "enroller left", generation: 1 });
    expect(exportBundles(a).filter((x) => x.kind === "courier-enrollment")).toHaveLength(1);
    for (const v of [a, b, c]) v.close();
  });
});
