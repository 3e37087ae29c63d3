/**
 * Hostile convergence (issue 10): seven vaults — alice (owner) on two devices, dave (a second
 * admin), bob and carol (editors), vera (a viewer) and nora (who asked to join and may be
 * admitted later) — take random honest actions through the vault API and random hostile ones
 * through HostileMember (test-support/hostile.ts: forged grants and keys, changesets naming old
 * heads, far-future clocks, equivocation to different peers, bogus welcomes, entries and writes
 * beyond the author's rights). Bundles go into one pool and are delivered lost, duplicated and
 * reordered; the approvals threshold is sometimes 2. Then every vault exchanges with every
 * other until nothing changes (quiescence), and the invariants below must hold. What is asserted,
 * and why exactly so, is written down in docs/team-model.md ("Invariants", the last paragraph).
 *
 * Entry hashes and keys are random, so the fold's tie-breaks differ between replays of one
 * action list: a counterexample may need several replays (AIRLOCK_PROPERTY_REPLAYS).
 *
 * Knobs (environment): AIRLOCK_PROPERTY_RUNS (default 3, times AIRLOCK_PROPERTY_RUNS_FACTOR), AIRLOCK_PROPERTY_ACTIONS (most actions
 * per run, default 28), AIRLOCK_PROPERTY_SEED / AIRLOCK_PROPERTY_PATH (replay what a failure
 * printed), AIRLOCK_PROPERTY_SHRINK=1 (shrink a failure; off by default, it replays many runs).
 * `npm run property:long` runs 200.
 */
import fc from "fast-check";
import { propertySeed, runs } from "../../../vitest-properties.js";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ed25519KeyPair, randomBytes, x25519KeyPair } from "@airlock/bundle-format";
import { HostileMember } from "../../test-support/hostile.js";
import { importInto, newVault, sync, tempRoot, TestClock } from "../../test-support/vaults.js";
import { DEFAULT_MAX_SKEW_MS } from "../records/hlc.js";
import { decodeChangeset } from "../sync/changeset.js";
import { foldRecord, type OpRow } from "../apps/fold.js";
import type { RecordView } from "../apps/app.js";
import { atLeast, certifyDevice, ROLES, type EntryBody, type Role, type TeamEntry } from "../team/entry.js";
import { foldTeam, isReader, readerDevices, type DeviceState, type TeamState } from "../team/state.js";
import { hex, unhex } from "./hex.js";
import { currentTransport } from "./transport-rotation.js";
import { transportKeyId } from "@airlock/shared";
import { parseJoinRequest } from "./request.js";
import { stateDigest } from "./report.js";
import { authorize, exportBundles, FUTURE_REASON, type ExportedBundle } from "./sync.js";
import type { Vault } from "./vault.js";

const env = (name: string): number | undefined => (process.env[name] === undefined || process.env[name] === "" ? undefined : Number(process.env[name]));
const RUNS = env("AIRLOCK_PROPERTY_RUNS") ?? runs(3);
const MAX_ACTIONS = env("AIRLOCK_PROPERTY_ACTIONS") ?? 28;
// vitest-properties.ts: AIRLOCK_PROPERTY_SEED, else fixed in strict and CI runs, random elsewhere;
// printed by fast-check with the counterexample when a run fails.
const SEED = propertySeed();
const PATH = process.env["AIRLOCK_PROPERTY_PATH"];
const SHRINK = process.env["AIRLOCK_PROPERTY_SHRINK"] === "1";
/** AIRLOCK_PROPERTY_STATS=1: one line per run saying what it exercised (long runs, to see they bite). */
const STATS = process.env["AIRLOCK_PROPERTY_STATS"] === "1";

/** Vault i belongs to user VAULT_USER[i]; alice has vaults 0 and 1; nora (6) is not admitted at first. */
const VAULT_USER = ["alice", "alice", "dave", "bob", "carol", "vera", "nora"] as const;
const USERS = ["alice", "dave", "bob", "carol", "vera", "nora"] as const;
const VAULTS = VAULT_USER.length;
const COLLECTIONS = ["notes", "secret", "c1", "c2"] as const;
const RECORDS = ["r1", "r2", "r3"] as const;
/** Past this many rounds of everyone exporting to everyone without settling, the test fails. */
const MAX_ROUNDS = 10;

const vault = fc.nat(VAULTS - 1);
const role = fc.constantFrom<Role>(...ROLES);
/** Index into COLLECTIONS, half the time "notes" (the others exist only in some runs). */
const coll = fc.oneof(fc.constant(0), fc.nat(COLLECTIONS.length - 1));
const value = fc.string({ maxLength: 6 });

type Action =
  | { t: "write"; v: number; coll: number; kind: "set" | "delete" | "append"; record: number; field: number; value: string }
  | { t: "role"; v: number; user: number; role: Role }
  | { t: "remove"; v: number; user: number }
  | { t: "revoke"; v: number; device: number }
  | { t: "policy"; v: number; coll: number; read: Role; write: Role }
  | { t: "collection"; v: number; coll: number; read: Role; write: Role }
  | { t: "approve"; v: number; pick: number }
  | { t: "approvals"; v: number; k: number }
  | { t: "admit"; v: number; role: Role }
  | { t: "export"; v: number }
  | { t: "deliver"; to: number; pick: number[] }
  | { t: "tick"; ms: number }
  | { t: "leap" }
  | { t: "h-grant"; v: number; coll: number; variant: number; direct: number }
  | { t: "h-add-device"; v: number; coll: number; direct: number }
  | { t: "h-entry"; v: number; variant: number; user: number; coll: number; role: Role; k: number; old: number | undefined; direct: number }
  | { t: "h-old-heads"; v: number; coll: number; old: number; direct: number }
  | { t: "h-future"; v: number; coll: number; variant: number; direct: number }
  | { t: "h-equivocate"; v: number; coll: number; p: number; q: number }
  | { t: "h-welcome"; v: number; to: number }
  | { t: "h-write"; v: number; coll: number; direct: number };

