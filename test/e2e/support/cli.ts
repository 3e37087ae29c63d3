/**
 * Both CLIs as child processes, the way a person or a script drives them: the real bins, real
 * homes in temp folders, `--json` for everything the tests read. Vaults use a throwaway
 * passphrase and the test-only KDF (AIRLOCK_INSECURE_TEST_KDF=1); real vaults use Argon2id.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const AIRLOCK = join(root, "offline-signer", "bin", "airlock.js");
export const COURIER = join(root, "online-courier", "bin", "airlock-courier.js");
export const PASSPHRASE = "e2e passphrase, test only";

export type Json = Record<string, unknown>;

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function vaultEnv(): NodeJS.ProcessEnv {
  return { ...process.env, AIRLOCK_PASSPHRASE: PASSPHRASE, AIRLOCK_INSECURE_TEST_KDF: "1" };
}

function run(bin: string, args: readonly string[], env: NodeJS.ProcessEnv): Run {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env, timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON a command printed, if it exited with `status` (3: it refused some of its input, docs/cli.md). */
function parsed(what: string, r: Run, status = 0): Json {
  if (r.status !== status) throw new Error(`${what} ${status === 0 ? "failed" : `did not exit ${status}`} (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

/** `airlock ARGS --home HOME`, without --json (exit status and text). */
export function airlockRaw(home: string, args: readonly string[]): Run {
  return run(AIRLOCK, [...args, "--home", home], vaultEnv());
}

/** `airlock ARGS --home HOME --json`, parsed; throws with the output if it fails. */
export function airlock(home: string, args: readonly string[], status = 0): Json {
  return parsed(`airlock ${args.join(" ")} (${home})`, run(AIRLOCK, [...args, "--home", home, "--json"], vaultEnv()), status);
}

/** The batch runner: several `airlock` commands in one process (offline-signer/test-support/cli-batch.ts). */
export const AIRLOCK_BATCH = join(root, "offline-signer", "dist", "test-support", "cli-batch.js");

/** One `airlock` command of a batch: ARGS --home HOME, with --json unless `json` is false. */
export interface Step {
  readonly home: string;
  readonly args: readonly string[];
  readonly json?: boolean;
  /** The exit status expected (default 0). */
  readonly status?: number;
}

/**
 * `steps` one after another in one process: for the parts of the story that are not about the
 * process (starting one costs about a second, the command a few milliseconds). Each command
 * still opens and closes its vault itself; results as airlockRaw() gives them, in order.
 */
export function airlockSteps(steps: readonly Step[]): Run[] {
  const commands = steps.map((s) => [...s.args, "--home", s.home, ...(s.json === false ? [] : ["--json"])]);
  const r = spawnSync(process.execPath, [AIRLOCK_BATCH], { input: JSON.stringify(commands), encoding: "utf8", env: vaultEnv(), timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`airlock batch failed (exit ${r.status}):\n${r.stderr}`);
  const runs = JSON.parse(r.stdout) as Run[];
  if (runs.length !== steps.length) throw new Error(`airlock batch ran ${runs.length} of ${steps.length} commands`);
  return runs;
}

/** airlock() for each of `steps` (all --json), in one process; throws with the output of the first that fails. */
export function airlockMany(steps: readonly Step[]): Json[] {
  return airlockSteps(steps).map((r, i) => parsed(`airlock ${steps[i]!.args.join(" ")} (${steps[i]!.home})`, r, steps[i]!.status));
}

/**
 * `airlock-courier ARGS --home HOME --json` for each of `steps`, in one process (the same batch
 * runner, given the courier's entry point); parsed, throws with the output of the first that fails.
 */
export function courierMany(steps: readonly Step[]): Json[] {
  const commands = steps.map((s) => [...s.args, "--home", s.home, "--json"]);
  const cli = join(root, "online-courier", "dist", "src", "cli.js");
  const r = spawnSync(process.execPath, [AIRLOCK_BATCH, "--cli", cli, "--program", "airlock-courier"], { input: JSON.stringify(commands), encoding: "utf8", env: { ...process.env }, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`airlock-courier batch failed (exit ${r.status}):\n${r.stderr}`);
  const runs = JSON.parse(r.stdout) as Run[];
  if (runs.length !== steps.length) throw new Error(`airlock-courier batch ran ${runs.length} of ${steps.length} commands`);
  return runs.map((run, i) => parsed(`airlock-courier ${steps[i]!.args.join(" ")} (${steps[i]!.home})`, run));
}

/** `airlock-courier ARGS --home HOME --json`, parsed; throws with the output if it fails. */
export function courier(home: string, args: readonly string[]): Json {
  return parsed(`airlock-courier ${args.join(" ")} (${home})`, run(COURIER, [...args, "--home", home, "--json"], { ...process.env }));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export interface MailboxServer {
  readonly url: string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * `airlock-courier serve --listen 127.0.0.1:PORT` from `home` (a courier that serves the team),
 * resolved once it says it listens. stop() sends SIGTERM and waits for the exit.
 */
export async function startMailboxServer(home: string, firstPort?: number, timeoutMs = 30_000): Promise<MailboxServer> {
  for (let attempt = 0; ; attempt++) {
    const port = attempt === 0 && firstPort !== undefined ? firstPort : await freePort();
    const child = spawn(process.execPath, [COURIER, "serve", "--home", home, "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    let output = "";
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const listening = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const onData = (d: Buffer): void => {
        output += d.toString();
        // It prints its URL once it listens (the wording around it is the courier's to change).
        if (output.includes(`http://127.0.0.1:${port}`)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(kill);
      live.delete(child);
    };
    if (listening) return { url: `http://127.0.0.1:${port}`, stop };
    await stop();
    // The port we picked may have been taken in between (EADDRINUSE): try another, a few times.
    if (attempt >= 2) throw new Error(`airlock-courier serve did not start:\n${output}`);
  }
}
