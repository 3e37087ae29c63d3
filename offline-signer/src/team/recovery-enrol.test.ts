/**
 * The fold rule for a recovered device's own add-device (docs/team-model.md, "Recovery
 * enrolment", I13): a key that is not yet a device may sign exactly one kind of entry — its own
 * enrolment, certified by a current member's identity and proven with the recovery key of that
 * member's newest unspent recovery set. Each adversary case below is accepted if its check is
 * taken out of state.ts.
 */
import { describe, expect, it } from "vitest";
import { ed25519KeyPair, ed25519Sign, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { newVault, sync, tempRoots, TestClock } from "../../test-support/vaults.js";
import { recoveryTeam, type RecoveryTeam } from "../../test-support/recovery-team.js";
import type { Vault } from "../vault/vault.js";
import { setupRecovery } from "../recovery/setup.js";
import { certifyDevice, recoveryEnrolMessage, signEntry, type TeamEntry } from "./entry.js";
import { foldTeam, type TeamState } from "./state.js";

const root = tempRoots();

const fixture = (): Promise<RecoveryTeam> => recoveryTeam(root());

interface Enrol {
  /** The new device's signing key (default: fresh); the entry's author unless `author` is given. */
  device?: KeyPair;
  author?: KeyPair;
  /** Whose identity certifies the device (default: Dana's), and the member the entry names. */
  certBy?: KeyPair;
  user?: Uint8Array;
  set?: Uint8Array;
  /** Signs the recovery proof (default: the set's recovery key). */
  recoveryKey?: KeyPair;
  /** A proof signature to use as is (a replay). */
  sig?: Uint8Array;
}

function enrolment(f: RecoveryTeam, state: TeamState, o: Enrol = {}): TeamEntry {
  const device = o.device ?? ed25519KeyPair();
  const keys = certifyDevice(o.certBy ?? f.identity, device.publicKey, x25519KeyPair().publicKey);
  const set = o.set ?? f.set;
  const sig = o.sig ?? ed25519Sign((o.recoveryKey ?? f.recovery).secretKey, recoveryEnrolMessage(state.team, set, keys));
  return signEntry(o.author ?? device, {
    team: state.team,
    parents: state.heads.map((h) => Buffer.from(h, "hex")),
    time: Date.UTC(2026, 10, 28, 10),
    body: { type: "add-device", user: o.user ?? f.identity.publicKey, device: keys, grants: [], recovery: { set, sig } },
  });
}

/** The fold of `v`'s log with `extra` added: undefined if the last one was accepted, else its reason. */
function verdict(v: Vault, ...extra: TeamEntry[]): string | undefined {
  const entries = new Map(v.entries());
  for (const e of extra) entries.set(e.hashHex, e);
  const state = foldTeam(v.teamId!, entries);
  const last = extra[extra.length - 1]!;
  return state.rejected.get(last.hashHex) ?? (state.devices.get(Buffer.from(last.author).toString("hex"))?.active === true ? undefined : "not active");
}

describe("recovery enrolment: a device that adds itself (fold rule I13)", () => {
  it("is accepted with the member's identity and the recovery key of their newest set, and the set is then spent", async () => {
    const f = await fixture();
    const e = enrolment(f, f.a.state());
    expect(verdict(f.a, e)).toBeUndefined();
    // A second laptop with the same set, after the first: each set enrols one device.
    const entries = new Map(f.a.entries()).set(e.hashHex, e);
    const again = enrolment(f, foldTeam(f.a.teamId!, entries));
    expect(verdict(f.a, e, again)).toMatch(/already enrolled a device/);
    // Two at once (neither names the other): whichever the order puts first is the one.
    const rival = enrolment(f, f.a.state());
    const both = foldTeam(f.a.teamId!, new Map(f.a.entries()).set(e.hashHex, e).set(rival.hashHex, rival));
    expect([e, rival].filter((x) => both.rejected.has(x.hashHex)).map((x) => both.rejected.get(x.hashHex))).toEqual([expect.stringMatching(/already enrolled a device/)]);
    for (const v of [f.a, f.d, f.m]) v.close();
  });

  it("refuses a certificate made by another member's identity", async () => {
    const f = await fixture();
    const mallory = ed25519KeyPair(f.m.identitySeed()!);
    expect(verdict(f.a, enrolment(f, f.a.state(), { certBy: mallory }))).toMatch(/certificate does not verify under the member's identity/);
    // Mallory enrolling a device of her own with Dana's recovery set.
    expect(verdict(f.a, enrolment(f, f.a.state(), { certBy: mallory, user: mallory.publicKey }))).toMatch(/another member's recovery set/);
    for (const v of [f.a, f.d, f.m]) v.close();
  });

  it("refuses the identity key without the recovery key (a thief holding the lost laptop's vault)", async () => {
    const f = await fixture();
    expect(verdict(f.a, enrolment(f, f.a.state(), { recoveryKey: ed25519KeyPair() }))).toMatch(/recovery signature does not verify/);
    for (const v of [f.a, f.d, f.m]) v.close();
  });

  it("refuses a removed member's identity", async () => {
    const f = await fixture();
    f.a.removeMember("dana");
    expect(verdict(f.a, enrolment(f, f.a.state()))).toMatch(/not a member/);
    for (const v of [f.a, f.d, f.m]) v.close();
  });

  it("refuses a device already present, active or revoked", async () => {
    const f = await fixture();
    // Dana's own laptop signing an enrolment of itself: it is already a device.
    expect(verdict(f.a, enrolment(f, f.a.state(), { device: f.d.deviceKey }))).toMatch(/already known/);
    f.a.revokeDevice(f.d.deviceId.slice(0, 12));
    expect(verdict(f.a, enrolment(f, f.a.state(), { device: f.d.deviceKey }))).toMatch(/revoked or removed device/);
    for (const v of [f.a, f.d, f.m]) v.close();
  });

  it("refuses a replayed proof on another device, an entry not signed by the device it enrols, an unknown set and a replaced set", async () => {
    const f = await fixture();
    const state = f.a.state();
    const first = enrolment(f, state);
    const proof = first.body.type === "add-device" ? first.body.recovery!.sig : new Uint8Array(64);
    expect(verdict(f.a, enrolment(f, state, { sig: proof }))).toMatch(/recovery signature does not verify/);
    const other = ed25519KeyPair();
    expect(verdict(f.a, enrolment(f, state, { author: other }))).toMatch(/signed by the device it enrols/);
    expect(verdict(f.a, enrolment(f, state, { set: new Uint8Array(16).fill(7) }))).toMatch(/recovery set this team does not know/);
    // Dana makes a newer set: the first no longer enrols anyone.
    await setupRecovery(f.d, { threshold: 2, holders: [], paper: 2 });
    sync(f.d, f.a);
    expect(verdict(f.a, enrolment(f, f.a.state()))).toMatch(/replaced with a newer one/);
    for (const v of [f.a, f.d, f.m]) v.close();
  });

  it("is critical: with two approvals required it waits as a proposal that admins approve", async () => {
    const f = await fixture();
    const r = root();
    const b = await newVault(r, "b", new TestClock());
    f.a.addMember(b.joinRequest("bob").bytes, "admin");
    f.a.setApprovals(2);
    const e = enrolment(f, f.a.state());
    const entries = new Map(f.a.entries());
    entries.set(e.hashHex, e);
    const state = foldTeam(f.a.teamId!, entries);
    expect(state.rejected.get(e.hashHex)).toBeUndefined();
    // Dana is an editor: her own signature is no approval.
    expect(state.proposals.get(e.hashHex)?.approvers.size).toBe(0);
    expect(state.devices.has(Buffer.from(e.author).toString("hex"))).toBe(false);
    for (const v of [f.a, f.d, f.m, b]) v.close();
  });
});
