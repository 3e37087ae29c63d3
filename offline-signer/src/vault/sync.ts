/**
 * The sync engine: turning received bundles into accepted team entries and changesets, and
 * writing the bundles peers are missing. Spec: docs/sync.md.
 *
 * Import is idempotent and order-free: a changeset is stored as `waiting` until its device's
 * previous changeset and the team entries it names are known, then judged (judge.ts) at its
 * causal position: applied, locked or rejected. Records and the search index are the record
 * store's (store/records.ts); this module never touches them.
 */
import {
  decodePayload,
  encodePayload,
  isBundleError,
  isFileBody,
  MAX_WANTS,
  openBundle,
  sealBundle,
  sha256,
  wipe,
  type DecodedPayload,
  type SyncPayload,
  type WelcomePayload,
} from "@airlock/bundle-format";
import { performance } from "node:perf_hooks";
import { decodeChangeset, verifyChangeset, type BatchContent, type Changeset } from "../sync/changeset.js";
import { decodeEntry, type TeamEntry } from "../team/entry.js";
import { atLeast } from "../team/entry.js";
import { foldTeam, type TeamState } from "../team/state.js";
import { Preparer, keySlot } from "./signature-pool.js";
import { vaultError } from "./errors.js";
import { hex, unhex } from "./hex.js";
import { entriesToSend, ownLogHeads, recordLogHeads } from "./log-acks.js";
import type { VaultContext } from "./context.js";
import { receiveFileBundle } from "../attachments/receive.js";
import { refreshEnrollments } from "./courier-enroll.js";
import { emptyReport, type ImportReport } from "./import-report.js";
import { aboveFork, drain, evaluate, record, observeNewest, storedChangeset, EQUIVOCATION_REASON, BROKEN_CHAIN } from "./judge.js";
export * from "./import-report.js";
export { CUTOFF_REASON, EQUIVOCATION_REASON, FUTURE_REASON, NEWER_REASON, authorize, decide, drain, recheckApplied, retryNewer, revalidate } from "./judge.js";

/** Per device, what may wait for a missing predecessor: beyond, changesets are dropped (and sent again later). */
export const MAX_WAITING_PER_DEVICE = 4096;
export const MAX_WAITING_BYTES_PER_DEVICE = 64 * 1024 * 1024;
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
/** Changesets per sync bundle body, so a QR transfer of an incremental export stays short. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Limits of one import. Production always takes the defaults; tests pass small bounds so the
 * waiting room's edge is reached with a handful of real changesets instead of 4,097.
 */
export interface ImportOptions {
  /** Per device, changesets that may wait for a missing predecessor (default MAX_WAITING_PER_DEVICE). */
  readonly maxWaitingPerDevice?: number;
  /** Per device, their bytes (default MAX_WAITING_BYTES_PER_DEVICE). */
  readonly maxWaitingBytesPerDevice?: number;
}
export interface OpenedPayload {
  readonly source: string;
  readonly sender: Uint8Array;
  readonly payload: DecodedPayload;
}

/** Opens one bundle for this vault; undefined (and counted) when it is not addressed to us or is bad. */
export function openForVault(vault: VaultContext, bytes: Uint8Array, source: string, report: ImportReport): OpenedPayload | undefined {
  const t0 = performance.now();
  try {
    const opened = openBundle(bytes, { recipient: vault.encryptionKey, maxLength: MAX_BUNDLE_BYTES });
    try {
      // An attached file travels as a bundle of its own (docs/attachments.md), not as a payload.
      if (isFileBody(opened.body)) {
        report.bundles++;
        receiveFileBundle(vault, bytes, opened, source, report);
        return undefined;
      }
      return { source, sender: opened.sender, payload: decodePayload(opened.body) };
    } finally {
      wipe(opened.body);
      report.timings.open += performance.now() - t0;
    }
  } catch (e) {
    if (isBundleError(e) && e.code === "BUNDLE_NOT_FOR_ME") {
      report.notForMe++;
      return undefined;
    }
    const code = (e as { code?: string }).code ?? "IMPORT_FAILED";
    report.issues.push({ source, code, reason: (e as Error).message });
    return undefined;
  }
}

