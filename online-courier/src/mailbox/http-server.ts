/**
 * The blind HTTP mailbox server (`airlock-courier serve`): stores opaque sealed bundles for the
 * teams whose transport keys it holds, in one `dir:` folder per namespace (mailbox id). It
 * never parses a bundle, never logs one, and learns only what every courier learns: "a bundle
 * of size S for mailbox M at time T". Spec: docs/http-mailbox.md.
 *
 * Every request is bounded before it costs anything: per-address request rate (fixed window
 * on the injected clock), concurrent connections (server.maxConnections), header and request
 * timeouts against slow clients, and body size (Content-Length checked before reading; a
 * chunked body is cut as soon as it passes the limit). Authentication resolves the path's
 * namespace among the served teams' mailbox ids in the tag window around now and compares the
 * bearer token in constant time; an unknown namespace and a wrong token get the same 401 after
 * the same work, so a prober cannot tell which mailboxes exist.
 *
 * Invariants: a namespace's DirMailbox is created once and kept (its cursors live in memory)
 * until the namespace expires and prune() removes it;
 * every stored bundle passed checkPut; no error message sent to a client contains a path.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { DEFAULT_TAG_WINDOW, errnoCode, isAirlockError, MAILBOX_PRUNE_AGE, type TransportKey } from "@airlock/shared";
import { checkMaxBytes, isMailboxName, mailboxError, type MailboxName } from "./backend.js";
import { DirMailbox } from "./dir.js";
import { API_PREFIX, MAX_CURSOR_LENGTH, NAMESPACE_PATTERN, TOKEN_PATTERN, TOKEN_PURPOSE_PREFIX } from "./http-protocol.js";

export interface MailboxServerOptions {
  listen: { host: string; port: number };
  storageDir: string;
  teams: () => readonly TransportKey[];
  now?: () => number;
  limits?: { maxBundleBytes?: number; maxRequestsPerMinute?: number; maxConnections?: number };
  /** Slow-client bounds (ms). Defaults: headers 10 s, whole request 300 s (64 MiB over tor), idle socket 60 s. */
  timeouts?: { headersMs?: number; requestMs?: number; idleMs?: number };
  /** Epochs accepted around now (default DEFAULT_TAG_WINDOW: an offline courier may lag days). */
  window?: { past: number; future: number };
  /** Operational log lines (never bundle bytes, tokens or paths of bundles). */
  log?: (line: string) => void;
  /** How often expired namespaces are removed (ms, default one hour; also once at start). */
  pruneEveryMs?: number;
}

export interface MailboxServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  stats(): { requests: number; rejected: number; bytesIn: number; bytesOut: number };
  /**
   * Removes the folders of namespaces MAILBOX_PRUNE_AGE or more epochs old (up to a year back)
   * of the served teams; returns how many. No courier lists them any more and their tokens are
   * refused. Runs on a timer; exposed for tests and operators.
   */
  prune(): Promise<number>;
}

export const DEFAULT_SERVER_LIMITS = { maxRequestsPerMinute: 600, maxConnections: 64 } as const;
const DEFAULT_TIMEOUTS = { headersMs: 10_000, requestMs: 300_000, idleMs: 60_000 } as const;
const RATE_WINDOW_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** How many epochs before the prune age a sweep still looks for (a server that was down for months). */
const PRUNE_LOOKBACK = 366;
/** Past this many tracked addresses, entries of older windows are swept (bounds memory under a flood of sources). */
const RATE_TABLE_SWEEP = 10_000;

interface Resolved {
  readonly team: TransportKey;
  readonly epoch: number;
}

