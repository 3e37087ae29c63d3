/**
 * `airlock-courier`, the courier CLI (oclif, explicit command table in commands/index.ts).
 * Failures are reported by the commands themselves (commands/base.ts); what oclif throws
 * before a command runs (unknown command: code USAGE, exit 2, with the nearest commands) is
 * reported here in the same form.
 */
import { Config, flush, run, settings } from "@oclif/core";
import { hoistLeadingFlags, isCommandNotFound, reportCliError, unknownCommandError } from "@airlock/shared";

// The compiled commands are the program: never let oclif swap in TypeScript sources
// (it would under NODE_ENV=test or development).
settings.enableAutoTranspile = false;

// `airlock-courier --home X status` means `airlock-courier status --home X` (docs/cli.md).
const argv = hoistLeadingFlags(process.argv.slice(2), { valued: ["home"], booleans: ["json"] });
try {
  await run(argv, import.meta.url);
  await flush();
} catch (e) {
  // Words that name no command: a USAGE error with the nearest commands (docs/cli.md).
  const error = isCommandNotFound(e) ? unknownCommandError(await Config.load(import.meta.url), argv) : e;
  reportCliError("airlock-courier", error, argv.includes("--json"));
}
