/**
 * A throwaway one-node Ceph cluster for tests: one ceph-mon, one ceph-osd on memstore (RAM,
 * no disk to prepare) and radosgw (beast) on 127.0.0.1, all under one temp dir with a
 * generated ceph.conf. Nothing is read from or written to /etc/ceph or /var/lib/ceph: every
 * path Ceph would default there (data, run, admin sockets, logs, crash dumps, keyrings) is
 * pointed into the temp dir.
 *
 * Debian/Ubuntu: `apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw`
 * (pulls ceph-base and ceph-common, which hold ceph, ceph-authtool, monmaptool, radosgw-admin).
 *
 * Invariants: every daemon is pushed to `daemons` as soon as it is spawned, so stop() and the
 * process-exit hook always find it; each runs under a watchdog that SIGKILLs it if this
 * process dies without cleaning up; stop() SIGKILLs (the cluster is disposable, and a memstore
 * OSD would otherwise spend its shutdown writing its RAM to disk) and is safe to call twice.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { accessSync, constants, closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface CephCluster {
  /** http://127.0.0.1:PORT of radosgw. */
  readonly endpoint: string;
  readonly region: string;
  /** Keys of a user created with radosgw-admin; never print them. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly dir: string;
  /** Milliseconds from start to a usable S3 user, for reports (never asserted on). */
  readonly startupMs: number;
  /** Another radosgw user (its own buckets; no access to the first user's). */
  createUser(uid: string): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** Kills every daemon and removes the temp dir (kept if AIRLOCK_KEEP_CEPH=1, for debugging). */
  stop(): Promise<void>;
}

export const CEPH_APT_PACKAGES = ["ceph-mon", "ceph-osd", "radosgw", "ceph-common"] as const;
const TOOLS = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool", "monmaptool"] as const;
const SEARCH_EXTRA = ["/usr/sbin", "/sbin", "/usr/bin"];

/** Why a Ceph cluster cannot start here (missing programs), or undefined if it can. */
export function cephUnavailableReason(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SEARCH_EXTRA];
  const missing = TOOLS.filter((tool) => findTool(tool, dirs) === undefined);
  if (missing.length === 0) return undefined;
  return `Ceph is not installed (missing ${missing.join(", ")}); install it with: apt-get install -y --no-install-recommends ${CEPH_APT_PACKAGES.join(" ")}`;
}

function findTool(tool: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return join(dir, tool);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function tool(name: (typeof TOOLS)[number]): string {
  const found = findTool(name, [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SEARCH_EXTRA]);
  if (found === undefined) throw new Error(cephUnavailableReason());
  return found;
}

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout/stderr of the process, then Ceph's own log file for it (set in ceph.conf). */
  readonly logs: readonly string[];
  exited: string | undefined;
}

const STEP_TIMEOUT_MS = 60_000;

