/**
 * `airlock-courier`, the courier CLI (oclif, explicit command table in commands/index.ts).
 * Failures are reported by the commands themselves (commands/base.ts); what oclif throws
 * before a command runs (unknown command) is reported here in the same form.
 */
import { flush, run, settings } from "@oclif/core";
import { reportCliError } from "@airlock/shared";

// The compiled commands are the program: never let oclif swap in TypeScript sources
// (it would under NODE_ENV=test or development).
settings.enableAutoTranspile = false;

const argv = process.argv.slice(2);
try {
  await run(argv, import.meta.url);
  await flush();
} catch (e) {
  reportCliError("airlock-courier", e, argv.includes("--json"));
}
