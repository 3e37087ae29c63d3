/**
 * Notes, the first app: what a note is made of and the changesets that add, edit, comment on
 * and delete one. Shared by `airlock notes …` and the TUI so both write the same ops.
 */
import { mayWrite } from "../../team/state.js";
import { vaultError } from "../../vault/errors.js";
import type { Vault } from "../../vault/vault.js";
import type { AppModule, Intent, RecordView } from "../app.js";
import { newRecordId } from "../ids.js";
import { requireAppCollection } from "../collection-choice.js";
import { NOTES_SCHEMA } from "./schema.js";

const text = (v: unknown): string => (typeof v === "string" ? v : "");

export const notesApp: AppModule = {
  schema: NOTES_SCHEMA,
  label: "Notes",
  noun: "note",
  searchText: (r) => ({ title: text(r.fields["title"]), body: [text(r.fields["body"]), text(r.fields["tags"]), ...(r.lists["comments"] ?? []).map(text)].join("\n") }),
  summary: (r) => text(r.fields["title"]),
};

export interface NoteView {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly tags: string[];
  readonly comments: string[];
  readonly updated: number;
  readonly authors: string[];
}

export interface NoteFields {
  readonly title?: string | undefined;
  readonly body?: string | undefined;
  /** Comma-separated, as typed. */
  readonly tags?: string | undefined;
}

export function noteOf(r: RecordView): NoteView {
  return {
    id: r.id,
    title: text(r.fields["title"]),
    body: text(r.fields["body"]),
    tags: text(r.fields["tags"]).split(",").map((t) => t.trim()).filter((t) => t.length > 0),
    comments: (r.lists["comments"] ?? []).map(text),
    updated: r.updated,
    authors: [...r.authors],
  };
}

/** Every visible note of a collection, newest first. */
export function listNotes(vault: Vault, collection: string): NoteView[] {
  requireAppCollection(vault, notesApp, collection);
  return vault.records(collection).map(noteOf).sort((a, b) => b.updated - a.updated || (a.id < b.id ? -1 : 1));
}

/** A note by its id or a unique id prefix. */
export function findNote(vault: Vault, collection: string, ref: string): RecordView {
  return vault.findRecord(requireAppCollection(vault, notesApp, collection), ref);
}

/** The names of a note's authors, as the team log knows them. */
export function authorNames(vault: Vault, note: NoteView): string[] {
  const state = vault.requireTeam();
  return note.authors.map((d) => state.users.get(state.devices.get(d)?.user ?? "")?.name ?? d.slice(0, 12));
}

/**
 * Why this device may not write `collection`, or undefined if it may. The same check the write
 * makes, asked before someone types a whole note only to have it refused.
 */
export function writeRefusal(vault: Vault, collection: string): string | undefined {
  return mayWrite(vault.requireTeam(), vault.deviceId, collection);
}

export function addNote(vault: Vault, collection: string, fields: NoteFields & { readonly title: string }): { id: string; changeset: string } {
  requireAppCollection(vault, notesApp, collection);
  const id = newRecordId();
  const ops: Intent[] = [
    { kind: "set", record: id, field: "title", value: fields.title },
    { kind: "set", record: id, field: "body", value: fields.body ?? "" },
  ];
  if (fields.tags !== undefined) ops.push({ kind: "set", record: id, field: "tags", value: fields.tags });
  const written = vault.write(collection, ops);
  return { id, changeset: written.changeset };
}

/** Sets the fields given; the others stay as they are and keep merging with others' edits. */
export function editNote(vault: Vault, collection: string, id: string, fields: NoteFields): string[] {
  requireAppCollection(vault, notesApp, collection);
  const ops: Intent[] = [];
  for (const f of ["title", "body", "tags"] as const) {
    const value = fields[f];
    if (value !== undefined) ops.push({ kind: "set", record: id, field: f, value });
  }
  if (ops.length === 0) throw vaultError("VAULT_BAD_ARGUMENT", "nothing to change: give --title, --body or --tags");
  vault.write(collection, ops);
  return ops.map((o) => (o.kind === "set" ? o.field : ""));
}

export function commentNote(vault: Vault, collection: string, id: string, text: string): void {
  requireAppCollection(vault, notesApp, collection);
  vault.write(collection, [{ kind: "append", record: id, field: "comments", value: text }]);
}

export function deleteNote(vault: Vault, collection: string, id: string): void {
  requireAppCollection(vault, notesApp, collection);
  vault.write(collection, [{ kind: "delete", record: id }]);
}
