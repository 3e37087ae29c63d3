import { Text } from "./Text.js";
import type { ReactElement } from "react";
import type { Message } from "../messages.js";

export function MessageLine({ message }: { readonly message: Message | undefined }): ReactElement {
  if (message === undefined) return <Text> </Text>;
  if (message.kind === "info") return <Text color="green" wrap="truncate-end">{message.text}</Text>;
  return (
    <Text color="red" wrap="truncate-end">
      error: {message.text}
      {message.hint === undefined ? "" : ` — hint: ${message.hint}`}
    </Text>
  );
}
