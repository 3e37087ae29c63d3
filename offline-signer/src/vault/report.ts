/**
 * What `airlock status`, `airlock log` and the convergence tests read: a summary of the team
 * and sync state, the audit trail from the verified log, and a digest of the visible state.
 */
import { createHash } from "node:crypto";
import { quoted } from "@airlock/shared";
import { restoreAlert } from "./backup-status.js";
import { encodeValue, type Value } from "../records/values.js";
import { decodeChangeset } from "../sync/changeset.js";
import type { EntryBody, Role } from "../team/entry.js";
import { readerDevices, type TeamState } from "../team/state.js";
import { hex } from "./hex.js";
import { entriesToSend } from "./log-acks.js";
import { peerAcks, welcomeRank } from "./sync.js";
import { FUTURE_REASON, NEWER_REASON, SNAPSHOT_PENDING_REASON } from "./judge.js";
import type { Vault } from "./vault.js";

export interface PendingApproval {
  readonly id: string;
  readonly type: string;
  /** In words, as the audit log says it: `removed "bob" and rotated 2 collection key(s)`. */
  readonly what: string;
  readonly proposer: string;
  readonly approvals: number;
  readonly required: number;
  /** Whether this vault's user already approved (or proposed) it. */
  readonly approvedByMe: boolean;
}

export interface PeerSync {
  readonly device: string;
  readonly name: string | undefined;
  readonly lastHeard: number | undefined;
  readonly unacknowledged: { readonly changesets: number; readonly entries: number };
}

export interface VaultStatus {
  readonly team: { readonly id: string; readonly name: string } | undefined;
  readonly me: { readonly name: string | undefined; readonly device: string; readonly role: Role | undefined; readonly active: boolean };
  readonly members: readonly { id: string; name: string; role: Role; active: boolean; devices: number }[];
  readonly collections: readonly { id: string; name: string; read: Role; write: Role; canRead: boolean; records: number }[];
  readonly changesets: Record<"applied" | "locked" | "rejected" | "waiting", number>;
  readonly quarantine: readonly { kind: string; author: string | undefined; reason: string; received: number }[];
  readonly rejectedEntries: readonly { entry: string; reason: string }[];
  /** Critical changes waiting for admin approvals, with what they do and who proposed them. */
  readonly pendingApprovals: readonly PendingApproval[];
  /**
   * Every other active device: when this vault last imported a bundle from it, and what it has
   * not acknowledged yet (changesets this vault holds, team entries): zero and zero means up to date.
   */
  readonly peers: readonly PeerSync[];
  /**
   * What needs a person (docs/team-model.md, Invariants): devices caught equivocating, key grants
   * the team log dropped, changesets waiting because they are dated ahead of this vault's clock.
   */
  readonly alerts: readonly string[];
  readonly insecureKdf: boolean;
}

export function vaultStatus(vault: Vault): VaultStatus {
  const { changesets, quarantine: quarantined, opCounts } = vault.storage;
  const counts = changesets.countByStatus();
  const quarantine = quarantined.latest(100).map((q) => ({ kind: q.kind, author: q.author === null ? undefined : hex(q.author), reason: q.reason, received: q.received }));
  const rejectedChangesets = changesets.latestRejected(100).map((r) => ({ kind: `changeset ${r.seq}`, author: hex(r.device), reason: r.reason, received: r.received }));
  if (vault.teamId === undefined) {
    return {
      team: undefined,
      me: { name: vault.myName, device: vault.deviceId, role: undefined, active: false },
      members: [],
      collections: [],
      changesets: counts,
      quarantine,
      rejectedEntries: [],
      pendingApprovals: [],
      peers: [],
      alerts: [],
      insecureKdf: vault.store.insecureKdf,
    };
  }
  const state = vault.state();
  const meDevice = state.devices.get(vault.deviceId);
  const meUser = meDevice === undefined ? undefined : state.users.get(meDevice.user);
  const peers = peerSync(vault, state);
  return {
    team: { id: state.teamHex, name: state.name },
    me: { name: meUser?.name ?? vault.myName, device: vault.deviceId, role: meUser?.role, active: meDevice?.active === true && meUser?.active === true },
    members: [...state.users.values()].map((u) => ({
      id: u.id,
      name: u.name,
      role: u.role,
      active: u.active,
      devices: [...state.devices.values()].filter((d) => d.user === u.id && d.active).length,
    })),
    collections: [...state.collections.values()].map((c) =>
      withRecordCount(
        {
          id: c.id,
          name: c.name,
          read: c.read,
          write: c.write,
          canRead: vault.currentKeyId(c.id) !== undefined && readerDevices(state, c.id).some((d) => d.id === vault.deviceId),
        },
        () => opCounts.recordsIn(c.id),
      ),
    ),
    changesets: counts,
    quarantine: [...quarantine, ...rejectedChangesets].sort((x, y) => y.received - x.received),
    rejectedEntries: [...state.rejected].map(([entry, reason]) => ({ entry, reason })),
    pendingApprovals: pendingApprovals(state, meUser?.id),
    peers,
    alerts: alerts(vault, state),
    insecureKdf: vault.store.insecureKdf,
  };
}

