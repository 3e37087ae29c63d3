/**
 * Password and passphrase generators. Every character (or word) is drawn uniformly with
 * node:crypto randomInt, which rejects biased draws itself. A password must contain one
 * character of each chosen class; whole passwords that miss a class are drawn again, so the
 * result is uniform over exactly the passwords that satisfy the rule, and its entropy is the
 * log2 of their count (`passwordEntropyBits`, by inclusion-exclusion).
 *
 * Defaults: 20 characters from 90 (26 + 26 + 10 + 28 symbols) carry 129.7 bits (129.8 less the
 * passwords missing a class); six EFF words carry 6 * log2(7776) = 77.5 bits
 * (docs/apps-secrets-formats.md).
 */
import { randomInt } from "node:crypto";
import { effLargeWordlist } from "./wordlist.js";

export type CharClass = "lower" | "upper" | "digits" | "symbols";

/**
 * Symbols: printable ASCII punctuation without space, quotes, backquote and backslash, which
 * shells, CSV files and some login forms mangle.
 */
export const CHAR_CLASSES: Readonly<Record<CharClass, string>> = {
  lower: "abcdefghijklmnopqrstuvwxyz",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  digits: "0123456789",
  symbols: "!#$%&()*+,-./:;<=>?@[]^_{|}~",
};

export const PASSWORD_LIMITS = { minLength: 8, maxLength: 256, defaultLength: 20 } as const;
export const PASSPHRASE_LIMITS = { minWords: 4, maxWords: 32, defaultWords: 6, maxSeparator: 8 } as const;

export interface PasswordOptions {
  readonly length?: number;
  /** The classes to draw from, each at least once. Omitted: all four. Given: only those set true. */
  readonly classes?: Partial<Readonly<Record<CharClass, boolean>>>;
}

export interface PassphraseOptions {
  readonly words?: number;
  readonly separator?: string;
}

const ALL: readonly CharClass[] = ["lower", "upper", "digits", "symbols"];

function chosenClasses(options: PasswordOptions): { length: number; classes: readonly CharClass[] } {
  const length = options.length ?? PASSWORD_LIMITS.defaultLength;
  if (!Number.isInteger(length) || length < PASSWORD_LIMITS.minLength || length > PASSWORD_LIMITS.maxLength) {
    throw new RangeError(`"length" expected a whole number from ${PASSWORD_LIMITS.minLength} to ${PASSWORD_LIMITS.maxLength}, got ${length}`);
  }
  const given = options.classes;
  if (given !== undefined && (typeof given !== "object" || given === null)) throw new TypeError(`"classes" expected an object`);
  for (const key of Object.keys(given ?? {})) {
    if (!ALL.includes(key as CharClass)) throw new RangeError(`"classes" has unknown class "${key.slice(0, 32)}" (lower, upper, digits, symbols)`);
  }
  const classes = given === undefined ? ALL : ALL.filter((c) => given[c] === true);
  if (classes.length === 0) throw new RangeError(`"classes" chooses no character class`);
  return { length, classes };
}

/** A random password: `length` characters (8-256, default 20), at least one of each chosen class. */
export function generatePassword(options: PasswordOptions = {}): string {
  const { length, classes } = chosenClasses(options);
  const alphabet = classes.map((c) => CHAR_CLASSES[c]).join("");
  // Even at length 8 with four classes more than a third of draws qualify; the cap only turns
  // a bug into an error instead of a hang.
  for (let attempt = 0; attempt < 10_000; attempt++) {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)]!;
    if (classes.every((c) => [...CHAR_CLASSES[c]].some((ch) => out.includes(ch)))) return out;
  }
  throw new Error("password generation did not converge");
}

/** log2 of the number of passwords `generatePassword(options)` can return, all equally likely. */
export function passwordEntropyBits(options: PasswordOptions = {}): number {
  const { length, classes } = chosenClasses(options);
  const sizes = classes.map((c) => BigInt(CHAR_CLASSES[c].length));
  const total = sizes.reduce((a, b) => a + b, 0n);
  // Inclusion-exclusion over the subsets of classes left out.
  let count = 0n;
  for (let mask = 0; mask < 1 << sizes.length; mask++) {
    let left = total;
    let bits = 0;
    sizes.forEach((s, i) => {
      if (mask & (1 << i)) {
        left -= s;
        bits++;
      }
    });
    const term = left ** BigInt(length);
    count += bits % 2 === 0 ? term : -term;
  }
  return log2(count);
}

/** A random passphrase of `words` EFF words (4-32, default 6) joined by `separator` (default "-"). */
export function generatePassphrase(options: PassphraseOptions = {}): string {
  const count = options.words ?? PASSPHRASE_LIMITS.defaultWords;
  if (!Number.isInteger(count) || count < PASSPHRASE_LIMITS.minWords || count > PASSPHRASE_LIMITS.maxWords) {
    throw new RangeError(`"words" expected a whole number from ${PASSPHRASE_LIMITS.minWords} to ${PASSPHRASE_LIMITS.maxWords}, got ${count}`);
  }
  const separator = options.separator ?? "-";
  if (typeof separator !== "string" || separator.length === 0 || separator.length > PASSPHRASE_LIMITS.maxSeparator || /[\p{Cc}\p{Cs}]/u.test(separator)) {
    throw new RangeError(`"separator" expected 1 to ${PASSPHRASE_LIMITS.maxSeparator} printable characters (without one, joined words can coincide)`);
  }
  const list = effLargeWordlist();
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(list[randomInt(list.length)]!);
  return out.join(separator);
}

/** Entropy of `generatePassphrase` in bits: words * log2(7776), whatever the separator. */
export function passphraseEntropyBits(options: PassphraseOptions = {}): number {
  const count = options.words ?? PASSPHRASE_LIMITS.defaultWords;
  return count * Math.log2(effLargeWordlist().length);
}

function log2(n: bigint): number {
  const bits = n.toString(2).length;
  if (bits <= 53) return Math.log2(Number(n));
  return bits - 53 + Math.log2(Number(n >> BigInt(bits - 53)));
}
