import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";

/** First step of an export: where the bundles go. */
export function ExportChoice(): ReactElement {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Export outgoing sync bundles</Text>
      <Text>  u  to a USB stick or folder (bundle files in FOLDER/airlock/outbox)</Text>
      <Text>  q  as QR frame images in a folder (one subfolder per bundle, with an animation page)</Text>
      <Text dimColor>esc cancels</Text>
    </Box>
  );
}
