/**
 * The courier: one home's spool, served teams and mailbox backends, wired together here.
 * Ingest takes bundles from the offline side; a sync round, for every team and each of its
 * mailboxes, pulls what is new from the namespaces of the epochs since its last good sync (at
 * least the current and the previous one), then pushes the round's batch into the current
 * epoch's namespace, then empties the namespaces that no courier lists any more
 * (docs/transport-key.md, "Where a bundle goes").
 *
 * A round's batch is exactly `sendPerRound` bundles: the team's pending real ones first, topped
 * up with cover whose shape (length, slot tier) is drawn from the shapes of the team's recent
 * real bundles, in random order, made whole before the first put and put as the same bytes into
 * every mailbox of the team (and again on a retry). So no mailbox, nor several comparing notes,
 * can separate real from cover by size, slot count, order, timing of the puts or presence in
 * one mailbox and not another (docs/transport-key.md, "Cover").
 *
 * Invariants: a real outbound bundle stays pending (or failed) until every mailbox of its team
 * accepted it; every bundle a round puts for a team is in the one batch all its mailboxes get;
 * a cover bundle's shape is one a real bundle of the team had (or, before the courier saw any,
 * one of the team's configured bucket sizes); nothing pulled is stored unless it hashes to its name, parses, and carries a
 * served team's real tag; a list cursor advances only after every name it covers was handled,
 * so a failed or misbehaving store costs a re-listing, never a bundle.
 */
import { createHash, randomInt } from "node:crypto";
import { fillerBundle, MIN_BUCKET, type BundleHeader } from "@airlock/bundle-format";
import { describeError, isAirlockError, MAILBOX_PRUNE_AGE, MAILBOX_PULL_BACK, type TransportKey } from "@airlock/shared";
import { courierError } from "../errors.js";
import type { CourierHome } from "../home/paths.js";
import { requireHome, restrictHome } from "../home/paths.js";
import { loadTeams, transportKeyOf, type TeamConfig, type TeamId } from "../home/teams.js";
import { mailboxNameFor, type MailboxBackend } from "../mailbox/backend.js";
import { abortError, checkDeadlineMs, deadlineSignal, raceAbort, throwIfAborted } from "../mailbox/deadline.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { mailboxKind, openMailbox, redactUrl, type OpenMailboxOptions } from "../mailbox/open.js";
import type { TrafficShape } from "../spool/ledger.js";
import { Spool } from "../spool/spool.js";
import { classifyBundle, slotTierOf, type KeyedTeam, type Verdict } from "./classify.js";

export interface ServedTeam extends KeyedTeam {
  readonly config: TeamConfig;
  readonly tk: TransportKey;
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
   * How long a *delivered* bundle stays in the spool (default 30 days). Pending and failed ones
   * never expire: a bundle is never lost. 30 days is twice the tag window (14 epochs back), so a
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
const DEFAULT_SLOT_TIER = 2;
/** At most this many namespaces are pruned per team and mailbox in one round (a courier back after a long absence). */
const PRUNE_SPAN = 7;
/** How far before the newest expired namespace a courier that never pruned starts (about two months at one day per epoch). */
export const PRUNE_LOOKBACK = 60;
/** How long digests judged as cover or refused are remembered (the mailbox keeps bundles about as long). */
export const SEEN_RETENTION_MS = 30 * 86_400_000;

export class Courier {
  readonly home: CourierHome;
  readonly spool: Spool;
  readonly teams: readonly ServedTeam[];
  readonly #now: () => number;
  readonly #options: CourierOptions;
  readonly #backends = new Map<string, MailboxBackend>();

  private constructor(home: CourierHome, spool: Spool, teams: ServedTeam[], options: CourierOptions) {
    this.home = home;
    this.spool = spool;
    this.teams = teams;
    this.#now = options.now ?? Date.now;
    this.#options = options;
  }

