/**
 * Real Syncthing peers for tests: N `syncthing serve` processes on 127.0.0.1, each with its own
 * home and mailbox folder in one temp dir, peered through the REST API and sharing one folder.
 *
 * Nothing leaves the loopback interface: the config is written before the first start, so no
 * default listener (0.0.0.0:22000, QUIC), discovery announcement, relay, NAT/UPnP probe, usage
 * report, crash report or upgrade check ever runs, not even for the first seconds. Peers know
 * each other only by device ID + explicit tcp://127.0.0.1 address.
 *
 * The folder watcher is off and tests call rescan() after they write: Syncthing's watcher waits
 * (fsWatcherDelayS, 10 s by default) to batch changes, so an explicit scan is both faster and
 * deterministic. Arrivals are then awaited by polling the receiver's folder against a deadline.
 *
 * Process hygiene: `syncthing serve` forks a monitor and a worker, so each instance is spawned in
 * its own process group and stop() signals the whole group; an exit hook does the same if the
 * test runner goes away without calling stop().
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MAILBOX_FOLDER_ID = "airlock-mailbox";
/** What docs/syncthing.md recommends for .stignore: DirMailbox's own half-written temp files. */
export const RECOMMENDED_IGNORES: readonly string[] = [".airlock-tmp-*"];

export interface SyncthingOptions {
  /** Lines of the shared folder's .stignore (default RECOMMENDED_IGNORES). */
  readonly ignores?: readonly string[];
  /** Deadline for starting, peering and connecting all instances (default 60 s). */
  readonly startTimeoutMs?: number;
  /** The syncthing binary (default: found on PATH by ensureSyncthing). */
  readonly bin?: string;
}

export interface WaitForFileOptions {
  /** Wait for the file to be gone instead of present. */
  readonly gone?: boolean;
  /** Also require this size (a complete copy); Syncthing only renames a finished temp file into place. */
  readonly size?: number;
  readonly timeoutMs?: number;
}

export interface SyncthingPeers {
  readonly folderId: string;
  /** Each peer's copy of the shared mailbox folder. */
  readonly folders: readonly string[];
  readonly apiKeys: readonly string[];
  /** Each peer's GUI/REST base URL, http://127.0.0.1:PORT. */
  readonly urls: readonly string[];
  readonly deviceIds: readonly string[];
  /** Scans peer `i`'s folder now (POST /rest/db/scan); resolves when the scan is done. */
  rescan(i: number): Promise<void>;
  /** Polls peer `i`'s folder until `name` is a complete regular file (or gone), or fails with a diagnosis. */
  waitForFile(i: number, name: string, options?: WaitForFileOptions): Promise<void>;
  /** Polls `check` until it is true, or fails with `what` and a diagnosis of every peer. */
  waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** A REST call on peer `i` with its API key; throws on a non-2xx answer. */
  api<T = unknown>(i: number, method: string, path: string, body?: unknown): Promise<T>;
  /** PATCH /rest/config/options on peer `i` (e.g. bandwidth limits). */
  setOptions(i: number, patch: Record<string, unknown>): Promise<void>;
  /** The last lines Syncthing logged, for failure messages. */
  logs(i: number): string;
  /** Stops every process (whole process groups) and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

export type SyncthingAvailability = { readonly ok: true; readonly bin: string; readonly version: string } | { readonly ok: false; readonly reason: string };

const DEFAULT_TIMEOUT_MS = 30_000;
const POLL_MS = 50;
const LOG_LINES = 80;

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr: error !== null && stderr === "" ? error.message : stderr });
    });
  });
}

const tail = (text: string, lines = 15): string => text.trim().split("\n").slice(-lines).join("\n");

/**
 * Finds syncthing on PATH, or installs the Debian package (root only, as CI runs). Never throws:
 * a test file turns `{ ok: false }` into a visible skip with the reason.
 */
export async function ensureSyncthing(): Promise<SyncthingAvailability> {
  const found = async (): Promise<SyncthingAvailability | undefined> => {
    const which = await run("sh", ["-c", "command -v syncthing"], 10_000);
    const bin = which.stdout.trim();
    if (which.code !== 0 || bin === "") return undefined;
    const version = await run(bin, ["--version"], 10_000);
    if (version.code !== 0) return { ok: false, reason: `${bin} --version failed: ${tail(version.stderr, 3)}` };
    return { ok: true, bin, version: version.stdout.trim() };
  };
  const first = await found();
  if (first !== undefined) return first;
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: "syncthing is not installed and this is not root; run: apt-get install -y --no-install-recommends syncthing" };
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = ["install", "-y", "--no-install-recommends", "syncthing"];
  let result = await run("apt-get", install, 300_000, env);
  if (result.code !== 0) {
    // A fresh container has no package lists yet.
    await run("apt-get", ["update"], 300_000, env);
    result = await run("apt-get", install, 300_000, env);
  }
  const second = await found();
  if (second !== undefined) return second;
  return { ok: false, reason: `syncthing could not be installed (apt-get exited ${result.code}): ${tail(result.stderr, 5)}` };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/**
 * Written before the first start. Elements left out take Syncthing's defaults, so only what
 * matters is here: every outward-facing feature off, and the GUI/REST and sync listeners on
 * loopback ports chosen by us. reconnectionIntervalS is Syncthing's minimum (5 s, not the
 * default minute), so a peer whose first dial lost a race is retried quickly.
 */
function configXml(guiPort: number, syncPort: number, apiKey: string): string {
  return `<configuration version="36">
    <gui enabled="true" tls="false">
        <address>127.0.0.1:${guiPort}</address>
        <apikey>${apiKey}</apikey>
    </gui>
    <options>
        <listenAddress>tcp://127.0.0.1:${syncPort}</listenAddress>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <announceLANAddresses>false</announceLANAddresses>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <stunKeepaliveStartS>0</stunKeepaliveStartS>
        <urAccepted>-1</urAccepted>
        <crashReportingEnabled>false</crashReportingEnabled>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <startBrowser>false</startBrowser>
        <reconnectionIntervalS>5</reconnectionIntervalS>
        <setLowPriority>false</setLowPriority>
    </options>
</configuration>
`;
}

interface Instance {
  readonly home: string;
  readonly folder: string;
  readonly url: string;
  readonly apiKey: string;
  readonly syncAddress: string;
  readonly child: ChildProcess;
  readonly log: string[];
  deviceId: string;
  exited: boolean;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of live) killGroup(child, "SIGKILL");
  });
}

