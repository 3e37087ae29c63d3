/**
 * A hostile member for tests: a modified client that signs only with its own keys (its vault's
 * device key and its user's identity key) but writes whatever it likes — any team entry, any
 * key grant (lying about the ids it names, sealing garbage, sealing to anyone), any changeset
 * (old heads, any seq, any clock), any welcome — and delivers it through real sealed bundles.
 * Every rule in docs/team-model.md ("Invariants") has a test that plays it through this client.
 *
 * Nothing here is reachable from the production code: the vault's own API refuses all of it.
 */
import {
  ed25519KeyPair,
  encodePayload,
  randomBytes,
  sealBundle,
  x25519KeyPair,
  type KeyPair,
} from "@airlock/bundle-format";
import { GENESIS_PREV, keyIdOf, sealChangeset, type PlainOp } from "../src/sync/changeset.js";
import { certifyDevice, encodeSignedEntry, signEntry, type DeviceKeys, type EntryBody, type KeyGrant, type TeamEntry } from "../src/team/entry.js";
import type { DeviceState } from "../src/team/state.js";
import { sealGrant } from "../src/vault/grants.js";
import { unhex } from "../src/vault/hex.js";
import type { Vault } from "../src/vault/vault.js";

export interface ForgedChangeset {
  readonly collection: string;
  readonly ops: readonly Partial<PlainOp>[];
  /** The collection key to encrypt under (default: the vault's current key). */
  readonly key?: Uint8Array;
  /** Team heads it names (default: the vault's current heads). */
  readonly heads?: readonly Uint8Array[];
  /** Default: the next seq of this device as far as the forger has written. */
  readonly seq?: number;
  readonly prev?: Uint8Array;
  readonly time?: number;
  /** Makes it a compaction snapshot naming this `compact` entry (its ops may carry `device`). */
  readonly snapshot?: Uint8Array;
  /** The app schema version the batch names (default 1). */
  readonly version?: number;
  /** More batches in the same changeset, each under its collection's current key. */
  readonly also?: readonly { readonly collection: string; readonly ops: readonly Partial<PlainOp>[] }[];
}

export class HostileMember {
  /** The forger's own chain: seq and id of the last changeset it made through this client. */
  #seq: number;
  #prev: Uint8Array;

  constructor(readonly vault: Vault) {
    const head = vault.store.connection().prepare("SELECT seq, hash FROM device_heads WHERE device = ?").get(vault.deviceKey.publicKey) as { seq: number; hash: Buffer } | undefined;
    this.#seq = head?.seq ?? 0;
    this.#prev = head === undefined ? GENESIS_PREV : new Uint8Array(head.hash);
  }

  get device(): KeyPair {
    return this.vault.deviceKey;
  }

  /** The member's own identity key (it may certify devices of its own). */
  identity(): KeyPair {
    const secret = this.vault.store.getSecret("user.identity");
    if (secret === undefined) throw new Error("this vault holds no identity key");
    return ed25519KeyPair(secret);
  }

  /** A fresh device of this member, certified by its identity: keys only, no vault. */
  newDevice(): { keys: DeviceKeys; sign: KeyPair; enc: KeyPair } {
    const sign = ed25519KeyPair();
    const enc = x25519KeyPair();
    return { keys: certifyDevice(this.identity(), sign.publicKey, enc.publicKey), sign, enc };
  }

  /** Any entry, signed by this member's device, on top of `parents` (default: its vault's heads). */
  entry(body: EntryBody, options: { parents?: readonly Uint8Array[]; time?: number } = {}): TeamEntry {
    const state = this.vault.state();
    return signEntry(this.device, { team: state.team, parents: options.parents ?? state.heads.map(unhex), time: options.time ?? this.vault.now(), body });
  }

  /** The signed bytes of any entry, even one no honest encoder would produce (bad names, bad keys). */
  entryBytes(body: EntryBody, options: { parents?: readonly Uint8Array[]; time?: number } = {}): Uint8Array {
    const state = this.vault.state();
    return encodeSignedEntry(this.device, { team: state.team, parents: options.parents ?? state.heads.map(unhex), time: options.time ?? this.vault.now(), body });
  }

