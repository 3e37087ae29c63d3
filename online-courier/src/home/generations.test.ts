/**
 * The courier's rules for transport key generations (docs/transport-key.md, "Generations"):
 * which enrollments arriving with a vault's bundles it adopts, how long it keeps the replaced key
 * (accepting its tags and draining its namespaces, never putting with it), and how a mailbox
 * server's key file replaces an older generation of the same team.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ed25519KeyPair, encodePayload, randomBytes, sealBundle, toHex, type KeyPair } from "@airlock/bundle-format";
import { TRANSPORT_GRACE_MS, TransportKey, transportKeyId } from "@airlock/shared";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { tempDir } from "../../test-support/courier-home.js";
import { Courier } from "../courier/courier.js";
import { generateCourierKey } from "./courier-key.js";
import { openEnrollment } from "./enrollment.js";
import { loadServedMailboxes, saveServedMailboxes, servedMailboxOf } from "./mailbox-server.js";
import { createHome, resolveHome, type CourierHome } from "./paths.js";
import { loadTeams, saveTeams, upsertTeam } from "./teams.js";

const NOW = Date.UTC(2026, 5, 1, 12);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function enrollment(team: TestTeam, tk: TransportKey, to: Uint8Array, sender: KeyPair, generation: number, admins: readonly KeyPair[], supersedes?: readonly TransportKey[]): Uint8Array {
  const transportKey = tk.exportKey();
  const ids = supersedes?.map((k) => transportKeyId(k.exportKey()));
  const body = encodePayload({ kind: "courier-enrollment", team: team.id, teamName: team.name, transportKey, epochSeconds: team.epochSeconds, mailbox: "", generation, admins: admins.map((a) => a.publicKey), ...(ids === undefined ? {} : { supersedes: ids }) });
  transportKey.fill(0);
  return sealBundle(body, { recipients: [to], sender, mailboxTag: new Uint8Array(16) });
}

function courierHome(team: TestTeam, admin: KeyPair): { home: CourierHome; key: KeyPair } {
  const root = tempDir("generations");
  dirs.push(root);
  const home = resolveHome(join(root, "c"));
  createHome(home);
  const key = generateCourierKey(home);
  const first = openEnrollment(enrollment(team, team.tk, key.publicKey, admin, 0, [admin]), key);
  saveTeams(home, upsertTeam([], first, `memory:gen${toHex(randomBytes(4))}`, {}, NOW).teams);
  return { home, key };
}

describe("enrollments that come with the bundles", () => {
  it("are adopted only from a named admin device and only for a later generation; the old key drains for the grace period", () => {
    const team = makeTeam("Gen");
    const admin = ed25519KeyPair();
    const { home, key } = courierHome(team, admin);
    let now = NOW;
    const c = Courier.open(home, { now: () => now });
    try {
      const gen1 = TransportKey.generate(team.epochSeconds);
      const gen2 = TransportKey.generate(team.epochSeconds);
      // A member who is not an admin (or a removed one) cannot move the courier to a key of theirs.
      const stranger = c.ingest(enrollment(team, gen1, key.publicKey, ed25519KeyPair(), 5, [admin]));
      expect(stranger).toMatchObject({ outcome: "refused", code: "COURIER_ENROLLMENT_SENDER" });
      // A bundle of the old generation sealed before the rotation reached this courier.
      const inFlight = teamBundle(team, team.tk.epochAt(now), new TextEncoder().encode("in flight"));
      expect(c.ingest(enrollment(team, gen1, key.publicKey, admin, 1, [admin]))).toEqual({ outcome: "enrollment", team: toHex(team.id), generation: 1, adopted: true });
      expect(c.ingest(enrollment(team, gen1, key.publicKey, admin, 1, [admin]))).toMatchObject({ outcome: "enrollment", adopted: false });
      // Another key that does not name the one held as replaced, and the key the courier already
      // replaced: refused, the courier keeps generation 1.
      expect(c.ingest(enrollment(team, gen2, key.publicKey, admin, 1, [admin], []))).toMatchObject({ outcome: "refused", code: "COURIER_OLD_GENERATION" });
      expect(c.ingest(enrollment(team, team.tk, key.publicKey, admin, 0, [admin], [gen1]))).toMatchObject({ outcome: "refused", code: "COURIER_OLD_GENERATION" });
      const saved = loadTeams(home)[0]!;
      expect(saved.generation).toBe(1);
      expect(saved.retired).toEqual([expect.objectContaining({ generation: 0, transportKey: toHex(team.tk.exportKey()), drainUntil: NOW + TRANSPORT_GRACE_MS })]);
      // In memory too: new bundles go under generation 1, the old one is still accepted while it drains.
      expect(c.teams[0]!.tk.mailboxId(1)).toBe(gen1.mailboxId(1));
      expect(c.ingest(inFlight)).toMatchObject({ outcome: "spooled" });
      const fresh = teamBundle({ ...team, tk: gen1 }, gen1.epochAt(now), new TextEncoder().encode("new"));
      expect(c.ingest(fresh)).toMatchObject({ outcome: "spooled" });
      // After the grace period an old-generation tag is a stranger's.
      now = NOW + TRANSPORT_GRACE_MS + 1;
      const late = teamBundle(team, team.tk.epochAt(now), new TextEncoder().encode("late"));
      expect(c.ingest(late)).toMatchObject({ outcome: "refused", code: "COURIER_UNKNOWN_TAG" });
    } finally {
      c.close();
    }
  });
});

describe("one stick, enrollments among the bundles", () => {
  it("a damaged or forged enrollment is refused alone; the good one is adopted first, so a bundle of its generation in the same batch is spooled", () => {
    const team = makeTeam("Batch");
    const admin = ed25519KeyPair();
    const { home, key } = courierHome(team, admin);
    const c = Courier.open(home, { now: () => NOW });
    try {
      const gen1 = TransportKey.generate(team.epochSeconds);
      const damaged = enrollment(team, gen1, key.publicKey, admin, 1, [admin]);
      damaged[damaged.length - 1]! ^= 1;
      const forged = enrollment(team, TransportKey.generate(team.epochSeconds), key.publicKey, ed25519KeyPair(), 1, [admin]);
      const fresh = teamBundle({ ...team, tk: gen1 }, gen1.epochAt(NOW), new TextEncoder().encode("under generation 1"));
      const out = c.ingestMany([fresh, damaged, forged, enrollment(team, gen1, key.publicKey, admin, 1, [admin])]);
      expect(out.map((o) => o.outcome)).toEqual(["spooled", "refused", "refused", "enrollment"]);
      expect(out[1]).toMatchObject({ code: "BUNDLE_AUTH" });
      expect(out[2]).toMatchObject({ code: "COURIER_ENROLLMENT_SENDER" });
      expect(out[3]).toMatchObject({ adopted: true, generation: 1 });
      expect(loadTeams(home)[0]!.transportKey).toBe(toHex(gen1.exportKey()));
    } finally {
      c.close();
    }
  });
});

describe("adoption by lineage (review H2, H3)", () => {
  it("adopts a key that names the held one as replaced, whatever the numbers; refuses a far jump; refreshes the trusted admins; init overrides", () => {
    const team = makeTeam("Lineage");
    const admin = ed25519KeyPair();
    const admin2 = ed25519KeyPair();
    const { home, key } = courierHome(team, admin);
    const c = Courier.open(home, { now: () => NOW });
    try {
      // Carol's rotation, numbered 1 in her view, later refused by the fold.
      const refused = TransportKey.generate(team.epochSeconds);
      expect(c.ingest(enrollment(team, refused, key.publicKey, admin, 1, [admin], []))).toMatchObject({ adopted: true, generation: 1 });
      // Alice's generation, also numbered 1 in her view, names the refused key as replaced: adopted.
      const honest = TransportKey.generate(team.epochSeconds);
      expect(c.ingest(enrollment(team, honest, key.publicKey, admin, 1, [admin], [refused]))).toMatchObject({ adopted: true, generation: 1 });
      expect(loadTeams(home)[0]!.transportKey).toBe(toHex(honest.exportKey()));
      // The refused key does not come back, whatever number it claims.
      expect(c.ingest(enrollment(team, refused, key.publicKey, admin, 7, [admin], [honest]))).toMatchObject({ outcome: "refused", code: "COURIER_OLD_GENERATION" });
      // A number far past the held one is refused even from a trusted admin (a forged takeover needs the operator).
      const far = TransportKey.generate(team.epochSeconds);
      expect(c.ingest(enrollment(team, far, key.publicKey, admin, 5000, [admin], [honest]))).toMatchObject({ outcome: "refused", code: "COURIER_OLD_GENERATION" });
      // The held key, from a trusted admin, with a new admin list: admin2 is trusted from now on, admin no longer.
      expect(c.ingest(enrollment(team, honest, key.publicKey, admin, 1, [admin2], [refused]))).toMatchObject({ adopted: false });
      expect(loadTeams(home)[0]!.admins).toEqual([toHex(admin2.publicKey)]);
      const next = TransportKey.generate(team.epochSeconds);
      expect(c.ingest(enrollment(team, next, key.publicKey, admin, 2, [admin], [honest]))).toMatchObject({ outcome: "refused", code: "COURIER_ENROLLMENT_SENDER" });
      expect(c.ingest(enrollment(team, next, key.publicKey, admin2, 2, [admin2], [refused, honest]))).toMatchObject({ adopted: true, generation: 2 });
    } finally {
      c.close();
    }
    // The operator's init with a genuine enrollment overrides, even going back to a replaced key (with a warning).
    const back = openEnrollment(enrollment(team, team.tk, key.publicKey, admin, 0, [admin]), key);
    const result = upsertTeam(loadTeams(home), back, "", {}, NOW);
    expect(result.replacedNewer).toBe(true);
    expect(result.team.transportKey).toBe(toHex(team.tk.exportKey()));
  });
});

describe("a mailbox server's key file across generations", () => {
  it("replaces the older generation of the same team and refuses to go back", () => {
    const team = makeTeam("Served");
    const admin = ed25519KeyPair();
    const { home, key } = courierHome(team, admin);
    const root = tempDir("server");
    dirs.push(root);
    const server = resolveHome(join(root, "s"));
    createHome(server);
    const other = makeTeam("Other");
    const otherCourier = courierHome(other, admin);
    saveServedMailboxes(server, [...loadTeams(home), ...loadTeams(otherCourier.home)].map(servedMailboxOf));
    const gen0 = loadServedMailboxes(server);
    expect(gen0.map((e) => e.generation)).toEqual([0, 0]);

    const c = Courier.open(home, { now: () => NOW });
    c.ingest(enrollment(team, TransportKey.generate(team.epochSeconds), key.publicKey, admin, 1, [admin]));
    c.close();
    const result = saveServedMailboxes(server, loadTeams(home).map(servedMailboxOf));
    expect(result.replaced).toBe(1);
    const now = loadServedMailboxes(server);
    expect(now).toHaveLength(2);
    expect(now.find((e) => e.team === gen0[0]!.team)).toMatchObject({ generation: 1 });
    expect(now.find((e) => e.team === gen0[0]!.team)!.serverKey).not.toBe(gen0[0]!.serverKey);
    // The other team is untouched; an old key file does not bring generation 0 back.
    expect(now.find((e) => e.team === gen0[1]!.team)).toEqual(gen0[1]);
    expect(() => saveServedMailboxes(server, [gen0[0]!])).toThrow(/generation 0/);
    // review L1: the operator's --force takes the file all the same (a wrong higher number would block every honest update).
    expect(saveServedMailboxes(server, [gen0[0]!], { force: true }).replaced).toBe(1);
    expect(loadServedMailboxes(server).find((e) => e.team === gen0[0]!.team)).toEqual(gen0[0]);
  });
});
