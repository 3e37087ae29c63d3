/**
 * Key grants and who a fresh collection key is sealed to (docs/team-model.md, "Roles and
 * policies", "Keys are judged by the fold", "Repairing keys"; invariants I1, I2, I8). Written
 * for the mutation group `grants` (docs/testing.md, "Mutation testing"): what the older tests
 * left unchecked. The first part needs no vault: grants sealed and opened with real keys.
 */
import { cpSync } from "node:fs";
import { join } from "node:path";
import { ed25519KeyPair, randomBytes, sealBundle, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thrownAirlockError } from "../../test-support/errors.js";
import { HostileMember } from "../../test-support/hostile.js";
import { importInto, newVault, settle, sync, team, tempRoot, tempRoots, TestClock, TEST_PASSPHRASE } from "../../test-support/vaults.js";
import { keyRepairs } from "./heal-grants.js";
import { passphraseBytes } from "../store/index.js";
import { Vault } from "./vault.js";
import { encodeObject, type Plain } from "../team/cbor-object.js";
import { keyIdOf } from "../sync/changeset.js";
import { certifyDevice, type EntryBody, type KeyGrant, type TeamEntry } from "../team/entry.js";
import type { DeviceState } from "../team/state.js";
import { openGrant, sealGrant } from "./grants.js";

/** A device as the fold knows it: only its public keys matter to a grant. */
function device(): { state: DeviceState; enc: KeyPair } {
  const sign = ed25519KeyPair();
  const enc = x25519KeyPair();
  const state = { id: Buffer.from(sign.publicKey).toString("hex"), keys: { sign: sign.publicKey, enc: enc.publicKey, cert: new Uint8Array(64) }, user: "u", active: true, cutoff: undefined, losses: [] } as DeviceState;
  return { state, enc };
}

/** A grant whose sealed body says whatever `keys` says, naming `claim` in clear. */
function forged(sender: KeyPair, collection: string, keys: readonly Plain[], claim: readonly Uint8Array[], to: KeyPair, extra: Record<string, Plain> = {}): KeyGrant {
  const body = encodeObject({ keys: keys as Plain[], ...extra });
  return { collection, to: [to.publicKey], keys: claim, sealed: sealBundle(body, { recipients: [to.publicKey], sender, mailboxTag: new Uint8Array(16) }) };
}

