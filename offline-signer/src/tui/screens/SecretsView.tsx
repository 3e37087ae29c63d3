/**
 * A secrets collection: logins listed by title (username and first URL beside; never the
 * password), the selected one in detail, masked until `r`. Reveal follows one login only: moving
 * the selection masks everything again, so a revealed password is not left on screen by accident.
 */
import { useEffect, useMemo, useReducer, useState, type ReactElement } from "react";
import { authorNames, noteOf } from "../../apps/notes/index.js";
import { newRecordId } from "../../apps/ids.js";
import { checkItem, ITEM_LIMITS, type SecretItem } from "../../apps/secrets/item.js";
import { itemIntents, itemOf } from "../../apps/secrets/record.js";
import { parseTotp } from "../../apps/secrets/totp.js";
import { Form } from "../components/Form.js";
import { RecordScreen, type AppScreenProps, type Submit } from "./RecordScreen.js";
import { SecretDetail } from "./SecretDetail.js";

export interface SecretsViewProps extends AppScreenProps {
  /** The clock the TOTP code is computed from (tests pass a fixed one). */
  readonly now?: (() => number) | undefined;
}

/** `list` with its first entry replaced by `value` (dropped when blank), the others kept. */
function withFirst(list: readonly string[], value: string): string[] {
  const v = value.trim();
  return [...new Set(v === "" ? list.slice(1) : [v, ...list.slice(1)])];
}

const EMPTY: SecretItem = { title: "", urls: [], tags: [], fields: [] };

export function SecretsView(props: SecretsViewProps): ReactElement {
  const { vault, collection, records, selectedId, onSelect } = props;
  const now = props.now ?? Date.now;
  const logins = useMemo(
    () => records.map((record) => ({ record, item: itemOf(record) })).sort((a, b) => a.item.title.localeCompare(b.item.title) || (a.record.id < b.record.id ? -1 : 1)),
    [records],
  );
  const [revealed, setRevealed] = useState<string | undefined>(undefined);
  useEffect(() => setRevealed(undefined), [selectedId]);
  const selected = logins.find((l) => l.record.id === selectedId) ?? logins[0];

  // The code changes every period: redraw each second, but only while one is on screen.
  const [, tick] = useReducer((n: number) => n + 1, 0);
  const showsTotp = selected?.item.totp !== undefined;
  useEffect(() => {
    if (!showsTotp) return undefined;
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [showsTotp]);

  const form = (editing: string | undefined, submit: Submit, cancel: () => void): ReactElement => {
    const have = editing === undefined ? undefined : logins.find((l) => l.record.id === editing)?.record;
    const old = have === undefined ? EMPTY : itemOf(have);
    const before = { title: old.title, username: old.username ?? "", password: old.password ?? "", url: old.urls[0] ?? "", totp: old.totp ?? "", notes: old.notes ?? "" };
    return (
      <Form
        title={have === undefined ? `New login in ${collection}` : `Edit “${old.title}”`}
        fields={[
          { name: "title", label: "Title", initial: before.title },
          { name: "username", label: "Username", initial: before.username },
          { name: "password", label: "Password", initial: before.password, secret: true },
          { name: "url", label: "URL", initial: before.url },
          { name: "totp", label: "TOTP secret", initial: before.totp, secret: true },
          { name: "notes", label: "Notes", initial: before.notes, multiline: true, maxLength: ITEM_LIMITS.notes },
        ]}
        onCancel={cancel}
        onSubmit={(v) =>
          submit(() => {
            const title = v["title"]!.trim();
            // An unchanged TOTP stays as stored; a new one is put in canonical form first.
            const totp = v["totp"]!.trim() === "" ? undefined : v["totp"] === before.totp ? before.totp : parseTotp(v["totp"]!, { label: title });
            // A field left blank is absent from the item, so the diff clears it in the record;
            // what the form does not show (tags, custom fields, other URLs) is kept.
            const item = checkItem(
              {
                title,
                ...(v["username"] === "" ? {} : { username: v["username"]! }),
                ...(v["password"] === "" ? {} : { password: v["password"]! }),
                ...(v["notes"]!.trim() === "" ? {} : { notes: v["notes"]! }),
                ...(totp === undefined ? {} : { totp }),
                urls: withFirst(old.urls, v["url"]!),
                tags: old.tags,
                fields: old.fields,
              },
              have === undefined ? "the new login" : "this login",
            );
            const id = have?.id ?? newRecordId();
            const intents = itemIntents(id, item, have);
            if (intents.length === 0) return "Nothing changed.";
            vault.write(collection, intents);
            if (have !== undefined) return `Updated “${title}”.`;
            onSelect(id);
            return `Added “${title}” to ${collection}.`;
          })
        }
      />
    );
  };

  return (
    <RecordScreen
      {...props}
      noun="login"
      heading="Logins"
      empty="no logins yet: press a to add one"
      listWidth={48}
      items={logins.map(({ record, item }) => ({ id: record.id, title: item.title, details: [item.username ?? "", item.urls[0] ?? ""] }))}
      help="a add · e edit · d delete · r reveal"
      onAppKey={(input, _key, id) => {
        if (input !== "r" || id === undefined) return false;
        setRevealed(revealed === id ? undefined : id);
        return true;
      }}
      detail={(id) => {
        const shown = logins.find((l) => l.record.id === id)!;
        return (
          <SecretDetail
            id={id}
            item={shown.item}
            revealed={revealed === id}
            nowMs={now()}
            updated={shown.record.updated}
            // noteOf reads only the authors here: the one place device ids become member names.
            authors={authorNames(vault, noteOf(shown.record))}
          />
        );
      }}
      form={form}
    />
  );
}