const write: fc.Arbitrary<Action> = fc.record({ t: fc.constant("write" as const), v: vault, coll, kind: fc.constantFrom("set" as const, "set" as const, "delete" as const, "append" as const), record: fc.nat(2), field: fc.nat(1), value });
const honest: fc.Arbitrary<Action>[] = [
  fc.record({ t: fc.constant("role" as const), v: vault, user: fc.nat(USERS.length - 1), role }),
  fc.record({ t: fc.constant("remove" as const), v: vault, user: fc.nat(USERS.length - 1) }),
  fc.record({ t: fc.constant("revoke" as const), v: vault, device: vault }),
  fc.record({ t: fc.constant("policy" as const), v: vault, coll, read: role, write: role }),
  fc.record({ t: fc.constant("collection" as const), v: vault, coll: fc.nat(1), read: role, write: role }),
  fc.record({ t: fc.constant("approve" as const), v: vault, pick: fc.nat(7) }),
  fc.record({ t: fc.constant("approvals" as const), v: vault, k: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant("admit" as const), v: vault, role }),
];
const hostile: fc.Arbitrary<Action>[] = [
  fc.record({ t: fc.constant("h-grant" as const), v: vault, coll, variant: fc.nat(3), direct: vault }),
  fc.record({ t: fc.constant("h-add-device" as const), v: vault, coll, direct: vault }),
  fc.record({ t: fc.constant("h-entry" as const), v: vault, variant: fc.nat(7), user: fc.nat(USERS.length - 1), coll, role, k: fc.integer({ min: 1, max: 3 }), old: fc.option(fc.nat(40), { nil: undefined }), direct: vault }),
  fc.record({ t: fc.constant("h-old-heads" as const), v: vault, coll, old: fc.nat(40), direct: vault }),
  fc.record({ t: fc.constant("h-future" as const), v: vault, coll, variant: fc.nat(2), direct: vault }),
  fc.record({ t: fc.constant("h-equivocate" as const), v: vault, coll, p: vault, q: vault }),
  fc.record({ t: fc.constant("h-welcome" as const), v: vault, to: vault }),
  fc.record({ t: fc.constant("h-write" as const), v: vault, coll, direct: vault }),
];
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: write },
  { weight: 8, arbitrary: fc.oneof(...honest) },
  { weight: 6, arbitrary: fc.oneof(...hostile) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("export" as const), v: vault }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("deliver" as const), to: vault, pick: fc.array(fc.nat(1000), { maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 5000 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: "leap" as const }) },
);

interface Config {
  readonly k2: boolean;
  readonly secret: boolean;
}

interface World {
  readonly vaults: Vault[];
  readonly clock: TestClock;
  /** Every bundle exported or forged so far: deliveries pick from it. */
  readonly pool: Uint8Array[];
  /** Team heads seen by some vault along the way: forged changesets and entries name old ones. */
  readonly history: Uint8Array[][];
  readonly request: Uint8Array;
  /**
   * Vaults that received a welcome which welcomeRank trusts (from an active admin, or from the
   * device that admitted them) carrying a transport key of the sender's choice: trusting admins
   * with that is the design (docs/team-model.md, I7), so their transport key is not compared.
   */
  readonly tainted: Set<number>;
}

/** Refusals the vault API gives for actions its device may not take (yet): the point of the test. */
const REFUSALS = new Set([
  "VAULT_NOT_ALLOWED",
  "VAULT_NO_KEY",
  "VAULT_NO_TEAM",
  "VAULT_NOTHING_TO_EXPORT",
  "VAULT_NOT_FOUND",
  "VAULT_BAD_ARGUMENT",
  "VAULT_AMBIGUOUS",
  "VAULT_NO_IDENTITY",
]);

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!REFUSALS.has((e as { code?: string }).code ?? "")) throw e;
    return undefined;
  }
}

/** I5 at every import: nothing applied is stamped more than 24 h ahead of the vault's clock. */
function checkClock(x: Vault): void {
  const row = x.store.connection().prepare("SELECT max(hlc) AS h FROM ops").get() as { h: Buffer | null };
  if (row.h === null) return;
  const wall = row.h.readUInt32BE(0) * 2 ** 32 + row.h.readUInt32BE(4);
  expect(wall, `vault ${x.deviceId.slice(0, 8)} applied an op stamped ${wall - x.now()} ms ahead of its clock`).toBeLessThanOrEqual(x.now() + DEFAULT_MAX_SKEW_MS);
}

function deliver(x: Vault, bundles: readonly Uint8Array[]): void {
  if (bundles.length === 0) return;
  importInto(x, bundles);
  checkClock(x);
}

function hasTeam(x: Vault): boolean {
  return x.teamId !== undefined && x.state().devices.has(x.deviceId);
}

function pushHistory(world: World, x: Vault): void {
  if (x.teamId === undefined) return;
  const heads = x.state().heads;
  const last = world.history.at(-1);
  if (last !== undefined && last.map(hex).join() === heads.join()) return;
  world.history.push(heads.map(unhex));
}

function userId(state: TeamState, name: string): Uint8Array | undefined {
  const u = [...state.users.values()].find((x) => x.name === name);
  return u === undefined ? undefined : unhex(u.id);
}

/** What a forged changeset is encrypted under: the forger's current key, else one nobody holds. */
function keyFor(x: Vault, collection: string): Uint8Array {
  return x.currentKey(collection) ?? randomBytes(32);
}

/** A forged sync bundle goes into the pool and straight to one vault (it may not be addressed to it). */
function send(world: World, evil: HostileMember, content: { entries?: readonly TeamEntry[]; changesets?: readonly Uint8Array[] }, direct: number): void {
  const bundle = evil.bundle(content);
  world.pool.push(bundle);
  if (world.vaults[direct] !== evil.vault) deliver(world.vaults[direct]!, [bundle]);
}

/** The forger's own vault imports its forged changeset, so its next honest one follows it (no accidental fork). */
function selfImport(evil: HostileMember, cs: Uint8Array): void {
  deliver(evil.vault, [evil.bundle({ changesets: [cs] }, [evil.vault.me().device])]);
}