export interface BundleBytes {
  readonly bytes: Uint8Array;
  /** Where it came from, for issues in the report. */
  readonly source: string;
}

function openAll(vault: VaultContext, bundles: readonly BundleBytes[], report: ImportReport): OpenedPayload[] {
  const opened: OpenedPayload[] = [];
  for (const b of bundles) {
    const o = openForVault(vault, b.bytes, b.source, report);
    if (o !== undefined) opened.push(o);
  }
  return opened;
}

/** Opens and applies bundles already in memory, on this thread (the in-process API, tests). */
export function importBundles(vault: VaultContext, bundles: readonly BundleBytes[], options: ImportOptions = {}): ImportReport {
  const report = emptyReport();
  applyPayloads(vault, openAll(vault, bundles, report), report, options);
  return report;
}

/** The same on both cores, as `airlock import` does it (see applyPayloadsParallel). */
export async function importBundlesParallel(vault: VaultContext, bundles: readonly BundleBytes[], options: ImportOptions = {}): Promise<ImportReport> {
  const report = emptyReport();
  await applyPayloadsParallel(vault, openAll(vault, bundles, report), report, options);
  return report;
}

/** Applies opened payloads: welcomes first (they bootstrap the team), then syncs. Each in one transaction. */
export function applyPayloads(vault: VaultContext, opened: readonly OpenedPayload[], report: ImportReport, options: ImportOptions = {}): void {
  const order = [...opened].sort((a, b) => Number(b.payload.kind === "welcome") - Number(a.payload.kind === "welcome"));
  const t0 = performance.now();
  vault.withKeyCache(() => applyInOrder(vault, order, report, undefined, options));
  report.timings.apply += performance.now() - t0;
}

/**
 * The same, using both cores: each bundle's changesets are handed to a worker thread that checks
 * their signatures and opens their batches (signature-pool.ts) while this thread decodes them,
 * looks up the keys they name and then runs the transaction, which takes each changeset's result
 * as it reaches it. The transaction authorizes and writes exactly as applyPayloads does; a
 * changeset whose signature failed, or whose key arrives inside the same bundle, takes the
 * inline path there.
 */
export async function applyPayloadsParallel(vault: VaultContext, opened: readonly OpenedPayload[], report: ImportReport, options: ImportOptions = {}): Promise<void> {
  const order = [...opened].sort((a, b) => Number(b.payload.kind === "welcome") - Number(a.payload.kind === "welcome"));
  for (const o of order) {
    const sync = o.payload.kind === "sync" && vault.teamId !== undefined ? (o.payload as SyncPayload) : undefined;
    // Started before decoding, so the thread loads while this one works.
    const preparer = sync !== undefined ? Preparer.start(sync.changesets.length) : undefined;
    try {
      const prepared = sync !== undefined && preparer !== undefined ? prepare(vault, sync, report, preparer) : undefined;
      const t0 = performance.now();
      vault.withKeyCache(() => applyInOrder(vault, [o], report, prepared, options));
      report.timings.apply += performance.now() - t0;
      if (preparer !== undefined) {
        report.timings.decrypt += preparer.preparedMs;
        report.timings.verify += preparer.waitedMs;
      }
    } finally {
      preparer?.close(); // wipes the keys it was given and stops the worker, whatever happened
    }
  }
}

/** What the prepare phase learned about one changeset. */
interface Prepared {
  readonly cs: Changeset;
  readonly verified: boolean;
  /** Decrypted batches, when every key was already known. */
  readonly batches: readonly BatchContent[] | undefined;
}

/** Prepared changesets by their bytes' array; `get` may wait for the worker (or do the work itself). */
interface PreparedSet {
  get(bytes: Uint8Array): Prepared | undefined;
}

/**
 * Hands the bundle's changesets to `preparer`, then decodes them here and offers it the keys they
 * name (known before the transaction: one of this bundle's entries may bring another, and then
 * the inline path opens that batch).
 */
