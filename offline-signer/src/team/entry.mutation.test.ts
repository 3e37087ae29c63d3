/**
 * The team entry codec at its edges (docs/team-model.md, "Team log entries", "Versions", the entry
 * table and the key checks below it): what the mutation run (`npm run mutate -- team`,
 * docs/testing.md) found the other tests do not decide. Entries are signed for real, as a modified
 * client could sign them (test-support/team-log.ts signedRaw): every refusal is the codec's own,
 * typed, and names the field that was wrong.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { concatBytes, ed25519KeyPair, ed25519Sign, utf8, x25519KeyPair } from "@airlock/bundle-format";
import { thrownAirlockError } from "../../test-support/errors.js";
import { person, signedRaw, type Person } from "../../test-support/team-log.js";
import { decodeObject, decodeObjectFast, encodeObject, toCbor, type Plain } from "./cbor-object.js";
import {
  ENTRY_MINOR_VERSION,
  MAX_ENTRY_BYTES,
  MAX_HEADS,
  atLeast,
  decodeEntry,
  encodeSignedEntry,
  entryHash,
  recoveryEnrolMessage,
  recoverySetMessage,
  roleRank,
  signEntry,
  verifyDeviceCert,
  type EntryBody,
} from "./entry.js";

const alice = person("alice", 10);
const bob = person("bob", 20);
const team = new Uint8Array(32).fill(7);
const parent = new Uint8Array(32).fill(1);
const plainDevice = (p: Person): Plain => ({ sign: p.keys.sign, enc: p.keys.enc, cert: p.keys.cert });
const id = (n: number, length = 32): Uint8Array => new Uint8Array(length).fill(n);
const grant = (fields: Record<string, Plain> = {}): Plain => ({ collection: "notes", to: [id(3)], keys: [id(4, 16)], sealed: id(5, 8), ...fields });

/** An entry after genesis as a modified client could sign it: the common fields, then `fields`. */
const raw = (fields: Record<string, Plain>): Uint8Array => signedRaw(alice.device, { time: 1, team, parents: [parent], ...fields });
const refusal = (bytes: Uint8Array): string => {
  const e = thrownAirlockError(() => decodeEntry(bytes));
  expect(e.code).toBe("TEAM_ENTRY_MALFORMED");
  expect(e.message.startsWith("team log entry: ")).toBe(true);
  expect(e.hint).toMatch(/not applied/);
  return e.message;
};
const refused = (fields: Record<string, Plain>, reason: RegExp): void => {
  expect(refusal(raw(fields))).toMatch(reason);
};

/** A valid body of each type, as plain fields. */
const valid: Record<string, Record<string, Plain>> = {
  "add-member": { type: "add-member", user: bob.user, userName: "bob", role: "editor", device: plainDevice(bob), grants: [grant()] },
  "add-device": { type: "add-device", user: bob.user, device: plainDevice(bob), grants: [] },
  "revoke-device": { type: "revoke-device", device: bob.keys.sign, cutoff: 4, rekeys: [] },
  "remove-member": { type: "remove-member", user: bob.user, cutoffs: [{ device: bob.keys.sign, seq: 3 }], rekeys: [grant()] },
  "set-role": { type: "set-role", user: bob.user, role: "viewer", cutoffs: [], rekeys: [] },
  collection: { type: "collection", id: "notes", name: "Notes", read: "viewer", write: "editor", grants: [] },
  "set-policy": { type: "set-policy", collection: "notes", read: "editor", write: "admin", cutoffs: [], rekeys: [] },
  compact: { type: "compact", collection: "notes", frontier: [{ device: id(2), seq: 5, id: id(9) }], rekeys: [] },
  "set-approvals": { type: "set-approvals", k: 2 },
  approve: { type: "approve", proposal: id(8) },
  "transport-key": { type: "transport-key", key: id(6, 16), to: [id(3)], sealed: id(5, 8) },
  courier: { type: "courier", name: "relay-1", key: x25519KeyPair(id(11)).publicKey },
  "revoke-courier": { type: "revoke-courier", key: id(12) },
  grant: { type: "grant", grants: [grant()] },
  "add-org": { type: "add-org", name: "Cedar" },
  "remove-org": { type: "remove-org", org: 1, cutoffs: [], rekeys: [] },
  "recovery-set": { type: "recovery-set", set: id(13, 16), threshold: 2, key: ed25519KeyPair(id(14)).publicKey, shares: [id(15), id(16)], sealed: [id(5, 8), id(6, 8)], sig: id(0, 64) },
};

