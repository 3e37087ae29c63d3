/**
 * Judging changesets (docs/sync.md, docs/team-model.md I3-I6, docs/apps.md): whether each may
 * count at its causal position, what its batches hold, and the verdict written to the store —
 * applied (ops stored), locked (no key yet, or written by a newer release), waiting or rejected.
 * Also the re-judging a team log change, an upgrade or a late predecessor calls for, so every
 * vault ends with the same accepted set. The importer (sync.ts) and the vault call these.
 */
import { wipe } from "@airlock/bundle-format";
import { performance } from "node:perf_hooks";
import { decodeChangeset, openBatch, type BatchContent, type Changeset, type PlainOp } from "../sync/changeset.js";
import { appNamed } from "../apps/registry.js";
import { batchProblem } from "../apps/validate.js";
import { mayWrite, type TeamState } from "../team/state.js";
import { DEFAULT_MAX_SKEW_MS, hlcBytes } from "../records/hlc.js";
import { encodeValue } from "../records/values.js";
import { OP_CODE } from "../apps/fold.js";
import { hex, unhex } from "./hex.js";
import type { StoredChangeset } from "../store/index.js";
import { emptyReport, type ImportReport } from "./import-report.js";
import type { VaultContext } from "./context.js";

/** Prefix of every rejection by a rights-loss cutoff; a later change to the log may lift it. */
export const CUTOFF_REASON = "made after its author lost this right";
export const EQUIVOCATION_REASON = "its device signed two different changesets under one number (equivocation); everything it wrote from there on is refused";
/** Why a changeset a newer release wrote is kept locked here (and looked at again after an upgrade). */
export const NEWER_REASON = "needs a newer release of Airlock";
export const FUTURE_REASON = "dated more than 24 h ahead of this vault's clock; it applies when the clock gets there";

/** Processes every waiting changeset whose predecessors and team heads are known. */
export function drain(vault: VaultContext, report: ImportReport): void {
  const { changesets, heads } = vault.storage;
  // Rows that wait alone for the clock (judged again after their device's head moved on, e.g.
  // unlocked by a key that arrived): looked at on every import, not only when the log changes.
  for (const r of changesets.waitingBehindHead(FUTURE_REASON)) decide(vault, r.id, storedChangeset(r.bytes), report);
  for (const device of changesets.waitingDevices()) {
    const h = heads.get(device);
    let seq = h?.seq ?? 0;
    let prev: Uint8Array = h === undefined ? new Uint8Array(32) : h.hash;
    for (;;) {
      const row = changesets.waitingAt(device, seq + 1);
      if (row === undefined) break;
      const cs = storedChangeset(row.bytes);
      if (vault.stateAt(cs.heads) === undefined) break; // the team entries it names have not arrived
      const verdict = Buffer.compare(cs.prev, prev) === 0 ? evaluate(vault, cs, report) : BROKEN_CHAIN;
      if (verdict.status === "waiting") {
        changesets.setReason(row.id, verdict.reason);
        break; // dated ahead of our clock: it and what follows it wait
      }
      record(vault, row.id, cs, verdict, report);
      seq = cs.seq;
      prev = cs.id;
      heads.set(device, seq, cs.id);
    }
  }
  // Snapshots waiting for the history they restate: checked again once more of it arrived.
  for (const r of changesets.withReason("locked", SNAPSHOT_PENDING_REASON)) {
    decide(vault, r.id, storedChangeset(r.bytes), report);
  }
  // A snapshot applied: the older batches it covers are no longer waiting for a key.
  if (snapshotApplied.has(vault)) {
    snapshotApplied.delete(vault);
    for (const r of changesets.withReason("locked", NO_KEY_REASON)) {
      decide(vault, r.id, storedChangeset(r.bytes), report);
    }
  }
  observeNewest(vault, report);
  report.waiting = changesets.waitingCount();
}

/**
 * A stored changeset, decoded without checking its signature again: every stored row was
 * verified when it arrived (or signed by this vault), so the check would only repeat itself.
 */
export function storedChangeset(bytes: Uint8Array): Changeset {
  return decodeChangeset(bytes, { verify: false });
}

export type Verdict =
  | {
      readonly status: "applied";
      readonly batches: readonly { collection: string; ops: readonly PlainOp[] }[];
      /** `compact` entries (hex) whose snapshot this changeset is. */
      readonly snapshots: readonly string[];
      /** Whether a batch was passed over as covered by a snapshot (re-judged when compactions change). */
      readonly covered: boolean;
    }
  | { readonly status: "locked" | "rejected" | "waiting"; readonly reason: string };

