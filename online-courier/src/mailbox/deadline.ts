/**
 * Deadlines and cancellation for mailbox calls. Every mailbox is hostile: it may accept a
 * connection and never answer, or trickle a byte a minute so no idle timeout fires. So each
 * request has a total deadline, each mailbox a total deadline per round, and both arrive at the
 * backend as one AbortSignal whose reason is the typed error the call rejects with.
 *
 * Invariant: a call given a signal settles no later than the signal aborts, even if the
 * operation underneath cannot be cancelled (raceAbort); the abandoned operation's outcome is
 * ignored.
 */
import { AirlockError } from "@airlock/shared";
import { mailboxError } from "./backend.js";

/** The error a call rejects with once `signal` aborted: its reason if typed, else MAILBOX_ABORTED. */
export function abortError(signal: AbortSignal): AirlockError {
  const reason: unknown = signal.reason;
  if (reason instanceof AirlockError) return reason;
  return mailboxError("MAILBOX_ABORTED", "the courier stopped this mailbox call");
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal);
}

/** Settles like `work`, or rejects with abortError(signal) as soon as the signal aborts. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * A signal that aborts when `parent` does or after `ms` (then with MAILBOX_TIMEOUT naming
 * `what`), and `done()` to release the timer. The timer does not keep the process alive.
 */
export function deadlineSignal(ms: number, parent: AbortSignal | undefined, what: string): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onParent = (): void => controller.abort(parent!.reason);
  if (parent?.aborted === true) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onParent, { once: true });
  const timer = setTimeout(() => controller.abort(mailboxError("MAILBOX_TIMEOUT", `${what} did not finish within ${ms} ms`)), ms);
  timer.unref();
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParent);
    },
  };
}

/** Runs `work` under deadlineSignal(ms, parent, what); settles by the deadline whatever `work` does. */
export async function withDeadline<T>(ms: number, parent: AbortSignal | undefined, what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal, done } = deadlineSignal(ms, parent, what);
  try {
    return await raceAbort(work(signal), signal);
  } finally {
    done();
  }
}

/** Node's timers hold at most this many ms and fire after 1 ms beyond it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function checkDeadlineMs(name: string, ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > MAX_TIMER_MS) throw new RangeError(`${name} must be a positive integer (ms) of at most ${MAX_TIMER_MS}, got ${ms}`);
  return ms;
}