/**
 * Adds `records`, counted the first time it is read: counting walks every op of the collection
 * (about 10 ms at 100,000 records), and the TUI's header and home screen, drawn on every start,
 * never show it. Enumerable, so JSON and spreads still carry it.
 */
function withRecordCount<T extends object>(o: T, count: () => number): T & { readonly records: number } {
  let n: number | undefined;
  return Object.defineProperty(o, "records", { enumerable: true, get: () => (n ??= count()) }) as T & { readonly records: number };
}

function alerts(vault: Vault, state: TeamState): string[] {
  const { changesets, forks } = vault.storage;
  const who = (device: string): string => {
    const d = state.devices.get(device);
    const name = d === undefined ? undefined : state.users.get(d.user)?.name;
    return `${name ?? "an unknown member"}'s device ${device.slice(0, 12)}`;
  };
  const out: string[] = [];
  for (const f of forks.bySeq()) {
    out.push(`${who(hex(f.device))} signed two different changesets ${f.seq} (equivocation): its changes from there on are refused on every vault; revoke it`);
  }
  for (const g of state.invalidGrants.slice(-20)) {
    const author = vault.entries().get(g.entry)?.author;
    out.push(`${author === undefined ? "an entry" : who(hex(author))} tried to hand out keys of "${g.collection}" (dropped: ${g.reason})`);
  }
  const sender = vault.welcomeSender();
  if (sender !== undefined && welcomeRank(state, vault.entries(), vault.deviceId, sender) === 0) {
    out.push(`this vault's transport key came from ${who(sender)}, which neither admitted it nor is an active admin any more: ask an admin for a welcome (airlock export --welcome NAME)`);
  }
  for (const r of changesets.countByDevice("waiting", FUTURE_REASON)) out.push(`${r.n} changeset(s) from ${who(hex(r.device))} are dated more than 24 h ahead of this vault's clock: they wait until it gets there (check both clocks)`);
  const newer = changesets.countWithReasonPrefix("locked", NEWER_REASON);
  if (newer > 0) out.push(`${newer} changeset(s) were written by a newer release of Airlock: they are kept and forwarded, and apply here after you upgrade (docs/operations.md)`);
  const pendingSnapshots = changesets.countWithReason("locked", SNAPSHOT_PENDING_REASON);
  if (pendingSnapshots > 0) out.push(`${pendingSnapshots} compaction snapshot(s) wait for changesets they claim to restate; if this lasts after everyone exported, the compaction names history nobody has: check with the other admins`);
  for (const r of changesets.countByDeviceLike("rejected", "%forged or faulty compaction%")) {
    out.push(`${who(hex(r.device))} published a compaction snapshot that does not match this vault's history: it was refused; check with the other admins (docs/decisions.md #30)`);
  }
  const restored = restoreAlert(vault);
  if (restored !== undefined) out.push(restored);
  return out;
}

export function pendingApprovals(state: TeamState, me: string | undefined): PendingApproval[] {
  return [...state.proposals].map(([id, p]) => {
    const author = state.devices.get(hex(p.entry.author));
    return {
      id,
      type: p.entry.body.type,
      what: describeBody(state, p.entry.body),
      proposer: (author === undefined ? undefined : state.users.get(author.user)?.name) ?? hex(p.entry.author).slice(0, 8),
      approvals: p.approvers.size,
      required: state.approvalsRequired,
      approvedByMe: me !== undefined && p.approvers.has(me),
    };
  });
}

/** What each other active device has acknowledged of what this vault holds (see PeerSync). */
function peerSync(vault: Vault, state: TeamState): PeerSync[] {
  const heard = new Map(vault.storage.acks.lastHeard().map((r) => [hex(r.peer), r.heard]));
  const heads = vault.storage.heads.all().map((h) => ({ device: hex(h.device), seq: h.seq }));
  const acks = peerAcks(vault);
  return [...state.devices.values()]
    .filter((d) => d.active && d.id !== vault.deviceId)
    .map((d) => {
      let changesets = 0;
      for (const h of heads) {
        // Its own chain it has by definition; chains of keys that were never team devices are not forwarded.
        if (h.device === d.id || !state.devices.has(h.device)) continue;
        const ack = acks.get(d.id)?.get(h.device) ?? 0;
        changesets += Math.max(0, h.seq - ack);
      }
      const entries = entriesToSend(vault, state, [d.id]).length;
      return { device: d.id, name: state.users.get(d.user)?.name, lastHeard: heard.get(d.id), unacknowledged: { changesets, entries } };
    });
}

