import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";

/** Deleting asks first: a tombstone travels to every device with the next export. */
export function ConfirmDelete({ title }: { readonly title: string }): ReactElement {
  return (
    <Box borderStyle="round" paddingX={1}>
      <Text color="red">
        Delete “{title}”? A newer edit by someone else brings back what they wrote. y deletes · any other key keeps it
      </Text>
    </Box>
  );
}
