/** `?`: every key of the screen it was opened on, from the tables its handlers act on (keys.ts). */
import { Box } from "ink";
import type { ReactElement } from "react";
import { HELP_KEYS, keyLine, labelOf, type KeyTable } from "../keys.js";
import { ScrollView } from "./ScrollView.js";
import { Text } from "./Text.js";

export interface HelpSection {
  readonly title: string;
  readonly keys: KeyTable;
}

export function HelpOverlay({ title, sections, height }: { readonly title: string; readonly sections: readonly HelpSection[]; readonly height: number }): ReactElement {
  const width = Math.max(...sections.flatMap((s) => s.keys.map((b) => labelOf(b).length)), 4);
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} height={height}>
      <Text bold>{`Keys: ${title}`}</Text>
      {/* Reads ↑/↓ itself: a long list of keys on a small terminal scrolls. */}
      <ScrollView height={Math.max(1, height - 4)} active>
        {sections.map((s) => (
          <Box key={s.title} flexDirection="column">
            <Text bold color="cyan">
              {s.title}
            </Text>
            {s.keys.map((b) => (
              <Text key={`${s.title} ${b.action}`} wrap="truncate-end">
                {"  "}
                <Text bold>{labelOf(b).padEnd(width)}</Text>
                {"  "}
                {b.does}
              </Text>
            ))}
          </Box>
        ))}
      </ScrollView>
      <Text dimColor>{keyLine(HELP_KEYS)}</Text>
    </Box>
  );
}
