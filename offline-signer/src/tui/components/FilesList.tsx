/**
 * The files a record carries, under its detail (docs/attachments.md): each name with its size
 * and whether this laptop holds it yet. Names are someone else's text: escaped by Text.
 */
import { Box } from "ink";
import type { ReactElement } from "react";
import { formatBytes } from "@airlock/shared";
import { filesOf } from "../../apps/attachments/field.js";
import type { RecordView } from "../../apps/app.js";
import type { Vault } from "../../vault/vault.js";
import { Text } from "./Text.js";

export function FilesList({ vault, record }: { readonly vault: Vault; readonly record: RecordView | undefined }): ReactElement | null {
  const files = record === undefined ? [] : filesOf(record);
  if (files.length === 0) return null;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>{`Files (${files.length})`}</Text>
      {files.map((f) => (
        <Text key={Buffer.from(f.hash).toString("hex")} wrap="truncate-end">
          {`${f.name}  ${formatBytes(f.size)}${vault.storage.blobs.get(f.hash) === undefined ? "  (not here yet)" : ""}`}
        </Text>
      ))}
      <Text dimColor>airlock attach get ID NAME writes one out</Text>
    </Box>
  );
}
