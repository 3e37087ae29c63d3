/**
 * The team state: a deterministic fold of the team log. Every vault holding the same entries
 * computes the same state, whatever order they arrived in. Rules: docs/team-model.md.
 *
 * Order: entries are applied in a topological order of the parent links (Kahn's algorithm);
 * among entries whose parents are all applied, removals and demotions go first, then the
 * smallest hash. Each entry is checked against the state produced by the entries before it;
 * an entry that fails is recorded as rejected (with its reason) and changes nothing.
 */
import { equalBytes } from "@airlock/bundle-format";
import { atLeast, verifyDeviceCert, type DeviceKeys, type EntryBody, type KeyGrant, type Role, type TeamEntry } from "./entry.js";

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

export interface UserState {
  readonly id: string;
  readonly name: string;
  role: Role;
  active: boolean;
}

export interface DeviceState {
  readonly id: string;
  readonly keys: DeviceKeys;
  readonly user: string;
  active: boolean;
  /** Highest changeset seq of this device still accepted, once it was revoked or its user removed. */
  cutoff: number | undefined;
}

export interface GrantRecord {
  readonly entry: string;
  readonly grant: KeyGrant;
}

export interface CollectionState {
  readonly id: string;
  readonly name: string;
  read: Role;
  write: Role;
  /** Every key grant for this collection, in log order; the last one names the current key. */
  readonly grants: GrantRecord[];
}

export interface Proposal {
  readonly entry: TeamEntry;
  readonly approvers: Set<string>;
}

export interface TeamState {
  readonly team: Uint8Array;
  readonly teamHex: string;
  name: string;
  readonly users: Map<string, UserState>;
  readonly devices: Map<string, DeviceState>;
  readonly collections: Map<string, CollectionState>;
  approvalsRequired: number;
  readonly proposals: Map<string, Proposal>;
  /** Hashes in application order (accepted and rejected). */
  readonly order: string[];
  readonly rejected: Map<string, string>;
  /** Entries not applied because a parent is missing. */
  readonly waiting: string[];
  /** Applied entries no other applied entry names as parent. */
  readonly heads: string[];
  /** Which entry made each change effective (an approval can make a proposal effective). */
  readonly effective: Map<string, string>;
}

/** Entries that take effect only with `approvalsRequired` admin approvals. */
export function isCritical(state: TeamState, b: EntryBody): boolean {
  switch (b.type) {
    case "add-member":
      return atLeast(b.role, "admin");
    case "remove-member":
    case "set-policy":
    case "set-approvals":
      return true;
    case "set-role": {
      const target = state.users.get(hex(b.user));
      return atLeast(b.role, "admin") || (target !== undefined && atLeast(target.role, "admin"));
    }
    default:
      return false;
  }
}

const FIRST = new Set(["revoke-device", "remove-member", "set-role"]);

/**
 * Folds `entries` (all entries known, keyed by hash hex) for team `teamHex`. With `within`, only
 * those entries count: the state at a causal position is the fold of that position's ancestors.
 */
