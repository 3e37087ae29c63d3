/**
 * Who may make which team change (docs/team-model.md, the entry table and I3; docs/testing.md,
 * promise P2). Every entry type, authored by every role through a modified client
 * (test-support/hostile.ts) that signs with its own device key only, delivered in a real sealed
 * bundle to an honest vault: what the table forbids is stored, refused by the fold with the
 * rule it broke as the reason, and changes nothing; what it allows (checked on the same base
 * by the same fold) applies. Then the checks below the fold: a bad signature, an unknown field
 * and an entry of another team never reach the log. And the documented race: two admins who
 * remove each other at the same time end, on every vault, with the removal whose entry hash is
 * smaller applied and the other refused.
 */
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { concatBytes, ed25519KeyPair, ed25519Sign, fromHex, randomBytes, utf8, x25519KeyPair } from "@airlock/bundle-format";
import { AirlockError } from "@airlock/shared";
import { HostileMember } from "../../test-support/hostile.js";
import { importInto, newVault, sync, tempRoot, tempRoots, TestClock } from "../../test-support/vaults.js";
import { decodeObject, encodeObject, type Plain } from "../team/cbor-object.js";
import { ENTRY_MINOR_VERSION, certifyDevice, decodeEntry, encodeSignedEntry, type EntryBody, type Role, type TeamEntry } from "../team/entry.js";
import { foldTeam, type TeamState } from "../team/state.js";
import { importRefused } from "./import-report.js";
import { vaultStatus } from "./report.js";
import { exportBundles } from "./sync.js";
import type { Vault } from "./vault.js";

const roots = tempRoots("airlock-promises-");
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Who holds which role, and how many of each, without hashes that differ between vaults' local repairs. */
const membership = (s: TeamState): string =>
  JSON.stringify(
    [...s.users.values()].map((u) => [u.name, u.role, u.active]).sort(),
  );

