/**
 * The vault service: one team's keys, team log, changesets and records in one encrypted store.
 * The CLI and (later) the TUI are thin layers over this class. Every mutation runs in one
 * store transaction, so a crash leaves the vault as before or as after (docs/vault-store.md).
 * Team model: docs/team-model.md; sync: docs/sync.md.
 */
import { concatBytes, ed25519KeyPair, equalBytes, randomBytes, wipe, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { AirlockError, TransportKey, isAirlockError } from "@airlock/shared";
import { Storage, VaultStore, type VaultOptions } from "../store/index.js";
import { HLC_BYTES, HlcClock, type Hlc } from "../records/hlc.js";
import { validateId, validateValue } from "../records/values.js";
import type { RecordStore, FieldVersion, SearchHit, SetChange } from "../store/records.js";
import type { AppModule, Intent, RecordView } from "../apps/app.js";
import { APPS, appNamed, appsFingerprint } from "../apps/registry.js";
import { MAX_REMOVE_TAGS, batchProblem, intentOf, intentProblem, lowestVersion } from "../apps/validate.js";
import { OP_KINDS, decodeStoredValue } from "../apps/fold.js";
export type { RecordView } from "../apps/app.js";
import { DEFAULT_APP, MAX_HEADS, decodeEntry, signEntry, certifyDevice, atLeast, type EntryBody, type Role, type TeamEntry, type KeyGrant, type Cutoff } from "../team/entry.js";
import { ancestors, foldTeam, isReader, mayWrite, readerDevices, type DeviceState, type TeamState, type UserState } from "../team/state.js";
import { GENESIS_PREV, decodeChangeset, keyIdOf, openBatch, sealChangeset, type Changeset, type PlainOp } from "../sync/changeset.js";
import { openGrant, sealGrant } from "./grants.js";
import { keyRepairs } from "./heal-grants.js";
import { currentTransport, openTransportKeys, repairTransport } from "./transport-rotation.js";
import { makeJoinRequest, parseJoinRequest, type JoinRequest } from "./request.js";
import { vaultError } from "./errors.js";
import { checkName } from "./names.js";

import { hex, unhex } from "./hex.js";
import { recheckApplied, revalidate, retryNewer } from "./judge.js";
import { assertAdmitted, assertRevocable } from "./backup-status.js";
import type { VaultContext } from "./context.js";
import { proposalOrgs } from "./orgs.js";

export const DEFAULT_COLLECTION = "notes";
const SECRET_SIGN = "device.sign";
const SECRET_ENC = "device.enc";
const SECRET_IDENTITY = "user.identity";
const SECRET_TRANSPORT = "team.transport";
/** X25519 secrets of this vault's earlier devices, retired by `airlock restore` (32 bytes each): their grants still open here. */
const SECRET_RETIRED_ENC = "device.enc.retired";
const META_TEAM = "team";
const META_NAME = "name";
const META_HLC = "hlc";
/** Causal positions kept folded in memory; an import names few, a hostile member could name many. */
const MAX_CACHED_POSITIONS = 256;
/** Ops per carried changeset: far below the 65,536 a changeset may hold, so large carries still seal. */
const CARRY_OPS = 10_000;
/** How trusted the welcome our transport key came from is (2: the admitting device, 1: an admin's). */
const META_WELCOME_RANK = "welcome.rank";
/** The device whose welcome gave this vault its transport key (hex), so it can be judged again as the log grows. */
const META_WELCOME_SENDER = "welcome.sender";

export interface VaultOpenOptions extends VaultOptions {
  /** Injected clock (ms); default Date.now. */
  readonly now?: () => number;
  /**
   * The apps this vault knows; default: every app of this release (apps/registry.ts). Fewer
   * stand for an older release: what they do not know stays locked until a vault that knows
   * it opens the store (how the upgrade path is tested).
   */
  readonly apps?: readonly AppModule[];
}

/** What the app registry looked like when records were last folded (meta key). */
const META_APPS = "apps.known";
/** Set by the migration that added materialized records: fold them all on the next open. */
const META_REBUILD = "records.rebuild";
/**
 * What the search index holds, by release: a vault whose index was written by another one
 * writes every entry again on open. 2: documents by their accepted text (not their first
 * version), proposals by their message only.
 */
const META_SEARCH = "search.version";
const SEARCH_VERSION = "2";

export class Vault implements VaultContext {
  readonly store: VaultStore;
  /** Every table of the store, behind the storage module's typed API. */
  readonly storage: Storage;
  readonly now: () => number;
  #device: KeyPair;
  #enc: KeyPair;
  readonly #retired: KeyPair[] = [];
  #entries: Map<string, TeamEntry> | undefined;
  #state: TeamState | undefined;
  readonly #positions = new Map<string, TeamState>();
  /** Ops, folded records and the search index (store/records.ts): the storage's, named for callers. */
  readonly recordStore: RecordStore;
  #txDepth = 0;

  readonly apps: readonly AppModule[];

  private constructor(store: VaultStore, now: () => number, apps: readonly AppModule[] = APPS) {
    this.store = store;
    this.now = now;
    this.apps = apps;
    this.storage = new Storage(store.connection());
    this.recordStore = this.storage.records;
    this.recordStore.useTeam(() => this.state());
    const sign = store.getSecret(SECRET_SIGN);
    const enc = store.getSecret(SECRET_ENC);
    if (sign === undefined || enc === undefined) throw vaultError("VAULT_NO_TEAM", `the vault at ${store.dir} has no device keys`);
    this.#device = ed25519KeyPair(sign);
    this.#enc = x25519KeyPair(enc);
    const retired = store.getSecret(SECRET_RETIRED_ENC);
    for (let at = 0; retired !== undefined && at + 32 <= retired.length; at += 32) this.#retired.push(x25519KeyPair(retired.slice(at, at + 32)));
    retired?.fill(0);
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
    const vault = new Vault(store, options.now ?? Date.now, options.apps);
    // A new vault's index is empty, so already of this release: its first open need not rewrite it.
    vault.storage.meta.set(META_SEARCH, SEARCH_VERSION);
    return vault;
  }

  /**
   * Creates a further space's vault (docs/spaces.md) in `dir` under the random page key `key`,
   * which the caller keeps in `parent` (the first space's store): fresh device keys, never
   * copied from another space, so members of one space cannot link its bundles to the other.
   * Wipes `key`.
   */
  static createSpace(dir: string, key: Uint8Array, parent: VaultStore, options: VaultOpenOptions = {}): Vault {
    const store = VaultStore.createSpace(dir, key, parent, options);
    const sign = randomBytes(32);
    const enc = randomBytes(32);
    try {
      store.transaction(() => {
        store.setSecret(SECRET_SIGN, sign);
        store.setSecret(SECRET_ENC, enc);
      });
    } catch (e) {
      store.close();
      throw e;
    } finally {
      wipe(sign, enc);
    }
    return Vault.#ready(store, options);
  }

  /** Opens a further space's vault with its page key from the first space's store. Wipes `key`. */
  static openSpace(dir: string, key: Uint8Array, parent: VaultStore, options: VaultOpenOptions = {}): Vault {
    return Vault.#ready(VaultStore.openSpace(dir, key, parent, options), options);
  }

  static async open(dir: string, passphrase: Uint8Array, options: VaultOpenOptions = {}): Promise<Vault> {
    return Vault.#ready(await VaultStore.open(dir, passphrase, options), options);
  }

  /** Opens with a page key an unlock session's agent handed over (docs/unlock-session.md). Wipes `key`. */
  static openWithKey(dir: string, key: Uint8Array, options: VaultOpenOptions = {}): Vault {
    return Vault.#ready(VaultStore.openWithKey(dir, key, options), options);
  }

  static #ready(store: VaultStore, options: VaultOpenOptions): Vault {
    let vault: Vault | undefined;
    try {
      vault = new Vault(store, options.now ?? Date.now, options.apps);
      vault.#catchUp();
      return vault;
    } catch (e) {
      if (vault !== undefined) vault.close();
      else store.close();
      throw e;
    }
  }

  /**
   * After a migration or an upgrade: folds records again if the store asks for it, and looks
   * again at changesets that waited for a newer release when this one knows more apps.
   */
  #catchUp(): void {
    const known = appsFingerprint(this.apps);
    const meta = this.storage.meta;
    const rebuild = meta.get(META_REBUILD) !== undefined;
    const reindex = meta.get(META_SEARCH) !== SEARCH_VERSION;
    if (!rebuild && !reindex && meta.get(META_APPS) === known) return;
    this.tx(() => {
      if ((rebuild || meta.get(META_APPS) !== known) && this.teamId !== undefined) {
        recheckApplied(this);
        retryNewer(this);
      }
      if (rebuild) this.recordStore.rebuild((c) => this.appOf(c));
      meta.set(META_APPS, known);
      if (rebuild) meta.set(META_SEARCH, SEARCH_VERSION);
      meta.delete(META_REBUILD);
    });
    if (rebuild || !reindex) return;
    // Its own transaction, after the rest: a reindex that fails (RecordStore already keeps one
    // record's failure to that record) leaves the older index and its version in place, to be
    // tried again at the next open, and never keeps the vault from opening.
    try {
      this.tx(() => {
        this.recordStore.reindex((c) => this.appOf(c));
        meta.set(META_SEARCH, SEARCH_VERSION);
      });
    } catch {
      // Searching finds what the older index holds until a later open rewrites it.
    }
  }

  /** The app of a collection, if this release knows it (undefined also for an unknown collection). */
  appOf(collection: string): AppModule | undefined {
    if (this.teamId === undefined) return undefined;
    const c = this.state().collections.get(collection);
    return c === undefined ? undefined : appNamed(c.app, this.apps);
  }

  close(): void {
    wipe(this.#device.secretKey, this.#enc.secretKey, ...this.#retired.map((k) => k.secretKey));
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
    this.#teamId ??= this.storage.meta.get(META_TEAM);
    return this.#teamId;
  }
  get myName(): string | undefined {
    return this.storage.meta.get(META_NAME);
  }

  requireTeam(): TeamState {
    if (this.teamId === undefined) throw vaultError("VAULT_NO_TEAM", "this vault is not in a team yet");
    return this.state();
  }

  #identity(): KeyPair | undefined {
    const secret = this.store.getSecret(SECRET_IDENTITY);
    return secret === undefined ? undefined : ed25519KeyPair(secret);
  }

  /** The identity key's 32-byte seed, for `airlock recovery setup` to split (recovery/setup.ts). The caller wipes it. */
  identitySeed(): Uint8Array | undefined {
    return this.store.getSecret(SECRET_IDENTITY);
  }

  /** The newest transport key generation this vault holds (transport-rotation.ts). */
  transportKey(): TransportKey | undefined {
    const current = currentTransport(this);
    if (current === undefined) return undefined;
    try {
      return new TransportKey(current.key);
    } finally {
      wipe(current.key);
    }
  }

  // ---- team log ------------------------------------------------------------------------------

  entries(): Map<string, TeamEntry> {
    if (this.#entries === undefined) {
      const rows = this.storage.teamLog.all();
      this.#entries = new Map();
      for (const bytes of rows) {
        const e = decodeEntry(bytes);
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
    return this.stateAtHex(heads.map(hex));
  }

  stateAtHex(heads: readonly string[]): TeamState | undefined {
    const key = [...new Set(heads)].sort().join(",");
    const cached = this.#positions.get(key);
    if (cached !== undefined) return cached;
    const within = this.ancestorsOf(heads);
    if (within === undefined) return undefined;
    const s = foldTeam(this.teamId!, this.entries(), within);
    // Bounded: a member can name any subset of real heads' ancestors, a new key each time.
    if (this.#positions.size >= MAX_CACHED_POSITIONS) this.#positions.clear();
    this.#positions.set(key, s);
    return s;
  }

  readonly #ancestors = new Map<string, Set<string>>();

  /** The entries (hex) a changeset naming `heads` had seen; undefined if one is unknown here. Cached. */
  ancestorsOf(heads: readonly string[]): ReadonlySet<string> | undefined {
    const key = [...new Set(heads)].sort().join(",");
    const cached = this.#ancestors.get(key);
    if (cached !== undefined) return cached;
    const within = ancestors(this.entries(), heads);
    if (this.#ancestors.size >= MAX_CACHED_POSITIONS) this.#ancestors.clear();
    if (within !== undefined) this.#ancestors.set(key, within);
    return within;
  }

  /** Stores entries (already decoded and verified); returns how many were new. Call inside a transaction. */
  storeEntries(entries: readonly TeamEntry[]): number {
    const log = this.storage.teamLog;
    let added = 0;
    for (const e of entries) {
      if (log.insert(e.hash, e.bytes, this.now())) {
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
  tx<T>(fn: () => T): T {
    // A nested call is a savepoint: if it fails and the caller goes on, its ops are gone, so the
    // records it touched are refolded from what the store still holds.
    const mark = this.recordStore.checkpoint();
    try {
      return this.store.transaction(() => {
        this.#txDepth++;
        try {
          const result = fn();
          // Records touched anywhere in the transaction are folded once, before it commits.
          if (this.#txDepth === 1) this.recordStore.flush((c) => this.appOf(c));
          return result;
        } finally {
          this.#txDepth--;
        }
      });
    } catch (e) {
      // Only a failed outermost transaction undoes every write; a caught inner failure keeps the rest.
      if (this.#txDepth === 0) this.recordStore.discard();
      else this.recordStore.rollback(mark);
      this.#entries = undefined;
      this.#state = undefined;
      this.#teamId = undefined;
      this.#positions.clear();
      this.#ancestors.clear();
      this.#forks = undefined;
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

  /**
   * Signs and stores a new entry on top of the current heads. Call inside a transaction: if the
   * fold refuses the entry or any of its grants, this throws and the caller's transaction rolls
   * back, so the log never holds an entry of ours that every vault would reject.
   */
  appendEntry(body: EntryBody): TeamEntry {
    const state = this.state();
    const entry = signEntry(this.#device, { team: state.team, parents: namedHeads(state), time: this.now(), body });
    this.storeEntries([entry]);
    const after = this.state();
    const rejected = after.rejected.get(entry.hashHex);
    if (rejected !== undefined) {
      // In a shared space the role may be right and the organization not: say who can do it.
      if (/organi[sz]ation/.test(rejected)) throw new AirlockError("VAULT_NOT_ALLOWED", `the team log refuses this change: ${rejected}`, { hint: "in a shared space each organization's admins act on their own people only; ask an admin of that organization (airlock members list shows who; docs/spaces.md)" });
      throw vaultError("VAULT_NOT_ALLOWED", `the team log refuses this change: ${rejected}`);
    }
    const dropped = after.invalidGrants.find((g) => g.entry === entry.hashHex);
    if (dropped !== undefined) throw vaultError("VAULT_NOT_ALLOWED", `the team log refuses this change's keys for "${dropped.collection}": ${dropped.reason}`);
    this.afterTeamChange();
    return entry;
  }

  /**
   * After the log changed: open grants addressed to this device, apply cutoffs to changesets
   * already accepted, and retry changesets that were waiting for a key. Call inside a transaction.
   */
  afterTeamChange(): void {
    const state = this.state();
    // A grant is opened once: its tag is recorded even when every key in it was already held.
    const held = this.storage.keys;
    let newKeys = false;
    // This device, and the devices a restore retired here (their keys sealed after the backup).
    const recipients = [{ device: this.#device.publicKey, enc: this.#enc }];
    for (const enc of this.#retired) for (const d of state.devices.values()) if (equalBytes(d.keys.enc, enc.publicKey)) recipients.push({ device: d.keys.sign, enc });
    for (const c of state.collections.values()) {
      // Only grants the fold accepted are opened: their author could hand out these keys and
      // every key they name was introduced by an entry allowed to (docs/team-model.md, I1).
      // One entry may hold several grants for a collection, each opened on its own by index.
      for (const g of c.grants) {
        const enc = recipients.find((r) => g.grant.to.some((d) => equalBytes(d, r.device)))?.enc;
        if (enc === undefined) continue;
        const tag = `${g.entry}/${c.id}/${String(g.index).padStart(2, "0")}/`;
        if (held.grantOpened(tag)) continue;
        held.markGrantOpened(tag);
        let keys;
        try {
          keys = openGrant(g.grant, enc);
        } catch (e) {
          // A grant that names us but does not open is its author's fault alone: recorded, and
          // everything else goes on (a throw here would roll back every import after it).
          this.#quarantineGrant(g.entry, c.id, g.grant.sealed, (e as Error).message);
          continue;
        }
        if (keys.length === 0) this.#quarantineGrant(g.entry, c.id, g.grant.sealed, "names this device but holds no key sealed to it");
        keys.forEach((k, i) => {
          if (held.insert(k.keyId, k.collection, k.key, `${tag}${String(i).padStart(4, "0")}`)) newKeys = true;
          wipe(k.key);
        });
      }
    }
    openTransportKeys(this, recipients);
    revalidate(this, state, newKeys);
    if (!this.#healing) {
      this.#healing = true;
      try {
        // Each repair on its own: one that keeps failing (review M5) must not stop the other.
        for (const repair of [() => (this.#repairKeys(), this.#carryForward()), () => repairTransport(this)]) {
          try {
            repair();
          } catch {
            // A repair is this vault's own follow-up, never a reason to refuse what it imports (a
            // log a member made too wide to name, too many readers for one grant): it is retried
            // after the next change. Nothing of it was written (its entry is a savepoint).
            this.#entries = undefined;
            this.#invalidate();
          }
        }
      } finally {
        this.#healing = false;
      }
    }
  }

  /**
   * Carry-forward (decisions #30): what this device wrote under a collection's older key after a
   * compaction's frontier — it had not seen the compaction yet — would stay locked on every
   * member admitted afterwards, who hold only the newer keys. Once this vault holds the
   * compaction's key it writes those ops again under its newest key, with their own HLCs:
   * readers who have them fold the same rows twice (nothing changes), newcomers get them. Only
   * this device's own writes, so every authorship rule still holds. Inside the caller's
   * transaction, as a savepoint: a failure is retried after the next team change.
   */
  #carryForward(): void {
    const state = this.state();
    const me = state.devices.get(this.deviceId);
    if (me === undefined || !me.active) return;
    for (const c of state.collections.values()) {
      const k = c.compactions.findLast((x) => x.key !== undefined);
      if (k === undefined || mayWrite(state, this.deviceId, c.id) !== undefined) continue;
      const app = this.appOf(c.id);
      const current = this.currentKeyId(c.id);
      const at = c.keys.findIndex((x) => x.id === k.key);
      if (app === undefined || current === undefined || c.keys.findIndex((x) => x.id === current) < at) continue;
      const mark = `carry.${c.id}`;
      const done = JSON.parse(this.storage.meta.get(mark) ?? "{}") as { entry?: string; seq?: number };
      const from = Math.max(k.frontier.get(this.deviceId)?.seq ?? 0, done.entry === k.entry ? (done.seq ?? 0) : 0);
      const head = this.storage.heads.get(this.#device.publicKey)?.seq ?? 0;
      if (head <= from) continue;
      const ops: PlainOp[] = [];
      for (const r of this.storage.changesets.countedAfter(this.#device.publicKey, from)) {
        const cs = decodeChangeset(r.bytes, { verify: false });
        for (const b of cs.batches) {
          if (b.collection !== c.id) continue;
          const older = c.keys.findIndex((x) => x.id === hex(b.key));
          if (older < 0 || older >= at) continue;
          const key = this.keyById(b.key, c.id);
          if (key === undefined) continue;
          try {
            const content = openBatch(cs, b, key);
            // A snapshot of an earlier compaction restates others' ops: its own compaction covered it.
            if (content !== undefined && content.snapshot === undefined) ops.push(...content.ops);
          } finally {
            wipe(key);
          }
        }
      }
      this.storage.savepoint(() => {
        for (let i = 0; i < ops.length; i += CARRY_OPS) this.#writeOps(c.id, app, ops.slice(i, i + CARRY_OPS));
        this.storage.meta.set(mark, JSON.stringify({ entry: k.entry, seq: head }));
      });
    }
  }

  /** Seals and stores one changeset of already stamped ops (carry-forward) under the collection's newest key. */
  #writeOps(collection: string, app: AppModule, ops: PlainOp[]): void {
    const state = this.state();
    const why = batchProblem(app, app.schema.version, ops, { state, author: this.deviceId });
    if (why !== undefined) throw vaultError("VAULT_BAD_ARGUMENT", `carried ${app.noun} changes would be refused: ${why}`);
    const key = this.currentKey(collection)!;
    try {
      const version = lowestVersion(app, ops, (v) => app.check?.(ops.map(intentOf), { state, author: this.deviceId, version: v }));
      this.#commitOwn(state, app.noun, { collection, key, ops, version });
    } finally {
      wipe(key);
    }
  }

  #quarantineGrant(entry: string, collection: string, sealed: Uint8Array, reason: string): void {
    const author = this.entries().get(entry)?.author ?? null;
    const why = `a key grant for "${collection}" in entry ${entry.slice(0, 12)} did not open: ${reason}`.slice(0, 500);
    this.storage.quarantine.add({ hash: unhex(entry), kind: "grant", author, reason: why, received: this.now(), bytes: sealed });
  }

  #healing = false;

  /**
   * An admin vault that reads a collection repairs its keys after concurrent membership changes
   * (heal-grants.ts): a fresh key for all readers when a device that may no longer read holds
   * the key it writes with, else that key for the readers that lack it — all in one `grant`
   * entry. Inside the caller's transaction; the entry it appends re-enters afterTeamChange,
   * which does not repair again. A repair the fold would refuse is skipped, never thrown: it
   * must not stop an import.
   */
  #repairKeys(): void {
    const state = this.state();
    const me = state.devices.get(this.deviceId);
    const user = me === undefined ? undefined : state.users.get(me.user);
    if (me === undefined || user === undefined || !me.active || !user.active || !atLeast(user.role, "admin")) return;
    const grants: KeyGrant[] = [];
    for (const c of state.collections.values()) {
      if (!isReader(state, c, this.deviceId)) continue;
      const current = this.#currentKeyRow(c.id);
      const repair = keyRepairs(state, c.id, current === undefined ? undefined : hex(keyIdOf(current.key)));
      try {
        if (repair.kind === "rotate") {
          const fresh = randomBytes(32);
          grants.push(sealGrant(this.#device, c.id, [fresh], repair.to));
          wipe(fresh);
        } else if (repair.kind === "share" && current !== undefined) {
          // What an admission or a raised role would have given them: the keys since the last
          // compaction, not only the current one. A device that became a reader while nobody
          // could grant it (its admission or the policy change raced a rotation) must not read
          // less history than the other readers of the collection.
          const keys = this.#keysForNewReaders(c.id);
          if (keys.length > 0) grants.push(sealGrant(this.#device, c.id, keys, repair.to));
          wipe(...keys);
        }
      } finally {
        if (current !== undefined) wipe(current.key);
      }
    }
    if (grants.length === 0) return;
    this.storage.savepoint(() => this.appendEntry({ type: "grant", grants })); // inside the caller's transaction
  }

  /**
   * `airlock restore` (backup-restore.ts): from the next open on, this vault is the device of
   * `sign` and `enc`; the current signing key is wiped (a restored vault must never sign another
   * changeset with it: its peers may hold later ones under the same numbers) and the current
   * X25519 key is kept only to open grants sealed to the old device. Inside the caller's
   * transaction, after the new device's add-device entry; close the vault right after.
   */
  replaceDeviceKeys(sign: Uint8Array, enc: Uint8Array): void {
    const retired = this.store.getSecret(SECRET_RETIRED_ENC) ?? new Uint8Array(0);
    const old = this.store.getSecret(SECRET_ENC)!;
    const all = concatBytes(retired, old);
    this.store.setSecret(SECRET_RETIRED_ENC, all);
    this.store.setSecret(SECRET_SIGN, sign);
    this.store.setSecret(SECRET_ENC, enc);
    wipe(retired, old, all);
  }

  // ---- creating and joining ------------------------------------------------------------------

  /**
   * `airlock init`: a new team with this device as its owner, and the default collection. With
   * `shared`, a shared space between organizations (docs/spaces.md; vault/orgs.ts initShared).
   */
  init(teamName: string, userName: string, shared?: { orgs: readonly string[]; orgK?: number | undefined }): TeamState {
    if (this.teamId !== undefined) throw vaultError("VAULT_HAS_TEAM", `this vault already belongs to team ${this.state().name}`);
    checkName(teamName, "team name");
    checkName(userName, "name");
    const identity = ed25519KeyPair();
    const device = certifyDevice(identity, this.#device.publicKey, this.#enc.publicKey);
    const genesis = signEntry(this.#device, {
      team: undefined,
      parents: [],
      time: this.now(),
      body: { type: "genesis", name: teamName, user: identity.publicKey, userName, device, ...(shared === undefined ? {} : { orgs: shared.orgs, orgK: shared.orgK }) },
    });
    const transport = randomBytes(32);
    this.tx(() => {
      this.store.setSecret(SECRET_IDENTITY, identity.secretKey);
      this.store.setSecret(SECRET_TRANSPORT, transport);
      this.storage.meta.set(META_NAME, userName);
      this.storage.meta.set(META_TEAM, genesis.hashHex);
      this.#teamId = genesis.hashHex;
      this.storeEntries([genesis]);
      this.#createCollection(DEFAULT_COLLECTION, "Notes", "viewer", "editor");
    });
    wipe(identity.secretKey, transport);
    return this.state();
  }

  /**
   * `airlock recover` (recovery/restore.ts): the identity key the recovery shares combined into,
   * and the member's name. Inside the caller's transaction.
   */
  restoreIdentity(seed: Uint8Array, name: string): void {
    this.store.setSecret(SECRET_IDENTITY, seed);
    this.storage.meta.set(META_NAME, name);
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
        this.storage.meta.set(META_NAME, userName);
      });
    }
    const request = makeJoinRequest(userName, identity, this.#device, this.#enc.publicKey, this.now());
    wipe(identity.secretKey);
    return request;
  }

  /**
   * Adopts a team from a welcome: checks that the log admits this device — or, for a recovery
   * (recovery/restore.ts), that `pending`, this device's own enrolment, waits for approvals.
   * Call inside a transaction.
   */
  adoptTeam(teamHex: string, log: readonly TeamEntry[], transportKey: Uint8Array, rank = 2, sender?: string, pending?: string): TeamState {
    const map = new Map(log.map((e) => [e.hashHex, e]));
    const state = foldTeam(teamHex, map);
    const me = state.devices.get(this.deviceId);
    const proposal = pending === undefined ? undefined : state.proposals.get(pending);
    const waits = proposal !== undefined && equalBytes(proposal.entry.author, this.#device.publicKey);
    if ((me === undefined || !me.active) && !waits) throw vaultError("VAULT_NOT_ALLOWED", "the welcome's team log does not admit this device");
    const meta = this.storage.meta;
    meta.set(META_TEAM, teamHex);
    this.#teamId = teamHex;
    this.store.setSecret(SECRET_TRANSPORT, transportKey);
    meta.set(META_WELCOME_RANK, String(rank));
    if (sender !== undefined) meta.set(META_WELCOME_SENDER, sender);
    const user = me === undefined ? undefined : state.users.get(me.user);
    if (user !== undefined) meta.set(META_NAME, user.name);
    this.#entries = undefined;
    this.storeEntries(log);
    this.#invalidate();
    this.afterTeamChange();
    return this.state();
  }

  /**
   * A later welcome from a more trusted sender (the admitting device, after an admin's) replaces
   * the transport key; one from an equal or lesser sender changes nothing. Inside a transaction.
   */
  betterWelcome(rank: number, transportKey: Uint8Array, sender: string, rankOf: (device: string) => number): void {
    // The sender we adopted from is judged again on what we know now: the log its welcome carried
    // may have left out that it was removed, or named it as our admitter falsely.
    const meta = this.storage.meta;
    const adoptedFrom = meta.get(META_WELCOME_SENDER);
    const current = adoptedFrom === undefined ? Number(meta.get(META_WELCOME_RANK) ?? "2") : rankOf(adoptedFrom);
    if (rank <= current) return;
    this.store.setSecret(SECRET_TRANSPORT, transportKey);
    meta.set(META_WELCOME_RANK, String(rank));
    meta.set(META_WELCOME_SENDER, sender);
  }

  /** The device our transport key came from, if a welcome gave it (undefined: we created the team). */
  welcomeSender(): string | undefined {
    return this.storage.meta.get(META_WELCOME_SENDER);
  }

  #forks: Map<string, number> | undefined;

  /** The lowest seq at which `deviceHex` signed two different changesets, if it did (docs/team-model.md, I6). */
  forkSeq(deviceHex: string): number | undefined {
    if (this.#forks === undefined) {
      this.#forks = new Map(this.storage.forks.all().map((r) => [hex(r.device), r.seq]));
    }
    return this.#forks.get(deviceHex);
  }

  forgetForks(): void {
    this.#forks = undefined;
  }

  // ---- membership ----------------------------------------------------------------------------

  /** `airlock members add REQUEST --role ROLE`; `org`, in a shared space, the organization's index (vault/orgs.ts). */
  addMember(requestBytes: Uint8Array, role: Role, options: { org?: number | undefined } = {}): { request: JoinRequest; entry: TeamEntry } {
    const state = this.requireTeam();
    const request = parseJoinRequest(requestBytes);
    this.#requireRole("admin", "add members");
    if (state.devices.has(hex(request.device.sign))) throw vaultError("VAULT_BAD_ARGUMENT", "that device is already in the team");
    const entry = this.tx(() => {
      const grants = this.#grantsForNewDevice(role, { id: hex(request.device.sign), keys: request.device, user: hex(request.user), active: true, cutoff: undefined, losses: [] });
      return this.appendEntry({ type: "add-member", user: request.user, userName: request.name, role, device: request.device, grants, ...(options.org === undefined ? {} : { org: options.org }) });
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
      const grants = this.#grantsForNewDevice(me.user.role, { id: hex(device.sign), keys: device, user: me.user.id, active: true, cutoff: undefined, losses: [] });
      return this.appendEntry({ type: "add-device", user: unhex(me.user.id), device, grants });
    });
    return { request, entry };
  }

  /** `force`: revoke a device restored from its backup before teammates caught up (backup-status.ts). */
  revokeDevice(ref: string, options: { force?: boolean } = {}): TeamEntry {
    const state = this.requireTeam();
    const device = this.findDevice(ref);
    if (device.id === this.deviceId) throw vaultError("VAULT_BAD_ARGUMENT", "a device cannot revoke itself; revoke it from another device");
    if (!device.active) throw vaultError("VAULT_BAD_ARGUMENT", `device ${device.id.slice(0, 12)} is already revoked`);
    assertRevocable(this, device.id, options.force); // restored from its backup: not before teammates caught up, unless forced (backup-status.ts)
    // The fold would reject anyone else's revocation; refusing here keeps a useless entry out of the log.
    const me = this.#me(state);
    if (device.user !== me.user.id) this.#requireRole("admin", "revoke someone else's device");
    else this.#requireRole("viewer", "revoke a device");
    return this.tx(() => {
      const rekeys = this.#rekeys(state, (d) => d.id !== device.id);
      return this.appendEntry({ type: "revoke-device", device: device.keys.sign, cutoff: this.#ackedSeq(device.id), rekeys });
    });
  }

  /**
   * `spaces leave`: this device revokes itself. Everything it wrote up to now stays (the cutoff is
   * its own last changeset); the others rotate the keys it held when they fold the entry.
   */
  revokeSelf(): TeamEntry {
    const state = this.requireTeam();
    const me = this.#me(state);
    return this.tx(() => {
      const rekeys = this.#rekeys(state, (d) => d.id !== me.device.id);
      return this.appendEntry({ type: "revoke-device", device: me.device.keys.sign, cutoff: this.#ackedSeq(me.device.id), rekeys });
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
      const userDevices = [...state.devices.values()].filter((d) => d.user === user.id && d.active);
      for (const c of state.collections.values()) {
        const couldRead = atLeast(user.role, c.read);
        const canRead = atLeast(role, c.read);
        if (couldRead && !canRead) rekeys.push(...this.#rekeys(state, (d) => d.user !== user.id, [c.id]));
        else if (!couldRead && canRead && userDevices.length > 0) {
          const keys = this.#keysForNewReaders(c.id);
          if (keys.length > 0) rekeys.push(sealGrant(this.#device, c.id, keys, userDevices));
          wipe(...keys);
        }
      }
      // A demotion cuts off, per device, at what this vault has seen of it (docs/team-model.md, I4).
      const cutoffs: Cutoff[] = atLeast(role, user.role) ? [] : this.#cutoffsOf(state, new Set([user.id]));
      return this.appendEntry({ type: "set-role", user: unhex(user.id), role, cutoffs, rekeys });
    });
  }

  /**
   * What a removal of `users` carries, as removeMember computes it (vault/orgs.ts removeOrg): per
   * device of theirs the highest seq this vault processed, and a fresh key for every collection
   * they read, sealed to the readers who stay. Call inside a transaction.
   */
  removalOf(users: ReadonlySet<string>): { cutoffs: Cutoff[]; rekeys: KeyGrant[] } {
    const state = this.requireTeam();
    return { cutoffs: this.#cutoffsOf(state, users), rekeys: this.#rekeys(state, (d) => !users.has(d.user)) };
  }

  /** For each device of `users`, the highest seq of it this vault has processed. */
  #cutoffsOf(state: TeamState, users: ReadonlySet<string>): Cutoff[] {
    return [...state.devices.values()].filter((d) => users.has(d.user)).map((d) => ({ device: d.keys.sign, seq: this.#ackedSeq(d.id) }));
  }

  createCollection(id: string, name: string, read: Role, write: Role, app = DEFAULT_APP): TeamEntry {
    const state = this.requireTeam();
    if (appNamed(app, this.apps) === undefined) throw vaultError("VAULT_BAD_ARGUMENT", `unknown collection type "${app}"`);
    this.#requireRole("admin", "create collections");
    if (!atLeast(this.#me(state).user.role, read)) throw vaultError("VAULT_NOT_ALLOWED", `you could not read a collection readable by ${read} and up; ask an owner to create it`);
    validateId(id, "collection id");
    checkName(name, "collection name");
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(id)) throw vaultError("VAULT_BAD_ARGUMENT", `collection id "${id}" must be lowercase letters, digits and dashes`);
    if (this.state().collections.has(id)) throw vaultError("VAULT_BAD_ARGUMENT", `collection "${id}" already exists`);
    return this.tx(() => this.#createCollection(id, name, read, write, app));
  }

  #createCollection(id: string, name: string, read: Role, write: Role, app = DEFAULT_APP): TeamEntry {
    const state = this.state();
    const key = randomBytes(32);
    const readers = [...state.devices.values()].filter((d) => {
      const u = state.users.get(d.user);
      return d.active && u !== undefined && u.active && atLeast(u.role, read);
    });
    const grants = [sealGrant(this.#device, id, [key], readers)];
    wipe(key);
    return this.appendEntry({ type: "collection", id, name, read, write, grants, ...(app === DEFAULT_APP ? {} : { app }) });
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
      const old = this.#keysForNewReaders(id);
      if (added.length > 0 && old.length > 0) rekeys.push(sealGrant(this.#device, id, old, added));
      wipe(...old);
      const fresh = randomBytes(32);
      if (readersAfter.length > 0) rekeys.push(sealGrant(this.#device, id, [fresh], readersAfter));
      wipe(fresh);
      const losing = new Set([...state.users.values()].filter((u) => u.active && atLeast(u.role, c.write) && !atLeast(u.role, write)).map((u) => u.id));
      return this.appendEntry({ type: "set-policy", collection: id, read, write, cutoffs: this.#cutoffsOf(state, losing), rekeys });
    });
  }

  /**
   * Compacts a collection's history (docs/decisions.md #30): a `compact` entry rotates its key to
   * its current readers and names the frontier (every device's chain as far as this vault holds
   * it); a snapshot changeset under the fresh key restates only what is visible there, with the
   * original HLCs. Members admitted afterwards get the fresh key and the snapshot, never the
   * older keys, so deleted records and superseded values before the frontier do not reach them.
   */
  compact(collection: string): { entry: TeamEntry; changeset: string; records: number; ops: number; dropped: number } {
    const state = this.requireTeam();
    this.#requireRole("admin", "compact a collection's history");
    const c = state.collections.get(collection);
    if (c === undefined) throw vaultError("VAULT_NOT_FOUND", `no collection "${collection}"`);
    const app = this.appOf(collection);
    if (app === undefined) throw vaultError("VAULT_NEWER_APP", `collection "${collection}" is of type "${c.app}", which this release of Airlock does not know`);
    if (!isReader(state, c, this.deviceId) || this.currentKey(collection) === undefined) throw vaultError("VAULT_NOT_ALLOWED", `this device may not read "${collection}", so it cannot restate it`);
    // The snapshot is a write like any other: every vault checks the author may write the collection.
    const denied = mayWrite(state, this.deviceId, collection);
    if (denied !== undefined) throw vaultError("VAULT_NOT_ALLOWED", `${denied}; a compaction restates the collection, so it needs write access`);
    // A faithful snapshot needs every changeset held here that may touch the collection judged.
    let pending = 0;
    for (const bytes of this.storage.changesets.pendingBytes()) {
      if (decodeChangeset(bytes, { verify: false }).batches.some((b) => b.collection === collection && c.holders.has(hex(b.key)))) pending++;
    }
    if (pending > 0) throw vaultError("VAULT_BAD_ARGUMENT", `${pending} changeset${pending === 1 ? " of this collection is" : "s of this collection are"} waiting or locked on this vault; import what they wait for (or upgrade) first, so the snapshot misses nothing`);
    const readers = readerDevices(state, collection);
    const { heads, snapshots, opCounts } = this.storage;
    return this.tx(() => {
      // Only the team's devices: what others signed was never applied here.
      const frontier = heads
        .all()
        .filter((h) => state.devices.has(hex(h.device)))
        .map((h) => ({ device: h.device, seq: h.seq, id: h.hash }))
        .sort((x, y) => Buffer.compare(x.device, y.device));
      const fresh = randomBytes(32);
      try {
        const entry = this.appendEntry({ type: "compact", collection, frontier, rekeys: [sealGrant(this.#device, collection, [fresh], readers)] });
        const rows = this.recordStore.snapshotRows(collection, new Map(frontier.map((f) => [hex(f.device), f.seq])));
        const all = opCounts.inCollection(collection);
        const ops: PlainOp[] = rows.map((r) => {
          const hlc = Buffer.from(r.hlc.buffer, r.hlc.byteOffset, r.hlc.length);
          return { kind: OP_KINDS[r.kind]!, record: r.record, field: r.field, value: decodeStoredValue(r.value), wall: Number(hlc.readBigUInt64BE(0)), counter: hlc.readUInt32BE(8), device: hlc.subarray(12).toString("hex") };
        });
        const after = this.state();
        const version = lowestVersion(app, ops, () => undefined);
        // The same checks every other vault will run on it (the per-batch item bound excepted, as for them).
        const why = batchProblem(app, version, ops, { state: after, author: this.deviceId }, { snapshot: true });
        if (why !== undefined) throw vaultError("VAULT_BAD_ARGUMENT", `the snapshot of "${collection}" would be refused by other vaults (${why})`);
        const { cs, id } = this.#commitOwn(after, app.noun, { collection, key: fresh, ops, version, snapshot: entry.hash });
        snapshots.add(entry.hashHex, id);
        const records = new Set(rows.map((r) => r.record)).size;
        return { entry, changeset: hex(cs.id), records, ops: ops.length, dropped: all - ops.length };
      } finally {
        wipe(fresh);
      }
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
    if (proposal.approvers.has(this.#me(state).user.id)) {
      if (proposal.approvers.size < state.approvalsRequired) throw vaultError("VAULT_BAD_ARGUMENT", "you already approved this change (or proposed it); it needs another admin");
      // A shared space's space-level change may also wait for other organizations (docs/spaces.md, rule 4).
      const orgs = proposalOrgs(state, matches[0]!);
      if (orgs !== undefined && orgs.approved.length < orgs.required) {
        throw vaultError("VAULT_BAD_ARGUMENT", `you already approved this change (or proposed it); it waits for an admin of ${orgs.waiting.map((o) => `"${state.orgs?.[o] ?? o}"`).join(" or ")}`);
      }
    }
    return this.tx(() => this.appendEntry({ type: "approve", proposal: unhex(matches[0]!) }));
  }

  // ---- lookups ---------------------------------------------------------------------------------

  #me(state: TeamState): { device: DeviceState; user: UserState } {
    const device = state.devices.get(this.deviceId);
    const user = device === undefined ? undefined : state.users.get(device.user);
    if (device === undefined || user === undefined) {
      assertAdmitted(this); // a restore the team refused says so (backup-status.ts)
      throw vaultError("VAULT_NO_TEAM", "this device is not (yet) in the team log");
    }
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

  /**
   * The keys a new reader of `collection` is given: every key, or, once its history was
   * compacted, only the latest compaction's key and those after it — so what came before reaches
   * them only as the snapshot (docs/decisions.md #30).
   */
  #keysForNewReaders(collection: string): Uint8Array[] {
    const c = this.state().collections.get(collection);
    // Only a compaction whose snapshot this vault applied (checked, or its own): an unchecked one must
    // not cost a newcomer the history it would otherwise receive.
    const since = c === undefined ? undefined : [...c.compactions].reverse().find((k) => k.key !== undefined && this.storage.snapshots.has(k.entry))?.key;
    if (c === undefined || since === undefined) return this.#keysOf(collection);
    const from = c.keys.findIndex((k) => k.id === since);
    const allowed = new Set(c.keys.slice(from).map((k) => k.id));
    const out: Uint8Array[] = [];
    for (const k of this.#keysOf(collection)) {
      if (allowed.has(hex(keyIdOf(k)))) out.push(k);
      else wipe(k);
    }
    return out;
  }

  /** The key new writes use and the entry whose grant gave it to this vault. The caller wipes the key. */
  #currentKeyRow(collection: string): { key: Uint8Array; entry: string } | undefined {
    const rows = this.#keyRows(collection);
    const last = rows.pop();
    wipe(...rows.map((r) => r.key));
    return last;
  }

  /**
   * This vault's keys of `collection` in the order the fold introduced them (docs/team-model.md,
   * I2): which grant happened to bring a key does not matter, and a key the fold does not list
   * for this collection (from a grant it dropped) is never used.
   */
  #keyRows(collection: string): { key: Uint8Array; entry: string }[] {
    const c = this.state().collections.get(collection);
    if (c === undefined) return [];
    const place = new Map(c.keys.map((k, i) => [k.id, i]));
    const placed: { at: number; key: Uint8Array; entry: string }[] = [];
    for (const r of this.storage.keys.ofCollection(collection)) {
      const at = place.get(hex(r.keyId));
      if (at !== undefined) placed.push({ at, key: new Uint8Array(r.key), entry: c.keys[at]!.entry });
      r.key.fill(0);
    }
    placed.sort((x, y) => x.at - y.at);
    return placed.map(({ key, entry }) => ({ key, entry }));
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

  /** Key by id, for decrypting a batch of `collection`: only a key the fold lists for that collection. */
  keyById(keyId: Uint8Array, collection: string): Uint8Array | undefined {
    const id = hex(keyId);
    if (this.state().collections.get(collection)?.holders.has(id) !== true) return undefined;
    const cached = this.#keyCache?.get(id);
    if (cached !== undefined) return cached.slice();
    const held = this.storage.keys.key(keyId, collection);
    if (held === undefined) return undefined;
    const key = new Uint8Array(held);
    held.fill(0);
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
    const state = this.state();
    for (const c of state.collections.values()) {
      if (!atLeast(role, c.read) || !isReader(state, c, this.deviceId)) continue;
      const keys = this.#keysForNewReaders(c.id);
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
    return this.storage.heads.seqOf(unhex(deviceHex)) ?? 0;
  }

  // ---- records -----------------------------------------------------------------------------

  /**
   * Writes what an app asked for as one new changeset of this device, after the same schema
   * check every other vault will run on it. A removal from a set becomes a removal of the
   * additions of that value this vault has seen.
   */
  write(collection: string, intents: readonly Intent[]): { changeset: string; seq: number } {
    const state = this.requireTeam();
    const denied = mayWrite(state, this.deviceId, collection);
    if (denied !== undefined) {
      assertAdmitted(this); // a restore the team refused says so (backup-status.ts)
      throw vaultError("VAULT_NOT_ALLOWED", denied);
    }
    const app = this.appOf(collection);
    if (app === undefined) throw vaultError("VAULT_NEWER_APP", `collection "${collection}" is of type "${state.collections.get(collection)?.app ?? "?"}", which this release of Airlock does not know`);
    const check = (version: number): string | undefined => app.check?.(intents, { state, author: this.deviceId, version });
    const why = intentProblem(app, intents) ?? check(app.schema.version);
    if (why !== undefined) throw vaultError("VAULT_BAD_ARGUMENT", `${app.noun}: ${why}`);
    const key = this.currentKey(collection);
    if (key === undefined) throw vaultError("VAULT_NO_KEY", `no key for collection "${collection}" on this device`);
    try {
      return this.tx(() => {
        const clock = this.#clock();
        const plain: PlainOp[] = [];
        for (const o of intents) {
          const record = validateId(o.record, "record");
          const field = o.kind === "delete" ? "" : validateId(o.field, "field");
          if (o.kind === "remove") {
            // One remove op names at most MAX_REMOVE_TAGS additions; a value added more often takes several.
            const tags = this.recordStore.observedTags(collection, record, field, validateValue(o.value));
            for (let at = 0; at < tags.length; at += MAX_REMOVE_TAGS * HLC_BYTES) {
              const h = clock.now();
              plain.push({ kind: "remove", record, field, value: tags.slice(at, at + MAX_REMOVE_TAGS * HLC_BYTES), wall: h.wall, counter: h.counter });
            }
            continue;
          }
          const h = clock.now();
          plain.push({ kind: o.kind, record, field, value: o.kind === "delete" ? null : validateValue(o.value), wall: h.wall, counter: h.counter });
        }
        if (plain.length === 0) throw vaultError("VAULT_BAD_ARGUMENT", "nothing to change");
        const version = lowestVersion(app, plain, check);
        this.storage.meta.set(META_HLC, JSON.stringify(clock.last));
        const { cs } = this.#commitOwn(state, app.noun, { collection, key, ops: plain, version });
        return { changeset: hex(cs.id), seq: cs.seq };
      });
    } finally {
      wipe(key);
    }
  }

  /**
   * This device's next changeset, of one batch: sealed on top of its head, checked as others will
   * open it, stored as applied with its ops, and made the new head. Inside the caller's transaction.
   */
  #commitOwn(state: TeamState, noun: string, group: { collection: string; key: Uint8Array; ops: PlainOp[]; version: number; snapshot?: Uint8Array }): { cs: Changeset; id: number } {
    const head = this.storage.heads.get(this.#device.publicKey);
    const cs = this.#sealChecked(noun, group.ops.length, () =>
      sealChangeset(this.#device, {
        team: state.team,
        seq: (head?.seq ?? 0) + 1,
        prev: head === undefined ? GENESIS_PREV : head.hash,
        heads: namedHeads(state),
        time: this.now(),
        groups: [group],
      }),
      group.key,
    );
    const id = this.storage.changesets.insert(cs, "applied", null, this.now());
    this.recordStore.insertOps(id, group.collection, this.deviceId, group.ops);
    this.storage.heads.set(cs.device, cs.seq, cs.id);
    return { cs, id };
  }

  /**
   * Seals a changeset and opens it again as every other vault will: a change this vault would
   * store but others would refuse (too many ops, too many bytes) is refused here instead, so a
   * vault never holds what only it accepts.
   */
  #sealChecked(noun: string, ops: number, seal: () => Changeset, key: Uint8Array): Changeset {
    let cs: Changeset;
    try {
      cs = seal();
      openBatch(cs, cs.batches[0]!, key);
    } catch (e) {
      if (isAirlockError(e) && e.code.startsWith("CHANGESET")) {
        throw vaultError("VAULT_BAD_ARGUMENT", `${ops} ${noun} changes do not fit in one changeset (${e.message}); make them in smaller parts`);
      }
      throw e;
    }
    return cs;
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
    this.storage.meta.set(META_HLC, JSON.stringify(clock.last));
  }

  #clock(): HlcClock {
    const last = this.storage.meta.get(META_HLC);
    const parsed = last === undefined ? undefined : (JSON.parse(last) as Hlc);
    return new HlcClock(this.deviceId, this.now, parsed === undefined ? {} : { last: parsed });
  }

  record(collection: string, id: string): RecordView | undefined {
    return this.recordStore.record(collection, id);
  }

  /** Every visible record of a collection, newest first. */
  records(collection: string): RecordView[] {
    return this.recordStore.records(collection);
  }

  /** Visible records `offset` to `offset + limit` of `records(collection)`, newest first: one screenful without reading the rest. */
  recordsPage(collection: string, offset: number, limit: number): RecordView[] {
    return this.recordStore.recordsPage(collection, Math.max(0, Math.floor(offset)), Math.max(0, Math.floor(limit)));
  }

  /** How many records `records(collection)` lists. */
  recordCount(collection: string): number {
    return this.recordStore.count(collection);
  }

  /** Where record `id` stands in `records(collection)` (0 = newest); undefined when it is not listed. */
  recordPosition(collection: string, id: string): number | undefined {
    return this.recordStore.position(collection, id);
  }

  /** A record by its id or a unique id prefix; typed errors name the app's noun. */
  findRecord(collection: string, ref: string): RecordView {
    const noun = this.appOf(collection)?.noun ?? "record";
    if (this.teamId !== undefined && !this.state().collections.has(collection)) throw vaultError("VAULT_NOT_FOUND", `no collection "${collection}"`);
    const exact = this.recordStore.record(collection, ref);
    if (exact !== undefined) return exact;
    const ids = ref.length === 0 ? [] : this.recordStore.idsStartingWith(collection, ref, 2);
    if (ids.length === 1) return this.recordStore.record(collection, ids[0]!)!;
    if (ids.length > 1) throw vaultError("VAULT_AMBIGUOUS", `"${ref}" matches several ${noun}s in ${collection}`);
    throw vaultError("VAULT_NOT_FOUND", `no ${noun} "${ref}" in ${collection}`);
  }

  /** Every value a field held, oldest first: what earlier passwords were, and who set them. */
  fieldHistory(collection: string, id: string, field: string): FieldVersion[] {
    return this.recordStore.fieldHistory(collection, id, field);
  }

  /** Every addition to and removal from a set field, oldest first: earlier URLs, tags, custom fields. */
  setHistory(collection: string, id: string, field: string): SetChange[] {
    return this.recordStore.setHistory(collection, id, field);
  }

  /** Collections this device may read now, optionally only those of one app. */
  readableCollections(app?: string): string[] {
    const state = this.requireTeam();
    return [...state.collections.values()]
      .filter((c) => (app === undefined || c.app === app) && isReader(state, c, this.deviceId) && this.currentKeyId(c.id) !== undefined)
      .map((c) => c.id)
      .sort();
  }

  /** Full-text search over every record this device may read now, across apps. */
  search(query: string, options: { limit?: number; app?: string } = {}): SearchHit[] {
    const readable = this.readableCollections(options.app);
    const everything = options.app === undefined && readable.length === this.requireTeam().collections.size;
    return this.recordStore.search(query, readable, options.limit ?? 50, { everything });
  }
}

/**
 * The team heads a new entry or changeset names: all of them up to the codec's limit. Past it (a
 * member made that many concurrent entries), the first MAX_HEADS in order; an entry naming them
 * merges them, so the next one names the rest.
 */
function namedHeads(state: TeamState): Uint8Array[] {
  return state.heads.slice(0, MAX_HEADS).map(unhex);
}