export interface LogEvent {
  readonly time: number;
  readonly kind: "team" | "changeset";
  readonly id: string;
  readonly author: string;
  readonly device: string;
  readonly what: string;
  readonly status: "accepted" | "pending" | "rejected" | "locked" | "waiting";
  readonly reason: string | undefined;
  /**
   * For a changeset this vault applied: the records it wrote (at most LOG_RECORDS_NAMED), each with
   * its title where this user may read the collection now and the record is still there.
   */
  readonly records?: readonly LoggedRecord[];
}

export interface LoggedRecord {
  readonly collection: string;
  readonly id: string;
  readonly title: string | undefined;
  /** The changeset deleted it. */
  readonly deleted: boolean;
}

/** Records named per changeset in the audit log; the rest are counted. */
export const LOG_RECORDS_NAMED = 5;

/**
 * An entry in words. Names are quoted (and escaped): this is what an admin reads before approving
 * a critical change, and a name like `bob as viewer` must not be able to reword the sentence.
 */
function describeBody(state: TeamState, b: EntryBody): string {
  const who = (id: Uint8Array): string => {
    const name = state.users.get(hex(id))?.name;
    return name === undefined ? hex(id).slice(0, 8) : quoted(name);
  };
  switch (b.type) {
    case "genesis":
      return `created team ${quoted(b.name)} with owner ${quoted(b.userName)}`;
    case "add-member":
      return `added ${quoted(b.userName)} as ${b.role}`;
    case "add-device":
      return b.recovery === undefined ? `added a device (${hex(b.device.sign).slice(0, 8)}) for ${who(b.user)}` : `recovered ${who(b.user)} on a new device (${hex(b.device.sign).slice(0, 8)}) with their recovery shares`;
    case "revoke-device":
      return `revoked device ${hex(b.device).slice(0, 8)}${b.rekeys.length > 0 ? ` and rotated ${b.rekeys.length} collection key(s)` : ""}`;
    case "remove-member":
      return `removed ${who(b.user)}${b.rekeys.length > 0 ? ` and rotated ${b.rekeys.length} collection key(s)` : ""}`;
    case "set-role":
      return `made ${who(b.user)} ${b.role}`;
    case "collection":
      return `created collection ${b.id} (read: ${b.read}+, write: ${b.write}+)`;
    case "set-policy":
      return `set collection ${b.collection} to read: ${b.read}+, write: ${b.write}+ (new key)`;
    case "compact":
      return `compacted the history of ${b.collection} (new key; later members receive only its current state)`;
    case "set-approvals":
      return `now requires ${b.k} admin approval(s) for critical changes`;
    case "approve":
      return `approved change ${hex(b.proposal).slice(0, 12)}`;
    case "transport-key": {
      const g = state.transport.findIndex((x) => x.id === hex(b.key)) + 1;
      return g > 0 ? `sealed transport key generation ${g} to ${b.to.length} device(s)` : `sealed a transport key to ${b.to.length} device(s)`;
    }
    case "courier":
      return `enrolled courier ${quoted(b.name)}`;
    case "revoke-courier":
      return `revoked courier ${quoted(state.couriers.get(hex(b.key))?.name ?? hex(b.key).slice(0, 8))}`;
    case "grant":
      return `granted keys for ${b.grants.map((g) => g.collection).join(", ")}`;
    case "recovery-set":
      return `set up recovery: any ${b.threshold} of ${b.shares.length} shares (${b.sealed.length} held by teammates)`;
    case "add-org":
      return `added organization ${quoted(b.name)} (seated by its first admin)`;
    case "remove-org":
      return `removed organization ${quoted(state.orgs?.[b.org] ?? `#${b.org}`)} and all its members${b.rekeys.length > 0 ? ` and rotated ${b.rekeys.length} collection key(s)` : ""}`;
  }
}

