/**
 * Which QR symbols fit a terminal. The player draws with half blocks (render-terminal.ts): one
 * column per module and two modules per row, so modules are square on a terminal's 1:2 cells and
 * a symbol of side S (modules, quiet zone included) takes S columns and ceil(S/2) rows, plus the
 * player's status line and one row left free (the cursor ends there, and a progress line on
 * stderr is drawn there, without scrolling the code).
 *
 * The steps run from version 5 (41×23 with its status: an 80×24 terminal) up through the
 * presets (version 20, 97×51, is the densest a 200×60 terminal holds); the player starts at the preset asked for when it fits, else at the densest step that
 * does, and its ] / [ keys move along the steps that fit.
 */
import { PRESETS, type QrSettings } from "@airlock/bundle-format";
import { AirlockError } from "../errors.js";
import { qrTerminalColumns } from "../qr/render-terminal.js";

/** Quiet zone the player draws, in modules (the light border a scanner needs around the code). */
export const TERMINAL_MARGIN = 2;
/** Rows besides the code: the status line and the free row under it. */
export const TERMINAL_CHROME_ROWS = 2;

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

// Besides the presets: version 5 is what 24 rows hold, 7 what 28 do, 20 what 60 do (high, 25, needs 63).
const EXTRA: readonly QrSettings[] = [
  { version: 5, level: "M" },
  { version: 7, level: "M" },
  { version: 20, level: "M" },
];

/** Every step, sparsest first: the extra ones and the presets, one per version. */
export const TERMINAL_STEPS: readonly QrSettings[] = [...EXTRA, ...Object.values(PRESETS)]
  .filter((s, i, all) => all.findIndex((o) => o.version === s.version) === i)
  .sort((a, b) => a.version - b.version);

/** Columns and rows the player needs for a symbol. */
export function terminalFootprint(settings: QrSettings): TerminalSize {
  const side = qrTerminalColumns(settings.version, TERMINAL_MARGIN);
  return { columns: side, rows: Math.ceil(side / 2) + TERMINAL_CHROME_ROWS };
}

/** True when the symbol fits (an unknown size, a pipe or a log, fits anything). */
export function fitsTerminal(settings: QrSettings, size: TerminalSize | undefined): boolean {
  if (size === undefined) return true;
  const need = terminalFootprint(settings);
  return need.columns <= size.columns && need.rows <= size.rows;
}

/**
 * The symbol to play: `wanted` when it fits, else the densest step below it that does. A terminal
 * too small for the smallest step is QR_TERMINAL_TOO_SMALL, naming the size it needs.
 */
export function fitTerminal(wanted: QrSettings, size: TerminalSize | undefined): QrSettings {
  if (fitsTerminal(wanted, size)) return wanted;
  const fitting = TERMINAL_STEPS.filter((s) => s.version < wanted.version && fitsTerminal(s, size));
  const best = fitting[fitting.length - 1];
  if (best !== undefined) return best;
  throw terminalTooSmall(size as TerminalSize);
}

export function terminalTooSmall(size: TerminalSize): AirlockError {
  const need = terminalFootprint(TERMINAL_STEPS[0] as QrSettings);
  return new AirlockError("QR_TERMINAL_TOO_SMALL", `this terminal is ${size.columns}×${size.rows}; the smallest QR animation needs ${need.columns}×${need.rows} (columns×rows)`, {
    hint: "Make the window larger or the font smaller (often Ctrl and -), then run it again; or write the frames as images or a web page instead.",
  });
}

/** The next denser (+1) or sparser (-1) step from `current` that fits, or undefined at the end. */
export function stepFrom(current: QrSettings, direction: 1 | -1, size: TerminalSize | undefined): QrSettings | undefined {
  const steps = direction === 1 ? TERMINAL_STEPS.filter((s) => s.version > current.version) : [...TERMINAL_STEPS.filter((s) => s.version < current.version)].reverse();
  const next = steps[0];
  return next !== undefined && fitsTerminal(next, size) ? next : undefined;
}
