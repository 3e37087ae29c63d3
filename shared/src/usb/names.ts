/**
 * File names in a drop box. Bundle names are random so they reveal nothing (no sender, no
 * time, no order) and never collide; the reader accepts nothing but that exact shape, so a
 * name from a hostile stick can never be a path, hide from a listing or smuggle terminal
 * escapes into our output.
 */
import { randomBytes } from "node:crypto";

export const BUNDLE_EXTENSION = ".airlock";
/** Temp names start with a dot so file managers hide half-written bundles from users, too. */
export const TEMP_PREFIX = ".tmp-";
export const TEMP_SUFFIX = ".partial";

/** 16 random bytes in lowercase RFC 4648 base32, unpadded: 26 characters, safe on FAT and exFAT. */
const RANDOM_PART = "[a-z2-7]{26}";
const BUNDLE_NAME = new RegExp(`^${RANDOM_PART}\\.airlock$`);
const TEMP_NAME = new RegExp(`^\\.tmp-${RANDOM_PART}\\.partial$`);
export const BUNDLE_NAME_LENGTH = 26 + BUNDLE_EXTENSION.length;

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

export function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1; // keep only the unread bits so the shift never overflows
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

export const newBundleName = (): string => base32(randomBytes(16)) + BUNDLE_EXTENSION;
export const newTempName = (): string => TEMP_PREFIX + base32(randomBytes(16)) + TEMP_SUFFIX;

export const isBundleName = (name: string): boolean => BUNDLE_NAME.test(name);
export const isTempName = (name: string): boolean => TEMP_NAME.test(name);

export type NameVerdict =
  | { readonly kind: "bundle" }
  | { readonly kind: "temp" }
  | { readonly kind: "rejected"; readonly code: "USB_BAD_NAME" | "USB_HIDDEN_FILE"; readonly reason: string };

// C0/C1 controls, DEL, and format characters such as bidi overrides ("Trojan Source").
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;

/**
 * Sorts a directory entry's name into bundle, temp file or rejected, with the most telling
 * reason first (a name with control characters is reported as that, not as "wrong extension").
 */
export function classifyName(name: string): NameVerdict {
  if (isBundleName(name)) return { kind: "bundle" };
  if (isTempName(name)) return { kind: "temp" };
  const rejected = (code: "USB_BAD_NAME" | "USB_HIDDEN_FILE", reason: string): NameVerdict => ({ kind: "rejected", code, reason });
  if (name.length === 0) return rejected("USB_BAD_NAME", "empty name");
  if (UNSAFE_CHARACTER.test(name)) return rejected("USB_BAD_NAME", "name contains control or invisible formatting characters");
  if (name.includes("\ufffd")) return rejected("USB_BAD_NAME", "name is not valid UTF-8 (or contains U+FFFD)");
  if (name.includes("/") || name.includes("\\") || name === "." || name === "..") {
    return rejected("USB_BAD_NAME", "name contains a path separator or is a parent reference");
  }
  if (name.startsWith(".")) return rejected("USB_HIDDEN_FILE", "hidden file");
  if (name.length > BUNDLE_NAME_LENGTH) return rejected("USB_BAD_NAME", `name is longer than the ${BUNDLE_NAME_LENGTH} characters of a bundle name`);
  if (!name.endsWith(BUNDLE_EXTENSION)) return rejected("USB_BAD_NAME", `name does not end in ${BUNDLE_EXTENSION}`);
  return rejected("USB_BAD_NAME", "name is not a bundle name (26 characters a-z, 2-7, then .airlock)");
}

const DISPLAY_MAX = 80;

/**
 * A hostile name made safe to print: controls, format characters and backslashes escaped,
 * long names shortened. Reports keep the raw name too, for scripts (JSON escapes it).
 */
export function displayName(name: string): string {
  let out = "";
  for (const ch of name) {
    if (ch === "\\") out += "\\\\";
    else if (UNSAFE_CHARACTER.test(ch)) out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    else out += ch;
    if (out.length > DISPLAY_MAX) return `${out.slice(0, DISPLAY_MAX)}…`;
  }
  return out;
}