function honestAction(world: World, a: Action): void {
  const { vaults, pool, clock } = world;
  switch (a.t) {
    case "write": {
      const record = RECORDS[a.record]!;
      const op =
        a.kind === "delete"
          ? { kind: "delete" as const, record }
          : a.kind === "append"
            ? { kind: "append" as const, record, field: "comments", value: a.value }
            : { kind: "set" as const, record, field: a.field === 0 ? "title" : "body", value: a.value };
      attempt(() => vaults[a.v]!.write(COLLECTIONS[a.coll]!, [op]));
      return;
    }
    case "role":
      attempt(() => vaults[a.v]!.setRole(USERS[a.user]!, a.role));
      return;
    case "remove":
      attempt(() => vaults[a.v]!.removeMember(USERS[a.user]!));
      return;
    case "revoke":
      attempt(() => vaults[a.v]!.revokeDevice(vaults[a.device]!.deviceId.slice(0, 16)));
      return;
    case "policy":
      attempt(() => vaults[a.v]!.setPolicy(COLLECTIONS[a.coll]!, a.read, a.write));
      return;
    case "collection": {
      const id = COLLECTIONS[2 + a.coll]!;
      attempt(() => vaults[a.v]!.createCollection(id, id, a.read, a.write));
      return;
    }
    case "approve":
      attempt(() => {
        const ids = [...vaults[a.v]!.requireTeam().proposals.keys()];
        if (ids.length > 0) vaults[a.v]!.approve(ids[a.pick % ids.length]!);
      });
      return;
    case "approvals":
      attempt(() => vaults[a.v]!.setApprovals(a.k));
      return;
    case "admit":
      attempt(() => vaults[a.v]!.addMember(world.request, a.role));
      return;
    case "export":
      attempt(() => pool.push(...exportBundles(vaults[a.v]!).map((b) => b.bytes)));
      return;
    case "deliver":
      if (pool.length > 0) deliver(vaults[a.to]!, a.pick.map((i) => pool[i % pool.length]!));
      return;
    case "tick":
      clock.tick(a.ms);
      return;
    case "leap":
      // Past the 24 h bound: changesets dated a little ahead become applicable.
      clock.tick(DEFAULT_MAX_SKEW_MS + 3_600_000);
      return;
    default:
      hostileAction(world, a);
  }
}

function hostileAction(world: World, a: Action): void {
  if (!("v" in a)) return;
  const x = world.vaults[a.v]!;
  if (!hasTeam(x)) return;
  const evil = new HostileMember(x);
  const state = x.state();
  const me = x.me();
  const active = [...state.devices.values()].filter((d) => d.active);
  const old = (i: number): Uint8Array[] => world.history[i % world.history.length]!;
  switch (a.t) {
    case "h-grant": {
      // I1/I2: keys handed out by someone who may not, to devices that may not read, under false ids.
      const id = COLLECTIONS[a.coll]!;
      if (!state.collections.has(id)) return;
      const readers = readerDevices(state, id);
      const to = readers.length > 0 ? readers : active;
      let grant;
      if (a.variant === 0) grant = evil.grant(id, [randomBytes(32)], to);
      else if (a.variant === 1) grant = evil.grant(id, [randomBytes(32)], active);
      else if (a.variant === 2) {
        const current = x.currentKeyId(id);
        if (current === undefined) return;
        grant = evil.grant(id, [randomBytes(32)], to, { claim: [unhex(current)], sealed: randomBytes(200) });
      } else {
        const other = COLLECTIONS.find((o) => o !== id && x.currentKeyId(o) !== undefined);
        if (other === undefined) return;
        const key = x.currentKey(other)!;
        grant = evil.grant(id, [key], to);
      }
      send(world, evil, { entries: [evil.entry({ type: "grant", grants: [grant] })] }, a.direct);
      return;
    }
    case "h-add-device": {
      // I1 #1: a device of one's own, with a fresh key of a collection sealed to everyone.
      const id = COLLECTIONS[a.coll]!;
      if (!state.collections.has(id)) return;
      const fresh = evil.newDevice();
      const pseudo: DeviceState = { id: hex(fresh.keys.sign), keys: fresh.keys, user: me.user.id, active: true, cutoff: undefined, losses: [] };
      const entry = evil.entry({ type: "add-device", user: unhex(me.user.id), device: fresh.keys, grants: [evil.grant(id, [randomBytes(32)], [...active, pseudo])] });
      send(world, evil, { entries: [entry] }, a.direct);
      return;
    }
    case "h-entry": {
      // Entries beyond the author's rights (or within an admin's, without the rekeys and cutoffs an honest client adds).
      const target = userId(state, USERS[a.user]!);
      const id = COLLECTIONS[a.coll]!;
      let body: EntryBody | undefined;
      switch (a.variant) {
        case 0:
          body = { type: "set-role", user: unhex(me.user.id), role: "owner", cutoffs: [], rekeys: [] };
          break;
        case 1:
          if (target !== undefined) body = { type: "remove-member", user: target, cutoffs: [], rekeys: [] };
          break;
        case 2:
          if (state.collections.has(id)) body = { type: "set-policy", collection: id, read: a.role, write: a.role, cutoffs: [], rekeys: [] };
          break;
        case 3:
          body = { type: "set-approvals", k: a.k };
          break;
        case 4:
          body = { type: "collection", id: "h1", name: "h1", read: a.role, write: a.role, grants: [] };
          break;
        case 5: {
          const d = state.devices.get(world.vaults[a.user]!.deviceId);
          if (d !== undefined) body = { type: "revoke-device", device: d.keys.sign, cutoff: 0, rekeys: [] };
          break;
        }
        case 6: {
          const who = ed25519KeyPair();
          body = { type: "add-member", user: who.publicKey, userName: "mallory", role: a.role, device: certifyDevice(who, ed25519KeyPair().publicKey, x25519KeyPair().publicKey), grants: [] };
          break;
        }
        default:
          if (target !== undefined) body = { type: "set-role", user: target, role: a.role, cutoffs: [], rekeys: [] };
      }
      if (body === undefined) return;
      const entry = evil.entry(body, a.old === undefined ? {} : { parents: old(a.old) });
      send(world, evil, { entries: [entry] }, a.direct);
      return;
    }
    case "h-old-heads": {
      // I4 #3: a changeset naming a team state from before its author lost a right.
      // Only heads its own vault knows: otherwise its own copy would wait for them and hold the
      // device's next seq, and its next honest write would collide with it.
      const id = COLLECTIONS[a.coll]!;
      const known = world.history.filter((h) => x.stateAt(h) !== undefined);
      const cs = evil.changeset({ collection: id, ops: [{ record: "r1", value: "old heads" }], heads: known[a.old % known.length]!, key: keyFor(x, id) });
      selfImport(evil, cs);
      send(world, evil, { changesets: [cs] }, a.direct);
      return;
    }
    case "h-future": {
      // I5 #5: dated a day and an hour ahead (applies after a leap), in year 10889, or ops stamped past their changeset.
      const id = COLLECTIONS[a.coll]!;
      const now = x.now();
      const ahead = a.variant === 0 ? now + DEFAULT_MAX_SKEW_MS + 3_600_000 : Date.UTC(10889, 0, 1);
      const cs =
        a.variant === 2
          ? evil.changeset({ collection: id, ops: [{ record: "r2", value: "stamped late", wall: now + 23 * 3_600_000 }], time: now - 2 * 3_600_000, key: keyFor(x, id) })
          : evil.changeset({ collection: id, ops: [{ record: "r2", value: "from the future", wall: ahead }], time: ahead, key: keyFor(x, id) });
      // A changeset waiting for the clock keeps the forger's own next seq busy: its next honest
      // changeset then equivocates with it, which the other invariants must survive too.
      if (a.variant === 2) selfImport(evil, cs);
      send(world, evil, { changesets: [cs] }, a.v);
      return;
    }
    case "h-equivocate": {
      // I6 #6: two versions of one changeset, each to a different peer.
      const id = COLLECTIONS[a.coll]!;
      const key = keyFor(x, id);
      const one = evil.changeset({ collection: id, ops: [{ record: "r3", value: "to p" }], key });
      const first = decodeChangeset(one, { verify: false });
      const two = evil.changeset({ collection: id, ops: [{ record: "r3", value: "to q" }], key, seq: first.seq, prev: first.prev });
      selfImport(evil, one);
      const b1 = evil.bundle({ changesets: [one] });
      const b2 = evil.bundle({ changesets: [two] });
      world.pool.push(b1, b2);
      if (a.p !== a.v) deliver(world.vaults[a.p]!, [b1]);
      if (a.q !== a.v) deliver(world.vaults[a.q]!, [b2]);
      return;
    }
    case "h-welcome": {
      // I7 #8: a welcome carrying a transport key of the sender's choosing.
      const target = world.vaults[a.to]!;
      if (target === x) return;
      const keys = { sign: target.deviceKey.publicKey, enc: target.encryptionKey.publicKey, cert: new Uint8Array(64) };
      const bundle = evil.welcome({ keys });
      const admitted = state.order.some((h) => {
        const b = x.entries().get(h)?.body;
        return (b?.type === "add-member" || b?.type === "add-device") && hex(b.device.sign) === target.deviceId && hex(x.entries().get(h)!.author) === x.deviceId;
      });
      if (admitted || (me.device.active && me.user.active && atLeast(me.user.role, "admin"))) world.tainted.add(a.to);
      world.pool.push(bundle);
      deliver(target, [bundle]);
      return;
    }
    case "h-write": {
      // A write beyond the author's rights (a viewer's, a removed member's, an admin-only collection).
      const id = COLLECTIONS[a.coll]!;
      const cs = evil.changeset({ collection: id, ops: [{ record: "r1", field: "body", value: "beyond rights" }], key: keyFor(x, id) });
      selfImport(evil, cs);
      send(world, evil, { changesets: [cs] }, a.direct);
      return;
    }
  }
}

