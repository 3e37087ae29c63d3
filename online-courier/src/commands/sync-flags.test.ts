/**
 * `sync`'s waits are bounded (docs/cli.md, "Usage errors"): Node's timers fire after 1 ms past
 * 2^31-1 ms (~24.8 days), so `--every 30d` ran rounds back to back and `--deadline 30d` timed
 * every mailbox out at once. The real bin as a child process; refused before any home is opened.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AirlockError } from "@airlock/shared";
import { checkDeadlineMs } from "../mailbox/deadline.js";
import { checkWait, MAX_WAIT_MS, parseDuration } from "../courier/scheduler.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");

function sync(args: string[]): { status: number | null; json: unknown } {
  const r = spawnSync(process.execPath, [BIN, "sync", "--home", "/nonexistent/airlock-courier-home", "--json", ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, json: JSON.parse(r.stdout) as unknown };
}

describe("sync's waits", () => {
  it("refuses --every plus --jitter and --deadline past 24 days as a usage error naming the flag and the maximum", () => {
    expect(sync(["--every", "20d", "--jitter", "10d"])).toEqual({ status: 2, json: { ok: false, error: { code: "USAGE", message: "--every plus --jitter must be at most 24d (a longer wait overflows the timer), got 20d + 10d", hint: "write durations like 30s, 15m, 1h or 1d" } } });
    expect(sync(["--deadline", "30d"])).toMatchObject({ status: 2, json: { error: { code: "USAGE", message: "--deadline must be at most 24d (a longer wait overflows the timer), got 30d" } } });
  });

  it("accepts 24 days, refuses --every alone past it, and the library refuses a deadline its timer cannot hold", () => {
    expect(() => checkWait("--every plus --jitter", "30d + 0s", parseDuration("30d"))).toThrow(/must be at most 24d/);
    expect(checkWait("--every plus --jitter", "24d", parseDuration("24d"))).toBe(MAX_WAIT_MS);
    expect(MAX_WAIT_MS).toBeLessThan(2 ** 31);
    expect(() => checkWait("--deadline", "24d1ms", parseDuration("24d1ms"))).toThrow(AirlockError);
    expect(checkDeadlineMs("mailboxDeadlineMs", 2 ** 31 - 1)).toBe(2 ** 31 - 1);
    expect(() => checkDeadlineMs("mailboxDeadlineMs", 2 ** 31)).toThrow(RangeError);
  });
});
