/**
 * What `airlock-courier status` shows: per team and direction counts, last sync per mailbox, drops
 * and refusals, and the inbound bundles shown or written for the vault whose receipt has not come back.
 */
import { plural } from "@airlock/shared";
import { quotasOf, type TeamQuotas } from "../home/teams.js";
import { redactUrl } from "../mailbox/open.js";
import type { HandoffVia, SpoolCounts } from "../spool/index.js";
import { awaitingReceipt } from "./deliver.js";
import { MAX_OPEN_BATCHES, type Courier } from "./courier.js";

export interface CourierStatus {
  readonly home: string;
  readonly teams: {
    readonly id: string;
    readonly name: string;
    readonly epochSeconds: number;
    readonly currentEpoch: number;
    /** The transport key generation it holds, and earlier ones it still drains until then (docs/transport-key.md, "Generations"). */
    readonly generation: number;
    readonly draining: readonly { generation: number; until: number }[];
    readonly mailboxes: readonly string[];
    readonly sendPerRound: number;
    readonly bucketSizes: readonly number[];
    readonly counts: SpoolCounts;
    readonly quotas: TeamQuotas;
    /** Inbound bundles never handed to the vault: what the fetch quota counts. */
    readonly undelivered: { bundles: number; bytes: number };
    /** Stored batches not every mailbox took yet, and per mailbox how many it lacks. */
    readonly batches: { open: number; waiting: Record<string, number> };
    /**
     * Inbound bundles handed to the offline side (shown as QR, written to a stick) that no receipt
     * confirmed yet: how many, since when (the longest-waiting one's last handing, ISO 8601), and
     * the AWAITING_LISTED longest-waiting of them. Bounded apart from `undelivered`, by the same quota.
     */
    readonly awaitingReceipt: { bundles: number; bytes: number; since: string | undefined; oldest: AwaitingBundle[] };
  }[];
  readonly counts: SpoolCounts;
  /** Standing warnings about a team's mailbox (a hostile listing, a full inbound quota). */
  readonly warnings: { team: string; backend: string; code: string; message: string; since: string | undefined }[];
  /** Digests remembered as judged (cover, refused), bounded by the namespaces still listed. */
  readonly seen: number;
  readonly syncs: { team: string; backend: string; lastOk: string | undefined; lastTry: string | undefined; lastError: string | undefined; failures: number }[];
  readonly dropped: { team: string; outcome: string; reason: string; n: number }[];
}

export interface AwaitingBundle {
  readonly digest: string;
  readonly via: HandoffVia;
  /** How many times it was shown or written. */
  readonly times: number;
  readonly lastAt: string;
  /** When it is dropped if no receipt names it: inboundExpiryDays after lastAt. */
  readonly expiresAt: string;
}

/** Bundles awaiting a receipt listed per team (the count covers all). */
export const AWAITING_LISTED = 10;

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export function courierStatus(courier: Courier, nowMs: number): CourierStatus {
  const byTeam = courier.spool.countsByTeam();
  // The counts are the spool's (Spool.awaiting, as undelivered() beside it); only the listed few come from entries.
  const awaitingOf = (team: string, expiryDays: number): CourierStatus["teams"][number]["awaitingReceipt"] => {
    const { bundles, bytes, since } = courier.spool.awaiting(team);
    const oldest = bundles === 0 ? [] : awaitingReceipt(courier.spool, team).sort((a, b) => a.handedAt! - b.handedAt! || (a.digest < b.digest ? -1 : 1));
    return {
      bundles,
      bytes,
      since: iso(since),
      oldest: oldest.slice(0, AWAITING_LISTED).map((e) => ({ digest: e.digest, via: e.handedVia!, times: e.handedCount, lastAt: iso(e.handedAt)!, expiresAt: iso(e.handedAt! + expiryDays * 86_400_000)! })),
    };
  };
  const zero = (): SpoolCounts => ({ outbound: { pending: 0, delivered: 0, failed: 0 }, inbound: { pending: 0, delivered: 0, failed: 0 } });
  return {
    home: courier.home.root,
    teams: courier.teams.map((t) => ({
      id: t.id,
      name: t.config.name,
      epochSeconds: t.config.epochSeconds,
      currentEpoch: t.tk.epochAt(nowMs),
      generation: t.config.generation ?? 0,
      draining: t.retired.filter((r) => r.drainUntil > nowMs).map((r) => ({ generation: r.generation, until: r.drainUntil })),
      mailboxes: t.config.mailboxes,
      sendPerRound: t.config.sendPerRound,
      bucketSizes: t.config.bucketSizes,
      counts: byTeam[t.id] ?? zero(),
      quotas: quotasOf(t.config),
      undelivered: courier.spool.undelivered(t.id),
      batches: courier.spool.batches.backlog(t.id, t.config.mailboxes.map(redactUrl)),
      awaitingReceipt: awaitingOf(t.id, quotasOf(t.config).inboundExpiryDays),
    })),
    counts: courier.spool.counts(),
    warnings: courier.spool.ledger.warnings().map(({ team, backend, code, message, at }) => ({ team, backend, code, message, since: iso(at) })),
    seen: courier.spool.ledger.seenCount(),
    syncs: courier.spool.ledger.syncs().map((s) => ({ ...s, lastOk: iso(s.lastOk), lastTry: iso(s.lastTry) })),
    dropped: courier.spool.ledger.counters().map(({ team, outcome, reason, n }) => ({ team, outcome, reason, n })),
  };
}

