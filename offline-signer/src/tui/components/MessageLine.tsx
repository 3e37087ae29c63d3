/** The outcome of the last action, or an error with its hint: wrapped to the width (never cut), a few lines at most. */
import { Box } from "ink";
import { Text } from "./Text.js";
import type { ReactElement } from "react";
import type { Message } from "../messages.js";

/** An error longer than this many lines is cut at the last one (the status screen and the CLI have the rest). */
export const MESSAGE_MAX_LINES = 4;

const textOf = (m: Message): string => (m.kind === "info" ? m.text : `error: ${m.text}${m.hint === undefined ? "" : ` — hint: ${m.hint}`}`);

/** Lines `text` takes wrapped at word boundaries to `columns`, as ink wraps it. */
function wrappedLines(text: string, columns: number): number {
  let lines = 1;
  let used = 0;
  for (const word of text.split(" ")) {
    const w = Array.from(word).length;
    const need = used === 0 ? w : used + 1 + w;
    if (need <= columns) used = need;
    else {
      lines += used === 0 ? 0 : 1;
      lines += Math.max(0, Math.ceil(w / columns) - 1);
      used = w % columns === 0 && w > 0 ? columns : w % columns;
    }
  }
  return lines;
}

/** How many lines the message line takes at this width (one when empty). */
export function messageHeight(message: Message | undefined, columns: number): number {
  return message === undefined ? 1 : Math.min(MESSAGE_MAX_LINES, wrappedLines(textOf(message), Math.max(1, columns)));
}

export function MessageLine({ message, columns }: { readonly message: Message | undefined; readonly columns?: number | undefined }): ReactElement {
  if (message === undefined) return <Text> </Text>;
  const height = columns === undefined ? undefined : messageHeight(message, columns);
  return (
    <Box height={height} overflow="hidden" flexShrink={0}>
      <Text color={message.kind === "info" ? "green" : "red"} wrap="wrap">
        {textOf(message)}
      </Text>
    </Box>
  );
}