export function foldTeam(teamHex: string, entries: ReadonlyMap<string, TeamEntry>, within?: ReadonlySet<string>): TeamState {
  const genesis = entries.get(teamHex);
  if (genesis === undefined || genesis.body.type !== "genesis") throw new RangeError("the team's genesis entry is missing");
  const state: TeamState = {
    team: genesis.hash,
    teamHex,
    name: genesis.body.name,
    users: new Map(),
    devices: new Map(),
    collections: new Map(),
    approvalsRequired: 1,
    proposals: new Map(),
    order: [],
    rejected: new Map(),
    waiting: [],
    heads: [],
    effective: new Map(),
  };
  const g = genesis.body;
  if (!equalBytes(genesis.author, g.device.sign) || !verifyDeviceCert(g.user, g.device)) {
    throw new RangeError("the genesis entry is not signed by the device it certifies");
  }
  const owner = hex(g.user);
  state.users.set(owner, { id: owner, name: g.userName, role: "owner", active: true });
  state.devices.set(hex(g.device.sign), { id: hex(g.device.sign), keys: g.device, user: owner, active: true, cutoff: undefined });
  state.order.push(teamHex);

  const member = (h: string): boolean => (within === undefined || within.has(h)) && entries.has(h);
  const children = new Map<string, string[]>();
  const missing = new Map<string, number>();
  const candidates: string[] = [];
  for (const [h, e] of entries) {
    if (h === teamHex || !member(h)) continue;
    if (e.team === undefined || hex(e.team) !== teamHex) {
      state.rejected.set(h, "belongs to another team");
      continue;
    }
    candidates.push(h);
    let count = 0;
    for (const p of e.parents) {
      const ph = hex(p);
      count++;
      const list = children.get(ph);
      if (list === undefined) children.set(ph, [h]);
      else list.push(h);
    }
    missing.set(h, count);
  }
  const ready: string[] = [];
  const release = (h: string): void => {
    for (const c of children.get(h) ?? []) {
      const left = (missing.get(c) ?? 0) - 1;
      missing.set(c, left);
      if (left === 0) ready.push(c);
    }
  };
  release(teamHex);
  const rank = (h: string): string => `${FIRST.has(entries.get(h)!.body.type) ? "0" : "1"}${h}`;
  while (ready.length > 0) {
    ready.sort((a, b) => (rank(a) < rank(b) ? 1 : -1)); // smallest last, popped first
    const h = ready.pop()!;
    const e = entries.get(h)!;
    const reason = applyEntry(state, e);
    if (reason !== undefined) state.rejected.set(h, reason);
    state.order.push(h);
    release(h);
  }
  const applied = new Set(state.order);
  for (const h of candidates) if (!applied.has(h)) state.waiting.push(h);
  const hasChild = new Set<string>();
  for (const h of state.order) for (const p of entries.get(h)?.parents ?? []) hasChild.add(hex(p));
  for (const h of state.order) if (!hasChild.has(h)) state.heads.push(h);
  state.heads.sort();
  return state;
}

function actorOf(state: TeamState, e: TeamEntry): { user: UserState; device: DeviceState } | string {
  const device = state.devices.get(hex(e.author));
  if (device === undefined) return "signed by a key that is not a device of this team";
  if (!device.active) return "signed by a revoked or removed device";
  const user = state.users.get(device.user);
  if (user === undefined || !user.active) return "signed by a device of a removed member";
  return { user, device };
}

/** Applies one entry; returns why it was rejected, or undefined. */
function applyEntry(state: TeamState, e: TeamEntry): string | undefined {
  const actor = actorOf(state, e);
  if (typeof actor === "string") return actor;
  const b = e.body;
  if (b.type === "genesis") return "a second genesis entry";
  if (b.type === "approve") {
    if (!atLeast(actor.user.role, "admin")) return "only admins approve changes";
    const p = state.proposals.get(hex(b.proposal));
    if (p === undefined) return "approves a change that is not pending";
    p.approvers.add(actor.user.id);
    if (p.approvers.size >= state.approvalsRequired) {
      state.proposals.delete(hex(b.proposal));
      const proposer = actorOf(state, p.entry);
      if (typeof proposer === "string") return `the approved change can no longer apply: its author was ${proposer.replace("signed by ", "")}`;
      const why = permitted(state, p.entry.body, proposer.user) ?? effect(state, p.entry);
      if (why !== undefined) {
        state.rejected.set(p.entry.hashHex, why);
        return undefined;
      }
      state.effective.set(p.entry.hashHex, e.hashHex);
    }
    return undefined;
  }
  const denied = permitted(state, b, actor.user);
  if (denied !== undefined) return denied;
  if (isCritical(state, b) && state.approvalsRequired > 1) {
    state.proposals.set(e.hashHex, { entry: e, approvers: new Set([actor.user.id]) });
    return undefined;
  }
  const why = effect(state, e);
  if (why === undefined) state.effective.set(e.hashHex, e.hashHex);
  return why;
}