describe("the entry codec: every type decodes, and re-encodes to the same bytes", () => {
  it("a body of each type decodes to its fields, and signing the decoded body again gives the same bytes and hash", () => {
    for (const [type, fields] of Object.entries(valid)) {
      const bytes = raw(fields);
      const e = decodeEntry(bytes);
      expect(e.body.type, type).toBe(type);
      expect(e.team).toEqual(team);
      expect(e.parents).toEqual([parent]);
      expect(e.time).toBe(1);
      expect(e.author).toEqual(alice.device.publicKey);
      expect(e.bytes).toBe(bytes);
      expect(e.hash).toEqual(entryHash((decodeObject(bytes) as { body: Uint8Array }).body));
      expect(e.hashHex).toBe(Buffer.from(e.hash).toString("hex"));
      const again = encodeSignedEntry(alice.device, { team, parents: [parent], time: 1, body: e.body });
      expect(Buffer.from(again).equals(Buffer.from(bytes)), type).toBe(true);
    }
  });

  it("a genesis has no team and no parents; every other entry names at least one parent, sorted and distinct", () => {
    const genesis = { type: "genesis", time: 1, name: "Field office", user: alice.user, userName: "alice", device: plainDevice(alice) };
    const g = decodeEntry(signedRaw(alice.device, genesis));
    expect(g.team).toBeUndefined();
    expect(g.parents).toEqual([]);
    expect(refusal(signedRaw(alice.device, { ...genesis, team }))).toMatch(/a genesis entry has no team and no parents/);
    expect(refusal(signedRaw(alice.device, { ...genesis, parents: [parent] }))).toMatch(/a genesis entry has no team and no parents/);
    refused({ ...valid["approve"]!, parents: [] }, /names at least one parent/);
    refused({ ...valid["approve"]!, parents: [id(2), id(1)] }, /parents must be sorted and distinct/);
    refused({ ...valid["approve"]!, parents: [id(2), id(2)] }, /parents must be sorted and distinct/);
    expect(decodeEntry(raw({ ...valid["approve"]!, parents: [id(1), id(2), id(3)] })).parents).toEqual([id(1), id(2), id(3)]);
    refused({ ...valid["approve"]!, parents: [id(1), id(1, 31)] }, /parents\[1\] must be 32 bytes/);
    refused({ ...valid["approve"]!, team: id(1, 31) }, /team must be 32 bytes/);
    refused({ ...valid["approve"]!, team: undefined as unknown as Plain }, /team must be 32 bytes/);
    // The encoder sorts the parents it is given, so an honest entry never fails the rule.
    const sorted = decodeEntry(encodeSignedEntry(alice.device, { team, parents: [id(3), id(1)], time: 2, body: { type: "approve", proposal: id(8) } }));
    expect(sorted.parents).toEqual([id(1), id(3)]);
  });

  it("an entry may name up to MAX_HEADS parents, not one more", () => {
    const many = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => { const b = new Uint8Array(32); b[0] = (i + 1) >> 8; b[1] = (i + 1) & 0xff; return b; }) as Uint8Array[];
    expect(decodeEntry(raw({ ...valid["approve"]!, parents: many(MAX_HEADS) })).parents).toHaveLength(MAX_HEADS);
    refused({ ...valid["approve"]!, parents: many(MAX_HEADS + 1) }, /parents must be a list of at most 1024 items/);
  });
});