export async function startCeph(options: { timeoutMs?: number } = {}): Promise<CephCluster> {
  const started = performance.now();
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  const dir = await mkdtemp(join(tmpdir(), "airlock-ceph-"));
  const daemons: Daemon[] = [];
  const killAll = (): void => {
    for (const d of daemons) killGroup(d);
  };
  // A test runner that dies (or calls process.exit) without running afterAll must not leave
  // Ceph daemons behind.
  process.on("exit", killAll);
  let stopped = false;
  const stop = async (keep = process.env.AIRLOCK_KEEP_CEPH === "1"): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Closing the watchdogs' pipes makes each SIGKILL and reap its own daemon; the group kill
    // after a grace period covers a watchdog that did not.
    const exits = Promise.all(daemons.map((d) => (d.exited === undefined ? new Promise((r) => d.child.once("exit", r)) : undefined)));
    for (const d of daemons) d.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exits, new Promise((r) => (timer = setTimeout(r, 3_000)))]);
    clearTimeout(timer);
    killAll();
    await exits;
    process.off("exit", killAll);
    if (!keep) await rm(dir, { recursive: true, force: true });
  };

  try {
    const [monPort, rgwPort] = await freePorts(2);
    const conf = join(dir, "ceph.conf");
    const fsid = randomUUID();
    for (const sub of ["run", "log", "crash", "mon/ceph-a", "osd/ceph-0", "rgw/ceph-rgw"]) await mkdir(join(dir, sub), { recursive: true });
    await writeFile(conf, cephConf(dir, fsid, monPort), { mode: 0o600 });
    const ceph = (args: string[], timeoutMs = 20_000) => run(tool("ceph"), ["-c", conf, "--id", "admin", "--connect-timeout", "10", ...args], timeoutMs);

    // A mon keyring is required by mkfs even with auth = none.
    const keyring = join(dir, "keyring");
    await run(tool("ceph-authtool"), ["--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"]);
    const monmap = join(dir, "monmap");
    await run(tool("monmaptool"), ["--create", "--fsid", fsid, "--addv", "a", `[v2:127.0.0.1:${monPort}]`, monmap]);
    await run(tool("ceph-mon"), ["-c", conf, "--id", "a", "--mkfs", "--monmap", monmap, "--keyring", keyring]);
    daemons.push(spawnDaemon("ceph-mon", "ceph-mon.a.log", tool("ceph-mon"), ["-c", conf, "--id", "a", "-f"], dir));

    // `osd new` is the first mon command; retrying it doubles as the mon readiness check.
    const osdUuid = randomUUID();
    const osdId = await poll("ceph-mon to accept commands", deadline, daemons, async () => (await ceph(["osd", "new", osdUuid])).stdout.trim());
    if (osdId !== "0") throw new Error(`expected the first OSD to get id 0, got ${JSON.stringify(osdId)}`);
    await run(tool("ceph-osd"), ["-c", conf, "--id", "0", "--mkfs", "--osd-uuid", osdUuid], STEP_TIMEOUT_MS);
    daemons.push(spawnDaemon("ceph-osd", "ceph-osd.0.log", tool("ceph-osd"), ["-c", conf, "--id", "0", "-f"], dir));

    // radosgw creates its pools at start and waits for the OSD itself, so starting it now
    // overlaps the OSD boot with radosgw's start instead of polling `ceph osd stat` first.
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    daemons.push(
      spawnDaemon("radosgw", "ceph-client.rgw.log", tool("radosgw"), ["-c", conf, "--id", "rgw", "-f", "--rgw-frontends", `beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1`], dir),
    );
    await poll("radosgw to answer HTTP", deadline, daemons, async () => {
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    });

    const createUser = async (uid: string): Promise<{ accessKeyId: string; secretAccessKey: string }> => {
      if (!/^[a-z0-9-]{1,32}$/.test(uid)) throw new RangeError(`bad uid ${JSON.stringify(uid)}`);
      // Keys are generated by radosgw-admin and read from stdout, so they never appear in argv.
      const { stdout } = await run(tool("radosgw-admin"), ["-c", conf, "--id", "admin", "user", "create", `--uid=${uid}`, `--display-name=${uid}`], STEP_TIMEOUT_MS, false);
      return parseUserKeys(stdout);
    };
    const credentials = await createUser("airlock-test");
    return { endpoint, region: "us-east-1", credentials, dir, startupMs: Math.round(performance.now() - started), createUser, stop };
  } catch (e) {
    const logs = daemons.map((d) => describeDaemon(d)).join("\n");
    // The processes go; the temp dir (logs, config) stays so the failure can be inspected.
    await stop(true);
    throw new Error(`could not start a Ceph test cluster (files kept in ${dir}): ${(e as Error).message}${logs === "" ? "" : `\n${logs}`}`, { cause: e });
  }
}