/**
 * Clocks are bounded (docs/team-model.md, I5): an op may be stamped at most 24 h after the
 * changeset that carries it says it was made (deterministic: rejected everywhere), and nothing
 * stamped more than 24 h ahead of this vault's clock applies yet (it waits, so every vault
 * applies it once its clock gets there and they converge).
 */
function clockProblem(vault: VaultContext, cs: Changeset, batches: readonly { ops: readonly PlainOp[] }[]): Verdict | undefined {
  let newest = 0;
  for (const b of batches) for (const o of b.ops) newest = Math.max(newest, o.wall);
  if (newest > cs.time + DEFAULT_MAX_SKEW_MS) return { status: "rejected", reason: "an op is stamped more than 24 h after its changeset was made" };
  if (newest > vault.now() + DEFAULT_MAX_SKEW_MS || cs.time > vault.now() + DEFAULT_MAX_SKEW_MS) return { status: "waiting", reason: FUTURE_REASON };
  return undefined;
}

export const BROKEN_CHAIN: Verdict = { status: "rejected", reason: "does not follow its device's previous changeset (broken hash chain)" };

/**
 * For what every caller made sure of before it asked (the changeset's team heads, its
 * collections): never seen so far. Were it seen, a bug broke that promise, and the verdict costs
 * this one row, where a throw would fail every import (drain judges waiting rows in each one) or
 * the vault's open (retryNewer).
 */
const UNKNOWN_REASON = "names team entries or a collection this vault does not have";

/**
 * Whether this release can read what the batches hold, and whether it keeps to its app's schema
 * (docs/apps.md). What a newer release wrote (an app or schema version or op kind unknown here)
 * is locked, not rejected: it is kept and forwarded, and applies after an upgrade. What breaks
 * the schema of the version it names is rejected, on every vault alike.
 */
function appProblem(vault: VaultContext, cs: Changeset, batches: readonly OpenedBatch[]): Verdict | undefined {
  for (const { collection, key, content } of batches) {
    if (content.newer !== undefined) return { status: "locked", reason: `${NEWER_REASON} (it holds ${content.newer})` };
    if (content.snapshot !== undefined) {
      const refused = snapshotProblem(vault, cs, collection, key, content.snapshot, content.ops);
      if (refused !== undefined) return refused;
    }
    // A batch is opened only under a key the fold lists for its collection (evaluate, recheckApplied),
    // so the collection is the fold's; and only for a changeset whose team heads are known (authorize,
    // or an applied row's first judgement for recheckApplied).
    const type = vault.state().collections.get(collection)?.app;
    const state = vault.stateAt(cs.heads);
    if (type === undefined || state === undefined) return { status: "rejected", reason: UNKNOWN_REASON };
    const app = appNamed(type, vault.apps);
    if (app === undefined) return { status: "locked", reason: `${NEWER_REASON} (collection type "${type}")` };
    if (content.version > app.schema.version) return { status: "locked", reason: `${NEWER_REASON} (${app.schema.app} schema version ${content.version})` };
    const why = batchProblem(app, content.version, content.ops, { state, author: hex(cs.device) }, { snapshot: content.snapshot !== undefined });
    if (why !== undefined) return { status: "rejected", reason: `${collection}: ${why}` };
  }
  return undefined;
}

/** One batch opened: where it belongs, the key id it was sealed under, what it holds. */
interface OpenedBatch {
  readonly collection: string;
  readonly key: Uint8Array;
  readonly content: BatchContent;
}

/** Judges opened batches: app and schema first, then the clock. Batches a snapshot covers are not among them. */
function judgeOpened(vault: VaultContext, cs: Changeset, opened: readonly OpenedBatch[], covered = false): Verdict {
  const batches = opened.map((c) => ({ collection: c.collection, ops: c.content.ops }));
  const snapshots = opened.filter((c) => c.content.snapshot !== undefined).map((c) => hex(c.content.snapshot!));
  return appProblem(vault, cs, opened) ?? clockProblem(vault, cs, batches) ?? { status: "applied", batches, snapshots, covered };
}

/** Vaults on which a snapshot was applied since their locked changesets were last looked at. */
const snapshotApplied = new WeakSet<VaultContext>();

/** Why a snapshot that is waiting for this vault to hold the history it restates waits. */
export const NO_KEY_REASON = "no key for a collection it writes (yet)";
export const SNAPSHOT_PENDING_REASON = "a compaction snapshot, waiting for the changesets it restates so it can be checked";

