/**
 * A file reference: what a record's `files` set holds for each attached file. The file itself
 * travels apart, as a file bundle (bundle-format/src/file-body.ts), and is found by `hash`,
 * its content address; the record can arrive long before the file (docs/attachments.md).
 *
 * Encoding: canonical CBOR map {"h": bytes(32), "n": text, "s": uint, "t": text} — the
 * content address, the file's name, its size and its media type. Checked alike on every vault
 * (pure, ASCII-only rules), because a batch that breaks them is rejected everywhere.
 */
import { decodeCanonical, encodeCanonical, MAX_FILE_BYTES, type CborValue } from "@airlock/bundle-format";

export interface FileRef {
  /** SHA-256 of the file body (head + file): the content address. */
  readonly hash: Uint8Array;
  readonly name: string;
  readonly size: number;
  /** Media type such as "application/pdf"; "application/octet-stream" when unknown. */
  readonly type: string;
}

/** Longest encoded reference (a set item's maxLength). */
export const MAX_REF_BYTES = 512;
export const MAX_NAME_LENGTH = 255;
export const MAX_TYPE_LENGTH = 127;
/** Largest attachment any vault accepts (a vault's own quota is usually lower). */
export const MAX_ATTACHMENT_BYTES = Math.min(MAX_FILE_BYTES, 64 * 2 ** 30);
export const DEFAULT_TYPE = "application/octet-stream";

// C0, DEL and C1 controls, path separators, the Unicode line/paragraph separators, and the
// direction marks, overrides, isolates and invisible characters that make a printed name lie
// about what it is. An explicit list, not a Unicode property: every release must judge alike.
// eslint-disable-next-line no-control-regex
const BAD_NAME = /[\u0000-\u001f\u007f-\u009f/\\\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const TOKEN = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);

/** Why `name` may not name an attached file, or undefined. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "a file name is empty";
  if (name.length > MAX_NAME_LENGTH) return `a file name is longer than ${MAX_NAME_LENGTH} characters`;
  if (name === "." || name === "..") return `"${name}" is not a file name`;
  if (BAD_NAME.test(name)) return "a file name holds a control character, a slash, a direction mark or an invisible character";
  if (name.startsWith(" ") || name.endsWith(" ")) return "a file name starts or ends with a space";
  return undefined;
}

export function typeProblem(type: string): string | undefined {
  if (type.length > MAX_TYPE_LENGTH || !MEDIA_TYPE.test(type)) return `"${type.slice(0, 40)}" is not a media type like application/pdf`;
  return undefined;
}

export function encodeRef(ref: FileRef): Uint8Array {
  const why = refFieldsProblem(ref);
  if (why !== undefined) throw new TypeError(why);
  return encodeCanonical(new Map<string, CborValue>([["h", ref.hash], ["n", ref.name], ["s", ref.size], ["t", ref.type]]));
}

/** The reference in `bytes`, or why it is not one. */
export function decodeRef(bytes: Uint8Array): FileRef | string {
  if (bytes.length > MAX_REF_BYTES) return `a file reference is longer than ${MAX_REF_BYTES} bytes`;
  let value: CborValue;
  try {
    value = decodeCanonical(bytes, { maxBytes: MAX_REF_BYTES, maxDepth: 2, maxItems: 8 });
  } catch (e) {
    return `a file reference is not canonical CBOR (${(e as Error).message})`;
  }
  if (!(value instanceof Map) || value.size !== 4) return "a file reference is a map of h, n, s and t";
  const hash = value.get("h");
  const name = value.get("n");
  const size = value.get("s");
  const type = value.get("t");
  if (!(hash instanceof Uint8Array) || typeof name !== "string" || typeof size !== "number" || typeof type !== "string") {
    return "a file reference is a map of h (bytes), n (text), s (number) and t (text)";
  }
  const ref = { hash, name, size, type };
  return refFieldsProblem(ref) ?? ref;
}

function refFieldsProblem(ref: FileRef): string | undefined {
  if (!(ref.hash instanceof Uint8Array) || ref.hash.length !== 32) return "a file's content address is 32 bytes";
  if (!Number.isSafeInteger(ref.size) || ref.size < 0 || ref.size > MAX_ATTACHMENT_BYTES) return `a file's size is 0..${MAX_ATTACHMENT_BYTES} bytes`;
  return nameProblem(ref.name) ?? typeProblem(ref.type);
}

/** A short id people type: the content address's first 12 hex digits. */
export const refId = (ref: FileRef): string => Buffer.from(ref.hash).toString("hex").slice(0, 12);
