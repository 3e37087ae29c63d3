/**
 * A CLI run as a child process that is either left alone (to time it and to converge) or sent
 * SIGKILL at a chosen moment after spawn. Whether the kill landed mid-run is read from how the
 * child ended, not from our timer: a child that already exited (even one not yet reaped) reports
 * its exit code, never the signal.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface Command {
  readonly bin: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface Finished {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Output kept per stream: enough for a one-line error, bounded so a chatty child costs nothing. */
const MAX_OUTPUT = 64 * 1024;

/** Runs `command`; with `killAfterMs`, SIGKILLs it that long after spawn unless it exited first. */
export function runChild(command: Command, killAfterMs?: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [command.bin, ...command.args], { env: command.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // "close", not "exit": the pipes are drained, so stdout holds all the child wrote.
    child.once("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, ms: performance.now() - started, stdout, stderr });
    });
  });
}

/** Runs `command` to its end and fails with its output unless it exits 0. */
export async function runToEnd(command: Command, what: string): Promise<Finished> {
  const r = await runChild(command);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}): ${(r.stdout + r.stderr).trim().slice(0, 2000)}`);
  return r;
}