/** What must be equal on every vault that folded the same log (team part of the state). */
function teamView(state: TeamState): string {
  const sorted = <T>(xs: Iterable<T>, key: (x: T) => string): T[] => [...xs].sort((p, q) => (key(p) < key(q) ? -1 : 1));
  return JSON.stringify({
    order: state.order,
    waiting: [...state.waiting].sort(),
    rejected: sorted(state.rejected, ([h]) => h),
    invalidGrants: state.invalidGrants,
    users: sorted(state.users.values(), (u) => u.id),
    devices: sorted(state.devices.values(), (d) => d.id).map((d) => [d.id, d.user, d.active, d.cutoff ?? -1, d.losses]),
    collections: sorted(state.collections.values(), (c) => c.id).map((c) => [c.id, c.read, c.write, c.keys, sorted(c.holders, ([k]) => k).map(([k, ds]) => [k, [...ds].sort()])]),
    approvals: [state.approvalsSet, state.approvalsRequired, [...state.proposals.keys()].sort()],
  });
}

function exportAll(world: World): void {
  for (const from of world.vaults) {
    if (from.teamId === undefined) continue;
    const bundles = attempt(() => exportBundles(from)) ?? ([] as ExportedBundle[]);
    for (const to of world.vaults) if (to !== from) deliver(to, bundles.map((b) => b.bytes));
  }
}

/** Everything an exchange can change: log, changesets by status, forks, keys held. */
function fingerprint(world: World): string {
  return world.vaults
    .map((x) => {
      if (x.teamId === undefined) return "-";
      const db = x.store.connection();
      const q = (sql: string): unknown => db.prepare(sql).all();
      return JSON.stringify([x.entries().size, q("SELECT status, count(*) AS n FROM changesets GROUP BY status ORDER BY status"), q("SELECT count(*) FROM forks"), q("SELECT count(*) FROM collection_keys")]);
    })
    .join("|");
}

/** Full exchange until a round changes nothing (quiescence): every heal has been sent and answered. */
function settle(world: World): void {
  let before = fingerprint(world);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    exportAll(world);
    const after = fingerprint(world);
    if (after === before) return;
    before = after;
  }
  throw new Error(`no quiescence after ${MAX_ROUNDS} rounds of full exchange`);
}

/**
 * The team state the active vaults should all fold: the fold of every entry they hold between
 * them. Entries only a cut-off vault holds do not count: one waiting there for parents it never
 * got (a forged entry sent to it alone) is never forwarded, and nothing active depends on it.
 * Active is judged by that fold itself, so this iterates to a fixed point.
 */
function reference(world: World): TeamState {
  let holders = world.vaults.filter((x) => x.teamId !== undefined);
  for (let round = 0; ; round++) {
    const all = new Map<string, TeamEntry>();
    for (const x of holders) for (const [h, e] of x.entries()) all.set(h, e);
    const ref = foldTeam(world.vaults[0]!.teamId!, all);
    const active = activeVaults(world, ref).filter((x) => x.teamId !== undefined);
    if (active.map((x) => x.deviceId).join() === holders.map((x) => x.deviceId).join() || round === 4) return ref;
    holders = active;
  }
}

