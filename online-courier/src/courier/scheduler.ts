/**
 * `sync --every 15m --jitter 5m`: rounds for ever, each started `every` plus a random
 * 0..jitter after the previous one ended (jitter hides the schedule's phase). A failing
 * mailbox is retried within the round with exponential backoff (base, 2×base, 4×base, capped),
 * then left for the next round; its outbound bundles stay pending. SIGINT/SIGTERM (the
 * signal) abort the requests in flight and stop: an aborted put is retried whole next time
 * (names are content addresses), an aborted pull advances no cursor.
 * Clock, sleep and randomness are injected so tests never wait on real time.
 */
import { describeError } from "@airlock/shared";
import { courierError } from "../errors.js";
import { MAX_TIMER_MS } from "../mailbox/deadline.js";
import type { BackendRoundReport, Courier } from "./courier.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_DURATION_MS = 366 * 86_400_000;
/**
 * The longest wait a round loop or a mailbox deadline may ask for: Node's timers hold at most
 * 2^31-1 ms (~24.8 days) and fire after 1 ms beyond it, which turned `sync --every 30d` into
 * rounds back to back. 24 days is below that and easy to write.
 */
export const MAX_WAIT_MS = 24 * 86_400_000;

/**
 * A wait the CLI was given (`--every` plus `--jitter`, `--deadline`), refused with
 * COURIER_BAD_DURATION naming `flags` when it is past MAX_WAIT_MS.
 */
export function checkWait(flags: string, given: string, ms: number): number {
  if (ms > MAX_WAIT_MS) throw courierError("COURIER_BAD_DURATION", `${flags} must be at most 24d (a longer wait overflows the timer), got ${given}`);
  return ms;
}

/** "15m", "30s", "1h", "1d", "500ms", or "1h30m" → milliseconds. */
export function parseDuration(text: string): number {
  const parts = /^(?:\d{1,9}(?:ms|s|m|h|d))+$/.test(text) ? [...text.matchAll(/(\d{1,9})(ms|s|m|h|d)/g)] : [];
  if (parts.length === 0) throw courierError("COURIER_BAD_DURATION", `${JSON.stringify(text.slice(0, 40))} is not a duration`);
  const ms = parts.reduce((sum, m) => sum + Number(m[1]) * UNITS[m[2]!]!, 0);
  if (ms > MAX_DURATION_MS) throw courierError("COURIER_BAD_DURATION", `${text} is longer than a year`);
  return ms;
}

export interface BackoffOptions {
  readonly attempts?: number;
  readonly baseMs?: number;
  readonly maxMs?: number;
}

export interface ScheduleOptions {
  readonly everyMs: number;
  readonly jitterMs?: number;
  readonly signal: AbortSignal;
  readonly backoff?: BackoffOptions;
  /** Resolves after `ms`, or early when the signal aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly log?: (line: string) => void;
  readonly onRound?: (reports: BackendRoundReport[], round: number) => void;
  /** Stop after this many rounds (tests); default: until the signal. */
  readonly maxRounds?: number;
}

/**
 * Waits `ms`, or until `signal` aborts. Longer waits than one Node timer holds (MAX_TIMER_MS,
 * beyond which it fires after 1 ms) are slept in steps, so no caller can turn a long wait into
 * none; checkWait still refuses such waits on the command line, with a message.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let left = ms;
    let timer: ReturnType<typeof setTimeout>;
    const step = (): void => {
      const now = Math.min(left, MAX_TIMER_MS);
      left -= now;
      timer = setTimeout(left > 0 ? step : done, now);
    };
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    step();
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The retry policy a round uses: true = try that mailbox again (after the backoff sleep). */
export function backoffRetry(
  signal: AbortSignal,
  options: BackoffOptions,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  log?: (line: string) => void,
): (attempt: number, error: unknown) => Promise<boolean> {
  const attempts = options.attempts ?? 3;
  const base = options.baseMs ?? 5000;
  const max = options.maxMs ?? 5 * 60_000;
  return async (attempt, error) => {
    if (attempt >= attempts || signal.aborted) return false;
    const wait = Math.min(max, base * 2 ** (attempt - 1));
    log?.(`mailbox failed (${describeError(error).message}); retry ${attempt}/${attempts - 1} in ${Math.round(wait / 1000)}s`);
    await sleep(wait, signal);
    return !signal.aborted;
  };
}

export async function runSchedule(courier: Courier, options: ScheduleOptions): Promise<number> {
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const retry = backoffRetry(options.signal, options.backoff ?? {}, sleep, options.log);
  let round = 0;
  while (!options.signal.aborted && (options.maxRounds === undefined || round < options.maxRounds)) {
    round++;
    const reports = await courier.round({ retry, signal: options.signal });
    for (const r of reports) {
      options.log?.(
        r.error === undefined
          ? `round ${round} ${r.teamName} ${r.backend}: pushed ${r.push?.real ?? 0} real + ${r.push?.cover ?? 0} cover, pulled ${r.pull?.spooled ?? 0} new (${r.pull?.cover ?? 0} cover dropped, ${r.pull?.refused ?? 0} refused)`
          : `round ${round} ${r.teamName} ${r.backend}: failed: ${r.error.message} (bundles stay spooled; next round retries)`,
      );
    }
    options.onRound?.(reports, round);
    if (options.signal.aborted || (options.maxRounds !== undefined && round >= options.maxRounds)) break;
    const wait = options.everyMs + Math.floor(random() * (options.jitterMs ?? 0));
    await sleep(wait, options.signal);
  }
  return round;
}
