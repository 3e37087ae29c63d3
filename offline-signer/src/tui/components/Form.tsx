/**
 * A small form. Tab or ↓ moves to the next field, Shift-Tab or ↑ back, Esc cancels, Ctrl-S
 * saves from anywhere. In a one-line field Enter moves on, and saves on the last one-line field
 * (so a form whose last field is an optional multi-line one still saves with Enter); in a
 * multi-line field (a note's body) Enter starts a new line and Ctrl-E opens the text in
 * $VISUAL/$EDITOR. A choice field (a role) takes ←/→ and typed letters that filter its list.
 *
 * A paste is text, never keys: with bracketed paste the whole paste goes into the focused
 * field (its lines kept in a multi-line field, joined in a one-line one), so a pasted line
 * never spills into the next field or submits. Every field holds at most its `maxLength`.
 *
 * When saving fails (onSubmit throws: an empty title, a value the app refuses), the form stays
 * with everything typed, and the error shows under the field it names (see `onField`), or
 * under the fields.
 *
 * The values live in a ref, not only in state: keys can arrive faster than React re-renders, and
 * each must edit what the previous one left, never a stale copy.
 */
import { Box, useInput, useStdin, useStdout, type Key } from "ink";
import { Text } from "./Text.js";
import { useEffect, useReducer, useRef, type ReactElement } from "react";
import { appendBounded, BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, edit, pastedText, pasteMarker, segments } from "../editing.js";
import { editText } from "../../cli/text-input.js";
import { ENTER_SCREEN, LEAVE_SCREEN } from "../terminal.js";
import { errorMessage, fieldOf, type Message } from "../messages.js";
import { filterChoices, labelOf, type Choice } from "./Picker.js";
import { MultilineText } from "./MultilineText.js";

/** A one-line field holds this many characters unless it says otherwise. */
const LINE_LIMIT = 4096;

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly initial?: string;
  /** Shown as one dot per character: a password must not reach the screen while it is typed. */
  readonly secret?: boolean;
  /** Several lines: Enter adds a line, pastes keep their lines, Ctrl-E opens $EDITOR. */
  readonly multiline?: boolean;
  /** Most characters the field holds: the app's own limit (typing and pastes stop there). */
  readonly maxLength?: number;
  /** The value is one of these, chosen with ←/→ or by typing; `initial` selects one. */
  readonly choices?: readonly Choice[];
}

export interface FormProps {
  readonly title: string;
  readonly fields: readonly FieldSpec[];
  /** Saves; throwing keeps the form open with the error shown (under the field `onField` names). */
  readonly onSubmit: (values: Record<string, string>) => void;
  readonly onCancel: () => void;
  readonly note?: string;
}

interface State {
  values: string[];
  /** Per choice field, what was typed to filter its list. */
  filters: string[];
  focus: number;
  done: boolean;
  /** Inside a bracketed paste: everything up to its end marker is text for the focused field. */
  pasting: boolean;
  /**
   * Just after a paste's end marker, until the next turn of the event loop: whatever came in the
   * same read is still the paste. Pasted text that carries its own end marker (copied from a
   * hostile page) could otherwise go on as keys: Esc, Ctrl-S, Enter. Keys a person types after a
   * paste arrive in a later read.
   */
  pasteTail: boolean;
  /** The editor has the terminal (ctrl-e): keys wait. */
  editing: boolean;
  error: { readonly field: number | undefined; readonly message: Message } | undefined;
  notice: string | undefined;
}

const limitOf = (f: FieldSpec): number => f.maxLength ?? (f.multiline === true ? 64 * 1024 : LINE_LIMIT);

function initialState(fields: readonly FieldSpec[]): State {
  const values = fields.map((f) => {
    const v = f.initial ?? "";
    // A choice field always holds one of its choices.
    return f.choices === undefined || f.choices.some((c) => c.value === v) ? v : (f.choices[0]?.value ?? "");
  });
  return { values, filters: fields.map(() => ""), focus: 0, done: false, pasting: false, pasteTail: false, editing: false, error: undefined, notice: undefined };
}

function keyLine(fields: readonly FieldSpec[], note: string | undefined): string {
  const multi = fields.some((f) => f.multiline === true);
  const choice = fields.some((f) => f.choices !== undefined);
  if (note !== undefined) return [note, ...(multi ? ["ctrl-s saves", "ctrl-e $EDITOR"] : []), ...(choice ? ["←/→ or type to choose"] : [])].join(" · ");
  // One line at 80 columns inside the form's border.
  return [
    multi ? "tab/↓ next" : "tab/↓ next field",
    ...(choice ? ["←/→ or type to choose"] : []),
    ...(multi ? ["enter: new line", "ctrl-e $EDITOR", "ctrl-s saves"] : ["enter on the last field saves"]),
    "esc cancels",
  ].join(" · ");
}

