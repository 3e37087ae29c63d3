/**
 * Choosing one of a known list (a role, a member, a collection) instead of typing it: ↑/↓ move,
 * typed letters filter (the first match is selected), backspace widens the filter again,
 * Enter picks, Esc cancels. The same filter serves the choice fields of a Form.
 */
import { Box, useInput } from "ink";
import { Text } from "./Text.js";
import { useReducer, useRef, type ReactElement } from "react";
import { erasures, printable } from "../editing.js";
import { errorMessage, type Message } from "../messages.js";

export interface Choice {
  readonly value: string;
  /** What the list shows (the value when absent). */
  readonly label?: string | undefined;
  /** A few words beside it, dimmed ("can add and remove members"). */
  readonly hint?: string | undefined;
}

export const labelOf = (c: Choice): string => c.label ?? c.value;

/** The choices matching `filter` (case-insensitive): those that start with it first, then those that contain it. */
export function filterChoices(choices: readonly Choice[], filter: string): Choice[] {
  const f = filter.trim().toLowerCase();
  if (f === "") return [...choices];
  const text = (c: Choice): string => `${labelOf(c)} ${c.value}`.toLowerCase();
  const starts = choices.filter((c) => labelOf(c).toLowerCase().startsWith(f) || c.value.toLowerCase().startsWith(f));
  return [...starts, ...choices.filter((c) => !starts.includes(c) && text(c).includes(f))];
}

export interface PickerProps {
  readonly title: string;
  readonly choices: readonly Choice[];
  /** The value selected first (the current one). */
  readonly initial?: string | undefined;
  /** Throwing keeps the picker open with the error shown. */
  readonly onPick: (value: string) => void;
  readonly onCancel: () => void;
  /** Most rows of choices shown at once. */
  readonly rows?: number | undefined;
}

export function Picker({ title, choices, initial, onPick, onCancel, rows = 8 }: PickerProps): ReactElement {
  // In a ref, as in Form: keys can arrive faster than React re-renders.
  const state = useRef<{ filter: string; at: number; done: boolean; error: Message | undefined }>({
    filter: "",
    at: Math.max(0, choices.findIndex((c) => c.value === initial)),
    done: false,
    error: undefined,
  });
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const s = state.current;
  const shown = filterChoices(choices, s.filter);
  const at = Math.min(s.at, Math.max(0, shown.length - 1));

  useInput((input, key) => {
    if (s.done) return;
    const list = filterChoices(choices, s.filter);
    if (key.escape) {
      s.done = true;
      return onCancel();
    }
    if (key.return) {
      const picked = list[Math.min(s.at, list.length - 1)];
      if (picked === undefined) return;
      s.done = true;
      try {
        onPick(picked.value);
      } catch (e) {
        s.done = false;
        s.error = errorMessage(e);
        rerender();
      }
      return;
    }
    if (key.upArrow) s.at = Math.max(0, Math.min(s.at, list.length - 1) - 1);
    else if (key.downArrow) s.at = Math.min(list.length - 1, s.at + 1);
    else {
      const erase = erasures(input, key);
      if (erase > 0) s.filter = Array.from(s.filter).slice(0, -erase).join("");
      else if (!key.ctrl && !key.meta && !key.tab && !key.leftArrow && !key.rightArrow) s.filter += printable(input);
      else return;
      s.at = 0;
    }
    rerender();
  });

  const first = Math.max(0, Math.min(at - Math.floor(rows / 2), shown.length - rows));
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>{title}</Text>
      {s.filter === "" ? null : <Text dimColor>{`filter: ${s.filter}`}</Text>}
      {shown.length === 0 ? <Text color="yellow">nothing matches; backspace widens the filter</Text> : null}
      {shown.slice(first, first + rows).map((c, i) => (
        <Text key={c.value} wrap="truncate-end" inverse={first + i === at}>
          {first + i === at ? "› " : "  "}
          {labelOf(c)}
          {c.hint === undefined ? "" : <Text dimColor>{`  ${c.hint}`}</Text>}
        </Text>
      ))}
      {s.error === undefined ? null : <Text color="red">{`error: ${s.error.text}${s.error.hint === undefined ? "" : ` — hint: ${s.error.hint}`}`}</Text>}
      <Text dimColor>↑/↓ choose · type to filter · enter picks · esc cancels</Text>
    </Box>
  );
}