function prepare(vault: VaultContext, p: SyncPayload, report: ImportReport, preparer: Preparer): PreparedSet {
  const t0 = performance.now();
  preparer.begin(p.changesets);
  const decoded: (Changeset | undefined)[] = [];
  const index = new Map<Uint8Array, number>();
  const offered = new Set<string>();
  vault.withKeyCache(() => {
    for (const [i, bytes] of p.changesets.entries()) {
      index.set(bytes, i);
      let cs: Changeset;
      try {
        cs = decodeChangeset(bytes, { verify: false });
      } catch {
        decoded.push(undefined); // left to the transaction, which quarantines it with the reason
        preparer.skip(i);
        continue;
      }
      decoded.push(cs);
      for (const b of cs.batches) {
        const slot = keySlot(b.collection, b.key);
        if (offered.has(slot)) continue;
        offered.add(slot);
        const key = vault.keyById(b.key, b.collection);
        if (key !== undefined) preparer.offerKey(slot, key);
      }
      if ((i & 31) === 31) preparer.scanned(i + 1, decoded);
    }
  });
  preparer.scanned(p.changesets.length, decoded);
  report.timings.decode += performance.now() - t0;
  return {
    get(bytes: Uint8Array): Prepared | undefined {
      const i = index.get(bytes);
      const cs = i === undefined ? undefined : decoded[i];
      if (cs === undefined) return undefined;
      const r = preparer.take(i!);
      return r === undefined ? undefined : { cs, verified: r.verified, batches: r.batches };
    },
  };
}

const COUNTERS = ["notForMe", "entriesAdded", "entriesRejected", "changesetsNew", "duplicates", "quarantined", "applied", "locked", "rejected", "waiting"] as const;

function applyInOrder(vault: VaultContext, order: readonly OpenedPayload[], report: ImportReport, prepared: PreparedSet | undefined, options: ImportOptions): void {
  for (const o of order) {
    report.bundles++;
    // Counts made inside a transaction that rolls back are undone with it: the report says what is stored.
    const before = COUNTERS.map((k) => report[k]);
    const welcomed = report.welcomed;
    try {
      if (o.payload.kind === "welcome") vault.tx(() => importWelcome(vault, o.payload as WelcomePayload, o.sender, o.source, report));
      else if (o.payload.kind === "sync") vault.tx(() => importSync(vault, o.payload as SyncPayload, o.sender, o.source, report, prepared, options));
      else report.issues.push({ source: o.source, code: "IMPORT_WRONG_KIND", reason: `a ${o.payload.kind} bundle is not for a vault` });
    } catch (e) {
      COUNTERS.forEach((k, i) => (report[k] = before[i]!));
      report.welcomed = welcomed;
      report.issues.push({ source: o.source, code: (e as { code?: string }).code ?? "IMPORT_FAILED", reason: (e as Error).message });
    }
  }
}

/**
 * How much a welcome from `sender` may be trusted to carry the team's transport key: 2 from the
 * device that admitted this one, 1 from an active admin's device (`export --welcome` when the
 * admitting laptop was lost), 0 from anyone else — any member could otherwise cut a newcomer off
 * with a transport key of its own (docs/team-model.md, I7).
 */
export function welcomeRank(state: TeamState, entries: ReadonlyMap<string, TeamEntry>, me: string, sender: string): number {
  for (const h of state.order) {
    const e = entries.get(h);
    if (e === undefined || state.rejected.has(h) || (e.body.type !== "add-member" && e.body.type !== "add-device")) continue;
    if (hex(e.body.device.sign) === me && hex(e.author) === sender) return 2;
  }
  const d = state.devices.get(sender);
  const u = d === undefined ? undefined : state.users.get(d.user);
  return d !== undefined && u !== undefined && d.active && u.active && atLeast(u.role, "admin") ? 1 : 0;
}

