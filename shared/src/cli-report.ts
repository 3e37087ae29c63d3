/**
 * How both CLIs report failure, in age's style: `PROGRAM: error: WHAT` then, where we know the
 * likely fix, `PROGRAM: hint: WHAT TO DO`, and a failing exit code. With --json the same facts go
 * to stdout as one JSON object, so scripts never parse prose. Messages often quote what a file or
 * a member supplied, so every line is escaped (text/escape.ts) on its way to the terminal.
 * Exit codes: 2 for code USAGE, 1 for any other failure (exit-codes.ts).
 */
import { BundleError } from "@airlock/bundle-format";
import { AirlockError } from "./errors.js";
import { escapeLine, safeJson } from "./text/escape.js";
import { exitCodeForError } from "./exit-codes.js";
import { progressPrinter, type ProgressLine, type ProgressStep } from "./progress/stderr-progress.js";

export interface ErrorReport {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** Turns anything thrown into a report a person can act on (never a stack trace). */
export function describeError(e: unknown): ErrorReport {
  if (e instanceof BundleError) return { code: e.code, message: e.message, hint: e.hint };
  if (e instanceof AirlockError) return { code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) };
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { code: typeof code === "string" ? code : "INTERNAL", message: e.message };
  }
  return { code: "INTERNAL", message: String(e) };
}

export function formatErrorLines(program: string, report: ErrorReport): string[] {
  const lines = [`${program}: error: ${escapeLine(report.message)}`];
  if (report.hint !== undefined) lines.push(`${program}: hint: ${escapeLine(report.hint)}`);
  return lines;
}

/** Prints the report (text on stderr, or JSON on stdout) and sets a failing exit code (2 for USAGE, else 1). */
export function reportFailure(program: string, e: unknown, json: boolean): void {
  const report = describeError(e);
  if (json) process.stdout.write(`${safeJson({ ok: false, error: report })}\n`);
  else process.stderr.write(`${formatErrorLines(program, report).join("\n")}\n`);
  process.exitCode = exitCodeForError(report.code);
}

/**
 * Progress for people on stderr (stdout stays for data, even with --json): on a terminal one live
 * line, redrawn in place and cleared by `end()`; elsewhere (logs, pipes, tests) a few summary
 * lines: a task's start, every quarter and its end (progress/stderr-progress.ts).
 */
export function stderrProgress(): ProgressLine & { readonly step: (s: ProgressStep) => void; readonly end: () => void } {
  return progressPrinter({ sink: process.stderr });
}

/** Whether oclif threw this because the command-line words name no command (main.run or Help.showHelp). */
export function isCommandNotFound(e: unknown): boolean {
  return e instanceof Error && /^command .* not found\.?$/is.test(e.message) && (e as { code?: unknown }).code === undefined;
}

/**
 * What both oclif CLIs do with an error thrown before or around a command (an unknown command,
 * a bad flag): oclif's own clean exits (`--help`, `--version`) stay exit 0; anything else is
 * reported in the CLI contract's form, first line only: code USAGE for oclif's own errors (about
 * the command line) unless they carry a code, INTERNAL (exit 1) for anything else, such as a
 * program that fails to load.
 */
export function reportCliError(program: string, e: unknown, json: boolean): void {
  if ((e as { oclif?: { exit?: number } } | null)?.oclif?.exit === 0) {
    process.exitCode = 0;
    return;
  }
  if (e instanceof AirlockError) {
    reportFailure(program, e, json);
    return;
  }
  const message = e instanceof Error ? e.message.replace(/\n[\s\S]*$/, "") : String(e);
  const own = (e as { code?: unknown } | null)?.code;
  const fromOclif = typeof e === "object" && e !== null && "oclif" in e;
  reportFailure(program, Object.assign(new Error(message), { code: typeof own === "string" ? own : fromOclif ? "USAGE" : "INTERNAL" }), json);
}
