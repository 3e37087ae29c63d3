/**
 * The neutral shape of one secret: every importer produces it, every exporter consumes it, and
 * the app maps it to a record. Limits match the record schema (schema.ts), so an item that
 * passes `checkItem` always fits a record.
 */
import { secretsError } from "./errors.js";
import { blockProblem, lineProblem } from "./text.js";
import { parseTotp } from "./totp.js";

export interface SecretField {
  readonly name: string;
  readonly value: string;
  readonly hidden: boolean;
}

export interface SecretItem {
  readonly title: string;
  readonly username?: string;
  readonly password?: string;
  readonly urls: readonly string[];
  readonly notes?: string;
  /** Canonical otpauth://totp/... URI (see totp.ts), never a bare secret. */
  readonly totp?: string;
  readonly tags: readonly string[];
  readonly fields: readonly SecretField[];
}

/** Lengths in UTF-16 code units, as the record layer counts them. */
export const ITEM_LIMITS = {
  title: 512,
  username: 1024,
  password: 4096,
  totp: 2048,
  notes: 64 * 1024,
  url: 2048,
  urls: 64,
  tag: 256,
  tags: 64,
  fieldName: 256,
  /** A field is stored as the JSON text [name, value, hidden]; this bounds that text. */
  fieldEncoded: 16 * 1024,
  fields: 64,
} as const;

/** The field as the record layer stores it (see index.ts `encodeFieldEntry`). */
const encodedField = (f: SecretField): string => JSON.stringify([f.name, f.value, f.hidden]);

/**
 * Throws SECRETS_BAD_ITEM naming `where` (e.g. `item 3 "GitHub"`) and the field when `item` breaks
 * a limit, holds a refused character, repeats a URL, tag or field, or carries a TOTP value that
 * is not canonical. Values are never quoted in the message: they may be secrets.
 */
export function checkItem(item: SecretItem, where: string): SecretItem {
  const fail = (field: string, why: string): never => {
    throw secretsError("SECRETS_BAD_ITEM", `${where}: ${field} ${why}`);
  };
  const str = (v: unknown, field: string, max: number, kind: "line" | "block", optional: boolean): void => {
    if (v === undefined && optional) return;
    if (typeof v !== "string") return fail(field, "is not text");
    if (v.length > max) fail(field, `is longer than ${max} characters (${v.length})`);
    const why = kind === "line" ? lineProblem(v) : blockProblem(v);
    if (why !== undefined) fail(field, why);
  };
  const list = (v: unknown, field: string, maxItems: number): readonly unknown[] => {
    if (!Array.isArray(v)) return fail(field, "is not a list");
    if (v.length > maxItems) fail(field, `has ${v.length} entries; at most ${maxItems} are kept`);
    return v;
  };
  if (typeof item !== "object" || item === null) return fail("the item", "is not an object");

  str(item.title, "title", ITEM_LIMITS.title, "line", false);
  if (item.title.trim() === "") fail("title", "is empty");
  str(item.username, "username", ITEM_LIMITS.username, "line", true);
  str(item.password, "password", ITEM_LIMITS.password, "block", true);
  str(item.notes, "notes", ITEM_LIMITS.notes, "block", true);
  if (item.totp !== undefined) {
    str(item.totp, "totp", ITEM_LIMITS.totp, "line", false);
    let canonical: string;
    try {
      canonical = parseTotp(item.totp);
    } catch (e) {
      throw secretsError("SECRETS_BAD_ITEM", `${where}: totp: ${(e as Error).message}`, e);
    }
    if (canonical !== item.totp) fail("totp", "is not in canonical form (store parseTotp's result)");
  }
  const urls = list(item.urls, "urls", ITEM_LIMITS.urls);
  urls.forEach((u, i) => {
    str(u, `url ${i + 1}`, ITEM_LIMITS.url, "line", false);
    if ((u as string).trim() === "") fail(`url ${i + 1}`, "is empty");
  });
  if (new Set(urls).size !== urls.length) fail("urls", "repeat a URL");
  const tags = list(item.tags, "tags", ITEM_LIMITS.tags);
  tags.forEach((t, i) => {
    str(t, `tag ${i + 1}`, ITEM_LIMITS.tag, "line", false);
    if ((t as string).trim() === "") fail(`tag ${i + 1}`, "is empty");
  });
  if (new Set(tags).size !== tags.length) fail("tags", "repeat a tag");
  const fields = list(item.fields, "fields", ITEM_LIMITS.fields);
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const field = f as SecretField;
    const at = `custom field ${i + 1}`;
    if (typeof field !== "object" || field === null) fail(at, "is not an object");
    str(field.name, `${at} name`, ITEM_LIMITS.fieldName, "line", false);
    str(field.value, `${at} value`, ITEM_LIMITS.fieldEncoded, "block", false);
    if (typeof field.hidden !== "boolean") fail(`${at} hidden flag`, "is not true or false");
    const encoded = encodedField(field);
    if (encoded.length > ITEM_LIMITS.fieldEncoded) fail(at, `is longer than ${ITEM_LIMITS.fieldEncoded} characters when stored`);
    if (seen.has(encoded)) fail(at, "repeats another custom field exactly");
    seen.add(encoded);
  });
  return item;
}

/** What an importer read, before tidying: any field may be missing or empty. */
export interface RawItem {
  title?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  urls?: readonly string[];
  notes?: string | undefined;
  totp?: string | undefined;
  tags?: readonly string[];
  fields?: readonly SecretField[];
}

/**
 * Tidies what an importer read into an item: empty strings become absent, duplicate URLs, tags
 * and identical custom fields are dropped (the record keeps them as sets anyway), and an empty
 * title falls back to the first URL's host, then the username, then "(untitled)".
 */
export function tidyItem(raw: RawItem): SecretItem {
  const present = (s: string | undefined): string | undefined => (s === undefined || s === "" ? undefined : s);
  const urls = [...new Set((raw.urls ?? []).map((u) => u.trim()).filter((u) => u !== ""))];
  const tags = [...new Set((raw.tags ?? []).map((t) => t.trim()).filter((t) => t !== ""))];
  const seen = new Set<string>();
  const fields = (raw.fields ?? []).filter((f) => {
    const key = encodedField(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  let title = (raw.title ?? "").trim();
  if (title === "") {
    // A made-up title must fit; a title the file gave is checked as given.
    const fallback = hostOf(urls[0]) ?? present(raw.username?.trim()) ?? "(untitled)";
    title = fallback.slice(0, ITEM_LIMITS.title).replace(/[\uD800-\uDBFF]$/, "");
  }
  const item: {
    -readonly [K in keyof SecretItem]: SecretItem[K];
  } = { title, urls, tags, fields };
  const username = present(raw.username);
  const password = present(raw.password);
  const notes = present(raw.notes);
  const totp = present(raw.totp);
  if (username !== undefined) item.username = username;
  if (password !== undefined) item.password = password;
  if (notes !== undefined) item.notes = notes;
  if (totp !== undefined) item.totp = totp;
  return item;
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const host = new URL(url.includes("://") ? url : `https://${url}`).hostname;
    return host === "" ? undefined : host;
  } catch {
    return undefined;
  }
}
