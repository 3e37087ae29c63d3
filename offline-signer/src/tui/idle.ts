/**
 * The idle lock: after this long without a key the TUI closes the vault, clears the screen and
 * asks for the passphrase again (`--lock-after`, ten minutes unless given; 0 never locks).
 */
import { AirlockError } from "@airlock/shared";

export const DEFAULT_LOCK_AFTER_MS = 10 * 60_000;
/** setTimeout's own ceiling (about 24.8 days): a longer wait would fire at once. */
const MAX_MS = 2 ** 31 - 1;
const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000 };

/** "90s", "10m", "1h", "1.5h" in milliseconds; "0" (any unit) disables the lock and gives 0. */
export function parseLockAfter(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smh])?\s*$/.exec(text);
  const n = m === null ? NaN : Number(m[1]);
  if (m !== null && n === 0) return 0;
  const ms = m === null || m[2] === undefined ? NaN : Math.round(n * UNITS[m[2]]!);
  if (!Number.isFinite(ms) || ms < 1000 || ms > MAX_MS) {
    throw new AirlockError("USAGE", `--lock-after ${JSON.stringify(text)} is not a time between 1s and 24 days`, {
      hint: "give a number with s, m or h (--lock-after 10m), or 0 to never lock",
    });
  }
  return ms;
}