/**
 * A compaction snapshot (docs/decisions.md #30) counts only as the one its `compact` entry asked
 * for: by that entry's author, after it, under the key it introduced. A vault that held the
 * collection's older keys — an existing reader — recomputes the snapshot from its own history up
 * to the frontier and refuses one that differs (an admin restating history falsely). A member
 * admitted after the compaction cannot check it and relies on the admin who signed it.
 */
function snapshotProblem(vault: VaultContext, cs: Changeset, collection: string, key: Uint8Array, snapshot: Uint8Array, ops: readonly PlainOp[]): Verdict | undefined {
  const c = vault.state().collections.get(collection);
  const k = c?.compactions.find((x) => x.entry === hex(snapshot));
  if (c === undefined || k === undefined || k.key === undefined || k.author !== hex(cs.device) || k.key !== hex(key)) {
    return { status: "rejected", reason: "a snapshot that no compaction of this collection by its author asked for" };
  }
  if (vault.ancestorsOf(cs.heads.map(hex))?.has(k.entry) !== true) return { status: "rejected", reason: "a snapshot made before the compaction it names" };
  const team = vault.state().devices;
  for (const device of k.frontier.keys()) if (!team.has(device)) return { status: "rejected", reason: "a compaction whose frontier names a device that is not the team's (a forged or faulty compaction)" };
  // A snapshot restates ops of changesets within its frontier: each one's author is a device the
  // frontier names (checked on every vault, a newcomer too, which cannot compare the content).
  for (const o of ops) {
    if ((k.frontier.get(o.device ?? hex(cs.device))?.seq ?? 0) === 0) return { status: "rejected", reason: "a compaction snapshot with an op by a device its frontier does not name (a forged or faulty compaction)" };
  }
  // Every vault, a newcomer too, waits until it holds the very changesets the frontier names
  // (their ids can be checked without reading them): a made-up frontier never applies anywhere.
  const { heads, changesets } = vault.storage;
  for (const [device, f] of k.frontier) {
    const id = unhex(device);
    if ((heads.seqOf(id) ?? 0) < f.seq) return { status: "locked", reason: SNAPSHOT_PENDING_REASON };
    // The frontier must name the very changesets this vault holds: a made-up one means a false compaction.
    const held = f.seq === 0 ? undefined : changesets.hashAt(id, f.seq);
    if (f.seq > 0 && (held === undefined || hex(held) !== f.id)) {
      return { status: "rejected", reason: "a compaction whose frontier names changesets this vault holds differently (a forged or faulty compaction)" };
    }
  }
  // An existing reader (it holds the collection's older keys) also checks what the snapshot says.
  const at = c.keys.findIndex((x) => x.id === k.key);
  if (!c.keys.slice(0, at).some((x) => holdsKey(vault, collection, x.id))) return undefined;
  const expected = vault.storage.records.snapshotRows(collection, new Map([...k.frontier].map(([d, f]) => [d, f.seq])));
  const keyOf = (record: string, field: string, kind: number, hlc: Uint8Array, value: Uint8Array): string => `${record}\u0000${field}\u0000${kind}\u0000${Buffer.from(hlc).toString("hex")}\u0000${Buffer.from(value).toString("hex")}`;
  const want = new Set(expected.map((r) => keyOf(r.record, r.field, r.kind, r.hlc, r.value)));
  const got = new Set(ops.map((o) => keyOf(o.record, o.field, OP_CODE[o.kind], hlcBytes({ wall: o.wall, counter: o.counter, device: o.device ?? hex(cs.device) }), encodeValue(o.value))));
  if (got.size !== want.size || [...got].some((x) => !want.has(x))) {
    return { status: "rejected", reason: "a compaction snapshot that does not match this vault's history up to its frontier (a forged or faulty compaction)" };
  }
  return undefined;
}

function holdsKey(vault: VaultContext, collection: string, id: string): boolean {
  const key = vault.keyById(unhex(id), collection);
  if (key === undefined) return false;
  wipe(key);
  return true;
}

/**
 * A batch under a key this vault was never given, written before the frontier of a compaction
 * whose key it holds: its content reached this vault as that snapshot (a member admitted after
 * the compaction), so it is passed over instead of locking the changeset.
 */
