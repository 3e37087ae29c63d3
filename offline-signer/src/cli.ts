/**
 * `airlock`, the vault CLI (oclif, explicit command table in commands/index.ts). With no
 * command on a terminal it opens the ink TUI; with no command and no terminal (pipes, CI,
 * `npm start`) or with --json it runs the bundle-format self-check, so scripts keep a stable answer.
 */
import { Config, flush, run, settings } from "@oclif/core";
import { hoistLeadingFlags, isCommandNotFound, reportCliError, reportFailure, unknownCommandError } from "@airlock/shared";
import { runSelfCheck } from "./self-check.js";

// The compiled commands are the program: never let oclif swap in TypeScript sources.
settings.enableAutoTranspile = false;

function selfCheck(json: boolean): void {
  const steps = runSelfCheck();
  const ok = steps.every((s) => s.ok);
  if (json) process.stdout.write(`${JSON.stringify({ ok, steps })}\n`);
  else {
    process.stdout.write("Airlock vault: checking the bundle format on this machine.\n\n");
    for (const s of steps) process.stdout.write(`  ${s.ok ? "ok  " : "FAIL"} ${s.step}: ${s.detail}\n`);
    process.stdout.write(`\n${ok ? "All checks passed." : "Some checks FAILED."} Commands: airlock --help\n`);
  }
  if (!ok) process.exitCode = 1;
}

/** The flags plain `airlock` takes (--home, --passphrase-file, --lock-after, --json), or undefined if argv names a command. */
function noCommand(argv: readonly string[]): { home?: string; passphraseFile?: string; lockAfter?: string; json: boolean } | undefined {
  const out: { home?: string; passphraseFile?: string; lockAfter?: string; json: boolean } = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--json") {
      out.json = true;
      continue;
    }
    const m = /^--(home|passphrase-file|lock-after)(?:=(.*))?$/.exec(arg);
    if (m === null) return undefined;
    const value = m[2] ?? argv[++i];
    if (value === undefined) return undefined;
    if (m[1] === "home") out.home = value;
    else if (m[1] === "lock-after") out.lockAfter = value;
    else out.passphraseFile = value;
  }
  return out;
}

const given = process.argv.slice(2);
const plain = noCommand(given);
// `airlock --home X status` means `airlock status --home X` (docs/cli.md).
const argv = plain === undefined ? hoistLeadingFlags(given, { valued: ["home", "passphrase-file"], booleans: ["json"] }) : given;
if (plain !== undefined && (plain.json || process.stdin.isTTY !== true || process.stdout.isTTY !== true)) selfCheck(plain.json);
else if (plain !== undefined) {
  try {
    // Loaded only here, so the scriptable commands never pay for React and ink.
    const { runTui } = await import("./tui/run.js");
    await runTui(plain);
  } catch (e) {
    reportFailure("airlock", e, false);
  }
} else {
  try {
    await run(argv, import.meta.url);
    await flush();
  } catch (e) {
    // Words that name no command: a USAGE error with the nearest commands (docs/cli.md).
    const error = isCommandNotFound(e) ? unknownCommandError(await Config.load(import.meta.url), argv) : e;
    reportCliError("airlock", error, argv.includes("--json"));
  }
}
