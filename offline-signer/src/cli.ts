/**
 * `airlock`, the vault CLI. The vault commands (init, join, members, notes, export, import,
 * courier-enroll, status) and the TUI arrive with the vault issue; until then, running it
 * says so and runs the bundle-format self-check on this machine.
 */
import { reportFailure } from "@airlock/shared";
import { runSelfCheck } from "./self-check.js";

const HELP = `airlock - the Airlock vault (offline side)

Usage:
  airlock [--json]      run the bundle-format self-check (the vault and its TUI come next)
  airlock --help        show this help

This release contains the sealed bundle format v1 (docs/bundle-format.md).
The vault commands (init, join, members, notes, export, import, courier-enroll,
status) are not built yet; see the project README for what is.
`;

function main(argv: string[]): void {
  const json = argv.includes("--json");
  const rest = argv.filter((a) => a !== "--json");
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(HELP);
    return;
  }
  if (rest.length > 0) {
    throw Object.assign(new Error(`unknown command "${rest[0]}": the vault commands are not built yet (see airlock --help)`), {
      code: "USAGE",
    });
  }
  const steps = runSelfCheck();
  const ok = steps.every((s) => s.ok);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok, steps })}\n`);
  } else {
    process.stdout.write("Airlock vault: the vault itself is not built yet; checking the bundle format on this machine.\n\n");
    for (const s of steps) process.stdout.write(`  ${s.ok ? "ok  " : "FAIL"} ${s.step}: ${s.detail}\n`);
    process.stdout.write(`\n${ok ? "All checks passed." : "Some checks FAILED."} Specs: docs/bundle-format.md\n`);
  }
  if (!ok) process.exitCode = 1;
}

try {
  main(process.argv.slice(2));
} catch (e) {
  reportFailure("airlock", e, process.argv.includes("--json"));
}
