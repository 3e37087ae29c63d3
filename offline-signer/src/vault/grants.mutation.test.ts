/**
 * Key grants and who a fresh collection key is sealed to (docs/team-model.md, "Roles and
 * policies", "Keys are judged by the fold", "Repairing keys"; invariants I1, I2, I8). Written
 * for the mutation group `grants` (docs/testing.md, "Mutation testing"): what the older tests
 * left unchecked. The first part needs no vault: grants sealed and opened with real keys.
 */
import { ed25519KeyPair, randomBytes, sealBundle, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { describe, expect, it } from "vitest";
import { thrownAirlockError } from "../../test-support/errors.js";
import { encodeObject, type Plain } from "../team/cbor-object.js";
import { keyIdOf } from "../sync/changeset.js";
import type { KeyGrant } from "../team/entry.js";
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
    expect(() => sealGrant(sender, "notes", [], [d.state])).toThrow(RangeError);
    expect(() => sealGrant(sender, "notes", [randomBytes(32)], [])).toThrow(RangeError);
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
      expect(e.message).toMatch(why);
    };

    it("a key that is not the one its id names", () => refused(forged(sender, "notes", [entry(k1, "notes", keyIdOf(k2))], [keyIdOf(k2)], me), /keys\[0\] does not match its id/));
    it("a key for another collection", () => refused(forged(sender, "notes", [entry(k1, "sources")], [keyIdOf(k1)], me), /keys\[0\] is for another collection/));
    it("a key other than the one named in clear", () => refused(forged(sender, "notes", [entry(k1)], [keyIdOf(k2)], me), /keys\[0\] is not the key the grant names in clear/));
    it("the same keys in another order", () => refused(forged(sender, "notes", [entry(k2), entry(k1)], [keyIdOf(k1), keyIdOf(k2)], me), /keys\[0\] is not the key/));
    it("more keys than named", () => refused(forged(sender, "notes", [entry(k1), entry(k2)], [keyIdOf(k1)], me), /keys\[1\] is not the key the grant names in clear/));
    it("fewer keys than named", () => refused(forged(sender, "notes", [entry(k1)], [keyIdOf(k1), keyIdOf(k2)], me), /holds 1 keys but names 2 in clear/));
    it("a field the format does not have", () => refused(forged(sender, "notes", [entry(k1)], [keyIdOf(k1)], me, { note: "x" }), /unknown field "note"/));
    it("a key entry with a field the format does not have", () => refused(forged(sender, "notes", [{ collection: "notes", id: keyIdOf(k1), key: k1, extra: 1 }], [keyIdOf(k1)], me), /keys\[0\] has unknown field "extra"/));
    it("a key of the wrong length", () => refused(forged(sender, "notes", [{ collection: "notes", id: keyIdOf(k1), key: k1.slice(0, 31) }], [keyIdOf(k1)], me), /keys\[0\]\.key must be 32 bytes/));
    it("an id of the wrong length", () => refused(forged(sender, "notes", [{ collection: "notes", id: keyIdOf(k1).slice(0, 15), key: k1 }], [keyIdOf(k1)], me), /keys\[0\]\.id must be 16 bytes/));
    it("an empty collection name", () => refused(forged(sender, "", [entry(k1, "")], [keyIdOf(k1)], me), /keys\[0\]\.collection must be text of 1\.\.64/));
    it("a collection name over 64 characters", () => refused(forged(sender, "n".repeat(65), [entry(k1, "n".repeat(65))], [keyIdOf(k1)], me), /keys\[0\]\.collection must be text of 1\.\.64/));
    it("a grant of 64-character collection name opens", () => {
      const name = "n".repeat(64);
      expect(openGrant(forged(sender, name, [entry(k1, name)], [keyIdOf(k1)], me), me).map((k) => k.collection)).toEqual([name]);
    });
  });
});
