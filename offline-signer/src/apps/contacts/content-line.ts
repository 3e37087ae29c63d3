/**
 * vCard lexing: text to cards of logical lines, a logical line to name, group, parameters and raw
 * value, and the value encodings (backslash escapes, quoted-printable, base64).
 *
 * Grammar: RFC 6350 §3.2–3.3 (4.0), RFC 2426 §4 and RFC 2425 §5.8 (3.0), vCard 2.1 §2.1 (versit,
 * 1996), RFC 6868 (^-escapes in parameter values). We lex ourselves rather than through ical.js:
 * its parser reports no line numbers, puts the whole offending line (contact data, up to megabytes)
 * into its error messages, splits `N:a\\;b` at the wrong semicolon, and knows neither 2.1's bare
 * parameters (`TEL;CELL:`) nor quoted-printable soft line breaks. Its parameter and escape handling
 * is the reference the differential test in content-line.test.ts holds this lexer to.
 */
import { importMalformed } from "./errors.js";

export type VcardVersion = "2.1" | "3.0" | "4.0";

/** A content line as it spans physical lines: the first, then continuations. */
export interface LogicalLine {
  /** 1-based physical line number of the first line. */
  readonly line: number;
  readonly first: string;
  /** Continuation lines as read; `soft[i]` marks a quoted-printable soft break (line ended in "="). */
  readonly rest: string[];
  readonly soft: boolean[];
  readonly quotedPrintable: boolean;
}

export interface RawCard {
  /** 1-based position of the card in the file. */
  readonly number: number;
  /** Physical line of its BEGIN:VCARD. */
  readonly line: number;
  readonly lines: readonly LogicalLine[];
}

export const READ_LIMITS = {
  fileBytes: 16 * 1024 * 1024,
  cards: 20_000,
  linesPerCard: 10_000,
} as const;

const BEGIN = /^BEGIN:VCARD[ \t]*$/i;
const END = /^END:VCARD[ \t]*$/i;
const ANY_BEGIN = /^BEGIN[ \t]*:/i;
const ANY_END = /^END[ \t]*:/i;

/**
 * Splits text into cards, calling `onCard` as each END:VCARD arrives so only one card's lines are
 * held at a time. Folding (a line starting with space or tab continues the previous one) and
 * quoted-printable soft breaks are recorded, not applied: how to unfold depends on the card's version.
 */
export function readCards(text: string, onCard: (card: RawCard) => void): void {
  let card: { number: number; line: number; lines: LogicalLine[] } | undefined;
  let cards = 0;
  let current: (LogicalLine & { rest: string[]; soft: boolean[] }) | undefined;

  const flush = (): void => {
    const l = current;
    current = undefined;
    if (l === undefined) return;
    // Only a BEGIN or END line needs unfolding to be recognised; a folded photo is not joined here.
    const head = l.rest.length === 0 || !/^(BEGIN|END)/i.test(l.first) ? l.first : unfold(l, "4.0");
    if (card === undefined) {
      if (BEGIN.test(head)) {
        cards += 1;
        card = { number: cards, line: l.line, lines: [] };
        return;
      }
      if (ANY_BEGIN.test(head)) throw importMalformed({ line: l.line }, "this is not a vCard (BEGIN of another kind of object)");
      if (ANY_END.test(head)) throw importMalformed({ line: l.line }, "END:VCARD without a BEGIN:VCARD before it");
      throw importMalformed({ line: l.line }, "text outside BEGIN:VCARD ... END:VCARD");
    }
    if (END.test(head)) {
      const done = card;
      card = undefined;
      onCard(done);
      return;
    }
    if (ANY_BEGIN.test(head)) {
      throw importMalformed({ card: card.number, line: l.line }, "BEGIN inside a card (nested card, or the card before has no END:VCARD)");
    }
    if (ANY_END.test(head)) throw importMalformed({ card: card.number, line: l.line }, "END of another kind of object inside a card");
    if (card.lines.length >= READ_LIMITS.linesPerCard) {
      throw importMalformed({ card: card.number, line: l.line }, `card has more than ${READ_LIMITS.linesPerCard} lines`);
    }
    card.lines.push(l);
  };

  const breaks = /\r\n|\n|\r/g;
  let pos = 0;
  let lineNo = 0;
  for (;;) {
    const m = breaks.exec(text);
    const end = m === null ? text.length : m.index;
    const physical = text.slice(pos, end);
    lineNo += 1;
    if (physical === "") {
      flush();
    } else if (current !== undefined && current.quotedPrintable && lastPart(current).endsWith("=")) {
      current.rest.push(physical);
      current.soft.push(true);
    } else if (physical[0] === " " || physical[0] === "\t") {
      if (current !== undefined) {
        current.rest.push(physical);
        current.soft.push(false);
      } else if (physical.trim() !== "") {
        throw importMalformed(card === undefined ? { line: lineNo } : { card: card.number, line: lineNo }, "continuation line with no line before it to continue");
      }
    } else {
      flush();
      current = { line: lineNo, first: physical, rest: [], soft: [], quotedPrintable: headIsQuotedPrintable(physical) };
    }
    if (m === null) break;
    pos = end + m[0].length;
  }
  flush();
  if (card !== undefined) throw importMalformed({ card: card.number, line: card.line }, "card has no END:VCARD");
}