class HttpFailure {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

const UNAUTHORIZED = new HttpFailure(401, "MAILBOX_AUTH", "not authorized for this mailbox");

export async function startMailboxServer(o: MailboxServerOptions): Promise<MailboxServer> {
  const now = o.now ?? Date.now;
  const maxBundleBytes = checkMaxBytes(o.limits?.maxBundleBytes);
  const maxPerMinute = positive(o.limits?.maxRequestsPerMinute ?? DEFAULT_SERVER_LIMITS.maxRequestsPerMinute, "maxRequestsPerMinute");
  const maxConnections = positive(o.limits?.maxConnections ?? DEFAULT_SERVER_LIMITS.maxConnections, "maxConnections");
  const headersMs = positive(o.timeouts?.headersMs ?? DEFAULT_TIMEOUTS.headersMs, "headersMs");
  const requestMs = Math.max(headersMs, positive(o.timeouts?.requestMs ?? DEFAULT_TIMEOUTS.requestMs, "requestMs"));
  const idleMs = positive(o.timeouts?.idleMs ?? DEFAULT_TIMEOUTS.idleMs, "idleMs");
  const window = o.window ?? DEFAULT_TAG_WINDOW;
  const log = o.log ?? (() => undefined);

  const counters = { requests: 0, rejected: 0, bytesIn: 0, bytesOut: 0 };
  const namespaces = new Map<string, Promise<DirMailbox>>();
  const rates = new Map<string, { window: number; count: number }>();
  const idCache = new WeakMap<TransportKey, { epoch: number; ids: Map<string, number> }>();
  // Stands in for a team's token when the namespace is unknown, so both refusals cost one HMAC.
  const decoyKey = randomBytes(32);

  function resolve(namespace: string): Resolved | undefined {
    const t = now();
    for (const team of o.teams()) {
      const current = team.epochAt(t);
      let cached = idCache.get(team);
      if (cached === undefined || cached.epoch !== current) {
        const ids = new Map<string, number>();
        for (let e = Math.max(0, current - window.past); e <= current + window.future; e++) ids.set(team.mailboxId(e), e);
        cached = { epoch: current, ids };
        idCache.set(team, cached);
      }
      const epoch = cached.ids.get(namespace);
      if (epoch !== undefined) return { team, epoch };
    }
    return undefined;
  }

  function authenticate(namespace: string, header: string | undefined): void {
    const presented = /^Bearer ([0-9a-f]{64})$/.exec(header ?? "")?.[1];
    const match = NAMESPACE_PATTERN.test(namespace) ? resolve(namespace) : undefined;
    const purpose = `${TOKEN_PURPOSE_PREFIX}${namespace}`;
    const expected =
      match === undefined ? createHmac("sha256", decoyKey).update(purpose).digest() : Buffer.from(match.team.token(purpose, match.epoch), "hex");
    const given = presented !== undefined && TOKEN_PATTERN.test(presented) ? Buffer.from(presented, "hex") : Buffer.alloc(32);
    const equal = timingSafeEqual(expected, given);
    if (!equal || match === undefined || presented === undefined) throw UNAUTHORIZED;
  }

  function checkRate(address: string): void {
    const current = Math.floor(now() / RATE_WINDOW_MS);
    if (rates.size > RATE_TABLE_SWEEP) for (const [k, v] of rates) if (v.window !== current) rates.delete(k);
    let entry = rates.get(address);
    if (entry === undefined || entry.window !== current) {
      entry = { window: current, count: 0 };
      rates.set(address, entry);
    }
    if (++entry.count > maxPerMinute) {
      const retry = Math.max(1, Math.ceil(((current + 1) * RATE_WINDOW_MS - now()) / 1000));
      throw new HttpFailure(429, "MAILBOX_RATE_LIMITED", "too many requests from this address", { "Retry-After": String(retry) });
    }
  }

  function mailboxFor(namespace: string): Promise<DirMailbox> {
    let box = namespaces.get(namespace);
    if (box === undefined) {
      // The namespace's folder appears with its first bundle (DirMailbox), so listing the
      // namespaces of a courier's whole pull window leaves no empty folders behind.
      box = mkdir(o.storageDir, { recursive: true, mode: 0o700 }).then(() => new DirMailbox(join(o.storageDir, namespace), { maxBundleBytes }));
      // A failed mkdir must not be cached: the next request retries it.
      box.catch(() => namespaces.delete(namespace));
      namespaces.set(namespace, box);
    }
    return box;
  }

  async function prune(): Promise<number> {
    const t = now();
    const expired = new Set<string>();
    for (const team of o.teams()) {
      const newest = team.epochAt(t) - MAILBOX_PRUNE_AGE;
      for (let e = Math.max(0, newest - PRUNE_LOOKBACK); e <= newest; e++) expired.add(team.mailboxId(e));
    }
    // Namespaces only listed, never written, have a cached mailbox but no folder: drop them too.
    for (const id of expired) namespaces.delete(id);
    let entries: string[];
    try {
      entries = await readdir(o.storageDir);
    } catch (e) {
      if (errnoCode(e) === "ENOENT") return 0;
      throw e;
    }
    let removed = 0;
    for (const name of entries) {
      if (!expired.has(name)) continue;
      await rm(join(o.storageDir, name), { recursive: true, force: true });
      removed++;
    }
    if (removed > 0) log(`airlock mailbox: removed ${removed} expired mailbox folder${removed === 1 ? "" : "s"}`);
    return removed;
  }

  async function readBody(req: IncomingMessage): Promise<Uint8Array> {
    const declared = req.headers["content-length"];
    if (declared !== undefined) {
      const length = /^[0-9]{1,16}$/.test(declared) ? Number(declared) : NaN;
      if (!Number.isSafeInteger(length)) throw new HttpFailure(400, "MAILBOX_PROTOCOL", "bad Content-Length");
      if (length > maxBundleBytes) throw tooLarge(length);
    } else if (req.headers["transfer-encoding"] === undefined) {
      throw new HttpFailure(411, "MAILBOX_PROTOCOL", "a PUT needs a body with Content-Length");
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length;
      counters.bytesIn += chunk.length;
      // Chunked bodies have no declared length: cut the stream as soon as it passes the limit.
      if (total > maxBundleBytes) throw tooLarge(total);
      chunks.push(chunk);
    }
    const body = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.length;
    }
    return body;
  }