function importWelcome(vault: VaultContext, p: WelcomePayload, sender: Uint8Array, source: string, report: ImportReport): void {
  const team = hex(p.team);
  if (vault.teamId !== undefined && vault.teamId !== team) {
    report.issues.push({ source, code: "IMPORT_OTHER_TEAM", reason: "a welcome to another team" });
    return;
  }
  const log: TeamEntry[] = [];
  for (const bytes of p.log) {
    try {
      log.push(decodeEntry(bytes));
    } catch {
      // judged below by the fold (or, once adopted, quarantined by importEntries)
    }
  }
  const map = new Map(log.map((e) => [e.hashHex, e]));
  if (!map.has(team)) throw vaultError("VAULT_BAD_WELCOME", "the welcome's team log has no genesis for its team");
  const rank = welcomeRank(foldTeam(team, map), map, vault.deviceId, hex(sender));
  if (rank === 0) {
    report.issues.push({ source, code: "IMPORT_BAD_WELCOME", reason: "a welcome from a device that neither admitted this one nor belongs to an admin: ignored" });
    return;
  }
  if (vault.teamId !== undefined) {
    importEntries(vault, p.log, report); // a repeated welcome still carries the log
    // Judged on this vault's own fold, which may know more than either welcome's log.
    const rankOf = (device: string): number => welcomeRank(vault.state(), vault.entries(), vault.deviceId, device);
    vault.betterWelcome(rankOf(hex(sender)), p.transportKey, hex(sender), rankOf);
    return;
  }
  const state = vault.adoptTeam(team, log, p.transportKey, rank, hex(sender));
  report.welcomed = state.name;
  report.entriesAdded += log.length;
}

function importEntries(vault: VaultContext, list: readonly Uint8Array[], report: ImportReport): void {
  const good: TeamEntry[] = [];
  for (const bytes of list) {
    try {
      const e = decodeEntry(bytes);
      if (e.team !== undefined && hex(e.team) !== vault.teamId) throw Object.assign(new Error("entry of another team"), { code: "TEAM_ENTRY_OTHER_TEAM" });
      good.push(e);
    } catch (err) {
      report.entriesRejected++;
      // Quarantined, so the bundle is refused (exit 3) and `import --remove` keeps it on the stick.
      report.quarantined++;
      quarantine(vault, "entry", undefined, bytes, (err as Error).message);
    }
  }
  const before = new Set(vault.state().rejected.keys());
  const added = vault.storeEntries(good);
  report.entriesAdded += added;
  if (added > 0) {
    vault.afterTeamChange();
    for (const h of vault.state().rejected.keys()) if (!before.has(h)) report.entriesRejected++;
  }
}

function quarantine(vault: VaultContext, kind: string, author: Uint8Array | undefined, bytes: Uint8Array, reason: string): void {
  vault.storage.quarantine.add({ hash: sha256(bytes), kind, author: author ?? null, reason: reason.slice(0, 500), received: vault.now(), bytes });
}


