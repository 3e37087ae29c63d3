/** The audit trail (`airlock log`), newest at the bottom, scrolled with ↑/↓. */
import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";
import { when } from "../../cli/format.js";
import type { LogEvent } from "../../vault/report.js";

export interface LogViewProps {
  readonly events: readonly LogEvent[];
  /** Index of the first event shown. */
  readonly offset: number;
  readonly rows: number;
}

export function LogView({ events, offset, rows }: LogViewProps): ReactElement {
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>
        Audit log ({events.length} events{events.length > rows ? `, ${offset + 1}–${Math.min(events.length, offset + rows)}` : ""})
      </Text>
      {events.length === 0 ? <Text dimColor>nothing yet</Text> : null}
      {events.slice(offset, offset + rows).map((e) => (
        <Text key={`${e.kind}${e.id}`} wrap="truncate-end">
          <Text dimColor>{when(e.time)}</Text> {e.author.padEnd(10)} {e.what}
          {e.status === "accepted" ? "" : <Text color="red">{`  ${e.status.toUpperCase()}${e.reason === undefined ? "" : `: ${e.reason}`}`}</Text>}
        </Text>
      ))}
      <Text dimColor>↑/↓ scroll · esc or l: back</Text>
    </Box>
  );
}

/** The offset that shows the newest events. */
export const bottomOf = (events: number, rows: number): number => Math.max(0, events - rows);
