import { Flags } from "@oclif/core";
import { escapeBlock, safe, safeJson } from "@airlock/shared";
import { courierError } from "../errors.js";
import { Courier, type BackendRoundReport, type PruneReport, type PullReport } from "../courier/courier.js";
import { abortableSleep, backoffRetry, checkWait, parseDuration, runSchedule } from "../courier/scheduler.js";
import { CourierCommand } from "./base.js";

export default class Sync extends CourierCommand {
  static override summary = "Pull new inbound bundles and push pending outbound ones, for every team and mailbox.";
  static override description =
    "One round, for every team and each of its mailboxes at once, first pulls what is new (keeping the served teams' real bundles, dropping cover), then pushes the team's batch: exactly the team's send-per-round bundles (set by init --send-per-round), real ones first, topped up with cover nobody without the transport key can tell apart. Each mailbox gets --deadline per round. A mailbox that is down is retried with exponential backoff; its bundles stay spooled. If any mailbox failed, sync prints what every mailbox did and exits 1 (COURIER_SYNC_FAILED). With --every it runs rounds until SIGINT/SIGTERM, which abort the requests in flight (bundles stay spooled) and exit 0; --json then prints one JSON line per round, \"ok\":false when a mailbox of that round failed.";
  static override examples = ["<%= config.bin %> sync", "<%= config.bin %> sync --every 15m --jitter 5m", "<%= config.bin %> sync --json"];
  static override flags = {
    every: Flags.string({ description: "run a round every DURATION (30s, 15m, 1h; at most 24d with --jitter) until stopped" }),
    jitter: Flags.string({ description: "add a random 0..DURATION to each wait (with --every; --every plus --jitter at most 24d)", default: "0s" }),
    retries: Flags.integer({ description: "retries per mailbox and round, with exponential backoff", default: 2 }),
    backoff: Flags.string({ description: "first retry delay; doubles each retry", default: "5s" }),
    deadline: Flags.string({ description: "total time one mailbox gets per round, retries included; a mailbox still busy then is skipped until the next round (at most 24d)", default: "10m" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Sync);
    const jitterMs = parseDuration(flags.jitter);
    const backoff = { attempts: Math.max(1, flags.retries + 1), baseMs: parseDuration(flags.backoff) };
    const mailboxDeadlineMs = checkWait("--deadline", flags.deadline, parseDuration(flags.deadline));
    if (mailboxDeadlineMs < 1000) throw courierError("COURIER_BAD_DURATION", "--deadline must be at least 1s");
    const everyMs = flags.every === undefined ? undefined : parseDuration(flags.every);
    if (everyMs !== undefined && everyMs < 1000) throw courierError("COURIER_BAD_DURATION", "--every must be at least 1s");
    if (everyMs !== undefined) checkWait("--every plus --jitter", `${flags.every} + ${flags.jitter}`, everyMs + jitterMs);
    const courier = Courier.open(this.homeFrom(flags.home), { mailboxDeadlineMs });
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once("SIGINT", stop).once("SIGTERM", stop);
    const log = (line: string): void => this.operatorLog(line);
    try {
      courier.requireTeams();
      if (everyMs !== undefined) {
        log(`syncing every ${flags.every}${jitterMs > 0 ? ` + up to ${flags.jitter}` : ""}; stop with Ctrl-C or SIGTERM`);
        const rounds = await runSchedule(courier, {
          everyMs,
          jitterMs,
          signal: abort.signal,
          backoff,
          log,
          onRound: (reports) => {
            if (!flags.json) return;
            const failure = syncFailure(reports);
            process.stdout.write(`${safeJson(failure === undefined ? { ok: true, round: reports } : { ok: false, error: failure, round: reports })}\n`);
          },
        });
        log(`stopped after ${rounds} rounds`);
        return;
      }
      // SIGTERM aborts the requests in flight: the round ends at once, every unfinished mailbox reported as MAILBOX_ABORTED.
      const reports = await courier.round({ retry: backoffRetry(abort.signal, backoff, abortableSleep, log), signal: abort.signal });
      const failure = syncFailure(reports);
      if (failure !== undefined) {
        if (flags.json) {
          process.stdout.write(`${safeJson({ ok: false, error: failure, reports })}\n`);
          process.exitCode = 1;
          return;
        }
        // What the other mailboxes did was done (pushed, pulled, stored): shown before the failure.
        process.stdout.write(escapeBlock(reports.map(describe).join("")));
        const first = reports.find((r) => r.error !== undefined)!;
        throw courierError("COURIER_SYNC_FAILED", `${failure.message}; ${first.backend}: ${first.error!.message}`);
      }
      this.emit(flags.json, { reports }, reports.map(describe).join(""));
    } finally {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      courier.close();
    }
  }
}

/** COURIER_SYNC_FAILED when a mailbox of the round failed, else undefined. */
function syncFailure(reports: readonly BackendRoundReport[]): { code: "COURIER_SYNC_FAILED"; message: string } | undefined {
  const failed = reports.filter((r) => r.error !== undefined).length;
  return failed === 0 ? undefined : { code: "COURIER_SYNC_FAILED", message: `${failed} of ${reports.length} mailboxes failed` };
}

function describe(r: BackendRoundReport): string {
  if (r.error !== undefined) {
    const pushed = r.push === undefined ? "" : safe`; pushed ${r.push.real} real + ${r.push.cover} cover first`;
    return safe`${r.teamName} ${r.backend}: failed: ${r.error.code}: ${r.error.message}${pushed}; its bundles stay spooled\n`;
  }
  const line = safe`${r.teamName} ${r.backend}: pushed ${r.push?.real ?? 0} real + ${r.push?.cover ?? 0} cover; pulled ${r.pull?.spooled ?? 0} new, dropped ${r.pull?.cover ?? 0} cover, refused ${r.pull?.refused ?? 0}`;
  return `${line}${describePrune(r.prune)}${describeLimits(r.pull)}\n`;
}

function describeLimits(p: PullReport | undefined): string {
  if (p === undefined) return "";
  let text = "";
  if (p.deferred !== undefined) text += `; ${p.deferred} left for later rounds (fetch cap or inbound quota)`;
  if (p.overQuota === true) text += "\n  warning: the team's inbound quota is full; nothing more is fetched until the vault takes what waits (airlock-courier status)";
  if (p.hostile !== undefined) text += `\n  warning: a namespace listed ${p.hostile} names, far more than a team sends: treated as hostile, fetching capped (airlock-courier status)`;
  return text;
}

function describePrune(p: PruneReport | undefined): string {
  if (p === undefined || (p.removed === 0 && p.error === undefined && p.skipped === undefined)) return "";
  let text = `; removed ${p.removed} expired bundle${p.removed === 1 ? "" : "s"} from the mailbox`;
  for (const s of p.skipped ?? []) text += safe` (left in place: ${s.code}: ${s.message})`;
  if (p.error !== undefined) text += safe` (pruning stopped, retried next round: ${p.error.code}: ${p.error.message})`;
  return text;
}
