/**
 * abortableSleep holds waits longer than one Node timer can (2^31-1 ms, beyond which a timer
 * fires after 1 ms): `sync --every` is bounded on the command line, but runSchedule and
 * backoffRetry take any number. Fake timers emulate Node's overflow, so the unfixed sleep ends
 * at once here as it does for real.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_MS } from "../mailbox/deadline.js";
import { abortableSleep } from "./scheduler.js";

const DAY = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

describe("abortableSleep", () => {
  it("sleeps 30 days, longer than one timer holds, and not a millisecond less", async () => {
    vi.useFakeTimers();
    let woke = false;
    const sleeping = abortableSleep(30 * DAY, new AbortController().signal).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(30 * DAY - (MAX_TIMER_MS + 1) - 1);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it("an abort ends a long sleep in its second step, leaving no timer behind", async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    let woke = false;
    const sleeping = abortableSleep(40 * DAY, stop.signal).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + DAY);
    expect(woke).toBe(false);
    stop.abort();
    await sleeping;
    expect(vi.getTimerCount()).toBe(0);
  });
});