describe("the entry codec: envelope, signature, versions", () => {
  it("a signature by another key, or over other bytes, is TEAM_ENTRY_SIGNATURE, not malformed", () => {
    const body = encodeObject({ author: alice.device.publicKey, time: 1, team, parents: [parent], ...valid["approve"]! });
    const bySomeoneElse = encodeObject({ body, sig: ed25519Sign(bob.device.secretKey, concatBytes(utf8("airlock/v1/team-entry-sig"), body)) });
    const withoutLabel = encodeObject({ body, sig: ed25519Sign(alice.device.secretKey, body) });
    for (const bytes of [bySomeoneElse, withoutLabel]) {
      const e = thrownAirlockError(() => decodeEntry(bytes));
      expect(e.code).toBe("TEAM_ENTRY_SIGNATURE");
      expect(e.message).toBe("team log entry: the signature does not verify");
      expect(e.hint).toMatch(/altered or forged/);
    }
  });

  it("the outer map holds body and sig only; body and sig have their sizes", () => {
    const good = decodeObject(raw(valid["approve"]!)) as { body: Uint8Array; sig: Uint8Array };
    expect(refusal(encodeObject({ ...good, extra: 1 }))).toMatch(/entry has unknown field "extra"/);
    expect(refusal(encodeObject({ body: good.body, sig: good.sig.subarray(0, 63) }))).toMatch(/sig must be 64 bytes/);
    expect(refusal(encodeObject({ body: new Uint8Array(0), sig: good.sig }))).toMatch(/body must be 1\.\.1048576 bytes/);
    expect(refusal(encodeObject([1, 2]))).toMatch(/entry must be a map/);
    expect(refusal(encodeObject({ body: encodeObject([1]), sig: good.sig }))).toMatch(/body must be a map/);
    expect(refusal(new Uint8Array([0xa1, 0x61]))).toMatch(/not canonical CBOR/);
    expect(() => decodeEntry("x" as unknown as Uint8Array)).toThrow(TypeError);
  });

  it("each reader names the field and what it must be, whatever the wrong value's type", () => {
    for (const notAMap of [null, "body", 7, true, id(1, 4), [1]] as Plain[]) expect(refusal(encodeObject(notAMap))).toBe("team log entry: entry must be a map");
    const good = decodeObject(raw(valid["approve"]!)) as { body: Uint8Array; sig: Uint8Array };
    for (const body of ["x", 5, null, [id(1)]] as Plain[]) expect(refusal(encodeObject({ body, sig: good.sig }))).toBe("team log entry: body must be 1..1048576 bytes");
    expect(refusal(encodeObject({ body: good.body, sig: "x".repeat(64) }))).toBe("team log entry: sig must be 64 bytes");
    expect(refusal(encodeObject({ body: good.body, sig: new Uint8Array(65) }))).toBe("team log entry: sig must be 64 bytes");
    expect(refusal(raw({ ...valid["approve"]!, proposal: "p" }))).toBe("team log entry: proposal must be 32 bytes");
    expect(refusal(raw({ ...valid["approve"]!, proposal: id(1, 33) }))).toBe("team log entry: proposal must be 32 bytes");
    expect(refusal(raw({ ...valid["collection"]!, name: 5 }))).toBe("team log entry: name must be text of 1..256 characters");
    expect(refusal(raw({ ...valid["collection"]!, name: id(1, 3) }))).toBe("team log entry: name must be text of 1..256 characters");
    expect(refusal(raw({ ...valid["set-approvals"]!, k: "2" }))).toBe("team log entry: k must be an integer in 0..64");
    expect(refusal(raw({ ...valid["set-approvals"]!, k: -1 }))).toBe("team log entry: k must be an integer in 0..64");
    expect(refusal(raw({ ...valid["set-approvals"]!, k: null }))).toBe("team log entry: k must be an integer in 0..64");
    expect(refusal(raw({ ...valid["grant"]!, grants: "g" }))).toBe("team log entry: grants must be a list of at most 256 items");
    expect(refusal(raw({ ...valid["grant"]!, grants: { 0: grant() } }))).toBe("team log entry: grants must be a list of at most 256 items");
    expect(refusal(raw({ ...valid["grant"]!, grants: Array.from({ length: 257 }, () => grant()) }))).toBe("team log entry: grants must be a list of at most 256 items");
    expect(decodeEntry(raw({ ...valid["grant"]!, grants: Array.from({ length: 256 }, () => grant()) })).body).toMatchObject({ type: "grant" });
    expect(refusal(raw({ ...valid["set-role"]!, role: 2 }))).toBe("team log entry: role must be one of viewer, editor, admin, owner");
    expect(refusal(raw({ ...valid["set-role"]!, role: null }))).toBe("team log entry: role must be one of viewer, editor, admin, owner");
    expect(refusal(raw({ ...valid["add-member"]!, device: id(1, 32) }))).toBe("team log entry: device must be a map");
    expect(refusal(raw({ ...valid["add-member"]!, device: [plainDevice(bob)] }))).toBe("team log entry: device must be a map");
    expect(refusal(raw({ ...valid["add-member"]!, device: null }))).toBe("team log entry: device must be a map");
  });

  it("an entry over the size limit is refused by its size before it is parsed", () => {
    expect(refusal(new Uint8Array(MAX_ENTRY_BYTES + 129))).toMatch(new RegExp(`${MAX_ENTRY_BYTES + 129} bytes is over the ${MAX_ENTRY_BYTES}-byte limit`));
    // At the limit the size passes and the parse decides.
    expect(refusal(new Uint8Array(MAX_ENTRY_BYTES + 128))).toMatch(/not canonical CBOR|must be a map/);
  });

  it("unknown types are refused at every version; unknown fields up to this release's version, ignored above it", () => {
    refused({ type: "add-admin", user: bob.user }, /type must be one of genesis, add-member/);
    refused({ type: "add-admin", v: ENTRY_MINOR_VERSION + 1 }, /type must be one of/);
    for (const v of [undefined, 0, 1, ENTRY_MINOR_VERSION]) refused({ ...valid["courier"]!, ...(v === undefined ? {} : { v }), colour: "blue" }, /unknown field "colour" in a courier entry/);
    const later = decodeEntry(raw({ ...valid["courier"]!, v: ENTRY_MINOR_VERSION + 1, colour: "blue" }));
    expect(later.body).toEqual({ type: "courier", name: "relay-1", key: valid["courier"]!["key"] });
    // A field of another type is unknown to this one.
    refused({ ...valid["approve"]!, k: 2 }, /unknown field "k" in a approve entry/);
    refused({ ...valid["approve"]!, v: -1 }, /v must be an integer in 0\.\.65535/);
    refused({ ...valid["approve"]!, v: 0x10000 }, /v must be an integer in 0\.\.65535/);
    expect(decodeEntry(raw({ ...valid["approve"]!, v: 0xffff })).body.type).toBe("approve");
    refused({ ...valid["approve"]!, author: id(1, 31) }, /author must be 32 bytes/);
    refused({ ...valid["approve"]!, time: -1 }, /time must be an integer/);
    refused({ ...valid["approve"]!, time: "1" }, /time must be an integer/);
  });

  it("a recovery proof says v 2 (one encoding); the encoder writes v only where a later field is present", () => {
    const recovery = { set: id(13, 16), sig: id(0, 64) };
    for (const v of [undefined, 1]) refused({ ...valid["add-device"]!, ...(v === undefined ? {} : { v }), recovery }, /an add-device entry with a recovery proof must say v 2/);
    expect(decodeEntry(raw({ ...valid["add-device"]!, v: 2, recovery })).body).toMatchObject({ recovery });
    expect(decodeEntry(raw({ ...valid["add-device"]!, v: 3, recovery })).body).toMatchObject({ recovery });
    const vOf = (body: EntryBody): unknown => (decodeObject((decodeObject(encodeSignedEntry(alice.device, { team, parents: [parent], time: 1, body })) as { body: Uint8Array }).body) as Record<string, Plain>)["v"];
    expect(vOf({ type: "add-device", user: bob.user, device: bob.keys, grants: [], recovery })).toBe(2);
    expect(vOf({ type: "add-device", user: bob.user, device: bob.keys, grants: [] })).toBeUndefined();
    expect(vOf({ type: "collection", id: "c", name: "C", read: "viewer", write: "editor", grants: [], app: "tasks" })).toBe(1);
    expect(vOf({ type: "collection", id: "c", name: "C", read: "viewer", write: "editor", grants: [], app: "notes" })).toBeUndefined();
    expect(vOf({ type: "collection", id: "c", name: "C", read: "viewer", write: "editor", grants: [] })).toBeUndefined();
    expect(vOf({ type: "set-approvals", k: 2 })).toBeUndefined();
  });

  it("a recovery proof has set (16 bytes), sig (64) and optional cutoffs, nothing else", () => {
    const base = { ...valid["add-device"]!, v: 2 };
    const ok = decodeEntry(raw({ ...base, recovery: { set: id(13, 16), sig: id(0, 64), cutoffs: [{ device: id(2), seq: 4 }] } }));
    expect(ok.body).toMatchObject({ recovery: { cutoffs: [{ device: id(2), seq: 4 }] } });
    refused({ ...base, recovery: { set: id(13, 15), sig: id(0, 64) } }, /recovery\.set must be 16 bytes/);
    refused({ ...base, recovery: { set: id(13, 16), sig: id(0, 63) } }, /recovery\.sig must be 64 bytes/);
    refused({ ...base, recovery: { set: id(13, 16), sig: id(0, 64), extra: 1 } }, /recovery has unknown field "extra"/);
    refused({ ...base, recovery: { set: id(13, 16), sig: id(0, 64), cutoffs: [{ device: id(2), seq: 1 }, { device: id(2), seq: 2 }] } }, /recovery\.cutoffs names a device twice/);
  });
});

