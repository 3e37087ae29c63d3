/**
 * The HTTP mailbox client backend (`http://HOST:PORT`, `https://HOST:PORT` and, through tor's
 * SOCKS port, `onion:ADDR`). Over https the server's certificate is always verified, against
 * the system's CAs or, given `ca`, against that CA only (a team's own CA, pinned); a certificate
 * that does not verify is MAILBOX_TLS, naming the mailbox.
 *
 * The server is untrusted like every mailbox: each response is bounded before it
 * is buffered (Content-Length first, then the stream is cut), every listed name is checked
 * against the name pattern, and every fetched bundle against its digest name. Server refusals
 * become typed errors (MAILBOX_AUTH, MAILBOX_RATE_LIMITED, ...; see http-protocol.ts).
 *
 * Connections are kept alive and pooled; over SOCKS the pool keeps tor streams open too, which
 * spares a rendezvous per request. Over SOCKS each mailbox (URL and namespace) gives tor SOCKS
 * credentials of its own (socksIsolation), so tor keeps its streams on circuits of their own. The bearer token is sent only in the Authorization header
 * and never appears in an error message.
 *
 * Listing cursors are the client's own (docs/http-mailbox.md, "Listing"): every list() asks the
 * server for the whole namespace and never sends anything the server chose, so no server can
 * hand each courier a cursor of its own and recognise it when it comes back next round (a
 * tracking cookie across rounds). The names "since" a cursor are worked out here, by a
 * SequenceIndex of what this client has listed, exactly like a `dir:` folder's.
 */
