/**
 * Team logs built by hand for the fold's tests (team/orgs*.test.ts): people with real Ed25519
 * identity and device keys (from fixed seeds when the fold's order must be the same on every run),
 * entries signed by their author's device, and a body signed as-is for what a modified client
 * could send.
 */
import { concatBytes, ed25519KeyPair, ed25519Sign, utf8, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { encodeObject, type Plain } from "../src/team/cbor-object.js";
import { certifyDevice, signEntry, type DeviceKeys, type EntryBody, type Role, type TeamEntry } from "../src/team/entry.js";
import { foldTeam, type TeamState } from "../src/team/state.js";

export const hx = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export interface Person {
  readonly name: string;
  readonly identity: KeyPair;
  readonly device: KeyPair;
  readonly keys: DeviceKeys;
  readonly id: string;
  readonly user: Uint8Array;
}

/** `seed`: keys from fixed seeds, so hashes (and the fold's order) are the same on every run. */
export function person(name: string, seed?: number): Person {
  const fixed = (n: number): Uint8Array | undefined => (seed === undefined ? undefined : new Uint8Array(32).fill(n));
  const identity = ed25519KeyPair(fixed(seed ?? 0));
  const device = ed25519KeyPair(fixed((seed ?? 0) + 1));
  const enc = x25519KeyPair(fixed((seed ?? 0) + 2));
  return { name, identity, device, keys: certifyDevice(identity, device.publicKey, enc.publicKey), id: hx(identity.publicKey), user: identity.publicKey };
}

/** A log built by hand: each entry on the previous one unless parents are given. */
export class Log {
  readonly entries = new Map<string, TeamEntry>();
  readonly genesis: TeamEntry;
  #tip: Uint8Array;
  #time = 1;

  constructor(creator: Person, name: string, orgs?: readonly string[], orgK?: number) {
    this.genesis = signEntry(creator.device, { team: undefined, parents: [], time: this.#time++, body: { type: "genesis", name, user: creator.user, userName: creator.name, device: creator.keys, orgs, orgK } });
    this.entries.set(this.genesis.hashHex, this.genesis);
    this.#tip = this.genesis.hash;
  }

  get tip(): Uint8Array {
    return this.#tip;
  }

  /** Signs `body` as `by`; added to the log unless `keep` is false (to fold it in other combinations). */
  add(by: Person, body: EntryBody, options: { parents?: readonly Uint8Array[]; keep?: boolean; time?: number } = {}): TeamEntry {
    const e = signEntry(by.device, { team: this.genesis.hash, parents: options.parents ?? [this.#tip], time: options.time ?? this.#time++, body });
    if (options.keep !== false) {
      this.entries.set(e.hashHex, e);
      if (options.parents === undefined) this.#tip = e.hash;
    }
    return e;
  }

  admit(by: Person, p: Person, role: Role, org?: number, options: { keep?: boolean; parents?: readonly Uint8Array[] } = {}): TeamEntry {
    return this.add(by, { type: "add-member", user: p.user, userName: p.name, role, device: p.keys, grants: [], ...(org === undefined ? {} : { org }) }, options);
  }

  approve(by: Person, proposal: TeamEntry, options: { parents?: readonly Uint8Array[] } = {}): TeamEntry {
    return this.add(by, { type: "approve", proposal: proposal.hash }, options);
  }

  fold(...extra: TeamEntry[]): TeamState {
    const all = new Map(this.entries);
    for (const e of extra) all.set(e.hashHex, e);
    return foldTeam(this.genesis.hashHex, all);
  }
}

/** A body signed as-is, fields and all: what a modified client could send. */
export function signedRaw(device: KeyPair, fields: Record<string, Plain>): Uint8Array {
  const body = encodeObject({ author: device.publicKey, ...fields });
  return encodeObject({ body, sig: ed25519Sign(device.secretKey, concatBytes(utf8("airlock/v1/team-entry-sig"), body)) });
}