function importSync(vault: VaultContext, p: SyncPayload, sender: Uint8Array, source: string, report: ImportReport, prepared: PreparedSet | undefined, options: ImportOptions): void {
  if (vault.teamId === undefined) {
    report.issues.push({ source, code: "VAULT_NO_TEAM", reason: "a sync bundle arrived before this vault's welcome; import the welcome, then this again" });
    return;
  }
  if (hex(p.team) !== vault.teamId) {
    report.issues.push({ source, code: "IMPORT_OTHER_TEAM", reason: "a sync bundle of another team" });
    return;
  }
  importEntries(vault, p.entries, report);
  const { changesets, heads: deviceHeads, acks } = vault.storage;
  const heads = new Map<string, { seq: number; hash: Uint8Array; dirty: boolean }>();
  const headOf = (device: Uint8Array): { seq: number; hash: Uint8Array; dirty: boolean } => {
    const key = hex(device);
    let h = heads.get(key);
    if (h === undefined) {
      const row = deviceHeads.get(device);
      h = row === undefined ? { seq: 0, hash: new Uint8Array(32), dirty: false } : { seq: row.seq, hash: row.hash, dirty: false };
      heads.set(key, h);
    }
    return h;
  };
  for (const bytes of p.changesets) {
    let cs: Changeset;
    const ready = prepared?.get(bytes);
    const t0 = performance.now();
    try {
      if (ready?.verified === true) cs = ready.cs;
      else {
        cs = decodeChangeset(bytes, { verify: false });
        report.timings.decode += performance.now() - t0;
        const t1 = performance.now();
        verifyChangeset(cs);
        report.timings.verify += performance.now() - t1;
      }
    } catch (e) {
      report.quarantined++;
      quarantine(vault, "changeset", undefined, bytes, (e as Error).message);
      continue;
    }
    // A changeset's id covers its device and seq, so one lookup tells duplicate from equivocation.
    const stored = changesets.hashAt(cs.device, cs.seq);
    if (stored !== undefined && Buffer.compare(stored, cs.id) === 0) {
      report.duplicates++;
      continue;
    }
    if (hex(cs.team) !== vault.teamId) {
      report.quarantined++;
      quarantine(vault, "changeset", cs.device, bytes, "belongs to another team");
      continue;
    }
    if (stored !== undefined) {
      // Both versions are signed by the device: a proof every vault can check. Recorded, forwarded
      // with every export, and the device's chain is refused from that seq on, everywhere.
      report.quarantined++;
      quarantine(vault, "changeset", cs.device, bytes, `a second, different changeset ${cs.seq} from the same device (equivocation)`);
      if (vault.state().devices.has(hex(cs.device))) recordFork(vault, cs, report, source);
      continue;
    }
    report.changesetsNew++;
    // At or above its device's fork a changeset is refused whatever it follows or names, so it is
    // refused on arrival: waiting for a predecessor the fork refused, it would wait for ever (and
    // fill the waiting room), where a vault that saw the chain first refuses it. The head stays:
    // what is below the fork still applies in order.
    if (aboveFork(vault, cs)) {
      record(vault, undefined, cs, { status: "rejected", reason: EQUIVOCATION_REASON }, report);
      continue;
    }
    const head = headOf(cs.device);
    // The common case, a device's changesets in order with known team heads: decide right away,
    // one write with the final status. Anything else waits for drain().
    const verdict = cs.seq === head.seq + 1 && vault.stateAt(cs.heads) !== undefined
      ? Buffer.compare(cs.prev, head.hash) === 0 ? evaluate(vault, cs, report, ready?.verified === true ? ready.batches : undefined) : BROKEN_CHAIN
      : undefined;
    if (verdict !== undefined && verdict.status !== "waiting") {
      record(vault, undefined, cs, verdict, report);
      head.seq = cs.seq;
      head.hash = cs.id;
      head.dirty = true;
    } else if (waitingRoom(vault, cs, options)) {
      const t2 = performance.now();
      changesets.insert(cs, "waiting", verdict?.reason ?? null, vault.now());
      report.timings.write += performance.now() - t2;
    } else {
      report.changesetsNew--;
      if (!report.issues.some((i) => i.source === source && i.code === "IMPORT_WAITING_FULL")) {
        report.issues.push({ source, code: "IMPORT_WAITING_FULL", reason: `device ${hex(cs.device).slice(0, 12)} has too many changesets waiting for earlier ones; the rest were not kept (they are sent again)` });
      }
    }
  }
  for (const [device, h] of heads) if (h.dirty) deviceHeads.set(unhex(device), h.seq, h.hash);
  // Always: changesets left waiting by an earlier bundle may follow the ones this bundle just
  // applied (bundles arrive in any order; a USB folder is read in random-name order).
  drain(vault, report);
  observeNewest(vault, report);
  const state = vault.state();
  if (state.devices.has(hex(sender))) {
    const ids = p.ackIds !== undefined && p.ackIds.length === p.acks.length ? p.ackIds : undefined;
    p.acks.forEach((a, i) => acks.record(sender, a.device, a.seq, vault.now(), ids?.[i] ?? null));
    // A peer always has its own changesets: an empty ack list still says "I exist".
    acks.record(sender, sender, 0, vault.now(), null);
    if (p.logHeads !== undefined) recordLogHeads(vault, sender, p.logHeads);
  }
}















/** Records that `cs`'s device equivocated at `cs.seq` (the lowest seq wins) and refuses its chain from there. */
function recordFork(vault: VaultContext, cs: Changeset, report: ImportReport, source: string): void {
  if (aboveFork(vault, cs)) return; // a fork at or below this seq is recorded already
  const deviceHex = hex(cs.device);
  const { forks, changesets, heads } = vault.storage;
  forks.set(cs.device, cs.seq, cs.bytes);
  vault.forgetForks();
  report.issues.push({ source, code: "IMPORT_EQUIVOCATION", reason: `device ${deviceHex.slice(0, 12)} signed two different changesets ${cs.seq}: its changes from there on are refused on every vault; revoke it` });
  const rows = changesets.unrejectedFrom(cs.device, cs.seq);
  for (const r of rows) record(vault, r.id, storedChangeset(r.bytes), { status: "rejected", reason: EQUIVOCATION_REASON }, report);
  const head = heads.seqOf(cs.device);
  if (head === undefined || head < cs.seq - 1) return;
  // Everything of it from the fork on now counts as processed (refused), so the chain does not wait on it.
  const last = changesets.last(cs.device)!;
  heads.move(cs.device, last.seq, last.hash);
}

