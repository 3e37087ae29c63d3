/**
 * The courier: one home's spool, served teams and mailbox backends, wired together here.
 * Ingest takes bundles from the offline side; a sync round, for every team and each of its
 * mailboxes, pulls what is new from the namespaces of the epochs since its last good sync (at
 * least the current and the previous one), then pushes the round's batch into the current
 * epoch's namespace, then empties the namespaces that no courier lists any more
 * (docs/transport-key.md, "Where a bundle goes").
 *
 * A round's batch is exactly `sendPerRound` bundles: the real ones of one ingest (or none) and
 * cover, built by batch.ts as a deterministic function of those real bundles and the transport
 * key, stored in the spool whole, and put as the same names and bytes into every mailbox of the
 * team, again each round until every mailbox took it (at most MAX_OPEN_BATCHES wait at once).
 * So no mailbox, nor several comparing notes, nor a store watching a failed put retried, nor
 * two couriers of one export, can separate real from cover by size, slot count, order, timing
 * or by a name that comes back with new cover around it (docs/transport-key.md, "Batches").
 *
 * Pulls are bounded (docs/courier-spool-and-mailboxes.md, "Quotas"): at most fetchPerRound names
 * per mailbox and round, nothing past the team's inbound quota, a namespace listing far more
 * names than a team sends reported as hostile, undelivered inbound dropped after
 * inboundExpiryDays, and the seen set kept only as long as a listed namespace could name it.
 *
 * Invariants: a real outbound bundle stays pending (or failed) until every mailbox of its team
 * took the batch that holds it; a batch, once stored, is never changed, and is the only one
 * that real bundle is ever put in; a cover bundle's shape is one a real bundle of the team had
 * (ingested of any size, pulled only up to the largest configured bucket size; before the
 * courier saw any, one of the team's configured bucket sizes); nothing pulled
 * is stored unless it hashes to its name, parses, carries a served team's real tag and fits the
 * quota; a list cursor advances only after every name it covers was handled, so a failed,
 * capped or misbehaving store costs a re-listing, never a bundle.
 */
import { createHash, randomInt } from "node:crypto";
import { inspectBundle, type BundleHeader } from "@airlock/bundle-format";
import { AirlockError, describeError, isAirlockError, MAILBOX_PRUNE_AGE, MAILBOX_PULL_BACK, type TransportKey } from "@airlock/shared";
import { courierError } from "../errors.js";
import type { CourierHome } from "../home/paths.js";
import { requireHome, restrictHome } from "../home/paths.js";
import { HOSTILE_LISTING_FACTOR, loadTeams, quotasOf, retiredKeysOf, transportKeyOf, type TeamConfig, type TeamId } from "../home/teams.js";
import { looksLikeEnrollment, takeEnrollment } from "../home/enrollment.js";
import { MAILBOX_SUFFIX, type MailboxBackend } from "../mailbox/backend.js";
import { abortError, checkDeadlineMs, deadlineSignal, raceAbort, throwIfAborted } from "../mailbox/deadline.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { mailboxKind, openMailbox, redactUrl, type OpenMailboxOptions } from "../mailbox/open.js";
import type { SeenOutcome, TrafficShape } from "../spool/ledger.js";
import { Spool } from "../spool/spool.js";
import { batchKeyOf, buildBatch, type RealBundle } from "./batch.js";
import { classifyBundle, slotTierOf, type KeyedTeam, type Verdict } from "./classify.js";

export interface ServedTeam extends KeyedTeam {
  readonly config: TeamConfig;
  readonly tk: TransportKey;
  /** Seeds the team's batches (batch.ts); derived from the transport key, wiped on close. */
  readonly batchKey: Uint8Array;
  /**
   * Keys of the team's earlier generations (docs/transport-key.md, "Generations"): until
   * drainUntil their tags are accepted and their namespaces listed, until pruneUntil their old
   * namespaces are emptied; never used to put.
   */
  readonly retired: readonly { readonly generation: number; readonly tk: TransportKey; readonly drainUntil: number; readonly pruneUntil: number }[];
}

export interface CourierOptions {
  /** Milliseconds since the Unix epoch; injected by tests to cross epoch boundaries. */
  readonly now?: () => number;
  readonly mailbox?: OpenMailboxOptions;
  /** Overrides how URLs become backends (tests wrap backends in misbehaving ones). */
  readonly openBackend?: (url: string, ns: { namespace: string; token: string }) => MailboxBackend;
  readonly maxBundleBytes?: number;
  /** Pulls between full listings that ignore the saved cursor (recovers names a store omitted). */
  readonly fullListEvery?: number;
  /**
   * How long a *delivered* bundle stays in the spool (default 30 days). Pending and failed
   * outbound ones never expire: a bundle is never lost (undelivered inbound ones go after the
   * team's inboundExpiryDays quota). 30 days is twice the tag window (14 epochs back), so a
   * bundle expired here is refused by its tag if a mailbox still offers it (docs/operations.md).
   */
  readonly retentionMs?: number;
  /** Epochs before the newest expired namespace where a courier that never pruned starts (default PRUNE_LOOKBACK). */
  readonly pruneLookback?: number;
  /**
   * Total time one mailbox gets in one round, retries included (default 10 min). Past it the
   * mailbox's calls are aborted and it is reported as MAILBOX_TIMEOUT; the others are not held up.
   */
  readonly mailboxDeadlineMs?: number;
}