import { createHmac, randomBytes } from "node:crypto";
import { Agent as HttpAgent, request as httpRequest, type AgentOptions, type ClientRequest, type ClientRequestArgs, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import { SocksClient } from "socks";
import { isAirlockError, type TransportKey } from "@airlock/shared";
import {
  checkMaxBytes,
  checkName,
  checkPut,
  isMailboxName,
  mailboxNameFor,
  SequenceIndex,
  type CallOptions,
  type MailboxBackend,
  type MailboxListing,
  type MailboxName,
} from "./backend.js";
import { abortError, checkDeadlineMs, deadlineSignal, raceAbort, throwIfAborted } from "./deadline.js";
import {
  API_PREFIX,
  MAX_CURSOR_LENGTH,
  MAX_LISTING_BYTES,
  NAMESPACE_PATTERN,
  PASSED_THROUGH_CODES,
  TOKEN_PATTERN,
  TOKEN_PURPOSE_PREFIX,
  httpMailboxError,
  type HttpMailboxErrorCode,
} from "./http-protocol.js";

export interface HttpMailboxOptions {
  baseUrl: string;
  namespace: string;
  token: string;
  socksProxy?: { host: string; port: number };
  maxBundleBytes?: number;
  /** Idle timeout: no byte for this long ends the request (default 60 s, 120 s over tor). */
  timeoutMs?: number;
  /** Total deadline of one request, answer body included, however the bytes trickle (default 5 min, 10 min over tor). */
  deadlineMs?: number;
  /** https only: the CA certificate(s), PEM, the server's certificate must chain to instead of the system's CAs. */
  ca?: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** Over tor a first request builds a rendezvous circuit: allow for it. */
const DEFAULT_SOCKS_TIMEOUT_MS = 120_000;
/** A 64 MiB bundle at about 256 KiB/s; a mailbox slower than that is treated as stalled. */
const DEFAULT_DEADLINE_MS = 300_000;
const DEFAULT_SOCKS_DEADLINE_MS = 600_000;
const MAX_ERROR_BODY = 4096;

/** The namespace and token a team's courier uses on an HTTP mailbox for one epoch. */
export function httpMailboxCredentials(tk: TransportKey, epoch: number): { namespace: string; token: string } {
  const namespace = tk.mailboxId(epoch);
  return { namespace, token: tk.token(`${TOKEN_PURPOSE_PREFIX}${namespace}`, epoch) };
}

/** http://HOST:PORT (or onion:ADDR, given a SOCKS proxy) + a team's epoch → an HttpMailbox. */
export function httpMailboxFromUrl(
  url: string,
  tk: TransportKey,
  epoch: number,
  options: Omit<HttpMailboxOptions, "baseUrl" | "namespace" | "token"> = {},
): HttpMailbox {
  let baseUrl = url;
  if (url.startsWith("onion:")) {
    const host = url.slice("onion:".length).replace(/\/+$/, "");
    if (!/^[a-z2-7]{56}\.onion(:[0-9]{1,5})?$/.test(host)) {
      throw httpMailboxError("MAILBOX_BAD_URL", `${JSON.stringify(url.slice(0, 100))} is not an onion: mailbox URL`);
    }
    if (options.socksProxy === undefined) throw httpMailboxError("MAILBOX_BAD_URL", "an onion: mailbox needs tor's SOCKS port (socksProxy)");
    baseUrl = `http://${host}`;
  }
  return new HttpMailbox({ ...options, baseUrl, ...httpMailboxCredentials(tk, epoch) });
}

/** The SOCKS user name of every isolation credential (tor isolates on the name and password together). */
export const SOCKS_ISOLATION_USER = "airlock";
/** Random per process: the isolation passwords of one run cannot be linked to another run's. */
const SOCKS_ISOLATION_KEY = randomBytes(32);

/**
 * The SOCKS5 user name and password this process gives tor for one (mailbox host, namespace).
 * Tor isolates streams by SOCKS credentials (IsolateSOCKSAuth, on by default; it picks
 * username/password when the client offers it beside no-auth), so each namespace, and with it
 * each team, gets circuits of its own rather than one circuit that ties them together. The
 * password is a MAC of the host and namespace under a random per-process key: different for each
 * pair, and it carries neither the namespace nor anything of the transport key or token.
 */
export function socksIsolation(host: string, namespace: string): { userId: string; password: string } {
  const password = createHmac("sha256", SOCKS_ISOLATION_KEY).update(`airlock socks isolation\n${host}\n${namespace}`).digest("hex").slice(0, 32);
  return { userId: SOCKS_ISOLATION_USER, password };
}

class SocksHttpAgent extends HttpAgent {
  readonly #proxy: { host: string; port: number };
  readonly #timeoutMs: number;
  readonly #isolation: { userId: string; password: string };

  constructor(proxy: { host: string; port: number }, timeoutMs: number, isolation: { userId: string; password: string }, options: AgentOptions) {
    super(options);
    this.#proxy = proxy;
    this.#timeoutMs = timeoutMs;
    this.#isolation = isolation;
  }

  // The callback form of Agent#createConnection: node waits for the SOCKS handshake to finish.
  override createConnection(options: ClientRequestArgs, callback: (err: Error | null, socket?: Duplex) => void): undefined {
    SocksClient.createConnection({
      proxy: { host: this.#proxy.host, port: this.#proxy.port, type: 5, ...this.#isolation },
      command: "connect",
      // The hostname goes to tor unresolved: a .onion cannot be resolved here, and a local DNS lookup would leak.
      destination: { host: String(options.hostname ?? options.host ?? ""), port: Number(options.port ?? 80) },
      timeout: this.#timeoutMs,
    }).then(
      ({ socket }) => callback(null, socket),
      // Tor answers an onion it cannot reach (no descriptor, no client authorization) with a
      // SOCKS refusal; say so, since the socks library's text names no reason for tor's codes.
      (e: unknown) => callback(new Error(`the SOCKS proxy ${this.#proxy.host}:${this.#proxy.port} (tor) could not connect: ${e instanceof Error ? e.message : String(e)}`)),
    );
    return undefined;
  }
}

export class HttpMailbox implements MailboxBackend {
  readonly maxBundleBytes: number;
  /** The server empties namespaces past MAILBOX_PRUNE_AGE itself (and would refuse our token for them). */
  readonly prunedByStore = true;
  readonly #base: URL;
  readonly #namespace: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #deadlineMs: number;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;
  /** What this client has listed, numbered in the order it first saw it: its cursors' meaning. */
  readonly #index = new SequenceIndex();

  constructor(o: HttpMailboxOptions) {
    this.maxBundleBytes = checkMaxBytes(o.maxBundleBytes);
    let base: URL;
    try {
      base = new URL(o.baseUrl);
    } catch {
      throw httpMailboxError("MAILBOX_BAD_URL", `${JSON.stringify(String(o.baseUrl).slice(0, 100))} is not a URL`);
    }
    if ((base.protocol !== "http:" && base.protocol !== "https:") || base.username !== "" || base.password !== "" || base.search !== "" || base.hash !== "") {
      throw httpMailboxError("MAILBOX_BAD_URL", `${JSON.stringify(o.baseUrl.slice(0, 100))} is not an http(s)://HOST:PORT mailbox URL`);
    }
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    if (typeof o.namespace !== "string" || !NAMESPACE_PATTERN.test(o.namespace)) throw new TypeError('"namespace" must be a mailbox id (32 lowercase hex digits)');
    if (typeof o.token !== "string" || !TOKEN_PATTERN.test(o.token)) throw new TypeError('"token" must be 64 lowercase hex digits');
    const timeoutMs = o.timeoutMs ?? (o.socksProxy === undefined ? DEFAULT_TIMEOUT_MS : DEFAULT_SOCKS_TIMEOUT_MS);
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`timeoutMs must be a positive integer, got ${timeoutMs}`);
    this.#base = base;
    this.#namespace = o.namespace;
    this.#authorization = `Bearer ${o.token}`;
    this.#timeoutMs = timeoutMs;
    this.#deadlineMs = checkDeadlineMs("deadlineMs", o.deadlineMs ?? (o.socksProxy === undefined ? DEFAULT_DEADLINE_MS : DEFAULT_SOCKS_DEADLINE_MS));
    const agentOptions: AgentOptions = { keepAlive: true, maxSockets: 8, maxFreeSockets: 4 };
    if (o.ca !== undefined && base.protocol !== "https:") throw httpMailboxError("MAILBOX_BAD_URL", "a CA certificate applies to https:// mailboxes only");
    if (o.socksProxy !== undefined) {
      if (base.protocol !== "http:") throw httpMailboxError("MAILBOX_BAD_URL", "over SOCKS (tor) use http://: the onion service already encrypts end to end");
      // One HttpMailbox per (URL, namespace): its connections share circuits, no one else's do.
      this.#agent = new SocksHttpAgent(o.socksProxy, timeoutMs, socksIsolation(base.host, o.namespace), agentOptions);
      this.#request = httpRequest;
    } else if (base.protocol === "https:") {
      // Verification stays on (rejectUnauthorized defaults to true and is never set here); `ca`
      // replaces the system's CAs, so a pinned team CA is the only issuer accepted.
      this.#agent = new HttpsAgent(o.ca === undefined ? agentOptions : { ...agentOptions, ca: o.ca });
      this.#request = httpsRequest as unknown as typeof httpRequest;
    } else {
      this.#agent = new HttpAgent(agentOptions);
      this.#request = httpRequest;
    }
  }

  async put(name: string, bundle: Uint8Array, options: CallOptions = {}): Promise<void> {
    const checked = checkPut(name, bundle, this.maxBundleBytes);
    const what = `store ${checked}`;
    await this.#exchange("PUT", this.#bundleUrl(checked), bundle, what, options.signal, async (res) => {
      await this.#expect(res, [200, 201, 204], what);
      await readBounded(res, MAX_ERROR_BODY, "answer");
    });
  }

  async list(since?: string, options: CallOptions = {}): Promise<MailboxListing> {
    if (since !== undefined && (typeof since !== "string" || since.length > MAX_CURSOR_LENGTH)) throw httpMailboxError("MAILBOX_BAD_CURSOR", "the list cursor is not one this mailbox issued");
    // The whole namespace, with no cursor in the request: see the module comment.
    const names = await this.#exchange("GET", this.#mailboxUrl(), undefined, "list the mailbox", options.signal, async (res) => {
      await this.#expect(res, [200], "list the mailbox");
      const text = Buffer.from(await readBounded(res, MAX_LISTING_BYTES, "listing")).toString("utf8");
      return parseListing(text);
    });
    this.#index.reconcile(new Set(names));
    return this.#index.list(since);
  }

  async get(name: string, options: CallOptions = {}): Promise<Uint8Array | undefined> {
    const checked = checkName(name);
    const what = `fetch ${checked}`;
    return this.#exchange("GET", this.#bundleUrl(checked), undefined, what, options.signal, async (res) => {
      if (res.statusCode === 404) {
        const code = await errorCode(res);
        if (code === "MAILBOX_NOT_FOUND") return undefined;
        await this.#expect(res, [200], what, { code });
      }
      await this.#expect(res, [200], what);
      const bytes = await readBounded(res, this.maxBundleBytes, "bundle");
      if (mailboxNameFor(bytes) !== checked) {
        throw httpMailboxError("MAILBOX_DIGEST_MISMATCH", `the mailbox server returned bytes for ${checked} that hash to something else`);
      }
      return bytes;
    });
  }

  async delete(name: string, options: CallOptions = {}): Promise<void> {
    const checked = checkName(name);
    const what = `delete ${checked}`;
    await this.#exchange("DELETE", this.#bundleUrl(checked), undefined, what, options.signal, async (res) => {
      await this.#expect(res, [200, 204], what);
      await readBounded(res, MAX_ERROR_BODY, "answer");
    });
    // Stored again later, it is new to this client's cursors (as a dir: folder's index would have it).
    this.#index.remove(checked);
  }

  /** Closes pooled connections (and their tor streams). The backend stays usable. */
  close(): void {
    this.#agent.destroy();
  }

  #mailboxUrl(): URL {
    return new URL(`${API_PREFIX.slice(1)}${this.#namespace}`, this.#base);
  }

  #bundleUrl(name: MailboxName): URL {
    return new URL(`${API_PREFIX.slice(1)}${this.#namespace}/${name}`, this.#base);
  }

  /**
   * One request and the handling of its answer under the request's total deadline (and the
   * caller's signal): when either fires, the request and its socket are destroyed and the call
   * rejects with the signal's typed reason, whether the server is silent or trickling. A call
   * that ends before the answer's body was read to its end (an error, a body past its bound)
   * destroys the answer too, so nothing keeps streaming once the call returned.
   */
  async #exchange<T>(method: string, url: URL, body: Uint8Array | undefined, what: string, outer: AbortSignal | undefined, handle: (res: IncomingMessage) => Promise<T>): Promise<T> {
    throwIfAborted(outer);
    const { signal, done } = deadlineSignal(this.#deadlineMs, outer, `${what} on ${this.#where()}`);
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    const onAbort = (): void => {
      const e = abortError(signal);
      res?.destroy(e);
      req?.destroy(e);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const work = this.#send(method, url, body, signal, (r) => (req = r)).then((r) => {
        res = r;
        return handle(r);
      });
      return await raceAbort(work, signal);
    } finally {
      signal.removeEventListener("abort", onAbort);
      done();
      if (res !== undefined && !res.complete) res.destroy();
    }
  }

  /**
   * Sends one request; resolves with its answer's head. A request on a kept-alive connection the
   * server closed (its keep-alive timeout, or to make room when full: docs/http-mailbox.md,
   * "Making room") fails with a reset or "socket hang up" before any byte of an answer; the
   * server never saw it, or saw it and closed without answering. It is sent once more, on a new
   * or another pooled connection: every mailbox request is safe to repeat (a PUT is of a
   * content-addressed name, already stored is 204; a DELETE of a missing bundle is 204; GETs and
   * listings change nothing). Only once, only on a reused socket (a fresh connection's reset is
   * the server's answer) and never after the deadline fired.
   */
  #send(method: string, url: URL, body: Uint8Array | undefined, signal: AbortSignal, started: (req: ClientRequest) => void, retry = true): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Authorization: this.#authorization, Accept: "application/json, application/octet-stream" };
      if (body !== undefined) {
        headers["Content-Type"] = "application/octet-stream";
        headers["Content-Length"] = String(body.length);
      }
      const req = this.#request(url, { method, headers, agent: this.#agent, timeout: this.#timeoutMs });
      started(req);
      let answered = false;
      req.on("timeout", () => req.destroy(httpMailboxError("MAILBOX_TIMEOUT", `no answer from ${this.#where()} within ${this.#timeoutMs} ms`)));
      req.on("error", (e) => {
        if (retry && !answered && req.reusedSocket && !signal.aborted && isStaleConnectionError(e)) {
          resolve(this.#send(method, url, body, signal, started, false));
        } else if (isAirlockError(e)) reject(e);
        else if (isTlsVerifyError(e)) reject(httpMailboxError("MAILBOX_TLS", `the TLS certificate of ${this.#where()} is not trusted: ${e.message}`, e));
        else reject(httpMailboxError("MAILBOX_UNREACHABLE", `cannot reach ${this.#where()}: ${e.message}`, e));
      });
      req.on("response", (res) => {
        answered = true;
        // The socket's idle timeout keeps applying while the body streams; #exchange's deadline caps a trickle.
        res.on("error", () => undefined);
        resolve(res);
      });
      req.end(body);
    });
  }

  /** Throws the typed error for a status outside `ok`; `known` is the error code if the body was already read. */
  async #expect(res: IncomingMessage, ok: readonly number[], what: string, known?: { code: string | undefined }): Promise<void> {
    const status = res.statusCode ?? 0;
    if (ok.includes(status)) return;
    const code = known !== undefined ? known.code : await errorCode(res);
    const message = `cannot ${what} on ${this.#where()}: HTTP ${status}`;
    if (status === 401 || status === 403) throw httpMailboxError("MAILBOX_AUTH", message);
    if (status === 429) throw httpMailboxError("MAILBOX_RATE_LIMITED", `${message}${retryAfter(res)}`);
    if (status === 413) throw httpMailboxError("MAILBOX_TOO_LARGE", message);
    if (code !== undefined && PASSED_THROUGH_CODES.has(code)) throw httpMailboxError(code as HttpMailboxErrorCode, message);
    if (status >= 500) throw httpMailboxError("MAILBOX_SERVER", message);
    throw httpMailboxError("MAILBOX_PROTOCOL", `${message}${code === undefined ? "" : ` (${code})`}`);
  }

  #where(): string {
    return this.#base.host;
  }
}

