/**
 * A list of records that keeps the selection in view. Virtualized: it asks its source for the
 * rows on screen only, so a collection of 100,000 records draws (and reads) one screenful.
 */
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

/** The rows of a list, by position: an array in memory or pages read from the vault. */
export interface RowSource {
  readonly count: number;
  /** Rows `first` to `first + n` (fewer at the end). */
  slice(first: number, n: number): readonly ListRow[];
  /** Where record `id` is, or -1. */
  indexOf(id: string): number;
}

/** A source over rows already in memory; the id index is built on the first lookup. */
export function arraySource(items: readonly ListRow[]): RowSource {
  let index: Map<string, number> | undefined;
  return {
    count: items.length,
    slice: (first, n) => items.slice(first, first + n),
    indexOf(id) {
      index ??= new Map(items.map((item, i) => [item.id, i]));
      return index.get(id) ?? -1;
    },
  };
}

export interface RecordListProps {
  readonly heading: string;
  readonly empty: string;
  readonly source: RowSource;
  readonly selected: number;
  /** Rows of records on screen. */
  readonly rows: number;
  readonly width: number;
}

/** The first row on screen for a selection: the list scrolls only when the selection would leave it. */
export const firstShown = (selected: number, rows: number, count: number): number => Math.max(0, Math.min(selected - rows + 1, count - rows));

export function RecordList({ heading, empty, source, selected, rows, width }: RecordListProps): ReactElement {
  const first = firstShown(selected, rows, source.count);
  const shown = source.slice(first, rows);
  return (
    <Box flexDirection="column" borderStyle="single" width={width} height={rows + 3} paddingX={1} flexShrink={0}>
      <Text bold wrap="truncate-end">
        {heading} ({source.count > rows ? `${selected + 1} of ${source.count}` : source.count})
      </Text>
      {source.count === 0 ? <Text dimColor>{empty}</Text> : null}
      {shown.map((item, i) => (
        <Text key={item.id} wrap="truncate-end" {...(first + i === selected ? { inverse: true } : {})}>
          {first + i === selected ? "› " : "  "}
          {item.title === "" ? "(untitled)" : item.title}
          <Text dimColor>{item.details.filter((d) => d !== "").map((d) => `  ${d}`).join("")}</Text>
        </Text>
      ))}
    </Box>
  );
}
