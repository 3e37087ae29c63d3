/**
 * What every collection screen (notes, secrets, contacts) shares: a list with a detail pane, a form
 * to add or edit, delete after a question. Each app supplies its rows, detail and form; this
 * owns the keys while it lists and hands the ones it has no use for (switching collections,
 * export, search, quit) to Main, so exactly one key handler is active at a time.
 */
import { Box, useInput, type Key } from "ink";
import { useMemo, useRef, useState, type ReactElement } from "react";
import { writeRefusal } from "../../apps/notes/index.js";
import type { RecordView } from "../../apps/app.js";
import { VAULT_HINTS } from "../../vault/errors.js";
import type { Vault } from "../../vault/vault.js";
import { arraySource, RecordList, type ListRow, type RowSource } from "../components/RecordList.js";
import { Text } from "../components/Text.js";
import { FilesList } from "../components/FilesList.js";
import { HelpOverlay } from "../components/HelpOverlay.js";
import { KeyBar } from "../components/KeyBar.js";
import { ScrollView } from "../components/ScrollView.js";
import { actionOf, GLOBAL_BAR, GLOBAL_KEYS, HELP_KEYS, LIST_KEYS, parseHelp, READING_KEYS, SCROLL_KEYS } from "../keys.js";
import { info, outcomeOf, type Message } from "../messages.js";
import { ConfirmDelete } from "./ConfirmDelete.js";

/** What Main hands every typed-collection screen. */
export interface AppScreenProps {
  readonly vault: Vault;
  readonly collection: string;
  readonly records: readonly RecordView[];
  readonly selectedId: string | undefined;
  readonly onSelect: (id: string) => void;
  /** A write's outcome or a refusal: shown on the message line, and the vault is read again. */
  readonly onMessage: (message: Message) => void;
  /** Keys this screen has no use for while it lists. */
  readonly onKey: (input: string, key: Key) => void;
  /** How many list rows fit: the screen is this plus four lines tall (borders, heading, key bar). */
  readonly rows: number;
}

/** Lines a RecordScreen takes besides its `rows` of records: list borders and heading, and the key bar. */
export const RECORD_SCREEN_CHROME = 4;

/** Runs a write from a form: the action returns the one-line outcome, or throws the vault's typed error (the form shows it and stays open). */
export type Submit = (action: () => string) => void;

/** A form of the app's own (a comment on a note): drawn until it submits or cancels. */
export type FormRender = (submit: Submit, cancel: () => void) => ReactElement;

export interface RecordScreenProps extends AppScreenProps {
  readonly heading: string;
  /** One record ("note", "login"), for "no note selected". */
  readonly noun: string;
  readonly empty: string;
  /** In the order shown; `selectedId` picks one of them. */
  readonly items?: readonly ListRow[] | undefined;
  /** Instead of `items`: rows read a page at a time (a collection too large to hold). */
  readonly source?: RowSource | undefined;
  readonly detail: (id: string) => ReactElement;
  /** The add form (`editing` undefined) or the edit form of record `editing`. */
  readonly form: (editing: string | undefined, submit: Submit, cancel: () => void) => ReactElement;
  /** This app's own list keys (r reveals, c comments); returns true when it used the key. */
  readonly onAppKey?: (input: string, key: Key, selected: string | undefined, open: AppKeyActions) => boolean;
  /** This app's own keys for the help line. */
  readonly help: string;
  readonly listWidth: number;
}

/** What an app key may do beyond its own state. */
export interface AppKeyActions {
  /** Opens a form that writes, after the same up-front write check as add and edit. */
  readonly writeForm: (render: FormRender) => void;
  readonly refuse: (text: string) => void;
}

type Mode =
  | { readonly kind: "list" }
  | { readonly kind: "read" }
  | { readonly kind: "help"; readonly back: "list" | "read" }
  | { readonly kind: "form"; readonly render: FormRender }
  | { readonly kind: "delete"; readonly id: string; readonly title: string };
const LIST: Mode = { kind: "list" };