  /**
   * A key grant: `keys` sealed to `to`, naming `claim` in clear (default: the real ids), or with
   * `sealed` replaced by arbitrary bytes.
   */
  grant(collection: string, keys: readonly Uint8Array[], to: readonly DeviceState[], options: { claim?: readonly Uint8Array[]; sealed?: Uint8Array } = {}): KeyGrant {
    const real = sealGrant(this.device, collection, keys, to);
    return { ...real, keys: options.claim ?? real.keys, sealed: options.sealed ?? real.sealed };
  }

  /** An op with the defaults filled in: a set of "title" on r1, stamped now. */
  #op(o: Partial<PlainOp>, i: number, now: number): PlainOp {
    return { kind: o.kind ?? "set", record: o.record ?? "r1", field: o.kind === "delete" ? "" : (o.field ?? "title"), value: o.value ?? `forged ${i}`, wall: o.wall ?? now, counter: o.counter ?? i };
  }

  /** A changeset signed by this member's device, with whatever heads, seq, clock and key it is given. */
  changeset(c: ForgedChangeset): Uint8Array {
    const state = this.vault.state();
    const key = c.key ?? this.vault.currentKey(c.collection);
    if (key === undefined) throw new Error(`the forger holds no key for ${c.collection}`);
    const now = c.time ?? this.vault.now();
    const ops: PlainOp[] = c.ops.map((o, i) => ({ ...this.#op(o, i, now), ...(c.snapshot === undefined ? {} : { device: o.device ?? this.vault.deviceId }) }));
    const seq = c.seq ?? this.#seq + 1;
    const cs = sealChangeset(this.device, {
      team: state.team,
      seq,
      prev: c.prev ?? (seq === this.#seq + 1 ? this.#prev : randomBytes(32)),
      heads: c.heads ?? state.heads.map(unhex),
      time: now,
      groups: [
        { collection: c.collection, key, ops, ...(c.snapshot === undefined ? {} : { snapshot: c.snapshot }), ...(c.version === undefined ? {} : { version: c.version }) },
        ...(c.also ?? []).map((g) => ({ collection: g.collection, key: this.vault.currentKey(g.collection)!, ops: g.ops.map((o, i) => this.#op(o, i, now)) })),
      ],
    });
    if (c.seq === undefined) {
      this.#seq = seq;
      this.#prev = cs.id;
    }
    return cs.bytes;
  }

  /** A real sync bundle from this member to `to` (default: every other active device); a courier needs a real `mailboxTag`. */
  bundle(content: { entries?: readonly (TeamEntry | Uint8Array)[]; changesets?: readonly Uint8Array[] }, to?: readonly DeviceState[], mailboxTag: Uint8Array = new Uint8Array(16)): Uint8Array {
    const state = this.vault.state();
    const recipients = to ?? [...state.devices.values()].filter((d) => d.active && d.id !== this.vault.deviceId);
    const body = encodePayload({ kind: "sync", team: state.team, entries: (content.entries ?? []).map((e) => (e instanceof Uint8Array ? e : e.bytes)), changesets: content.changesets ?? [], acks: [] });
    return sealBundle(body, { recipients: recipients.map((d) => d.keys.enc), sender: this.device, mailboxTag });
  }

  /** A welcome to `to` carrying this member's copy of the log and a transport key of its choice. */
  welcome(to: DeviceState | { keys: DeviceKeys }, transportKey: Uint8Array = randomBytes(32)): Uint8Array {
    const state = this.vault.state();
    const log = state.order.map((h) => this.vault.entries().get(h)!.bytes);
    const body = encodePayload({ kind: "welcome", team: state.team, log, transportKey });
    return sealBundle(body, { recipients: [to.keys.enc], sender: this.device, mailboxTag: new Uint8Array(16) });
  }
}

export { keyIdOf };
