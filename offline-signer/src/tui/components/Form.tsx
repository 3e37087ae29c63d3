/**
 * A small form of one-line fields. Tab, ↓ or Enter moves to the next field, Enter on the last
 * submits, Shift-Tab or ↑ goes back, Esc cancels.
 *
 * The values live in a ref, not only in state: keys can arrive faster than React re-renders, and
 * each must edit what the previous one left, never a stale copy.
 */
import { Box, useInput } from "ink";
import { Text } from "./Text.js";
import { useReducer, useRef, type ReactElement } from "react";
import { edit, segments } from "../editing.js";

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly initial?: string;
  /** Shown as one dot per character: a password must not reach the screen while it is typed. */
  readonly secret?: boolean;
}

export interface FormProps {
  readonly title: string;
  readonly fields: readonly FieldSpec[];
  readonly onSubmit: (values: Record<string, string>) => void;
  readonly onCancel: () => void;
  readonly note?: string;
}

export function Form({ title, fields, onSubmit, onCancel, note }: FormProps): ReactElement {
  const state = useRef({ values: fields.map((f) => f.initial ?? ""), focus: 0, done: false });
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const width = Math.max(...fields.map((f) => f.label.length));

  useInput((input, key) => {
    const s = state.current;
    if (s.done) return;
    if (key.escape) {
      s.done = true;
      onCancel();
      return;
    }
    for (const seg of segments(input, key)) {
      if (!seg.enter || seg.text !== "") s.values[s.focus] = edit(s.values[s.focus]!, seg.text, key);
      if (!seg.enter) continue;
      if (s.focus === fields.length - 1) {
        s.done = true;
        onSubmit(Object.fromEntries(fields.map((f, i) => [f.name, s.values[i]!])));
        return;
      }
      s.focus++;
    }
    if (!key.return) {
      if ((key.tab && key.shift) || key.upArrow) s.focus = Math.max(0, s.focus - 1);
      else if (key.tab || key.downArrow) s.focus = Math.min(fields.length - 1, s.focus + 1);
    }
    rerender();
  });

  const s = state.current;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>{title}</Text>
      {fields.map((f, i) => (
        <Text key={f.name} wrap="truncate-start">
          {i === s.focus ? <Text color="cyan">› </Text> : "  "}
          {f.label.padEnd(width)}: {f.secret === true ? "•".repeat(Array.from(s.values[i]!).length) : s.values[i]}
          {i === s.focus ? <Text inverse> </Text> : null}
        </Text>
      ))}
      <Text dimColor>{note ?? "tab/↓ next field · enter on the last field saves · esc cancels"}</Text>
    </Box>
  );
}
