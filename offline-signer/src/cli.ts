/**
 * `airlock`, the vault CLI (oclif, explicit command table in commands/index.ts). With no
 * command it runs the bundle-format self-check (the ink TUI will take that place).
 */
import { Errors, flush, run, settings } from "@oclif/core";
import { reportFailure } from "@airlock/shared";
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

const argv = process.argv.slice(2);
if (argv.every((a) => a === "--json")) selfCheck(argv.includes("--json"));
else {
  try {
    await run(argv, import.meta.url);
    await flush();
  } catch (e) {
    const exit = (e as { oclif?: { exit?: number } }).oclif?.exit;
    if (e instanceof Errors.ExitError && exit === 0) process.exitCode = 0;
    else {
      const message = e instanceof Error ? e.message.replace(/\n[\s\S]*$/, "") : String(e);
      reportFailure("airlock", Object.assign(new Error(message), { code: (e as { code?: unknown }).code ?? "USAGE" }), argv.includes("--json"));
    }
  }
}
