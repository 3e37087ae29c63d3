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