describe("sealing and opening a grant", () => {
  const sender = ed25519KeyPair();

  it("opens to exactly the keys it names, oldest first, for its recipients only; `to` is sorted", () => {
    const devices = Array.from({ length: 5 }, () => device());
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const grant = sealGrant(sender, "notes", keys, devices.map((d) => d.state));
    expect(grant.collection).toBe("notes");
    expect(grant.keys.map((k) => Buffer.from(k).toString("hex"))).toEqual(keys.map((k) => Buffer.from(keyIdOf(k)).toString("hex")));
    const to = grant.to.map((k) => Buffer.from(k).toString("hex"));
    expect(to).toEqual([...to].sort());
    expect(new Set(to)).toEqual(new Set(devices.map((d) => d.state.id)));
    for (const d of devices) {
      const opened = openGrant(grant, d.enc);
      expect(opened.map((k) => k.collection)).toEqual(["notes", "notes", "notes"]);
      expect(opened.map((k) => Buffer.from(k.key).toString("hex"))).toEqual(keys.map((k) => Buffer.from(k).toString("hex")));
      expect(opened.map((k) => Buffer.from(k.keyId).toString("hex"))).toEqual(grant.keys.map((k) => Buffer.from(k).toString("hex")));
    }
    expect(openGrant(grant, x25519KeyPair())).toEqual([]);
  });

  it("refuses to seal nothing, or to nobody", () => {
    const d = device();
    expect(() => sealGrant(sender, "notes", [], [d.state])).toThrow(new RangeError("a grant seals at least one key to at least one device"));
    expect(() => sealGrant(sender, "notes", [randomBytes(32)], [])).toThrow(new RangeError("a grant seals at least one key to at least one device"));
  });

  it("a sealed body that does not open as a bundle is an error, not 'not for me'", () => {
    const me = x25519KeyPair();
    const grant: KeyGrant = { collection: "notes", to: [me.publicKey], keys: [keyIdOf(randomBytes(32))], sealed: randomBytes(300) };
    expect(() => openGrant(grant, me)).toThrow();
  });

  describe("a grant whose sealed content does not match what it names in clear is refused (KEY_GRANT_INVALID)", () => {
    const me = x25519KeyPair();
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const entry = (key: Uint8Array, collection = "notes", id: Uint8Array = keyIdOf(key)): Plain => ({ collection, id, key });
    const refused = (grant: KeyGrant, why: RegExp): void => {
      const e = thrownAirlockError(() => openGrant(grant, me));
      expect(e.code).toBe("KEY_GRANT_INVALID");
      expect(e.message).toMatch(/^key grant: /);
      expect(e.message).toMatch(why);
      expect(e.hint).toBe("the grant is damaged; ask an admin to grant the keys again (airlock collections grant)");
    };

    it("a key that is not the one its id names", () => refused(forged(sender, "notes", [entry(k1, "notes", keyIdOf(k2))], [keyIdOf(k2)], me), /keys\[0\] does not match its id/));
    it("a key for another collection", () => refused(forged(sender, "notes", [entry(k1, "sources")], [keyIdOf(k1)], me), /keys\[0\] is for another collection/));
    it("a key other than the one named in clear", () => refused(forged(sender, "notes", [entry(k1)], [keyIdOf(k2)], me), /keys\[0\] is not the key the grant names in clear/));
    it("the same keys in another order", () => refused(forged(sender, "notes", [entry(k2), entry(k1)], [keyIdOf(k1), keyIdOf(k2)], me), /keys\[0\] is not the key/));
    it("more keys than named", () => refused(forged(sender, "notes", [entry(k1), entry(k2)], [keyIdOf(k1)], me), /keys\[1\] is not the key the grant names in clear/));
    it("fewer keys than named", () => refused(forged(sender, "notes", [entry(k1)], [keyIdOf(k1), keyIdOf(k2)], me), /holds 1 keys but names 2 in clear/));
    it("a field the format does not have", () => refused(forged(sender, "notes", [entry(k1)], [keyIdOf(k1)], me, { note: "x" }), /^key grant: grant has unknown field "note"$/));
    it("a key entry with a field the format does not have", () => refused(forged(sender, "notes", [{ collection: "notes", id: keyIdOf(k1), key: k1, extra: 1 }], [keyIdOf(k1)], me), /keys\[0\] has unknown field "extra"/));
    it("keys that are not a list", () => refused(forged(sender, "notes", "x" as unknown as Plain[], [keyIdOf(k1)], me), /^key grant: keys must be a list of at most 4096 items$/));
    it("a key of the wrong length", () => refused(forged(sender, "notes", [{ collection: "notes", id: keyIdOf(k1), key: k1.slice(0, 31) }], [keyIdOf(k1)], me), /keys\[0\]\.key must be 32 bytes/));
    it("an id of the wrong length", () => refused(forged(sender, "notes", [{ collection: "notes", id: keyIdOf(k1).slice(0, 15), key: k1 }], [keyIdOf(k1)], me), /keys\[0\]\.id must be 16 bytes/));
    it("an empty collection name", () => refused(forged(sender, "", [entry(k1, "")], [keyIdOf(k1)], me), /keys\[0\]\.collection must be text of 1\.\.64/));
    it("a collection name over 64 characters", () => refused(forged(sender, "n".repeat(65), [entry(k1, "n".repeat(65))], [keyIdOf(k1)], me), /keys\[0\]\.collection must be text of 1\.\.64/));
    it("the sealed body is decoded within the grant's own limits (512 KiB, nesting 4, 4096 items) before its fields are read", () => {
      const limit = (grant: KeyGrant): { code: unknown; message: string } => {
        try {
          openGrant(grant, me);
        } catch (e) {
          return { code: (e as { code?: unknown }).code, message: (e as Error).message };
        }
        throw new Error("the grant opened");
      };
      const one = [entry(k1)];
      const claim = [keyIdOf(k1)];
      // Each body would otherwise be refused for its content (an unknown field, too many keys), later and differently.
      expect(limit(forged(sender, "notes", one, claim, me, { note: [[[[1]]]] }))).toEqual({ code: "BUNDLE_MALFORMED", message: expect.stringMatching(/nesting deeper than 4/) });
      expect(limit(forged(sender, "notes", one, claim, me, { note: [[[1]]] }))).toEqual({ code: "KEY_GRANT_INVALID", message: 'key grant: grant has unknown field "note"' });
      expect(limit(forged(sender, "notes", Array.from({ length: 4097 }, () => entry(k1)), claim, me))).toEqual({ code: "BUNDLE_MALFORMED", message: expect.stringMatching(/4097 entries, more than 4096/) });
      expect(limit(forged(sender, "notes", one, claim, me, { note: new Uint8Array(512 * 1024) }))).toEqual({ code: "BUNDLE_TOO_LARGE", message: expect.stringMatching(/at most 524288 are accepted/) });
    });
    it("a grant of 64-character collection name opens", () => {
      const name = "n".repeat(64);
      expect(openGrant(forged(sender, name, [entry(k1, name)], [keyIdOf(k1)], me), me).map((k) => k.collection)).toEqual([name]);
    });
  });
});

