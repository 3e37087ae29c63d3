/**
 * Benchmark: the blind HTTP mailbox server under 50 concurrent clients on loopback.
 *
 * Each server runs in its own child process (this file with `--child=…`), so its peak RSS is
 * its own (Linux VmHWM) and it gets a core of its own; both run side by side and are measured
 * in alternating rounds (median of 3; spread in the note), so load from other jobs on a shared
 * machine hits both alike; the load comes from this process
 * through the real client backend (HttpMailbox, one keep-alive connection per client).
 * Baseline, measured in the same run with the same clients: a bare node:http server answering
 * the same URLs from memory (GET: the same 4 KiB bytes; PUT: body read and dropped), with no
 * authentication, rate limiting, storage or fsync. The load loops use bare node:http requests
 * (one keep-alive agent per client, no digest checks) so the client process is not what
 * limits the rate; the bundles are stored beforehand through HttpMailbox. All clients share one
 * loopback address, so the per-address connection cap is raised with the total one.
 * Figures (ratio = value / baseline):
 * - `http-server.get-rate`: bundle fetches/s (4 KiB). Costs: auth (HMAC), per-address rate
 *   table, open+fstat+read, digest check.
 * - `http-server.put-rate`: bundle stores/s (fresh 4 KiB bundles). Dominated by the durable
 *   write: temp file, fsync, rename, fsync of the folder.
 * - `http-server.peak-rss`: peak resident memory of the server process over all phases.
 * - `http-server.upload-rss`: peak resident memory of a fresh server process (its own child,
 *   default limits but for the rate and the namespace quota) while UPLOADS clients, each from
 *   its own loopback address (127.0.0.2, 127.0.0.3, ...), PUT a 64 MiB bundle at the same time;
 *   baseline: the same process's RSS at rest just before, after one small PUT and a listing
 *   (code loaded, a namespace open). Ratio = peak / idle; the target is <= 1.5. The peak is
 *   VmHWM after resetting it (`/proc/PID/clear_refs` = 5) at the idle point, so it covers the
 *   uploads alone. Bodies are generated on the fly (1 MiB blocks of one random block with a
 *   per-upload, per-block header), so the load process holds no gigabyte of its own.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TransportKey } from "@airlock/shared";
import { mailboxNameFor } from "../src/mailbox/backend.js";
import { HttpMailbox, httpMailboxCredentials } from "../src/mailbox/http.js";
import { API_PREFIX } from "../src/mailbox/http-protocol.js";
import { startMailboxServer } from "../src/mailbox/http-server.js";
import type { BenchFigure as Figure } from "@airlock/shared";
/** A figure as every bench runner prints and stores it (shared/src/bench-figures.ts). */
export type { Figure };


const CLIENTS = 50;
const BUNDLE_BYTES = 4096;
const STORED = 64;
const BENCH_NOW = Date.UTC(2026, 0, 1);
/** Concurrent large uploads of the RSS measure, one per loopback address. */
const UPLOADS = 16;
const UPLOAD_BYTES = 64 * 2 ** 20;
const BLOCK = 2 ** 20;

interface ChildServer {
  readonly url: string;
  peakRssBytes(): Promise<number>;
  /** VmRSS now, then VmHWM reset to it (Linux clear_refs 5; left as is where that is refused). */
  restartPeak(): Promise<number>;
  stop(): Promise<void>;
}

async function procStatus(pid: number | undefined, field: "VmHWM" | "VmRSS"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) * 1024;
}

async function startChild(kind: "mailbox" | "bare" | "upload", keyHex: string): Promise<ChildServer> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), `--child=${kind}`], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, AIRLOCK_BENCH_KEY: keyHex },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      const m = /^LISTENING (\S+)$/m.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the ${kind} bench server exited (${code}) before listening`)));
  });
  return {
    url,
    peakRssBytes: () => procStatus(child.pid, "VmHWM"),
    restartPeak: async () => {
      await writeFile(`/proc/${child.pid}/clear_refs`, "5").catch(() => undefined);
      return procStatus(child.pid, "VmRSS");
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** One request on a keep-alive agent; the body is read and dropped. Fails on any status but `ok`. */
function send(agent: Agent, url: string, method: string, authorization: string, ok: number, body?: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: authorization };
    if (body !== undefined) headers["Content-Length"] = String(body.length);
    const req = request(url, { method, agent, headers }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === ok ? resolve() : reject(new Error(`${method} answered ${res.statusCode}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Runs `op` in CLIENTS concurrent loops for `ms` (after a short warm-up); returns ops/s. */