/** Whether this device may park one more changeset waiting for its predecessors (bounded per device). */
function waitingRoom(vault: VaultContext, cs: Changeset, options: ImportOptions): boolean {
  const waiting = vault.storage.changesets.waitingOf(cs.device);
  return waiting.count < (options.maxWaitingPerDevice ?? MAX_WAITING_PER_DEVICE) && waiting.size + cs.bytes.length <= (options.maxWaitingBytesPerDevice ?? MAX_WAITING_BYTES_PER_DEVICE);
}




// ---- export --------------------------------------------------------------------------------

export interface ExportedBundle {
  /** "courier-enrollment": a fresh enrollment for one of the team's couriers after a rotation (courier-enroll.ts). */
  readonly kind: "sync" | "welcome" | "courier-enrollment";
  readonly bytes: Uint8Array;
  readonly changesets: number;
  readonly entries: number;
  /** Devices it is sealed to. */
  readonly recipients: number;
}

export interface ExportOptions {
  readonly maxBodyBytes?: number;
  /**
   * Device ids (hex) to send a welcome to even if another vault admitted them or they were heard
   * from: for when the admitting laptop was lost before its welcome arrived (`export --welcome`).
   */
  readonly welcome?: readonly string[];
  /** Want tokens of attached files this vault's records name and it lacks (sync 1.3 `wants`, attachments/wants.ts). */
  readonly wants?: readonly Uint8Array[];
}

/** What each peer (device id, hex) acknowledged: per device chain (hex), the highest seq. */
export function peerAcks(vault: VaultContext): Map<string, Map<string, number>> {
  return new Map([...peerAckRows(vault)].map(([peer, m]) => [peer, new Map([...m].map(([device, a]) => [device, a.seq]))]));
}

/** Per peer and device chain (hex): the highest seq acknowledged and, since sync 1.2, the id of the changeset it ends at. */
function peerAckRows(vault: VaultContext): Map<string, Map<string, { seq: number; hash: Uint8Array | null }>> {
  const acks = new Map<string, Map<string, { seq: number; hash: Uint8Array | null }>>();
  for (const r of vault.storage.acks.all()) {
    const peer = hex(r.peer);
    const m = acks.get(peer) ?? new Map<string, { seq: number; hash: Uint8Array | null }>();
    m.set(hex(r.device), { seq: r.seq, hash: r.hash });
    acks.set(peer, m);
  }
  return acks;
}

/**
 * The bundles every other active device needs: sync bundles sealed to all of them holding the
 * team entries and the changesets some recipient has not acknowledged, and a welcome for each
 * device that has never been heard from. Nothing is marked as sent: acks decide what is next.
 */
