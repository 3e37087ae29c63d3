/**
 * `airlock-courier`, the courier CLI (oclif, explicit command table in commands/index.ts).
 * Failures are reported by the commands themselves (commands/base.ts); what oclif throws
 * before a command runs (unknown command) is reported here in the same form.
 */
import { Errors, flush, run, settings } from "@oclif/core";
import { reportFailure } from "@airlock/shared";

// The compiled commands are the program: never let oclif swap in TypeScript sources
// (it would under NODE_ENV=test or development).
settings.enableAutoTranspile = false;

const argv = process.argv.slice(2);
try {
  await run(argv, import.meta.url);
  await flush();
} catch (e) {
  const exit = (e as { oclif?: { exit?: number } }).oclif?.exit;
  if (e instanceof Errors.ExitError && exit === 0) process.exitCode = 0;
  else {
    const message = e instanceof Error ? e.message.replace(/\n[\s\S]*$/, "") : String(e);
    reportFailure("airlock-courier", Object.assign(new Error(message), { code: (e as { code?: unknown }).code ?? "USAGE" }), argv.includes("--json"));
  }
}
