/**
 * The courier's spool: a SQLite file of opaque bundles, keyed by their SHA-256 (hex), waiting
 * to go out to the network ('outbound') or in to the vault ('inbound'). The courier holds no
 * content keys; a row records only what the cleartext header shows anyone (mailbox tag,
 * length) plus delivery bookkeeping.
 *
 * Invariants: every stored bundle passed inspectBundle and is at most maxBundleBytes; a digest
 * is stored once (the first direction wins); a row is inserted whole in one statement inside
 * one transaction (WAL, synchronous=FULL), so it is never half-stored; attempts only grow.
 * At rest: the file, its -wal and -shm are 0600; deleted rows are zeroed (secure_delete) and the
 * WAL is checkpointed and truncated after an expiry, so what expired is not recoverable from disk.
 */
import { createHash } from "node:crypto";
import { chmodSync, closeSync, constants, lstatSync, openSync, type Stats } from "node:fs";
import { inspectBundle, toHex } from "@airlock/bundle-format";
import { AirlockError, errnoCode } from "@airlock/shared";
import { BatchStore } from "./batches.js";
import { Ledger, type TrafficShape } from "./ledger.js";
import { applyMigrations } from "./schema.js";
import { openSqlite, type SqliteDatabase, type Statement } from "./sqlite.js";

export type BundleDigest = string & { readonly __brand: "BundleDigest" };
export type SpoolDirection = "outbound" | "inbound";
export type SpoolState = "pending" | "delivered" | "failed";
/** How an inbound bundle was last handed to the offline side: shown as QR (terminal, images, page) or written to a stick. */
export type HandoffVia = "qr" | "usb";
export const DIRECTIONS: readonly SpoolDirection[] = ["outbound", "inbound"];
export const STATES: readonly SpoolState[] = ["pending", "delivered", "failed"];
export const DEFAULT_MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
const MAX_ERROR_CHARS = 1000;

export interface SpoolOptions {
  /** Refuse (SPOOL_TOO_LARGE) bundles above this many bytes (default 64 MiB). */
  readonly maxBundleBytes?: number;
  /** Milliseconds since the epoch; injected for tests. */
  readonly now?: () => number;
}

export interface SpoolEntry {
  readonly digest: BundleDigest;
  readonly direction: SpoolDirection;
  readonly mailboxTag: string;
  readonly length: number;
  readonly firstSeen: number;
  readonly state: SpoolState;
  readonly attempts: number;
  readonly lastError: string | undefined;
  /** The served team the courier matched the bundle's tag to (64 hex digits), if any. */
  readonly team: string | undefined;
  /** Inbound: when it was last shown or written for the vault (ms), how, and how many times; still pending until a receipt. */
  readonly handedAt: number | undefined;
  readonly handedVia: HandoffVia | undefined;
  readonly handedCount: number;
}

/** What one receipt's ids did to a team's inbound bundles (Spool.confirmReceipt). */
export interface ReceiptMatch {
  /** Pending (or failed) until now, delivered by this receipt. */
  readonly confirmed: BundleDigest[];
  /** Delivered before: a replayed receipt, or one listing what another receipt or --mark-delivered already marked. */
  readonly already: BundleDigest[];
  /** Ids naming none of the team's inbound bundles (another courier's, or expired here). */
  readonly unknown: string[];
  /** Ids naming two of them (a 2^-64 coincidence per pair, or bundles minted to collide): neither is marked. */
  readonly ambiguous: string[];
  /**
   * Ids naming a bundle this courier never handed over (another courier brought it to that vault,
   * or another vault shares the stick), or one that arrived after the rotation when the receipt
   * was made with a draining earlier key: left as they were, for this courier's own delivery.
   */
  readonly notHanded: BundleDigest[];
}

/** Limits on what a receipt may mark (Spool.confirmReceipt). */
export interface ReceiptScope {
  /**
   * Only bundles first seen before this moment (ms): a receipt made with a draining earlier
   * generation's key marks only what arrived before this courier adopted the newer one
   * (docs/receipts.md, "Keys"), so whoever still holds the old key cannot settle newer bundles.
   */
  readonly arrivedBefore?: number;
}
export interface PutOptions {
  /** The served team whose transport key matched the tag (64 lowercase hex digits). */
  readonly team?: string;
  /** With `team`: a new bundle's shape is remembered for cover (Ledger.recordShapes), in the same transaction. */
  readonly shape?: TrafficShape;
}

