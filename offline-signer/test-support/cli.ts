/** The vault CLI as a child process: the real bin, a throwaway passphrase, the test-only KDF. */
import { spawn, spawnSync } from "node:child_process";
import { watch } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const AIRLOCK_BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "airlock.js");
export const CLI_PASSPHRASE = "test passphrase for the cli";

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, AIRLOCK_PASSPHRASE: CLI_PASSPHRASE, AIRLOCK_INSECURE_TEST_KDF: "1", ...extra };
}

export function airlock(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [AIRLOCK_BIN, ...args], { encoding: "utf8", env: cliEnv(env), timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The hostile member's program (forge-note.ts, compiled): a forged note edit as a real bundle in `usb`'s drop folder. */
export const FORGE_NOTE_BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "test-support", "forge-note.js");

export function forgeNote(home: string, usb: string, title: string, options: { record?: string; collection?: string; env?: NodeJS.ProcessEnv } = {}): { bundle: string; record: string } {
  const args = ["--home", home, "--usb", usb, "--title", title, ...(options.record === undefined ? [] : ["--record", options.record]), ...(options.collection === undefined ? [] : ["--collection", options.collection])];
  const r = spawnSync(process.execPath, [FORGE_NOTE_BIN, ...args], { encoding: "utf8", env: cliEnv(options.env), timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`forge-note failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { bundle: string; record: string };
}

/** Several commands in one process (cli-batch.ts, compiled): for tests that are not about the process. */
export const CLI_BATCH_BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "test-support", "cli-batch.js");

/** Runs `commands` one after another in one `cli-batch` process; a result per command, as airlock() gives. */
export function airlockBatch(commands: readonly (readonly string[])[], env: NodeJS.ProcessEnv = {}): CliResult[] {
  const r = spawnSync(process.execPath, [CLI_BATCH_BIN], { input: JSON.stringify(commands), encoding: "utf8", env: cliEnv(env), timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`cli-batch failed (${r.status}): ${r.stderr}`);
  const results = JSON.parse(r.stdout) as CliResult[];
  if (results.length !== commands.length) throw new Error(`cli-batch ran ${results.length} of ${commands.length} commands`);
  return results;
}

/** airlockJson() for several commands in one process: each gets --json, each must succeed. */
export function airlockJsonBatch(commands: readonly (readonly string[])[], env: NodeJS.ProcessEnv = {}): Record<string, unknown>[] {
  return airlockBatch(commands.map((c) => [...c, "--json"]), env).map((r, i) => {
    if (r.status !== 0) throw new Error(`airlock ${commands[i]!.join(" ")} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  });
}

/** Runs a command and parses its --json output, failing loudly with its stderr if it failed. */
export function airlockJson(args: readonly string[], env: NodeJS.ProcessEnv = {}): Record<string, unknown> {
  const r = airlock([...args, "--json"], env);
  if (r.status !== 0) throw new Error(`airlock ${args.join(" ")} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Starts a command and SIGKILLs it after `afterMs`; resolves with how it ended. */
export function airlockKilled(args: readonly string[], afterMs: number): Promise<{ killed: boolean; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [AIRLOCK_BIN, ...args], { env: cliEnv(), stdio: ["ignore", "ignore", "ignore"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), afterMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === "SIGKILL", status: code });
    });
  });
}

/**
 * Starts a command and SIGKILLs it on what it has done rather than on the clock (whose start-up
 * time varies far more than its work): once its stderr has shown `marker`, the `kill`-th change to
 * `file` in `dir` (say, a write to the vault's WAL) kills it; `kill` Infinity lets it finish.
 * `changes`: how many changes to `file` were seen after the marker.
 */
export function airlockKilledAfterChanges(
  args: readonly string[],
  on: { marker: string; dir: string; file: string; kill: number },
): Promise<{ killed: boolean; status: number | null; marked: boolean; changes: number }> {
  return new Promise((resolve) => {
    let marked = false;
    let changes = 0;
    const child = spawn(process.execPath, [AIRLOCK_BIN, ...args], { env: cliEnv(), stdio: ["ignore", "ignore", "pipe"] });
    const watcher = watch(on.dir, (_event, name) => {
      if (!marked || name !== on.file) return;
      if (++changes === on.kill) child.kill("SIGKILL");
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      if (marked) return;
      stderr += d;
      marked = stderr.includes(on.marker);
    });
    child.on("exit", (code, signal) => {
      watcher.close();
      resolve({ killed: signal === "SIGKILL", status: code, marked, changes });
    });
  });
}

/** A command that must fail: the --json error object, and exit status 2 for code USAGE, else 1 (docs/cli.md). */
export function cliFailure(r: CliResult): { code: string; message: string; hint?: string } {
  const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string; hint?: string } };
  expect(out.ok).toBe(false);
  expect(r.status, r.stdout + r.stderr).toBe(out.error.code === "USAGE" ? 2 : 1);
  return out.error;
}
