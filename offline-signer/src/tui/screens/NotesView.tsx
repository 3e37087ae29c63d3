/** A notes collection: the notes list and the selected note (Main draws the collection tabs above). */
import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";
import { when } from "../../cli/format.js";
import type { NoteView } from "../../apps/notes/index.js";

export interface NotesViewProps {
  readonly notes: readonly NoteView[];
  readonly selected: number;
  readonly authors: readonly string[];
  /** How many list rows fit. */
  readonly rows: number;
}

export function NotesView({ notes, selected, authors, rows }: NotesViewProps): ReactElement {
  // Keep the selection in view without scrolling on every move.
  const first = Math.max(0, Math.min(selected - rows + 1, notes.length - rows));
  const shown = notes.slice(first, first + rows);
  const note = notes[selected];
  return (
    <Box flexDirection="column">
      <Box>
        <Box flexDirection="column" borderStyle="single" width={34} paddingX={1}>
          <Text bold>
            Notes ({notes.length})
          </Text>
          {notes.length === 0 ? <Text dimColor>no notes yet: press a to add one</Text> : null}
          {shown.map((n, i) => (
            <Text key={n.id} wrap="truncate-end" {...(first + i === selected ? { inverse: true } : {})}>
              {first + i === selected ? "› " : "  "}
              {n.title === "" ? "(untitled)" : n.title}
            </Text>
          ))}
        </Box>
        <Box flexDirection="column" borderStyle="single" flexGrow={1} paddingX={1}>
          {note === undefined ? <Text dimColor>nothing selected</Text> : <NoteDetail note={note} authors={authors} />}
        </Box>
      </Box>
    </Box>
  );
}

function NoteDetail({ note, authors }: { readonly note: NoteView; readonly authors: readonly string[] }): ReactElement {
  return (
    <Box flexDirection="column">
      <Text bold>{note.title === "" ? "(untitled)" : note.title}</Text>
      <Text dimColor>id {note.id}</Text>
      <Text> </Text>
      <Text block>{note.body === "" ? <Text dimColor>(no body)</Text> : note.body}</Text>
      <Text> </Text>
      {note.tags.length > 0 ? <Text>tags: {note.tags.join(", ")}</Text> : null}
      <Text dimColor>
        updated {when(note.updated)} by {authors.join(", ")}
      </Text>
      {note.comments.length > 0 ? <Text bold>Comments ({note.comments.length})</Text> : null}
      {note.comments.map((c, i) => (
        <Text key={i}>  - {c}</Text>
      ))}
    </Box>
  );
}