// ---- who a fresh key is sealed to ------------------------------------------------------------

const roots = tempRoots();
let template: { root: string; cleanup(): void };

/**
 * Alice (owner), Dora (admin), Bob (editor), Vera (viewer); notes (read viewer), sources (read
 * editor), board (read admin); every vault holds every key it may. Built per describe that needs
 * it (the grant tests above need no vault).
 */
async function buildTemplate(): Promise<void> {
  template = tempRoot();
  const clock = new TestClock();
  const { a, b } = await team(template.root, clock);
  const d = await newVault(template.root, "d", clock);
  const v = await newVault(template.root, "v", clock);
  a.addMember(d.joinRequest("dora").bytes, "admin");
  a.addMember(v.joinRequest("vera").bytes, "viewer");
  a.createCollection("sources", "Sources", "editor", "editor");
  a.createCollection("board", "Board", "admin", "admin");
  a.write("sources", [{ kind: "set", record: "s0", field: "title", value: "written before" }]);
  settle([a, b, d, v]);
  for (const x of [a, b, d, v]) x.close();
}

async function fresh(): Promise<{ a: Vault; b: Vault; d: Vault; v: Vault; close(): void }> {
  const r = roots();
  cpSync(template.root, r, { recursive: true });
  const clock = new TestClock();
  const open = (name: string): Promise<Vault> => Vault.open(join(r, name), passphraseBytes(TEST_PASSPHRASE), { kdf: "test-insecure", now: clock.now });
  const [a, b, d, v] = [await open("a"), await open("b"), await open("d"), await open("v")];
  return { a, b, d, v, close: () => [a, b, d, v].forEach((x) => x.close()) };
}

const hx = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** A rekeying entry's grants: per collection, the device ids (hex) each is sealed to and how many keys. */
function rekeysOf(e: TeamEntry): Record<string, { to: string[]; keys: number }[]> {
  const body = e.body as EntryBody & { rekeys?: readonly KeyGrant[]; grants?: readonly KeyGrant[] };
  const out: Record<string, { to: string[]; keys: number }[]> = {};
  for (const g of body.rekeys ?? body.grants ?? []) (out[g.collection] ??= []).push({ to: g.to.map(hx).sort(), keys: g.keys.length });
  return out;
}
const devicesOf = (...vaults: Vault[]): string[] => vaults.map((x) => x.deviceId).sort();
const cutoffDevices = (e: TeamEntry): string[] => ((e.body as { cutoffs?: readonly { device: Uint8Array }[] }).cutoffs ?? []).map((c) => hx(c.device)).sort();

