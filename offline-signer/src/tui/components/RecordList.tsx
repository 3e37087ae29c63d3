/** A list of records that keeps the selection in view without scrolling on every move. */
import { Box } from "ink";
import { Text } from "./Text.js";
import type { ReactElement } from "react";

export interface ListRow {
  readonly id: string;
  /** What the row is called (a title, a name), shown first. */
  readonly title: string;
  /** Shown dimmed after the title (a username, a URL, a phone): never a secret. */
  readonly details: readonly string[];
}

export interface RecordListProps {
  readonly heading: string;
  readonly empty: string;
  readonly items: readonly ListRow[];
  readonly selected: number;
  readonly rows: number;
  readonly width: number;
}

export function RecordList({ heading, empty, items, selected, rows, width }: RecordListProps): ReactElement {
  const first = Math.max(0, Math.min(selected - rows + 1, items.length - rows));
  return (
    <Box flexDirection="column" borderStyle="single" width={width} paddingX={1}>
      <Text bold>
        {heading} ({items.length})
      </Text>
      {items.length === 0 ? <Text dimColor>{empty}</Text> : null}
      {items.slice(first, first + rows).map((item, i) => (
        <Text key={item.id} wrap="truncate-end" {...(first + i === selected ? { inverse: true } : {})}>
          {first + i === selected ? "› " : "  "}
          {item.title === "" ? "(untitled)" : item.title}
          <Text dimColor>{item.details.filter((d) => d !== "").map((d) => `  ${d}`).join("")}</Text>
        </Text>
      ))}
    </Box>
  );
}