describe("every team entry type, authored by every role, is judged by the table", () => {
  /** alice (owner), dave (admin), bob (editor), vera (viewer), tom (an editor the changes aim at), wes (an honest witness). */
  let t: { a: Vault; d: Vault; b: Vault; v: Vault; tom: Vault; w: Vault; cleanup(): void };
  beforeAll(async () => {
    const { root, cleanup } = tempRoot("airlock-promises-matrix-");
    const clock = new TestClock();
    const a = await newVault(root, "a", clock);
    a.init("Field office", "alice");
    const others: Record<string, [string, Role]> = { d: ["dave", "admin"], b: ["bob", "editor"], v: ["vera", "viewer"], tom: ["tom", "editor"], w: ["wes", "viewer"] };
    const made: Record<string, Vault> = {};
    for (const [k, [name, role]] of Object.entries(others)) {
      made[k] = await newVault(root, k, clock);
      a.addMember(made[k].joinRequest(name).bytes, role);
    }
    const all = [a, ...Object.values(made)];
    sync(a, ...all.slice(1));
    for (const x of all.slice(1)) sync(x, a);
    sync(a, ...all.slice(1));
    const heads = JSON.stringify(a.state().heads);
    for (const x of all) expect(JSON.stringify(x.state().heads)).toBe(heads);
    t = { a, d: made["d"]!, b: made["b"]!, v: made["v"]!, tom: made["tom"]!, w: made["w"]!, cleanup };
  });
  afterAll(() => {
    for (const x of [t.a, t.d, t.b, t.v, t.tom, t.w]) x.close();
    t.cleanup();
  });

  const author = (role: Role): Vault => ({ viewer: t.v, editor: t.b, admin: t.d, owner: t.a })[role];
  const userId = (x: Vault): Uint8Array => fromHex(x.me().user.id);
  const newcomer = (): { user: Uint8Array; device: ReturnType<typeof certifyDevice> } => {
    const identity = ed25519KeyPair();
    return { user: identity.publicKey, device: certifyDevice(identity, ed25519KeyPair().publicKey, x25519KeyPair().publicKey) };
  };

  interface Case {
    readonly what: string;
    readonly body: () => EntryBody;
    /** Per role: the reason the fold must give, or null when the change is allowed; absent when it does not apply. */
    readonly by: Partial<Record<Role, RegExp | null>>;
  }
  const ADMIN_ONLY = (type: string): Partial<Record<Role, RegExp | null>> => ({ viewer: new RegExp(`only admins make ${type} changes`), editor: new RegExp(`only admins make ${type} changes`), admin: null, owner: null });
  const cases: Case[] = [
    { what: "add-member (an editor)", body: () => ({ type: "add-member", ...newcomer(), userName: "newcomer", role: "editor", grants: [] }), by: { viewer: /only admins add members/, editor: /only admins add members/, admin: null, owner: null } },
    { what: "add-member (an owner)", body: () => ({ type: "add-member", ...newcomer(), userName: "newcomer", role: "owner", grants: [] }), by: { viewer: /only admins add members/, editor: /only admins add members/, admin: /only an owner makes someone an owner/, owner: null } },
    { what: "add-device (to tom)", body: () => ({ type: "add-device", user: userId(t.tom), device: new HostileMember(t.tom).newDevice().keys, grants: [] }), by: { viewer: /only the user or an admin adds a device/, editor: /only the user or an admin adds a device/, admin: null, owner: null } },
    { what: "revoke-device (tom's)", body: () => ({ type: "revoke-device", device: t.tom.deviceKey.publicKey, cutoff: 0, rekeys: [] }), by: { viewer: /only the device's user or an admin revokes a device/, editor: /only the device's user or an admin revokes a device/, admin: null, owner: null } },
    { what: "revoke-device (the owner's)", body: () => ({ type: "revoke-device", device: t.a.deviceKey.publicKey, cutoff: 0, rekeys: [] }), by: { viewer: /only the device's user or an admin/, editor: /only the device's user or an admin/, admin: /only an owner revokes an owner's device/ } },
    { what: "remove-member (tom)", body: () => ({ type: "remove-member", user: userId(t.tom), cutoffs: [], rekeys: [] }), by: { viewer: /only admins remove members/, editor: /only admins remove members/, admin: null, owner: null } },
    { what: "remove-member (the owner)", body: () => ({ type: "remove-member", user: userId(t.a), cutoffs: [], rekeys: [] }), by: { viewer: /only admins remove members/, editor: /only admins remove members/, admin: /only an owner removes an owner/ } },
    { what: "set-role (tom to viewer)", body: () => ({ type: "set-role", user: userId(t.tom), role: "viewer", cutoffs: [], rekeys: [] }), by: { viewer: /only admins change roles/, editor: /only admins change roles/, admin: null, owner: null } },
    { what: "set-role (tom to admin)", body: () => ({ type: "set-role", user: userId(t.tom), role: "admin", cutoffs: [], rekeys: [] }), by: { viewer: /only admins change roles/, editor: /only admins change roles/, admin: null, owner: null } },
    { what: "set-role (tom to owner)", body: () => ({ type: "set-role", user: userId(t.tom), role: "owner", cutoffs: [], rekeys: [] }), by: { viewer: /only admins change roles/, editor: /only admins change roles/, admin: /only an owner makes someone an owner/, owner: null } },
    { what: "set-role (the owner to admin)", body: () => ({ type: "set-role", user: userId(t.a), role: "admin", cutoffs: [], rekeys: [] }), by: { viewer: /only admins change roles/, editor: /only admins change roles/, admin: /only an owner changes an owner's role/ } },
    { what: "collection", body: () => ({ type: "collection", id: "forged", name: "Forged", read: "viewer", write: "viewer", grants: [] }), by: ADMIN_ONLY("collection") },
    { what: "set-policy (notes, writable by viewers)", body: () => ({ type: "set-policy", collection: "notes", read: "viewer", write: "viewer", cutoffs: [], rekeys: [] }), by: ADMIN_ONLY("set-policy") },
    { what: "compact (notes)", body: () => ({ type: "compact", collection: "notes", frontier: [], rekeys: [] }), by: ADMIN_ONLY("compact") },
    { what: "set-approvals (2)", body: () => ({ type: "set-approvals", k: 2 }), by: ADMIN_ONLY("set-approvals") },
    { what: "grant (none)", body: () => ({ type: "grant", grants: [] }), by: ADMIN_ONLY("grant") },
    { what: "approve (nothing pending)", body: () => ({ type: "approve", proposal: randomBytes(32) }), by: { viewer: /only admins approve changes/, editor: /only admins approve changes/, admin: /approves a change that is not pending/, owner: /approves a change that is not pending/ } },
    // What a member may do to itself, whatever its role.
    { what: "add-device (one's own)", body: () => ({ type: "add-device", user: userId(t.v), device: new HostileMember(t.v).newDevice().keys, grants: [] }), by: { viewer: null } },
  ];
  const rows = cases.flatMap((c) => (Object.entries(c.by) as [Role, RegExp | null][]).map(([role, expected]) => ({ name: `${c.what} by ${role === "admin" || role === "owner" ? "an" : "a"} ${role}: ${expected === null ? "applies" : `refused (${expected.source})`}`, c, role, expected })));

  it.each(rows)("$name", ({ c, role, expected }) => {
    const forger = new HostileMember(author(role));
    const entry = forger.entry(c.body());
    const before = membership(t.w.state());
    if (expected === null) {
      // Allowed: the same fold over the witness's log plus this entry applies it (the witness's
      // own log is left as it is, so the refusals below are judged on an unchanged team).
      const folded = foldTeam(t.w.teamId!, new Map([...t.w.entries(), [entry.hashHex, entry]]));
      expect(folded.rejected.get(entry.hashHex)).toBeUndefined();
      expect(folded.effective.get(entry.hashHex)).toBe(entry.hashHex);
      return;
    }
    // Refused: delivered in a real bundle, stored, judged with its true reason, and nothing changed.
    const report = importInto(t.w, [forger.bundle({ entries: [entry] })]);
    expect(report.issues).toEqual([]);
    expect(report.entriesAdded).toBe(1);
    expect(report.entriesRejected).toBe(1);
    const state = t.w.state();
    expect(state.rejected.get(entry.hashHex)).toMatch(expected);
    expect(state.effective.has(entry.hashHex)).toBe(false);
    expect(membership(state)).toBe(before);
    expect(state.collections.has("forged")).toBe(false);
    expect(state.collections.get("notes")?.write).toBe("editor");
    expect(state.approvalsSet).toBe(1);
  });

  it("below the fold: a bad signature, an unknown field and an entry of another team are quarantined with their reason and never stored", () => {
    const forger = new HostileMember(t.b);
    const body: EntryBody = { type: "grant", grants: [] };
    const good = forger.entryBytes(body);
    const outer = decodeObject(good, { maxBytes: 1 << 20, maxDepth: 8, maxItems: 8192 }) as { body: Uint8Array; sig: Uint8Array };

    const badSig = encodeObject({ body: outer.body, sig: Uint8Array.from(outer.sig, (x, i) => (i === 0 ? x ^ 1 : x)) });
    const inner = decodeObject(outer.body, { maxBytes: 1 << 20, maxDepth: 8, maxItems: 8192 }) as Record<string, Plain>;
    const signed = (fields: Record<string, Plain>): Uint8Array => {
      const b = encodeObject(fields);
      return encodeObject({ body: b, sig: ed25519Sign(t.b.deviceKey.secretKey, concatBytes(utf8("airlock/v1/team-entry-sig"), b)) });
    };
    const unknownField = signed({ ...inner, note: "ignore the rules" });
    // At the version this release writes, too: only a newer minor version may carry fields it does not know.
    const unknownAtOurs = signed({ ...inner, v: ENTRY_MINOR_VERSION, note: "ignore the rules" });
    // From a newer minor version an unknown optional field is ignored, never guessed at (docs/team-model.md, Versions).
    const newer = signed({ ...inner, v: ENTRY_MINOR_VERSION + 1, note: "a field of a newer release" });
    const otherTeam = encodeSignedEntry(t.b.deviceKey, { team: randomBytes(32), parents: [randomBytes(32)], time: t.b.now(), body });

    const codeOf = (bytes: Uint8Array): string | undefined => {
      try {
        decodeEntry(bytes);
        return undefined;
      } catch (e) {
        expect(e).toBeInstanceOf(AirlockError);
        return (e as AirlockError).code;
      }
    };
    expect(codeOf(good)).toBeUndefined();
    expect(codeOf(badSig)).toBe("TEAM_ENTRY_SIGNATURE");
    expect(codeOf(unknownField)).toBe("TEAM_ENTRY_MALFORMED");
    expect(() => decodeEntry(unknownField)).toThrow(/unknown field "note" in a grant entry/);
    expect(codeOf(unknownAtOurs)).toBe("TEAM_ENTRY_MALFORMED");
    expect(codeOf(newer)).toBeUndefined();
    // Well-formed and signed, so decodeEntry takes it; the importer refuses it for its team
    // (TEAM_ENTRY_OTHER_TEAM), and the fold would too on its own.
    expect(codeOf(otherTeam)).toBeUndefined();
    const lone = foldTeam(t.w.teamId!, new Map([...t.w.entries(), [decodeEntry(otherTeam).hashHex, decodeEntry(otherTeam)]]));
    expect(lone.rejected.get(decodeEntry(otherTeam).hashHex)).toBe("belongs to another team");

    const known = t.w.entries().size;
    const quarantined = vaultStatus(t.w).quarantine.length;
    for (const [bytes, reason] of [
      [badSig, /the signature does not verify/],
      [unknownField, /unknown field "note"/],
      [otherTeam, /entry of another team/],
    ] as const) {
      const report = importInto(t.w, [forger.bundle({ entries: [bytes] })]);
      expect(report.entriesRejected).toBe(1);
      expect(report.entriesAdded).toBe(0);
      // A quarantined entry refuses its bundle: `airlock import` exits 3 and --remove keeps it.
      expect(report.quarantined).toBe(1);
      expect(importRefused(report)).toBe(true);
      expect(t.w.entries().has(hexOf(sha(bytes)))).toBe(false);
      expect(vaultStatus(t.w).quarantine.some((q) => q.kind === "entry" && reason.test(q.reason))).toBe(true);
    }
    expect(t.w.entries().size).toBe(known);
    expect(vaultStatus(t.w).quarantine.length).toBe(quarantined + 3);
    const later = importInto(t.w, [forger.bundle({ entries: [newer] })]);
    expect(later.entriesAdded).toBe(1);
    expect(t.w.state().rejected.has(decodeEntry(newer).hashHex)).toBe(true); // a grant by an editor: stored, then refused by the fold
  });

  /** The hash an entry would have if stored (never equal to a stored one here: none of these decode). */
  function sha(bytes: Uint8Array): Uint8Array {
    try {
      return decodeEntry(bytes).hash;
    } catch {
      return new Uint8Array(32);
    }
  }
});

describe("approvals count admins only", () => {
  it("with two approvals required, an editor's and a viewer's approve leave dave's removal of tom pending; alice's makes it effective everywhere", async () => {
    const r = roots();
    const clock = new TestClock();
    const [a, d, b, v, tom] = await Promise.all(["a", "d", "b", "v", "tom"].map((n) => newVault(r, n, clock)));
    const all = [a!, d!, b!, v!, tom!];
    try {
      a!.init("Field office", "alice");
      a!.addMember(d!.joinRequest("dave").bytes, "admin");
      a!.addMember(b!.joinRequest("bob").bytes, "editor");
      a!.addMember(v!.joinRequest("vera").bytes, "viewer");
      a!.addMember(tom!.joinRequest("tom").bytes, "editor");
      a!.setApprovals(2);
      sync(a!, d!, b!, v!, tom!);
      for (const x of all.slice(1)) sync(x, a!);
      sync(a!, d!, b!, v!, tom!);
      const removal = d!.removeMember("tom");
      expect(d!.state().proposals.has(removal.hashHex)).toBe(true);
      sync(d!, a!, b!, v!, tom!);
      const tomId = tom!.me().user.id;
      for (const x of [b!, v!]) {
        const forger = new HostileMember(x);
        const approve = forger.entry({ type: "approve", proposal: removal.hash });
        importInto(a!, [forger.bundle({ entries: [approve] })]);
        expect(a!.state().rejected.get(approve.hashHex)).toBe("only admins approve changes");
        expect(a!.state().proposals.get(removal.hashHex)?.approvers.size).toBe(1);
        expect(a!.state().users.get(tomId)?.active).toBe(true);
      }
      a!.approve(removal.hashHex.slice(0, 12));
      expect(a!.state().users.get(tomId)?.active).toBe(false);
      expect(a!.state().proposals.has(removal.hashHex)).toBe(false);
      sync(a!, d!, b!, v!);
      for (const x of [d!, b!, v!]) expect(membership(x.state())).toBe(membership(a!.state()));
    } finally {
      for (const x of all) x.close();
    }
  });
});

describe("two admins remove each other at the same time", () => {
  it("every vault ends with the removal whose entry hash is smaller applied and the other refused (docs/team-model.md, the fold)", async () => {
    const r = roots();
    const clock = new TestClock();
    const [a, d, e] = await Promise.all(["a", "d", "e"].map((n) => newVault(r, n, clock)));
    const all = [a!, d!, e!];
    try {
      a!.init("Field office", "alice");
      a!.addMember(d!.joinRequest("dave").bytes, "admin");
      a!.addMember(e!.joinRequest("erin").bytes, "admin");
      sync(a!, d!, e!);
      for (const x of [d!, e!]) sync(x, a!);
      sync(a!, d!, e!);
      // Neither has seen the other's removal when making its own.
      const byDave = d!.removeMember("erin");
      const byErin = e!.removeMember("dave");
      const fromDave = exportBundles(d!);
      const fromErin = exportBundles(e!);
      importInto(e!, fromDave);
      importInto(d!, fromErin);
      importInto(a!, [...fromDave, ...fromErin]);
      // An honest export no longer addresses the device its author removed; each removal is
      // also handed to its target in a bundle of its own, so all three vaults hold both entries.
      const deviceOf = (x: Vault) => x.state().devices.get(x.deviceId)!;
      importInto(e!, [new HostileMember(d!).bundle({ entries: [byDave] }, [deviceOf(e!)])]);
      importInto(d!, [new HostileMember(e!).bundle({ entries: [byErin] }, [deviceOf(d!)])]);
      for (const x of all) expect(x.entries().has(byDave.hashHex) && x.entries().has(byErin.hashHex)).toBe(true);
      const [first, second] = [byDave, byErin].sort((x, y) => (x.hashHex < y.hashHex ? -1 : 1)) as [TeamEntry, TeamEntry];
      const removed = first === byDave ? "erin" : "dave";
      const stays = removed === "erin" ? "dave" : "erin";
      for (const x of all) {
        const s = x.state();
        expect(s.rejected.has(first.hashHex)).toBe(false);
        expect(s.effective.get(first.hashHex)).toBe(first.hashHex);
        expect(s.rejected.get(second.hashHex)).toMatch(/removed/);
        const byName = new Map([...s.users.values()].map((u) => [u.name, u]));
        expect(byName.get(removed)?.active).toBe(false);
        expect(byName.get(stays)?.active).toBe(true);
        expect(byName.get(stays)?.role).toBe("admin");
        expect(membership(s)).toBe(membership(a!.state()));
      }
    } finally {
      for (const x of all) x.close();
    }
  });
});