export interface PutResult {
  readonly digest: BundleDigest;
  /** False when this digest was already spooled (in either direction); nothing was changed. */
  readonly isNew: boolean;
  readonly entry: SpoolEntry;
}

export type SpoolCounts = Record<SpoolDirection, Record<SpoolState, number>>;

const SPOOL_HINTS = {
  SPOOL_TOO_LARGE: "the bundle is larger than the spool allows; raise the limit only if you trust where it came from",
  SPOOL_NOT_FOUND: "no bundle with that digest is spooled; it may have expired (see `airlock-courier status`)",
  SPOOL_BAD_DIGEST: "a bundle digest is 64 lowercase hex digits",
  SPOOL_OPEN: "the spool file cannot be opened as a spool; check the path and permissions, or move the file aside",
} as const;

function spoolError(code: keyof typeof SPOOL_HINTS, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: SPOOL_HINTS[code], cause });
}

export function isBundleDigest(value: unknown): value is BundleDigest {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

function checkDigest(value: unknown): BundleDigest {
  if (!isBundleDigest(value)) throw spoolError("SPOOL_BAD_DIGEST", `${JSON.stringify(String(value).slice(0, 80))} is not a bundle digest`);
  return value;
}

interface Row {
  digest: string;
  direction: SpoolDirection;
  mailbox_tag: string;
  length: number;
  first_seen: number;
  state: SpoolState;
  attempts: number;
  last_error: string | null;
  team: string | null;
  handed_at: number | null;
  handed_via: HandoffVia | null;
  handed_count: number;
}

const COLUMNS = "digest, direction, mailbox_tag, length, first_seen, state, attempts, last_error, team, handed_at, handed_via, handed_count";
const INSERT = `INSERT INTO bundles (digest, direction, mailbox_tag, length, first_seen, bundle, team, arrival)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`;

const toEntry = (r: Row): SpoolEntry => ({
  digest: r.digest as BundleDigest,
  direction: r.direction,
  mailboxTag: r.mailbox_tag,
  length: r.length,
  firstSeen: r.first_seen,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error ?? undefined,
  team: r.team ?? undefined,
  handedAt: r.handed_at ?? undefined,
  handedVia: r.handed_via ?? undefined,
  handedCount: r.handed_count,
});

function checkTeam(team: unknown): string | null {
  if (team === undefined) return null;
  if (typeof team !== "string" || !/^[0-9a-f]{64}$/.test(team)) throw new TypeError("team must be 64 lowercase hex digits");
  return team;
}

/**
 * The spool file and its -wal and -shm companions are 0600, created so and tightened if an older
 * courier (or a copy) left them readable by others: they hold bundles, digests and tags. SQLite
 * creates -wal and -shm with the database file's mode, so a 0600 database keeps them 0600.
 */
function restrictSpoolFiles(path: string): void {
  closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let info: Stats;
    try {
      info = lstatSync(file);
    } catch (e) {
      if (errnoCode(e) === "ENOENT") continue;
      throw e;
    }
    if (info.isFile() && (info.mode & 0o777) !== 0o600) chmodSync(file, 0o600);
  }
}

export class Spool {
  readonly maxBundleBytes: number;
  readonly #db: SqliteDatabase;
  readonly #now: () => number;
  #hasStatement: Statement | undefined;
  #unknownStatement: Statement | undefined;
  /** The courier's bookkeeping (cursors, sync results, counters) in the same file. */
  readonly ledger: Ledger;
  /** Outbound batches, built once and pushed identically (docs/transport-key.md, "Batches"). */
  readonly batches: BatchStore;

