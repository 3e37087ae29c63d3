/**
 * vCard files to and from Contact: 4.0 (RFC 6350), 3.0 (RFC 2426) and, where it is close enough,
 * 2.1 (versit 1996, still written by Android and Outlook). The property-by-property mapping and
 * what is dropped are in docs/apps-contacts-vcard.md.
 *
 * Import is all-or-nothing: the file is bounded before it is decoded, every card is mapped and
 * checked, and the first problem throws a typed error naming the card and line; no partial list
 * is ever returned.
 */
import {
  checkContact,
  CONTACT_LIMITS,
  fieldProblem,
  labeledValueProblem,
  normalizeLabel,
  utf8Length,
  SENSITIVITIES,
  type Contact,
  type Labeled,
  type LabeledField,
  type Sensitivity,
} from "./contact.js";
import {
  decodeBase64Text,
  decodeQuotedPrintable,
  parseContentLine,
  peekName,
  readCards,
  READ_LIMITS,
  splitEscaped,
  unescapeText,
  unfold,
  type ContentLine,
  type RawCard,
  type VcardVersion,
} from "./content-line.js";
import { cardNoName, contactsError, importMalformed, type ImportPlace } from "./errors.js";
import { isAirlockError, type AirlockError } from "@airlock/shared";

/** Longest logical line we decode for a property we keep; photos and keys are skipped unread. */
const MAX_MAPPED_LINE = 512 * 1024;

// Messenger properties older Apple, Android and Outlook exports write, and the service each names.
const MESSENGER_PROPERTIES: Readonly<Record<string, string>> = {
  "X-AIM": "aim",
  "X-ICQ": "icq",
  "X-JABBER": "jabber",
  "X-MSN": "msn",
  "X-YAHOO": "yahoo",
  "X-SKYPE": "skype",
  "X-SKYPE-USERNAME": "skype",
  "X-GOOGLE-TALK": "googletalk",
  "X-GTALK": "googletalk",
  "X-QQ": "qq",
  "X-SIGNAL": "signal",
  "X-TELEGRAM": "telegram",
  "X-WHATSAPP": "whatsapp",
  "X-THREEMA": "threema",
  "X-MATRIX": "matrix",
  "X-WIRE": "wire",
  "X-TWITTER": "twitter",
  "X-MS-IMADDRESS": "",
};

const MAPPED = new Set([
  "VERSION", "FN", "N", "ORG", "TEL", "EMAIL", "IMPP", "X-SOCIALPROFILE", "ADR", "NOTE", "UID",
  "X-AIRLOCK-SENSITIVITY", "X-ABLABEL", ...Object.keys(MESSENGER_PROPERTIES),
]);

// TYPE values that say nothing a person would call a label: preference, the default kind, transport.
const UNLABELLING_TYPES = new Set(["pref", "voice", "internet", "x400", "dom", "intl", "postal", "parcel"]);

/** A card left out of an import: where it starts, and the typed error saying why (CONTACTS_CARD_NO_NAME). */
export interface SkippedCard {
  readonly card: number;
  readonly line: number;
  readonly error: AirlockError;
}

export interface VcardRead {
  readonly contacts: Contact[];
  /** Well-formed cards that cannot be stored (no name): left out, the others kept. */
  readonly skipped: SkippedCard[];
}

/**
 * Every card of a file as a Contact, and the cards left out. A damaged file (bad syntax, a value
 * over its limit) still throws and yields nothing; only a well-formed card with no name to store
 * is left out, so one nameless card from a phone's export does not block the rest.
 */
