/**
 * Read is enforced by keys (docs/team-model.md, "Roles and policies"; docs/testing.md, promise
 * P1): a member removed from the team, or demoted below a collection's read level, cannot open
 * what is written after the change — even when the bundles that carry it reach their vault.
 *
 * The honest exporter no longer addresses a removed device, so "cannot read what follows" would
 * hold trivially if the removed vault never received anything. Here the bundle layer is made to
 * leak on purpose: every bundle the remaining members exchange after the change is opened by a
 * remaining member and sealed again to the leaver too (what an exporter that forgot the removal,
 * or a remaining member forwarding it, would send). Only the collection keys then stand between
 * the leaver and the data, and the test checks exactly them: the entries arrive and apply, the
 * changesets arrive, and the records stay unreadable, because no grant made at or after the
 * change names the leaver's devices.
 */
import { describe, expect, it } from "vitest";
import { openBundle, sealBundle } from "@airlock/bundle-format";
import { importInto, newVault, sync, tempRoots, TestClock } from "../../test-support/vaults.js";
import { exportBundles } from "./sync.js";
import type { Vault } from "./vault.js";

const root = tempRoots("airlock-promises-");

/**
 * `from`'s export, each bundle opened by `via` (a remaining recipient) and sealed again by
 * `from`'s device to the same recipients plus `leaver`: the same payload bytes, now openable by
 * the leaver.
 */
function leakedExport(from: Vault, via: Vault, leaver: Vault): Uint8Array[] {
  const recipients = [...from.state().devices.values()].filter((d) => d.active && d.id !== from.deviceId).map((d) => d.keys.enc);
  return exportBundles(from).map((b) => {
    const opened = openBundle(b.bytes, { recipient: via.encryptionKey });
    expect(opened.sender).toEqual(from.deviceKey.publicKey);
    return sealBundle(opened.body, { recipients: [...recipients, leaver.encryptionKey.publicKey], sender: from.deviceKey, mailboxTag: opened.mailboxTag });
  });
}

/** Devices (hex) named by any accepted grant of `collection` made by `entry` or after it in the fold's order. */
function grantRecipientsSince(v: Vault, entry: string, collection: string): Set<string> {
  const state = v.state();
  const from = state.order.indexOf(entry);
  expect(from).toBeGreaterThan(0);
  const later = new Set(state.order.slice(from));
  const out = new Set<string>();
  for (const g of state.collections.get(collection)!.grants) {
    if (!later.has(g.entry)) continue;
    for (const d of g.grant.to) out.add(Buffer.from(d).toString("hex"));
  }
  return out;
}

/** Keys of `collection` introduced by `entry` or after it, and every device each was sealed to. */
function holdersOfKeysSince(v: Vault, entry: string, collection: string): Set<string> {
  const state = v.state();
  const later = new Set(state.order.slice(state.order.indexOf(entry)));
  const c = state.collections.get(collection)!;
  const out = new Set<string>();
  for (const k of c.keys) if (later.has(k.entry)) for (const d of c.holders.get(k.id) ?? []) out.add(d);
  return out;
}

/** Alice (owner), Bob and Carol (editors); "notes" (viewers read) and "sources" (editors read); all in sync, one record each before. */
async function threeMembers(): Promise<{ a: Vault; b: Vault; c: Vault; clock: TestClock }> {
  const r = root();
  const clock = new TestClock();
  const a = await newVault(r, "a", clock);
  const b = await newVault(r, "b", clock);
  const c = await newVault(r, "c", clock);
  a.init("Field office", "alice");
  a.addMember(b.joinRequest("bob").bytes, "editor");
  a.addMember(c.joinRequest("carol").bytes, "editor");
  a.createCollection("sources", "Sources", "editor", "editor");
  sync(a, b, c);
  // Alice hears from both, so her later exports hold sync bundles only (no welcomes).
  sync(b, a, c);
  sync(c, a, b);
  for (const coll of ["notes", "sources"]) a.write(coll, [{ kind: "set", record: "before", field: "title", value: `${coll} before` }]);
  sync(a, b, c);
  for (const v of [b, c]) for (const coll of ["notes", "sources"]) expect(v.record(coll, "before")?.fields["title"]).toBe(`${coll} before`);
  clock.tick();
  return { a, b, c, clock };
}

