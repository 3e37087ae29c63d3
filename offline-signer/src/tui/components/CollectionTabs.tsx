/** The collection switcher: every collection this device reads, each with the type it holds. */
import { Text } from "./Text.js";
import type { ReactElement } from "react";

export interface CollectionTab {
  readonly id: string;
  readonly name: string;
  /** The app's name as the team log records it (may be one this release does not know). */
  readonly app: string;
  /** What people call the type ("Passwords"); the raw app name when this release does not know it. */
  readonly label: string;
}

export function CollectionTabs({ collections, collection }: { readonly collections: readonly CollectionTab[]; readonly collection: string }): ReactElement {
  return (
    <Text wrap="truncate-end">
      {"Collections: "}
      {collections.map((c) => (
        <Text key={c.id} {...(c.id === collection ? { inverse: true, bold: true } : { dimColor: true })}>
          {` ${c.id} · ${c.label} `}
        </Text>
      ))}
      <Text dimColor>{collections.length > 1 ? "  (tab / ← → switch)" : ""}</Text>
    </Text>
  );
}
