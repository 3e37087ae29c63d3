/** The terminal's size, redrawn on every resize (ink itself re-lays out only what already rendered). */
import { useStdout } from "ink";
import { useEffect, useState } from "react";

/** Alternate screen on, cursor home, screen cleared, cursor hidden. */
export const ENTER_SCREEN = "\x1b[?1049h\x1b[H\x1b[2J\x1b[?25l";
/** Alternate screen and its scrollback cleared, cursor shown, back to the normal screen. */
export const LEAVE_SCREEN = "\x1b[?2004l\x1b[H\x1b[2J\x1b[3J\x1b[?25h\x1b[?1049l";

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/** 80x24 when the output is no terminal (tests), as ink assumes; never less than that. */
const read = (stdout: NodeJS.WriteStream): TerminalSize => ({ columns: Math.max(80, stdout.columns || 80), rows: Math.max(24, stdout.rows || 24) });

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => read(stdout));
  useEffect(() => {
    const resized = (): void => {
      const next = read(stdout);
      setSize((s) => (s.columns === next.columns && s.rows === next.rows ? s : next));
    };
    stdout.on("resize", resized);
    return () => {
      stdout.off("resize", resized);
    };
  }, [stdout]);
  return size;
}
