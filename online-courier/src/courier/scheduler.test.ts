import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes, toHex } from "@airlock/bundle-format";
import { isAirlockError, AirlockError } from "@airlock/shared";
import { makeTeam, teamBundle } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import type { MailboxBackend } from "../mailbox/backend.js";
import { openMailbox, resetMemoryMailboxes } from "../mailbox/open.js";
import { Courier } from "./courier.js";
import { parseDuration, runSchedule } from "./scheduler.js";

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  resetMemoryMailboxes();
});

describe("parseDuration", () => {
  it("reads the forms the CLI documents and refuses the rest", () => {
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("250ms")).toBe(250);
    for (const bad of ["", "15", "m", "-1m", "1.5h", "1y", "15 m", "9999999999d"]) {
      expect(() => parseDuration(bad), bad).toThrow(AirlockError);
    }
  });
});

describe("runSchedule", () => {
  it("survives a mailbox that is down: retries with backoff, keeps the bundle pending, sends it when the mailbox is back", async () => {
    dir = tempDir("schedule");
    const team = makeTeam("patient");
    const url = `memory:sched${toHex(randomBytes(4))}`;
    let down = true;
    const flaky = (backend: MailboxBackend): MailboxBackend => ({
      maxBundleBytes: backend.maxBundleBytes,
      put: (n, b) => (down ? Promise.reject(new AirlockError("MAILBOX_IO", "connection refused")) : backend.put(n, b)),
      list: (s) => (down ? Promise.reject(new AirlockError("MAILBOX_IO", "connection refused")) : backend.list(s)),
      get: (n) => backend.get(n),
      delete: (n) => backend.delete(n),
    });
    const now = 20_300 * 86_400_000;
    const sender = Courier.open(setupCourierHome(join(dir, "a"), [team], url, { sendPerRound: 2, bucketSizes: [2048] }), {
      now: () => now,
      openBackend: (u, ns) => flaky(openMailbox(u, ns)),
    });
    const receiver = Courier.open(setupCourierHome(join(dir, "b"), [team], url, { sendPerRound: 2, bucketSizes: [2048] }), { now: () => now });
    const bundle = teamBundle(team, team.tk.epochAt(now), randomBytes(100));
    sender.ingest(bundle);
    const waits: number[] = [];
    const abort = new AbortController();
    const states: string[] = [];
    const rounds = await runSchedule(sender, {
      everyMs: 900_000,
      jitterMs: 300_000,
      random: () => 0.5,
      signal: abort.signal,
      backoff: { attempts: 3, baseMs: 1000 },
      sleep: async (ms) => {
        waits.push(ms);
      },
      onRound: (reports, round) => {
        states.push(sender.spool.list({ direction: "outbound" })[0]!.state);
        if (round === 1) {
          expect(reports[0]!.error?.code).toBe("MAILBOX_IO");
          down = false;
        }
        if (round === 2) abort.abort(); // what SIGINT does: the loop ends after this round
      },
    });
    expect(rounds).toBe(2);
    expect(states).toEqual(["failed", "delivered"]);
    expect(waits).toEqual([1000, 2000, 900_000 + 150_000]);
    const status = sender.spool.ledger.syncs()[0]!;
    expect(status.lastError).toBeUndefined();
    await receiver.round();
    expect(receiver.spool.list({ direction: "inbound" })).toHaveLength(1);
    sender.close();
    receiver.close();
    expect(isAirlockError(new AirlockError("X", "y"))).toBe(true);
  });
});
