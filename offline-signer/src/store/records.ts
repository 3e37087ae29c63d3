/**
 * The records side of the store: the ops every accepted changeset carried, each record's fold
 * state (the rows that decide it, apps/fold.ts foldState, kept in `records.state`), and the
 * search index over what records say. All SQL about records lives here.
 *
 * Ops are written and withdrawn by changeset; each write keeps the rows it added per record, and
 * `flush`, at the end of the transaction, folds them into each touched record's state once: an
 * import of thousands of changesets costs each touched record one read of its own row, however
 * long its history, and a crash leaves ops, states and index agreeing. A reader's record is
 * folded from its state (a handful of rows), so listing never reads history either.
 */
import type Database from "better-sqlite3-multiple-ciphers";
import { hlcBytes, HLC_BYTES } from "../records/hlc.js";
import { encodeValue, type Value } from "../records/values.js";
import type { PlainOp } from "../sync/changeset.js";
import type { AppModule, RecordView, SearchContext, SearchText } from "../apps/app.js";
import type { TeamState } from "../team/state.js";
import { OP_CODE, decodeStoredValue, foldState, splitTags, viewOf, visibleRows, type OpRow } from "../apps/fold.js";
import { decodeState, encodeState } from "./record-state.js";

/** Records folded per ops query in `flush`. */
const FLUSH_BATCH = 256;
/**
 * Deferred entries in one flush beyond which SearchContext.referring groups the collection's
 * records by value once, rather than asking the ops per entry.
 */
const GROUP_REFERRING = 16;
const INSERT_OP = "INSERT INTO ops (cs, collection, record, field, kind, hlc, value) VALUES (?, ?, ?, ?, ?, ?, ?)";

export interface SearchHit {
  readonly collection: string;
  readonly id: string;
  readonly view: RecordView;
}

export interface FieldVersion {
  readonly value: Value;
  /** HLC wall time (ms) of the write. */
  readonly wall: number;
  /** Device id (hex) that wrote it. */
  readonly device: string;
}

/** One addition to or removal from a set field. */
export interface SetChange extends FieldVersion {
  readonly change: "added" | "removed";
}

/** When and by which device an op was written, from its stored HLC. */
function writtenAt(hlc: Buffer): { wall: number; device: string } {
  return { wall: Number(hlc.readBigUInt64BE(0)), device: hlc.subarray(12).toString("hex") };
}

/**
 * A user's search words as an FTS5 query that cannot be a syntax error: each word a quoted
 * prefix term, all of them required. Quotes inside a word are doubled, as FTS5 escapes them.
 */
export function ftsQuery(query: string): string | undefined {
  let words = query.normalize("NFKC").replace(/\p{Cc}/gu, " ").split(/[\s\p{P}\p{S}]+/u).filter((w) => w.length > 0).slice(0, 32);
  // "Bank's" splits into "Bank" and "s": a lone letter beside longer words narrows to nothing useful.
  if (words.some((w) => w.length > 1)) words = words.filter((w) => w.length > 1);
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(" ");
}

/** Writes `n` (0 <= n < 2^32) big-endian at `at`: an HLC per op, without a DataView each. */
function putUint32(b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = (n >>> 16) & 0xff;
  b[at + 2] = (n >>> 8) & 0xff;
  b[at + 3] = n & 0xff;
}

/** A record's row as a flush reads it. */
interface Stored {
  readonly id: number;
  readonly shown: number;
  readonly state: Buffer;
}

/** What a flush must do for one record: fold these new rows into its state, or refold it from its ops. */
type Pending = OpRow[] | "refold";

/**
 * One record as a flush changed it: what a reader saw before and sees now (undefined: not
 * visible), and the devices (hex) whose new ops changed it (none when a withdrawal did).
 */
export interface RecordChange {
  readonly collection: string;
  readonly record: string;
  readonly before: RecordView | undefined;
  readonly after: RecordView | undefined;
  readonly by: readonly string[];
}