  function tooLarge(size: number): HttpFailure {
    return new HttpFailure(413, "MAILBOX_TOO_LARGE", `the bundle is ${size > maxBundleBytes ? `over ${maxBundleBytes}` : size} bytes; this mailbox takes at most ${maxBundleBytes}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.requests++;
    checkRate(req.socket.remoteAddress ?? "unknown");
    const url = new URL(req.url ?? "/", "http://mailbox.invalid");
    if (!url.pathname.startsWith(API_PREFIX)) throw new HttpFailure(404, "MAILBOX_PROTOCOL", "no such endpoint");
    const parts = url.pathname.slice(API_PREFIX.length).split("/");
    if (parts.length > 2) throw new HttpFailure(404, "MAILBOX_PROTOCOL", "no such endpoint");
    const [namespace = "", rawName] = parts;
    authenticate(namespace, req.headers.authorization);
    const box = await mailboxFor(namespace);

    if (rawName === undefined) {
      if (req.method !== "GET") throw new HttpFailure(405, "MAILBOX_PROTOCOL", "a mailbox is listed with GET", { Allow: "GET" });
      let since: string | undefined;
      if (url.searchParams.has("since")) {
        since = url.searchParams.get("since") ?? "";
        if (since.length > MAX_CURSOR_LENGTH) throw mailboxError("MAILBOX_BAD_CURSOR", "the list cursor is not one this mailbox issued");
      }
      const listing = await box.list(since);
      sendJson(res, 200, { names: listing.names, cursor: listing.cursor });
      return;
    }

    const name = decodeName(rawName);
    switch (req.method) {
      case "PUT": {
        const body = await readBody(req);
        await box.put(name, body);
        res.writeHead(204, { "Cache-Control": "no-store" }).end();
        return;
      }
      case "GET": {
        const bytes = await box.get(name);
        if (bytes === undefined) throw new HttpFailure(404, "MAILBOX_NOT_FOUND", "no bundle of that name");
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length), "Cache-Control": "no-store" });
        counters.bytesOut += bytes.length;
        res.end(bytes);
        return;
      }
      case "DELETE":
        await box.delete(name);
        res.writeHead(204, { "Cache-Control": "no-store" }).end();
        return;
      default:
        throw new HttpFailure(405, "MAILBOX_PROTOCOL", "use PUT, GET or DELETE on a bundle", { Allow: "PUT, GET, DELETE" });
    }
  }

  function fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    const failure = toFailure(e);
    if (failure.status === 500) log(`airlock mailbox: ${req.method ?? "?"} failed: ${describe(e)}`);
    if (failure.status !== 404 && failure.status !== 500) counters.rejected++;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // An unread body would otherwise be drained (up to its full length) to keep the connection.
    if (!req.complete) res.setHeader("Connection", "close");
    sendJson(res, failure.status, { error: failure.code, message: failure.message }, failure.headers);
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = Buffer.from(JSON.stringify(body));
    counters.bytesOut += text.length;
    res.writeHead(status, { ...headers, "Content-Type": "application/json", "Content-Length": String(text.length), "Cache-Control": "no-store" });
    res.end(text);
  }

  const server = createServer(
    {
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      keepAliveTimeout: Math.min(idleMs, 5_000),
      // Node checks header/request timeouts on this period; a long one would let slow clients linger.
      connectionsCheckingInterval: Math.max(50, Math.floor(Math.min(headersMs, requestMs) / 4)),
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handle(req, res).catch((e: unknown) => fail(req, res, e));
    },
  );
  server.maxConnections = maxConnections;
  server.timeout = idleMs;
  server.on("timeout", (socket: import("node:net").Socket) => {
    counters.rejected++;
    socket.destroy();
  });
  server.on("drop", () => {
    counters.rejected++;
  });
  server.on("clientError", (_err, socket) => {
    counters.rejected++;
    // 408 for a request that ran out of time, 400 otherwise; never echo the input.
    const timedOut = (_err as { code?: string }).code === "ERR_HTTP_REQUEST_TIMEOUT";
    if (socket.writable) socket.end(`HTTP/1.1 ${timedOut ? "408 Request Timeout" : "400 Bad Request"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const sweep = (): void => {
    prune().catch((e: unknown) => log(`airlock mailbox: pruning expired folders failed: ${describe(e)}`));
  };
  sweep();
  const pruneTimer = setInterval(sweep, positive(o.pruneEveryMs ?? PRUNE_EVERY_MS, "pruneEveryMs"));
  pruneTimer.unref();
  const host = o.listen.host.includes(":") ? `[${o.listen.host}]` : o.listen.host;

  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => ({ ...counters }),
    prune,
    close: () =>
      new Promise<void>((resolveClose) => {
        clearInterval(pruneTimer);
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

function decodeName(raw: string): MailboxName {
  // Names are plain ASCII: a percent-escape can only be an attempt at something else.
  if (!isMailboxName(raw)) throw mailboxError("MAILBOX_BAD_NAME", "not a mailbox name (64 lowercase hex digits + .airlock)");
  return raw;
}

function toFailure(e: unknown): HttpFailure {
  if (e instanceof HttpFailure) return e;
  if (isAirlockError(e)) {
    switch (e.code) {
      case "MAILBOX_BAD_NAME":
      case "MAILBOX_BAD_CURSOR":
      case "MAILBOX_DIGEST_MISMATCH":
        return new HttpFailure(400, e.code, e.message);
      case "MAILBOX_TOO_LARGE":
        return new HttpFailure(413, e.code, e.message);
      case "MAILBOX_TOO_MANY":
        return new HttpFailure(507, e.code, "the mailbox holds too many bundles");
    }
  }
  // Storage errors carry server paths: the client gets a code, the operator's log the detail.
  return new HttpFailure(500, "MAILBOX_SERVER", "the mailbox server failed");
}

function describe(e: unknown): string {
  return isAirlockError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

function positive(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
}
