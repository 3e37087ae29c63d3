/** One note in the detail pane: body as a block, tags, who updated it, the comments. */
import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";
import { when } from "../../cli/format.js";
import type { NoteView } from "../../apps/notes/index.js";

export function NoteDetail({ note, authors }: { readonly note: NoteView; readonly authors: readonly string[] }): ReactElement {
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