export function RecordScreen(props: RecordScreenProps): ReactElement {
  const { vault, collection, selectedId, onSelect, onMessage, onKey, rows } = props;
  const [mode, setMode] = useState<Mode>(LIST);
  const source = useMemo(() => props.source ?? arraySource(props.items ?? []), [props.source, props.items]);
  // The selection by position, so a move reads no more than the row it lands on; the id is looked
  // up (a query on a paged source) only when it changed from outside: a write, search, another screen.
  const at = useRef(0);
  let index = Math.min(at.current, Math.max(0, source.count - 1));
  if (selectedId !== undefined && source.slice(index, 1)[0]?.id !== selectedId) {
    const found = source.indexOf(selectedId);
    if (found >= 0) index = found;
  }
  at.current = index;
  const selected = source.slice(index, 1)[0];

  /** Refuses up front, with the write's own reason, instead of after a whole form was typed. */
  const mayWrite = (): boolean => {
    const refusal = writeRefusal(vault, collection);
    if (refusal === undefined) return true;
    onMessage({ kind: "error", text: refusal, hint: VAULT_HINTS.VAULT_NOT_ALLOWED });
    return false;
  };
  // A refused write throws on to the form, which stays open with what was typed and the error.
  const submit: Submit = (action) => {
    const done = action();
    setMode(LIST);
    onMessage(info(done));
  };
  const cancel = (): void => setMode(LIST);

  const go = (to: number): void => {
    const next = Math.min(source.count - 1, Math.max(0, to));
    const row = source.slice(next, 1)[0];
    if (row === undefined) return;
    at.current = next;
    onSelect(row.id);
  };
  const listKeys = (input: string, key: Key): void => {
    // From the ref, not this render's index: keys in one read (a held key) come before a re-render.
    const here = at.current;
    switch (actionOf(LIST_KEYS, input, key)) {
      case "up":
        return go(here - 1);
      case "down":
        return go(here + 1);
      case "pageup":
        return go(here - rows);
      case "pagedown":
        return go(here + rows);
      case "first":
        return go(0);
      case "last":
        return go(source.count - 1);
      case "open":
        if (selected !== undefined) setMode({ kind: "read" });
        return;
      case undefined:
        return recordKeys(input, key, "list");
    }
  };
  /** Keys that act on the selected record or leave the screen, in the list and while reading. */
  const recordKeys = (input: string, key: Key, from: "list" | "read"): void => {
    if (actionOf(GLOBAL_KEYS, input, key) === "help") return setMode({ kind: "help", back: from });
    const writeForm = (render: FormRender): void => {
      if (mayWrite()) setMode({ kind: "form", render });
    };
    const refuse = (text: string): void => onMessage({ kind: "error", text, hint: "press a to add one" });
    if (props.onAppKey?.(input, key, selected?.id, { writeForm, refuse }) === true) return;
    if (input === "a") return writeForm((submit, cancel) => props.form(undefined, submit, cancel));
    if (input === "e" || input === "d") {
      if (selected === undefined) return refuse(`no ${props.noun} selected`);
      if (input === "e") return writeForm((submit, cancel) => props.form(selected.id, submit, cancel));
      if (mayWrite()) setMode({ kind: "delete", id: selected.id, title: selected.title });
      return;
    }
    onKey(input, key);
  };

  useInput(
    (input, key) => {
      if (mode.kind === "list") return listKeys(input, key);
      if (mode.kind === "read") {
        // The ScrollView reads the scroll keys; the rest act on the record as in the list.
        if (actionOf(SCROLL_KEYS, input, key) !== undefined) return;
        if (actionOf(READING_KEYS, input, key) === "back") return setMode(LIST);
        return recordKeys(input, key, "read");
      }
      if (mode.kind === "help") {
        if (actionOf(HELP_KEYS, input, key) === "close") setMode(mode.back === "read" ? { kind: "read" } : LIST);
        return;
      }
      if (mode.kind !== "delete") return;
      if (input !== "y") {
        setMode(LIST);
        return onMessage(info("Nothing deleted."));
      }
      const { id, title } = mode;
      setMode(LIST);
      onMessage(
        outcomeOf(() => {
          vault.write(collection, [{ kind: "delete", record: id }]);
          return `Deleted “${title}”.`;
        }),
      );
    },
    // The form reads its own keys.
    { isActive: mode.kind !== "form" },
  );

  if (mode.kind === "form") return mode.render(submit, cancel);
  if (mode.kind === "delete") return <ConfirmDelete title={mode.title} />;
  const appKeys = parseHelp(props.help);
  if (mode.kind === "help") {
    const sections = [
      { title: `${props.heading}: this screen`, keys: appKeys },
      mode.back === "read" ? { title: "Reading a record", keys: [...SCROLL_KEYS, ...READING_KEYS] } : { title: "Moving in the list", keys: LIST_KEYS },
      { title: "Everywhere", keys: GLOBAL_KEYS },
    ];
    return <HelpOverlay title={props.heading} sections={sections} height={rows + RECORD_SCREEN_CHROME} />;
  }
  // The record with its files, in a window that scrolls: a long one never pushes the list off screen.
  const detail =
    selected === undefined ? (
      <Text dimColor>nothing selected</Text>
    ) : (
      <ScrollView height={rows + 1} active={mode.kind === "read"} resetKey={selected.id} hint={mode.kind === "read" ? "esc back" : "enter reads it"}>
        {props.detail(selected.id)}
        <FilesList vault={vault} record={props.records.find((r) => r.id === selected.id) ?? vault.record(collection, selected.id)} />
      </ScrollView>
    );
  const bar = mode.kind === "read" ? [...READING_KEYS, ...GLOBAL_BAR, ...appKeys] : [...appKeys, ...GLOBAL_BAR];
  return (
    <Box flexDirection="column" height={rows + RECORD_SCREEN_CHROME}>
      <Box height={rows + 3}>
        {mode.kind === "read" ? null : <RecordList heading={props.heading} empty={props.empty} source={source} selected={index} rows={rows} width={props.listWidth} />}
        <Box flexDirection="column" borderStyle="single" flexGrow={1} flexShrink={1} paddingX={1} height={rows + 3}>
          {detail}
        </Box>
      </Box>
      <KeyBar keys={bar} />
    </Box>
  );
}