function activeVaults(world: World, ref: TeamState): Vault[] {
  return world.vaults.filter((x) => {
    const d = ref.devices.get(x.deviceId);
    return d !== undefined && d.active && ref.users.get(d.user)?.active === true;
  });
}

/** AIRLOCK_PROPERTY_DEBUG=1: on divergence, each reader's changesets of the collection and its keys. */
const DEBUG = process.env["AIRLOCK_PROPERTY_DEBUG"] === "1";

function explain(world: World, x: Vault, collection: string): string {
  const who = (device: string): string => {
    const i = world.vaults.findIndex((v) => v.deviceId === device);
    return i < 0 ? device.slice(0, 6) : `${i}:${VAULT_USER[i]}`;
  };
  const rows = x.store.connection().prepare("SELECT bytes, status, reason FROM changesets ORDER BY device, seq").all() as { bytes: Buffer; status: string; reason: string | null }[];
  const lines = rows.flatMap((r) => {
    const cs = decodeChangeset(new Uint8Array(r.bytes), { verify: false });
    const b = cs.batches.find((b) => b.collection === collection);
    return b === undefined ? [] : [`  ${who(hex(cs.device))}#${cs.seq} key ${hex(b.key).slice(0, 6)} ${r.status} ${r.reason ?? ""}`];
  });
  const keys = x.state().collections.get(collection)?.keys.map((k) => k.id.slice(0, 6)).join(",");
  return `vault ${who(x.deviceId)} writes ${collection} with ${x.currentKeyId(collection)?.slice(0, 6)}; fold keys ${keys}\n${lines.join("\n")}\n  records ${recordsView(x, collection)}`;
}

function recordsView(x: Vault, collection: string): string {
  return JSON.stringify(x.records(collection).map((r) => [r.id, r.fields, r.lists]));
}

/**
 * Convergence: the team part on every active vault; the records of each collection on every
 * active vault that reads it; stateDigest on active vaults that hold keys for exactly the
 * collections they read (a leaver keeps its old keys and old data, so its digest differs by design).
 */
function divergence(world: World, ref: TeamState): string[] {
  const problems: string[] = [];
  const active = activeVaults(world, ref);
  const want = teamView(ref);
  for (const x of active) {
    if (x.teamId === undefined) problems.push(`${x.deviceId.slice(0, 8)} never joined`);
    else if (teamView(x.state()) !== want) {
      problems.push(`${x.deviceId.slice(0, 8)} folds a different team state`);
      if (DEBUG) {
        const missing = ref.order.filter((h) => !x.entries().has(h));
        const holders = (h: string): string => world.vaults.flatMap((v, i) => (v.teamId !== undefined && v.entries().has(h) ? [i] : [])).join(",");
        console.log(`vault ${world.vaults.indexOf(x)} lacks ${missing.map((h) => `${h.slice(0, 6)} (${world.vaults.find((v) => v.teamId !== undefined && v.entries().has(h))?.entries().get(h)?.body.type}, held by ${holders(h)})`).join("; ")}`);
      }
    }
  }
  if (problems.length > 0) return problems;
  for (const c of ref.collections.values()) {
    const readers = active.filter((x) => isReader(ref, c, x.deviceId));
    const views = new Set(readers.map((x) => (x.currentKeyId(c.id) === undefined ? "no key" : recordsView(x, c.id))));
    if (views.size > 1) {
      problems.push(`readers of ${c.id} see different records (${views.size} versions)`);
      if (DEBUG) for (const x of readers) console.log(explain(world, x, c.id));
    }
  }
  const digests = new Map<string, Set<string>>();
  for (const x of active) {
    const held = [...ref.collections.values()].filter((c) => x.currentKeyId(c.id) !== undefined).map((c) => c.id);
    const reads = [...ref.collections.values()].filter((c) => isReader(ref, c, x.deviceId)).map((c) => c.id);
    if (held.join() !== reads.join()) continue;
    const set = digests.get(held.join()) ?? new Set<string>();
    set.add(stateDigest(x));
    digests.set(held.join(), set);
  }
  for (const [group, set] of digests) if (set.size > 1) problems.push(`stateDigest differs among vaults reading [${group}]`);
  return problems;
}

