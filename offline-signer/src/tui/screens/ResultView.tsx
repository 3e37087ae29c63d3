import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";

/** What an export or import did, shown until a key is pressed. */
export function ResultView({ title, lines, warn }: { readonly title: string; readonly lines: readonly string[]; readonly warn?: string | undefined }): ReactElement {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>{title}</Text>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate-middle">
          {l}
        </Text>
      ))}
      {warn === undefined ? null : <Text color="red">{warn}</Text>}
      <Text dimColor>press any key</Text>
    </Box>
  );
}
