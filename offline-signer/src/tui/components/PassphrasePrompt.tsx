/**
 * Masked passphrase entry. The typed bytes go straight into a Uint8Array that is wiped when the
 * passphrase is handed over or the prompt goes away; no string of the whole passphrase is kept.
 */
import { Box, useInput, type Key } from "ink";
import { Text } from "./Text.js";
import { useEffect, useReducer, useRef, type ReactElement } from "react";
import { erasures, printable, segments } from "../editing.js";

const MAX_BYTES = 4096;
const utf8 = new TextEncoder();

export interface PassphrasePromptProps {
  readonly prompt: string;
  /** Receives a copy the receiver owns (and wipes). */
  readonly onSubmit: (passphrase: Uint8Array) => void;
  readonly onCancel: () => void;
  /** After each key, a copy of what is typed so far (the receiver wipes it): the first-run strength meter. */
  readonly onChange?: ((passphrase: Uint8Array) => void) | undefined;
  /** The key line (default: enter unlocks · esc quits). */
  readonly keys?: string | undefined;
}

export function PassphrasePrompt({ prompt, onSubmit, onCancel, onChange, keys }: PassphrasePromptProps): ReactElement {
  const buf = useRef(new Uint8Array(MAX_BYTES));
  // Byte length of each typed character, so backspace removes whole characters.
  const chars = useRef<number[]>([]);
  const [, rerender] = useReducer((n: number) => n + 1, 0);

  useEffect(() => {
    const b = buf.current;
    return () => {
      b.fill(0);
    };
  }, []);

  const submit = (length: number): void => {
    // NFC, as passphraseBytes does for the other sources, so the same passphrase typed on a
    // different keyboard layout still opens the vault. Strings cannot be wiped; the copies are short-lived.
    const typed = buf.current.slice(0, length);
    const normalized = utf8.encode(new TextDecoder().decode(typed).normalize("NFC"));
    typed.fill(0);
    buf.current.fill(0);
    chars.current = [];
    rerender();
    onSubmit(normalized);
  };

  const type = (input: string, key: Key): void => {
    const lens = chars.current;
    const length = lens.reduce((a, b) => a + b, 0);
    const erase = erasures(input, key);
    if (erase > 0) {
      for (let i = 0; i < erase && lens.length > 0; i++) lens.pop();
      buf.current.fill(0, lens.reduce((a, b) => a + b, 0), length);
    } else if (!key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow) {
      let at = length;
      for (const ch of printable(input)) {
        const bytes = utf8.encode(ch);
        if (at + bytes.length > MAX_BYTES) break;
        buf.current.set(bytes, at);
        bytes.fill(0);
        at += bytes.length;
        lens.push(bytes.length);
      }
    }
  };

  useInput((input, key) => {
    if (key.escape) return onCancel();
    for (const seg of segments(input, key)) {
      type(seg.text, key);
      // What follows an Enter in the same read belongs to no passphrase: dropped, never shown.
      if (seg.enter) return submit(chars.current.reduce((a, b) => a + b, 0));
    }
    onChange?.(buf.current.slice(0, chars.current.reduce((a, b) => a + b, 0)));
    rerender();
  });

  return (
    <Box flexDirection="column">
      <Text>
        {prompt}
        {"*".repeat(chars.current.length)}
        <Text inverse> </Text>
      </Text>
      <Text dimColor>{keys ?? "enter unlocks · esc quits"}</Text>
    </Box>
  );
}