describe("the entry codec: each field at its limits", () => {
  it("identity and device keys: 32 bytes, prime-order Ed25519, non-low-order X25519, a 64-byte certificate", () => {
    const smallOrder = new Uint8Array(32);
    smallOrder[0] = 1; // the identity point
    refused({ ...valid["add-member"]!, user: smallOrder }, /user is not a valid Ed25519 public key/);
    refused({ ...valid["add-member"]!, device: { ...(plainDevice(bob) as Record<string, Plain>), sign: smallOrder } }, /device\.sign is not a valid Ed25519 public key/);
    refused({ ...valid["add-member"]!, device: { ...(plainDevice(bob) as Record<string, Plain>), enc: new Uint8Array(32) } }, /device\.enc is a low-order X25519 key/);
    refused({ ...valid["add-member"]!, device: { ...(plainDevice(bob) as Record<string, Plain>), enc: id(1, 31) } }, /device\.enc must be 32 bytes/);
    refused({ ...valid["add-member"]!, device: { ...(plainDevice(bob) as Record<string, Plain>), cert: id(1, 63) } }, /device\.cert must be 64 bytes/);
    refused({ ...valid["add-member"]!, device: { ...(plainDevice(bob) as Record<string, Plain>), colour: 1 } }, /device has unknown field "colour"/);
    refused({ ...valid["add-device"]!, user: smallOrder }, /user is not a valid Ed25519 public key/);
    refused({ ...valid["recovery-set"]!, key: smallOrder }, /key is not a valid Ed25519 public key/);
    // Courier keys are X25519: a low-order one is refused.
    refused({ ...valid["courier"]!, key: new Uint8Array(32) }, /key is a low-order X25519 key/);
  });

  it("names refuse control, bidi and invisible characters and blanks; lengths are bounded", () => {
    refused({ ...valid["add-member"]!, userName: "bob\u202e" }, /userName holds .*a control or invisible character/);
    refused({ ...valid["add-member"]!, userName: "bo\u0007b" }, /userName holds/);
    refused({ ...valid["add-member"]!, userName: "   " }, /userName is blank/);
    refused({ ...valid["add-member"]!, userName: "" }, /userName must be text of 1\.\.256 characters/);
    refused({ ...valid["add-member"]!, userName: "b".repeat(257) }, /userName must be text of 1\.\.256 characters/);
    expect(decodeEntry(raw({ ...valid["add-member"]!, userName: "b".repeat(256) })).body).toMatchObject({ userName: "b".repeat(256) });
    refused({ ...valid["collection"]!, id: "c".repeat(65) }, /id must be text of 1\.\.64 characters/);
    expect(decodeEntry(raw({ ...valid["collection"]!, id: "c".repeat(64) })).body).toMatchObject({ id: "c".repeat(64) });
    refused({ ...valid["collection"]!, name: " \t" }, /name is blank|name holds/);
    refused({ ...valid["set-policy"]!, collection: "x".repeat(65) }, /collection must be text of 1\.\.64/);
    refused({ ...valid["compact"]!, collection: "" }, /collection must be text of 1\.\.64/);
    refused({ ...valid["add-org"]!, name: "Ce\u200bdar" }, /name holds/);
  });

  it("roles are one of viewer, editor, admin, owner", () => {
    refused({ ...valid["add-member"]!, role: "superuser" }, /role must be one of viewer, editor, admin, owner/);
    refused({ ...valid["set-role"]!, role: "Admin" }, /role must be one of/);
    refused({ ...valid["collection"]!, read: "nobody" }, /read must be one of/);
    refused({ ...valid["set-policy"]!, write: 3 }, /write must be one of/);
    expect(roleRank("viewer")).toBe(0);
    expect(roleRank("owner")).toBe(3);
    expect(atLeast("admin", "admin")).toBe(true);
    expect(atLeast("editor", "admin")).toBe(false);
    expect(atLeast("owner", "viewer")).toBe(true);
  });

  it("grants: a collection, 1..1024 sorted distinct recipients, 1..4096 distinct 16-byte key ids, sealed bytes", () => {
    refused({ ...valid["grant"]!, grants: [grant({ to: [] })] }, /grants\[0\]\.to names no device/);
    refused({ ...valid["grant"]!, grants: [grant({ keys: [] })] }, /grants\[0\]\.keys names no key/);
    refused({ ...valid["grant"]!, grants: [grant({ keys: [id(4, 16), id(4, 16)] })] }, /grants\[0\]\.keys names a key twice/);
    refused({ ...valid["grant"]!, grants: [grant({ keys: [id(4, 15)] })] }, /grants\[0\]\.keys\[0\] must be 16 bytes/);
    refused({ ...valid["grant"]!, grants: [grant({ to: [id(3), id(2)] })] }, /grants\[0\]\.to must be sorted and distinct/);
    refused({ ...valid["grant"]!, grants: [grant({ to: [id(3), id(3)] })] }, /grants\[0\]\.to must be sorted and distinct/);
    refused({ ...valid["grant"]!, grants: [grant({ sealed: new Uint8Array(0) })] }, /grants\[0\]\.sealed must be 1\.\.524288 bytes/);
    refused({ ...valid["grant"]!, grants: [grant({ collection: "" })] }, /grants\[0\]\.collection must be text of 1\.\.64/);
    refused({ ...valid["grant"]!, grants: [grant(), grant({ extra: 1 })] }, /grants\[1\] has unknown field "extra"/);
    refused({ ...valid["remove-member"]!, rekeys: [grant({ to: [] })] }, /rekeys\[0\]\.to names no device/);
    const two = decodeEntry(raw({ ...valid["grant"]!, grants: [grant({ to: [id(2), id(3)], keys: [id(5, 16), id(4, 16)] })] }));
    expect(two.body).toMatchObject({ grants: [{ collection: "notes", to: [id(2), id(3)], keys: [id(5, 16), id(4, 16)] }] });
  });

  it("cutoffs name each device once; a frontier is sorted by device, each once", () => {
    refused({ ...valid["remove-member"]!, cutoffs: [{ device: id(2), seq: 1 }, { device: id(2), seq: 5 }] }, /cutoffs names a device twice/);
    refused({ ...valid["set-role"]!, cutoffs: [{ device: id(2), seq: -1 }] }, /cutoffs\[0\]\.seq must be an integer/);
    refused({ ...valid["set-policy"]!, cutoffs: [{ device: id(2, 31), seq: 1 }] }, /cutoffs\[0\]\.device must be 32 bytes/);
    refused({ ...valid["remove-org"]!, cutoffs: [{ device: id(2), seq: 1, id: id(9) }] }, /cutoffs\[0\] has unknown field "id"/);
    const ok = decodeEntry(raw({ ...valid["remove-member"]!, cutoffs: [{ device: id(3), seq: 1 }, { device: id(2), seq: 5 }] }));
    expect(ok.body).toMatchObject({ cutoffs: [{ device: id(3), seq: 1 }, { device: id(2), seq: 5 }] });
    refused({ ...valid["compact"]!, frontier: [{ device: id(3), seq: 1, id: id(9) }, { device: id(2), seq: 1, id: id(9) }] }, /frontier must be sorted by device, each once/);
    refused({ ...valid["compact"]!, frontier: [{ device: id(3), seq: 1, id: id(9) }, { device: id(3), seq: 2, id: id(9) }] }, /frontier must be sorted by device, each once/);
    refused({ ...valid["compact"]!, frontier: [{ device: id(3), seq: 1, id: id(9, 16) }] }, /frontier\[0\]\.id must be 32 bytes/);
    refused({ ...valid["revoke-device"]!, cutoff: "4" }, /cutoff must be an integer/);
  });

  it("numbers: k at most 64, org at most 15, a recovery threshold of 2..shares and at most 16 shares", () => {
    expect(decodeEntry(raw({ type: "set-approvals", k: 64 })).body).toEqual({ type: "set-approvals", k: 64 });
    refused({ type: "set-approvals", k: 65 }, /k must be an integer in 0\.\.64/);
    refused({ ...valid["remove-org"]!, org: 16 }, /org must be an integer in 0\.\.15/);
    expect(decodeEntry(raw({ ...valid["remove-org"]!, org: 15 })).body).toMatchObject({ org: 15 });
    refused({ ...valid["recovery-set"]!, threshold: 1 }, /threshold must be at least 2/);
    refused({ ...valid["recovery-set"]!, threshold: 3 }, /names 2 shares for a threshold of 3/);
    refused({ ...valid["recovery-set"]!, threshold: 17 }, /threshold must be an integer in 0\.\.16/);
    refused({ ...valid["recovery-set"]!, shares: [id(16), id(15)] }, /shares must be sorted and distinct/);
    refused({ ...valid["recovery-set"]!, sealed: [id(5, 8), id(6, 8), id(7, 8)] }, /sealed must be a list of at most 2 items/);
    refused({ ...valid["recovery-set"]!, sealed: [new Uint8Array(0)] }, /sealed\[0\] must be 1\.\.65536 bytes/);
    refused({ ...valid["recovery-set"]!, set: id(13, 32) }, /set must be 16 bytes/);
    refused({ ...valid["recovery-set"]!, sig: id(0, 32) }, /sig must be 64 bytes/);
    const shares = Array.from({ length: 17 }, (_, i) => id(i + 1));
    refused({ ...valid["recovery-set"]!, shares }, /shares must be a list of at most 16 items/);
  });

  it("transport keys: a 16-byte id, 1..1024 sorted recipients, sealed up to 64 KiB", () => {
    refused({ ...valid["transport-key"]!, to: [] }, /to names no device/);
    refused({ ...valid["transport-key"]!, to: [id(3), id(2)] }, /to must be sorted and distinct/);
    refused({ ...valid["transport-key"]!, key: id(6, 32) }, /key must be 16 bytes/);
    refused({ ...valid["transport-key"]!, sealed: new Uint8Array(64 * 1024 + 1) }, /sealed must be 1\.\.65536 bytes/);
    expect(decodeEntry(raw({ ...valid["transport-key"]!, sealed: new Uint8Array(64 * 1024) })).body.type).toBe("transport-key");
  });

  it("apps: absent means notes; a name is lowercase letters, digits and dashes, at most 32", () => {
    expect(decodeEntry(raw(valid["collection"]!)).body).toMatchObject({ app: "notes" });
    expect(decodeEntry(raw({ ...valid["collection"]!, v: 1, app: "tasks-2" })).body).toMatchObject({ app: "tasks-2" });
    for (const app of ["Tasks", "2tasks", "tasks_x", `t${"a".repeat(32)}`]) refused({ ...valid["collection"]!, v: 1, app }, /app|must be text/);
    refused({ ...valid["collection"]!, v: 1, app: "" }, /app must be text of 1\.\.32 characters/);
  });

  it("courier names: lowercase letters, digits, dots, dashes, underscores, at most 64", () => {
    refused({ ...valid["courier"]!, name: "r".repeat(65) }, /name must be text of 1\.\.64/);
    expect(decodeEntry(raw({ ...valid["courier"]!, name: "r".repeat(64) })).body).toMatchObject({ name: "r".repeat(64) });
  });
});

