/**
 * A notes collection: titles newest first, the selected note in full, and the forms that add,
 * edit and comment. The writes are the ones `airlock notes …` makes (apps/notes/index.ts).
 */
import { AirlockError } from "@airlock/shared";
import { useMemo, type ReactElement } from "react";
import { addNote, authorNames, commentNote, editNote, noteOf, notesApp, type NoteView } from "../../apps/notes/index.js";
import { requireAppCollection } from "../../apps/collection-choice.js";
import { Form, type FieldSpec } from "../components/Form.js";
import { onField } from "../messages.js";
import { pagedRecords } from "../paged.js";
import { NoteDetail } from "./NoteDetail.js";
import { RecordScreen, type AppScreenProps, type Submit } from "./RecordScreen.js";

/** The notes schema's own limits (apps/notes/schema.ts). */
const FIELDS: readonly FieldSpec[] = [
  { name: "title", label: "Title", maxLength: 1024 },
  { name: "body", label: "Body", multiline: true, maxLength: 1 << 20 },
  { name: "tags", label: "Tags (comma-separated)", maxLength: 4096 },
];
const COMMENT_LIMIT = 64 * 1024;

export function NotesView(props: AppScreenProps): ReactElement {
  const { vault, collection, records, onSelect } = props;
  // Newest first, as listNotes (and the CLI) list them, but read a screenful at a time (tui/paged.ts);
  // `records` changing is the signal that there is something new to read.
  const paged = useMemo(() => {
    requireAppCollection(vault, notesApp, collection);
    return pagedRecords(vault, collection, (r) => ({ id: r.id, title: noteOf(r).title, details: [] }));
  }, [vault, collection, records]);
  const note = (id: string | undefined): NoteView | undefined => {
    const r = id === undefined ? undefined : paged.record(id);
    return r === undefined ? undefined : noteOf(r);
  };

  const form = (editing: string | undefined, submit: Submit, cancel: () => void): ReactElement => {
    const n = editing === undefined ? undefined : note(editing);
    if (n === undefined) {
      return (
        <Form
          title={`New note in ${collection}`}
          fields={FIELDS}
          onCancel={cancel}
          onSubmit={(v) =>
            submit(() => {
              if (v["title"]!.trim() === "") throw onField("title", new AirlockError("VAULT_BAD_ARGUMENT", "a note needs a title", { hint: "type one in the first field" }));
              const { id } = addNote(vault, collection, { title: v["title"]!, body: v["body"], tags: v["tags"] === "" ? undefined : v["tags"] });
              onSelect(id);
              return `Added “${v["title"]}” to ${collection}.`;
            })
          }
        />
      );
    }
    const before = { title: n.title, body: n.body, tags: n.tags.join(",") };
    return (
      <Form
        title={`Edit “${n.title}”`}
        fields={FIELDS.map((f) => ({ ...f, initial: before[f.name as keyof typeof before] }))}
        onCancel={cancel}
        onSubmit={(v) =>
          submit(() => {
            // Only the fields changed here are written, so others' edits to the rest still win.
            if (v["title"]!.trim() === "") throw onField("title", new AirlockError("VAULT_BAD_ARGUMENT", "a note needs a title", { hint: "type one in the first field" }));
            const changed = Object.fromEntries((["title", "body", "tags"] as const).filter((f) => v[f] !== before[f]).map((f) => [f, v[f]]));
            if (Object.keys(changed).length === 0) return "Nothing changed.";
            return `Updated ${editNote(vault, collection, n.id, changed).join(", ")}.`;
          })
        }
      />
    );
  };

  return (
    <RecordScreen
      {...props}
      noun="note"
      heading="Notes"
      empty="no notes yet: press a to add one"
      listWidth={34}
      source={paged}
      help="a add · e edit · c comment · d delete"
      onAppKey={(input, _key, id, { writeForm, refuse }) => {
        if (input !== "c") return false;
        const n = note(id);
        if (n === undefined) refuse("no note selected");
        else
          writeForm((submit, cancel) => (
            <Form
              title={`Comment on “${n.title}”`}
              fields={[{ name: "text", label: "Comment", maxLength: COMMENT_LIMIT }]}
              onCancel={cancel}
              onSubmit={(v) =>
                submit(() => {
                  if (v["text"]!.trim() === "") return "No comment added.";
                  commentNote(vault, collection, n.id, v["text"]!);
                  return `Commented on “${n.title}”.`;
                })
              }
            />
          ));
        return true;
      }}
      detail={(id) => {
        const shown = note(id)!;
        return <NoteDetail note={shown} authors={authorNames(vault, shown)} />;
      }}
      form={form}
    />
  );
}