function cephConf(dir: string, fsid: string, monPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monPort}]
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
# auth = none keeps setup to one keyring (the mon's, which mkfs insists on). radosgw then needs
# crc (not "secure") connection modes, or it fails to authenticate with EACCES (-13).
auth cluster required = none
auth service required = none
auth client required = none
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
ms mon client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
keyring = ${dir}/keyring
run dir = ${dir}/run
admin socket = ${dir}/run/$cluster-$name.asok
pid file = ${dir}/run/$cluster-$name.pid
log file = ${dir}/log/$cluster-$name.log
mon cluster log file = ${dir}/log/cluster.log
crash dir = ${dir}/crash
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
rgw data = ${dir}/rgw/$cluster-$id
# One OSD: single-replica pools, one PG each (fewer PGs = faster pool creation and peering).
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
# The mon batches map changes for paxos_propose_interval (1 s); radosgw creates its pools one
# after another and waits for each, so the default costs seconds at every start.
paxos propose interval = 0.01
paxos min wait = 0.001
# radosgw starts while the OSD boots; an op sent before the OSD is up waits for the objecter's
# next tick (default 5 s) to ask for a newer OSD map.
objecter tick interval = 0.1
mon data avail warn = 1
mon data avail crit = 0
osd op num shards = 2
osd op num threads per shard = 1
# Background work a test never needs.
rgw enable gc threads = false
rgw enable lc threads = false
rgw enable quota threads = false
rgw dynamic resharding = false
rgw run sync thread = false
rgw thread pool size = 32
`;
}

/**
 * Runs a daemon under a small sh watchdog that holds a pipe from this process on its stdin:
 * when the pipe closes (this process exited, even by SIGKILL, so no hook ran) it SIGKILLs the
 * daemon. Detached, so the watchdog and the daemon form one process group to kill at once.
 */
// sh gives background jobs /dev/null as stdin unless redirected explicitly, hence fd 3.
const WATCHDOG = `exec 3<&0
"$@" </dev/null 3<&- &
pid=$!
(while read -r _; do :; done <&3; kill -9 "$pid" 2>/dev/null) &
exec 3<&-
wait "$pid"`;

function spawnDaemon(name: string, cephLog: string, bin: string, args: string[], dir: string): Daemon {
  const out = join(dir, "log", `${name}.out`);
  const fd = openSync(out, "a");
  try {
    const child = spawn("/bin/sh", ["-c", WATCHDOG, name, bin, ...args], { stdio: ["pipe", fd, fd], detached: true });
    const daemon: Daemon = { name, child, logs: [out, join(dir, "log", cephLog)], exited: undefined };
    child.once("exit", (code, signal) => {
      daemon.exited = signal === null ? `exit code ${code}` : `signal ${signal}`;
    });
    child.once("error", (e) => {
      daemon.exited = `spawn error: ${e.message}`;
    });
    child.stdin?.on("error", () => undefined); // EPIPE once the group is gone
    return daemon;
  } finally {
    closeSync(fd);
  }
}

function killGroup(d: Daemon): void {
  if (d.exited !== undefined || d.child.pid === undefined) return;
  try {
    process.kill(-d.child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function describeDaemon(d: Daemon): string {
  const state = d.exited === undefined ? "running" : `exited (${d.exited})`;
  const tails = d.logs.map((log) => `    ${log}:\n${tail(log, 6).map((l) => `      ${l.slice(0, 300)}`).join("\n")}`);
  return `  ${d.name}: ${state}\n${tails.join("\n")}`;
}

function tail(path: string, lines: number): string[] {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines);
  } catch {
    return ["(none)"];
  }
}

/** Retries `attempt` until it succeeds, a daemon dies (fail fast, with its log) or the deadline. */
async function poll<T>(what: string, deadline: number, daemons: readonly Daemon[], attempt: () => Promise<T>): Promise<T> {
  let last: unknown;
  let delay = 50;
  for (;;) {
    const dead = daemons.find((d) => d.exited !== undefined);
    if (dead !== undefined) throw new Error(`${dead.name} died (${dead.exited}) while waiting for ${what}`);
    try {
      return await attempt();
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last error: ${(last as Error)?.message ?? String(last)}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

function run(bin: string, args: string[], timeoutMs = 20_000, showStdout = true): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) return resolve({ stdout });
      // stdout may hold secrets (radosgw-admin prints keys): only shown when the caller allows.
      const output = [showStdout ? stdout : "", stderr].join("\n").trim().split("\n").slice(-6).join("\n");
      const how = error.killed ? `killed after ${timeoutMs} ms` : `exit code ${String(error.code)}`;
      reject(new Error(`${bin.split("/").pop()} ${args.slice(0, 6).join(" ")} failed (${how}): ${output}`));
    });
  });
}

function parseUserKeys(stdout: string): { accessKeyId: string; secretAccessKey: string } {
  const keys = (JSON.parse(stdout) as { keys?: { access_key?: unknown; secret_key?: unknown }[] }).keys?.[0];
  if (typeof keys?.access_key !== "string" || typeof keys.secret_key !== "string") throw new Error("radosgw-admin printed no S3 keys");
  return { accessKeyId: keys.access_key, secretAccessKey: keys.secret_key };
}

async function freePorts(count: number): Promise<number[]> {
  // Held open together so the same port is not handed out twice; a race with another process
  // between close and the daemon's bind is possible but shows up as a clear bind failure.
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