describe("with a team of four vaults", () => {
  beforeAll(buildTemplate);
  afterAll(() => template.cleanup());

  describe("who a fresh collection key is sealed to", () => {
    it("removing a member: a fresh key for each collection it read, sealed to the remaining readers only", async () => {
      const t = await fresh();
      const removal = t.a.removeMember("bob");
      expect(rekeysOf(removal)).toEqual({
        notes: [{ to: devicesOf(t.a, t.d, t.v), keys: 1 }],
        sources: [{ to: devicesOf(t.a, t.d), keys: 1 }],
      });
      expect(cutoffDevices(removal)).toEqual([t.b.deviceId]);
      // The fold agrees: the key Alice now writes sources with is held by Alice and Dora alone.
      const holders = t.a.state().collections.get("sources")!.holders.get(t.a.currentKeyId("sources")!)!;
      expect([...holders].sort()).toEqual(devicesOf(t.a, t.d));
      t.close();
    });

    it("an admin cannot remove itself, nor change the policy of a collection that does not exist", async () => {
      const t = await fresh();
      const self = thrownAirlockError(() => t.a.removeMember("alice"));
      expect([self.code, self.message]).toEqual(["VAULT_BAD_ARGUMENT", "you cannot remove yourself"]);
      const none = thrownAirlockError(() => t.a.setPolicy("nope", "viewer", "editor"));
      expect([none.code, none.message]).toEqual(["VAULT_NOT_FOUND", 'no collection "nope"']);
      // An editor changes no membership or policy: refused before anything is sealed.
      const bob = (f: () => unknown): string[] => { const e = thrownAirlockError(f); return [e.code, e.message]; };
      expect(bob(() => t.b.removeMember("vera"))).toEqual(["VAULT_NOT_ALLOWED", "a editor cannot remove members (needs admin)"]);
      expect(bob(() => t.b.setRole("vera", "editor"))).toEqual(["VAULT_NOT_ALLOWED", "a editor cannot change roles (needs admin)"]);
      expect(bob(() => t.b.setPolicy("notes", "viewer", "viewer"))).toEqual(["VAULT_NOT_ALLOWED", "a editor cannot change collection policies (needs admin)"]);
      t.close();
    });

    it("promoting a member none of whose devices is active seals nothing to nobody", async () => {
      const t = await fresh();
      t.a.revokeDevice(t.v.deviceId);
      const promotion = t.a.setRole("vera", "editor");
      expect(rekeysOf(promotion)).toEqual({});
      expect(t.a.state().users.get(t.v.me().user.id)?.role).toBe("editor");
      t.close();
    });

    it("removing a viewer rotates only what it read", async () => {
      const t = await fresh();
      expect(rekeysOf(t.a.removeMember("vera"))).toEqual({ notes: [{ to: devicesOf(t.a, t.b, t.d), keys: 1 }] });
      t.close();
    });

    it("demoting below a read level rotates that collection away from the member; what it still reads keeps its key; a demotion cuts off", async () => {
      const t = await fresh();
      const demotion = t.a.setRole("bob", "viewer");
      expect(rekeysOf(demotion)).toEqual({ sources: [{ to: devicesOf(t.a, t.d), keys: 1 }] });
      expect(cutoffDevices(demotion)).toEqual([t.b.deviceId]);
      const adminDown = t.a.setRole("dora", "editor");
      expect(rekeysOf(adminDown)).toEqual({ board: [{ to: devicesOf(t.a), keys: 1 }] });
      t.close();
    });

    it("promoting to a read level seals the collection's keys to the member's devices, so it reads what was written before; no cutoff", async () => {
      const t = await fresh();
      const keysBefore = t.a.state().collections.get("sources")!.keys.length;
      const promotion = t.a.setRole("vera", "editor");
      expect(rekeysOf(promotion)).toEqual({ sources: [{ to: devicesOf(t.v), keys: keysBefore }] });
      expect(cutoffDevices(promotion)).toEqual([]);
      // To admin: the board too; a promotion within what it reads (editor to admin for sources) gives nothing more.
      const toAdmin = t.a.setRole("bob", "admin");
      expect(rekeysOf(toAdmin)).toEqual({ board: [{ to: devicesOf(t.b), keys: 1 }] });
      // The same role again: nothing sealed, nothing cut off.
      const same = t.a.setRole("bob", "admin");
      expect([rekeysOf(same), cutoffDevices(same)]).toEqual([{}, []]);
      settle([t.a, t.v]);
      expect(t.v.record("sources", "s0")?.fields["title"]).toBe("written before");
      t.close();
    });

    it("raising a read level: one fresh key to those who still read; the writers who lose the right are cut off", async () => {
      const t = await fresh();
      const raised = t.a.setPolicy("sources", "admin", "admin");
      expect(rekeysOf(raised)).toEqual({ sources: [{ to: devicesOf(t.a, t.d), keys: 1 }] });
      expect(cutoffDevices(raised)).toEqual([t.b.deviceId]);
      // Raising only the write level: no writer of notes but Bob loses it (admins and the owner keep it).
      const notesWrite = t.a.setPolicy("notes", "viewer", "admin");
      expect(cutoffDevices(notesWrite)).toEqual([t.b.deviceId]);
      expect(rekeysOf(notesWrite)).toEqual({ notes: [{ to: devicesOf(t.a, t.b, t.d, t.v), keys: 1 }] });
      t.close();
    });

    it("a policy change seals its fresh key to no revoked device and no removed member", async () => {
      const t = await fresh();
      t.a.revokeDevice(t.v.deviceId);
      t.a.removeMember("bob");
      expect(rekeysOf(t.a.setPolicy("notes", "viewer", "editor"))).toEqual({ notes: [{ to: devicesOf(t.a, t.d), keys: 1 }] });
      t.close();
    });

    it("an admin who cannot read a collection cannot change its policy: a typed refusal, nothing appended", async () => {
      const t = await fresh();
      t.a.createCollection("vault", "Vault", "owner", "owner");
      settle([t.a, t.d]);
      const before = t.d.state().order.length;
      const e = thrownAirlockError(() => t.d.setPolicy("vault", "admin", "admin"));
      expect(e.message).toMatch(/may not read "vault", so it may not hand out its keys/);
      expect(t.d.state().order.length).toBe(before);
      t.close();
    });

    it("a device that leaves seals fresh keys to the readers that stay, and none for a collection only it read", async () => {
      const t = await fresh();
      t.a.createCollection("vault", "Vault", "owner", "owner");
      const key = t.a.currentKeyId("vault")!;
      const leave = t.a.revokeSelf();
      // Nobody reads it any more: there is nobody to repair its key for, though the key's only holder left.
      expect(keyRepairs(t.a.state(), "vault", key).kind).toBe("none");
      expect(rekeysOf(leave)).toEqual({
        notes: [{ to: devicesOf(t.b, t.d, t.v), keys: 1 }],
        sources: [{ to: devicesOf(t.b, t.d), keys: 1 }],
        board: [{ to: devicesOf(t.d), keys: 1 }],
      });
      t.close();
    });

    it("lowering a read level: the new readers get the old keys, everyone a fresh one; nobody is cut off", async () => {
      const t = await fresh();
      const oldKeys = t.a.state().collections.get("board")!.keys.length;
      const lowered = t.a.setPolicy("board", "viewer", "admin");
      expect(rekeysOf(lowered)).toEqual({
        board: [
          { to: devicesOf(t.b, t.v), keys: oldKeys },
          { to: devicesOf(t.a, t.b, t.d, t.v), keys: 1 },
        ],
      });
      expect(cutoffDevices(lowered)).toEqual([]);
      t.close();
    });

    it("a new member's admission carries the keys of exactly the collections its role reads", async () => {
      const t = await fresh();
      const e = await newVault(roots(), "e", new TestClock());
      const viewer = t.a.addMember(e.joinRequest("erin").bytes, "viewer");
      const f = await newVault(roots(), "f", new TestClock());
      const editor = t.a.addMember(f.joinRequest("finn").bytes, "editor");
      const to = (x: Vault): string[] => [x.deviceId];
      expect(rekeysOf(viewer.entry)).toEqual({ notes: [{ to: to(e), keys: 1 }] });
      expect(rekeysOf(editor.entry)).toEqual({ notes: [{ to: to(f), keys: 1 }], sources: [{ to: to(f), keys: 1 }] });
      e.close();
      f.close();
      t.close();
    });
  });

  describe("repairing keys (docs/team-model.md, \"Repairing keys\")", () => {
    it("what each collection needs: nothing when every reader holds the write key; a fresh key when a former reader holds it", async () => {
      const t = await fresh();
      const old = t.a.currentKeyId("notes")!;
      t.a.removeMember("bob");
      const state = t.a.state();
      const current = t.a.currentKeyId("notes")!;
      const ids = (r: ReturnType<typeof keyRepairs>): unknown => (r.kind === "none" ? "none" : { kind: r.kind, to: r.to.map((d) => d.id).sort() });
      expect(ids(keyRepairs(state, "notes", current))).toBe("none");
      // Writing with the key Bob held: a fresh key for every current reader.
      expect(ids(keyRepairs(state, "notes", old))).toEqual({ kind: "rotate", to: devicesOf(t.a, t.d, t.v) });
      // A key the fold never saw, no key held while the collection has some, a collection that does not exist: nothing to do here.
      expect(ids(keyRepairs(state, "notes", "00".repeat(16)))).toBe("none");
      expect(ids(keyRepairs(state, "notes", undefined))).toBe("none");
      expect(ids(keyRepairs(state, "nothing", current))).toBe("none");
      t.close();
    });

    it("a member admitted without keys (a modified client) gets them from an admin's repair: the keys since the last compaction, to it alone", async () => {
      const t = await fresh();
      const identity = ed25519KeyPair();
      const enc = x25519KeyPair();
      const mona = { user: identity.publicKey, keys: certifyDevice(identity, ed25519KeyPair().publicKey, enc.publicKey) };
      const dora = new HostileMember(t.d);
      const admission = dora.entry({ type: "add-member", user: mona.user, userName: "mona", role: "editor", device: mona.keys, grants: [] });
      // Bob (an editor) may not repair: his vault appends nothing.
      const bobBefore = t.b.state().order.length;
      importInto(t.b, [dora.bundle({ entries: [admission] })]);
      expect(t.b.state().order.length).toBe(bobBefore + 1);
      importInto(t.a, [dora.bundle({ entries: [admission] })]);
      const repair = t.a.entries().get(t.a.state().order.at(-1)!)!;
      expect(repair.body.type).toBe("grant");
      expect(hx(repair.author)).toBe(t.a.deviceId);
      const monaDevice = hx(mona.keys.sign);
      const state = t.a.state();
      expect(rekeysOf(repair)).toEqual({
        notes: [{ to: [monaDevice], keys: state.collections.get("notes")!.keys.length }],
        sources: [{ to: [monaDevice], keys: state.collections.get("sources")!.keys.length }],
      });
      // Mona opens every key she was sealed, and the fold lists her as a holder of the write key.
      for (const g of (repair.body as { grants: readonly KeyGrant[] }).grants) expect(openGrant(g, enc).length).toBe(g.keys.length);
      expect(state.collections.get("sources")!.holders.get(t.a.currentKeyId("sources")!)!.has(monaDevice)).toBe(true);
      expect(keyRepairs(state, "sources", t.a.currentKeyId("sources")!).kind).toBe("none");
      t.close();
    });

    it("a reader that may not repair (an editor) is not held up by a repair it cannot make: it still carries its writes forward after a compaction", async () => {
      const t = await fresh();
      t.a.compact("sources");
      // Bob has not seen the compaction: he writes under the old key, after its frontier.
      t.b.write("sources", [{ kind: "set", record: "s1", field: "title", value: "written offline" }]);
      // Dora (a modified client) admits Mona as an editor without her keys: on Bob's vault, sources
      // now has a reader who lacks its write key, which only an admin may repair.
      const identity = ed25519KeyPair();
      const mona = certifyDevice(identity, ed25519KeyPair().publicKey, x25519KeyPair().publicKey);
      const dora = new HostileMember(t.d);
      importInto(t.b, [dora.bundle({ entries: [dora.entry({ type: "add-member", user: identity.publicKey, userName: "mona", role: "editor", device: mona, grants: [] })] })]);
      const ownSeq = (): number => t.b.storage.heads.seqOf(t.b.deviceKey.publicKey) ?? 0;
      const seqBefore = ownSeq();
      const entriesBefore = t.b.state().order.length;
      sync(t.a, t.b); // the compaction and its key reach Bob
      const state = t.b.state();
      expect(keyRepairs(state, "sources", t.b.currentKeyId("sources")!).kind).toBe("share");
      // Bob appends nothing (the repair is not his to make) but writes his change again under the
      // compaction's key, so a member admitted later reads it.
      expect(state.order.length).toBe(entriesBefore + 1);
      expect(ownSeq()).toBe(seqBefore + 1);
      t.close();
    });

    it("a collection created without a key (a modified client) gets a fresh one from an admin that reads it, sealed to all its readers", async () => {
      const t = await fresh();
      const dora = new HostileMember(t.d);
      const created = dora.entry({ type: "collection", id: "empty", name: "Empty", read: "editor", write: "editor", grants: [] });
      importInto(t.a, [dora.bundle({ entries: [created] })]);
      const repair = t.a.entries().get(t.a.state().order.at(-1)!)!;
      expect(repair.body.type).toBe("grant");
      expect(rekeysOf(repair)).toEqual({ empty: [{ to: devicesOf(t.a, t.b, t.d), keys: 1 }] });
      expect(t.a.currentKeyId("empty")).toBeDefined();
      t.close();
    });

    it("an admin repairs only what it reads: a keyless collection only owners read is left to them, and does not cost the repair of one it reads", async () => {
      const t = await fresh();
      const alice = new HostileMember(t.a);
      const ownersOnly = alice.entry({ type: "collection", id: "vault", name: "Vault", read: "owner", write: "owner", grants: [] });
      const forEditors = alice.entry({ type: "collection", id: "empty", name: "Empty", read: "editor", write: "editor", grants: [] }, { parents: [ownersOnly.hash] });
      const before = t.d.state().order.length;
      importInto(t.d, [alice.bundle({ entries: [ownersOnly, forEditors] })]);
      const order = t.d.state().order;
      expect(order.length).toBe(before + 3);
      const repair = t.d.entries().get(order.at(-1)!)!;
      expect([repair.body.type, hx(repair.author)]).toEqual(["grant", t.d.deviceId]);
      expect(rekeysOf(repair)).toEqual({ empty: [{ to: devicesOf(t.a, t.b, t.d), keys: 1 }] });
      expect(t.d.currentKeyId("vault")).toBeUndefined();
      t.close();
    });
  });

  describe("a reader without a key, a level no active device reaches", () => {
    it("an admin that lacks a collection's key (sealed to others only) admits a member with the keys it holds, and none for that collection", async () => {
      const t = await fresh();
      const alice = new HostileMember(t.a);
      const aliceDevice = t.a.state().devices.get(t.a.deviceId)!;
      importInto(t.d, [alice.bundle({ entries: [alice.entry({ type: "collection", id: "x", name: "X", read: "editor", write: "editor", grants: [sealGrant(t.a.deviceKey, "x", [randomBytes(32)], [aliceDevice])] })] })]);
      expect(t.d.state().collections.get("x")!.keys.length).toBe(1);
      expect(t.d.currentKeyId("x")).toBeUndefined();
      const e = await newVault(roots(), "e", new TestClock());
      const admission = t.d.addMember(e.joinRequest("erin").bytes, "editor");
      expect(rekeysOf(admission.entry)).toEqual({ notes: [{ to: [e.deviceId], keys: 1 }], sources: [{ to: [e.deviceId], keys: 1 }] });
      e.close();
      t.close();
    });

    it("raising a read level above every active device (the owner's only device has left) seals no fresh key, to nobody", async () => {
      const t = await fresh();
      t.a.revokeSelf();
      settle([t.a, t.d]);
      const raised = t.d.setPolicy("board", "owner", "owner");
      expect(rekeysOf(raised)).toEqual({});
      expect(t.d.state().collections.get("board")!.read).toBe("owner");
      t.close();
    });
  });
});
