/** A secrets record <-> SecretItem: what the CLI, the TUI and every importer write and read. */
import type { Intent, RecordView } from "../app.js";
import { diffRecord, textOf, textsOf } from "../record-diff.js";
import { encodeFieldEntry, parseFieldEntry } from "./index.js";
import type { SecretItem } from "./item.js";

export function itemOf(r: RecordView): SecretItem {
  const username = textOf(r.fields["username"]);
  const password = textOf(r.fields["password"]);
  const notes = textOf(r.fields["notes"]);
  const totp = textOf(r.fields["totp"]);
  return {
    title: textOf(r.fields["title"]) ?? "",
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(notes === undefined ? {} : { notes }),
    ...(totp === undefined ? {} : { totp }),
    urls: textsOf(r.sets["urls"]),
    tags: textsOf(r.sets["tags"]),
    fields: textsOf(r.sets["fields"]).map(parseFieldEntry).filter((f) => f !== undefined),
  };
}

/** The intents that make record `id` say `item` (only what differs from `have`). */
export function itemIntents(id: string, item: SecretItem, have?: RecordView): Intent[] {
  return diffRecord(
    id,
    {
      fields: { title: item.title, username: item.username, password: item.password, notes: item.notes, totp: item.totp },
      sets: { urls: item.urls, tags: item.tags, fields: item.fields.map(encodeFieldEntry) },
    },
    have,
  );
}
