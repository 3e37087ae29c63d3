/** The one line of keys at the bottom of every screen: cut to the width, never wrapped; `?` has the rest. */
import type { ReactElement } from "react";
import { keyLine, type KeyTable } from "../keys.js";
import { Text } from "./Text.js";

export function KeyBar({ keys }: { readonly keys: KeyTable }): ReactElement {
  return (
    <Text dimColor wrap="truncate-end">
      {keyLine(keys)}
    </Text>
  );
}