describe("signed messages and the canonical object codec", () => {
  it("a device certificate verifies under the identity that made it, for those keys only", () => {
    expect(verifyDeviceCert(bob.user, bob.keys)).toBe(true);
    expect(verifyDeviceCert(alice.user, bob.keys)).toBe(false);
    expect(verifyDeviceCert(bob.user, { ...bob.keys, enc: alice.keys.enc })).toBe(false);
    // The certificate covers the label, the signing key and the encryption key.
    const sig = ed25519Sign(bob.identity.secretKey, concatBytes(utf8("airlock/v1/device-cert"), bob.keys.sign, bob.keys.enc));
    expect(Buffer.from(sig).equals(Buffer.from(bob.keys.cert))).toBe(true);
  });

  it("recovery messages are labelled and cover the team, the set and the keys (docs/recovery.md)", () => {
    const set = id(13, 16);
    expect(recoveryEnrolMessage(team, set, bob.keys)).toEqual(concatBytes(utf8("airlock/v1/recovery-enrol"), team, set, bob.keys.sign, bob.keys.enc));
    const b = { set, threshold: 2, key: id(14), shares: [id(15), id(16)] };
    expect(recoverySetMessage(team, bob.user, b)).toEqual(concatBytes(utf8("airlock/v1/recovery-set"), encodeObject({ team, user: bob.user, set, threshold: 2, key: id(14), shares: [id(15), id(16)] })));
  });

  it("the entry hash is SHA-256 over the label and the body; the signature covers the label and the body", () => {
    const e = signEntry(alice.device, { team, parents: [parent], time: 3, body: { type: "approve", proposal: id(8) } });
    const { body, sig } = decodeObject(e.bytes) as { body: Uint8Array; sig: Uint8Array };
    expect(Buffer.from(e.hash).toString("hex")).toBe(createHash("sha256").update(Buffer.concat([Buffer.from("airlock/v1/team-entry"), body])).digest("hex"));
    expect(Buffer.from(sig).equals(Buffer.from(ed25519Sign(alice.device.secretKey, concatBytes(utf8("airlock/v1/team-entry-sig"), body))))).toBe(true);
  });

  it("plain objects: undefined fields are left out, maps decode without a prototype, the fast decoder agrees", () => {
    const bytes = encodeObject({ a: 1, b: undefined, c: [true, null, "x", id(1, 2)], d: { e: 2 } });
    expect(toCbor({ b: undefined, a: 1 })).toEqual(new Map([["a", 1]]));
    const back = decodeObject(bytes) as Record<string, Plain>;
    expect(Object.keys(back)).toEqual(["a", "c", "d"]);
    expect(Object.getPrototypeOf(back)).toBeNull();
    expect(Object.getPrototypeOf(back["d"])).toBeNull();
    expect(back["c"]).toEqual([true, null, "x", id(1, 2)]);
    expect(decodeObjectFast(bytes)).toEqual(back);
    expect(() => decodeObjectFast(new Uint8Array([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02]))).toThrow(); // keys out of canonical order
  });
});

