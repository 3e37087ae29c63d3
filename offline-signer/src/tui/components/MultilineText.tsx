/**
 * The text of a multi-line field inside a form: while it is being edited, its last lines (the
 * cursor is at the end) with how many more are above; otherwise its first line and how many
 * lines it has. Either way a few rows, however long the text: the form, the header and the
 * key line stay on screen.
 */
import { Text } from "./Text.js";
import type { ReactElement } from "react";
import { Box } from "ink";

/** Rows of text shown while the field is being edited. */
export const EDIT_ROWS = 6;

export function MultilineText({ value, focused, rows = EDIT_ROWS }: { readonly value: string; readonly focused: boolean; readonly rows?: number }): ReactElement {
  const lines = value.split("\n");
  if (!focused) {
    const first = lines[0] ?? "";
    return (
      <Text wrap="truncate-end" dimColor={value === ""}>
        {`    ${value === "" ? "(empty)" : first}${lines.length > 1 ? `  … ${lines.length} lines` : ""}`}
      </Text>
    );
  }
  const shown = lines.slice(-rows);
  const above = lines.length - shown.length;
  return (
    <Box flexDirection="column">
      {above > 0 ? <Text dimColor>{`    … ${above} more line(s) above`}</Text> : null}
      {shown.map((line, i) =>
        i === shown.length - 1 ? (
          // The line being typed shows its end: that is where the next character goes.
          <Text key={i} wrap="truncate-start">
            {`    ${line}`}
            <Text inverse> </Text>
          </Text>
        ) : (
          <Text key={i} wrap="truncate-end">{`    ${line}`}</Text>
        ),
      )}
    </Box>
  );
}