export function readVcards(bytes: Uint8Array): VcardRead {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('"bytes" expected Uint8Array');
  if (bytes.length > READ_LIMITS.fileBytes) {
    throw contactsError("CONTACTS_IMPORT_TOO_LARGE", `vCard file is ${bytes.length} bytes, more than ${READ_LIMITS.fileBytes}`);
  }
  const text = decodeFile(bytes);
  const begin = /^BEGIN:VCARD[ \t]*$/gim;
  let begins = 0;
  while (begin.exec(text) !== null) {
    if (++begins > READ_LIMITS.cards) {
      throw contactsError("CONTACTS_IMPORT_TOO_LARGE", `vCard file has more than ${READ_LIMITS.cards} cards`);
    }
  }
  const contacts: Contact[] = [];
  const skipped: SkippedCard[] = [];
  readCards(text, (card) => {
    try {
      contacts.push(mapCard(card));
    } catch (e) {
      if (!isAirlockError(e, "CONTACTS_CARD_NO_NAME")) throw e;
      skipped.push({ card: card.number, line: card.line, error: e });
    }
  });
  return { contacts, skipped };
}

/** Every card of a file as a Contact, or the first problem: a card left out by readVcards is an error here. */
export function parseVcards(bytes: Uint8Array): Contact[] {
  const { contacts, skipped } = readVcards(bytes);
  if (skipped[0] !== undefined) throw skipped[0].error;
  return contacts;
}

function decodeFile(bytes: Uint8Array): string {
  // UTF-16 with a byte order mark is what Windows tools write when they do not write UTF-8.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw importMalformed({ line: firstBadUtf8Line(bytes) }, "file is not UTF-8 text (other character sets are read only inside quoted-printable values)");
  }
}