/** `records()`'s order: newest first, then by id. */
function newestFirst(a: RecordView, b: RecordView): number {
  return b.updated - a.updated || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * A record's search entry. An app's text that throws (a bug, or input beyond what it can
 * handle) costs that record its full entry only, never the flush: the transaction holds other
 * members' data (an import) or the vault's open (a reindex). The fallback is the entry without a
 * context, else nothing: a function of the record alone, so every vault holding it writes the
 * same one.
 */
export function entryOf(app: AppModule, view: RecordView, context: SearchContext): SearchText {
  try {
    return app.searchText(view, context);
  } catch {
    try {
      return app.searchText(view);
    } catch {
      return { title: "", body: "" };
    }
  }
}

export class RecordStore {
  readonly #db: Database.Database;
  readonly #dirty = new Map<string, Map<string, Pending>>();
  /**
   * Records in the order rows were kept for them since the last flush, as collection, record,
   * collection, record...: what a savepoint's rollback must refold. Flat: an import journals
   * every op, and a pair per op would be as many small arrays.
   */
  readonly #journal: string[] = [];
  readonly #statements = new Map<string, Database.Statement>();
  /** Told what each flush changed, once all its writes are done (import summaries, dry runs). */
  #observer: ((changes: readonly RecordChange[]) => void) | undefined;
  #changes: RecordChange[] | undefined;
  /**
   * Records of apps whose search text reads other records (AppModule.searchDependents), per
   * collection: their entries are written at the end of the flush, once every state is. `ids`:
   * these records; `readers`: also every record whose entry reads others (a change moved
   * "collection"); `every`: every record (a reindex).
   */
  readonly #reindex = new Map<string, { readonly ids: Set<string>; readers: boolean; every: boolean }>();
  /** The team, for search entries that read it; set by the vault that owns the store. */
  #team: (() => TeamState) | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Where search entries read the team from (AppModule.searchText's context). */
  useTeam(team: () => TeamState): void {
    this.#team = team;
  }

  /** Sets (or with undefined clears) the one observer of record changes; returns the previous one. */
  observe(observer: ((changes: readonly RecordChange[]) => void) | undefined): ((changes: readonly RecordChange[]) => void) | undefined {
    const previous = this.#observer;
    this.#observer = observer;
    return previous;
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) this.#statements.set(sql, (s = this.#db.prepare(sql)));
    return s;
  }

  #pending(collection: string): Map<string, Pending> {
    let records = this.#dirty.get(collection);
    if (records === undefined) this.#dirty.set(collection, (records = new Map()));
    return records;
  }

  /** Stores the ops of one changeset (row id `cs`) for one collection; every op's HLC device is the changeset's. */
  insertOps(cs: number, collection: string, deviceHex: string, ops: readonly PlainOp[]): void {
    const insert = this.#stmt(INSERT_OP);
    const pending = this.#pending(collection);
    const template = hlcBytes({ wall: 0, counter: 0, device: deviceHex });
    for (const o of ops) {
      // A snapshot op keeps the HLC its original author gave it (apps/fold.ts visibleRows).
      const hlc = o.device === undefined ? template.slice() : hlcBytes({ wall: 0, counter: 0, device: o.device });
      putUint32(hlc, 0, Math.floor(o.wall / 2 ** 32));
      putUint32(hlc, 4, o.wall % 2 ** 32);
      putUint32(hlc, 8, o.counter);
      const row: OpRow = { field: o.field, kind: OP_CODE[o.kind], hlc, value: encodeValue(o.value) };
      insert.run(cs, collection, o.record, row.field, row.kind, hlc, row.value);
      const rows = pending.get(o.record);
      if (rows === undefined) pending.set(o.record, [row]);
      else if (rows !== "refold") rows.push(row);
      this.#journal.push(collection, o.record);
    }
  }

  /** Withdraws what a changeset wrote (it was locked or rejected after all): its records are refolded from what is left. */
  deleteOps(cs: number): void {
    for (const r of this.#stmt("SELECT DISTINCT collection, record FROM ops WHERE cs = ?").all(cs) as { collection: string; record: string }[]) this.#pending(r.collection).set(r.record, "refold");
    this.#stmt("DELETE FROM ops WHERE cs = ?").run(cs);
  }

  /** Forgets pending work (the transaction that made it rolled back). */
  discard(): void {
    this.#dirty.clear();
    this.#reindex.clear();
    this.#journal.length = 0;
  }

  /** Where pending work stands now, for `rollback` if a savepoint opened here fails. */
  checkpoint(): number {
    return this.#journal.length;
  }

  /**
   * A savepoint opened at `mark` rolled back, its ops with it: the rows kept since are not in
   * the store any more, so their records are refolded from what it still holds.
   */
  rollback(mark: number): void {
    for (let i = mark; i + 1 < this.#journal.length; i += 2) this.#pending(this.#journal[i]!).set(this.#journal[i + 1]!, "refold");
    this.#journal.length = mark;
  }

  /**
   * Brings every record touched since the last flush up to date: its fold state, its view and
   * its search entry. New ops are folded into the stored state (apps/fold.ts foldState: the
   * same record as folding the whole history); a withdrawn changeset's records, and any whose
   * state does not parse, are refolded from their ops. Call inside the transaction.
   */
  flush(appOf: (collection: string) => AppModule | undefined): void {
    if (this.#dirty.size === 0) return;
    this.#changes = this.#observer === undefined ? undefined : [];
    // Many records per statement: per-statement overhead dominates per-record reads.
    const stored = this.#stmt("SELECT id, record, shown, state FROM records WHERE collection = ? AND record IN (SELECT value FROM json_each(?))");
    // Unordered: the fold orders each record's rows itself, cheaper than SQLite's temp sort.
    const opsOf = this.#stmt("SELECT record, field, kind, hlc, value FROM ops WHERE collection = ? AND record IN (SELECT value FROM json_each(?))");
    for (const [collection, records] of this.#dirty) {
      const app = appOf(collection);
      // One per collection and flush: most apps never read it, and an import touches many records.
      const context = app === undefined || app.searchDependents !== undefined ? undefined : this.#context(collection);
      const ids = [...records.keys()];
      for (let at = 0; at < ids.length; at += FLUSH_BATCH) {
        const batch = ids.slice(at, at + FLUSH_BATCH);
        const old = new Map<string, Stored>();
        for (const r of stored.all(collection, JSON.stringify(batch)) as (Stored & { record: string })[]) old.set(r.record, r);
        const folded = new Map<string, OpRow[]>();
        const refold: string[] = [];
        for (const record of batch) {
          const pending = records.get(record)!;
          const state = old.has(record) ? decodeState(old.get(record)!.state) : [];
          if (pending === "refold" || state === undefined) refold.push(record);
          else folded.set(record, foldState(state.length === 0 ? pending : [...state, ...pending]));
        }
        if (refold.length > 0) {
          const history = new Map<string, OpRow[]>(refold.map((r) => [r, []]));
          for (const r of opsOf.all(collection, JSON.stringify(refold)) as (OpRow & { record: string })[]) history.get(r.record)!.push(r);
          for (const [record, rows] of history) folded.set(record, foldState(rows));
        }
        for (const record of batch) this.#write(collection, record, app, context, old.get(record), folded.get(record)!, records.get(record)!);
      }
    }
    this.#dirty.clear();
    this.#journal.length = 0;
    this.#indexDeferred(appOf);
    const changes = this.#changes;
    this.#changes = undefined;
    if (changes !== undefined && changes.length > 0) this.#observer?.(changes);
  }

  /** Notes a record's change for the observer (only while one is set). */
  #note(collection: string, record: string, before: Stored | undefined, after: RecordView | undefined, pending: Pending): void {
    if (this.#changes === undefined) return;
    const was = before === undefined || before.shown !== 1 ? undefined : this.#view(collection, record, before.state);
    if (was === undefined && after === undefined) return;
    const by = pending === "refold" ? [] : [...new Set(pending.map((r) => Buffer.from(r.hlc.subarray(HLC_BYTES - 32)).toString("hex")))];
    this.#changes.push({ collection, record, before: was, after, by });
  }

  /** Stores one record's new state and search entry; the index is touched only if the state changed. */
  #write(collection: string, record: string, app: AppModule | undefined, context: SearchContext | undefined, before: Stored | undefined, rows: readonly OpRow[], pending: Pending): void {
    if (rows.length === 0) {
      if (before === undefined) return;
      this.#note(collection, record, before, undefined, pending);
      if (app?.searchDependents !== undefined) this.#defer(collection, record, app, before, undefined);
      if (before.shown === 1) this.#stmt("DELETE FROM search WHERE rowid = ?").run(before.id);
      this.#stmt("DELETE FROM records WHERE id = ?").run(before.id);
      return;
    }
    const state = encodeState(rows);
    // Nothing new decided (ops already folded, or ones that lose): the row and its entry stand.
    if (before !== undefined && state.equals(before.state)) return;
    const view = viewOf(collection, record, rows);
    this.#note(collection, record, before, view, pending);
    const shown = view === undefined ? 0 : 1;
    const updated = view?.updated ?? 0;
    let id: number;
    if (before === undefined) id = Number(this.#stmt("INSERT INTO records (collection, record, updated, shown, state) VALUES (?, ?, ?, ?, ?)").run(collection, record, updated, shown, state).lastInsertRowid);
    else {
      id = before.id;
      this.#stmt("UPDATE records SET updated = ?, shown = ?, state = ? WHERE id = ?").run(updated, shown, state, id);
      if (before.shown === 1) this.#stmt("DELETE FROM search WHERE rowid = ?").run(id);
    }
    if (app?.searchDependents !== undefined) this.#defer(collection, record, app, before, view);
    else if (view !== undefined && app !== undefined && context !== undefined) {
      const t = entryOf(app, view, context);
      this.#stmt("INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)").run(id, t.title, t.body);
    }
  }

  /** Notes that `record` and the records its change bears on need their entries written at the end of the flush. */
  #defer(collection: string, record: string, app: AppModule, before: Stored | undefined, after: RecordView | undefined): void {
    const pending = this.#pendingEntries(collection);
    pending.ids.add(record);
    if (pending.readers) return;
    const was = before === undefined || before.shown !== 1 ? undefined : this.#view(collection, record, before.state);
    const more = app.searchDependents!(record, was, after);
    if (more === "collection") pending.readers = true;
    else for (const r of more) pending.ids.add(r);
  }

  #pendingEntries(collection: string): { readonly ids: Set<string>; readers: boolean; every: boolean } {
    let pending = this.#reindex.get(collection);
    if (pending === undefined) this.#reindex.set(collection, (pending = { ids: new Set(), readers: false, every: false }));
    return pending;
  }

  /**
   * What a search entry may read. `many`: the flush writes many entries of the collection, so
   * referring() reads the records that have a field once and groups them for all of them.
   */
  #context(collection: string, many = false): SearchContext {
    const groups = new Map<string, Map<string, RecordView[]>>();
    const team = this.#team;
    return {
      record: (id) => this.record(collection, id),
      referring: (field, value) => {
        if (!many) return this.referring(collection, field, value);
        let group = groups.get(field);
        if (group === undefined) groups.set(field, (group = this.#grouped(collection, field)));
        return group.get(value) ?? [];
      },
      get state(): TeamState {
        if (team === undefined) throw new Error("RecordStore: no team to read search entries with (useTeam)");
        return team();
      },
    };
  }

  /**
   * Visible records whose `field` is `value` now. Any op that set it is in `ops` (a withdrawn
   * changeset's are deleted), so the records with such an op are a superset: read only those.
   */
  referring(collection: string, field: string, value: string): RecordView[] {
    const ids = this.#stmt("SELECT DISTINCT record FROM ops WHERE collection = ? AND field = ? AND kind = ? AND value = ?").all(collection, field, OP_CODE.set, encodeValue(value)) as { record: string }[];
    const out: RecordView[] = [];
    for (const { record } of ids) {
      const view = this.record(collection, record);
      if (view !== undefined && view.fields[field] === value) out.push(view);
    }
    return out.sort(newestFirst);
  }

  /** Every visible record that has `field` now, by its value (string values only): one read for a whole flush's entries. */
  #grouped(collection: string, field: string): Map<string, RecordView[]> {
    const ids = this.#stmt("SELECT DISTINCT record FROM ops WHERE collection = ? AND field = ? AND kind = ?").all(collection, field, OP_CODE.set) as { record: string }[];
    const out = new Map<string, RecordView[]>();
    for (const { record } of ids) {
      const view = this.record(collection, record);
      const value = view?.fields[field];
      if (view === undefined || typeof value !== "string") continue;
      const list = out.get(value);
      if (list === undefined) out.set(value, [view]);
      else list.push(view);
    }
    for (const list of out.values()) list.sort(newestFirst);
    return out;
  }

  /** Writes the entries deferred by this flush, from the states it left. */
  #indexDeferred(appOf: (collection: string) => AppModule | undefined): void {
    if (this.#reindex.size === 0) return;
    const remove = this.#stmt("DELETE FROM search WHERE rowid = ?");
    const insert = this.#stmt("INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)");
    const one = this.#stmt("SELECT id, shown, state FROM records WHERE collection = ? AND record = ?");
    const every = this.#stmt("SELECT id, record, shown, state FROM records WHERE collection = ? AND shown = 1");
    for (const [collection, records] of this.#reindex) {
      const app = appOf(collection);
      // A change that moves "collection" moves the entries that read other records, and its own
      // flush's records: not every proposal's message again (the FTS rewrite is most of the cost).
      const rows =
        records.every || records.readers
          ? (every.all(collection) as (Stored & { record: string })[]).filter((r) => records.every || records.ids.has(r.record) || app?.searchReadsOthers?.(r.record) !== false)
          : [...records.ids].flatMap((record) => {
              const r = one.get(collection, record) as Stored | undefined;
              return r === undefined ? [] : [{ ...r, record }];
            });
      const context = this.#context(collection, rows.length > GROUP_REFERRING);
      for (const r of rows) {
        // A dependent the flush did not touch still has its old entry; a removed rowid is a no-op.
        remove.run(r.id);
        if (r.shown !== 1 || app === undefined) continue;
        const view = this.#view(collection, r.record, r.state);
        if (view === undefined) continue;
        const t = entryOf(app, view, context);
        insert.run(r.id, t.title, t.body);
      }
    }
    this.#reindex.clear();
  }

  /**
   * Writes every search entry again from the stored states, without folding: after a release
   * changed what an app indexes (the vault's search version).
   */
  reindex(appOf: (collection: string) => AppModule | undefined): void {
    this.#db.exec("DELETE FROM search;");
    for (const r of this.#db.prepare("SELECT DISTINCT collection FROM records WHERE shown = 1").all() as { collection: string }[]) this.#pendingEntries(r.collection).every = true;
    this.#indexDeferred(appOf);
  }

  /** The record a stored state shows; a state that does not parse is folded from the ops instead. */
  #view(collection: string, record: string, state: Buffer): RecordView | undefined {
    const rows = decodeState(state);
    if (rows !== undefined) return viewOf(collection, record, rows);
    const history = this.#stmt("SELECT field, kind, hlc, value FROM ops WHERE collection = ? AND record = ?").all(collection, record) as OpRow[];
    return viewOf(collection, record, foldState(history));
  }

  /** Rebuilds every record and the whole index from the ops (after a migration, or to repair). */
  rebuild(appOf: (collection: string) => AppModule | undefined): void {
    this.#db.exec("DELETE FROM records; DELETE FROM search;");
    for (const r of this.#db.prepare("SELECT DISTINCT collection, record FROM ops").all() as { collection: string; record: string }[]) this.#pending(r.collection).set(r.record, "refold");
    this.flush(appOf);
  }

  record(collection: string, id: string): RecordView | undefined {
    const row = this.#stmt("SELECT state FROM records WHERE collection = ? AND record = ? AND shown = 1").get(collection, id) as { state: Buffer } | undefined;
    return row === undefined ? undefined : this.#view(collection, id, row.state);
  }

  /** Every visible record of a collection, newest first. */
  records(collection: string): RecordView[] {
    const rows = this.#stmt("SELECT record, state FROM records WHERE collection = ? AND shown = 1 ORDER BY updated DESC, record").all(collection) as { record: string; state: Buffer }[];
    return rows.flatMap((r) => this.#view(collection, r.record, r.state) ?? []);
  }

  /**
   * Visible records `offset` to `offset + limit` of a collection in the order `records` lists
   * them (newest first): a screen reads the rows it shows, not the whole collection. The
   * (collection, shown, updated) index walks to the page; skipping costs index steps only.
   */
  recordsPage(collection: string, offset: number, limit: number): RecordView[] {
    const rows = this.#stmt("SELECT record, state FROM records WHERE collection = ? AND shown = 1 ORDER BY updated DESC, record LIMIT ? OFFSET ?").all(collection, limit, offset) as { record: string; state: Buffer }[];
    return rows.flatMap((r) => this.#view(collection, r.record, r.state) ?? []);
  }

  /** Where visible record `id` stands in `records`' order (0 = newest), undefined when it is not shown. */
  position(collection: string, id: string): number | undefined {
    const row = this.#stmt("SELECT updated FROM records WHERE collection = ? AND record = ? AND shown = 1").get(collection, id) as { updated: number } | undefined;
    if (row === undefined) return undefined;
    return (this.#stmt("SELECT count(*) AS n FROM records WHERE collection = ? AND shown = 1 AND (updated > ? OR (updated = ? AND record < ?))").get(collection, row.updated, row.updated, id) as { n: number }).n;
  }

  /** Record ids of a collection that start with `prefix` (at most `limit`). */
  idsStartingWith(collection: string, prefix: string, limit: number): string[] {
    const rows = this.#stmt("SELECT record FROM records WHERE collection = ? AND record >= ? AND record < ? AND shown = 1 ORDER BY record LIMIT ?").all(collection, prefix, `${prefix}\uffff`, limit) as { record: string }[];
    return rows.map((r) => r.record).filter((r) => r.startsWith(prefix));
  }

  /**
   * What a compaction snapshot of `collection` holds at `frontier` (per device hex, the last seq
   * covered): the visible rows of every record, from the ops of applied changesets within it.
   */
  snapshotRows(collection: string, frontier: ReadonlyMap<string, number>): (OpRow & { record: string })[] {
    const rows = this.#stmt("SELECT o.record, o.field, o.kind, o.hlc, o.value, c.device, c.seq FROM ops o JOIN changesets c ON c.id = o.cs WHERE o.collection = ? AND c.status = 'applied' ORDER BY o.record").all(collection) as (OpRow & { record: string; device: Buffer; seq: number })[];
    const out: (OpRow & { record: string })[] = [];
    let start = 0;
    const within = rows.filter((r) => r.seq <= (frontier.get(r.device.toString("hex")) ?? 0));
    for (let i = 1; i <= within.length; i++) {
      if (i < within.length && within[i]!.record === within[start]!.record) continue;
      const record = within[start]!.record;
      for (const v of visibleRows(within.slice(start, i))) out.push({ record, field: v.field, kind: v.kind, hlc: v.hlc, value: v.value });
      start = i;
    }
    return out;
  }

  count(collection: string): number {
    return (this.#stmt("SELECT count(*) AS n FROM records WHERE collection = ? AND shown = 1").get(collection) as { n: number }).n;
  }

  /**
   * Records of the given collections matching every word of `query` (as prefixes), best first.
   * Only `collections` are searched: the caller passes those its user may read now.
   */
  search(query: string, collections: readonly string[], limit: number, options: { everything?: boolean } = {}): SearchHit[] {
    const match = ftsQuery(query);
    if (match === undefined || collections.length === 0) return [];
    // Reading every collection (owners, most admins): rank in the index alone, join only the winners.
    const rows = (
      options.everything === true
        ? this.#stmt(
            "SELECT r.collection, r.record, r.state FROM (SELECT rowid, rank FROM search WHERE search MATCH ? ORDER BY rank LIMIT ?) s JOIN records r ON r.id = s.rowid ORDER BY s.rank, r.updated DESC",
          ).all(match, limit)
        : this.#stmt(
            "SELECT r.collection, r.record, r.state FROM search s JOIN records r ON r.id = s.rowid " +
              "WHERE search MATCH ? AND r.collection IN (SELECT value FROM json_each(?)) ORDER BY s.rank, r.updated DESC LIMIT ?",
          ).all(match, JSON.stringify(collections), limit)
    ) as { collection: string; record: string; state: Buffer }[];
    return rows.flatMap((r) => {
      const view = this.#view(r.collection, r.record, r.state);
      return view === undefined ? [] : [{ collection: r.collection, id: r.record, view }];
    });
  }

  /** Every value a field was ever set to in applied changesets, oldest first (history of a password). */
  fieldHistory(collection: string, record: string, field: string): FieldVersion[] {
    // DISTINCT: a compaction snapshot restates ops this vault already holds.
    const rows = this.#stmt("SELECT DISTINCT hlc, value FROM ops WHERE collection = ? AND record = ? AND field = ? AND kind = ? ORDER BY hlc, value").all(collection, record, field, OP_CODE.set) as { hlc: Buffer; value: Buffer }[];
    return rows.map((r) => ({ value: decodeStoredValue(r.value), ...writtenAt(r.hlc) }));
  }

  /**
   * Every addition to and removal from a set field in applied changesets, oldest first: a removal
   * names the values whose additions it took away (history of a login's URLs or custom fields).
   */
  setHistory(collection: string, record: string, field: string): SetChange[] {
    // DISTINCT: a compaction snapshot restates ops this vault already holds.
    const rows = this.#stmt("SELECT DISTINCT kind, hlc, value FROM ops WHERE collection = ? AND record = ? AND field = ? AND kind IN (?, ?) ORDER BY hlc, value").all(collection, record, field, OP_CODE.add, OP_CODE.remove) as { kind: number; hlc: Buffer; value: Buffer }[];
    const added = new Map<string, Buffer>();
    for (const r of rows) if (r.kind === OP_CODE.add) added.set(r.hlc.toString("hex"), r.value);
    const out: SetChange[] = [];
    for (const r of rows) {
      const at = writtenAt(r.hlc);
      if (r.kind === OP_CODE.add) {
        out.push({ change: "added", value: decodeStoredValue(r.value), ...at });
        continue;
      }
      const tags = decodeStoredValue(r.value);
      if (!(tags instanceof Uint8Array)) continue;
      // One line per value: a removal names every addition of it its author had seen.
      const values = new Map<string, Buffer>();
      for (const tag of splitTags(tags)) {
        const value = added.get(Buffer.from(tag).toString("hex"));
        if (value !== undefined) values.set(value.toString("hex"), value);
      }
      for (const value of values.values()) out.push({ change: "removed", value: decodeStoredValue(value), ...at });
    }
    return out;
  }

  /**
   * The tags (HLCs) of the additions of `value` to a set that this vault has seen and no removal
   * took away yet: what a removal of `value` names, so additions it never saw survive it.
   */
  observedTags(collection: string, record: string, field: string, value: Value): Uint8Array {
    const rows = this.#stmt("SELECT kind, hlc, value FROM ops WHERE collection = ? AND record = ? AND field = ? AND kind IN (?, ?)").all(collection, record, field, OP_CODE.add, OP_CODE.remove) as { kind: number; hlc: Buffer; value: Buffer }[];
    const want = Buffer.from(encodeValue(value));
    const removed = new Set<string>();
    for (const r of rows) if (r.kind === OP_CODE.remove) for (let i = 5; i + HLC_BYTES <= r.value.length; i += HLC_BYTES) removed.add(r.value.subarray(i, i + HLC_BYTES).toString("hex"));
    const tags = new Map<string, Buffer>();
    for (const r of rows) if (r.kind === OP_CODE.add && r.value.equals(want) && !removed.has(r.hlc.toString("hex"))) tags.set(r.hlc.toString("hex"), r.hlc);
    return Buffer.concat([...tags.values()]);
  }
}
