/** Runs a built CLI as a real child process and captures what a user or script would see. */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const BINS = {
  airlock: join(root, "offline-signer", "bin", "airlock.js"),
  "airlock-courier": join(root, "online-courier", "bin", "airlock-courier.js"),
} as const;

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(bin: keyof typeof BINS, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BINS[bin], ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