function coveredBySnapshot(vault: VaultContext, cs: Changeset, collection: string, key: Uint8Array): boolean {
  const c = vault.state().collections.get(collection);
  if (c === undefined) return false;
  const device = hex(cs.device);
  const keyId = hex(key);
  return c.compactions.some((k) => {
    if (k.key === undefined || (k.frontier.get(device)?.seq ?? 0) < cs.seq) return false;
    // Only a key the log introduced before that compaction, and only once its snapshot applied here.
    const at = c.keys.findIndex((x) => x.id === k.key);
    return c.keys.slice(0, at).some((x) => x.id === keyId) && holdsKey(vault, collection, k.key) && vault.storage.snapshots.has(k.entry);
  });
}

/** Authorizes one changeset and, if allowed, decrypts its ops (unless `opened` has them). Writes nothing. */
export function evaluate(vault: VaultContext, cs: Changeset, report: ImportReport, opened?: readonly BatchContent[]): Verdict {
  const t0 = performance.now();
  const why = authorize(vault, cs);
  report.timings.authorize += performance.now() - t0;
  if (why !== undefined) return { status: "rejected", reason: why };
  // Batches decrypted before the transaction are used only while the fold still lists their keys:
  // an entry in the same bundle may have withdrawn one, and then the serial path's verdict holds.
  const held = (b: { collection: string; key: Uint8Array }): boolean => vault.state().collections.get(b.collection)?.holders.has(hex(b.key)) === true;
  if (opened !== undefined && cs.batches.every(held)) return judgeOpened(vault, cs, cs.batches.map((b, i) => ({ collection: b.collection, key: b.key, content: opened[i]! })));
  const keys: (Uint8Array | undefined)[] = [];
  try {
    let covered = false;
    for (const b of cs.batches) {
      const key = vault.keyById(b.key, b.collection);
      if (key === undefined) {
        // Only a changeset of that one batch is passed over: its other batches' fate may hang on the
        // covered one's content, which this vault cannot see (honest writers write one collection at a time).
        if (cs.batches.length !== 1 || !coveredBySnapshot(vault, cs, b.collection, b.key)) return { status: "locked", reason: NO_KEY_REASON };
        covered = true;
      }
      keys.push(key);
    }
    const t1 = performance.now();
    try {
      const contents: OpenedBatch[] = [];
      for (const [i, b] of cs.batches.entries()) {
        const key = keys[i];
        if (key === undefined) continue; // covered by a compaction snapshot
        const content = openBatch(cs, b, key);
        if (content === undefined) return { status: "rejected", reason: `its ${b.collection} ops do not decrypt (tampered, or a wrong key)` };
        contents.push({ collection: b.collection, key: b.key, content });
      }
      return judgeOpened(vault, cs, contents, covered);
    } catch (e) {
      return { status: "rejected", reason: (e as Error).message };
    } finally {
      report.timings.decrypt += performance.now() - t1;
    }
  } finally {
    for (const k of keys) if (k !== undefined) wipe(k);
  }
}

/** Writes a verdict: a new row (id undefined) or an update of a stored one, and the ops. */
export function record(vault: VaultContext, id: number | undefined, cs: Changeset, verdict: Verdict, report: ImportReport): void {
  const t0 = performance.now();
  const reason = verdict.status === "applied" ? null : verdict.reason;
  const { changesets, snapshots, records } = vault.storage;
  let rowId: number;
  if (id === undefined) {
    rowId = changesets.insert(cs, verdict.status, reason, vault.now());
  } else {
    rowId = id;
    changesets.setVerdict(id, verdict.status, reason);
    records.deleteOps(id);
    snapshots.removeFor(id);
    snapshots.uncover(id);
  }
  if (verdict.status === "applied") {
    for (const entry of verdict.snapshots) {
      snapshots.addIfNew(entry, rowId);
      snapshotApplied.add(vault);
    }
    if (verdict.covered) snapshots.cover(rowId);
    const deviceHex = hex(cs.device);
    for (const b of verdict.batches) {
      records.insertOps(rowId, b.collection, deviceHex, b.ops);
      for (const o of b.ops) {
        const n = report.newest;
        if (n === undefined || o.wall > n.wall || (o.wall === n.wall && o.counter > n.counter)) report.newest = { wall: o.wall, counter: o.counter, device: deviceHex };
      }
    }
    report.applied++;
  } else if (verdict.status === "locked") report.locked++;
  else report.rejected++;
  report.timings.write += performance.now() - t0;
}

/** Merges the newest timestamp applied into this device's clock, once per batch. */
export function observeNewest(vault: VaultContext, report: ImportReport): void {
  if (report.newest === undefined) return;
  vault.observe(report.newest.wall, report.newest.counter, report.newest.device);
  report.newest = undefined;
}

