/** `airlock notes …`: notes on the command line. */
import { Args, Flags } from "@oclif/core";
import { escapeBlock, escapeLine, safe } from "@airlock/shared";
import { DEFAULT_COLLECTION } from "../../vault/vault.js";
import { VaultCommand } from "../../commands/base.js";
import { table, when } from "../../commands/format.js";
import { editText, readBody } from "../../cli/text-input.js";
import { addNote, authorNames, commentNote, deleteNote, editNote, findNote, listNotes, noteOf } from "./index.js";

const collectionFlag = Flags.string({ description: "collection (default: notes)", default: DEFAULT_COLLECTION });

export class NotesAdd extends VaultCommand {
  static override summary = "Add a note (title, body, tags).";
  static override examples = [
    '<%= config.bin %> notes add --title "Safe houses" --body-file safe-houses.md --tags logistics,urgent',
    'pbpaste | <%= config.bin %> notes add --title "Meeting" --body -',
    '<%= config.bin %> notes add --title "Plan" --edit',
  ];
  static override flags = {
    title: Flags.string({ description: "title (one line)", required: true }),
    body: Flags.string({ description: 'body text; "-" reads it from standard input (keeps text out of the shell history)' }),
    "body-file": Flags.string({ description: "read the body from this UTF-8 file (up to 1 MiB)" }),
    edit: Flags.boolean({ description: "write the body in $EDITOR (a private temporary file, wiped afterwards)", default: false }),
    tags: Flags.string({ description: "comma-separated tags" }),
    collection: collectionFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NotesAdd);
    if (flags.title.trim() === "") this.usage("--title is blank; give the note a title");
    let body = await readBody({ body: flags.body, bodyFile: flags["body-file"], stdin: process.stdin });
    if (body === undefined && flags.edit) body = (await editText("")) ?? "";
    await this.withVault(flags, async (vault) => {
      const { id, changeset } = addNote(vault, flags.collection, { title: flags.title, body: body ?? "", tags: flags.tags });
      this.emit(flags.json, { id, collection: flags.collection, changeset }, safe`Added note ${id} to ${flags.collection}.` + "\n");
    });
  }
}

export class NotesEdit extends VaultCommand {
  static override summary = "Change fields of a note; fields you do not name stay as they are (and merge with others' edits). With no field given, opens the body in $EDITOR.";
  static override examples = ['<%= config.bin %> notes edit 3f2a', '<%= config.bin %> notes edit 3f2a --body-file notes.md', '<%= config.bin %> notes edit 3f2a --title "New title"'];
  static override args = { id: Args.string({ description: "note id (or a unique prefix)", required: true }) };
  static override flags = {
    title: Flags.string({ description: "new title" }),
    body: Flags.string({ description: 'new body; "-" reads it from standard input' }),
    "body-file": Flags.string({ description: "read the new body from this UTF-8 file" }),
    tags: Flags.string({ description: "new comma-separated tags" }),
    collection: collectionFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NotesEdit);
    if (flags.title !== undefined && flags.title.trim() === "") this.usage("--title is blank; give the note a title");
    let body = await readBody({ body: flags.body, bodyFile: flags["body-file"], stdin: process.stdin });
    await this.withVault(flags, async (vault) => {
      const note = findNote(vault, flags.collection, args.id);
      if (body === undefined && flags.title === undefined && flags.tags === undefined) {
        // Nothing named: edit the body where multi-line text is comfortable, the editor.
        body = await editText(noteOf(note).body);
        if (body === undefined) {
          this.emit(flags.json, { id: note.id, changed: [] }, safe`Nothing changed in ${note.id}.` + "\n");
          return;
        }
      }
      const changed = editNote(vault, flags.collection, note.id, { title: flags.title, body, tags: flags.tags });
      this.emit(flags.json, { id: note.id, changed }, safe`Updated ${changed.join(", ")} of ${note.id}.` + "\n");
    });
  }
}

export class NotesComment extends VaultCommand {
  static override summary = "Append a comment to a note (comments are never overwritten, only added).";
  static override examples = ['<%= config.bin %> notes comment 3f2a "checked on site"'];
  static override args = { id: Args.string({ description: "note id (or a unique prefix)", required: true }), text: Args.string({ description: "comment", required: true }) };
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NotesComment);
    await this.withVault(flags, async (vault) => {
      const note = findNote(vault, flags.collection, args.id);
      commentNote(vault, flags.collection, note.id, args.text);
      this.emit(flags.json, { id: note.id }, safe`Commented on ${note.id}.` + "\n");
    });
  }
}

export class NotesList extends VaultCommand {
  static override summary = "List notes.";
  static override examples = ["<%= config.bin %> notes list", "<%= config.bin %> notes list --collection sources --json"];
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(NotesList);
    await this.withVault(flags, async (vault) => {
      vault.requireTeam();
      const notes = listNotes(vault, flags.collection);
      this.emit(flags.json, { collection: flags.collection, notes }, notes.length === 0 ? "no notes\n" : table(notes.map((n) => [n.id, when(n.updated), n.title, n.tags.join(",")])));
    });
  }
}

export class NotesShow extends VaultCommand {
  static override summary = "Show one note.";
  static override examples = ["<%= config.bin %> notes show 3f2a"];
  static override args = { id: Args.string({ description: "note id (or a unique prefix)", required: true }) };
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NotesShow);
    await this.withVault(flags, async (vault) => {
      const note = noteOf(findNote(vault, flags.collection, args.id));
      const names = authorNames(vault, note);
      // The body is shown as a block (its newlines kept); everything else is one line each.
      const title = escapeLine(note.title);
      let text = `${title}\n${"=".repeat(Math.min(60, Math.max(3, title.length)))}\n${escapeBlock(note.body)}\n\n`;
      if (note.tags.length > 0) text += safe`tags: ${note.tags.join(", ")}` + "\n";
      text += safe`updated ${when(note.updated)} by ${names.join(", ")}` + "\n";
      for (const c of note.comments) text += safe`  - ${c}` + "\n";
      this.emit(flags.json, { note: { ...note, authorNames: names } }, text);
    });
  }
}

export class NotesRm extends VaultCommand {
  static override summary = "Delete a note (a newer edit by someone else brings back what they wrote).";
  static override examples = ["<%= config.bin %> notes rm 3f2a"];
  static override args = { id: Args.string({ description: "note id (or a unique prefix)", required: true }) };
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NotesRm);
    await this.withVault(flags, async (vault) => {
      const note = findNote(vault, flags.collection, args.id);
      deleteNote(vault, flags.collection, note.id);
      this.emit(flags.json, { id: note.id }, safe`Deleted ${note.id}.` + "\n");
    });
  }
}

export const NOTES_COMMANDS = {
  "notes:add": NotesAdd,
  "notes:edit": NotesEdit,
  "notes:comment": NotesComment,
  "notes:list": NotesList,
  "notes:show": NotesShow,
  "notes:rm": NotesRm,
};