export function formatStatus(s: CourierStatus): string {
  const lines = [`courier home ${s.home}`];
  const c = (x: SpoolCounts): string =>
    `outbound ${x.outbound.pending} pending / ${x.outbound.delivered} sent / ${x.outbound.failed} failed; inbound ${x.inbound.pending} to deliver / ${x.inbound.delivered} delivered`;
  if (s.teams.length === 0) lines.push("no teams yet: airlock-courier init ENROLLMENT --mailbox URL");
  for (const t of s.teams) {
    lines.push(`team ${t.name} (${t.id.slice(0, 12)}…): ${c(t.counts)}`);
    lines.push(`  mailboxes ${t.mailboxes.join(", ")}; ${plural(t.sendPerRound, "bundle")} per round (cover shaped like the team's real bundles; ${t.bucketSizes.join("/")} bytes before any); epoch ${t.currentEpoch} (${t.epochSeconds}s); transport key generation ${t.generation}${t.draining.map((d) => ` (draining ${d.generation} until ${new Date(d.until).toISOString().slice(0, 16)}Z)`).join("")}`);
    for (const y of s.syncs.filter((y) => y.team === t.id)) {
      lines.push(`  ${y.backend}: last sync ${y.lastOk ?? "never"}${y.lastError === undefined ? "" : `; last error (${y.failures}×): ${y.lastError}`}`);
    }
    const q = t.quotas;
    lines.push(`  inbound never handed to the vault: ${t.undelivered.bundles} of ${q.inboundBundles} bundles, ${t.undelivered.bytes} of ${q.inboundBytes} bytes; at most ${q.fetchPerRound} fetched per mailbox and round; dropped ${q.inboundExpiryDays} days after it arrived`);
    const a = t.awaitingReceipt;
    if (a.bundles > 0) {
      lines.push(`  awaiting the vault's receipt since ${a.since ?? "?"}: ${plural(a.bundles, "bundle")} (${a.bytes} bytes) shown or written for the vault; each dropped ${q.inboundExpiryDays} days after it was last handed over (at most ${q.inboundBundles} kept); \`deliver --again\` hands them over again, \`deliver --mark-delivered\` if the vault has them`);
      for (const b of a.oldest) lines.push(`    ${b.digest.slice(0, 16)}… ${b.via === "usb" ? "written to a stick" : "shown as QR"} ${b.times}×, last ${b.lastAt}, dropped ${b.expiresAt}`);
      if (a.bundles > a.oldest.length) lines.push(`    … and ${a.bundles - a.oldest.length} more`);
    }
    const waiting = Object.entries(t.batches.waiting).filter(([, n]) => n > 0);
    if (waiting.length > 0) lines.push(`  batches not yet taken: ${waiting.map(([b, n]) => `${b} lacks ${n}`).join(", ")} (re-sent as they are each round; no new one past ${MAX_OPEN_BATCHES})`);
    for (const w of s.warnings.filter((w) => w.team === t.id)) lines.push(`  WARNING ${w.backend}: ${w.code}: ${w.message} (since ${w.since ?? "?"})`);
  }
  lines.push(`all: ${c(s.counts)}`);
  for (const d of s.dropped) lines.push(`${d.outcome} ${d.reason}: ${d.n}${d.team === "-" ? "" : ` (team ${d.team.slice(0, 12)}…)`}`);
  return `${lines.join("\n")}\n`;
}
