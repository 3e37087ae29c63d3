/**
 * The vault service: one team's keys, team log, changesets and records in one encrypted store.
 * The CLI and (later) the TUI are thin layers over this class. Every mutation runs in one
 * store transaction, so a crash leaves the vault as before or as after (docs/vault-store.md).
 * Team model: docs/team-model.md; sync: docs/sync.md.
 */
import { ed25519KeyPair, equalBytes, randomBytes, wipe, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { TransportKey } from "@airlock/shared";
import type Database from "better-sqlite3-multiple-ciphers";
import { VaultStore, type VaultOptions } from "../store/index.js";
import { HlcClock, type Hlc } from "../records/hlc.js";
import { validateId, validateValue, type Value } from "../records/values.js";
import { foldRecord, insertOps, type OpRow, type RecordView } from "./ops-store.js";
export type { RecordView } from "./ops-store.js";
import { decodeEntry, signEntry, certifyDevice, atLeast, type EntryBody, type Role, type TeamEntry, type KeyGrant, type Cutoff } from "../team/entry.js";
import { ancestors, foldTeam, mayWrite, readerDevices, type DeviceState, type TeamState, type UserState } from "../team/state.js";
import { GENESIS_PREV, keyIdOf, sealChangeset, type PlainOp, type OpKind } from "../sync/changeset.js";
import { openGrant, sealGrant } from "./grants.js";
import { introducedKey, readersMissingKey } from "./heal-grants.js";
import { makeJoinRequest, parseJoinRequest, type JoinRequest } from "./request.js";
import { vaultError } from "./errors.js";

import { hex, unhex } from "./hex.js";
import { revalidate } from "./sync.js";

export const DEFAULT_COLLECTION = "notes";
const SECRET_SIGN = "device.sign";
const SECRET_ENC = "device.enc";
const SECRET_IDENTITY = "user.identity";
const SECRET_TRANSPORT = "team.transport";
const META_TEAM = "team";
const META_NAME = "name";
const META_HLC = "hlc";

export interface VaultOpenOptions extends VaultOptions {
  /** Injected clock (ms); default Date.now. */
  readonly now?: () => number;
}

export interface LocalOp {
  readonly kind: OpKind;
  readonly record: string;
  readonly field?: string;
  readonly value?: Value;
}

export class Vault {
  readonly store: VaultStore;
  readonly now: () => number;
  #device: KeyPair;
  #enc: KeyPair;
  #entries: Map<string, TeamEntry> | undefined;
  #state: TeamState | undefined;
  readonly #positions = new Map<string, TeamState>();

  private constructor(store: VaultStore, now: () => number) {
    this.store = store;
    this.now = now;
    const sign = store.getSecret(SECRET_SIGN);
    const enc = store.getSecret(SECRET_ENC);
    if (sign === undefined || enc === undefined) throw vaultError("VAULT_NO_TEAM", `the vault at ${store.dir} has no device keys`);
    this.#device = ed25519KeyPair(sign);
    this.#enc = x25519KeyPair(enc);
  }

  /** Creates a vault folder with fresh device keys (no team yet). */
  static async create(dir: string, passphrase: Uint8Array, options: VaultOpenOptions = {}): Promise<Vault> {
    const store = await VaultStore.create(dir, passphrase, options);
    const sign = randomBytes(32);
    const enc = randomBytes(32);
    store.transaction(() => {
      store.setSecret(SECRET_SIGN, sign);
      store.setSecret(SECRET_ENC, enc);
    });
    wipe(sign, enc);
    return new Vault(store, options.now ?? Date.now);
  }

  static async open(dir: string, passphrase: Uint8Array, options: VaultOpenOptions = {}): Promise<Vault> {
    const store = await VaultStore.open(dir, passphrase, options);
    try {
      return new Vault(store, options.now ?? Date.now);
    } catch (e) {
      store.close();
      throw e;
    }
  }

  close(): void {
    wipe(this.#device.secretKey, this.#enc.secretKey);
    this.store.close();
  }

  // ---- identity ------------------------------------------------------------------------------

  get deviceId(): string {
    return hex(this.#device.publicKey);
  }
  get deviceKey(): KeyPair {
    return this.#device;
  }
  get encryptionKey(): KeyPair {
    return this.#enc;
  }
  /** Cached: the importer asks once per changeset. Reset with the other caches on rollback. */
  #teamId: string | undefined;

  get teamId(): string | undefined {
    this.#teamId ??= this.store.getMeta(META_TEAM);
    return this.#teamId;
  }
  get myName(): string | undefined {
    return this.store.getMeta(META_NAME);
  }

  requireTeam(): TeamState {
    if (this.teamId === undefined) throw vaultError("VAULT_NO_TEAM", "this vault is not in a team yet");
    return this.state();
  }

  #identity(): KeyPair | undefined {
    const secret = this.store.getSecret(SECRET_IDENTITY);
    return secret === undefined ? undefined : ed25519KeyPair(secret);
  }

  transportKey(): TransportKey | undefined {
    const raw = this.store.getSecret(SECRET_TRANSPORT);
    if (raw === undefined) return undefined;
    try {
      return new TransportKey(raw);
    } finally {
      wipe(raw);
    }
  }

  // ---- team log ------------------------------------------------------------------------------

  entries(): Map<string, TeamEntry> {
    if (this.#entries === undefined) {
      const rows = this.#db().prepare("SELECT bytes FROM team_entries").all() as { bytes: Buffer }[];
      this.#entries = new Map();
      for (const r of rows) {
        const e = decodeEntry(new Uint8Array(r.bytes));
        this.#entries.set(e.hashHex, e);
      }
    }
    return this.#entries;
  }

  state(): TeamState {
    if (this.#state === undefined) {
      const team = this.teamId;
      if (team === undefined) throw vaultError("VAULT_NO_TEAM", "this vault is not in a team yet");
      this.#state = foldTeam(team, this.entries());
    }
    return this.#state;
  }

  /** The team state at a causal position (the fold of the heads' ancestors); undefined if a head is unknown. */
  stateAt(heads: readonly Uint8Array[]): TeamState | undefined {
    const key = heads.map(hex).sort().join(",");
    const cached = this.#positions.get(key);
    if (cached !== undefined) return cached;
    const within = ancestors(this.entries(), heads.map(hex));
    if (within === undefined) return undefined;
    const s = foldTeam(this.teamId!, this.entries(), within);
    this.#positions.set(key, s);
    return s;
  }

  /** Stores entries (already decoded and verified); returns how many were new. Call inside a transaction. */
  storeEntries(entries: readonly TeamEntry[]): number {
    const db = this.#db();
    const insert = db.prepare("INSERT INTO team_entries (hash, bytes, received) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
    let added = 0;
    for (const e of entries) {
      if (insert.run(e.hash, e.bytes, this.now()).changes > 0) {
        this.entries().set(e.hashHex, e);
        added++;
      }
    }
    if (added > 0) this.#invalidate();
    return added;
  }

  /**
   * One store transaction; on failure the in-memory caches (entries, team state) are dropped
   * too, so they never hold what the rolled-back transaction wrote.
   */
  tx<T>(fn: (db: Database.Database) => T): T {
    try {
      return this.store.transaction(fn);
    } catch (e) {
      this.#entries = undefined;
      this.#state = undefined;
      this.#teamId = undefined;
      this.#positions.clear();
      // A key read inside the rolled-back transaction may not exist any more.
      for (const k of this.#keyCache?.values() ?? []) wipe(k);
      this.#keyCache?.clear();
      throw e;
    }
  }

  #invalidate(): void {
    this.#state = undefined;
    // Positions depend only on their ancestors, so they stay valid; only the full fold changes.
  }

  #db(): Database.Database {
    return this.store.connection();
  }

  readonly #statements = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once per open vault: imports run the same few thousands of times. */
  stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db().prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** Signs and stores a new entry on top of the current heads. Call inside a transaction. */
  appendEntry(body: EntryBody): TeamEntry {
    const state = this.state();
    const entry = signEntry(this.#device, { team: state.team, parents: state.heads.map(unhex), time: this.now(), body });
    this.storeEntries([entry]);
    this.afterTeamChange();
    return entry;
  }

  /**
   * After the log changed: open grants addressed to this device, apply cutoffs to changesets
   * already accepted, and retry changesets that were waiting for a key. Call inside a transaction.
   */
  afterTeamChange(): void {
    const state = this.state();
    const db = this.#db();
    // A grant is opened once: its tag is recorded even when every key in it was already held.
    const opened = db.prepare("SELECT 1 FROM opened_grants WHERE tag = ?");
    const markOpened = db.prepare("INSERT INTO opened_grants (tag) VALUES (?) ON CONFLICT DO NOTHING");
    const insertKey = db.prepare("INSERT INTO collection_keys (key_id, collection, key, entry) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
    let newKeys = false;
    for (const c of state.collections.values()) {
      // One entry may hold several grants for a collection (a policy change: the old keys to new
      // readers, then the fresh key to all): each is opened on its own, tagged with its index.
      const seen = new Map<string, number>();
      for (const g of c.grants) {
        const index = seen.get(g.entry) ?? 0;
        seen.set(g.entry, index + 1);
        if (!g.grant.to.some((d) => equalBytes(d, this.#device.publicKey))) continue;
        const tag = `${g.entry}/${c.id}/${String(index).padStart(2, "0")}/`;
        if (opened.get(tag) !== undefined) continue;
        const keys = openGrant(g.grant, this.#enc);
        keys.forEach((k, i) => {
          if (insertKey.run(k.keyId, k.collection, k.key, `${tag}${String(i).padStart(4, "0")}`).changes > 0) newKeys = true;
          wipe(k.key);
        });
        markOpened.run(tag);
      }
    }
    revalidate(this, state, newKeys);
    if (!this.#healing) {
      this.#healing = true;
      try {
        this.#healGrants();
      } finally {
        this.#healing = false;
      }
    }
  }

  #healing = false;

  /**
   * An admin vault seals its current key of each collection to the readers that lack it after
   * concurrent membership changes (heal-grants.ts), in one `grant` entry. Inside the caller's
   * transaction; the entry it appends re-enters afterTeamChange, which does not heal again.
   */
  #healGrants(): void {
    const state = this.state();
    const me = state.devices.get(this.deviceId);
    const user = me === undefined ? undefined : state.users.get(me.user);
    if (me === undefined || user === undefined || !me.active || !user.active || !atLeast(user.role, "admin")) return;
    const entries = this.entries();
    const grants: KeyGrant[] = [];
    for (const c of state.collections.values()) {
      const current = this.#currentKeyRow(c.id);
      if (current === undefined) continue;
      try {
        if (!introducedKey(entries, current.entry, user.id)) continue;
        const missing = readersMissingKey(state, entries, c.id, current.entry);
        if (missing.length > 0) grants.push(sealGrant(this.#device, c.id, [current.key], missing));
      } finally {
        wipe(current.key);
      }
    }
    if (grants.length > 0) this.appendEntry({ type: "grant", grants });
  }

  // ---- creating and joining ------------------------------------------------------------------

  /** `airlock init`: a new team with this device as its owner, and the default collection. */
  init(teamName: string, userName: string): TeamState {
    if (this.teamId !== undefined) throw vaultError("VAULT_HAS_TEAM", `this vault already belongs to team ${this.state().name}`);
    checkName(teamName, "team name");
    checkName(userName, "name");
    const identity = ed25519KeyPair();
    const device = certifyDevice(identity, this.#device.publicKey, this.#enc.publicKey);
    const genesis = signEntry(this.#device, {
      team: undefined,
      parents: [],
      time: this.now(),
      body: { type: "genesis", name: teamName, user: identity.publicKey, userName, device },
    });
    const transport = randomBytes(32);
    this.tx(() => {
      this.store.setSecret(SECRET_IDENTITY, identity.secretKey);
      this.store.setSecret(SECRET_TRANSPORT, transport);
      this.store.setMeta(META_NAME, userName);
      this.store.setMeta(META_TEAM, genesis.hashHex);
      this.#teamId = genesis.hashHex;
      this.storeEntries([genesis]);
      this.#createCollection(DEFAULT_COLLECTION, "Notes", "viewer", "editor");
    });
    wipe(identity.secretKey, transport);
    return this.state();
  }

  /** `airlock join`: a fresh identity for this vault and a request an admin can admit. */
  joinRequest(userName: string): JoinRequest {
    if (this.teamId !== undefined) throw vaultError("VAULT_HAS_TEAM", `this vault already belongs to team ${this.state().name}`);
    checkName(userName, "name");
    let identity = this.#identity();
    if (identity === undefined) {
      identity = ed25519KeyPair();
      const id = identity;
      this.tx(() => {
        this.store.setSecret(SECRET_IDENTITY, id.secretKey);
        this.store.setMeta(META_NAME, userName);
      });
    }
    const request = makeJoinRequest(userName, identity, this.#device, this.#enc.publicKey, this.now());
    wipe(identity.secretKey);
    return request;
  }

  /** Adopts a team from a welcome: checks that the log admits this device. Call inside a transaction. */
  adoptTeam(teamHex: string, log: readonly TeamEntry[], transportKey: Uint8Array): TeamState {
    const map = new Map(log.map((e) => [e.hashHex, e]));
    const state = foldTeam(teamHex, map);
    const me = state.devices.get(this.deviceId);
    if (me === undefined || !me.active) throw vaultError("VAULT_NOT_ALLOWED", "the welcome's team log does not admit this device");
    this.store.setMeta(META_TEAM, teamHex);
    this.#teamId = teamHex;
    this.store.setSecret(SECRET_TRANSPORT, transportKey);
    const user = state.users.get(me.user);
    if (user !== undefined) this.store.setMeta(META_NAME, user.name);
    this.#entries = undefined;
    this.storeEntries(log);
    this.#invalidate();
    this.afterTeamChange();
    return this.state();
  }

  // ---- membership ----------------------------------------------------------------------------

  /** `airlock members add REQUEST --role ROLE`. */
  addMember(requestBytes: Uint8Array, role: Role): { request: JoinRequest; entry: TeamEntry } {
    const state = this.requireTeam();
    const request = parseJoinRequest(requestBytes);
    this.#requireRole("admin", "add members");
    if (state.devices.has(hex(request.device.sign))) throw vaultError("VAULT_BAD_ARGUMENT", "that device is already in the team");
    const entry = this.tx(() => {
      const grants = this.#grantsForNewDevice(role, { id: hex(request.device.sign), keys: request.device, user: hex(request.user), active: true, cutoff: undefined });
      return this.appendEntry({ type: "add-member", user: request.user, userName: request.name, role, device: request.device, grants });
    });
    return { request, entry };
  }

  /** `airlock devices add REQUEST`: a second device of this user, certified by its identity key. */
  addDevice(requestBytes: Uint8Array): { request: JoinRequest; entry: TeamEntry } {
    const state = this.requireTeam();
    const request = parseJoinRequest(requestBytes);
    const identity = this.#identity();
    const me = this.#me(state);
    if (identity === undefined || hex(identity.publicKey) !== me.user.id) {
      throw vaultError("VAULT_NO_IDENTITY", "this device does not hold your identity key");
    }
    if (state.devices.has(hex(request.device.sign))) throw vaultError("VAULT_BAD_ARGUMENT", "that device is already in the team");
    const device = certifyDevice(identity, request.device.sign, request.device.enc);
    wipe(identity.secretKey);
    const entry = this.tx(() => {
      const grants = this.#grantsForNewDevice(me.user.role, { id: hex(device.sign), keys: device, user: me.user.id, active: true, cutoff: undefined });
      return this.appendEntry({ type: "add-device", user: unhex(me.user.id), device, grants });
    });
    return { request, entry };
  }

  revokeDevice(ref: string): TeamEntry {
    const state = this.requireTeam();
    const device = this.findDevice(ref);
    if (device.id === this.deviceId) throw vaultError("VAULT_BAD_ARGUMENT", "a device cannot revoke itself; revoke it from another device");
    if (!device.active) throw vaultError("VAULT_BAD_ARGUMENT", `device ${device.id.slice(0, 12)} is already revoked`);
    // The fold would reject anyone else's revocation; refusing here keeps a useless entry out of the log.
    const me = this.#me(state);
    if (device.user !== me.user.id) this.#requireRole("admin", "revoke someone else's device");
    else this.#requireRole("viewer", "revoke a device");
    return this.tx(() => {
      const rekeys = this.#rekeys(state, (d) => d.id !== device.id);
      return this.appendEntry({ type: "revoke-device", device: device.keys.sign, cutoff: this.#ackedSeq(device.id), rekeys });
    });
  }

  removeMember(ref: string): TeamEntry {
    const state = this.requireTeam();
    const user = this.findUser(ref);
    this.#requireRole("admin", "remove members");
    if (user.id === this.#me(state).user.id) throw vaultError("VAULT_BAD_ARGUMENT", "you cannot remove yourself");
    return this.tx(() => {
      const cutoffs: Cutoff[] = [...state.devices.values()].filter((d) => d.user === user.id).map((d) => ({ device: d.keys.sign, seq: this.#ackedSeq(d.id) }));
      const rekeys = this.#rekeys(state, (d) => d.user !== user.id);
      return this.appendEntry({ type: "remove-member", user: unhex(user.id), cutoffs, rekeys });
    });
  }

  setRole(ref: string, role: Role): TeamEntry {
    const state = this.requireTeam();
    const user = this.findUser(ref);
    this.#requireRole("admin", "change roles");
    return this.tx(() => {
      const rekeys: KeyGrant[] = [];
      for (const c of state.collections.values()) {
        const couldRead = atLeast(user.role, c.read);
        const canRead = atLeast(role, c.read);
        const userDevices = [...state.devices.values()].filter((d) => d.user === user.id && d.active);
        if (couldRead && !canRead) rekeys.push(...this.#rekeys(state, (d) => d.user !== user.id, [c.id]));
        else if (!couldRead && canRead && userDevices.length > 0) rekeys.push(sealGrant(this.#device, c.id, this.#keysOf(c.id), userDevices));
      }
      return this.appendEntry({ type: "set-role", user: unhex(user.id), role, cutoffs: [], rekeys });
    });
  }

  createCollection(id: string, name: string, read: Role, write: Role): TeamEntry {
    this.requireTeam();
    this.#requireRole("admin", "create collections");
    validateId(id, "collection id");
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(id)) throw vaultError("VAULT_BAD_ARGUMENT", `collection id "${id}" must be lowercase letters, digits and dashes`);
    if (this.state().collections.has(id)) throw vaultError("VAULT_BAD_ARGUMENT", `collection "${id}" already exists`);
    return this.tx(() => this.#createCollection(id, name, read, write));
  }

  #createCollection(id: string, name: string, read: Role, write: Role): TeamEntry {
    const state = this.state();
    const key = randomBytes(32);
    const readers = [...state.devices.values()].filter((d) => {
      const u = state.users.get(d.user);
      return d.active && u !== undefined && u.active && atLeast(u.role, read);
    });
    const grants = [sealGrant(this.#device, id, [key], readers)];
    wipe(key);
    return this.appendEntry({ type: "collection", id, name, read, write, grants });
  }

  setPolicy(id: string, read: Role, write: Role): TeamEntry {
    const state = this.requireTeam();
    this.#requireRole("admin", "change collection policies");
    const c = state.collections.get(id);
    if (c === undefined) throw vaultError("VAULT_NOT_FOUND", `no collection "${id}"`);
    return this.tx(() => {
      const readersAfter = [...state.devices.values()].filter((d) => {
        const u = state.users.get(d.user);
        return d.active && u !== undefined && u.active && atLeast(u.role, read);
      });
      const before = new Set(readerDevices(state, id).map((d) => d.id));
      const added = readersAfter.filter((d) => !before.has(d.id));
      const rekeys: KeyGrant[] = [];
      if (added.length > 0) rekeys.push(sealGrant(this.#device, id, this.#keysOf(id), added));
      const fresh = randomBytes(32);
      rekeys.push(sealGrant(this.#device, id, [fresh], readersAfter));
      wipe(fresh);
      return this.appendEntry({ type: "set-policy", collection: id, read, write, rekeys });
    });
  }

  setApprovals(k: number): TeamEntry {
    this.requireTeam();
    this.#requireRole("admin", "change the approval threshold");
    if (!Number.isSafeInteger(k) || k < 1 || k > 64) throw vaultError("VAULT_BAD_ARGUMENT", `approvals must be 1..64, got ${k}`);
    return this.tx(() => this.appendEntry({ type: "set-approvals", k }));
  }

  approve(ref: string): TeamEntry {
    const state = this.requireTeam();
    this.#requireRole("admin", "approve changes");
    const matches = [...state.proposals.keys()].filter((h) => h.startsWith(ref.toLowerCase()));
    if (matches.length === 0) throw vaultError("VAULT_NOT_FOUND", `no pending change ${ref}`);
    if (matches.length > 1) throw vaultError("VAULT_AMBIGUOUS", `${ref} matches ${matches.length} pending changes`);
    const proposal = state.proposals.get(matches[0]!)!;
    // Approving again is useful only once the threshold was lowered to what it already has.
    if (proposal.approvers.has(this.#me(state).user.id) && proposal.approvers.size < state.approvalsRequired) {
      throw vaultError("VAULT_BAD_ARGUMENT", "you already approved this change (or proposed it); it needs another admin");
    }
    return this.tx(() => this.appendEntry({ type: "approve", proposal: unhex(matches[0]!) }));
  }

  // ---- lookups ---------------------------------------------------------------------------------

  #me(state: TeamState): { device: DeviceState; user: UserState } {
    const device = state.devices.get(this.deviceId);
    const user = device === undefined ? undefined : state.users.get(device.user);
    if (device === undefined || user === undefined) throw vaultError("VAULT_NO_TEAM", "this device is not (yet) in the team log");
    return { device, user };
  }

  me(): { device: DeviceState; user: UserState } {
    return this.#me(this.requireTeam());
  }

  #requireRole(min: Role, what: string): void {
    const { user, device } = this.me();
    if (!user.active || !device.active) throw vaultError("VAULT_NOT_ALLOWED", `this device was removed from the team and cannot ${what}`);
    if (!atLeast(user.role, min)) throw vaultError("VAULT_NOT_ALLOWED", `a ${user.role} cannot ${what} (needs ${min})`);
  }

  findUser(ref: string): UserState {
    const state = this.requireTeam();
    const lower = ref.toLowerCase();
    const users = [...state.users.values()];
    const byName = users.filter((u) => u.name.toLowerCase() === lower && u.active);
    if (byName.length === 1) return byName[0]!;
    const byId = users.filter((u) => lower.length >= 4 && u.id.startsWith(lower));
    if (byId.length === 1) return byId[0]!;
    if (byName.length > 1 || byId.length > 1) throw vaultError("VAULT_AMBIGUOUS", `"${ref}" matches several members`);
    throw vaultError("VAULT_NOT_FOUND", `no member "${ref}"`);
  }

  findDevice(ref: string): DeviceState {
    const state = this.requireTeam();
    const lower = ref.toLowerCase();
    const matches = [...state.devices.values()].filter((d) => lower.length >= 4 && d.id.startsWith(lower));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw vaultError("VAULT_AMBIGUOUS", `"${ref}" matches several devices`);
    throw vaultError("VAULT_NOT_FOUND", `no device "${ref}" (use the id shown by airlock devices list)`);
  }

  // ---- keys ------------------------------------------------------------------------------------

  /** Every key this vault holds for `collection`, oldest grant first. The caller wipes them. */
  #keysOf(collection: string): Uint8Array[] {
    return this.#keyRows(collection).map((r) => r.key);
  }

  /** The key new writes use and the entry whose grant gave it to this vault. The caller wipes the key. */
  #currentKeyRow(collection: string): { key: Uint8Array; entry: string } | undefined {
    const rows = this.#keyRows(collection);
    const last = rows.pop();
    wipe(...rows.map((r) => r.key));
    return last;
  }

  /** This vault's keys of `collection` with the entry that brought each, in log order (key_id is the table's key: each once). */
  #keyRows(collection: string): { key: Uint8Array; entry: string }[] {
    const state = this.state();
    if (!state.collections.has(collection)) return [];
    const rows = this.#db().prepare("SELECT key, entry FROM collection_keys WHERE collection = ?").all(collection) as { key: Buffer; entry: string }[];
    const order = new Map(state.order.map((h, i) => [h, i]));
    const placed = rows.map((r) => ({ r, at: keyPlace(r.entry, order) }));
    placed.sort(({ r: a, at: x }, { r: b, at: y }) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
    return placed.map(({ r }) => {
      const out = { key: new Uint8Array(r.key), entry: r.entry.slice(0, 64) };
      r.key.fill(0);
      return out;
    });
  }

  /** The key new writes to `collection` use: the newest key of the newest grant this vault opened. */
  currentKey(collection: string): Uint8Array | undefined {
    return this.#currentKeyRow(collection)?.key;
  }

  /** The id (hex) of the key new writes use, without handing out the key. */
  currentKeyId(collection: string): string | undefined {
    const key = this.currentKey(collection);
    if (key === undefined) return undefined;
    const id = hex(keyIdOf(key));
    wipe(key);
    return id;
  }

  /** Key by id, for decrypting a batch. */
  keyById(keyId: Uint8Array): Uint8Array | undefined {
    const id = hex(keyId);
    const cached = this.#keyCache?.get(id);
    if (cached !== undefined) return cached.slice();
    const row = this.stmt("SELECT key FROM collection_keys WHERE key_id = ?").get(keyId) as { key: Buffer } | undefined;
    if (row === undefined) return undefined;
    const key = new Uint8Array(row.key);
    row.key.fill(0);
    this.#keyCache?.set(id, key.slice());
    return key;
  }

  #keyCache: Map<string, Uint8Array> | undefined;

  /**
   * Runs `fn` with collection keys cached in memory (an import decrypts thousands of batches
   * under a handful of keys); the cached copies are wiped when it returns.
   */
  withKeyCache<T>(fn: () => T): T {
    if (this.#keyCache !== undefined) return fn();
    this.#keyCache = new Map();
    try {
      return fn();
    } finally {
      for (const k of this.#keyCache.values()) wipe(k);
      this.#keyCache = undefined;
    }
  }

  #grantsForNewDevice(role: Role, device: DeviceState): KeyGrant[] {
    const grants: KeyGrant[] = [];
    for (const c of this.state().collections.values()) {
      if (!atLeast(role, c.read)) continue;
      const keys = this.#keysOf(c.id);
      if (keys.length === 0) continue;
      grants.push(sealGrant(this.#device, c.id, keys, [device]));
      wipe(...keys);
    }
    return grants;
  }

  /** Fresh keys for every collection whose readers shrink to `keep`. */
  #rekeys(state: TeamState, keep: (d: DeviceState) => boolean, only?: readonly string[]): KeyGrant[] {
    const out: KeyGrant[] = [];
    for (const c of state.collections.values()) {
      if (only !== undefined && !only.includes(c.id)) continue;
      const readers = readerDevices(state, c.id);
      const after = readers.filter(keep);
      if (after.length === readers.length || after.length === 0) continue;
      const fresh = randomBytes(32);
      out.push(sealGrant(this.#device, c.id, [fresh], after));
      wipe(fresh);
    }
    return out;
  }

  /** Highest seq of `device` this vault has processed: the cutoff a removal records. */
  #ackedSeq(deviceHex: string): number {
    const row = this.#db().prepare("SELECT seq FROM device_heads WHERE device = ?").get(unhex(deviceHex)) as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  // ---- records -----------------------------------------------------------------------------

  /** Writes ops as one new changeset of this device. */
  write(collection: string, ops: readonly LocalOp[], options: { skipRoleCheck?: boolean } = {}): { changeset: string; seq: number } {
    const state = this.requireTeam();
    const denied = mayWrite(state, this.deviceId, collection);
    // skipRoleCheck exists so tests can play a hostile member whose edits every other vault must refuse.
    if (denied !== undefined && options.skipRoleCheck !== true) throw vaultError("VAULT_NOT_ALLOWED", denied);
    const key = this.currentKey(collection);
    if (key === undefined) throw vaultError("VAULT_NO_KEY", `no key for collection "${collection}" on this device`);
    try {
      return this.tx((db) => {
        const clock = this.#clock();
        const plain: PlainOp[] = ops.map((o) => {
          const h = clock.now();
          const value = o.kind === "delete" ? null : validateValue(o.value ?? null);
          return { kind: o.kind, record: validateId(o.record, "record"), field: o.kind === "delete" ? "" : validateId(o.field, "field"), value, wall: h.wall, counter: h.counter };
        });
        this.store.setMeta(META_HLC, JSON.stringify(clock.last));
        const head = db.prepare("SELECT seq, hash FROM device_heads WHERE device = ?").get(this.#device.publicKey) as { seq: number; hash: Buffer } | undefined;
        const cs = sealChangeset(this.#device, {
          team: state.team,
          seq: (head?.seq ?? 0) + 1,
          prev: head === undefined ? GENESIS_PREV : new Uint8Array(head.hash),
          heads: state.heads.map(unhex),
          time: this.now(),
          groups: [{ collection, key, ops: plain }],
        });
        const id = db
          .prepare("INSERT INTO changesets (hash, device, seq, bytes, status, reason, received) VALUES (?, ?, ?, ?, 'applied', NULL, ?)")
          .run(cs.id, cs.device, cs.seq, cs.bytes, this.now()).lastInsertRowid as number;
        insertOps(db, id, collection, this.deviceId, plain);
        db.prepare("INSERT INTO device_heads (device, seq, hash) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE SET seq = excluded.seq, hash = excluded.hash").run(cs.device, cs.seq, cs.id);
        return { changeset: hex(cs.id), seq: cs.seq };
      });
    } finally {
      wipe(key);
    }
  }

  /**
   * Merges a remote timestamp into this device's clock, so the next local edit is ordered after
   * everything seen. Timestamps beyond the skew bound are not adopted (docs/records-merge.md).
   */
  observe(wall: number, counter: number, device: string): void {
    const clock = this.#clock();
    try {
      clock.receive({ wall, counter, device });
    } catch (e) {
      if (e instanceof RangeError) return;
      throw e;
    }
    this.store.setMeta(META_HLC, JSON.stringify(clock.last));
  }

  #clock(): HlcClock {
    const last = this.store.getMeta(META_HLC);
    const parsed = last === undefined ? undefined : (JSON.parse(last) as Hlc);
    return new HlcClock(this.deviceId, this.now, parsed === undefined ? {} : { last: parsed });
  }

  record(collection: string, id: string): RecordView | undefined {
    const rows = this.#db()
      .prepare("SELECT field, kind, hlc, value FROM ops WHERE collection = ? AND record = ? ORDER BY hlc, value")
      .all(collection, id) as OpRow[];
    return foldRecord(collection, id, rows);
  }

  records(collection: string): RecordView[] {
    const rows = this.#db()
      .prepare("SELECT record, field, kind, hlc, value FROM ops WHERE collection = ? ORDER BY record, hlc, value")
      .all(collection) as (OpRow & { record: string })[];
    const out: RecordView[] = [];
    let start = 0;
    for (let i = 1; i <= rows.length; i++) {
      if (i === rows.length || rows[i]!.record !== rows[start]!.record) {
        const view = foldRecord(collection, rows[start]!.record, rows.slice(start, i));
        if (view !== undefined) out.push(view);
        start = i;
      }
    }
    return out;
  }
}

function checkName(name: string, what: string): void {
  if (typeof name !== "string" || name.trim().length === 0 || name.length > 256) {
    throw vaultError("VAULT_BAD_ARGUMENT", `the ${what} must be 1..256 characters`);
  }
}

/**
 * Where a held key came from, for ordering: the log position of the grant's entry, the grant's
 * index in it, the key's index in the grant. Tags are "entry/collection/grant/key"; rows written
 * before grants were indexed are "entry/collection/key" and came from the entry's first grant
 * addressed to this device, so they sort before any indexed grant of the same entry.
 */
export function keyPlace(tag: string, order: ReadonlyMap<string, number>): [number, number, number] {
  const parts = tag.split("/");
  const position = order.get(parts[0] ?? "") ?? 0;
  if (parts.length >= 4) return [position, Number(parts[parts.length - 2]), Number(parts[parts.length - 1])];
  return [position, -1, Number(parts[parts.length - 1])];
}
