#!/usr/bin/env node
// `npm run soak -- [options]`: runs test/soak/soak.run.ts under vitest with these options (vitest
// itself takes no unknown flags, so they travel in AIRLOCK_SOAK_ARGS). Exits with vitest's status.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const child = spawn(process.execPath, [join(repo, "node_modules", "vitest", "vitest.mjs"), "run", "--config", join(repo, "test", "soak", "vitest.config.ts")], {
  cwd: repo,
  env: { ...process.env, AIRLOCK_SOAK_ARGS: JSON.stringify(process.argv.slice(2)) },
  stdio: "inherit",
});
child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
