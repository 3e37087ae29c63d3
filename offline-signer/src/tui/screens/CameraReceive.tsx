/**
 * The receive screen while a camera is read (`camera [DEVICE]` typed as the import path): what
 * the camera delivers (frames, then the transfer's frames, percent, rate and ETA) and esc to
 * stop. Stopping ends ffmpeg; what arrived whole is then applied, each bundle in its own
 * transaction, exactly as `airlock import --camera` does after Ctrl-C.
 */
import { existsSync } from "node:fs";
import { Box, useInput } from "ink";
import type { ReactElement } from "react";
import { DEFAULT_CAMERA } from "@airlock/shared";
import { Text } from "../components/Text.js";
import { Working } from "../components/Working.js";

/**
 * The camera an import path names: "camera" or "camera /dev/video2"; undefined for any other
 * path, and for "camera" when a file or folder of that name is there to import from.
 */
export function cameraOf(path: string, exists: (p: string) => boolean = existsSync): string | undefined {
  const m = /^camera(?:\s+(\S+))?$/.exec(path.trim());
  if (m === null || (m[1] === undefined && exists(path.trim()))) return undefined;
  return m[1] ?? DEFAULT_CAMERA;
}

export function CameraReceive({ device, progress, onStop }: { readonly device: string; readonly progress: string | undefined; readonly onStop: () => void }): ReactElement {
  useInput((input, key) => {
    if (key.escape || input === "q") onStop();
  });
  return (
    <Box flexDirection="column">
      <Working label={`Reading the camera ${device}: hold it at the QR animation`} progress={progress} />
      <Text dimColor>esc stops the camera and imports what arrived whole</Text>
    </Box>
  );
}
