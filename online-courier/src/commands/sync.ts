import { Flags } from "@oclif/core";
import { safe, safeJson } from "@airlock/shared";
import { courierError } from "../errors.js";
import { Courier, type BackendRoundReport, type PruneReport, type PullReport } from "../courier/courier.js";
import { abortableSleep, backoffRetry, checkWait, parseDuration, runSchedule } from "../courier/scheduler.js";
import { CourierCommand } from "./base.js";

export default class Sync extends CourierCommand {
  static override summary = "Push pending outbound bundles and pull new inbound ones, for every team and mailbox.";
  static override description =
    "One round pushes exactly --send-per-round bundles per team and mailbox (real ones first, topped up with cover nobody without the transport key can tell apart), then pulls what is new, keeping the served teams' real bundles and dropping cover. Mailboxes are synced at the same time, each within --deadline per round. With --every it runs rounds until SIGINT/SIGTERM, which abort the requests in flight (bundles stay spooled) and exit 0. A mailbox that is down is retried with exponential backoff; its bundles stay spooled.";
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
            if (flags.json) process.stdout.write(`${safeJson({ ok: true, round: reports })}\n`);
          },
        });
        log(`stopped after ${rounds} rounds`);
        return;
      }
      // SIGTERM aborts the requests in flight: the round ends at once, every unfinished mailbox reported as MAILBOX_ABORTED.
      const reports = await courier.round({ retry: backoffRetry(abort.signal, backoff, abortableSleep, log), signal: abort.signal });
      const failed = reports.filter((r) => r.error !== undefined);
      if (failed.length > 0) {
        const first = failed[0]!;
        if (flags.json) {
          process.stdout.write(`${safeJson({ ok: false, error: { code: "COURIER_SYNC_FAILED", message: `${failed.length} of ${reports.length} mailboxes failed` }, reports })}\n`);
          process.exitCode = 1;
          return;
        }
        throw courierError("COURIER_SYNC_FAILED", `${failed.length} of ${reports.length} mailboxes failed; ${first.backend}: ${first.error!.message}`);
      }
      this.emit(flags.json, { reports }, reports.map(describe).join(""));
    } finally {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      courier.close();
    }
  }
}

function describe(r: BackendRoundReport): string {
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