function checkInvariants(world: World, ref: TeamState): void {
  const active = activeVaults(world, ref);
  for (const x of active) {
    const db = x.store.connection();
    const name = x.deviceId.slice(0, 8);
    const state = x.state();
    // I1/I2 at quiescence: the key a reader writes with is held (per the fold's accepted grants)
    // only by readers. A leaver keeps its old keys (and would write with them if a policy let
    // non-readers write), so only readers' write keys are checked.
    for (const c of ref.collections.values()) {
      const key = x.currentKeyId(c.id);
      if (key === undefined || !isReader(ref, c, x.deviceId)) continue;
      for (const d of ref.collections.get(c.id)!.holders.get(key) ?? []) {
        expect(isReader(ref, c, d), `${name} writes ${c.id} with key ${key.slice(0, 8)}, which non-reader ${d.slice(0, 8)} holds`).toBe(true);
      }
    }
    // I3/I4/I6: every applied changeset is authorized again now (position joined with unseen losses, forks, heads).
    const rows = db.prepare("SELECT bytes FROM changesets WHERE status = 'applied' ORDER BY device, seq").all() as { bytes: Buffer }[];
    for (const r of rows) {
      const cs = decodeChangeset(new Uint8Array(r.bytes), { verify: false });
      expect(authorize(x, cs), `${name} applied changeset ${cs.seq} of ${hex(cs.device).slice(0, 8)}`).toBeUndefined();
    }
    // I5: nothing applied beyond the clock bound.
    checkClock(x);
    // Every refusal says why.
    for (const [h, why] of state.rejected) expect(why, `entry ${h.slice(0, 8)} rejected without a reason`).toMatch(/\S/);
    for (const g of state.invalidGrants) expect(g.reason, `grant of ${g.entry.slice(0, 8)} dropped without a reason`).toMatch(/\S/);
    for (const r of db.prepare("SELECT seq, status, reason FROM changesets WHERE status IN ('rejected', 'locked')").all() as { seq: number; status: string; reason: string | null }[]) {
      expect(r.reason ?? "", `${name}: a ${r.status} changeset ${r.seq} without a reason`).toMatch(/\S/);
    }
    for (const r of db.prepare("SELECT kind, reason FROM quarantine").all() as { kind: string; reason: string | null }[]) expect(r.reason ?? "", `${name}: quarantined ${r.kind} without a reason`).toMatch(/\S/);
    // Nothing waits that could go on: a changeset waits only for the clock, a missing predecessor or unknown team entries.
    const head = db.prepare("SELECT seq FROM device_heads WHERE device = ?");
    for (const r of db.prepare("SELECT device, seq, bytes, reason FROM changesets WHERE status = 'waiting'").all() as { device: Buffer; seq: number; bytes: Buffer; reason: string | null }[]) {
      const h = (head.get(r.device) as { seq: number } | undefined)?.seq ?? 0;
      const cs = decodeChangeset(new Uint8Array(r.bytes), { verify: false });
      const stuck = r.seq === h + 1 && r.reason !== FUTURE_REASON && x.stateAt(cs.heads) !== undefined;
      expect(stuck, `${name}: changeset ${r.seq} of ${r.device.toString("hex").slice(0, 8)} waits although it could be decided`).toBe(false);
    }
    // I8: each record the store keeps (folded step by step into its state) is the fold of all its stored ops.
    for (const c of ref.collections.values()) {
      const ops = db.prepare("SELECT record, field, kind, hlc, value FROM ops WHERE collection = ?").all(c.id) as (OpRow & { record: string })[];
      const byRecord = new Map<string, OpRow[]>();
      for (const o of ops) byRecord.set(o.record, [...(byRecord.get(o.record) ?? []), o]);
      const full = [...byRecord].flatMap(([id, rows]) => foldRecord(c.id, id, rows) ?? []);
      const plain = (v: RecordView): string => JSON.stringify([v.id, v.fields, v.lists, v.sets, v.authors, v.updated]);
      expect(new Set(x.records(c.id).map(plain)), `${name}: the records of ${c.id} differ from the full fold of its ops`).toEqual(new Set(full.map(plain)));
    }
    // I7: the transport key is the team's, unless a welcome the design trusts chose another. With
    // generations (docs/transport-key.md) the team's key is the newest generation in the fold, held
    // by active devices only: the reference is an active untainted vault, never vaults[0], which may
    // be a revoked device that rightly never got the newest generation (I12).
    const reference = active.find((v) => !world.tainted.has(world.vaults.indexOf(v)));
    if (!world.tainted.has(world.vaults.indexOf(x)) && reference !== undefined) {
      expect(hex(x.transportKey()!.exportKey()), `${name} holds another transport key`).toBe(hex(reference.transportKey()!.exportKey()));
      const newest = ref.transport.at(-1);
      if (newest !== undefined) expect(hex(transportKeyId(x.transportKey()!.exportKey())), `${name} does not seal with the newest generation`).toBe(newest.id);
    }
  }
  // I12: after quiescence no device that left holds the newest generation.
  const newest = ref.transport.at(-1);
  if (newest !== undefined) {
    for (const x of world.vaults) {
      if (active.includes(x) || x.teamId === undefined || !x.state().devices.has(x.deviceId)) continue;
      expect(currentTransport(x)?.id, `${x.deviceId.slice(0, 8)} left the team and holds the newest generation`).not.toBe(newest.id);
    }
  }
}

function stats(world: World, ref: TeamState, actions: readonly Action[]): Record<string, unknown> {
  const count = (sql: string): number => world.vaults.reduce((n, x) => n + (x.store.connection().prepare(sql).get() as { n: number }).n, 0);
  return {
    actions: actions.length,
    active: activeVaults(world, ref).length,
    entries: ref.order.length,
    rejectedEntries: ref.rejected.size,
    droppedGrants: ref.invalidGrants.length,
    proposals: ref.proposals.size,
    keys: [...ref.collections.values()].map((c) => `${c.id}:${c.keys.length}`).join(" "),
    applied: count("SELECT count(*) AS n FROM changesets WHERE status = 'applied'"),
    rejected: count("SELECT count(*) AS n FROM changesets WHERE status = 'rejected'"),
    locked: count("SELECT count(*) AS n FROM changesets WHERE status = 'locked'"),
    waiting: count("SELECT count(*) AS n FROM changesets WHERE status = 'waiting'"),
    forks: count("SELECT count(*) AS n FROM forks"),
    quarantined: count("SELECT count(*) AS n FROM quarantine"),
    tainted: world.tainted.size,
  };
}

async function play(config: Config, actions: readonly Action[]): Promise<void> {
  const { root, cleanup } = tempRoot("airlock-hostile-prop-");
  const clock = new TestClock();
  const vaults: Vault[] = [];
  try {
    for (const [i, user] of VAULT_USER.entries()) vaults.push(await newVault(root, `${i}-${user}`, clock));
    const [a, a2, d, b, c, v, n] = vaults as [Vault, Vault, Vault, Vault, Vault, Vault, Vault];
    a.init("Team", "alice");
    a.addDevice(a2.joinRequest("alice").bytes);
    a.addMember(d.joinRequest("dave").bytes, "admin");
    a.addMember(b.joinRequest("bob").bytes, "editor");
    a.addMember(c.joinRequest("carol").bytes, "editor");
    a.addMember(v.joinRequest("vera").bytes, "viewer");
    const request = n.joinRequest("nora").bytes;
    expect(parseJoinRequest(request).name).toBe("nora");
    if (config.secret) a.createCollection("secret", "Secret", "admin", "admin");
    if (config.k2) a.setApprovals(2);
    sync(a, a2, d, b, c, v);
    const world: World = { vaults, clock, pool: [], history: [], request, tainted: new Set() };
    pushHistory(world, a);
    for (const act of actions) {
      honestAction(world, act);
      if ("v" in act && act.t !== "export") pushHistory(world, vaults[act.v]!);
    }
    settle(world);
    let ref = reference(world);
    let problems = divergence(world, ref);
    if (problems.length > 0) {
      // Vaults that disagree must at least show the equivocation alert, and agree after one more exchange.
      const alerted = activeVaults(world, ref).some((x) => (x.store.connection().prepare("SELECT count(*) AS n FROM forks").get() as { n: number }).n > 0);
      expect(alerted, problems.join("; ")).toBe(true);
      exportAll(world);
      settle(world);
      ref = reference(world);
      problems = divergence(world, ref);
    }
    expect(problems, problems.join("; ")).toEqual([]);
    checkInvariants(world, ref);
    if (STATS) console.log(`hostile-convergence run: ${JSON.stringify(stats(world, ref, actions))}`);
  } finally {
    for (const x of vaults) x.close();
    cleanup();
  }
}

