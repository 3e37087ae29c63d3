/** Line editing shared by every text field: typed (or pasted) text in, backspace out. */
import type { Key } from "ink";

// Control characters never belong in a title, a path or a passphrase; they only ever arrive as
// stray escape sequences or pasted terminal garbage.
const isControl = (ch: string): boolean => {
  const c = ch.codePointAt(0)!;
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
};

export function printable(input: string): string {
  return Array.from(input).filter((ch) => !isControl(ch)).join("");
}

/**
 * How many characters to erase left: terminals disagree on DEL or BS, and a held key can arrive
 * as several in one read, which is not reported as a key at all.
 */
export function erasures(input: string, key: Key): number {
  if (key.backspace || key.delete) return 1;
  return input.length > 0 && Array.from(input).every((ch) => ch === "\b" || ch === "\x7f") ? input.length : 0;
}

export function edit(value: string, input: string, key: Key): string {
  const erase = erasures(input, key);
  if (erase > 0) return Array.from(value).slice(0, -erase).join("");
  if (key.ctrl || key.meta || key.return || key.tab || key.escape || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return value;
  return value + printable(input);
}

/**
 * A read split at Enter. Typed keys arrive one by one, but a paste or a fast typist can put
 * "secret\r" in one read, which is not reported as Enter; without this the Enter would be lost.
 */
export function segments(input: string, key: Key): { readonly text: string; readonly enter: boolean }[] {
  if (key.return) return [{ text: "", enter: true }];
  const parts = input.split(/\r\n|\r|\n/);
  return parts.map((text, i) => ({ text, enter: i < parts.length - 1 }));
}

/**
 * Bracketed paste (DEC mode 2004): the terminal wraps pasted text in ESC[200~ … ESC[201~, so a
 * paste is text to insert, never keys. ink hands each marker over as its own input, with the
 * leading ESC stripped and no key flags; typed keys cannot produce these in one read.
 */
export const PASTE_START = "[200~";
export const PASTE_END = "[201~";
export const BRACKETED_PASTE_ON = "\x1b[?2004h";
export const BRACKETED_PASTE_OFF = "\x1b[?2004l";

export function pasteMarker(input: string, key: Key): "start" | "end" | undefined {
  if (key.ctrl || key.return || key.escape) return undefined;
  if (input === PASTE_START) return "start";
  if (input === PASTE_END) return "end";
  return undefined;
}

/**
 * Text pasted into a field, cleaned for it: line ends become "\n" in a multi-line field and a
 * space in a one-line field (a pasted password loses its trailing newline); tabs become spaces;
 * every other control character is dropped.
 */
export function pastedText(input: string, multiline: boolean, secret = false): string {
  const lines = input.replace(/\t/g, "  ").split(/\r\n|\r|\n/).map(printable);
  if (multiline) return lines.join("\n");
  return secret ? lines.join("") : lines.join(" ");
}

/** `value` with `added` appended, cut at `max` characters; `cut` says how many were left out. */
export function appendBounded(value: string, added: string, max: number | undefined): { readonly value: string; readonly cut: number } {
  if (max === undefined) return { value: value + added, cut: 0 };
  const have = Array.from(value).length;
  const chars = Array.from(added);
  const room = Math.max(0, max - have);
  return { value: value + chars.slice(0, room).join(""), cut: Math.max(0, chars.length - room) };
}