/** Authorizes one changeset and applies, locks or rejects a stored row. */
export function decide(vault: VaultContext, id: number, cs: Changeset, report: ImportReport): void {
  const verdict = evaluate(vault, cs, report);
  if (verdict.status === "waiting") {
    // Only a row already past its device's head gets here (unlocked or re-judged): it waits alone.
    vault.storage.changesets.setVerdict(id, "waiting", verdict.reason);
    vault.storage.records.deleteOps(id);
    return;
  }
  record(vault, id, cs, verdict, report);
}

/** I6: whether a changeset is at or above its device's fork, and so refused whatever it follows or names. */
export function aboveFork(vault: VaultContext, cs: Changeset): boolean {
  return cs.seq >= (vault.forkSeq(hex(cs.device)) ?? Infinity);
}

/**
 * Whether a changeset may count (docs/team-model.md, I3-I4, I6): its device has not equivocated
 * at or before it; its heads are known and never go back along its own chain; and its author may
 * write every collection it touches at its causal position — joined with every entry that took
 * rights from this device at a cutoff below its seq, so naming old heads cannot dodge a demotion,
 * a raised policy, a revocation or a removal.
 */
export function authorize(vault: VaultContext, cs: Changeset, options: { chain?: boolean } = {}): string | undefined {
  const deviceHex = hex(cs.device);
  if (aboveFork(vault, cs)) return EQUIVOCATION_REASON;
  const heads = cs.heads.map(hex);
  // Every caller judges a changeset whose team heads are known: importSync and drain check stateAt
  // first, and a row judged again passed that when it was first judged (the log only grows).
  const seen = vault.ancestorsOf(heads);
  if (seen === undefined) return UNKNOWN_REASON;
  // The chain rule is fixed once a changeset was first judged; re-judging after a log change skips it.
  const backwards = options.chain === false ? undefined : headsGoBack(vault, cs, heads, seen);
  if (backwards !== undefined) return backwards;
  const current = vault.state().devices.get(deviceHex);
  const unseen: string[] = [];
  if (current !== undefined) for (const loss of current.losses) if (cs.seq > loss.seq && !seen.has(loss.entry)) unseen.push(loss.entry);
  // The losses are entries of the log, so this position is known too.
  const position = vault.stateAtHex([...heads, ...unseen]);
  if (position === undefined) return UNKNOWN_REASON;
  const device = position.devices.get(deviceHex);
  if (device === undefined) return "signed by a key that is not a device of this team";
  // Devices never leave the fold's state once admitted; one the whole log does not know had its
  // admission refused there (an entry by a device revoked or removed concurrently), though it
  // counts at the entry's own causal position. Nothing it signs counts. The reason carries the
  // cutoff prefix so the changeset is judged again if the admission is later accepted after all.
  if (current === undefined) return `${CUTOFF_REASON}: its device's admission was refused by the team log`;
  for (const b of cs.batches) {
    const denied = mayWrite(position, deviceHex, b.collection);
    if (denied !== undefined) return unseen.length > 0 || !device.active ? `${CUTOFF_REASON}: ${denied}` : denied;
  }
  return undefined;
}

/** The heads a device's previous changeset named, cached per device for the import's in-order run (keyed by its id). */
const previousHeads = new WeakMap<VaultContext, Map<string, { id: string; heads: readonly string[] }>>();

function headsGoBack(vault: VaultContext, cs: Changeset, heads: readonly string[], seen: ReadonlySet<string>): string | undefined {
  const deviceHex = hex(cs.device);
  let cache = previousHeads.get(vault);
  if (cache === undefined) previousHeads.set(vault, (cache = new Map()));
  let prev = cache.get(deviceHex);
  if (prev?.id !== hex(cs.prev)) {
    const bytes = vault.storage.changesets.bytesOf(cs.prev);
    prev = bytes === undefined ? undefined : { id: hex(cs.prev), heads: storedChangeset(bytes).heads.map(hex) };
  }
  cache.set(deviceHex, { id: hex(cs.id), heads });
  if (prev === undefined) return undefined; // a first changeset: its prev, 32 zero bytes, is no stored changeset's id
  for (const h of prev.heads) if (!seen.has(h)) return "names an older team state than its device's previous changeset (its heads went backwards)";
  return undefined;
}

/**
 * After the team log changed: re-judges what a change of rights may turn (changesets of devices
 * that lost a right, and those refused by a cutoff that may since have been overruled), retries
 * locked changesets when keys arrived, and drains what waited.
 */
