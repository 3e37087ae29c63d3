/**
 * The exit codes both CLIs use (docs/cli.md, "Exit codes"). Scripts branch on these, so they are a
 * contract: a new meaning gets a new number, never a reused one.
 */
export const EXIT = {
  /** Everything asked for was done (an import that found nothing new is still 0). */
  OK: 0,
  /** The command failed: nothing it would have stored was stored. */
  ERROR: 1,
  /** The command line cannot be right (unknown command, missing or bad flag): nothing was tried. */
  USAGE: 2,
  /** The command ran but refused some of its input: nothing was imported, or only part of it. */
  PARTIAL: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for a failure with this error code. */
export function exitCodeForError(code: string): ExitCode {
  return code === "USAGE" ? EXIT.USAGE : EXIT.ERROR;
}

/**
 * Marks a run whose input was refused in whole or in part (exit 3), without hiding a failure
 * that already set a code: a run that both refused input and failed exits with the failure's code.
 */
export function markPartial(): void {
  const current = process.exitCode;
  if (current === undefined || current === 0 || current === EXIT.OK) process.exitCode = EXIT.PARTIAL;
}
