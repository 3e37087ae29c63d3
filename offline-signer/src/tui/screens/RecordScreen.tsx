/**
 * What every collection screen (notes, secrets, contacts) shares: a list with a detail pane, a form
 * to add or edit, delete after a question. Each app supplies its rows, detail and form; this
 * owns the keys while it lists and hands the ones it has no use for (switching collections,
 * export, search, quit) to Main, so exactly one key handler is active at a time.
 */
import { Box, useInput, type Key } from "ink";
import { useState, type ReactElement } from "react";
import { writeRefusal } from "../../apps/notes/index.js";
import type { RecordView } from "../../apps/app.js";
import { VAULT_HINTS } from "../../vault/errors.js";
import type { Vault } from "../../vault/vault.js";
import { RecordList, type ListRow } from "../components/RecordList.js";
import { Text } from "../components/Text.js";
import { FilesList } from "../components/FilesList.js";
import { GLOBAL_KEYS } from "../keys.js";
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
  /** How many list rows fit. */
  readonly rows: number;
}

/** Runs a write from a form; returns the one-line outcome, throws the vault's typed error. */
export type Submit = (action: () => string) => void;

/** A form of the app's own (a comment on a note): drawn until it submits or cancels. */
export type FormRender = (submit: Submit, cancel: () => void) => ReactElement;

export interface RecordScreenProps extends AppScreenProps {
  readonly heading: string;
  /** One record ("note", "login"), for "no note selected". */
  readonly noun: string;
  readonly empty: string;
  /** In the order shown; `selectedId` picks one of them. */
  readonly items: readonly ListRow[];
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

type Mode = { readonly kind: "list" } | { readonly kind: "form"; readonly render: FormRender } | { readonly kind: "delete"; readonly id: string; readonly title: string };
const LIST: Mode = { kind: "list" };

export function RecordScreen(props: RecordScreenProps): ReactElement {
  const { vault, collection, items, selectedId, onSelect, onMessage, onKey } = props;
  const [mode, setMode] = useState<Mode>(LIST);
  const index = Math.max(0, items.findIndex((i) => i.id === selectedId));
  const selected = items[index];

  /** Refuses up front, with the write's own reason, instead of after a whole form was typed. */
  const mayWrite = (): boolean => {
    const refusal = writeRefusal(vault, collection);
    if (refusal === undefined) return true;
    onMessage({ kind: "error", text: refusal, hint: VAULT_HINTS.VAULT_NOT_ALLOWED });
    return false;
  };
  const submit: Submit = (action) => {
    setMode(LIST);
    onMessage(outcomeOf(action));
  };
  const cancel = (): void => setMode(LIST);

  const listKeys = (input: string, key: Key): void => {
    const move = (by: number): void => {
      const next = items[Math.min(items.length - 1, Math.max(0, index + by))];
      if (next !== undefined) onSelect(next.id);
    };
    if (key.upArrow || input === "k") return move(-1);
    if (key.downArrow || input === "j") return move(1);
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
      if (mode.kind !== "delete") return;
      if (input !== "y") {
        setMode(LIST);
        return onMessage(info("Nothing deleted."));
      }
      const { id, title } = mode;
      submit(() => {
        vault.write(collection, [{ kind: "delete", record: id }]);
        return `Deleted “${title}”.`;
      });
    },
    // The form reads its own keys.
    { isActive: mode.kind !== "form" },
  );

  if (mode.kind === "form") return mode.render(submit, cancel);
  if (mode.kind === "delete") return <ConfirmDelete title={mode.title} />;
  return (
    <Box flexDirection="column">
      <Box>
        <RecordList heading={props.heading} empty={props.empty} items={items} selected={index} rows={props.rows} width={props.listWidth} />
        <Box flexDirection="column" borderStyle="single" flexGrow={1} paddingX={1}>
          {selected === undefined ? <Text dimColor>nothing selected</Text> : props.detail(selected.id)}
          {selected === undefined ? null : <FilesList vault={vault} record={props.records.find((r) => r.id === selected.id)} />}
        </Box>
      </Box>
      <Text dimColor>{`${props.help} · ${GLOBAL_KEYS}`}</Text>
    </Box>
  );
}
