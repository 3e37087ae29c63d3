/**
 * What every importer shares: size bounds checked before parsing, strict UTF-8, typed errors
 * that name the entry and field (never a value), and the last step that turns what a format
 * held into a checked SecretItem.
 */
import { isAirlockError, quoted } from "@airlock/shared";
import { secretsError } from "../errors.js";
import { checkItem, tidyItem, type RawItem, type SecretItem } from "../item.js";
import { parseTotp } from "../totp.js";

export const IMPORT_LIMITS = {
  /** Largest file read at all; a KDBX or 1PUX is bounded the same before it is opened. */
  bytes: 64 * 1024 * 1024,
  /** Most items one import yields; checked before any item is mapped. */
  items: 50_000,
  /** Longest CSV record in characters: a full item (64 KiB notes, 64 fields of 16 KiB) fits. */
  csvRecordChars: 2 * 1024 * 1024,
  /** Largest `export.data` a 1PUX may inflate to. */
  onepuxDataBytes: 64 * 1024 * 1024,
  /** Most entries a 1PUX zip may list (attachments included). */
  zipEntries: 100_000,
} as const;

export function malformed(where: string, detail: string, cause?: unknown): Error {
  return secretsError("SECRETS_IMPORT_MALFORMED", `${where}: ${detail}`, cause);
}

/** `item 3 "GitHub"`: a 1-based index and, when there is one, the title as one escaped line. */
export function itemName(index: number, title: unknown): string {
  return typeof title === "string" && title !== "" ? `item ${index + 1} ${quoted(title.slice(0, 80))}` : `item ${index + 1}`;
}

export function checkSize(bytes: Uint8Array, limit: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`"bytes" expected Uint8Array`);
  if (bytes.length > limit) throw malformed(what, `is ${bytes.length} bytes; at most ${limit} are read`);
}

export function checkCount(n: number, what: string): void {
  if (n > IMPORT_LIMITS.items) throw malformed(what, `holds ${n} items or more; at most ${IMPORT_LIMITS.items} are imported at once`);
}

/** Strict UTF-8 (a byte-order mark is dropped); anything else is refused rather than guessed. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (e) {
    throw malformed(what, "is not UTF-8 text (export it again as UTF-8)", e);
  }
}

/** A field's TOTP value in canonical form; a bad one names the entry and field. */
export function totpOf(value: string | undefined, where: string, field: string, label: string): string | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  try {
    return parseTotp(value, { label: label.slice(0, 256) });
  } catch (e) {
    throw malformed(where, `${field}: ${(e as Error).message}`, e);
  }
}

export type { RawItem } from "../item.js";

/** The checked item, or SECRETS_IMPORT_MALFORMED naming `where` and the field at fault. */
export function finishItem(raw: RawItem, where: string): SecretItem {
  try {
    return checkItem(tidyItem(raw), where);
  } catch (e) {
    if (isAirlockError(e, "SECRETS_BAD_ITEM")) throw secretsError("SECRETS_IMPORT_MALFORMED", e.message, e);
    throw e;
  }
}

/** JSON.parse with a message that gives the position, never a snippet of the text (it may be a secret). */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(what, "is not valid JSON (truncated or damaged)");
  }
}

/** Typed access to untrusted JSON: every read names its path when the type is wrong. */
export class JsonReader {
  constructor(
    readonly where: string,
    readonly path: string,
  ) {}

  private at(key: string): string {
    return this.path === "" ? key : `${this.path}.${key}`;
  }

  fail(key: string, why: string): never {
    const at = key === "" ? this.path : this.at(key);
    throw malformed(this.where, at === "" ? why : `${at} ${why}`);
  }

  static object(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
  }

  /** `v` as an object, or a failure naming `key` (relative to this reader's path). */
  need(v: unknown, key: string): Record<string, unknown> {
    if (!JsonReader.object(v)) this.fail(key, `is ${typeName(v)}, not an object`);
    return v as Record<string, unknown>;
  }

  /** A string, or undefined for absent and null. */
  str(obj: Record<string, unknown>, key: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") this.fail(key, `is ${typeName(v)}, not text`);
    return v;
  }

  num(obj: Record<string, unknown>, key: string): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(key, `is ${typeName(v)}, not a number`);
    return v;
  }

  obj(obj: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!JsonReader.object(v)) this.fail(key, `is ${typeName(v)}, not an object`);
    return v;
  }

  arr(obj: Record<string, unknown>, key: string, max: number): readonly unknown[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(key, `is ${typeName(v)}, not a list`);
    if (v.length > max) this.fail(key, `has ${v.length} entries; at most ${max} are read`);
    return v;
  }

  child(key: string): JsonReader {
    return new JsonReader(this.where, this.at(key));
  }
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