export function revalidate(vault: VaultContext, state: TeamState, newKeys: boolean): void {
  const { changesets, snapshots, keys } = vault.storage;
  const report = emptyReport();
  const load = (r: StoredChangeset): Changeset => storedChangeset(r.bytes);
  const rejudge = (device: Uint8Array, from: number): void => {
    for (const r of changesets.countedAfter(device, from)) {
      const cs = load(r);
      const why = authorize(vault, cs, { chain: false });
      if (why !== undefined) record(vault, r.id, cs, { status: "rejected", reason: why }, report);
    }
  };
  for (const d of state.devices.values()) {
    if (d.losses.length === 0) continue;
    rejudge(d.keys.sign, Math.min(...d.losses.map((l) => l.seq)));
  }
  // Devices whose admission the log has since refused (see authorize): all they wrote goes.
  for (const h of vault.storage.heads.all()) if (!state.devices.has(hex(h.device))) rejudge(h.device, 0);
  // Compactions change with the log (a compaction refused after all, a snapshot that no longer
  // matches once a loss withdrew part of its history): snapshots, then what they covered, again.
  for (const applied of [() => snapshots.appliedSnapshots(), () => snapshots.appliedCovered()]) {
    for (const r of applied()) {
      const cs = load(r);
      const verdict = evaluate(vault, cs, report);
      if (verdict.status !== "applied") record(vault, r.id, cs, verdict, report);
    }
  }
  // A loss can itself be overruled (e.g. its author lost admin rights first in the log order).
  for (const r of changesets.withReasonPrefix("rejected", CUTOFF_REASON)) {
    const cs = load(r);
    if (authorize(vault, cs, { chain: false }) === undefined) decide(vault, r.id, cs, report);
  }
  if (newKeys) {
    for (const r of changesets.withStatus("locked")) {
      decide(vault, r.id, load(r), report);
    }
  }
  // A key this vault holds that the fold no longer lists (its introducing entry was refused
  // after all): whatever was applied under it is locked, as on every vault that never held it.
  const listed = new Set<string>();
  for (const c of state.collections.values()) for (const k of c.holders.keys()) listed.add(`${c.id}/${k}`);
  const stale = new Set(keys.ids().map((r) => `${r.collection}/${hex(r.keyId)}`).filter((k) => !listed.has(k)));
  if (stale.size > 0) {
    for (const r of changesets.withStatus("applied")) {
      const cs = load(r);
      if (cs.batches.some((b) => stale.has(`${b.collection}/${hex(b.key)}`))) record(vault, r.id, cs, { status: "locked", reason: NO_KEY_REASON }, report);
    }
  }
  drain(vault, report); // also the rows that waited alone for the clock
}

/**
 * After an upgrade (or the migration that introduced app schemas): applies the schema rules of
 * this release to changesets an earlier release applied, so a vault that stored something before
 * the rule existed ends where a vault that met it afterwards does — rejected alike.
 */
export function recheckApplied(vault: VaultContext): number {
  const report = emptyReport();
  let withdrawn = 0;
  const rows = vault.storage.changesets.withStatus("applied");
  vault.withKeyCache(() => {
    for (const r of rows) {
      const cs = storedChangeset(r.bytes);
      const keys = cs.batches.map((b) => vault.keyById(b.key, b.collection));
      try {
        if (keys.some((k) => k === undefined)) continue;
        const contents = cs.batches.map((b, i) => openBatch(cs, b, keys[i]!));
        if (contents.some((c) => c === undefined)) continue;
        const verdict = appProblem(vault, cs, cs.batches.map((b, i) => ({ collection: b.collection, key: b.key, content: contents[i]! })));
        if (verdict?.status === "rejected") {
          record(vault, r.id, cs, verdict, report);
          withdrawn++;
        }
      } catch (e) {
        record(vault, r.id, cs, { status: "rejected", reason: (e as Error).message }, report);
        withdrawn++;
      } finally {
        for (const k of keys) if (k !== undefined) wipe(k);
      }
    }
  });
  return withdrawn;
}

/** After an upgrade: decides again every changeset that was locked for needing a newer release. */
export function retryNewer(vault: VaultContext): void {
  const report = emptyReport();
  const rows = vault.storage.changesets.withReasonPrefix("locked", NEWER_REASON);
  vault.withKeyCache(() => {
    for (const r of rows) decide(vault, r.id, storedChangeset(r.bytes), report);
  });
}
