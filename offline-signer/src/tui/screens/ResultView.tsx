import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";
import type { ImportReport } from "../../vault/import-report.js";

/**
 * An import's headline: what happened, in words. "Imported from …" only when something new was
 * stored; otherwise why not (nothing readable, all for other devices, all already here, refused).
 */
export function importTitle(source: string, read: number, report: ImportReport): string {
  const stored = report.changesetsNew + report.entriesAdded + report.files.received + (report.welcomed === undefined ? 0 : 1);
  if (stored > 0) return `Imported from ${source}: ${report.applied} change set(s) applied, ${report.entriesAdded} team change(s)`;
  if (read === 0) return report.issues.length > 0 ? `Nothing imported: nothing in ${source} could be read` : `Nothing to import: no bundles in ${source}`;
  if (report.bundles === 0) return `Nothing imported: the ${read} bundle(s) in ${source} are for other devices`;
  if (report.quarantined > 0 || report.issues.length > 0) return `Nothing imported from ${source}: what came for this device was refused`;
  return `Nothing new in ${source}: everything there was already here`;
}

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
