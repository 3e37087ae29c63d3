/** One labelled line of a detail pane; both label and value may be hostile and are escaped. */
import { Text } from "./Text.js";
import type { ReactElement } from "react";

/** What a secret shows until it is revealed: the same for every value, so no length leaks. */
export const MASK = "••••••••";

export function Field({ label, value, width = 12 }: { readonly label: string; readonly value: string; readonly width?: number }): ReactElement {
  return (
    <Text wrap="truncate-end">
      <Text dimColor>{label.padEnd(width)}</Text> {value}
    </Text>
  );
}