function firstBadUtf8Line(bytes: Uint8Array): number {
  const strict = new TextDecoder("utf-8", { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    try {
      strict.decode(bytes.subarray(start, i));
    } catch {
      return line;
    }
    line += 1;
    start = i + 1;
  }
  return line;
}

type Prop = ContentLine;

function mapCard(card: RawCard): Contact {
  const version = cardVersion(card);
  const props: Prop[] = [];
  const abLabels = new Map<string, string>();
  for (const l of card.lines) {
    const peeked = peekName(l.first);
    if (peeked !== undefined && !MAPPED.has(peeked)) continue;
    const text = unfold(l, version);
    const at: ImportPlace = peeked === undefined ? { card: card.number, line: l.line } : { card: card.number, line: l.line, property: peeked };
    if (peeked !== undefined && text.length > MAX_MAPPED_LINE) {
      throw importMalformed(at, `line is longer than ${MAX_MAPPED_LINE} characters`);
    }
    const prop = parseContentLine(text, version, at);
    if (!MAPPED.has(prop.name)) continue;
    if (prop.name === "X-ABLABEL") {
      if (prop.group !== undefined) abLabels.set(prop.group, appleLabel(textValue(prop, version, card.number)));
    } else props.push(prop);
  }
  return buildContact(card, version, props, abLabels);
}

function cardVersion(card: RawCard): VcardVersion {
  for (const l of card.lines) {
    if (peekName(l.first) !== "VERSION") continue;
    const v = unfold(l, "4.0").replace(/^VERSION[ \t]*:/i, "").trim();
    if (v === "2.1" || v === "3.0" || v === "4.0") return v;
    throw importMalformed({ card: card.number, line: l.line, property: "VERSION" }, "version is not 2.1, 3.0 or 4.0");
  }
  // RFC 2426 and 6350 require VERSION; cards without one are read by the 3.0 rules, the common case.
  return "3.0";
}

/** Apple writes its own labels as _$!<Mobile>!$_ and custom ones as typed. */
function appleLabel(raw: string): string {
  const m = /^_\$!<(.*)>!\$_$/.exec(raw);
  return normalizeLabel(m === null ? raw : (m[1] as string));
}

function place(card: number, p: Prop): ImportPlace {
  return { card, line: p.line, property: p.name };
}

/** The value decoded from its transfer encoding (QP, base64) and charset, newlines as "\n", still escaped. */
function decodedValue(p: Prop, card: number): string {
  const encoding = (p.params.get("encoding")?.[0] ?? "").toUpperCase();
  const charset = p.params.get("charset")?.[0] ?? "utf-8";
  let out: string | { problem: string };
  if (encoding === "QUOTED-PRINTABLE") out = decodeQuotedPrintable(p.value, charset);
  else if (encoding === "B" || encoding === "BASE64") out = decodeBase64Text(p.value, charset);
  else if (encoding === "" || encoding === "8BIT" || encoding === "7BIT") out = p.value;
  else throw importMalformed(place(card, p), "unknown ENCODING");
  if (typeof out !== "string") throw importMalformed(place(card, p), out.problem);
  return out.replace(/\r\n?/g, "\n");
}

function textValue(p: Prop, version: VcardVersion, card: number): string {
  return unescapeText(decodedValue(p, card), version);
}

/** Components split at ";", each a list split at "," (4.0 and 3.0; 2.1 has no lists), unescaped. */
function structured(p: Prop, version: VcardVersion, card: number, lists: boolean): string[][] {
  return splitEscaped(decodedValue(p, card), ";").map((component) =>
    (lists && version !== "2.1" ? splitEscaped(component, ",") : [component]).map((v) => unescapeText(v, version)).filter((v) => v !== ""),
  );
}

function typeLabel(p: Prop, abLabels: ReadonlyMap<string, string>): string {
  if (p.group !== undefined) {
    const ab = abLabels.get(p.group);
    if (ab !== undefined) return ab;
  }
  const types: string[] = [];
  for (const raw of p.params.get("type") ?? []) {
    for (const t of raw.split(",")) {
      const lower = normalizeLabel(t).replace(/^x-/, "");
      if (lower !== "" && !UNLABELLING_TYPES.has(lower) && !types.includes(lower)) types.push(lower);
    }
  }
  return normalizeLabel(types.join(" "));
}

function firstParam(p: Prop, name: string): string | undefined {
  const v = p.params.get(name);
  return v === undefined ? undefined : v.join(",");
}

function decodeHandle(uri: string): string {
  const rest = uri.slice("x-apple:".length);
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

function messenger(p: Prop, version: VcardVersion, card: number): Labeled | undefined {
  if (p.name === "IMPP") {
    // IMPP is a URI (RFC 4770, RFC 6350 §6.4.3); writers that escape it as text (ical.js, so
    // Thunderbird) escape only characters a URI we would keep as-is never holds.
    const uri = textValue(p, version, card);
    if (uri === "") return undefined;
    const isApple = /^x-apple:/i.test(uri);
    const service = firstParam(p, "x-service-type");
    const scheme = isApple ? "" : (/^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1] ?? "");
    return { label: normalizeLabel(service !== undefined && service !== "" ? service : scheme), value: isApple ? decodeHandle(uri) : uri };
  }
  if (p.name === "X-SOCIALPROFILE") {
    const user = firstParam(p, "x-user");
    const value = textValue(p, version, card);
    const handle = user !== undefined && user !== "" ? user : /^x-apple:/i.test(value) ? decodeHandle(value) : value;
    if (handle === "") return undefined;
    return { label: normalizeLabel(firstParam(p, "type") ?? ""), value: handle };
  }
  const value = textValue(p, version, card);
  return value === "" ? undefined : { label: MESSENGER_PROPERTIES[p.name] as string, value };
}

function phone(p: Prop, version: VcardVersion, card: number): string {
  const valueType = (p.params.get("value")?.[0] ?? "").toLowerCase();
  if (valueType === "uri") {
    // RFC 6350 §6.4.1 / RFC 3966: tel:+1-555-555-0100 is the number +1-555-555-0100.
    const uri = decodedValue(p, card);
    const number = uri.replace(/^tel:/i, "");
    try {
      return decodeURIComponent(number);
    } catch {
      return number;
    }
  }
  return textValue(p, version, card);
}

function address(p: Prop, version: VcardVersion, card: number): string {
  // RFC 6350 §6.3.1: post office box; extended address; street; locality; region; postal code; country.
  return structured(p, version, card, true)
    .map((items) => items.join(", ").replace(/\n+/g, ", "))
    .filter((v) => v !== "")
    .join(", ");
}

function buildContact(card: RawCard, version: VcardVersion, props: readonly Prop[], abLabels: ReadonlyMap<string, string>): Contact {
  let name: string | undefined;
  let given: string | undefined;
  let family: string | undefined;
  let nameParts: string[] = [];
  const notes: string[] = [];
  let notesBytes = 0;
  let uid: string | undefined;
  let sensitivity: Sensitivity | undefined;
  const organisations: string[] = [];
  const fields: Record<LabeledField, Labeled[]> = { phones: [], emails: [], messengers: [], addresses: [] };

  const push = <T>(list: T[], item: T, p: Prop, field: string): void => {
    if (list.length >= CONTACT_LIMITS.valuesPerField) {
      throw importMalformed(place(card.number, p), `more than ${CONTACT_LIMITS.valuesPerField} ${field}`);
    }
    list.push(item);
  };
  const checked = (p: Prop, problem: string | undefined): void => {
    if (problem !== undefined) throw importMalformed(place(card.number, p), `value ${problem}`);
  };
  const labeled = (field: LabeledField, p: Prop, item: Labeled | undefined): void => {
    if (item === undefined || item.value === "") return;
    checked(p, labeledValueProblem(field, item.value));
    push(fields[field], item, p, field);
  };

  for (const p of props) {
    switch (p.name) {
      case "VERSION":
        break;
      case "FN":
        if (name === undefined || name === "") {
          name = textValue(p, version, card.number);
          if (name !== "") checked(p, fieldProblem(name, CONTACT_LIMITS.nameBytes));
        }
        break;
      case "N": {
        if (nameParts.length > 0 || given !== undefined || family !== undefined) break;
        // RFC 6350 §6.2.2: family; given; additional; prefixes; suffixes.
        const [fam = [], giv = [], add = [], pre = [], suf = []] = structured(p, version, card.number, true);
        family = fam.length > 0 ? fam.join(" ") : undefined;
        given = giv.length > 0 ? giv.join(" ") : undefined;
        for (const part of [family, given]) if (part !== undefined) checked(p, fieldProblem(part, CONTACT_LIMITS.nameBytes));
        nameParts = [...pre, ...giv, ...add, ...fam, ...suf];
        break;
      }
      case "ORG": {
        const org = structured(p, version, card.number, false).flat().join(", ");
        if (org === "") break;
        checked(p, fieldProblem(org, CONTACT_LIMITS.valueBytes));
        push(organisations, org, p, "organisations");
        break;
      }
      case "TEL":
        labeled("phones", p, { label: typeLabel(p, abLabels), value: phone(p, version, card.number) });
        break;
      case "EMAIL":
        labeled("emails", p, { label: typeLabel(p, abLabels), value: textValue(p, version, card.number) });
        break;
      case "ADR":
        labeled("addresses", p, { label: typeLabel(p, abLabels), value: address(p, version, card.number) });
        break;
      case "NOTE": {
        const note = textValue(p, version, card.number);
        if (note !== "") {
          notes.push(note);
          notesBytes += utf8Length(note) + (notes.length > 1 ? 1 : 0);
          if (notesBytes > CONTACT_LIMITS.notesBytes) checked(p, `is ${notesBytes} bytes, more than ${CONTACT_LIMITS.notesBytes}`);
        }
        break;
      }
      case "UID": {
        const v = textValue(p, version, card.number);
        if (uid === undefined && v !== "") {
          checked(p, fieldProblem(v, CONTACT_LIMITS.uidBytes));
          uid = v;
        }
        break;
      }
      case "X-AIRLOCK-SENSITIVITY": {
        const v = textValue(p, version, card.number).trim().toLowerCase();
        // An unknown marking is an error, never a silent "normal": it may have meant "secret".
        if (!(SENSITIVITIES as readonly string[]).includes(v)) {
          throw importMalformed(place(card.number, p), `value is not one of ${SENSITIVITIES.join(", ")}`);
        }
        sensitivity = v as Sensitivity;
        break;
      }
      default: {
        const item = messenger(p, version, card.number);
        if (item !== undefined) labeled("messengers", p, item);
      }
    }
  }

  // RFC 6350 and 2426 require FN, vCard 2.1 does not: phones and desktop address books that leave
  // it out write N, which names the same person. A phone number or an address is not a name.
  if (name === undefined || name === "") name = nameParts.filter((p) => p !== "").join(" ");
  if (name === "") throw cardNoName(card.number, card.line);
  const contact: Contact = {
    name,
    ...(given === undefined ? {} : { given }),
    ...(family === undefined ? {} : { family }),
    organisations,
    phones: fields.phones,
    emails: fields.emails,
    messengers: fields.messengers,
    addresses: fields.addresses,
    ...(notes.length === 0 ? {} : { notes: notes.join("\n") }),
    ...(sensitivity === undefined ? {} : { sensitivity }),
    ...(uid === undefined ? {} : { uid }),
  };
  try {
    return checkContact(contact, `vCard card ${card.number}, line ${card.line}`);
  } catch (e) {
    if (isAirlockError(e, "CONTACTS_BAD_CONTACT")) throw contactsError("CONTACTS_IMPORT_MALFORMED", e.message, e);
    throw e;
  }
}

// ---- export -------------------------------------------------------------------------------------

// TYPE values each version defines for each property (RFC 2426 §3.3.1–3.3.2, §3.2.1; RFC 6350
// §6.4.1, §6.3.1, §5.6). A label made only of these is written as TYPE; any other goes to Apple's
// itemN.X-ABLabel, which Apple, Google and Nextcloud read and which round-trips any label.
const WRITE_TYPES: Readonly<Record<"3.0" | "4.0", Readonly<Record<"TEL" | "EMAIL" | "ADR", ReadonlySet<string>>>>> = {
  "3.0": {
    TEL: new Set(["home", "work", "cell", "fax", "pager", "video", "msg", "bbs", "modem", "car", "isdn", "pcs"]),
    EMAIL: new Set(["home", "work"]),
    ADR: new Set(["home", "work"]),
  },
  "4.0": {
    TEL: new Set(["home", "work", "cell", "fax", "pager", "video", "text", "textphone"]),
    EMAIL: new Set(["home", "work"]),
    ADR: new Set(["home", "work"]),
  },
};

/** Writes contacts as one .vcf file: CRLF line ends, lines folded at 75 octets, UTF-8. */
export function serializeVcards(contacts: readonly Contact[], version: "4.0" | "3.0" = "4.0"): Uint8Array {
  if (version !== "4.0" && version !== "3.0") throw new RangeError('"version" expected "4.0" or "3.0"');
  const out: string[] = [];
  contacts.forEach((c, i) => {
    checkContact(c, `contact ${i + 1} of the export`);
    for (const line of cardLines(c, version)) out.push(fold(line));
  });
  return new TextEncoder().encode(out.join(""));
}

function cardLines(c: Contact, version: "4.0" | "3.0"): string[] {
  const v3 = version === "3.0";
  const lines = ["BEGIN:VCARD", `VERSION:${version}`, `FN:${escapeText(c.name, v3)}`];
  // RFC 2426 §3.1.2 makes N required in 3.0; 4.0 leaves it optional.
  if (version === "3.0" || c.given !== undefined || c.family !== undefined) {
    lines.push(`N:${escapeText(c.family ?? "", true)};${escapeText(c.given ?? "", true)};;;`);
  }
  for (const org of c.organisations) lines.push(`ORG:${escapeText(org, true)}`);
  let item = 0;
  const labeled = (prop: "TEL" | "EMAIL" | "ADR", l: Labeled, value: string): void => {
    const tokens = l.label === "" ? [] : l.label.split(" ");
    const asTypes = tokens.every((t) => WRITE_TYPES[version][prop].has(t)) && new Set(tokens).size === tokens.length;
    if (asTypes) {
      lines.push(`${prop}${tokens.length === 0 ? "" : `;TYPE=${tokens.join(",")}`}:${value}`);
    } else {
      item += 1;
      // A label that looks like Apple's own wrapper is wrapped once more, so reading unwraps only ours.
      const label = /^_\$!<.*>!\$_$/.test(l.label) ? `_$!<${l.label}>!$_` : l.label;
      lines.push(`item${item}.${prop}:${value}`, `item${item}.X-ABLabel:${escapeText(label, v3)}`);
    }
  };
  for (const p of c.phones) labeled("TEL", p, escapeText(p.value, v3));
  for (const e of c.emails) labeled("EMAIL", e, escapeText(e.value, v3));
  for (const m of c.messengers) lines.push(imppLine(m));
  // The whole line goes in the street component: splitting it again would be a guess.
  for (const a of c.addresses) labeled("ADR", a, `;;${escapeText(a.value, true)};;;;`);
  if (c.notes !== undefined) lines.push(`NOTE:${escapeText(c.notes, v3)}`);
  if (c.uid !== undefined) lines.push(`UID:${escapeText(c.uid, v3)}`);
  if (c.sensitivity !== undefined) lines.push(`X-AIRLOCK-SENSITIVITY:${c.sensitivity}`);
  lines.push("END:VCARD");
  return lines;
}

/**
 * IMPP holds a URI (RFC 4770 / RFC 6350 §6.4.3) and is not text-escaped, so a value is written as
 * itself only when it is a URI that needs no escaping; anything else (a bare handle, a phone
 * number for Signal) is written as Apple does for custom services: x-apple: and the handle
 * percent-encoded. The service goes in X-SERVICE-TYPE, which Apple and Nextcloud read.
 */
function imppLine(m: Labeled): string {
  const service = m.label === "" ? "" : `;X-SERVICE-TYPE=${paramValue(m.label)}`;
  // eslint-disable-next-line no-control-regex
  const plainUri = m.label !== "" && /^[A-Za-z][A-Za-z0-9+.-]*:[^\s\\,;"\u0000-\u001f\u007f-\u009f]*$/.test(m.value) && !/^x-apple:/i.test(m.value);
  return `IMPP${service}:${plainUri ? m.value : `x-apple:${encodeURIComponent(m.value)}`}`;
}

/**
 * Backslash, comma and newline are escaped in all text (RFC 6350 §3.4, RFC 2426 §4); the semicolon
 * in 3.0 always, in 4.0 only inside compound values (N, ADR, ORG), since 4.0 forbids other escapes
 * and readers such as ical.js (Thunderbird) would show the backslash.
 */
function escapeText(s: string, semicolon: boolean): string {
  return s.replace(semicolon ? /[\\,;\n]/g : /[\\,\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** RFC 6868 caret escapes, and quotes when the value holds a separator. */
function paramValue(v: string): string {
  const escaped = v.replace(/\^/g, "^^").replace(/"/g, "^'").replace(/\n/g, "^n");
  return /^[A-Za-z0-9_.+-]*$/.test(escaped) ? escaped : `"${escaped}"`;
}

/**
 * RFC 6350 §3.2: lines longer than 75 octets are folded with CRLF and one space, never inside a
 * UTF-8 sequence (we fold between code points). The space counts toward the next line's 75.
 */
function fold(line: string): string {
  if (line.length <= 75 && utf8Length(line) <= 75) return `${line}\r\n`;
  const parts: string[] = [];
  let start = 0;
  let width = 0;
  for (let i = 0; i < line.length; ) {
    const cp = line.codePointAt(i) as number;
    const octets = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (width + octets > 75) {
      parts.push(line.slice(start, i));
      start = i;
      width = 1;
    }
    width += octets;
    i += cp > 0xffff ? 2 : 1;
  }
  parts.push(line.slice(start));
  return `${parts.join("\r\n ")}\r\n`;
}