async function rest<T>(instance: Pick<Instance, "url" | "apiKey">, method: string, path: string, body?: unknown): Promise<T> {
  const request = (): Promise<Response> =>
    fetch(`${instance.url}${path}`, {
      method,
      headers: { "X-API-Key": instance.apiKey, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
    });
  let response: Response;
  try {
    response = await request();
  } catch (e) {
    // Go's HTTP server closes idle keep-alive connections on its own schedule, and undici may
    // pick one that is closing ("other side closed"). The request never reached the handler,
    // so one retry on a fresh connection is safe even for POST/PATCH.
    if (!isStaleConnection(e)) throw e;
    response = await request();
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`syncthing ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

async function startInstance(bin: string, root: string, i: number, deadline: number): Promise<Instance> {
  const home = join(root, `home${i}`);
  const folder = join(root, `folder${i}`);
  await mkdir(folder, { recursive: true });
  const generated = await run(bin, ["generate", `--home=${home}`, "--no-default-folder", "--skip-port-probing"], 30_000);
  if (generated.code !== 0) throw new Error(`syncthing generate failed for peer ${i}: ${tail(generated.stderr)}`);

  // freePort() closes its probe socket before syncthing binds, so another process can win the
  // port in between; a lost race shows up as an early exit or a listener error and is retried.
  let lastError = "";
  for (let attempt = 0; attempt < 3 && Date.now() < deadline; attempt++) {
    const [guiPort, syncPort] = [await freePort(), await freePort()];
    const apiKey = randomBytes(24).toString("hex");
    await writeFile(join(home, "config.xml"), configXml(guiPort, syncPort, apiKey), { mode: 0o600 });
    const child = spawn(bin, ["serve", `--home=${home}`, "--no-browser", "--no-restart", "--no-upgrade", "--logflags=0"], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      // HOME too, so nothing (a "~" default path, a cache) touches the real user's home.
      env: { ...process.env, HOME: home, STNORESTART: "1", STNOUPGRADE: "1", STNODEFAULTFOLDER: "1" },
    });
    live.add(child);
    const instance: Instance = {
      home,
      folder,
      url: `http://127.0.0.1:${guiPort}`,
      apiKey,
      syncAddress: `tcp://127.0.0.1:${syncPort}`,
      child,
      log: [],
      deviceId: "",
      exited: false,
    };
    const keep = (chunk: Buffer): void => {
      instance.log.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
      if (instance.log.length > LOG_LINES) instance.log.splice(0, instance.log.length - LOG_LINES);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.once("exit", () => {
      instance.exited = true;
      live.delete(child);
    });
    child.once("error", (e) => {
      instance.log.push(`spawn error: ${e.message}`);
      instance.exited = true;
    });

    const attemptDeadline = Math.min(deadline, Date.now() + 30_000);
    while (!instance.exited && Date.now() < attemptDeadline) {
      try {
        const status = await rest<{ myID: string; connectionServiceStatus?: Record<string, { error: string | null }> }>(instance, "GET", "/rest/system/status");
        const listener = status.connectionServiceStatus?.[instance.syncAddress];
        if (listener !== undefined && listener.error === null) {
          instance.deviceId = status.myID;
          return instance;
        }
        if (listener?.error) {
          lastError = `sync listener ${instance.syncAddress}: ${listener.error}`;
          break;
        }
      } catch {
        // Not listening yet.
      }
      await sleep(POLL_MS * 2);
    }
    if (!lastError) lastError = instance.exited ? "exited during startup" : "REST API did not come up";
    lastError += `\n${instance.log.slice(-15).join("\n")}`;
    await stopChild(child);
  }
  throw new Error(`syncthing peer ${i} did not start: ${lastError}`);
}

function isStaleConnection(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string } } | undefined)?.cause;
  return e instanceof TypeError && (cause?.code === "UND_ERR_SOCKET" || cause?.code === "ECONNRESET");
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child, "SIGTERM");
  const graceful = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!graceful) {
    killGroup(child, "SIGKILL");
    await Promise.race([exited, sleep(5_000)]);
  }
  live.delete(child);
}