export interface RoundOptions {
  /** true = try that mailbox again (after a backoff); runs within the mailbox's deadline. */
  readonly retry?: (attempt: number, error: unknown) => Promise<boolean>;
  /** Aborts every mailbox call in flight (SIGTERM); the round then ends with them reported as MAILBOX_ABORTED. */
  readonly signal?: AbortSignal;
}

export const DEFAULT_RETENTION_MS = 30 * 86_400_000;
export const DEFAULT_MAILBOX_DEADLINE_MS = 10 * 60_000;

export type IngestOutcome =
  | { readonly outcome: "spooled" | "duplicate"; readonly digest: string; readonly team: TeamId }
  /** An enrollment from an admin's export: a later generation adopted, or one already held. */
  | { readonly outcome: "enrollment"; readonly team: TeamId; readonly generation: number; readonly adopted: boolean }
  /** An enrollment sealed to another courier of the team (the admin's stick carries one per courier): left alone. */
  | { readonly outcome: "not-for-me" }
  | { readonly outcome: "cover"; readonly team: TeamId }
  | { readonly outcome: "refused"; readonly code: string; readonly reason: string };

export interface PushReport {
  readonly real: number;
  readonly cover: number;
  readonly failed: number;
}

export interface PullReport {
  listed: number;
  spooled: number;
  cover: number;
  refused: number;
  known: number;
  missing: number;
  /** Names left unfetched this round: the fetch cap (fetchPerRound) or the inbound quota stopped the pull. */
  deferred?: number;
  /** The largest namespace listing, when it was past the hostile limit (HOSTILE_LISTING_FACTOR x the inbound quota). */
  hostile?: number;
  /** True when the team's inbound quota stopped fetching. */
  overQuota?: boolean;
}

export interface PruneReport {
  /** Namespaces past MAILBOX_PRUNE_AGE emptied this round. */
  namespaces: number;
  /** Bundles deleted from them. */
  removed: number;
  /** What could not be deleted and is left for good (a folder too big to list, a non-file under a bundle's name). */
  skipped?: { code: string; message: string }[];
  /** Why pruning stopped this round; the next round resumes there. */
  error?: { code: string; message: string };
}

export interface BackendRoundReport {
  readonly team: TeamId;
  readonly teamName: string;
  readonly backend: string;
  readonly push?: PushReport;
  readonly pull?: PullReport;
  readonly prune?: PruneReport;
  readonly error?: { code: string; message: string };
}

const NO_TEAM = "-";
/** At most this many namespaces are pruned per team and mailbox in one round (a courier back after a long absence). */
const PRUNE_SPAN = 7;
/** How far before the newest expired namespace a courier that never pruned starts (about two months at one day per epoch). */
export const PRUNE_LOOKBACK = 60;
/** How long digests judged as cover or refused are remembered at most (the mailbox keeps bundles about as long). */
export const SEEN_RETENTION_MS = 30 * 86_400_000;
/** The seen set's hard bound, oldest forgotten first: beyond it a forgotten junk name costs a fetch again, within the fetch cap. */
export const SEEN_MAX = 100_000;
/** Batches of one team waiting for some mailbox at most; past it no new batch is built until they are taken. */
export const MAX_OPEN_BATCHES = 8;

/** A stored batch as a round pushes it; `pushedTo` grows as mailboxes take it. */
export interface OpenBatch {
  readonly id: number;
  readonly items: readonly { readonly digest: string; readonly cover: Uint8Array | undefined }[];
  readonly real: number;
  readonly pushedTo: Set<string>;
}

export class Courier {
  readonly home: CourierHome;
  readonly spool: Spool;
  #teams: ServedTeam[];
  readonly #now: () => number;
  readonly #options: CourierOptions;
  readonly #backends = new Map<string, MailboxBackend>();
  /**
   * What this courier ingests between two rounds is one arrival (one stick, one `ingest` run,
   * one scan), batched together and apart from what else waits: so couriers that ingest the same
   * export build the same batches around it (docs/transport-key.md, "Batches").
   */
  #arrival: number | undefined;

  private constructor(home: CourierHome, spool: Spool, teams: ServedTeam[], options: CourierOptions) {
    this.home = home;
    this.spool = spool;
    this.#teams = teams;
    this.#now = options.now ?? Date.now;
    this.#options = options;
  }

  get teams(): readonly ServedTeam[] {
    return this.#teams;
  }

  static open(home: CourierHome, options: CourierOptions = {}): Courier {
    requireHome(home);
    restrictHome(home);
    const now = (options.now ?? Date.now)();
    const teams = loadTeams(home).map((config) => servedTeam(config, now));
    const spool = Spool.open(home.spoolFile, { ...(options.now === undefined ? {} : { now: options.now }), ...(options.maxBundleBytes === undefined ? {} : { maxBundleBytes: options.maxBundleBytes }) });
    return new Courier(home, spool, teams, options);
  }