/** Whether `actor` may make this change at all (before approvals). */
function permitted(state: TeamState, b: EntryBody, actor: UserState): string | undefined {
  const admin = atLeast(actor.role, "admin");
  switch (b.type) {
    case "add-device": {
      if (hex(b.user) !== actor.id && !admin) return "only the user or an admin adds a device";
      return undefined;
    }
    case "revoke-device": {
      const d = state.devices.get(hex(b.device));
      if (d !== undefined && d.user !== actor.id && !admin) return "only the device's user or an admin revokes a device";
      return undefined;
    }
    case "add-member":
    case "set-role":
      if (!admin) return `only admins ${b.type === "add-member" ? "add members" : "change roles"}`;
      if (b.role === "owner" && actor.role !== "owner") return "only an owner makes someone an owner";
      if (b.type === "set-role") {
        const t = state.users.get(hex(b.user));
        if (t !== undefined && t.role === "owner" && actor.role !== "owner") return "only an owner changes an owner's role";
      }
      return undefined;
    case "remove-member": {
      if (!admin) return "only admins remove members";
      const t = state.users.get(hex(b.user));
      if (t !== undefined && t.role === "owner" && actor.role !== "owner") return "only an owner removes an owner";
      return undefined;
    }
    default:
      return admin ? undefined : `only admins make ${b.type} changes`;
  }
}

function addGrants(state: TeamState, entry: string, grants: readonly KeyGrant[]): string | undefined {
  for (const g of grants) {
    const c = state.collections.get(g.collection);
    if (c === undefined) return `grants keys for unknown collection "${g.collection}"`;
    c.grants.push({ entry, grant: g });
  }
  return undefined;
}

function cut(device: DeviceState, seq: number): void {
  device.active = false;
  device.cutoff = device.cutoff === undefined ? seq : Math.min(device.cutoff, seq);
}

function activeOwners(state: TeamState): number {
  return [...state.users.values()].filter((u) => u.active && u.role === "owner").length;
}