/**
 * A kept-alive connection closed under a request: node's "socket hang up" (code ECONNRESET too),
 * a reset, or a write into the closed socket. Our own errors (a timeout, the deadline) are not.
 */
function isStaleConnectionError(e: Error): boolean {
  if (isAirlockError(e)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "EPIPE";
}

/**
 * Node's certificate verification failures: OpenSSL's X509 verify codes (by name) and the
 * hostname check. A handshake that failed for another reason (a reset) stays MAILBOX_UNREACHABLE.
 */
function isTlsVerifyError(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code ?? "";
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|CHAIN|ISSUER/.test(code); // CERT covers ERR_TLS_CERT_ALTNAME_INVALID
}

/**
 * The `error` code of a JSON error body (bounded read), or undefined. Consumes the body; any
 * other body is dropped with its socket, not drained: an endless one would keep the courier
 * downloading after the call rejected, outside every deadline.
 */
async function errorCode(res: IncomingMessage): Promise<string | undefined> {
  if (!String(res.headers["content-type"] ?? "").startsWith("application/json")) {
    res.destroy();
    return undefined;
  }
  try {
    const parsed = JSON.parse(Buffer.from(await readBounded(res, MAX_ERROR_BODY, "error")).toString("utf8")) as unknown;
    const code = (parsed as { error?: unknown } | null)?.error;
    return typeof code === "string" && /^[A-Z_]{1,40}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function retryAfter(res: IncomingMessage): string {
  const value = res.headers["retry-after"];
  return typeof value === "string" && /^[0-9]{1,6}$/.test(value) ? ` (retry after ${value} s)` : "";
}

/** Reads a response body of at most `max` bytes, refusing early on a larger Content-Length. */
async function readBounded(res: IncomingMessage, max: number, what: string): Promise<Uint8Array> {
  const declared = res.headers["content-length"];
  const length = declared === undefined ? undefined : Number(declared);
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    res.destroy();
    throw httpMailboxError("MAILBOX_PROTOCOL", `the mailbox server sent a bad Content-Length for a ${what}`);
  }
  if (length !== undefined && length > max) {
    res.destroy();
    throw httpMailboxError("MAILBOX_TOO_LARGE", `the mailbox server offers a ${what} of ${length} bytes; at most ${max} are accepted`);
  }
  const out = new Uint8Array(length ?? Math.min(max, 64 * 1024));
  let buffer = out;
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (total + chunk.length > max) {
        res.destroy();
        throw httpMailboxError("MAILBOX_TOO_LARGE", `the mailbox server sent more than ${max} bytes for a ${what}`);
      }
      if (total + chunk.length > buffer.length) {
        const grown = new Uint8Array(Math.min(max, Math.max(buffer.length * 2, total + chunk.length)));
        grown.set(buffer.subarray(0, total));
        buffer = grown;
      }
      buffer.set(chunk, total);
      total += chunk.length;
    }
  } catch (e) {
    if (isAirlockError(e)) throw e;
    throw httpMailboxError("MAILBOX_UNREACHABLE", `the connection broke while reading a ${what}: ${(e as Error).message}`, e);
  }
  if (length !== undefined && total !== length) throw httpMailboxError("MAILBOX_UNREACHABLE", `the ${what} was cut short (${total} of ${length} bytes)`);
  return total === buffer.length ? buffer : buffer.slice(0, total);
}

/** The names of a listing; a `cursor` the server adds (servers before the client-side cursors send one) is ignored. */
function parseListing(text: string): MailboxName[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw httpMailboxError("MAILBOX_PROTOCOL", "the mailbox listing is not JSON");
  }
  const { names } = (parsed ?? {}) as { names?: unknown };
  if (!Array.isArray(names)) throw httpMailboxError("MAILBOX_PROTOCOL", "the mailbox listing does not have the expected shape");
  const seen = new Set<string>();
  for (const n of names) {
    // A hostile server could list paths or duplicates: the listing is checked like a folder would be.
    if (!isMailboxName(n)) throw httpMailboxError("MAILBOX_BAD_NAME", "the mailbox listing holds something that is not a bundle name");
    if (seen.has(n)) throw httpMailboxError("MAILBOX_PROTOCOL", "the mailbox listing names a bundle twice");
    seen.add(n);
  }
  return names as MailboxName[];
}
