/**
 * The contacts app's neutral record: what every import format maps to and every export reads from.
 * Limits are in UTF-8 bytes, the unit the vault stores. Text is kept as given (control characters
 * included) except that line breaks are always "\n": a lone CR has no place in any format we read.
 */
import { contactsError } from "./errors.js";

/** A value with its kind as the source labelled it (lowercase: "cell", "work", "home", "signal", ...; "" if none). */
export interface Labeled {
  readonly label: string;
  readonly value: string;
}

export type Sensitivity = "normal" | "sensitive" | "secret";
export const SENSITIVITIES: readonly Sensitivity[] = ["normal", "sensitive", "secret"];

export interface Contact {
  /** Formatted name (vCard FN): required, non-empty. */
  readonly name: string;
  readonly given?: string;
  readonly family?: string;
  readonly organisations: readonly string[];
  readonly phones: readonly Labeled[];
  readonly emails: readonly Labeled[];
  /** IMPP, X-SOCIALPROFILE, X-SIGNAL and the like: label = service, value = handle or URI. */
  readonly messengers: readonly Labeled[];
  /** One line per address, components joined with ", ", label = type. */
  readonly addresses: readonly Labeled[];
  readonly notes?: string;
  /** From X-AIRLOCK-SENSITIVITY; absent means normal. */
  readonly sensitivity?: Sensitivity;
  readonly uid?: string;
}

export const CONTACT_LIMITS = {
  nameBytes: 512,
  uidBytes: 512,
  labelBytes: 64,
  valueBytes: 2048,
  valuesPerField: 64,
  notesBytes: 64 * 1024,
} as const;

/** The multi-valued Labeled fields, in the order exports write them. */
export const LABELED_FIELDS = ["phones", "emails", "messengers", "addresses"] as const;
export type LabeledField = (typeof LABELED_FIELDS)[number];

const encoder = new TextEncoder();

export function utf8Length(s: string): number {
  // Counting without allocating: every UTF-16 unit of a well-formed string is 1, 2 or 3 bytes,
  // a surrogate pair 4 (2 per unit).
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}

// C0 controls, DEL and C1 controls: data in a name or a note, never part of a label.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * The canonical form of a label: lowercase, no control characters, single spaces, trimmed, at most
 * 64 bytes. Imports pass every label through this; checkContact accepts only labels already in it,
 * so a label survives any export and import unchanged.
 */