describe("a member who loses read access receives what follows and cannot open it", () => {
  it("removed: the bundles after the removal reach Bob's vault, apply their entries, and every new record stays sealed to him", async () => {
    const { a, b, c, clock } = await threeMembers();
    try {
      const bob = b.deviceId;
      const removal = a.removeMember("bob");
      clock.tick();
      for (const coll of ["notes", "sources"]) a.write(coll, [{ kind: "set", record: "after", field: "title", value: `${coll} after the removal` }]);
      const leaked = leakedExport(a, c, b);

      const atCarol = importInto(c, leaked);
      const atBob = importInto(b, leaked);
      // Bob's vault really received and opened every bundle: the removal and the new changeset are in it.
      expect(atBob.notForMe).toBe(0);
      expect(atBob.bundles).toBe(leaked.length);
      expect(atBob.issues).toEqual([]);
      expect(b.entries().has(removal.hashHex)).toBe(true);
      expect(b.state().users.get(b.me().user.id)?.active).toBe(false);
      expect(atBob.changesetsNew).toBe(atCarol.changesetsNew);
      expect(atBob.changesetsNew).toBeGreaterThan(0);

      for (const coll of ["notes", "sources"]) {
        expect(c.record(coll, "after")?.fields["title"]).toBe(`${coll} after the removal`);
        expect(b.record(coll, "after")).toBeUndefined();
        // What Bob had before stays his: he held it already.
        expect(b.record(coll, "before")?.fields["title"]).toBe(`${coll} before`);
        // No grant from the removal on names Bob's device, and no key introduced since is held by it.
        for (const v of [a, b, c]) {
          expect(grantRecipientsSince(v, removal.hashHex, coll).has(bob)).toBe(false);
          expect(holdersOfKeysSince(v, removal.hashHex, coll).has(bob)).toBe(false);
        }
        expect(grantRecipientsSince(a, removal.hashHex, coll).has(c.deviceId)).toBe(true);
        expect(b.currentKeyId(coll)).not.toBe(a.currentKeyId(coll));
        expect(c.currentKeyId(coll)).toBe(a.currentKeyId(coll));
      }
    } finally {
      for (const v of [a, b, c]) v.close();
    }
  });

  it("demoted below the read level: Carol, now a viewer, gets the new notes but not the new sources, whose key no grant seals to her", async () => {
    const { a, b, c, clock } = await threeMembers();
    try {
      const carol = c.deviceId;
      const demotion = a.setRole("carol", "viewer");
      clock.tick();
      for (const coll of ["notes", "sources"]) a.write(coll, [{ kind: "set", record: "after", field: "title", value: `${coll} after the demotion` }]);
      // Carol is still a member: the honest export reaches her without any leak.
      const bundles = exportBundles(a);
      const atBob = importInto(b, bundles);
      const atCarol = importInto(c, bundles);
      expect(atCarol.notForMe).toBe(0);
      expect(atCarol.issues).toEqual([]);
      expect(atCarol.changesetsNew).toBe(atBob.changesetsNew);
      expect(c.me().user.role).toBe("viewer");

      // Notes are still hers to read (viewers read them): the same bundles carried both.
      expect(c.record("notes", "after")?.fields["title"]).toBe("notes after the demotion");
      expect(b.record("sources", "after")?.fields["title"]).toBe("sources after the demotion");
      expect(c.record("sources", "after")).toBeUndefined();
      expect(c.record("sources", "before")?.fields["title"]).toBe("sources before");
      for (const v of [a, b, c]) {
        expect(grantRecipientsSince(v, demotion.hashHex, "sources").has(carol)).toBe(false);
        expect(holdersOfKeysSince(v, demotion.hashHex, "sources").has(carol)).toBe(false);
      }
      expect(grantRecipientsSince(a, demotion.hashHex, "sources").has(b.deviceId)).toBe(true);
      expect(c.currentKeyId("sources")).not.toBe(a.currentKeyId("sources"));
      expect(c.currentKeyId("notes")).toBe(a.currentKeyId("notes"));
    } finally {
      for (const v of [a, b, c]) v.close();
    }
  });
});
