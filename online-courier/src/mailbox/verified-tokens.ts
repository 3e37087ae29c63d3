/**
 * Tokens that opened a namespace before. A team's couriers present the same few tokens many times
 * a day; remembering which served team and epoch a token opened spares each later request the
 * HMACs over every served team and every epoch of the window.
 *
 * Only tokens that verified are remembered, so an outsider cannot grow the table, and a prober
 * never finds an entry: every refusal still does the whole check. A remembered token is honoured
 * only while its team is still served and its epoch is still inside the window, exactly the
 * answer the whole check would give, so the table changes how much work a request costs and
 * never what it is allowed.
 */
import type { MailboxServerKey } from "@airlock/shared";

export interface TokenMatch {
  readonly team: MailboxServerKey;
  readonly epoch: number;
}

export interface EpochWindow {
  readonly past: number;
  readonly future: number;
}

export class VerifiedTokens {
  readonly #entries = new Map<string, TokenMatch>();

  /**
   * @param capacity entries kept before the table starts again empty (a served team's couriers use
   *   a handful a day, so a full table means many teams or a long uptime, not an attack)
   */
  constructor(
    readonly capacity: number,
    readonly window: EpochWindow,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${String(capacity)}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * What `token` opened `namespace` as, if it did and that still holds at `nowMs` for the teams
   * `served` now. An entry that no longer holds is forgotten.
   */
  find(namespace: string, token: string, served: readonly MailboxServerKey[], nowMs: number): TokenMatch | undefined {
    const key = keyOf(namespace, token);
    const match = this.#entries.get(key);
    if (match === undefined) return undefined;
    const current = match.team.epochAt(nowMs);
    if (match.epoch >= current - this.window.past && match.epoch <= current + this.window.future && served.includes(match.team)) return match;
    this.#entries.delete(key);
    return undefined;
  }

  /** Remembers that `token` opened `namespace` as `match` (the whole check's answer). */
  remember(namespace: string, token: string, match: TokenMatch): void {
    if (this.#entries.size >= this.capacity) this.#entries.clear();
    this.#entries.set(keyOf(namespace, token), match);
  }
}

/** A token is the 64 hex digits after the last space, so no two pairs share a key. */
function keyOf(namespace: string, token: string): string {
  return `${namespace} ${token}`;
}
