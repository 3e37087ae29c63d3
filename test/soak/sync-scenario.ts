/**
 * `airlock-courier sync` against a `dir:` mailbox: one round pulls the real bundles another
 * courier left there and pushes every real bundle the courier holds (plus cover). After a kill: the
 * spool passes integrity_check and the courier opens it; no row of it is gone and no state went
 * back; a bundle the spool calls delivered is in the mailbox; every file under a bundle name in
 * the mailbox hashes to its name. After the rerun: the same, every row of the kill is still
 * there, every outbound bundle is delivered and sits in the mailbox exactly once, every inbound
 * one is spooled, and spool rows plus the mailbox's real bundles match an uninterrupted run's.
 */
import { join } from "node:path";
import { COURIER } from "../e2e/support/cli.js";
import { resolveHome } from "../../online-courier/src/home/paths.js";
import { mailboxFacts, spoolFacts, type SpoolFacts } from "./checks.js";
import { restore, type Fixtures } from "./fixtures.js";
import type { Finished } from "./kill.js";
import { digestOf, findings, missing, type AfterKill, type AfterRerun, type Findings, type Scenario } from "./scenario.js";

const STATE_ORDER: Record<string, number> = { pending: 0, failed: 0, delivered: 1 };

export function syncScenario(fx: Fixtures): Scenario {
  const home = resolveHome(join(fx.syncWork, "courier"));
  const mailbox = join(fx.syncWork, "mailbox");
  let base: SpoolFacts | undefined;
  let baseFiles: ReadonlySet<string> = new Set();
  let atKill: { spool: SpoolFacts; files: ReadonlySet<string> } | undefined;

  /** What must hold after any run from the prepared state, killed or not. */
  const check = (out: Findings): { spool: SpoolFacts; mail: ReturnType<typeof mailboxFacts> } => {
    const spool = spoolFacts(home.spoolFile);
    const mail = mailboxFacts(mailbox);
    if (spool.integrity !== "ok") out.integrity.push(`spool integrity_check: ${spool.integrity}`);
    out.integrity.push(...mail.problems);
    const before = atKill?.spool ?? base!;
    out.losses.push(...missing(atKill === undefined ? "spool rows of the prepared spool" : "spool rows of the kill", before.rows.keys(), spool.rows));
    for (const [d, row] of before.rows) {
      const now = spool.rows.get(d);
      if (now !== undefined && (now.direction !== row.direction || STATE_ORDER[now.state]! < STATE_ORDER[row.state]!)) {
        out.losses.push(`row ${d.slice(0, 12)} went from ${row.direction}/${row.state} to ${now.direction}/${now.state}`);
      }
    }
    out.losses.push(...missing("mailbox bundles", atKill?.files ?? baseFiles, new Set(mail.namespacesOf.keys())));
    for (const [d, row] of spool.rows) {
      if (row.direction === "outbound" && row.state === "delivered" && !mail.namespacesOf.has(d)) out.losses.push(`${d.slice(0, 12)} is marked delivered but is not in the mailbox`);
      if (row.direction === "inbound" && !mail.namespacesOf.has(d)) out.integrity.push(`${d.slice(0, 12)} was spooled as inbound but the mailbox never held it`);
    }
    return { spool, mail };
  };

  const count = (s: SpoolFacts, direction: string, state?: string): number => [...s.rows.values()].filter((r) => r.direction === direction && (state === undefined || r.state === state)).length;

  return {
    name: "sync",
    label: "airlock-courier sync",
    command: { bin: COURIER, args: ["sync", "--home", home.root, "--json"], env: { ...process.env } },
    reset() {
      restore(fx.syncFixture, fx.syncWork);
      atKill = undefined;
    },
    async baseline() {
      base = spoolFacts(home.spoolFile);
      baseFiles = new Set(mailboxFacts(mailbox).namespacesOf.keys());
    },
    async afterKill(): Promise<AfterKill> {
      const out = findings();
      const { spool, mail } = check(out);
      atKill = { spool, files: new Set(mail.namespacesOf.keys()) };
      const delivered = count(spool, "outbound", "delivered");
      const pulled = count(spool, "inbound");
      const pushed = [...spool.rows.values()].filter((r) => r.direction === "outbound" && mail.namespacesOf.has(r.digest)).length;
      const done = delivered === fx.outbound && pulled === fx.inbound;
      const pushedAny = pushed > 0 || mail.temps > 0 || mail.complete.size > baseFiles.size;
      return {
        ...out,
        progress: `${pushed}/${fx.outbound} pushed, ${delivered} marked delivered, ${pulled}/${fx.inbound} pulled, ${mail.temps} temp`,
        partial: !done && (pushedAny || pulled > 0),
        // Named by what moved, not by the order a round takes (it pulls, then pushes, then marks).
        stage: done
          ? "round written, not exited"
          : delivered > 0
            ? "marking delivered"
            : pushed === fx.outbound && pulled === fx.inbound
              ? "all moved, deliveries not yet recorded"
              : pushedAny && pulled > 0
                ? `pulled ${pulled === fx.inbound ? "all" : "some"}, pushing`
                : pushedAny
                  ? "pushing, nothing pulled"
                  : pulled > 0
                    ? "pulling, nothing pushed"
                    : "nothing moved yet",
      };
    },
    async afterRun(run: Finished): Promise<AfterRerun> {
      const out = findings();
      const { spool, mail } = check(out);
      if (count(spool, "outbound", "delivered") !== fx.outbound) out.losses.push(`${count(spool, "outbound", "delivered")} of ${fx.outbound} outbound bundles delivered`);
      if (count(spool, "inbound") !== fx.inbound) out.losses.push(`${count(spool, "inbound")} of ${fx.inbound} inbound bundles pulled`);
      for (const [d, row] of spool.rows) {
        const copies = mail.namespacesOf.get(d)?.length ?? 0;
        if (copies > 1) out.integrity.push(`${row.direction} ${d.slice(0, 12)} is in the mailbox ${copies} times`);
      }
      const reports = (JSON.parse(run.stdout) as { reports: { error?: unknown }[] }).reports;
      if (reports.some((r) => r.error !== undefined)) out.integrity.push("the sync reported a failed mailbox");
      const rows = [...spool.rows.values()].map((r) => `${r.digest} ${r.direction} ${r.state} ${r.team ?? "-"}`).sort();
      const real = [...spool.rows.keys()].filter((d) => mail.namespacesOf.has(d)).sort();
      return { ...out, state: digestOf({ rows, real }) };
    },
  };
}