export function Form({ title, fields, onSubmit, onCancel, note }: FormProps): ReactElement {
  const state = useRef<State>(initialState(fields));
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const { stdin, setRawMode, isRawModeSupported } = useStdin();
  const { stdout, write } = useStdout();
  const tty = stdout.isTTY === true;
  const width = Math.max(...fields.map((f) => f.label.length));

  // Bracketed paste only while a form is open: elsewhere a paste has nowhere to go.
  useEffect(() => {
    if (!tty) return undefined;
    stdout.write(BRACKETED_PASTE_ON);
    return () => {
      stdout.write(BRACKETED_PASTE_OFF);
    };
  }, [tty, stdout]);

  const submit = (s: State): void => {
    s.done = true;
    try {
      onSubmit(Object.fromEntries(fields.map((f, i) => [f.name, s.values[i]!])));
    } catch (e) {
      s.done = false;
      const named = fieldOf(e);
      const at = named === undefined ? -1 : fields.findIndex((f) => f.name === named);
      s.error = { field: at < 0 ? undefined : at, message: errorMessage(e) };
      if (at >= 0) s.focus = at;
    }
  };

  const insert = (s: State, text: string): void => {
    const f = fields[s.focus]!;
    const { value, cut } = appendBounded(s.values[s.focus]!, text, limitOf(f));
    s.values[s.focus] = value;
    if (cut > 0) s.notice = `${f.label} holds at most ${limitOf(f)} characters: ${cut} were left out`;
  };

  /**
   * Hands the terminal to the editor (cli/text-input.ts editText, as `notes edit` does) and takes
   * it back; the field keeps its text when the editor fails, leaves it unchanged or empty, or
   * saves more than the field holds. Keys are ignored until it is back.
   */
  const openEditor = (s: State): void => {
    const at = s.focus;
    const f = fields[at]!;
    const interactive = tty && stdin.isTTY === true && isRawModeSupported;
    // The editor gets the normal screen and a cooked terminal; the TUI's screen is cleared
    // first (LEAVE_SCREEN), so nothing decrypted is left behind it.
    if (interactive) {
      stdout.write(`${BRACKETED_PASTE_OFF}${LEAVE_SCREEN}`);
      setRawMode(false);
    }
    s.editing = true;
    const back = (): void => {
      s.editing = false;
      if (interactive) {
        setRawMode(true);
        stdout.write(`${ENTER_SCREEN}${BRACKETED_PASTE_ON}`);
        // ink redraws its whole last frame after anything written through it.
        write("");
      }
      rerender();
    };
    const before = s.values[at]!;
    editText(before).then(
      (saved) => {
        // Editors end a file with a newline; the field did not have one.
        const text = saved !== undefined && saved.endsWith("\n") && !before.endsWith("\n") ? saved.slice(0, -1) : saved;
        if (text === undefined) s.notice = `${f.label} unchanged (the editor left it as it was, or empty)`;
        else if (Array.from(text).length > limitOf(f)) s.error = { field: at, message: { kind: "error", text: `the edited text is longer than ${f.label} holds (${limitOf(f)} characters): it was not taken`, hint: "shorten it, or keep the rest in an attached file" } };
        else {
          s.values[at] = text;
          s.error = undefined;
        }
        back();
      },
      (e: unknown) => {
        s.error = { field: at, message: errorMessage(e) };
        back();
      },
    );
  };

  const choose = (s: State, input: string, key: Key): boolean => {
    const f = fields[s.focus]!;
    if (f.choices === undefined) return false;
    const list = filterChoices(f.choices, s.filters[s.focus]!);
    if (key.leftArrow || key.rightArrow) {
      const all = list.length > 0 ? list : f.choices;
      const at = all.findIndex((c) => c.value === s.values[s.focus]);
      const next = all[(at + (key.leftArrow ? -1 : 1) + all.length) % all.length];
      if (next !== undefined) s.values[s.focus] = next.value;
      return true;
    }
    if (key.return || key.tab || key.upArrow || key.downArrow || key.ctrl || key.meta) return false;
    const filter = edit(s.filters[s.focus]!, input, key);
    if (filter === s.filters[s.focus]) return false;
    s.filters[s.focus] = filter;
    const first = filterChoices(f.choices, filter)[0];
    if (first !== undefined) s.values[s.focus] = first.value;
    return true;
  };

  useInput((input, key) => {
    const s = state.current;
    if (s.done || s.editing) return;
    const marker = pasteMarker(input, key);
    if (marker !== undefined) {
      s.pasting = marker === "start";
      if (marker === "end") {
        s.pasteTail = true;
        // Two turns: ink hands over a lone Esc that ended the read in a setImmediate it queues
        // after this one, and that Esc is still part of the read.
        setImmediate(() =>
          setImmediate(() => {
            state.current.pasteTail = false;
          }),
        );
        rerender();
      }
      return;
    }
    const f = fields[s.focus]!;
    if (s.pasting || s.pasteTail) {
      // A choice is chosen, not pasted into; a control key inside a paste is dropped, not obeyed.
      if (f.choices !== undefined || key.ctrl || key.meta || key.escape) return;
      const text = key.return ? "\n" : key.tab ? "  " : input;
      insert(s, pastedText(text, f.multiline === true, f.secret === true));
      s.error = undefined;
      return rerender();
    }
    if (key.escape) {
      s.done = true;
      onCancel();
      return;
    }
    s.notice = undefined;
    if (key.ctrl && input === "s") {
      submit(s);
      return rerender();
    }
    if (key.ctrl && input === "e") {
      if (f.multiline === true) openEditor(s);
      return rerender();
    }
    if (choose(s, input, key)) return rerender();
    for (const seg of segments(input, key)) {
      const field = fields[s.focus]!;
      if (field.choices === undefined && (!seg.enter || seg.text !== "")) {
        const before = s.values[s.focus]!;
        const after = edit(before, seg.text, key);
        // Typed text is appended within the field's limit; an erase shortens it.
        if (after.length > before.length && after.startsWith(before)) insert(s, after.slice(before.length));
        else s.values[s.focus] = after;
        if (s.values[s.focus] !== before) s.error = undefined;
      }
      if (!seg.enter) continue;
      if (field.multiline === true) {
        insert(s, "\n");
        continue;
      }
      // Enter saves from the last one-line field; multi-line fields after it are reached with tab.
      if (!fields.slice(s.focus + 1).some((later) => later.multiline !== true)) {
        submit(s);
        return rerender();
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
  const errorLine = (m: Message): ReactElement => (
    <Text color="red" wrap="wrap">
      {`  error: ${m.text}${m.hint === undefined ? "" : ` — hint: ${m.hint}`}`}
    </Text>
  );
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>{title}</Text>
      {fields.map((f, i) => {
        const focused = i === s.focus;
        const mark = focused ? <Text color="cyan">› </Text> : "  ";
        const value = s.values[i]!;
        let row: ReactElement;
        if (f.multiline === true) {
          const chars = Array.from(value).length;
          row = (
            <Box flexDirection="column">
              <Text>
                {mark}
                {f.label.padEnd(width)}:{focused ? <Text dimColor>{`  ${chars}/${limitOf(f)}`}</Text> : null}
              </Text>
              <MultilineText value={value} focused={focused} />
            </Box>
          );
        } else if (f.choices !== undefined) {
          const chosen = f.choices.find((c) => c.value === value);
          row = (
            <Text wrap="truncate-end">
              {mark}
              {f.label.padEnd(width)}: {focused ? <Text inverse>{` ${chosen === undefined ? value : labelOf(chosen)} `}</Text> : chosen === undefined ? value : labelOf(chosen)}
              {focused ? <Text dimColor>{`  ${f.choices.map(labelOf).join(" · ")}${s.filters[i] === "" ? "" : `  (filter: ${s.filters[i]})`}`}</Text> : null}
            </Text>
          );
        } else {
          row = (
            <Text wrap="truncate-start">
              {mark}
              {f.label.padEnd(width)}: {f.secret === true ? "•".repeat(Array.from(value).length) : value}
              {focused ? <Text inverse> </Text> : null}
            </Text>
          );
        }
        return (
          <Box key={f.name} flexDirection="column">
            {row}
            {s.error !== undefined && s.error.field === i ? errorLine(s.error.message) : null}
          </Box>
        );
      })}
      {s.error !== undefined && s.error.field === undefined ? errorLine(s.error.message) : null}
      {s.notice === undefined ? null : <Text color="yellow">{`  ${s.notice}`}</Text>}
      <Text dimColor>{keyLine(fields, note)}</Text>
    </Box>
  );
}
