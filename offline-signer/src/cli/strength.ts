/**
 * How strong a new vault passphrase is, judged by zxcvbn (the Dropbox estimator, maintained as
 * @zxcvbn-ts; decisions.md #39): it knows common passwords, names, dates, keyboard walks and
 * l33t, which a length-and-classes rule does not. Used when a vault is created and when its
 * passphrase changes, by the CLI (a warning, and on a terminal a question) and by the TUI's
 * first-run meter.
 *
 * zxcvbn reads a string, which JavaScript cannot wipe: the passphrase is decoded only for the
 * check and the string is dropped at once. This runs before the vault exists, so the key is
 * not yet derived from it either way.
 */
import type { ZxcvbnFactory } from "@zxcvbn-ts/core";

/**
 * Below this many guesses a passphrase is called weak. The vault's Argon2id setting makes each
 * guess cost about a second of a laptop's time, but a thief with the stolen vault folder and a
 * rack of GPUs tries thousands a second: 10^10 guesses is still about a year at 300 a second
 * (zxcvbn's own top score starts here).
 */
export const WEAK_BELOW_GUESSES_LOG10 = 10;

export interface PassphraseStrength {
  /** zxcvbn's score, 0 (guessed at once) to 4 (very hard). */
  readonly score: 0 | 1 | 2 | 3 | 4;
  /** log10 of the estimated guesses an attacker needs. */
  readonly guessesLog10: number;
  /** True below the floor (WEAK_BELOW_GUESSES_LOG10): warn, and ask before using it. */
  readonly weak: boolean;
  /** One line for a person: "weak: this is a commonly used password", "strong". */
  readonly summary: string;
  /** zxcvbn's suggestions, at most three, already in words. */
  readonly suggestions: readonly string[];
}

let factory: Promise<ZxcvbnFactory> | undefined;

/** Loaded on first use: the dictionaries take about 0.3 s and 2 MB, paid only when a passphrase is set. */
function estimator(): Promise<ZxcvbnFactory> {
  factory ??= (async () => {
    const [{ ZxcvbnFactory: Factory }, common, en] = await Promise.all([import("@zxcvbn-ts/core"), import("@zxcvbn-ts/language-common"), import("@zxcvbn-ts/language-en")]);
    return new Factory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
  })();
  return factory;
}

const LABELS = ["very weak", "weak", "fair", "good", "strong"] as const;

/** zxcvbn only looks at the first 256 characters; longer is not weaker, and longer input is slow. */
const MAX_CHECKED_CHARS = 256;

export async function passphraseStrength(passphrase: Uint8Array): Promise<PassphraseStrength> {
  const z = await estimator();
  const text = Buffer.from(passphrase.buffer, passphrase.byteOffset, passphrase.byteLength).toString("utf8").slice(0, MAX_CHECKED_CHARS);
  const result = await z.check(text);
  const score = result.score as PassphraseStrength["score"];
  const weak = result.guessesLog10 < WEAK_BELOW_GUESSES_LOG10;
  const label = weak && score >= 3 ? "fair" : LABELS[score];
  const warning = result.feedback.warning;
  const suggestions = result.feedback.suggestions.slice(0, 3);
  const summary = weak ? `${label}: ${warning ?? "an attacker with the vault folder could guess it"}`.replace(/\.$/, "") : label;
  return { score, guessesLog10: result.guessesLog10, weak, summary, suggestions };
}

/** A fixed-width meter for a terminal: `[####......] strong`. */
export function strengthMeter(s: PassphraseStrength, width = 10): string {
  const filled = Math.max(1, Math.min(width, Math.round((Math.min(s.guessesLog10, 16) / 16) * width)));
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${s.summary}`;
}