const config: fc.Arbitrary<Config> = fc.record({ k2: fc.boolean(), secret: fc.boolean() });

/**
 * AIRLOCK_PROPERTY_CASE=FILE replays one counterexample as fast-check printed it ([config, actions]),
 * AIRLOCK_PROPERTY_REPLAYS times (default 3: hash tie-breaks differ between replays).
 */
const CASE = process.env["AIRLOCK_PROPERTY_CASE"];

/** A counterexample as fast-check printed it (see the regression test that replays it). */
const REPAIR_HISTORY_CASE = String.raw`[{"k2":false,"secret":true},[{"t":"deliver","to":1,"pick":[6,1000]},{"t":"h-welcome","v":0,"to":2},{"t":"deliver","to":5,"pick":[]},{"t":"write","v":1,"coll":0,"kind":"set","record":1,"field":0,"value":"\\\""},{"t":"write","v":6,"coll":0,"kind":"set","record":0,"field":1,"value":"'"},{"t":"h-add-device","v":1,"coll":2,"direct":1},{"t":"h-grant","v":0,"coll":0,"variant":1,"direct":6},{"t":"tick","ms":7},{"t":"collection","v":2,"coll":0,"read":"owner","write":"viewer"},{"t":"policy","v":6,"coll":0,"read":"admin","write":"editor"},{"t":"export","v":0},{"t":"leap"},{"t":"h-old-heads","v":5,"coll":0,"old":35,"direct":1},{"t":"revoke","v":1,"device":2},{"t":"h-entry","v":4,"variant":2,"user":0,"coll":0,"role":"editor","k":1,"old":3,"direct":4},{"t":"h-welcome","v":3,"to":4},{"t":"remove","v":0,"user":1},{"t":"export","v":5},{"t":"admit","v":1,"role":"viewer"},{"t":"export","v":5},{"t":"tick","ms":2179}]]`;

