/**
 * The fold's bounds on couriers (docs/transport-key.md, "Couriers"): a member enrolling couriers
 * without end would make every admin export seal one enrollment per courier, so the 65th active
 * one is refused alone (the 64 before it stand, and a revocation makes room); a name outside the
 * spelling `couriers revoke NAME` takes is malformed in the log, not only on the command line.
 */
import { describe, expect, it } from "vitest";
import { x25519KeyPair } from "@airlock/bundle-format";
import { newVault, tempRoots } from "../../test-support/vaults.js";
import { decodeEntry, signEntry, type EntryBody, type TeamEntry } from "./entry.js";
import { MAX_ACTIVE_COURIERS, foldTeam } from "./state.js";

const root = tempRoots();

describe("couriers in the team fold", () => {
  it("refuses an active courier beyond the bound, alone, and takes one again after a revocation", async () => {
    const m = await newVault(root(), "m");
    m.init("Field office", "mallory");
    const log = new Map(m.entries());
    const team = m.state().team;
    let parents = [team];
    const append = (body: EntryBody): TeamEntry => {
      const e = signEntry(m.deviceKey, { team, parents, time: log.size, body });
      log.set(e.hashHex, e);
      parents = [e.hash];
      return e;
    };
    const keys = Array.from({ length: MAX_ACTIVE_COURIERS + 2 }, () => x25519KeyPair().publicKey);
    const enrolled = keys.slice(0, MAX_ACTIVE_COURIERS).map((key, i) => append({ type: "courier", name: `relay-${i}`, key }));
    const over = append({ type: "courier", name: "one-too-many", key: keys[MAX_ACTIVE_COURIERS]! });
    append({ type: "revoke-courier", key: keys[0]! });
    const after = append({ type: "courier", name: "replacement", key: keys[MAX_ACTIVE_COURIERS + 1]! });
    const s = foldTeam(m.teamId!, log);
    expect(s.rejected.get(over.hashHex)).toBe(`the team already has ${MAX_ACTIVE_COURIERS} couriers; revoke one first`);
    for (const e of [...enrolled, after]) expect(s.rejected.get(e.hashHex)).toBeUndefined();
    expect([...s.couriers.values()].filter((c) => c.revoked === undefined)).toHaveLength(MAX_ACTIVE_COURIERS);
  });

  it("a courier name outside the command line's spelling is malformed in the log", async () => {
    const m = await newVault(root(), "m");
    m.init("Field office", "mallory");
    const team = m.state().team;
    const signed = (name: string): Uint8Array => signEntry(m.deviceKey, { team, parents: [team], time: 1, body: { type: "courier", name, key: x25519KeyPair().publicKey } }).bytes;
    expect(decodeEntry(signed("relay-1.b_c")).body).toMatchObject({ type: "courier", name: "relay-1.b_c" });
    for (const name of ["Relay", "relay ", "-relay", "rélay"]) expect(() => decodeEntry(signed(name)), name).toThrow(/name must be lowercase letters/);
  });
});
