/**
 * A join request as QR codes in the terminal, for an admin to film (`airlock members add` reads
 * a video of the frames). The request is cut into the fountain frames of docs/qr-frames.md at
 * the "low" preset (QR version 10, made for laptop webcams), shown one after another in a loop;
 * a terminal too small for one code gets a notice to enlarge it instead of a broken code.
 */
import { Box } from "ink";
import { useEffect, useMemo, useState, type ReactElement } from "react";
import { PRESETS } from "@airlock/bundle-format";
import { qrTerminalColumns, qrTransfer, renderQrTerminal } from "@airlock/shared";
import type { TerminalSize } from "../terminal.js";
import { Text } from "./Text.js";

const PRESET = "low";
const MARGIN = 2;
/** Frames a second: slow enough for a webcam to catch each one. */
const FPS = 4;

/** Columns and rows one code needs (two module rows per text row), with a line under it. */
export function qrSize(): TerminalSize {
  const { version } = PRESETS[PRESET];
  const side = qrTerminalColumns(version, MARGIN);
  return { columns: side, rows: Math.ceil(side / 2) + 1 };
}

/** `room`: the terminal; `besides`: rows the rest of the screen takes. */
export function JoinQr({ request, room, besides = 0 }: { readonly request: Uint8Array; readonly room: TerminalSize; readonly besides?: number }): ReactElement {
  const transfer = useMemo(() => qrTransfer(request, { preset: PRESET }), [request]);
  const [frame, setFrame] = useState(0);
  const need = qrSize();
  const fits = room.columns >= need.columns && room.rows - besides >= need.rows;
  useEffect(() => {
    if (!fits) return undefined;
    const timer = setInterval(() => setFrame((f) => f + 1), 1000 / FPS);
    return () => clearInterval(timer);
  }, [fits]);
  if (!fits) {
    return <Text color="yellow">{`Enlarge the terminal to at least ${need.columns}x${need.rows + besides} (it is ${room.columns}x${room.rows}) to show the request as QR codes here; or carry the file.`}</Text>;
  }
  const symbol = { version: PRESETS[PRESET].version, level: PRESETS[PRESET].level, margin: MARGIN } as const;
  return (
    <Box flexDirection="column">
      <Text block>{renderQrTerminal(transfer.payload(frame), symbol).replace(/\n$/, "")}</Text>
      <Text dimColor>{`frame ${(frame % 999) + 1} · an admin films these (any ${transfer.blocks} of them) and runs: airlock members add VIDEO`}</Text>
    </Box>
  );
}