function lastPart(l: LogicalLine): string {
  return l.rest.length === 0 ? l.first : (l.rest[l.rest.length - 1] as string);
}

/**
 * The logical line's text. 3.0 and 4.0 drop the one whitespace character that marks a fold; 2.1
 * (RFC 822 folding) keeps it. A quoted-printable soft break drops the "=" and nothing else.
 */
export function unfold(l: LogicalLine, version: VcardVersion): string {
  if (l.rest.length === 0) return l.first;
  // Pieces joined once: trimming the "=" off a growing string would copy it at every soft break.
  const pieces = [l.first];
  l.rest.forEach((part, i) => {
    if (l.soft[i] === true) {
      const last = pieces.length - 1;
      pieces[last] = (pieces[last] as string).slice(0, -1);
      pieces.push(part);
    } else pieces.push(version === "2.1" ? part : part.slice(1));
  });
  return pieces.join("");
}

/** Only the first physical line is looked at: no writer we know folds inside the parameters of a QP line. */
function headIsQuotedPrintable(first: string): boolean {
  if (!/QUOTED-PRINTABLE/i.test(first)) return false;
  try {
    const { params } = parseContentLine(first, "2.1", { line: 0 });
    return (params.get("encoding") ?? []).some((e) => e.toUpperCase() === "QUOTED-PRINTABLE");
  } catch {
    return false;
  }
}

export interface ContentLine {
  /** Physical line where it starts, for error messages. */
  readonly line: number;
  /** Lowercase, as Apple's "item1" of item1.TEL. */
  readonly group: string | undefined;
  /** Uppercase. */
  readonly name: string;
  /**
   * Lowercase parameter names to their values in order of appearance. A quoted value is one
   * value; an unquoted one is split at commas. 2.1's bare parameters land under "type",
   * "encoding" or "value" as the 2.1 spec defines them.
   */
  readonly params: ReadonlyMap<string, readonly string[]>;
  /** Everything after the first ':' outside quotes: still escaped or encoded. */
  readonly value: string;
}

const TOKEN = /[A-Za-z0-9_-]/;
const BARE_ENCODINGS = new Set(["QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"]);
const BARE_VALUES = new Set(["INLINE", "URL", "CONTENT-ID", "CID"]);

/** The name of a logical line, read from its first physical line, or undefined if it has none there. */
export function peekName(first: string): string | undefined {
  const m = /^(?:[A-Za-z0-9_-]+\.)?([A-Za-z0-9_-]+)[;:]/.exec(first);
  return m === null ? undefined : (m[1] as string).toUpperCase();
}

