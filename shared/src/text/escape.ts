/**
 * Terminal output hygiene (docs/threat-model.md, "Terminal output"): every member-authored or
 * file-derived string is escaped before it reaches a terminal, and names refuse the same
 * characters where they are made or parsed.
 *
 * A terminal acts on bytes, not on what we meant to print: ESC and the C1 controls start
 * sequences that clear the screen, hide text (CSI 8m), set the clipboard (OSC 52) or retitle
 * the window; CR and backspace overprint; bidi overrides reorder what follows; invisible format
 * characters make two different names look the same. What is refused or escaped is one rule,
 * by Unicode general category rather than a hand list, so new format characters are covered:
 *
 *   Cc  C0 controls, DEL, C1 controls (U+0000–U+001F, U+007F–U+009F)
 *   Cf  format characters: bidi embeddings, overrides and isolates (U+202A–U+202E,
 *       U+2066–U+2069), LRM/RLM/ALM, zero-width space and joiners, word joiner, BOM (U+FEFF),
 *       soft hyphen, tag characters (U+E0000–U+E007F), ...
 *   Zl, Zp  the line and paragraph separators U+2028, U+2029
 *   Cs  lone surrogates (a well-formed pair is one astral character and is kept)
 *
 * Two exceptions, for output only: a block of text shown as a block (a note's body) keeps its
 * newlines and tabs, and the zero-width joiner and non-joiner (U+200D, U+200C) are shown as they
 * are because Persian and Indic writing and emoji sequences need them and they control nothing.
 * Names refuse both (a joiner inside "alice" is invisible): see `hasUnsafeText`.
 *
 * Escapes are rendered visibly and in ASCII: `\n`, `\r`, `\t`, `\x1b` (up to U+00FF), `\u202e`,
 * `\u{e0041}`. Backslashes themselves are left alone, so escaping is idempotent and a final
 * escape at the output boundary never doubles an earlier one; the price is that a name spelled
 * with a literal backslash-x looks like an escape. `--json` carries the exact value.
 */

// One source for the character classes, so the three patterns cannot drift apart.
const UNSAFE_CLASS = String.raw`\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}`;
const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]`, "u");
const LINE_UNSAFE = new RegExp(`(?![\\u200c\\u200d])[${UNSAFE_CLASS}]`, "gu");
const BLOCK_UNSAFE = new RegExp(`(?![\\n\\t\\u200c\\u200d])[${UNSAFE_CLASS}]`, "gu");
// JSON.stringify already escapes C0 and lone surrogates inside strings; these it passes raw.
// Outside strings compact JSON is printable ASCII (and indentation only space and \n), so a
// match is always inside a string literal, where \uXXXX means the same character.
const JSON_UNSAFE = new RegExp(`[\\u007f-\\u009f\\p{Cf}\\p{Zl}\\p{Zp}]`, "gu");

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0");

/** The visible form of one character: `\x1b`, `\u202e`, `\u{e0041}`. */
export function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const cp = ch.codePointAt(0)!;
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
  if (cp <= 0xffff) return `\\u${hex(cp, 4)}`;
  return `\\u{${hex(cp, 5)}}`;
}

/**
 * For text on one line (a name, a title, a table cell, a message): every control, format and
 * separator character becomes its visible escape, newlines and tabs included.
 */
export function escapeLine(text: string): string {
  return text.replace(LINE_UNSAFE, escapeChar);
}

/** For text shown as a block (a note's body): as `escapeLine`, but newlines and tabs stay. */
export function escapeBlock(text: string): string {
  return text.replace(BLOCK_UNSAFE, escapeChar);
}

/**
 * Whether a name (of a member, device, team or collection) holds a character names refuse:
 * any control, format, separator or lone surrogate character, joiners, newlines and tabs
 * included. The vault, the join request parser and the team-entry codec share this rule.
 */
export function hasUnsafeText(text: string): boolean {
  return UNSAFE.test(text);
}

/** The first character `hasUnsafeText` objects to, escaped, for an error message; undefined if none. */
export function firstUnsafe(text: string): string | undefined {
  const m = UNSAFE.exec(text);
  return m === null ? undefined : escapeChar(m[0]);
}

/** A one-line value between double quotes, its own quotes escaped, so where it ends is never in doubt. */
export function quoted(text: string): string {
  return `"${escapeLine(text).replaceAll('"', '\\"')}"`;
}

/**
 * A template for human output that escapes every interpolated value as one line
 * (`escapeLine`); the literal parts are ours and pass as written. Multi-line pieces are joined
 * outside the template, so nothing a member wrote can start a line of its own.
 */
export function safe(strings: TemplateStringsArray, ...values: readonly (string | number | bigint | boolean)[]): string {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += escapeLine(String(values[i])) + strings[i + 1]!;
  return out;
}

/**
 * JSON.stringify, then DEL, the C1 controls and every format and separator character escaped as
 * \uXXXX: the same value for a JSON parser, and nothing a terminal acts on when a person runs
 * `--json` in one. (Astral tag characters become their two escaped surrogate halves.)
 */
export function safeJson(value: object): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, (ch) => {
    let out = "";
    for (let i = 0; i < ch.length; i++) out += `\\u${hex(ch.charCodeAt(i), 4)}`;
    return out;
  });
}