async function load(clients: Agent[], ms: number, op: (c: Agent, i: number) => Promise<void>): Promise<number> {
  const warm = Date.now() + Math.min(300, ms / 4);
  await Promise.all(clients.map(async (c, i) => {
    while (Date.now() < warm) await op(c, i);
  }));
  let done = 0;
  const start = process.hrtime.bigint();
  const until = Date.now() + ms;
  await Promise.all(
    clients.map(async (c, i) => {
      while (Date.now() < until) {
        await op(c, i);
        done++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return done / seconds;
}

interface Target {
  readonly kind: "mailbox" | "bare";
  readonly server: ChildServer;
  readonly clients: Agent[];
  readonly auth: string;
  readonly base: string;
  readonly names: string[];
  readonly fresh: Uint8Array[];
  close(): Promise<void>;
}

/** A server child with STORED bundles stored through the real client, and CLIENTS keep-alive agents. */
async function openTarget(kind: "mailbox" | "bare"): Promise<Target> {
  const key = new Uint8Array(randomBytes(32));
  const team = new TransportKey(key);
  const server = await startChild(kind, Buffer.from(key).toString("hex"));
  const creds = httpMailboxCredentials(team, team.epochAt(BENCH_NOW));
  const setup = new HttpMailbox({ baseUrl: server.url, ...creds, timeoutMs: 30_000 });
  const clients = Array.from({ length: CLIENTS }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const close = async (): Promise<void> => {
    setup.close();
    for (const c of clients) c.destroy();
    await server.stop();
    team.wipe();
  };
  try {
    const stored = Array.from({ length: STORED }, () => new Uint8Array(randomBytes(BUNDLE_BYTES)));
    const names = stored.map(mailboxNameFor);
    for (let i = 0; i < STORED; i++) await setup.put(names[i]!, stored[i]!);
    if (!(await setup.get(names[0]!))?.length) throw new Error("the bench server does not hold what was stored");
    // Fresh bytes per put: a put of a stored name is a no-op and would measure nothing.
    const fresh = Array.from({ length: CLIENTS }, () => new Uint8Array(randomBytes(BUNDLE_BYTES)));
    return { kind, server, clients, auth: `Bearer ${creds.token}`, base: `${server.url}${API_PREFIX}${creds.namespace}/`, names, fresh, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function getPhase(t: Target, ms: number): Promise<number> {
  let n = 0;
  return load(t.clients, ms, (c) => send(c, `${t.base}${t.names[n++ % STORED]!}`, "GET", t.auth, 200));
}

function putPhase(t: Target, ms: number): Promise<number> {
  return load(t.clients, ms, async (c, i) => {
    const bytes = t.fresh[i]!;
    bytes[0] = (bytes[0]! + 1) & 255;
    bytes[1] = bytes[0] === 0 ? (bytes[1]! + 1) & 255 : bytes[1]!;
    crypto.getRandomValues(bytes.subarray(2, 10));
    await send(c, `${t.base}${mailboxNameFor(bytes)}`, "PUT", t.auth, 204, bytes);
  });
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Both servers run side by side; each round measures GET then PUT on both, alternately first,
 * so load from other jobs on a shared machine hits both alike. Rates are medians over rounds.
 */
async function measure(rounds: number, ms: number): Promise<{ get: number[][]; put: number[][]; rss: number[] }> {
  const bare = await openTarget("bare");
  try {
    const mailbox = await openTarget("mailbox");
    try {
      const get: number[][] = [[], []];
      const put: number[][] = [[], []];
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? [mailbox, bare] : [bare, mailbox];
        for (const t of order) get[t === mailbox ? 0 : 1]!.push(await getPhase(t, ms));
        for (const t of order) put[t === mailbox ? 0 : 1]!.push(await putPhase(t, ms));
      }
      return { get, put, rss: [await mailbox.server.peakRssBytes(), await bare.server.peakRssBytes()] };
    } finally {
      await mailbox.close();
    }
  } finally {
    await bare.close();
  }
}

const figure = (name: string, value: number, unit: string, baseline: number, note: string): Figure => ({ name, value, unit, baseline, ratio: value / baseline, note });

/** Block `j` of upload `k`: the shared random block with (k, j) in its first 8 bytes; a fresh buffer, since a written one stays queued. */
function uploadBlock(base: Buffer, k: number, j: number): Buffer {
  const block = Buffer.allocUnsafe(base.length);
  base.copy(block);
  block.writeUInt32BE(k, 0);
  block.writeUInt32BE(j, 4);
  return block;
}

/** Streams upload `k` (UPLOAD_BYTES) from `localAddress`, with backpressure; resolves on 204. */
function streamUpload(url: string, authorization: string, localAddress: string, base: Buffer, k: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "PUT", agent: false, localAddress, headers: { Authorization: authorization, "Content-Length": String(UPLOAD_BYTES) } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 204 ? resolve() : reject(new Error(`upload ${k} answered ${res.statusCode}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    void (async () => {
      for (let j = 0; j < UPLOAD_BYTES / BLOCK; j++) {
        if (!req.write(uploadBlock(base, k, j))) await once(req, "drain");
      }
      req.end();
    })().catch(reject);
  });
}

/** Peak RSS of a fresh server under UPLOADS concurrent UPLOAD_BYTES PUTs, and its RSS at rest just before. */
async function measureUploads(): Promise<{ idle: number; peak: number; seconds: number }> {
  const key = new Uint8Array(randomBytes(32));
  const team = new TransportKey(key);
  const server = await startChild("upload", Buffer.from(key).toString("hex"));
  const creds = httpMailboxCredentials(team, team.epochAt(BENCH_NOW));
  const setup = new HttpMailbox({ baseUrl: server.url, ...creds, timeoutMs: 60_000 });
  const base = randomBytes(BLOCK);
  try {
    const names = Array.from({ length: UPLOADS }, (_, k) => {
      const hash = createHash("sha256");
      for (let j = 0; j < UPLOAD_BYTES / BLOCK; j++) hash.update(uploadBlock(base, k, j));
      return `${hash.digest("hex")}.airlock`;
    });
    // At rest: code loaded, the namespace open, a bundle stored and listed.
    const small = new Uint8Array(randomBytes(BUNDLE_BYTES));
    await setup.put(mailboxNameFor(small), small);
    await setup.list();
    setup.close();
    const idle = await server.restartPeak();
    const start = process.hrtime.bigint();
    const auth = `Bearer ${creds.token}`;
    const base0 = `${server.url}${API_PREFIX}${creds.namespace}/`;
    await Promise.all(names.map((name, k) => streamUpload(`${base0}${name}`, auth, `127.0.0.${k + 2}`, base, k)));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const peak = await server.peakRssBytes();
    const listed = await setup.list();
    if (!names.every((n) => listed.names.includes(n as never))) throw new Error("the upload bench server does not list every upload");
    return { idle, peak, seconds };
  } finally {
    setup.close();
    await server.stop();
    team.wipe();
  }
}

export async function benchHttpServer(opts: { quick: boolean; uploadsOnly?: boolean }): Promise<Figure[]> {
  const ms = opts.quick ? 1_000 : 2_500;
  const uploads = await measureUploads();
  const uploadFigure = figure(
    "http-server.upload-rss",
    uploads.peak / 2 ** 20,
    "MiB",
    uploads.idle / 2 ** 20,
    `peak RSS (VmHWM) of a fresh server while ${UPLOADS} clients on ${UPLOADS} loopback addresses each PUT ${UPLOAD_BYTES / 2 ** 20} MiB at once ` +
      `(${((UPLOADS * UPLOAD_BYTES) / 2 ** 20 / uploads.seconds).toFixed(0)} MiB/s in all); baseline: its RSS at rest just before; target ratio <= 1.5`,
  );
  if (opts.uploadsOnly === true) return [uploadFigure];
  const rounds = opts.quick ? 1 : 3;
  const m = await measure(rounds, ms);
  const conditions = `${CLIENTS} keep-alive clients on loopback, ${BUNDLE_BYTES} B bundles, median of ${rounds} × ${ms} ms per server, alternating with the baseline`;
  const spread = (rates: number[][]): string => {
    const ratios = rates[0]!.map((v, i) => v / rates[1]![i]!);
    return rounds === 1 ? "" : `; per-round ratios ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  };
  return [
    figure("http-server.get-rate", median(m.get[0]!), "req/s", median(m.get[1]!), `${conditions}; baseline: bare node:http serving the bytes from memory${spread(m.get)}`),
    figure("http-server.put-rate", median(m.put[0]!), "req/s", median(m.put[1]!), `${conditions}; durable writes (fsync of the file and of the folder) vs a bare server dropping the body${spread(m.put)}`),
    figure("http-server.peak-rss", m.rss[0]! / 2 ** 20, "MiB", m.rss[1]! / 2 ** 20, "peak RSS (VmHWM) of the server process over all phases; baseline: the bare server's"),
    uploadFigure,
  ];
}

async function serveChild(kind: string): Promise<void> {
  const keyHex = process.env.AIRLOCK_BENCH_KEY ?? "";
  if (kind === "mailbox" || kind === "upload") {
    const team = new TransportKey(new Uint8Array(Buffer.from(keyHex, "hex")));
    const serverKey = team.mailboxServerKey();
    const storageDir = await mkdtemp(join(tmpdir(), "airlock-bench-mailbox-"));
    const server = await startMailboxServer({
      listen: { host: "127.0.0.1", port: 0 },
      storageDir,
      teams: () => [serverKey],
      now: () => BENCH_NOW,
      limits:
        kind === "mailbox"
          ? // Rounds of fresh puts add tens of thousands of bundles to the one namespace: the bundle quota makes room.
            { maxRequestsPerMinute: 100_000_000, maxConnections: 4 * CLIENTS, maxConnectionsPerAddress: 4 * CLIENTS, maxNamespaceBundles: 10_000_000 }
          : // The upload measure keeps the default connection limits; only the rate and the namespace quota (1 GiB) make room for it.
            { maxRequestsPerMinute: 100_000_000, maxNamespaceBytes: 2 * UPLOADS * UPLOAD_BYTES },
    });
    process.once("SIGTERM", () => {
      void server.close().then(() => rm(storageDir, { recursive: true, force: true })).then(() => process.exit(0));
    });
    console.log(`LISTENING ${server.url}`);
    return;
  }
  const bundles = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const name = (req.url ?? "").split("/")[3];
    if (req.method === "PUT") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (name !== undefined && bundles.size < STORED) bundles.set(name, Buffer.concat(chunks));
        res.writeHead(204).end();
      });
      return;
    }
    const bytes = name === undefined ? undefined : bundles.get(name);
    if (bytes === undefined) res.writeHead(404, { "Content-Type": "application/json" }).end('{"error":"MAILBOX_NOT_FOUND"}');
    else res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) }).end(bytes);
  });
  server.maxConnections = 4 * CLIENTS;
  server.listen(0, "127.0.0.1", () => console.log(`LISTENING http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  process.once("SIGTERM", () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const child = process.argv.find((a) => a.startsWith("--child="))?.slice("--child=".length);
  const main = child !== undefined ? serveChild(child) : benchHttpServer({ quick: process.argv.includes("--quick"), uploadsOnly: process.argv.includes("--uploads-only") }).then((figures) => {
    console.log("\n== blind HTTP mailbox server, 50 concurrent clients on loopback (baseline: bare node:http; higher rate is better, lower RSS is better)");
    for (const f of figures) {
      console.log(`   ${f.name.padEnd(24)} ${`${fmt(f.value)} ${f.unit}`.padStart(14)}   vs ${`${fmt(f.baseline)} ${f.unit}`.padStart(14)}   ratio ${f.ratio.toFixed(3)}`);
      console.log(`   ${"".padEnd(24)} ${f.note}`);
    }
  });
  main.catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