describe("hostile convergence (docs/team-model.md, Invariants)", () => {
  // Registered only when a case is given: in `npm test` there is nothing to replay, and a test
  // that always skips there would be a skip the strict CI run refuses (docs/testing.md).
  if (CASE !== undefined) {
    it("replays one case", async () => {
      const [cfg, actions] = JSON.parse(readFileSync(CASE, "utf8").replaceAll("__proto__:null,", "")) as [Config, Action[]];
      for (let i = 0; i < (env("AIRLOCK_PROPERTY_REPLAYS") ?? 3); i++) await play(cfg, actions);
    }, 600_000);
  }

  /**
   * Found by the property (seed 1279990706, path 56; minimised by hand). Bob signs two versions
   * of his changeset 2: carol gets one, alice the other — before bob's changeset 1, so hers
   * waits. Alice then imports bob's export (changeset 1 and carol's version of 2): recordFork
   * refuses her stored version and stores the arriving one (carol's) as the proof, but it reads
   * bob's head from device_heads while importSync still holds head = 1 in memory, so it does not
   * move the head past the fork, and drain never does either (the row at seq 2 is 'rejected',
   * not 'waiting'). Alice's head for bob stays at 1; exportBundles skips a chain whose peer
   * acknowledged at or above the head (the ackIds comparison only runs for seq <= head), so her
   * version is never sent, and the proof she forwards is the version bob and carol already hold.
   * They apply it and show no alert; alice refuses it: different digests after any number of
   * exchanges (I6). The same happens when both versions reach alice before changeset 1. Fixed:
   * exports send both halves of every proof (the stored row at the fork's seq and `forks.other`).
   */
  it("I6 regression: an equivocation detected while the device's head lags behind the fork reaches every vault", async () => {
    const { root, cleanup } = tempRoot("airlock-hostile-prop-");
    const vaults: Vault[] = [];
    try {
      const clock = new TestClock();
      const a = await newVault(root, "a", clock);
      const b = await newVault(root, "b", clock);
      const c = await newVault(root, "c", clock);
      vaults.push(a, b, c);
      a.init("Team", "alice");
      a.addMember(b.joinRequest("bob").bytes, "editor");
      a.addMember(c.joinRequest("carol").bytes, "editor");
      sync(a, b, c);
      b.write("notes", [{ kind: "set", record: "n1", field: "title", value: "first" }]);
      const evil = new HostileMember(b);
      const toCarol = evil.changeset({ collection: "notes", ops: [{ record: "n2", value: "carol's version" }] });
      const first = decodeChangeset(toCarol, { verify: false });
      const toAlice = evil.changeset({ collection: "notes", ops: [{ record: "n2", value: "alice's version" }], seq: first.seq, prev: first.prev });
      selfImport(evil, toCarol);
      importInto(c, [evil.bundle({ changesets: [toCarol] })]);
      importInto(a, [evil.bundle({ changesets: [toAlice] })]);
      for (let round = 0; round < 3; round++) {
        for (const from of vaults) {
          const bundles = exportBundles(from);
          for (const to of vaults) if (to !== from) importInto(to, bundles);
        }
      }
      expect(a.forkSeq(b.deviceId)).toBe(2);
      expect(vaults.map((x) => x.forkSeq(b.deviceId))).toEqual([2, 2, 2]);
      expect(new Set(vaults.map((x) => stateDigest(x))).size).toBe(1);
    } finally {
      for (const x of vaults) x.close();
      cleanup();
    }
  });

  /**
   * Found by the property (seed 20261206, path 40; minimised by removing actions while it still
   * failed). All honest: alice's second laptop raises notes to read editor, write admin, sealing a
   * fresh key to the readers it knows — dave, an admin, among them — and writes a note with it;
   * meanwhile alice's first laptop demotes dave to viewer. The fold applies the demotion first
   * (set-role before set-policy among concurrent entries), so when it judges the policy change's
   * grant, dave no longer reads notes: grantProblem drops the whole grant ("seals keys of notes to
   * a device that may not read it"), the key is not in the fold's keys, and keyById refuses it.
   * Every other vault locks the laptop's changeset for good ("no key ... (yet)"); the laptop
   * itself applied it when it wrote it, and nothing re-judges an applied changeset whose key the
   * fold stopped listing (revalidate re-judges losses, cutoff refusals and locked rows only). The
   * readers disagree forever and no alert is shown. The heal then rotates notes (vera and dave
   * hold the old key), so later writes converge, but this write is lost to everyone else.
   * Possible fixes: judge a grant's recipients at the entry's own causal position (what its
   * author could know) or accept it for the recipients that still read and record the others as
   * holders so the heal rotates; and in any case re-judge applied changesets whose batch keys the
   * fold no longer lists. Fixed: a recipient that could read at the entry's own causal position
   * does not drop the grant (team/state.ts readerAtAuthorsPosition); the repair rotates the key
   * away from it.
   */
  it("regression: a rotation racing a demotion of one of its recipients keeps its author's writes readable to every reader", async () => {
    const { root, cleanup } = tempRoot("airlock-hostile-prop-");
    const vaults: Vault[] = [];
    try {
      const clock = new TestClock();
      const a = await newVault(root, "a", clock);
      const a2 = await newVault(root, "a2", clock);
      const d = await newVault(root, "d", clock);
      vaults.push(a, a2, d);
      a.init("Team", "alice");
      a.addDevice(a2.joinRequest("alice").bytes);
      a.addMember(d.joinRequest("dave").bytes, "admin");
      sync(a, a2, d);
      a2.setPolicy("notes", "editor", "admin");
      a.setRole("dave", "viewer");
      clock.tick();
      a2.write("notes", [{ kind: "set", record: "n1", field: "title", value: "written with the new key" }]);
      for (let round = 0; round < 3; round++) {
        for (const from of vaults) {
          const bundles = exportBundles(from);
          for (const to of vaults) if (to !== from) importInto(to, bundles);
        }
      }
      expect(teamView(a.state())).toBe(teamView(a2.state()));
      // The rotation's grant stands (its demoted recipient could read where the author stood), so
      // the write under it is readable everywhere; the repair then rotates away from that device.
      expect(a.state().invalidGrants).toEqual([]);
      expect(recordsView(a, "notes")).toBe(recordsView(a2, "notes"));
    } finally {
      for (const x of vaults) x.close();
      cleanup();
    }
  });

  /**
   * Found by the property (seed 7003, path 140; its two forged changesets used the vault's own
   * current key, and an honest write does the same). All honest: dave, an admin, removes bob,
   * which rotates notes to a fresh key K, and writes a note with K; meanwhile alice demotes dave
   * to editor. Every fold refuses dave's removal (made without knowing the concurrent loss of his
   * admin right), so K is never introduced: other vaults lock dave's note for good ("no key ...
   * (yet)"), while dave's vault applied it when he wrote it and nothing re-judges an applied
   * changeset whose batch key the fold stopped listing (revalidate re-judges losses, cutoff
   * refusals and locked rows only). Readers disagree forever, with no alert. A fix: after the log
   * changes, re-judge applied changesets whose keys the fold no longer lists for their
   * collection (they become locked like everywhere else; the note is lost either way, as K was
   * only ever sealed in a refused entry). Fixed that way in vault/sync.ts revalidate.
   */
  /**
   * Found by the property (seed 1423037859, path 2). Nora becomes a reader of notes while no
   * admin could grant her its history (her admission and a policy change raced a rotation); the
   * key repair then shared only the current key, so the note written under the older one stayed
   * locked on her vault alone. The repair now gives what an admission gives: the keys since the
   * last compaction.
   */
  it("regression: a reader the key repair catches up also gets the older keys other readers hold", async () => {
    const [cfg, actions] = JSON.parse(REPAIR_HISTORY_CASE) as [Config, Action[]];
    await play(cfg, actions);
  }, 120_000);

  it("regression: a write under a key whose rotating entry the fold later refuses is withdrawn on its author's vault too", async () => {
    const { root, cleanup } = tempRoot("airlock-hostile-prop-");
    const vaults: Vault[] = [];
    try {
      const clock = new TestClock();
      const a = await newVault(root, "a", clock);
      const d = await newVault(root, "d", clock);
      const b = await newVault(root, "b", clock);
      vaults.push(a, d, b);
      a.init("Team", "alice");
      a.addMember(d.joinRequest("dave").bytes, "admin");
      a.addMember(b.joinRequest("bob").bytes, "editor");
      sync(a, d, b);
      d.removeMember("bob");
      a.setRole("dave", "editor");
      clock.tick();
      d.write("notes", [{ kind: "set", record: "n1", field: "title", value: "under the removal's key" }]);
      for (let round = 0; round < 3; round++) {
        for (const from of vaults) {
          const bundles = attempt(() => exportBundles(from)) ?? [];
          for (const to of vaults) if (to !== from) importInto(to, bundles.map((x) => x.bytes));
        }
      }
      expect(teamView(a.state())).toBe(teamView(d.state()));
      expect(a.state().users.get(b.me().user.id)?.active).toBe(true);
      expect(recordsView(a, "notes")).toBe(recordsView(d, "notes"));
    } finally {
      for (const x of vaults) x.close();
      cleanup();
    }
  });

  // Replaying one case (above) stands in for the random run.
  if (CASE === undefined) {
    it(
      `honest and hostile members of every role, lossy delivery: active vaults agree and every invariant holds (seed ${SEED})`,
      async () => {
        await fc.assert(
          fc.asyncProperty(config, fc.array(action, { minLength: 8, maxLength: MAX_ACTIONS, size: "max" }), play),
          { numRuns: RUNS, seed: SEED, ...(PATH === undefined ? {} : { path: PATH }), endOnFailure: !SHRINK, verbose: 1 },
        );
      },
      60_000 + RUNS * 45_000,
    );
  }
});
