/**
 * Which characters a secret's text may hold. Imports come from other apps and hostile files, so
 * the rule is strict where a character can only be damage and lenient where real data needs it:
 *
 * - everywhere: no NUL and no lone surrogate (neither survives UTF-8 and SQLite intact);
 * - one-line values (title, username, URL, tag, field name, TOTP label): no control character
 *   (C0, DEL, C1, tab and newlines included) and no line or paragraph separator;
 * - blocks (password, notes, field values): controls other than tab, CR and LF are refused.
 *
 * Bidi and other format characters are allowed (Arabic, Hebrew and emoji titles need them);
 * output escapes them (shared/src/text/escape.ts).
 */
const LINE_BAD = /[\p{Cc}\p{Cs}\u2028\u2029]/u;
const BLOCK_BAD = /(?![\t\n\r])[\p{Cc}\p{Cs}]/u;

const describe = (ch: string): string => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** Why `text` may not be a one-line value, or undefined. */
export function lineProblem(text: string): string | undefined {
  const m = LINE_BAD.exec(text);
  return m === null ? undefined : `holds the control character ${describe(m[0])}`;
}

/** Why `text` may not be a block of text, or undefined. */
export function blockProblem(text: string): string | undefined {
  const m = BLOCK_BAD.exec(text);
  return m === null ? undefined : `holds the control character ${describe(m[0])}`;
}