export function normalizeLabel(raw: string): string {
  const cleaned = raw.toLowerCase().replace(CONTROL, " ").replace(/\s+/g, " ").trim();
  if (utf8Length(cleaned) <= CONTACT_LIMITS.labelBytes) return cleaned;
  let out = "";
  let bytes = 0;
  for (const ch of cleaned) {
    const n = encoder.encode(ch).length;
    if (bytes + n > CONTACT_LIMITS.labelBytes) break;
    out += ch;
    bytes += n;
  }
  return out.trim();
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(s: unknown, maxBytes: number): string | undefined {
  if (typeof s !== "string") return "is not a string";
  if (LONE_SURROGATE.test(s)) return "is not valid Unicode (lone surrogate)";
  if (s.includes("\r")) return "contains a carriage return (line breaks are \\n)";
  const n = utf8Length(s);
  if (n > maxBytes) return `is ${n} bytes, more than ${maxBytes}`;
  return undefined;
}

/** Why a required or optional single text field is unacceptable, or undefined. */
export function fieldProblem(s: unknown, maxBytes: number): string | undefined {
  const p = textProblem(s, maxBytes);
  if (p !== undefined) return p;
  return s === "" ? "is empty" : undefined;
}

export function labelProblem(label: unknown): string | undefined {
  const p = textProblem(label, CONTACT_LIMITS.labelBytes);
  if (p !== undefined) return p;
  return normalizeLabel(label as string) === label ? undefined : "is not in canonical form (lowercase, no control characters, single spaces, trimmed)";
}

/** Why one value of a Labeled field is unacceptable, or undefined. */
export function labeledValueProblem(field: LabeledField, value: unknown): string | undefined {
  const p = fieldProblem(value, CONTACT_LIMITS.valueBytes);
  if (p !== undefined) return p;
  if (field === "addresses" && (value as string).includes("\n")) return "spans more than one line";
  return undefined;
}

/**
 * Throws CONTACTS_BAD_CONTACT naming the first unacceptable field; `where` says which contact
 * ("import card 3", "contact 0f3a…"). Returns its argument so callers can check and use in one step.
 */
export function checkContact(c: Contact, where: string): Contact {
  const bad = (field: string, problem: string): never => {
    throw contactsError("CONTACTS_BAD_CONTACT", `${where}: ${field} ${problem}`);
  };
  if (typeof c !== "object" || c === null) bad("contact", "is not an object");
  const name = fieldProblem(c.name, CONTACT_LIMITS.nameBytes);
  if (name !== undefined) bad("name", name);
  for (const key of ["given", "family"] as const) {
    if (c[key] === undefined) continue;
    const p = fieldProblem(c[key], CONTACT_LIMITS.nameBytes);
    if (p !== undefined) bad(key, p);
  }
  if (!Array.isArray(c.organisations)) bad("organisations", "is not a list");
  if (c.organisations.length > CONTACT_LIMITS.valuesPerField) {
    bad("organisations", `has ${c.organisations.length} values, more than ${CONTACT_LIMITS.valuesPerField}`);
  }
  c.organisations.forEach((o, i) => {
    const p = fieldProblem(o, CONTACT_LIMITS.valueBytes);
    if (p !== undefined) bad(`organisations[${i}]`, p);
  });
  for (const field of LABELED_FIELDS) {
    const list: unknown = c[field];
    if (!Array.isArray(list)) bad(field, "is not a list");
    const items = list as readonly unknown[];
    if (items.length > CONTACT_LIMITS.valuesPerField) {
      bad(field, `has ${items.length} values, more than ${CONTACT_LIMITS.valuesPerField}`);
    }
    items.forEach((item, i) => {
      if (typeof item !== "object" || item === null) bad(`${field}[${i}]`, "is not a labelled value");
      const { label, value } = item as Labeled;
      const lp = labelProblem(label);
      if (lp !== undefined) bad(`${field}[${i}].label`, lp);
      const vp = labeledValueProblem(field, value);
      if (vp !== undefined) bad(`${field}[${i}].value`, vp);
    });
  }
  if (c.notes !== undefined) {
    const p = fieldProblem(c.notes, CONTACT_LIMITS.notesBytes);
    if (p !== undefined) bad("notes", p);
  }
  if (c.sensitivity !== undefined && !SENSITIVITIES.includes(c.sensitivity)) {
    bad("sensitivity", `is not one of ${SENSITIVITIES.join(", ")}`);
  }
  if (c.uid !== undefined) {
    const p = fieldProblem(c.uid, CONTACT_LIMITS.uidBytes);
    if (p !== undefined) bad("uid", p);
  }
  return c;
}

/**
 * One Labeled value as one string, for storage in a set. The label comes first and can never hold
 * the separator (labels have no control characters), so splitting at the first U+001F is
 * unambiguous whatever the value holds; equal values give equal strings.
 */
export const LABELED_SEPARATOR = "\u001f";

export function encodeLabeled(item: Labeled): string {
  const lp = labelProblem(item.label);
  if (lp !== undefined) throw contactsError("CONTACTS_BAD_CONTACT", `label ${lp}`);
  const vp = fieldProblem(item.value, CONTACT_LIMITS.valueBytes);
  if (vp !== undefined) throw contactsError("CONTACTS_BAD_CONTACT", `value ${vp}`);
  return item.label + LABELED_SEPARATOR + item.value;
}

export function decodeLabeled(encoded: string): Labeled {
  const at = typeof encoded === "string" ? encoded.indexOf(LABELED_SEPARATOR) : -1;
  if (at < 0) throw contactsError("CONTACTS_BAD_CONTACT", "stored labelled value has no label separator");
  const item = { label: encoded.slice(0, at), value: encoded.slice(at + 1) };
  const lp = labelProblem(item.label);
  if (lp !== undefined) throw contactsError("CONTACTS_BAD_CONTACT", `stored label ${lp}`);
  const vp = fieldProblem(item.value, CONTACT_LIMITS.valueBytes);
  if (vp !== undefined) throw contactsError("CONTACTS_BAD_CONTACT", `stored value ${vp}`);
  return item;
}