export function exportBundles(vault: VaultContext, options: ExportOptions = {}): ExportedBundle[] {
  const state = vault.requireTeam();
  const recipients = [...state.devices.values()].filter((d) => d.active && d.id !== vault.deviceId);
  if (recipients.length === 0) throw vaultError("VAULT_NOTHING_TO_EXPORT", "there is no other device in the team to send to");
  const tk = vault.transportKey();
  if (tk === undefined) throw vaultError("VAULT_NO_TEAM", "this vault has no transport key");
  const { changesets: stored, heads: deviceHeads, forks } = vault.storage;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  try {
    const acks = peerAckRows(vault);
    const heads = deviceHeads.all();
    const changesets: Uint8Array[] = [];
    for (const h of heads) {
      const device = hex(h.device);
      // Chains of keys that were never a device of the team are junk (or an attack): not forwarded.
      if (!state.devices.has(device)) continue;
      const from = Math.min(
        ...recipients.map((p) => {
          const ack = acks.get(p.id)?.get(device);
          const seq = ack?.seq ?? 0;
          // A peer that acknowledged a different changeset under that seq holds the other side of
          // an equivocation: it gets ours from there, and both then hold the proof.
          const theirs = ack?.hash ?? undefined;
          if (theirs === undefined || seq === 0 || seq > h.seq) return seq;
          const ours = stored.hashAt(h.device, seq);
          return ours !== undefined && Buffer.compare(ours, theirs) !== 0 ? seq - 1 : seq;
        }),
      );
      if (from >= h.seq) continue;
      for (const bytes of stored.forwardable(h.device, from)) changesets.push(bytes);
    }
    // Equivocation proofs travel with every export until the device is gone: they are few and small.
    // Both halves of each proof: the version kept in changesets may sit above a head that lags
    // (its predecessors never arrived), where the chain export above would not reach it.
    for (const f of forks.all()) {
      changesets.push(f.other);
      const mine = stored.bytesAt(f.device, f.seq);
      if (mine !== undefined) changesets.push(mine);
    }
    // Only the team entries some recipient lacks; a welcome below still carries the whole log.
    const entries = entriesToSend(vault, state, recipients.map((d) => d.id)).map((h) => vault.entries().get(h)!.bytes);
    const myAcks = heads.map((h) => ({ device: h.device, seq: h.seq }));
    const myAckIds = heads.map((h) => h.hash);
    const logHeads = ownLogHeads(state);
    const seal = (body: Uint8Array, to: readonly Uint8Array[], minSlots = to.length): Uint8Array =>
      sealBundle(body, { recipients: to, minSlots, sender: vault.deviceKey, mailboxTag: tk.tag("real", tk.epochAt(vault.now())) });
    const out: ExportedBundle[] = [];
    const recipientKeys = recipients.map((d) => d.keys.enc);
    let batch: Uint8Array[] = [];
    let size = entries.reduce((n, e) => n + e.length, 0);
    let first = true;
    const flush = (): void => {
      const wants = options.wants !== undefined && options.wants.length > 0 ? { wants: options.wants.slice(0, MAX_WANTS) } : {};
      const body = encodePayload({ kind: "sync", team: state.team, entries: first ? entries : [], changesets: batch, acks: myAcks, logHeads, ackIds: myAckIds, ...wants });
      out.push({ kind: "sync", bytes: seal(body, recipientKeys), changesets: batch.length, entries: first ? entries.length : 0, recipients: recipientKeys.length });
      first = false;
      batch = [];
      size = 0;
    };
    for (const c of changesets) {
      if (batch.length > 0 && (size + c.length > maxBody || batch.length >= 65536)) flush();
      batch.push(c);
      size += c.length;
    }
    if (batch.length > 0 || first) flush();
    // Welcomes come from the vault that admitted the device, until that device is heard from:
    // every other vault sending one too would triple a new member's first transfers. A person
    // can ask for one anyway (the admitting laptop was lost): `forced`.
    const heard = new Set(acks.keys());
    const admittedHere = new Set<string>();
    for (const h of state.order) {
      const e = vault.entries().get(h)!;
      if ((e.body.type === "add-member" || e.body.type === "add-device") && hex(e.author) === vault.deviceId) admittedHere.add(hex(e.body.device.sign));
    }
    let wholeLog: Uint8Array[] | undefined;
    const forced = new Set(options.welcome ?? []);
    for (const d of recipients) {
      if ((heard.has(d.id) || !admittedHere.has(d.id)) && !forced.has(d.id)) continue;
      const transportKey = tk.exportKey();
      wholeLog ??= state.order.map((h) => vault.entries().get(h)!.bytes);
      const body = encodePayload({ kind: "welcome", team: state.team, log: wholeLog, transportKey });
      wipe(transportKey);
      // The slot count of this team's sync bundles, as for files, so a welcome's header does not
      // mark an admission (docs/transport-key.md).
      out.push({ kind: "welcome", bytes: seal(body, [d.keys.enc], recipientKeys.length), changesets: 0, entries: wholeLog.length, recipients: 1 });
      wipe(body);
    }
    for (const e of refreshEnrollments(vault)) out.push({ kind: "courier-enrollment", bytes: e.bytes, changesets: 0, entries: 0, recipients: 1 });
    return out;
  } finally {
    tk.wipe();
  }
}