  static open(home: CourierHome, options: CourierOptions = {}): Courier {
    requireHome(home);
    restrictHome(home);
    const teams = loadTeams(home).map((config) => ({ id: config.id, config, tk: transportKeyOf(config) }));
    const spool = Spool.open(home.spoolFile, { ...(options.now === undefined ? {} : { now: options.now }), ...(options.maxBundleBytes === undefined ? {} : { maxBundleBytes: options.maxBundleBytes }) });
    return new Courier(home, spool, teams, options);
  }

  close(): void {
    // Network backends pool keep-alive connections (tor streams over onion:); let them go now.
    for (const backend of this.#backends.values()) backend.close?.();
    this.#backends.clear();
    for (const t of this.teams) t.tk.wipe();
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
    const verdicts = items.map((bytes) => this.#classify(bytes));
    const real = verdicts.flatMap((v, i) => (v.kind === "real" ? [{ bundle: items[i]!, direction: "outbound" as const, team: v.team, i }] : []));
    const results = this.spool.putMany(real);
    const byIndex = new Map(real.map((r, k) => [r.i, results[k]!]));
    // Recorded at ingest, not at push: cover copies a shape from the moment the courier holds
    // such a bundle, so with a backlog the first bundle of a new size need not be the real one.
    for (const [k, r] of real.entries()) {
      const v = verdicts[r.i]!;
      if (results[k]!.isNew && v.kind === "real") this.spool.ledger.recordShape(v.team, shapeOf(v.header));
    }
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
    const deadlineMs = checkDeadlineMs("mailboxDeadlineMs", this.#options.mailboxDeadlineMs ?? DEFAULT_MAILBOX_DEADLINE_MS);
    // Per mailbox URL, the namespaces some served team still lists: their cursors and backends stay.
    const live = new Map<string, Set<string>>();
    const reports = await Promise.all(this.teams.map((team) => this.#teamRound(team, live, deadlineMs, options)));
    for (const [url, namespaces] of live) this.#forgetOthers(url, namespaces);
    const forgotten = this.spool.ledger.expireSeen(SEEN_RETENTION_MS);
    // expire() checkpoints the WAL when it removed bundles; forgotten digests need it as well.
    const expired = this.spool.expire({ olderThanMs: this.#options.retentionMs ?? DEFAULT_RETENTION_MS, states: ["delivered"] });
    if (forgotten > 0 && expired === 0) this.spool.checkpoint();
    return reports.flat();
  }

  async #teamRound(team: ServedTeam, live: Map<string, Set<string>>, deadlineMs: number, options: RoundOptions): Promise<BackendRoundReport[]> {
    const selected = this.spool.list({ direction: "outbound", team: team.id, states: ["pending", "failed"], limit: team.config.sendPerRound });
    const failures = new Map<string, string>();
    // Made once, after the first pull taught a new courier the team's shapes, and then the
    // same bytes for every mailbox and every retry.
    let batch: Batch | undefined;
    const batchOnce = (): Batch => (batch ??= this.batch(team, selected.map((e) => e.digest)));
    const reports = await Promise.all(
      team.config.mailboxes.map(async (url) => {
        const backend = redactUrl(url);
        const epochs = this.#pullEpochs(team, this.spool.ledger.lastOk(team.id, backend));
        const keep = live.get(url) ?? new Set<string>();
        for (const e of epochs) keep.add(team.tk.mailboxId(e));
        live.set(url, keep);
        const state: { push?: PushReport; pull?: PullReport } = {};
        const { signal, done } = deadlineSignal(deadlineMs, options.signal, `this round's work on ${backend}`);
        let report: BackendRoundReport;
        try {
          report = await raceAbort(this.#mailboxRound(team, url, epochs, batchOnce, state, signal, options.retry), signal);
        } catch (e) {
          const { code, message } = describeError(e);
          this.spool.ledger.syncFailed(team.id, backend, `${code}: ${message}`);
          report = { team: team.id, teamName: team.config.name, backend, ...(state.push === undefined ? {} : { push: state.push }), error: { code, message } };
        } finally {
          done();
        }
        // Bundles this mailbox already accepted are delivered there, whatever failed after.
        if (report.error !== undefined && state.push === undefined) for (const entry of selected) failures.set(entry.digest, `${backend}: ${report.error.message}`);
        return report;
      }),
    );
    for (const entry of selected) {
      const failure = failures.get(entry.digest);
      if (failure === undefined) this.spool.markDelivered(entry.digest);
      else this.spool.markFailed(entry.digest, failure);
    }
    return reports;
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
    batchOnce: () => Batch,
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
            state.pull = await this.pull(team, url, epochs, signal);
          } catch (e) {
            pullError = e;
          }
        }
        throwIfAborted(signal);
        state.push ??= await this.push(team, url, batchOnce(), signal);
        if (pullError !== undefined) throw pullError;
        throwIfAborted(signal);
        this.spool.ledger.syncSucceeded(team.id, backend);
        const prune = await this.prune(team, url, signal);
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
   * A round's batch for `team`: the bytes of the selected real bundles (at most sendPerRound)
   * and enough cover to make exactly sendPerRound, every bundle made before any is put, in
   * random order. Cover names are remembered as our own, so they are never downloaded back.
   */
  batch(team: ServedTeam, digests: readonly string[]): Batch {
    const epoch = team.tk.epochAt(this.#now());
    const real: Uint8Array[] = [];
    for (const digest of digests.slice(0, team.config.sendPerRound)) {
      const bytes = this.spool.get(digest);
      if (bytes !== undefined) real.push(bytes); // expired meanwhile: nothing to send
    }
    const shapes = this.spool.ledger.shapes(team.id);
    const bundles = [...real];
    for (let i = real.length; i < team.config.sendPerRound; i++) {
      const cover = this.#cover(team, epoch, shapes);
      this.spool.ledger.markSeen(mailboxNameFor(cover).slice(0, 64), "own-cover");
      bundles.push(cover);
    }
    for (let i = bundles.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [bundles[i], bundles[j]] = [bundles[j]!, bundles[i]!];
    }
    return { epoch, bundles, real: real.length, cover: bundles.length - real.length };
  }

  /**
   * Puts a round's batch into the namespace of its epoch. Throws on the first failed put (the
   * caller keeps the real ones pending; a put is idempotent, so a retry of the same batch
   * repeats none).
   */
  async push(team: ServedTeam, url: string, batch: Batch, signal?: AbortSignal): Promise<PushReport> {
    const backend = this.#backend(team, url, batch.epoch);
    for (const bytes of batch.bundles) await backend.put(mailboxNameFor(bytes), bytes, { signal });
    throwIfAborted(signal);
    if (batch.cover > 0) this.spool.ledger.count(team.id, "cover-sent", "round", batch.cover);
    return { real: batch.real, cover: batch.cover, failed: 0 };
  }

  /** Lists the namespaces of `epochs` (newest first, from #pullEpochs) and spools the team's new real bundles. */
  async pull(team: ServedTeam, url: string, epochs: readonly number[], signal?: AbortSignal): Promise<PullReport> {
    const report: PullReport = { listed: 0, spooled: 0, cover: 0, refused: 0, known: 0, missing: 0 };
    const key = redactUrl(url);
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
      let clean = true;
      for (const name of listing.names) {
        report.listed++;
        const digest = name.slice(0, 64);
        if (this.spool.has(digest) || this.spool.ledger.isSeen(digest)) {
          report.known++;
          continue;
        }
        const outcome = await this.#fetch(team, backend, name, digest, signal);
        throwIfAborted(signal);
        if (outcome === "missing" || outcome === "damaged") clean = false;
        report[outcome === "damaged" ? "refused" : outcome]++;
      }
      throwIfAborted(signal);
      this.spool.ledger.setCursor(key, namespace, clean ? listing.cursor : saved.cursor);
    }
    return report;
  }

  async #fetch(team: ServedTeam, backend: MailboxBackend, name: string, digest: string, signal: AbortSignal | undefined): Promise<"spooled" | "cover" | "refused" | "damaged" | "missing" | "known"> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await backend.get(name, { signal });
    } catch (e) {
      // The store refused this one entry (bad bytes, too big, not a file): count it, retry later.
      if (isAirlockError(e) && /^MAILBOX_(DIGEST_MISMATCH|TOO_LARGE|NOT_A_FILE)$/.test(e.code)) {
        this.spool.ledger.count(team.id, "refused", e.code);
        return "damaged";
      }
      throw e;
    }
    throwIfAborted(signal);
    if (bytes === undefined) return "missing";
    if (createHash("sha256").update(bytes).digest("hex") !== digest) {
      // Truncated or altered in the store or on the way: not remembered, so a good copy later is taken.
      this.spool.ledger.count(team.id, "refused", "MAILBOX_DIGEST_MISMATCH");
      return "damaged";
    }
    const verdict = this.#classify(bytes);
    if (verdict.kind === "real") {
      const put = this.spool.put(bytes, "inbound", { team: verdict.team });
      if (put.isNew) this.spool.ledger.recordShape(verdict.team, shapeOf(verdict.header));
      return put.isNew ? "spooled" : "known";
    }
    // These bytes are exactly what their name says: judging them again would give the same answer.
    this.spool.ledger.markSeen(digest, verdict.kind === "cover" ? "cover" : "refused");
    if (verdict.kind === "cover") {
      this.spool.ledger.count(verdict.team, "cover-dropped", "from-mailbox");
      return "cover";
    }
    this.spool.ledger.count(team.id, "refused", verdict.code);
    return "refused";
  }

  #classify(bytes: Uint8Array): Verdict {
    return classifyBundle(bytes, this.teams, this.#now(), this.spool.maxBundleBytes);
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

  /**
   * One cover bundle in the shape of a real bundle of the team drawn at random from its recent
   * ones (so cover sizes follow the real size distribution, repeats weighing more); before the
   * courier saw any real bundle of the team, a configured bucket size with DEFAULT_SLOT_TIER.
   */
  #cover(team: ServedTeam, epoch: number, shapes: readonly TrafficShape[]): Uint8Array {
    const sizes = team.config.bucketSizes;
    const shape = shapes.length > 0 ? shapes[randomInt(shapes.length)]! : { length: sizes[randomInt(sizes.length)] ?? MIN_BUCKET, slotTier: DEFAULT_SLOT_TIER };
    const tag = team.tk.tag("cover", epoch);
    // A recorded shape came from a real bundle, so it fits; fewer slots only for a configured size too small for them.
    for (let tier = shape.slotTier; tier > DEFAULT_SLOT_TIER; tier--) {
      try {
        return fillerBundle({ mailboxTag: tag, length: shape.length, slotTier: tier });
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
      }
    }
    return fillerBundle({ mailboxTag: tag, length: shape.length, slotTier: DEFAULT_SLOT_TIER });
  }
}

/** A round's bundles for one team, identical for each of its mailboxes. */
export interface Batch {
  readonly epoch: number;
  readonly bundles: readonly Uint8Array[];
  readonly real: number;
  readonly cover: number;
}

const shapeOf = (header: BundleHeader): TrafficShape => ({ length: header.length, slotTier: slotTierOf(header) });

/** An epoch within two of the oldest a courier lists, on a mailbox whose server checks tokens per epoch. */
function atTokenWindowEdge(url: string, epoch: number, now: number): boolean {
  const kind = mailboxKind(url);
  return (kind === "http" || kind === "onion") && epoch <= now - MAILBOX_PULL_BACK + 2;
}

export type { Verdict };
