/**
 * Starts and stops a tor process we own (Debian's `tor` binary): a fresh DataDirectory, the
 * control port on 127.0.0.1 at a port tor picks (read back from ControlPortWriteToFile),
 * cookie authentication, and __OwningControllerProcess so tor exits by itself if this Node
 * process dies without cleaning up. Used by the courier's `serve --onion` and by the tests'
 * private tor network.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { torError, TorControl } from "./control.js";

export interface LaunchTorOptions {
  /** Created with mode 0700 if missing (tor refuses a group- or world-readable one). */
  readonly dataDir: string;
  /** More torrc lines (SocksPort, ORPort, TestingTorNetwork, …). */
  readonly torrc?: readonly string[];
  /** The tor binary (default: `tor` on PATH). */
  readonly bin?: string;
  /** How long to wait for the control port to open (default 30 s). */
  readonly startTimeoutMs?: number;
}

export interface TorProcess {
  readonly pid: number;
  readonly dataDir: string;
  readonly control: { host: string; port: number };
  readonly cookieFile: string;
  /** A new authenticated control connection; the caller closes it. */
  openControl(): Promise<TorControl>;
  /** The SOCKS port tor listens on, if any. */
  socksPort(): Promise<number | undefined>;
  /** Polls status/bootstrap-phase until PROGRESS=100. */
  waitForBootstrap(timeoutMs: number): Promise<void>;
  /** The end of tor's notice log, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** SIGTERM, then SIGKILL if tor has not exited within 5 s. Idempotent. */
  stop(): Promise<void>;
}

/** The path of a usable tor binary, or undefined when none is installed. */
export function findTor(bin = "tor"): string | undefined {
  const result = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 });
  return result.status === 0 && /Tor version/i.test(result.stdout) ? bin : undefined;
}

export async function launchTor(o: LaunchTorOptions): Promise<TorProcess> {
  const bin = o.bin ?? "tor";
  const dataDir = o.dataDir;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const portFile = join(dataDir, "control-port");
  const cookieFile = join(dataDir, "control_auth_cookie");
  const logFile = join(dataDir, "notice.log");
  const torrc = join(dataDir, "torrc");
  const defaults = join(dataDir, "torrc-defaults");
  await writeFile(
    torrc,
    [
      `DataDirectory ${dataDir}`,
      "RunAsDaemon 0",
      "ControlPort 127.0.0.1:auto",
      `ControlPortWriteToFile ${portFile}`,
      "CookieAuthentication 1",
      `CookieAuthFile ${cookieFile}`,
      `__OwningControllerProcess ${process.pid}`,
      `Log notice file ${logFile}`,
      ...(o.torrc ?? []),
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  // An empty defaults file: the system's /etc/tor/torrc-defaults must not leak into ours.
  await writeFile(defaults, "", { mode: 0o600 });

  let child: ChildProcess;
  try {
    child = spawn(bin, ["-f", torrc, "--defaults-torrc", defaults], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw torError("TOR_NOT_INSTALLED", `cannot run ${bin}: ${(e as Error).message}`, e);
  }
  let output = "";
  const keep = (d: Buffer): void => {
    output = (output + d.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once("error", (e) => {
      output += `\n${e.message}`;
      exited = { code: -1, signal: null };
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (exited !== undefined) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
  let port: number | undefined;
  while (port === undefined) {
    if (exited !== undefined) {
      const notInstalled = /ENOENT/.test(output);
      throw torError(notInstalled ? "TOR_NOT_INSTALLED" : "TOR_START_FAILED", `${bin} exited (${exited.code ?? exited.signal}) before opening its control port:\n${output.trim()}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw torError("TOR_TIMEOUT", `${bin} did not open its control port in time:\n${output.trim()}`);
    }
    const text = await readFile(portFile, "utf8").catch(() => "");
    const m = /^PORT=127\.0\.0\.1:([0-9]{1,5})\s*$/m.exec(text);
    if (m !== null) port = Number(m[1]);
    else await sleep(50);
  }
  const control = { host: "127.0.0.1", port };
  const openControl = (): Promise<TorControl> => TorControl.open(control, { cookieFile });
  const logTail = async (lines = 15): Promise<string> => {
    const text = await readFile(logFile, "utf8").catch(() => output);
    return text.trim().split("\n").slice(-lines).join("\n");
  };

  return {
    pid: child.pid ?? -1,
    dataDir,
    control,
    cookieFile,
    openControl,
    logTail,
    stop,
    socksPort: async () => {
      const c = await openControl();
      try {
        const value = await c.getInfo("net/listeners/socks");
        const m = /127\.0\.0\.1:([0-9]{1,5})/.exec(value);
        return m === null ? undefined : Number(m[1]);
      } finally {
        c.close();
      }
    },
    waitForBootstrap: async (timeoutMs) => {
      const c = await openControl();
      const until = Date.now() + timeoutMs;
      let phase = "";
      try {
        for (;;) {
          phase = await c.getInfo("status/bootstrap-phase");
          if (/PROGRESS=100\b/.test(phase)) return;
          if (Date.now() > until) break;
          await sleep(250);
        }
      } finally {
        c.close();
      }
      throw torError("TOR_TIMEOUT", `tor (pid ${child.pid}) did not bootstrap within ${timeoutMs} ms; last phase: ${phase}\n${await logTail()}`);
    },
  };
}
