import { Box } from "ink";
import { Text } from "./Text.js";
import { useEffect, useState, type ReactElement } from "react";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A spinner with what is being done and, when the work reports it, how far it got. */
export function Working({ label, progress }: { readonly label: string; readonly progress?: string | undefined }): ReactElement {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setFrame((f) => (f + 1) % FRAMES.length), 120);
    return () => clearInterval(timer);
  }, []);
  return (
    <Box flexDirection="column">
      <Text color="yellow">
        {FRAMES[frame]} {label}… (working)
      </Text>
      {progress === undefined ? null : <Text dimColor>{progress}</Text>}
    </Box>
  );
}