  close(): void {
    // Network backends pool keep-alive connections (tor streams over onion:); let them go now.
    for (const backend of this.#backends.values()) backend.close?.();
    this.#backends.clear();
    for (const t of this.teams) wipeServed(t);
    this.spool.close();
  }

  requireTeams(): void {
    if (this.teams.length === 0) throw courierError("COURIER_NO_TEAMS", `the courier in ${this.home.root} serves no team yet`);
  }

  /** One bundle from the offline side. Never throws for bad bytes: they are refused with a reason. */
  ingest(bytes: Uint8Array): IngestOutcome {
    return this.ingestMany([bytes])[0]!;
  }

  /** Many bundles, spooled in one transaction (one fsync). */
  ingestMany(items: readonly Uint8Array[]): IngestOutcome[] {
    // Enrollments first: bundles of the same export may already carry the generation they bring.
    const enrolled = new Map<number, IngestOutcome>();
    items.forEach((bytes, i) => {
      if (looksLikeEnrollment(bytes)) enrolled.set(i, this.#takeEnrollment(bytes));
    });
    if (enrolled.size > 0) {
      const rest = items.flatMap((b, i) => (enrolled.has(i) ? [] : [{ b, i }]));
      const outcomes = this.ingestMany(rest.map((r) => r.b));
      const byIndex = new Map(rest.map((r, k) => [r.i, outcomes[k]!]));
      return items.map((_, i) => enrolled.get(i) ?? byIndex.get(i)!);
    }
    const verdicts = items.map((bytes) => this.#classify(bytes));
    // Shapes are recorded at ingest, not at push: cover copies a shape from the moment the courier
    // holds such a bundle, so with a backlog the first bundle of a new size need not be the real one.
    const real = verdicts.flatMap((v, i) => (v.kind === "real" ? [{ bundle: items[i]!, direction: "outbound" as const, team: v.team, shape: shapeOf(v.header), i }] : []));
    if (real.length > 0) this.#arrival ??= this.spool.nextArrival();
    const results = this.spool.putMany(real, this.#arrival === undefined ? {} : { arrival: this.#arrival });
    const byIndex = new Map(real.map((r, k) => [r.i, results[k]!]));
    return verdicts.map((v, i): IngestOutcome => {
      if (v.kind === "real") {
        const put = byIndex.get(i)!;
        return { outcome: put.isNew ? "spooled" : "duplicate", digest: put.digest, team: v.team };
      }
      if (v.kind === "cover") {
        this.spool.ledger.count(v.team, "cover-dropped", "from-vault");
        return { outcome: "cover", team: v.team };
      }
      this.spool.ledger.count(v.team ?? NO_TEAM, "refused", v.code);
      return { outcome: "refused", code: v.code, reason: v.reason };
    });
  }

  /**
   * Push, pull, then prune namespaces no courier lists any more, for every team and each of its
   * mailboxes, all mailboxes at once: each under its own deadline, so a silent or trickling one
   * is reported as MAILBOX_TIMEOUT and holds up nobody. A failing mailbox is reported, not
   * thrown; a failed prune is reported and retried next round.
   */
  async round(options: RoundOptions = {}): Promise<BackendRoundReport[]> {
    this.requireTeams();
    this.#arrival = undefined;
    const deadlineMs = checkDeadlineMs("mailboxDeadlineMs", this.#options.mailboxDeadlineMs ?? DEFAULT_MAILBOX_DEADLINE_MS);
    // Per mailbox URL, the namespaces some served team still lists: their cursors and backends stay.
    const live = new Map<string, Set<string>>();
    const reports = await Promise.all(this.teams.map((team) => this.#teamRound(team, live, deadlineMs, options)));
    for (const [url, namespaces] of live) this.#forgetOthers(url, namespaces);
    // A name judged before the oldest namespace the next round lists began can only be in
    // namespaces nobody lists any more (a namespace is listed only from its own epoch on).
    const now = this.#now();
    const oldestListed = Math.min(
      now,
      ...this.teams.flatMap((t) => t.config.mailboxes.map((url) => this.#pullEpochs(t, this.spool.ledger.lastOk(t.id, redactUrl(url))).at(-1)! * t.tk.epochSeconds * 1000)),
    );
    const forgotten = this.spool.ledger.expireSeenBefore(Math.max(oldestListed, now - SEEN_RETENTION_MS), SEEN_MAX);
    let expired = 0;
    for (const team of this.teams) {
      const n = this.spool.expireUndelivered(team.id, quotasOf(team.config).inboundExpiryDays * 86_400_000);
      if (n > 0) this.spool.ledger.count(team.id, "expired", "inbound-undelivered", n);
      expired += n;
    }
    // expire() checkpoints the WAL when it removed bundles; forgotten digests need it as well.
    expired += this.spool.expire({ olderThanMs: this.#options.retentionMs ?? DEFAULT_RETENTION_MS, states: ["delivered"] });
    if (forgotten > 0 && expired === 0) this.spool.checkpoint();
    return reports.flat();
  }

  async #teamRound(team: ServedTeam, live: Map<string, Set<string>>, deadlineMs: number, options: RoundOptions): Promise<BackendRoundReport[]> {
    const failures = new Map<string, string>();
    // Loaded (and this round's new batch built) once, after the first pull taught a new
    // courier the team's shapes; the same stored bytes for every mailbox and every retry.
    let batches: OpenBatch[] | undefined;
    const batchesOnce = (): OpenBatch[] => (batches ??= this.#openBatches(team));
    // The team's undelivered inbound, shared by its mailboxes' pulls so together they stay under the quota.
    const inbound = this.spool.undelivered(team.id);
    const reports = await Promise.all(
      team.config.mailboxes.map(async (url) => {
        const backend = redactUrl(url);
        const epochs = this.#pullEpochs(team, this.spool.ledger.lastOk(team.id, backend));
        const keep = live.get(url) ?? new Set<string>();
        for (const e of epochs) keep.add(team.tk.mailboxId(e));
        for (const r of this.#draining(team)) for (const e of epochs) keep.add(r.tk.mailboxId(e));
        live.set(url, keep);
        const state: { push?: PushReport; pull?: PullReport } = {};
        const { signal, done } = deadlineSignal(deadlineMs, options.signal, `this round's work on ${backend}`);
        let report: BackendRoundReport;
        try {
          report = await raceAbort(this.#mailboxRound(team, url, epochs, batchesOnce, inbound, state, signal, options.retry), signal);
        } catch (e) {
          const { code, message } = describeError(e);
          this.spool.ledger.syncFailed(team.id, backend, `${code}: ${message}`);
          report = { team: team.id, teamName: team.config.name, backend, ...(state.push === undefined ? {} : { push: state.push }), error: { code, message } };
        } finally {
          done();
        }
        if (report.error !== undefined) failures.set(backend, `${backend}: ${report.error.message}`);
        return report;
      }),
    );
    // A batch every mailbox of the team took is done; the others wait, whole, for the next round.
    const mailboxes = team.config.mailboxes.map(redactUrl);
    if (batches === undefined && failures.size > 0) {
      // No mailbox got as far as pushing: what would have gone out is reported as failed all the same.
      const reason = [...failures.values()].join("; ");
      const stored = this.spool.batches.open(team.id).flatMap((b) => b.items.filter((i) => i.cover === undefined).map((i) => i.digest));
      for (const digest of [...stored, ...this.spool.batches.nextReal(team.id, team.config.sendPerRound)]) this.spool.markFailed(digest, reason);
    }
    for (const batch of batches ?? []) {
      const missing = mailboxes.filter((m) => !batch.pushedTo.has(m));
      const reals = batch.items.filter((i) => i.cover === undefined);
      if (missing.length === 0) this.spool.batches.close(batch.id);
      else {
        // Failed when a mailbox that lacks it failed this round; otherwise (built this round, say) still pending.
        const reason = missing.flatMap((m) => failures.get(m) ?? []).join("; ");
        if (reason !== "") for (const item of reals) this.spool.markFailed(item.digest, reason);
      }
    }
    return reports;
  }

  /**
   * The team's stored batches some mailbox of it has not taken, plus this round's new one when
   * a mailbox has taken all of them (and fewer than MAX_OPEN_BATCHES wait): the real bundles of
   * the oldest ingest not yet in a batch, at most sendPerRound of them in digest order, and
   * cover (batch.ts). Stored before any put. So a mailbox that failed is sent the very bytes it
   * failed to take, and a single mailbox gets one batch a round either way.
   */
  #openBatches(team: ServedTeam): OpenBatch[] {
    const size = team.config.sendPerRound;
    let stored = this.spool.batches.open(team.id);
    const someUpToDate = team.config.mailboxes.some((url) => stored.every((b) => b.pushedTo.has(redactUrl(url))));
    if (stored.length < MAX_OPEN_BATCHES && size > 0 && someUpToDate) {
      const real: RealBundle[] = [];
      const now = team.tk.epochAt(this.#now());
      for (const digest of this.spool.batches.nextReal(team.id, size)) {
        const bytes = this.spool.get(digest);
        if (bytes === undefined) continue; // pending bundles never expire; nothing to send if one did
        const verdict = this.#classify(bytes);
        // Spooled as the team's real bundle; if its tag aged out of the window meanwhile it still
        // goes (as it always did), its cover tagged for now.
        const header = verdict.kind === "real" ? verdict.header : inspectBundle(bytes, this.spool.maxBundleBytes);
        real.push({ digest, bytes, shape: shapeOf(header), epoch: verdict.kind === "real" ? verdict.epoch : now });
      }
      const built = buildBatch(team.tk, team.batchKey, size, real, {
        shapes: this.spool.ledger.shapes(team.id),
        bucketSizes: team.config.bucketSizes,
        realCounts: this.spool.batches.recentRealCounts(team.id),
        epoch: now,
      });
      this.spool.batches.save(team.id, built.map((b) => ({ digest: b.digest, cover: b.real ? undefined : b.bytes })));
      stored = this.spool.batches.open(team.id);
    }
    return stored.map((b) => ({ id: b.id, items: b.items, real: b.real, pushedTo: new Set(b.pushedTo) }));
  }

  /**
   * One mailbox's pull, push and prune with retries. Rejects only once `signal` aborted (the
   * caller reports that); any other failure is the returned report's error. Past an abort it
   * records nothing, in case a backend call it awaited could not be cancelled.
   */
  async #mailboxRound(
    team: ServedTeam,
    url: string,
    epochs: readonly number[],
    batchesOnce: () => OpenBatch[],
    inbound: { bundles: number; bytes: number },
    state: { push?: PushReport; pull?: PullReport },
    signal: AbortSignal,
    retry: RoundOptions["retry"],
  ): Promise<BackendRoundReport> {
    const backend = redactUrl(url);
    for (let attempt = 1; ; attempt++) {
      try {
        // Pulled first so a new courier learns the team's shapes before its first cover; a
        // failed pull does not hold back the push (it is retried, then reported).
        let pullError: unknown;
        if (state.pull === undefined) {
          try {
            state.pull = await this.#pullAll(team, url, epochs, signal, inbound);
          } catch (e) {
            pullError = e;
          }
        }
        throwIfAborted(signal);
        state.push ??= await this.#pushAll(team, url, batchesOnce(), signal);
        if (pullError !== undefined) throw pullError;
        throwIfAborted(signal);
        this.spool.ledger.syncSucceeded(team.id, backend);
        const prune = await this.prune(team, url, signal);
        throwIfAborted(signal);
        // Earlier generations' namespaces age out too; their prune marks are their own (a separate ledger key).
        for (const r of team.retired) await this.prune({ ...team, id: `${team.id}.g${r.generation}` as TeamId, tk: r.tk }, url, signal);
        throwIfAborted(signal);
        return { team: team.id, teamName: team.config.name, backend, push: state.push, pull: state.pull!, ...(prune === undefined ? {} : { prune }) };
      } catch (e) {
        if (signal.aborted) throw abortError(signal);
        const report = describeError(e);
        if (retry !== undefined && (await retry(attempt, e)) && !signal.aborted) continue;
        throwIfAborted(signal);
        this.spool.ledger.syncFailed(team.id, backend, `${report.code}: ${report.message}`);
        return { team: team.id, teamName: team.config.name, backend, ...(state.push === undefined ? {} : { push: state.push }), error: { code: report.code, message: report.message } };
      }
    }
  }

  /** The team's earlier generations still in their grace period. */
  #draining(team: ServedTeam): ServedTeam["retired"] {
    const now = this.#now();
    return team.retired.filter((r) => r.drainUntil > now);
  }

  /**
   * The pull of the newest generation's namespaces, then of those of earlier generations still in
   * their grace period (drained: what was put there before the rotation reached every courier).
   * A mailbox server that holds only the newest generation's key refuses the old tokens
   * (MAILBOX_AUTH): nothing is left to drain there, and the round goes on.
   */
  async #pullAll(team: ServedTeam, url: string, epochs: readonly number[], signal: AbortSignal, inbound: { bundles: number; bytes: number }): Promise<PullReport> {
    const report = await this.pull(team, url, epochs, signal, inbound);
    for (const r of this.#draining(team)) {
      let old: PullReport;
      try {
        old = await this.pull({ ...team, tk: r.tk }, url, epochs, signal, inbound);
      } catch (e) {
        if (isAirlockError(e, "MAILBOX_AUTH")) continue;
        throw e;
      }
      for (const k of ["listed", "spooled", "cover", "refused", "known", "missing"] as const) report[k] += old[k];
      if (old.deferred !== undefined) report.deferred = (report.deferred ?? 0) + old.deferred;
      if (old.overQuota === true) report.overQuota = true;
    }
    return report;
  }

  /**
   * The epochs whose namespaces a pull lists, newest first: back to the one before the last
   * good sync (a bundle put just before a boundary, or while this courier was off), never
   * further than MAILBOX_PULL_BACK, and the whole window for a courier that never synced.
   */
  #pullEpochs(team: ServedTeam, lastOk: number | undefined): number[] {
    const now = team.tk.epochAt(this.#now());
    const floor = now - MAILBOX_PULL_BACK;
    const oldest = Math.max(0, lastOk === undefined ? floor : Math.max(floor, Math.min(team.tk.epochAt(lastOk), now) - 1));
    const epochs: number[] = [];
    for (let e = now; e >= oldest; e--) epochs.push(e);
    return epochs;
  }

  /**
   * Deletes the bundles of namespaces MAILBOX_PRUNE_AGE or more epochs old, oldest first, at most
   * PRUNE_SPAN per round, resuming after the last one this courier emptied on this mailbox (the
   * spool's prune mark); a courier that never pruned starts `pruneLookback` epochs before the
   * newest expired one, so mailboxes filled before pruning existed are emptied too. A failure
   * stops the round's pruning and is reported; the mark stays, so the next round retries.
   * Stores that prune themselves (the HTTP mailbox) are left alone.
   */
  async prune(team: ServedTeam, url: string, signal?: AbortSignal): Promise<PruneReport | undefined> {
    const key = redactUrl(url);
    const newest = team.tk.epochAt(this.#now()) - MAILBOX_PRUNE_AGE;
    if (newest < 0) return undefined;
    const marked = this.spool.ledger.prunedThrough(team.id, key);
    const from = Math.max(0, marked === undefined ? newest - (this.#options.pruneLookback ?? PRUNE_LOOKBACK) : marked + 1);
    if (from > newest) return undefined;
    const to = Math.min(newest, from + PRUNE_SPAN - 1);
    const report: PruneReport = { namespaces: 0, removed: 0 };
    try {
      for (let e = from; e <= to; e++) {
        const backend = this.#backend(team, url, e);
        if (backend.prunedByStore === true) {
          this.spool.ledger.setPrunedThrough(team.id, key, newest);
          return undefined;
        }
        let names: readonly string[] = [];
        try {
          names = (await backend.list(undefined, { signal })).names;
        } catch (err) {
          // A namespace no retry can list (too many entries): reported, then passed over.
          if (!isAirlockError(err, "MAILBOX_TOO_MANY")) throw err;
          const { code, message } = describeError(err);
          report.skipped = [...(report.skipped ?? []), { code, message }];
        }
        for (const name of names) {
          try {
            await backend.delete(name, { signal });
            report.removed++;
          } catch (err) {
            // Something other than a bundle under a bundle's name: left for a person to look at.
            if (!isAirlockError(err, "MAILBOX_NOT_A_FILE")) throw err;
            const { code, message } = describeError(err);
            report.skipped = [...(report.skipped ?? []), { code, message }];
          }
        }
        throwIfAborted(signal);
        await backend.removeIfEmpty?.();
        report.namespaces++;
        this.spool.ledger.setPrunedThrough(team.id, key, e);
      }
    } catch (e) {
      const { code, message } = describeError(e);
      report.error = { code, message };
    } finally {
      for (let e = from; e <= to; e++) this.#dropBackend(url, team.tk.mailboxId(e));
    }
    return report;
  }

  /** Forgets list cursors and closes cached backends of namespaces no served team lists any more. */
  #forgetOthers(url: string, live: ReadonlySet<string>): void {
    this.spool.ledger.forgetCursors(redactUrl(url), [...live]);
    for (const key of [...this.#backends.keys()]) {
      const [keyUrl, namespace] = key.split("\n") as [string, string];
      if (keyUrl === url && !live.has(namespace)) this.#dropBackend(url, namespace);
    }
  }

  #dropBackend(url: string, namespace: string): void {
    const key = `${url}\n${namespace}`;
    this.#backends.get(key)?.close?.();
    this.#backends.delete(key);
  }

  /**
   * Puts the open batches this mailbox has not taken yet, oldest first: one in a round where
   * every mailbox is up to date, more for one catching up after an outage (each recorded as it
   * lands, so a failure costs only the batch it hit).
   */
  async #pushAll(team: ServedTeam, url: string, batches: readonly OpenBatch[], signal: AbortSignal | undefined): Promise<PushReport> {
    const report = { real: 0, cover: 0, failed: 0 };
    for (const batch of batches) {
      if (batch.pushedTo.has(redactUrl(url))) continue;
      const pushed = await this.push(team, url, batch, signal);
      report.real += pushed.real;
      report.cover += pushed.cover;
    }
    return report;
  }

  /**
   * Puts one stored batch, in its order, into the current epoch's namespace. Throws on the first
   * failed put; a put is idempotent, so the next try (of the very same batch) repeats none.
   */
  async push(team: ServedTeam, url: string, batch: OpenBatch, signal?: AbortSignal): Promise<PushReport> {
    const backend = this.#backend(team, url, team.tk.epochAt(this.#now()));
    for (const item of batch.items) {
      const bytes = item.cover ?? this.spool.get(item.digest);
      if (bytes === undefined) throw new AirlockError("SPOOL_NOT_FOUND", `bundle ${item.digest} of a stored batch is gone from the spool`, { hint: "the spool was changed outside the courier; restore it from a backup" });
      await backend.put(`${item.digest}${MAILBOX_SUFFIX}`, bytes, { signal });
    }
    throwIfAborted(signal);
    const cover = batch.items.length - batch.real;
    // Our own cover, refreshed at every push: a namespace listing it later never makes us fetch it back.
    this.spool.ledger.recordJudged(
      batch.items.flatMap((i) => (i.cover === undefined ? [] : [{ digest: i.digest, outcome: "own-cover" as const }])),
      cover > 0 ? [{ team: team.id, outcome: "cover-sent", reason: "round", n: cover }] : [],
    );
    this.spool.batches.markPushed(batch.id, redactUrl(url));
    batch.pushedTo.add(redactUrl(url));
    return { real: batch.real, cover, failed: 0 };
  }

  /**
   * Lists the namespaces of `epochs` (newest first, from #pullEpochs) and spools the team's new
   * real bundles: at most fetchPerRound fetches in all (drawn at random from the unknown names
   * when there are more, so a flood listed first does not always hide what follows it), none
   * once `inbound` (the team's undelivered bundles, shared by its mailboxes) reaches the quota.
   */
  async pull(team: ServedTeam, url: string, epochs: readonly number[], signal?: AbortSignal, inbound = this.spool.undelivered(team.id)): Promise<PullReport> {
    const report: PullReport = { listed: 0, spooled: 0, cover: 0, refused: 0, known: 0, missing: 0 };
    const key = redactUrl(url);
    const quotas = quotasOf(team.config);
    const hostileAt = HOSTILE_LISTING_FACTOR * quotas.inboundBundles;
    let budget = quotas.fetchPerRound;
    const namespaces = epochs.map((e) => team.tk.mailboxId(e));
    for (const [i, e] of epochs.entries()) {
      const namespace = namespaces[i]!;
      const backend = this.#backend(team, url, e);
      const saved = this.spool.ledger.cursor(key, namespace);
      const full = saved.pulls % (this.#options.fullListEvery ?? 8) === 0;
      let listing;
      try {
        listing = await backend.list(full ? undefined : saved.cursor, { signal });
      } catch (err) {
        // The oldest namespaces of a catch-up sit at the edge of an HTTP mailbox's token window:
        // with its clock a little ahead, the server refuses them. Only there is a refusal skipped.
        if (isAirlockError(err, "MAILBOX_AUTH") && atTokenWindowEdge(url, e, epochs[0]!)) continue;
        if (!isAirlockError(err, "MAILBOX_BAD_CURSOR")) throw err;
        listing = await backend.list(undefined, { signal });
      }
      report.listed += listing.names.length;
      if (listing.names.length > hostileAt) report.hostile = Math.max(report.hostile ?? 0, listing.names.length);
      // Listed names are checked names (`<64 hex>.airlock`), so their digests are too.
      const unknown = this.spool.unknown(listing.names.map((name) => name.slice(0, 64))).map((digest) => `${digest}${MAILBOX_SUFFIX}`);
      report.known += listing.names.length - unknown.length;
      let fetchNow = unknown;
      if (unknown.length > budget) {
        // Fisher-Yates, stopped after `budget` draws: a random sample, in random order.
        for (let k = 0; k < budget; k++) {
          const j = k + randomInt(unknown.length - k);
          [unknown[k], unknown[j]] = [unknown[j]!, unknown[k]!];
        }
        fetchNow = unknown.slice(0, budget);
      }
      let clean = fetchNow.length === unknown.length;
      const judged: { digest: string; outcome: SeenOutcome }[] = [];
      const counts = new Map<string, number>();
      try {
        for (const [k, name] of fetchNow.entries()) {
          if (inbound.bundles >= quotas.inboundBundles || inbound.bytes >= quotas.inboundBytes) {
            report.overQuota = true;
            report.deferred = (report.deferred ?? 0) + fetchNow.length - k;
            clean = false;
            break;
          }
          budget--;
          const outcome = await this.#fetch(team, backend, name, name.slice(0, 64), signal, inbound, quotas, judged, counts);
          throwIfAborted(signal);
          if (outcome === "missing" || outcome === "damaged" || outcome === "over-quota") clean = false;
          if (outcome === "over-quota") {
            report.overQuota = true;
            report.deferred = (report.deferred ?? 0) + 1;
          } else report[outcome === "damaged" ? "refused" : outcome]++;
        }
      } finally {
        // Judged names and counters go in one transaction per namespace: one fsync, not one per name.
        this.spool.ledger.recordJudged(
          judged,
          [...counts].map(([k, n]) => {
            const [team, outcome, reason] = k.split("\n") as [string, "refused" | "cover-dropped", string];
            return { team, outcome, reason, n };
          }),
        );
      }
      if (unknown.length > fetchNow.length) report.deferred = (report.deferred ?? 0) + unknown.length - fetchNow.length;
      throwIfAborted(signal);
      this.spool.ledger.setCursor(key, namespace, clean ? listing.cursor : saved.cursor);
    }
    this.#recordWarnings(team, key, report, hostileAt);
    return report;
  }

  /** Standing warnings status shows: set while a pull meets the condition, cleared by a pull that does not. */
  #recordWarnings(team: ServedTeam, backend: string, report: PullReport, hostileAt: number): void {
    const { ledger } = this.spool;
    if (report.hostile !== undefined) {
      ledger.warn(team.id, backend, "COURIER_HOSTILE_LISTING", `a namespace listed ${report.hostile} names (a team sends far fewer; over ${hostileAt} is treated as hostile): at most ${quotasOf(team.config).fetchPerRound} are fetched per round`);
      ledger.count(team.id, "refused", "COURIER_HOSTILE_LISTING");
    } else ledger.clearWarning(team.id, backend, "COURIER_HOSTILE_LISTING");
    if (report.overQuota === true) {
      const q = quotasOf(team.config);
      ledger.warn(team.id, backend, "COURIER_INBOUND_QUOTA", `${q.inboundBundles} bundles or ${q.inboundBytes} bytes wait for the vault; nothing more is fetched until they are delivered or expire`);
    } else ledger.clearWarning(team.id, backend, "COURIER_INBOUND_QUOTA");
  }

  async #fetch(
    team: ServedTeam,
    backend: MailboxBackend,
    name: string,
    digest: string,
    signal: AbortSignal | undefined,
    inbound: { bundles: number; bytes: number },
    quotas: { inboundBundles: number; inboundBytes: number },
    judged: { digest: string; outcome: SeenOutcome }[],
    counts: Map<string, number>,
  ): Promise<"spooled" | "cover" | "refused" | "damaged" | "missing" | "known" | "over-quota"> {
    const count = (t: string, outcome: "refused" | "cover-dropped", reason: string): void => {
      const k = `${t}\n${outcome}\n${reason}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    };
    let bytes: Uint8Array | undefined;
    try {
      bytes = await backend.get(name, { signal });
    } catch (e) {
      // The store refused this one entry (bad bytes, too big, not a file): count it, retry later.
      if (isAirlockError(e) && /^MAILBOX_(DIGEST_MISMATCH|TOO_LARGE|NOT_A_FILE)$/.test(e.code)) {
        count(team.id, "refused", e.code);
        return "damaged";
      }
      throw e;
    }
    throwIfAborted(signal);
    if (bytes === undefined) return "missing";
    if (createHash("sha256").update(bytes).digest("hex") !== digest) {
      // Truncated or altered in the store or on the way: not remembered, so a good copy later is taken.
      count(team.id, "refused", "MAILBOX_DIGEST_MISMATCH");
      return "damaged";
    }
    const verdict = this.#classify(bytes);
    if (verdict.kind === "real" && verdict.team !== team.id) {
      // Another team's real bundle in this team's namespace: no honest courier puts one there,
      // and spooling it would charge no quota (the counters here are this team's). Not
      // remembered as seen: the seen set is shared by every team and mailbox, so a hostile
      // mailbox copying that team's bundle here would make the honest copy of its own
      // namespace "known" and never fetched. Listed again, it is fetched again (the fetch cap
      // and the list cursor bound that).
      count(team.id, "refused", "COURIER_OTHER_TEAM");
      return "refused";
    }
    if (verdict.kind === "real") {
      if (inbound.bytes + bytes.length > quotas.inboundBytes) {
        // Not remembered as seen: once the vault took what waits, it is fetched again.
        this.spool.ledger.count(verdict.team, "over-quota", "COURIER_INBOUND_QUOTA");
        return "over-quota";
      }
      const put = this.spool.put(bytes, "inbound", { team: verdict.team });
      if (put.isNew) {
        // A pulled bundle may be forged by anyone holding the transport key: its shape is learned
        // for cover only up to the team's largest configured bucket size, so forged large real-tag
        // bundles cannot make every later cover bundle that large. Shapes of any size are learned
        // from what the vault hands over (ingest).
        const shape = shapeOf(verdict.header);
        if (shape.length <= Math.max(...team.config.bucketSizes)) this.spool.ledger.recordShape(verdict.team, shape);
        inbound.bundles++;
        inbound.bytes += bytes.length;
      }
      return put.isNew ? "spooled" : "known";
    }
    // These bytes are exactly what their name says: judging them again would give the same answer.
    judged.push({ digest, outcome: verdict.kind === "cover" ? "cover" : "refused" });
    if (verdict.kind === "cover") {
      count(verdict.team, "cover-dropped", "from-mailbox");
      return "cover";
    }
    count(team.id, "refused", verdict.code);
    return "refused";
  }

  #classify(bytes: Uint8Array): Verdict {
    const now = this.#now();
    // The newest generation of each team first, then earlier ones still in their grace period.
    const keyed = [...this.teams, ...this.teams.flatMap((t) => t.retired.filter((r) => r.drainUntil > now).map((r) => ({ id: t.id, tk: r.tk })))];
    return classifyBundle(bytes, keyed, now, this.spool.maxBundleBytes);
  }

  /** An enrollment with a vault's bundles: adopted (the team's keys replaced in memory too), known, or refused with a reason. */
  #takeEnrollment(bytes: Uint8Array): IngestOutcome {
    const now = this.#now();
    const verdict = takeEnrollment(this.home, bytes, now);
    if (verdict.outcome === "not-for-me") return verdict;
    if (verdict.outcome === "refused") {
      this.spool.ledger.count(NO_TEAM, "refused", verdict.code);
      return { outcome: "refused", code: verdict.code, reason: verdict.reason };
    }
    if (verdict.outcome === "adopted") {
      const at = this.#teams.findIndex((t) => t.id === verdict.team.id);
      const next = servedTeam(verdict.team, now);
      if (at >= 0) {
        wipeServed(this.#teams[at]!);
        this.#teams[at] = next;
      } else this.#teams.push(next);
    }
    return { outcome: "enrollment", team: verdict.team.id, generation: verdict.team.generation ?? 0, adopted: verdict.outcome === "adopted" };
  }

  #backend(team: ServedTeam, url: string, epoch: number): MailboxBackend {
    const namespace = team.tk.mailboxId(epoch);
    const cacheKey = `${url}\n${namespace}`;
    let backend = this.#backends.get(cacheKey);
    if (backend === undefined) {
      const ns = httpMailboxCredentials(team.tk, epoch);
      backend = this.#options.openBackend?.(url, ns) ?? openMailbox(url, ns, { home: this.home.root, ...this.#options.mailbox, maxBundleBytes: this.spool.maxBundleBytes });
      this.#backends.set(cacheKey, backend);
    }
    return backend;
  }

}

const shapeOf = (header: BundleHeader): TrafficShape => ({ length: header.length, slotTier: slotTierOf(header) });

function servedTeam(config: TeamConfig, now: number): ServedTeam {
  const tk = transportKeyOf(config);
  return { id: config.id, config, tk, batchKey: batchKeyOf(tk), retired: retiredKeysOf(config, now) };
}

function wipeServed(t: ServedTeam): void {
  t.tk.wipe();
  t.batchKey.fill(0);
  for (const r of t.retired) r.tk.wipe();
}

/** An epoch within two of the oldest a courier lists, on a mailbox whose server checks tokens per epoch. */
function atTokenWindowEdge(url: string, epoch: number, now: number): boolean {
  const kind = mailboxKind(url);
  return (kind === "http" || kind === "onion") && epoch <= now - MAILBOX_PULL_BACK + 2;
}

export type { Verdict };