/** The audit trail: every team entry and changeset, oldest first, with who, what and the verdict. */
export function auditLog(vault: Vault, limit = 1000): LogEvent[] {
  const state = vault.requireTeam();
  const nameOf = (device: string): string => {
    const d = state.devices.get(device);
    return (d === undefined ? undefined : state.users.get(d.user)?.name) ?? `unknown ${device.slice(0, 8)}`;
  };
  const events: LogEvent[] = [];
  for (const h of state.order) {
    const e = vault.entries().get(h)!;
    const rejected = state.rejected.get(h);
    const status = rejected !== undefined ? "rejected" : state.proposals.has(h) ? "pending" : "accepted";
    const device = hex(e.author);
    events.push({ time: e.time, kind: "team", id: h, author: nameOf(device), device, what: describeBody(state, e.body), status, reason: rejected });
  }
  const { changesets, opCounts } = vault.storage;
  const readable = new Set(vault.readableCollections());
  const titleOf = (collection: string, id: string): string | undefined => {
    if (!readable.has(collection)) return undefined;
    const view = vault.record(collection, id);
    if (view === undefined) return undefined;
    try {
      return vault.appOf(collection)?.searchText(view).title.trim() || undefined;
    } catch {
      return undefined;
    }
  };
  for (const r of changesets.newest(limit)) {
    const cs = decodeChangeset(r.bytes, { verify: false });
    const device = hex(cs.device);
    const counts = opCounts.ofChangeset(r.id);
    const records: LoggedRecord[] = opCounts.recordsOf(r.id, LOG_RECORDS_NAMED + 1).map((x) => ({ collection: x.collection, id: x.record, title: x.deleted ? undefined : titleOf(x.collection, x.record), deleted: x.deleted }));
    const what =
      counts.length > 0
        ? counts.map((c) => describeChangeset(c, records.filter((x) => x.collection === c.collection))).join("; ")
        : `changes to ${cs.batches.map((b) => b.collection).join(", ") || "nothing"}`;
    events.push({
      time: cs.time,
      kind: "changeset",
      id: hex(cs.id),
      author: nameOf(device),
      device,
      what: `#${cs.seq}: ${what}`,
      status: r.status === "applied" ? "accepted" : (r.status as LogEvent["status"]),
      reason: r.reason ?? undefined,
      ...(records.length > 0 ? { records: records.slice(0, LOG_RECORDS_NAMED) } : {}),
    });
  }
  return events.sort((x, y) => x.time - y.time || (x.id < y.id ? -1 : 1)).slice(-limit);
}

/**
 * One collection's part of a changeset in words, naming its records: `notes: "Plan B", deleted
 * 3f2a9c01b7e4 (3 changes)`. Titles are quoted and escaped; a record whose title this user cannot
 * read (or that is gone) is named by its id.
 */
function describeChangeset(c: { collection: string; ops: number; records: number }, named: readonly LoggedRecord[]): string {
  const shown = named.slice(0, LOG_RECORDS_NAMED).map((x) => (x.deleted ? `deleted ${x.id.slice(0, 12)}` : x.title !== undefined ? quoted(x.title.length > 60 ? `${[...x.title].slice(0, 59).join("")}…` : x.title) : x.id.slice(0, 12)));
  const more = c.records - Math.min(named.length, LOG_RECORDS_NAMED);
  return `${c.collection}: ${shown.join(", ")}${more > 0 ? ` and ${more} more record(s)` : ""} (${c.ops} change(s))`;
}

/**
 * SHA-256 over the team state (members, roles, devices, collections and policies) and every
 * visible record of every collection this vault can read. Two vaults with the same accepted
 * entries and changesets, and the same read rights, have the same digest.
 */
export function stateDigest(vault: Vault): string {
  const state = vault.requireTeam();
  const h = createHash("sha256");
  const line = (...parts: (string | number | boolean)[]): void => {
    h.update(JSON.stringify(parts));
    h.update("\n");
  };
  line("team", state.teamHex, state.name, state.approvalsRequired);
  for (const u of [...state.users.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) line("user", u.id, u.name, u.role, u.active);
  for (const d of [...state.devices.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) line("device", d.id, d.user, d.active, d.cutoff ?? -1);
  for (const c of [...state.collections.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    line("collection", c.id, c.name, c.app, c.read, c.write);
    if (vault.currentKeyId(c.id) === undefined) continue;
    for (const r of vault.records(c.id)) {
      line("record", r.id);
      for (const f of Object.keys(r.fields).sort()) line("field", f, valueHex(r.fields[f]!));
      for (const l of Object.keys(r.lists).sort()) line("list", l, ...r.lists[l]!.map(valueHex));
      for (const l of Object.keys(r.sets).sort()) line("set", l, ...r.sets[l]!.map(valueHex));
    }
  }
  return h.digest("hex");
}

const valueHex = (v: Value): string => Buffer.from(encodeValue(v)).toString("hex");
