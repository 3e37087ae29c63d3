/**
 * Usage errors in the CLI contract's form (docs/cli.md): code USAGE, exit 2, one `error:` line
 * saying what on the command line cannot be right and one `hint:` line with the likely fix,
 * a "did you mean" where a known word or flag is near what was typed.
 */
import { AirlockError } from "../errors.js";
import { childrenOf, tableEntries, type CommandTable, type TableEntry, type TableFlag } from "./command-table.js";
import { orList, suggest } from "./suggest.js";

/** Command-line words before the first flag (`notes ad --title x` -> `["notes", "ad"]`). */
export function commandWords(argv: readonly string[]): string[] {
  const end = argv.findIndex((a) => a.startsWith("-"));
  return [...(end === -1 ? argv : argv.slice(0, end))];
}

export type Resolved = { readonly kind: "command" | "topic"; readonly id: string; readonly rest: readonly string[] } | { readonly kind: "unknown"; readonly error: AirlockError };

/**
 * What `words` name: a command (and the words after it, its arguments), a topic, or nothing —
 * then the USAGE error to report, with the nearest commands as its hint.
 */
export function resolveWords(table: CommandTable, words: readonly string[]): Resolved {
  const entries = tableEntries(table);
  const path: string[] = [];
  for (const [i, word] of words.entries()) {
    if (entries.get([...path, word].join(":")) === undefined) {
      // A command's own words follow it: arguments, not a mistyped subcommand.
      if (entries.get(path.join(":"))?.command !== undefined) return { kind: "command", id: path.join(":"), rest: words.slice(i) };
      return { kind: "unknown", error: unknownCommand(table, entries, path, word, words.slice(i + 1)) };
    }
    path.push(word);
  }
  return { kind: entries.get(path.join(":"))?.command !== undefined ? "command" : "topic", id: path.join(":"), rest: [] };
}

/** The USAGE error for a command line whose words name no command (what oclif calls "command … not found"). */
export function unknownCommandError(table: CommandTable, argv: readonly string[]): AirlockError {
  const words = commandWords(argv);
  if (words.length === 0 && argv.length > 0) {
    return new AirlockError("USAGE", `no command "${argv[0]!.slice(0, 100)}"`, { hint: `the command comes first, then its flags: ${table.bin} COMMAND [FLAGS] (see ${table.bin} help)` });
  }
  const r = resolveWords(table, words);
  if (r.kind === "unknown") return r.error;
  return new AirlockError("USAGE", `no command "${words.join(" ")}"`, { hint: `see ${table.bin} help` });
}

function unknownCommand(table: CommandTable, entries: ReadonlyMap<string, TableEntry>, path: readonly string[], word: string, after: readonly string[]): AirlockError {
  const typed = [...path, word].join(" ");
  const guesses = suggest(word, childrenOf(entries, path).map((e) => e.words[path.length]!)).map((g) => completeGuess(entries, [...path, g], after));
  const where = path.length === 0 ? `${table.bin} help` : `${table.bin} help ${path.join(" ")}`;
  let hint: string;
  if (guesses.length > 0) hint = `did you mean ${orList(guesses.map((g) => `${table.bin} ${g.join(" ")}`))}?`;
  else if (path.length > 0) hint = `the ${path.join(" ")} commands are ${childrenOf(entries, path).map((e) => e.words[path.length]!).join(", ")} (${where})`;
  else hint = `see ${where} for the commands`;
  return new AirlockError("USAGE", `no command "${typed.slice(0, 200)}"`, { hint });
}

/** A guessed topic followed by a mistyped word (`ntoes ad`): the guess goes on while the next word is near a child. */
function completeGuess(entries: ReadonlyMap<string, TableEntry>, guess: readonly string[], after: readonly string[]): string[] {
  const out = [...guess];
  for (const word of after) {
    const kids = childrenOf(entries, out);
    if (kids.length === 0) break;
    const next = suggest(word, kids.map((k) => k.words[out.length]!), 1)[0];
    if (next === undefined) break;
    out.push(next);
  }
  return out;
}

export interface ParsedCommand {
  readonly id: string;
  readonly flags: Readonly<Record<string, TableFlag>>;
  /** The command line as typed after the command's words, to tell whether a flag was given. */
  readonly argv?: readonly string[];
}

/**
 * What oclif's parser threw (an unknown flag, a missing flag or argument, a value not among the
 * options, a value that does not parse) as the contract's USAGE error: one line naming what was
 * wrong, and either the nearest flag or where to read how the command goes. An AirlockError a
 * flag's own parser threw keeps its hint.
 */
export function usageFromParseError(program: string, command: ParsedCommand, error: unknown): AirlockError {
  const spoken = `${program} ${command.id.replace(/:/g, " ")}`.trim();
  const help = `see ${spoken} --help`;
  const e = error as { message?: unknown; flags?: unknown; args?: unknown };
  const text = stripAnsi(typeof e.message === "string" ? e.message : String(error));
  const unknownFlags = Array.isArray(e.flags) ? e.flags.filter((f): f is string => typeof f === "string") : [];
  if (unknownFlags.length > 0 && /^Nonexistent flag/.test(text)) {
    const first = unknownFlags[0]!.replace(/=.*$/s, "").slice(0, 100);
    const names = Object.values(command.flags).filter((f) => f.hidden !== true).map((f) => f.name);
    const near = first.startsWith("--") ? suggest(first.slice(2), names) : [];
    const what = unknownFlags.length === 1 ? `unknown flag ${first}` : `unknown flags ${unknownFlags.map((f) => f.replace(/=.*$/s, "").slice(0, 100)).join(", ")}`;
    return new AirlockError("USAGE", `${what} for "${spoken}"`, { hint: near.length > 0 ? `did you mean ${orList(near.map((n) => `--${n}`))}? (${help})` : help });
  }
  const missingArgs = /^Missing \d+ required args?/.test(text) && Array.isArray(e.args) ? (e.args as { name?: unknown; description?: unknown }[]) : [];
  if (missingArgs.length > 0) {
    const names = missingArgs.map((a) => (typeof a.name === "string" ? a.name.toUpperCase() : "ARGUMENT"));
    // oclif notes every flag that takes several values; only one that was given can have taken the argument.
    const taking = Object.values(command.flags).filter((f) => text.includes(`--${f.name} allows multiple values`) && (command.argv ?? []).some((a) => a === `--${f.name}` || a.startsWith(`--${f.name}=`)));
    const multiple = taking.length > 0 ? `; --${taking[0]!.name} takes every word after it, so put ${names.join(" ")} before it` : "";
    return new AirlockError("USAGE", `"${spoken}" needs ${names.join(" ")}`, { hint: `${help}${multiple}` });
  }
  const message = collapse(text);
  const hint = error instanceof AirlockError && error.hint !== undefined ? error.hint : help;
  return new AirlockError("USAGE", message === "" ? `the command line of "${spoken}" is not complete` : message, { hint, cause: error });
}

/** oclif's multi-line parse messages as one line: its own "see --help" and headings left out. */
function collapse(text: string): string {
  return text
    .replace(/^Parsing (--[\w-]+)\s*\n\t/, "$1: ")
    .replace(/Missing required flag ([\w-]+)/g, "missing required flag --$1")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^See more help with --help$/.test(l) && !/^The following errors? occurred:$/.test(l))
    .reduce((acc, l) => (acc === "" ? l : acc.endsWith(":") ? `${acc} ${l}` : `${acc}; ${l}`), "")
    .replace(/\s{2,}/g, " — ")
    .slice(0, 500);
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