export function parseContentLine(text: string, version: VcardVersion, at: { card?: number; line: number }): ContentLine {
  let i = 0;
  const token = (): string => {
    const start = i;
    while (i < text.length && TOKEN.test(text[i] as string)) i++;
    return text.slice(start, i);
  };
  let name = token();
  let group: string | undefined;
  if (text[i] === "." && name !== "") {
    i++;
    group = name.toLowerCase();
    name = token();
  }
  if (name === "" || (text[i] !== ";" && text[i] !== ":")) {
    throw importMalformed(at, text.includes(":") ? "invalid property name" : "line has no ':' between name and value");
  }
  const where = { card: at.card, line: at.line, property: name.toUpperCase() };
  const params = new Map<string, string[]>();
  const add = (key: string, value: string): void => {
    const list = params.get(key);
    if (list === undefined) params.set(key, [value]);
    else list.push(value);
  };
  while (text[i] === ";") {
    i++;
    const pname = token();
    if (text[i] === "=") {
      if (pname === "") throw importMalformed(where, "parameter without a name");
      i++;
      for (;;) {
        let value: string;
        if (text[i] === '"') {
          const close = text.indexOf('"', i + 1);
          if (close < 0) throw importMalformed(where, "parameter value opens a quote it never closes");
          value = text.slice(i + 1, close);
          i = close + 1;
        } else {
          const start = i;
          while (i < text.length && text[i] !== ";" && text[i] !== ":" && text[i] !== "," && text[i] !== '"') i++;
          if (text[i] === '"') throw importMalformed(where, "quote in the middle of a parameter value");
          value = text.slice(start, i);
        }
        add(pname.toLowerCase(), version === "2.1" ? value : caretDecode(value));
        if (text[i] !== ",") break;
        i++;
      }
      if (text[i] !== ";" && text[i] !== ":") {
        throw importMalformed(where, i >= text.length ? "line has no ':' before the value" : "unexpected character after a parameter value");
      }
    } else if (pname !== "" && (text[i] === ";" || text[i] === ":")) {
      // vCard 2.1 §2.1.2: a parameter may be given by its value alone (TEL;CELL;VOICE:...).
      const upper = pname.toUpperCase();
      add(BARE_ENCODINGS.has(upper) ? "encoding" : BARE_VALUES.has(upper) ? "value" : "type", pname);
    } else {
      throw importMalformed(where, i >= text.length ? "line has no ':' before the value" : "invalid parameter");
    }
  }
  if (text[i] !== ":") throw importMalformed(where, "line has no ':' before the value");
  return { line: at.line, group, name: name.toUpperCase(), params, value: text.slice(i + 1) };
}

/** RFC 6868: ^^ is ^, ^' is ", ^n is a newline; any other ^ stands for itself. */
function caretDecode(v: string): string {
  if (!v.includes("^")) return v;
  return v.replace(/\^(\^|'|n|N)/g, (_m, c: string) => (c === "^" ? "^" : c === "'" ? '"' : "\n"));
}

/** Splits at `sep` where it is not backslash-escaped; escapes stay in the pieces for unescapeText. */
export function splitEscaped(raw: string, sep: ";" | ","): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\") i++;
    else if (c === sep) {
      out.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  out.push(raw.slice(start));
  return out;
}

/**
 * RFC 6350 §3.4 / RFC 2426 §4: \\ \, \; and \n (or \N). "\:" is Apple's escape in URLs and means
 * ":". Any other backslash is kept as written. vCard 2.1 writes newlines as quoted-printable, not \n,
 * so there "\n" stays two characters.
 */
export function unescapeText(raw: string, version: VcardVersion): string {
  if (!raw.includes("\\")) return raw;
  return raw.replace(/\\([\s\S]?)/g, (m, c: string) => {
    if (c === "\\" || c === "," || c === ";" || c === ":") return c;
    if ((c === "n" || c === "N") && version !== "2.1") return "\n";
    return m;
  });
}

/**
 * Quoted-printable (RFC 2045 §6.7) as vCard 2.1 writers use it: "=XX" is a byte, a trailing "="
 * was a soft break, other characters stand for their own UTF-8 bytes. The bytes are then decoded
 * in `charset` (default UTF-8); bytes not valid in it are an error, not replacement characters.
 */
export function decodeQuotedPrintable(raw: string, charset: string): string | { problem: string } {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === "=") {
      const hex = raw.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
      if (i === raw.length - 1) break;
    }
    const cp = raw.codePointAt(i) as number;
    if (cp < 0x80) bytes.push(cp);
    else {
      const ch = String.fromCodePoint(cp);
      for (const b of encoder.encode(ch)) bytes.push(b);
      i += ch.length - 1;
    }
  }
  return decodeBytes(Uint8Array.from(bytes), charset);
}

export function decodeBase64Text(raw: string, charset: string): string | { problem: string } {
  const compact = raw.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return { problem: "base64 value has characters outside the base64 alphabet" };
  return decodeBytes(Uint8Array.from(Buffer.from(compact, "base64")), charset);
}

function decodeBytes(bytes: Uint8Array, charset: string): string | { problem: string } {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    return { problem: "CHARSET names a character set this build cannot decode" };
  }
  try {
    return decoder.decode(bytes);
  } catch {
    return { problem: "encoded bytes are not valid in the declared CHARSET" };
  }
}