  private constructor(db: SqliteDatabase, options: SpoolOptions) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.maxBundleBytes = options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
    this.ledger = new Ledger(db, this.#now);
    this.batches = new BatchStore(db, this.#now);
  }

  /** Opens (creating if needed) the spool at `path` and brings its schema up to date. */
  static open(path: string, options: SpoolOptions = {}): Spool {
    const max = options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxBundleBytes must be a positive integer, got ${max}`);
    let db: SqliteDatabase | undefined;
    try {
      restrictSpoolFiles(path);
      db = openSqlite(path);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL"); // a bundle acknowledged as spooled survives power loss
      // Deleted rows (expired bundles, digests, tags) are overwritten with zeros, not left in free pages.
      db.pragma("secure_delete = ON");
      applyMigrations(db);
      restrictSpoolFiles(path); // -wal and -shm exist now
      return new Spool(db, options);
    } catch (e) {
      db?.close();
      if (e instanceof AirlockError) throw e;
      throw spoolError("SPOOL_OPEN", `cannot open the spool ${path}: ${(e as Error).message}`, e);
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /**
   * Spools `bundle` for `direction`. Refuses oversize input (SPOOL_TOO_LARGE) before hashing or
   * parsing it, and non-bundles with the BundleError from inspectBundle (its code, message and
   * hint unchanged). Dedupes by digest: a known digest returns isNew false and changes nothing.
   */
  put(bundle: Uint8Array, direction: SpoolDirection, options: PutOptions = {}): PutResult {
    return this.putMany([{ bundle, direction, ...options }])[0]!;
  }

  /**
   * put() for many bundles in one transaction (one fsync), for a USB stick's worth at once.
   * Every bundle is checked before anything is written: one bad bundle stores none.
   */
  putMany(items: readonly ({ bundle: Uint8Array; direction: SpoolDirection } & PutOptions)[], options: { arrival?: number } = {}): PutResult[] {
    const rows = items.map(({ bundle, direction, team, shape }) => {
      if (!(bundle instanceof Uint8Array)) throw new TypeError('"bundle" must be a Uint8Array');
      if (!DIRECTIONS.includes(direction)) throw new TypeError(`direction must be "outbound" or "inbound", got ${String(direction)}`);
      if (bundle.length > this.maxBundleBytes) {
        throw spoolError("SPOOL_TOO_LARGE", `the bundle is ${bundle.length} bytes; the spool takes at most ${this.maxBundleBytes}`);
      }
      const header = inspectBundle(bundle, this.maxBundleBytes);
      const digest = createHash("sha256").update(bundle).digest("hex") as BundleDigest;
      return { digest, direction, tag: toHex(header.mailboxTag), bundle, team: checkTeam(team), shape };
    });
    const statement = this.#db.prepare(INSERT);
    const insert = this.#db.transaction((): boolean[] => {
      // The outbound bundles of one arrival (one call, unless the caller names one) are batched together (BatchStore.nextReal).
      const arrival = options.arrival ?? (rows.some((r) => r.direction === "outbound") ? this.nextArrival() : null);
      const fresh = rows.map((r) => statement.run(r.digest, r.direction, r.tag, r.bundle.length, this.#now(), r.bundle, r.team, r.direction === "outbound" ? arrival : null).changes === 1);
      // One transaction, one fsync, for a stick's bundles and their shapes.
      this.ledger.recordShapes(rows.flatMap((r, i) => (fresh[i] && r.team !== null && r.shape !== undefined ? [{ team: r.team, shape: r.shape }] : [])));
      return fresh;
    });
    const fresh = insert.immediate();
    const select = this.#db.prepare(`SELECT ${COLUMNS} FROM bundles WHERE digest = ?`);
    return rows.map((r, i) => ({ digest: r.digest, isNew: fresh[i]!, entry: toEntry(select.get(r.digest) as Row) }));
  }

  /** A fresh arrival number, for outbound bundles ingested together (putMany's `arrival`). */
  nextArrival(): number {
    return (this.#db.prepare("SELECT coalesce(max(arrival), 0) + 1 AS a FROM bundles WHERE arrival IS NOT NULL").get() as { a: number }).a;
  }

  /** Metadata of one bundle, without its bytes. */
  entry(digest: string): SpoolEntry | undefined {
    const row = this.#db.prepare(`SELECT ${COLUMNS} FROM bundles WHERE digest = ?`).get(checkDigest(digest)) as Row | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  has(digest: string): boolean {
    // Prepared once: a pull asks this for every listed name.
    this.#hasStatement ??= this.#db.prepare("SELECT 1 FROM bundles WHERE digest = ?");
    return this.#hasStatement.get(checkDigest(digest)) !== undefined;
  }

  /**
   * The digests of `digests` this courier knows nothing of: not spooled, not judged before (the
   * ledger's seen set), not in one of its own batches. One query for a whole listing.
   */
  unknown(digests: readonly string[]): string[] {
    if (digests.length === 0) return [];
    this.#unknownStatement ??= this.#db.prepare(
      `SELECT value AS digest FROM json_each(?) AS l
       WHERE NOT EXISTS (SELECT 1 FROM bundles WHERE digest = l.value)
         AND NOT EXISTS (SELECT 1 FROM seen WHERE digest = l.value)
         AND NOT EXISTS (SELECT 1 FROM batch_items WHERE digest = l.value)
       ORDER BY l.key`,
    );
    return (this.#unknownStatement.all(JSON.stringify(digests)) as { digest: string }[]).map((r) => r.digest);
  }

  /** The bundle's bytes, or undefined. The stored length is checked before the blob is read. */
  get(digest: string): Uint8Array | undefined {
    const checked = checkDigest(digest);
    const meta = this.#db.prepare("SELECT length FROM bundles WHERE digest = ?").get(checked) as { length: number } | undefined;
    if (meta === undefined) return undefined;
    if (meta.length > this.maxBundleBytes) {
      throw spoolError("SPOOL_TOO_LARGE", `bundle ${checked} is ${meta.length} bytes; this spool now reads at most ${this.maxBundleBytes}`);
    }
    const row = this.#db.prepare("SELECT bundle FROM bundles WHERE digest = ?").get(checked) as { bundle: Buffer } | undefined;
    return row === undefined ? undefined : new Uint8Array(row.bundle.buffer, row.bundle.byteOffset, row.bundle.byteLength);
  }

  /** Oldest first. */
  list(filter: { direction?: SpoolDirection; state?: SpoolState; states?: readonly SpoolState[]; team?: string; limit?: number } = {}): SpoolEntry[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.team !== undefined) {
      where.push("team = ?");
      params.push(checkTeam(filter.team));
    }
    if (filter.states !== undefined) {
      for (const s of filter.states) if (!STATES.includes(s)) throw new TypeError(`unknown state ${String(s)}`);
      where.push(filter.states.length === 0 ? "0" : `state IN (${filter.states.map(() => "?").join(", ")})`);
      params.push(...filter.states);
    }
    if (filter.direction !== undefined) {
      if (!DIRECTIONS.includes(filter.direction)) throw new TypeError(`unknown direction ${String(filter.direction)}`);
      where.push("direction = ?");
      params.push(filter.direction);
    }
    if (filter.state !== undefined) {
      if (!STATES.includes(filter.state)) throw new TypeError(`unknown state ${String(filter.state)}`);
      where.push("state = ?");
      params.push(filter.state);
    }
    const limit = filter.limit ?? -1; // SQLite: a negative LIMIT means none
    if (!Number.isSafeInteger(limit) || (limit < 0 && filter.limit !== undefined)) throw new RangeError(`limit must be a non-negative integer`);
    const sql = `SELECT ${COLUMNS} FROM bundles ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY first_seen, digest LIMIT ?`;
    return (this.#db.prepare(sql).all(...params, limit) as Row[]).map(toEntry);
  }

  markDelivered(digest: string): void {
    this.#update(digest, "UPDATE bundles SET state = 'delivered', last_error = NULL WHERE digest = ?");
  }

  /**
   * Records that an inbound bundle was handed to the offline side `via` QR or a stick. It stays
   * pending until a receipt or --mark-delivered, no longer counted by undelivered() (the fetch
   * quota) but by awaiting() (bounded by trimAwaiting), and expires counted from now.
   */
  markHanded(digest: string, via: HandoffVia): void {
    if (via !== "qr" && via !== "usb") throw new TypeError(`via must be "qr" or "usb", got ${String(via)}`);
    this.#update(
      digest,
      "UPDATE bundles SET handed_at = ?, handed_via = ?, handed_count = handed_count + 1 WHERE direction = 'inbound' AND state IN ('pending', 'failed') AND digest = ?",
      this.#now(),
      via,
    );
  }

  /**
   * Marks delivered the inbound bundles of `team` a receipt names by the first 16 hex digits of
   * their digest (docs/receipts.md), in one transaction. Only bundles this courier handed over
   * (handed_at set) and within `scope` are marked: a receipt says what one vault holds, and the
   * team's other couriers spool the same bundles for other vaults. An id that names two bundles
   * marks neither.
   */
  confirmReceipt(team: string, ids: readonly string[], scope: ReceiptScope = {}): ReceiptMatch {
    const checkedTeam = checkTeam(team);
    for (const id of ids) if (typeof id !== "string" || !/^[0-9a-f]{16}$/.test(id)) throw new TypeError("a receipt id is 16 lowercase hex digits");
    const before = scope.arrivedBefore ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(before)) throw new RangeError("arrivedBefore must be an integer");
    // Hex digits sort below "g": the digests starting with `id` are exactly [id, id + "g"), a range of the primary key.
    const find = this.#db.prepare("SELECT digest, state, handed_at, first_seen FROM bundles WHERE team = ? AND direction = 'inbound' AND digest >= ? AND digest < ? LIMIT 2");
    const mark = this.#db.prepare("UPDATE bundles SET state = 'delivered', last_error = NULL WHERE digest = ?");
    const out: ReceiptMatch = { confirmed: [], already: [], unknown: [], ambiguous: [], notHanded: [] };
    this.#db.transaction(() => {
      for (const id of new Set(ids)) {
        const rows = find.all(checkedTeam, id, `${id}g`) as { digest: BundleDigest; state: SpoolState; handed_at: number | null; first_seen: number }[];
        const row = rows[0];
        if (row === undefined) out.unknown.push(id);
        else if (rows.length > 1) out.ambiguous.push(id);
        else if (row.state === "delivered") out.already.push(row.digest);
        else if (row.handed_at === null || row.first_seen >= before) out.notHanded.push(row.digest);
        else {
          mark.run(row.digest);
          out.confirmed.push(row.digest);
        }
      }
    }).immediate();
    return out;
  }

  /** Records a failed attempt; the bundle stays spooled for a retry (list({state: 'failed'})). */
  markFailed(digest: string, error: string): void {
    this.#update(digest, "UPDATE bundles SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE digest = ?", String(error).slice(0, MAX_ERROR_CHARS));
  }

  /**
   * Retention: removes bundles first seen more than `olderThanMs` ago (in any state unless
   * `states` narrows it). Returns how many were removed.
   */
  expire(options: { olderThanMs: number; states?: readonly SpoolState[] }): number {
    if (!Number.isSafeInteger(options.olderThanMs) || options.olderThanMs < 0) throw new RangeError("olderThanMs must be a non-negative integer");
    const states = options.states ?? STATES;
    if (states.length === 0) return 0;
    for (const s of states) if (!STATES.includes(s)) throw new TypeError(`unknown state ${String(s)}`);
    const cutoff = this.#now() - options.olderThanMs;
    const sql = `DELETE FROM bundles WHERE first_seen < ? AND state IN (${states.map(() => "?").join(", ")})`;
    const removed = this.#db.prepare(sql).run(cutoff, ...states).changes;
    if (removed > 0) this.checkpoint();
    return removed;
  }

  /**
   * Inbound bundles of `team` never handed to the offline side (pending or failed): what the
   * fetch quota counts. Handed bundles awaiting a receipt are bounded apart (awaiting,
   * trimAwaiting): a vault that never returns receipts must not stop fetching for good.
   */
  undelivered(team: string): { bundles: number; bytes: number } {
    const row = this.#db
      .prepare("SELECT count(*) AS n, coalesce(sum(length), 0) AS bytes FROM bundles WHERE team = ? AND direction = 'inbound' AND state IN ('pending', 'failed') AND handed_at IS NULL")
      .get(checkTeam(team)) as { n: number; bytes: number };
    return { bundles: row.n, bytes: row.bytes };
  }

  /** Inbound bundles of `team` handed over and awaiting a receipt: how many, their bytes, and since when (the oldest last handing, ms). */
  awaiting(team: string): { bundles: number; bytes: number; since: number | undefined } {
    const row = this.#db
      .prepare("SELECT count(*) AS n, coalesce(sum(length), 0) AS bytes, min(handed_at) AS since FROM bundles WHERE team = ? AND direction = 'inbound' AND state IN ('pending', 'failed') AND handed_at IS NOT NULL")
      .get(checkTeam(team)) as { n: number; bytes: number; since: number | null };
    return { bundles: row.n, bytes: row.bytes, since: row.since ?? undefined };
  }

  /**
   * Keeps at most `max` bundles and bytes of `team` awaiting a receipt: the longest-handed go
   * first, counted as expired awaiting-receipt. A holder of the transport key can mint bundles
   * that pass the fetch quota as soon as they are handed over; this keeps them bounded too.
   * Returns how many were dropped.
   */
  trimAwaiting(team: string, max: { bundles: number; bytes: number }): number {
    const checked = checkTeam(team)!;
    const rows = this.#db
      .prepare("SELECT digest, length FROM bundles WHERE team = ? AND direction = 'inbound' AND state IN ('pending', 'failed') AND handed_at IS NOT NULL ORDER BY handed_at DESC, digest")
      .all(checked) as { digest: string; length: number }[];
    let bundles = 0;
    let bytes = 0;
    const drop = rows.filter((r) => {
      bundles++;
      bytes += r.length;
      return bundles > max.bundles || bytes > max.bytes;
    });
    if (drop.length === 0) return 0;
    const del = this.#db.prepare("DELETE FROM bundles WHERE digest = ?");
    this.#db.transaction(() => {
      for (const r of drop) del.run(r.digest);
      this.ledger.count(checked, "expired", "awaiting-receipt", drop.length);
    }).immediate();
    this.checkpoint();
    return drop.length;
  }

  /**
   * Drops inbound bundles of `team` nobody confirmed: never handed over and first seen more than
   * `olderThanMs` ago (nobody came for them, or they were forged to fill the spool), and handed
   * over more than `olderThanMs` ago with no receipt since (counted here, in the same
   * transaction, as expired awaiting-receipt). Returns how many never-handed ones were dropped.
   */
  expireUndelivered(team: string, olderThanMs: number): number {
    if (!Number.isSafeInteger(olderThanMs) || olderThanMs < 0) throw new RangeError("olderThanMs must be a non-negative integer");
    const checked = checkTeam(team)!;
    const cutoff = this.#now() - olderThanMs;
    const live = "team = ? AND direction = 'inbound' AND state IN ('pending', 'failed')";
    const { never, handed } = this.#db.transaction(() => {
      const n = this.#db.prepare(`DELETE FROM bundles WHERE ${live} AND handed_at IS NULL AND first_seen < ?`).run(checked, cutoff).changes;
      const h = this.#db.prepare(`DELETE FROM bundles WHERE ${live} AND handed_at IS NOT NULL AND handed_at < ?`).run(checked, cutoff).changes;
      if (h > 0) this.ledger.count(checked, "expired", "awaiting-receipt", h);
      return { never: n, handed: h };
    }).immediate();
    if (never + handed > 0) this.checkpoint();
    return never;
  }

  /** The connection's at-rest settings, for status and tests. */
  pragmas(): { journalMode: string; secureDelete: boolean } {
    return { journalMode: String(this.#db.pragma("journal_mode", { simple: true })), secureDelete: this.#db.pragma("secure_delete", { simple: true }) === 1 };
  }

  /**
   * Copies the WAL into the database file and truncates it. With secure_delete the file then
   * holds zeros where deleted rows were; until this runs, their old page images are still in
   * the WAL. Another process reading at the same moment makes it a partial checkpoint (no error).
   */
  checkpoint(): void {
    this.#db.pragma("wal_checkpoint(TRUNCATE)");
  }

  /** Bundles per direction and state, zeros included: what `status` shows. */
  counts(): SpoolCounts {
    const out = Object.fromEntries(DIRECTIONS.map((d) => [d, Object.fromEntries(STATES.map((s) => [s, 0]))])) as SpoolCounts;
    const rows = this.#db.prepare("SELECT direction, state, count(*) AS n FROM bundles GROUP BY direction, state").all() as {
      direction: SpoolDirection;
      state: SpoolState;
      n: number;
    }[];
    for (const r of rows) out[r.direction][r.state] = r.n;
    return out;
  }

  /** counts() per served team (bundles spooled before teams were recorded are left out). */
  countsByTeam(): Record<string, SpoolCounts> {
    const out: Record<string, SpoolCounts> = {};
    const rows = this.#db
      .prepare("SELECT team, direction, state, count(*) AS n FROM bundles WHERE team IS NOT NULL GROUP BY team, direction, state")
      .all() as { team: string; direction: SpoolDirection; state: SpoolState; n: number }[];
    for (const r of rows) {
      out[r.team] ??= Object.fromEntries(DIRECTIONS.map((d) => [d, Object.fromEntries(STATES.map((s) => [s, 0]))])) as SpoolCounts;
      out[r.team]![r.direction][r.state] = r.n;
    }
    return out;
  }

  #update(digest: string, sql: string, ...before: unknown[]): void {
    const checked = checkDigest(digest);
    if (this.#db.prepare(sql).run(...before, checked).changes === 0) {
      throw spoolError("SPOOL_NOT_FOUND", `no bundle ${checked} in the spool`);
    }
  }
}