/** Starts `n` (≥ 2) peers sharing one mailbox folder, connected to each other; see the file comment. */
export async function startSyncthing(n: number, options: SyncthingOptions = {}): Promise<SyncthingPeers> {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`need at least 2 syncthing peers, got ${n}`);
  let bin = options.bin;
  if (bin === undefined) {
    const available = await ensureSyncthing();
    if (!available.ok) throw new Error(available.reason);
    bin = available.bin;
  }
  installExitHook();
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const root = await mkdtemp(join(tmpdir(), "airlock-syncthing-"));
  const instances: Instance[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(instances.map((x) => stopChild(x.child)));
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
  };

  const at = (i: number): Instance => {
    const instance = instances[i];
    if (instance === undefined) throw new RangeError(`no syncthing peer ${i} (there are ${instances.length})`);
    return instance;
  };

  const diagnose = async (): Promise<string> => {
    const parts: string[] = [];
    for (const [i, x] of instances.entries()) {
      const files = await readdir(x.folder).catch((e: Error) => [`(unreadable: ${e.message})`]);
      const state = await rest<{ state?: string; errors?: number; needFiles?: number; pullErrors?: number }>(
        x,
        "GET",
        `/rest/db/status?folder=${MAILBOX_FOLDER_ID}`,
      ).catch((e: Error) => ({ state: `unknown (${e.message})` }));
      const connections = await rest<{ connections: Record<string, { connected: boolean }> }>(x, "GET", "/rest/system/connections").catch(() => undefined);
      const peers = instances
        .filter((y) => y !== x)
        .map((y) => `${y.deviceId.slice(0, 7)}=${connections?.connections[y.deviceId]?.connected === true ? "connected" : "not connected"}`);
      parts.push(
        `peer ${i}${x.exited ? " (EXITED)" : ""}: folder [${files.join(", ")}]; folder state ${JSON.stringify(state)}; ${peers.join(", ")}\n` +
          `  last log lines:\n    ${x.log.slice(-10).join("\n    ")}`,
      );
    }
    return parts.join("\n");
  };

  const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      const dead = instances.find((x) => x.exited);
      if (dead !== undefined || Date.now() >= until) {
        const why = dead !== undefined ? `a syncthing process exited` : `not within ${timeoutMs} ms`;
        throw new Error(`syncthing: ${what}: ${why}\n${await diagnose()}`);
      }
      await sleep(POLL_MS);
    }
  };

  try {
    // One after another: two hashing benchmarks at once on 2 cores only slow both down.
    for (let i = 0; i < n; i++) instances.push(await startInstance(bin, root, i, deadline));
    const remaining = (): number => Math.max(1_000, deadline - Date.now());

    for (const x of instances) {
      for (const [j, y] of instances.entries()) {
        if (y === x) continue;
        await rest(x, "POST", "/rest/config/devices", {
          deviceID: y.deviceId,
          name: `peer${j}`,
          addresses: [y.syncAddress],
          autoAcceptFolders: false,
          introducer: false,
        });
      }
    }
    for (const x of instances) {
      // .stignore before the folder exists in Syncthing, so the very first scan already obeys it.
      const ignores = options.ignores ?? RECOMMENDED_IGNORES;
      if (ignores.length > 0) await writeFile(join(x.folder, ".stignore"), `${ignores.join("\n")}\n`);
      await rest(x, "POST", "/rest/config/folders", {
        id: MAILBOX_FOLDER_ID,
        label: "Airlock mailbox",
        path: x.folder,
        type: "sendreceive",
        devices: instances.map((y) => ({ deviceID: y.deviceId })),
        fsWatcherEnabled: false,
        rescanIntervalS: 3600,
        // Bundles are never edited in place; no point keeping old versions around.
        versioning: { type: "" },
      });
    }

    await waitUntil(
      "all peers connected",
      async () => {
        for (const x of instances) {
          const { connections } = await rest<{ connections: Record<string, { connected: boolean }> }>(x, "GET", "/rest/system/connections");
          for (const y of instances) if (y !== x && connections[y.deviceId]?.connected !== true) return false;
        }
        return true;
      },
      remaining(),
    );
    // Connected is not yet "sharing": wait for each first scan to finish, and, where Syncthing
    // reports it (remoteState, newer than 1.19), for each side to accept the other's folder list.
    // On 1.19 a put made before that exchange is still delivered, just after it: waitForFile's
    // deadline covers that.
    await waitUntil(
      "the mailbox folder shared and idle everywhere",
      async () => {
        for (const x of instances) {
          const status = await rest<{ state: string }>(x, "GET", `/rest/db/status?folder=${MAILBOX_FOLDER_ID}`);
          if (status.state !== "idle") return false;
          for (const y of instances) {
            if (y === x) continue;
            const completion = await rest<{ remoteState?: string }>(x, "GET", `/rest/db/completion?folder=${MAILBOX_FOLDER_ID}&device=${y.deviceId}`);
            if (completion.remoteState !== undefined && completion.remoteState !== "valid") return false;
          }
        }
        return true;
      },
      remaining(),
    );
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    folderId: MAILBOX_FOLDER_ID,
    folders: instances.map((x) => x.folder),
    apiKeys: instances.map((x) => x.apiKey),
    urls: instances.map((x) => x.url),
    deviceIds: instances.map((x) => x.deviceId),
    async rescan(i) {
      await rest(at(i), "POST", `/rest/db/scan?folder=${MAILBOX_FOLDER_ID}`);
    },
    async waitForFile(i, name, opts = {}) {
      const x = at(i);
      const path = join(x.folder, name);
      const what = opts.gone === true ? `peer ${i} to lose ${name}` : `peer ${i} to receive ${name}${opts.size === undefined ? "" : ` (${opts.size} bytes)`}`;
      await waitUntil(
        what,
        async () => {
          const stats = await lstat(path).catch(() => undefined);
          if (opts.gone === true) return stats === undefined;
          return stats !== undefined && stats.isFile() && (opts.size === undefined || stats.size === opts.size);
        },
        opts.timeoutMs,
      );
    },
    waitUntil,
    api: (i, method, path, body) => rest(at(i), method, path, body),
    async setOptions(i, patch) {
      await rest(at(i), "PATCH", "/rest/config/options", patch);
    },
    logs: (i) => at(i).log.join("\n"),
    stop,
  };
}

export function startSyncthingPair(options?: SyncthingOptions): Promise<SyncthingPeers> {
  return startSyncthing(2, options);
}