describe("the entry codec: what the first mutation run left open", () => {
  it("each list names its item's path: recipients, keys, frontier points, per entry type's grant field", () => {
    refused({ ...valid["grant"]!, grants: [grant({ to: [id(3, 31)] })] }, /^team log entry: grants\[0\]\.to\[0\] must be 32 bytes$/);
    refused({ ...valid["grant"]!, grants: [grant({ keys: "k" })] }, /^team log entry: grants\[0\]\.keys must be a list of at most 4096 items$/);
    refused({ ...valid["compact"]!, frontier: [7] }, /^team log entry: frontier\[0\] must be a map$/);
    refused({ ...valid["compact"]!, frontier: [{ device: id(2, 3), seq: 1, id: id(9) }] }, /^team log entry: frontier\[0\]\.device must be 32 bytes$/);
    refused({ ...valid["compact"]!, frontier: [{ device: id(2), seq: -1, id: id(9) }] }, /^team log entry: frontier\[0\]\.seq must be an integer/);
    refused({ ...valid["transport-key"]!, to: [id(3, 31)] }, /^team log entry: to\[0\] must be 32 bytes$/);
    const bad = [grant({ to: [] })];
    const fields: [string, string][] = [["add-member", "grants"], ["add-device", "grants"], ["collection", "grants"], ["grant", "grants"], ["revoke-device", "rekeys"], ["remove-member", "rekeys"], ["set-role", "rekeys"], ["set-policy", "rekeys"], ["compact", "rekeys"], ["remove-org", "rekeys"]];
    for (const [type, field] of fields) refused({ ...valid[type]!, [field]: bad }, new RegExp(`^team log entry: ${field}\\[0\\]\\.to names no device$`));
    refused({ ...valid["add-device"]!, device: 7 }, /^team log entry: device must be a map$/);
    // A frontier of several points in device order decodes.
    const two = decodeEntry(raw({ ...valid["compact"]!, frontier: [{ device: id(2), seq: 1, id: id(9) }, { device: id(3), seq: 2, id: id(9) }, { device: id(4), seq: 3, id: id(9) }] }));
    expect(two.body).toMatchObject({ frontier: [{ seq: 1 }, { seq: 2 }, { seq: 3 }] });
  });

  it("courier names start with a letter or digit and hold nothing else after the allowed characters", () => {
    for (const name of ["-relay", ".relay", "relay!", "relay one", "Relay"]) refused({ ...valid["courier"]!, name }, /^team log entry: name must be lowercase letters, digits, dots, dashes or underscores$/);
    expect(decodeEntry(raw({ ...valid["courier"]!, name: "0relay._-x" })).body).toMatchObject({ name: "0relay._-x" });
  });

  it("bytes that are not a Uint8Array are a programming error, said as such", () => {
    expect(() => decodeEntry([1, 2] as unknown as Uint8Array)).toThrow(new TypeError("entry bytes must be a Uint8Array"));
  });

  it("the decoder's limits: nesting deeper than 8 is not canonical CBOR, even in a newer version's unknown field", () => {
    let deep: Plain = 1;
    for (let i = 0; i < 9; i++) deep = [deep];
    refused({ ...valid["courier"]!, v: ENTRY_MINOR_VERSION + 1, later: deep }, /not canonical CBOR/);
    let ok: Plain = 1;
    for (let i = 0; i < 5; i++) ok = [ok];
    expect(decodeEntry(raw({ ...valid["courier"]!, v: ENTRY_MINOR_VERSION + 1, later: ok })).body.type).toBe("courier");
  });

  it("an entry whose body is just under the size limit decodes (the decoder's own limit is above the body's)", () => {
    const sized = (n: number): Uint8Array => raw({ type: "grant", grants: [grant({ sealed: new Uint8Array(400_000) }), grant({ sealed: new Uint8Array(400_000) }), grant({ sealed: new Uint8Array(n) })] });
    const overhead = (decodeObject(sized(1000)) as { body: Uint8Array }).body.length - 1000;
    const bytes = sized(MAX_ENTRY_BYTES - overhead - 8);
    expect(bytes.length).toBeGreaterThan(MAX_ENTRY_BYTES - 128);
    expect(decodeEntry(bytes).body.type).toBe("grant");
  });
});
