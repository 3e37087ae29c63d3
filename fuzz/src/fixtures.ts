/**
 * Valid inputs made by the project's own encoders, the seeds every target mutates: a small
 * team's signed log entries of every type (with real sealed key grants), changesets with ops
 * of every kind, a join request, payloads of every kind, sealed bundles. Keys come from fixed
 * labels so runs are reproducible; they are fuzzing keys, fit for nothing else.
 */
import { createHash } from "node:crypto";
import { ed25519KeyPair, encodePayload, sealBundle, utf8, x25519KeyPair, type KeyPair, type Payload } from "@airlock/bundle-format";
import { sealChangeset, GENESIS_PREV, type Changeset, type PlainOp } from "@airlock/offline-signer/dist/src/sync/changeset.js";
import { certifyDevice, signEntry, type DeviceKeys, type EntryBody, type TeamEntry } from "@airlock/offline-signer/dist/src/team/entry.js";
import { makeJoinRequest } from "@airlock/offline-signer/dist/src/vault/request.js";
import { sealGrant } from "@airlock/offline-signer/dist/src/vault/grants.js";
import type { DeviceState } from "@airlock/offline-signer/dist/src/team/state.js";

export function seedBytes(label: string, length = 32): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`airlock-fuzz/${label}`).digest()).subarray(0, length);
}

export interface Member {
  readonly identity: KeyPair;
  readonly device: KeyPair;
  readonly enc: KeyPair;
  readonly keys: DeviceKeys;
  readonly state: DeviceState;
}

export function member(name: string): Member {
  const identity = ed25519KeyPair(seedBytes(`${name}/identity`));
  const device = ed25519KeyPair(seedBytes(`${name}/device`));
  const enc = x25519KeyPair(seedBytes(`${name}/enc`));
  const keys = certifyDevice(identity, device.publicKey, enc.publicKey);
  const hex = Buffer.from(device.publicKey).toString("hex");
  return { identity, device, enc, keys, state: { id: hex, keys, user: Buffer.from(identity.publicKey).toString("hex"), active: true } as DeviceState };
}

export const alice = member("alice");
export const bob = member("bob");
export const COLLECTION = "notes";
export const collectionKey = seedBytes("collection-key");
export const TAG = seedBytes("mailbox-tag", 16);

let teamCache: TeamEntry[] | undefined;

/** One entry of every type, hash-linked from a genesis: what a team log really holds. */
export function teamEntries(): TeamEntry[] {
  if (teamCache !== undefined) return teamCache;
  const genesis = signEntry(alice.device, {
    team: undefined,
    parents: [],
    time: 1_700_000_000_000,
    body: { type: "genesis", name: "Fuzz team", user: alice.identity.publicKey, userName: "alice", device: alice.keys },
  });
  const team = genesis.hash;
  const grant = sealGrant(alice.device, COLLECTION, [collectionKey], [alice.state, bob.state]);
  const bodies: EntryBody[] = [
    { type: "collection", id: COLLECTION, name: "Notes", read: "viewer", write: "editor", grants: [grant] },
    { type: "add-member", user: bob.identity.publicKey, userName: "bob", role: "editor", device: bob.keys, grants: [grant] },
    { type: "add-device", user: bob.identity.publicKey, device: member("bob-laptop").keys, grants: [] },
    { type: "set-role", user: bob.identity.publicKey, role: "admin", cutoffs: [{ device: bob.device.publicKey, seq: 3 }], rekeys: [] },
    { type: "revoke-device", device: member("bob-laptop").device.publicKey, cutoff: 7, rekeys: [grant] },
    { type: "remove-member", user: bob.identity.publicKey, cutoffs: [{ device: bob.device.publicKey, seq: 9 }], rekeys: [grant] },
    { type: "set-policy", collection: COLLECTION, read: "editor", write: "admin", cutoffs: [], rekeys: [grant] },
    { type: "set-approvals", k: 2 },
    { type: "approve", proposal: seedBytes("proposal") },
    { type: "grant", grants: [grant] },
  ];
  const entries = [genesis];
  let parents = [genesis.hash];
  bodies.forEach((body, i) => {
    const e = signEntry(alice.device, { team, parents, time: 1_700_000_000_000 + i + 1, body });
    entries.push(e);
    parents = i % 3 === 0 ? [e.hash, entries[entries.length - 2]!.hash].sort((a, b) => Buffer.compare(a, b)) : [e.hash];
  });
  teamCache = entries;
  return entries;
}

