import { randomBytes } from "node:crypto";
import { Args, Flags } from "@oclif/core";
import type { LocalOp, RecordView, Vault } from "../vault/vault.js";
import { DEFAULT_COLLECTION } from "../vault/vault.js";
import { vaultError } from "../vault/errors.js";
import { VaultCommand } from "./base.js";
import { short, table, when } from "./format.js";

const collectionFlag = Flags.string({ description: "collection (default: notes)", default: DEFAULT_COLLECTION });
// Hidden on purpose: it lets tests (and the demo) play a member who ignores their role, so
// every other vault can be seen refusing the edit. The local check is a courtesy, not the defence.
const forgeFlag = Flags.boolean({ hidden: true, default: false, description: "skip the local role check (tests only)" });

export interface NoteView {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly tags: string[];
  readonly comments: string[];
  readonly updated: number;
  readonly authors: string[];
}

function noteOf(r: RecordView): NoteView {
  const text = (v: unknown): string => (typeof v === "string" ? v : "");
  return {
    id: r.id,
    title: text(r.fields["title"]),
    body: text(r.fields["body"]),
    tags: text(r.fields["tags"]).split(",").map((t) => t.trim()).filter((t) => t.length > 0),
    comments: (r.lists["comments"] ?? []).map(text),
    updated: r.updated,
    authors: r.authors,
  };
}

function findNote(vault: Vault, collection: string, ref: string): RecordView {
  const exact = vault.record(collection, ref);
  if (exact !== undefined) return exact;
  const matches = vault.records(collection).filter((r) => r.id.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw vaultError("VAULT_AMBIGUOUS", `"${ref}" matches ${matches.length} notes`);
  throw vaultError("VAULT_NOT_FOUND", `no note "${ref}" in ${collection}`);
}

export class NotesAdd extends VaultCommand {
  static override summary = "Add a note (title, body, tags).";
  static override examples = ['<%= config.bin %> notes add --title "Safe houses" --body "..." --tags logistics,urgent'];
  static override flags = {
    title: Flags.string({ description: "title", required: true }),
    body: Flags.string({ description: "body text", default: "" }),
    tags: Flags.string({ description: "comma-separated tags" }),
    collection: collectionFlag,
    forge: forgeFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NotesAdd);
    const vault = await this.openVault(flags);
    try {
      const id = randomBytes(8).toString("hex");
      const ops: LocalOp[] = [
        { kind: "set", record: id, field: "title", value: flags.title },
        { kind: "set", record: id, field: "body", value: flags.body },
      ];
      if (flags.tags !== undefined) ops.push({ kind: "set", record: id, field: "tags", value: flags.tags });
      const written = vault.write(flags.collection, ops, { skipRoleCheck: flags.forge });
      this.emit(flags.json, { id, collection: flags.collection, changeset: written.changeset }, `Added note ${id} to ${flags.collection}.\n`);
    } finally {
      vault.close();
    }
  }
}

export class NotesEdit extends VaultCommand {
  static override summary = "Change fields of a note; fields you do not name stay as they are (and merge with others' edits).";
  static override examples = ['<%= config.bin %> notes edit 3f2a --body "new text"'];
  static override args = { id: Args.string({ description: "note id (or a unique prefix)", required: true }) };
  static override flags = {
    title: Flags.string({ description: "new title" }),
    body: Flags.string({ description: "new body" }),
    tags: Flags.string({ description: "new comma-separated tags" }),
    collection: collectionFlag,
    forge: forgeFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NotesEdit);
    const vault = await this.openVault(flags);
    try {
      const note = findNote(vault, flags.collection, args.id);
      const ops: LocalOp[] = [];
      for (const f of ["title", "body", "tags"] as const) if (flags[f] !== undefined) ops.push({ kind: "set", record: note.id, field: f, value: flags[f] });
      if (ops.length === 0) throw vaultError("VAULT_BAD_ARGUMENT", "nothing to change: give --title, --body or --tags");
      vault.write(flags.collection, ops, { skipRoleCheck: flags.forge });
      this.emit(flags.json, { id: note.id, changed: ops.map((o) => o.field) }, `Updated ${ops.map((o) => o.field).join(", ")} of ${note.id}.\n`);
    } finally {
      vault.close();
    }
  }
}

export class NotesComment extends VaultCommand {
  static override summary = "Append a comment to a note (comments are never overwritten, only added).";
  static override examples = ['<%= config.bin %> notes comment 3f2a "checked on site"'];
  static override args = { id: Args.string({ description: "note id (or a unique prefix)", required: true }), text: Args.string({ description: "comment", required: true }) };
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NotesComment);
    const vault = await this.openVault(flags);
    try {
      const note = findNote(vault, flags.collection, args.id);
      vault.write(flags.collection, [{ kind: "append", record: note.id, field: "comments", value: args.text }]);
      this.emit(flags.json, { id: note.id }, `Commented on ${note.id}.\n`);
    } finally {
      vault.close();
    }
  }
}

export class NotesList extends VaultCommand {
  static override summary = "List notes.";
  static override examples = ["<%= config.bin %> notes list", "<%= config.bin %> notes list --collection sources --json"];
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(NotesList);
    const vault = await this.openVault(flags);
    try {
      vault.requireTeam();
      const notes = vault.records(flags.collection).map(noteOf).sort((a, b) => b.updated - a.updated);
      this.emit(flags.json, { collection: flags.collection, notes }, notes.length === 0 ? "no notes\n" : table(notes.map((n) => [n.id, when(n.updated), n.title, n.tags.join(",")])));
    } finally {
      vault.close();
    }
  }
}

export class NotesShow extends VaultCommand {
  static override summary = "Show one note.";
  static override examples = ["<%= config.bin %> notes show 3f2a"];
  static override args = { id: Args.string({ description: "note id (or a unique prefix)", required: true }) };
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NotesShow);
    const vault = await this.openVault(flags);
    try {
      const state = vault.requireTeam();
      const note = noteOf(findNote(vault, flags.collection, args.id));
      const names = note.authors.map((d) => state.users.get(state.devices.get(d)?.user ?? "")?.name ?? short(d));
      let text = `${note.title}\n${"=".repeat(Math.min(60, Math.max(3, note.title.length)))}\n${note.body}\n\n`;
      if (note.tags.length > 0) text += `tags: ${note.tags.join(", ")}\n`;
      text += `updated ${when(note.updated)} by ${names.join(", ")}\n`;
      for (const c of note.comments) text += `  - ${c}\n`;
      this.emit(flags.json, { note: { ...note, authorNames: names } }, text);
    } finally {
      vault.close();
    }
  }
}

export class NotesRm extends VaultCommand {
  static override summary = "Delete a note (a newer edit by someone else brings back what they wrote).";
  static override examples = ["<%= config.bin %> notes rm 3f2a"];
  static override args = { id: Args.string({ description: "note id (or a unique prefix)", required: true }) };
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NotesRm);
    const vault = await this.openVault(flags);
    try {
      const note = findNote(vault, flags.collection, args.id);
      vault.write(flags.collection, [{ kind: "delete", record: note.id }]);
      this.emit(flags.json, { id: note.id }, `Deleted ${note.id}.\n`);
    } finally {
      vault.close();
    }
  }
}