/** The change itself; returns why it cannot apply. Mutates only when it returns undefined. */
function effect(state: TeamState, e: TeamEntry): string | undefined {
  const b = e.body;
  switch (b.type) {
    case "add-member": {
      const id = hex(b.user);
      const existing = state.users.get(id);
      if (existing?.active === true) return "that person is already a member";
      if (state.devices.has(hex(b.device.sign))) return "that device is already known";
      if (!verifyDeviceCert(b.user, b.device)) return "the device certificate does not verify";
      for (const g of b.grants) if (!state.collections.has(g.collection)) return `grants keys for unknown collection "${g.collection}"`;
      state.users.set(id, { id, name: b.userName, role: b.role, active: true });
      state.devices.set(hex(b.device.sign), { id: hex(b.device.sign), keys: b.device, user: id, active: true, cutoff: undefined });
      return addGrants(state, e.hashHex, b.grants);
    }
    case "add-device": {
      const user = state.users.get(hex(b.user));
      if (user === undefined || !user.active) return "adds a device to someone who is not a member";
      if (state.devices.has(hex(b.device.sign))) return "that device is already known";
      if (!verifyDeviceCert(b.user, b.device)) return "the device certificate does not verify";
      for (const g of b.grants) if (!state.collections.has(g.collection)) return `grants keys for unknown collection "${g.collection}"`;
      state.devices.set(hex(b.device.sign), { id: hex(b.device.sign), keys: b.device, user: user.id, active: true, cutoff: undefined });
      return addGrants(state, e.hashHex, b.grants);
    }
    case "revoke-device": {
      const d = state.devices.get(hex(b.device));
      if (d === undefined || !d.active) return "revokes a device that is not active";
      for (const g of b.rekeys) if (!state.collections.has(g.collection)) return `grants keys for unknown collection "${g.collection}"`;
      cut(d, b.cutoff);
      return addGrants(state, e.hashHex, b.rekeys);
    }
    case "remove-member": {
      const u = state.users.get(hex(b.user));
      if (u === undefined || !u.active) return "removes someone who is not a member";
      if (u.role === "owner" && activeOwners(state) === 1) return "would remove the last owner";
      for (const g of b.rekeys) if (!state.collections.has(g.collection)) return `grants keys for unknown collection "${g.collection}"`;
      u.active = false;
      for (const d of state.devices.values()) {
        if (d.user !== u.id) continue;
        const c = b.cutoffs.find((x) => hex(x.device) === d.id);
        cut(d, c?.seq ?? 0);
      }
      return addGrants(state, e.hashHex, b.rekeys);
    }
    case "set-role": {
      const u = state.users.get(hex(b.user));
      if (u === undefined || !u.active) return "changes the role of someone who is not a member";
      if (u.role === "owner" && b.role !== "owner" && activeOwners(state) === 1) return "would demote the last owner";
      for (const g of b.rekeys) if (!state.collections.has(g.collection)) return `grants keys for unknown collection "${g.collection}"`;
      u.role = b.role;
      return addGrants(state, e.hashHex, b.rekeys);
    }
    case "collection": {
      if (state.collections.has(b.id)) return `collection "${b.id}" already exists`;
      state.collections.set(b.id, { id: b.id, name: b.name, read: b.read, write: b.write, grants: [] });
      const why = addGrants(state, e.hashHex, b.grants);
      if (why !== undefined) state.collections.delete(b.id);
      return why;
    }
    case "set-policy": {
      const c = state.collections.get(b.collection);
      if (c === undefined) return `no collection "${b.collection}"`;
      for (const g of b.rekeys) if (g.collection !== b.collection && !state.collections.has(g.collection)) return "grants keys for an unknown collection";
      c.read = b.read;
      c.write = b.write;
      return addGrants(state, e.hashHex, b.rekeys);
    }
    case "set-approvals":
      if (b.k < 1) return "at least one approval is always required";
      state.approvalsRequired = b.k;
      return undefined;
    case "grant":
      for (const g of b.grants) if (!state.collections.has(g.collection)) return `grants keys for unknown collection "${g.collection}"`;
      return addGrants(state, e.hashHex, b.grants);
    case "genesis":
    case "approve":
      return "not an effect";
  }
}

/** Active devices whose user may read `collection` now. */
export function readerDevices(state: TeamState, collection: string): DeviceState[] {
  const c = state.collections.get(collection);
  if (c === undefined) return [];
  return [...state.devices.values()].filter((d) => {
    const u = state.users.get(d.user);
    return d.active && u !== undefined && u.active && atLeast(u.role, c.read);
  });
}

/** Whether `device` may write `collection` in `state` (active, and its user's role allows it). */
export function mayWrite(state: TeamState, deviceHex: string, collection: string): string | undefined {
  const d = state.devices.get(deviceHex);
  if (d === undefined) return "the author is not a device of this team";
  if (!d.active) return "the author device was revoked or its user removed";
  const u = state.users.get(d.user);
  if (u === undefined || !u.active) return "the author was removed from the team";
  const c = state.collections.get(collection);
  if (c === undefined) return `no collection "${collection}"`;
  if (!atLeast(u.role, c.write)) return `a ${u.role} may not write "${collection}" (needs ${c.write})`;
  return undefined;
}

/** All ancestors of `heads` (inclusive) among known entries. */
export function ancestors(entries: ReadonlyMap<string, TeamEntry>, heads: readonly string[]): Set<string> | undefined {
  const out = new Set<string>();
  const stack = [...heads];
  while (stack.length > 0) {
    const h = stack.pop()!;
    if (out.has(h)) continue;
    const e = entries.get(h);
    if (e === undefined) return undefined;
    out.add(h);
    for (const p of e.parents) stack.push(hex(p));
  }
  return out;
}