export const OPS: readonly PlainOp[] = [
  { kind: "set", record: "r1", field: "title", value: "hello", wall: 1_700_000_000_000, counter: 0 },
  { kind: "set", record: "r1", field: "count", value: 42, wall: 1_700_000_000_001, counter: 1 },
  { kind: "set", record: "r1", field: "flag", value: true, wall: 1_700_000_000_001, counter: 2 },
  { kind: "set", record: "r2", field: "blob", value: seedBytes("blob", 20), wall: 1_700_000_000_002, counter: 0 },
  { kind: "set", record: "r2", field: "gone", value: null, wall: 1_700_000_000_002, counter: 1 },
  { kind: "append", record: "r1", field: "comments", value: "first!", wall: 1_700_000_000_003, counter: 0 },
  { kind: "delete", record: "r3", field: "", value: null, wall: 1_700_000_000_004, counter: 0 },
];

let changesetCache: Changeset[] | undefined;

/** A device's chain of changesets: one op, all ops, two collections, many heads. */
export function changesets(): Changeset[] {
  if (changesetCache !== undefined) return changesetCache;
  const entries = teamEntries();
  const team = entries[0]!.hash;
  const heads = [entries[entries.length - 1]!.hash];
  const out: Changeset[] = [];
  let prev: Uint8Array = GENESIS_PREV;
  const groups = [
    [{ collection: COLLECTION, key: collectionKey, ops: OPS.slice(0, 1) }],
    [{ collection: COLLECTION, key: collectionKey, ops: OPS }],
    [
      { collection: COLLECTION, key: collectionKey, ops: OPS.slice(2, 5) },
      { collection: "secrets", key: seedBytes("other-key"), ops: OPS.slice(5) },
    ],
    [],
  ];
  groups.forEach((g, i) => {
    const c = sealChangeset(alice.device, { team, seq: i + 1, prev, heads: i === 2 ? entries.slice(0, 3).map((e) => e.hash) : heads, time: 1_700_000_100_000 + i, groups: g });
    out.push(c);
    prev = c.id;
  });
  changesetCache = out;
  return out;
}

export function joinRequest(): Uint8Array {
  const m = member("carol");
  return makeJoinRequest("carol", m.identity, m.device, m.enc.publicKey, 1_700_000_200_000).bytes;
}

/** One payload of each kind, as encodePayload writes them. */
export function payloads(): Uint8Array[] {
  const entries = teamEntries();
  const cs = changesets();
  const team = entries[0]!.hash;
  const list: Payload[] = [
    {
      kind: "sync",
      team,
      entries: entries.slice(0, 3).map((e) => e.bytes),
      changesets: cs.slice(0, 2).map((c) => c.bytes),
      acks: [{ device: alice.device.publicKey, seq: 2 }],
      logHeads: [entries[2]!.hash],
    },
    { kind: "sync", team, entries: [], changesets: [], acks: [] },
    { kind: "enrollment", name: "carol", user: alice.identity.publicKey, deviceSigning: alice.device.publicKey, deviceEncryption: alice.enc.publicKey, created: 1_700_000_000_000 },
    { kind: "welcome", team, log: entries.slice(0, 2).map((e) => e.bytes), transportKey: seedBytes("transport") },
    { kind: "courier-enrollment", team, teamName: "Fuzz team", transportKey: seedBytes("transport"), epochSeconds: 86_400, mailbox: "http://127.0.0.1:8080" },
  ];
  return list.map((p) => encodePayload(p));
}

/** Sealed bundles for `recipient` among others: several bodies, slot tiers and chunk counts. */
export function sealedBundles(recipient: KeyPair): Uint8Array[] {
  const sender = alice.device;
  const stranger = (i: number): Uint8Array => x25519KeyPair(seedBytes(`stranger/${i}`)).publicKey;
  const bodies = [new Uint8Array(0), utf8("x"), payloads()[0]!, seedBytes("long", 32).subarray(0, 32), new Uint8Array(70_000).fill(7)];
  const out: Uint8Array[] = [];
  bodies.forEach((body, i) => {
    const recipients = [recipient.publicKey, ...Array.from({ length: [0, 1, 4, 16, 2][i]! }, (_, j) => stranger(j))];
    out.push(sealBundle(body, { recipients, sender, mailboxTag: TAG }));
  });
  out.push(sealBundle(utf8("not for you"), { recipients: [stranger(99)], sender, mailboxTag: TAG }));
  return out;
}
