/**
 * Mailbox URLs → backends bound to one namespace. A team's namespace rotates each epoch
 * (TransportKey.mailboxId), so a store sees unlinkable mailboxes from one day to the next;
 * the courier opens one backend per (URL, namespace).
 *
 *   dir:PATH              a folder (USB, Syncthing); the namespace is a subfolder of PATH
 *   memory:NAME           in-process, for tests: every opener of the same NAME shares it
 *   http://HOST:PORT      the blind HTTP mailbox (airlock-courier serve); bearer token per namespace
 *   https://HOST:PORT     the same behind a TLS front; the certificate is always verified, against
 *                         the system's CAs or only the team's own CA (AIRLOCK_MAILBOX_CA=FILE)
 *   onion:ADDR.onion      the same, as a Tor onion service, through tor's SOCKS port
 *                         (AIRLOCK_TOR_SOCKS, default 127.0.0.1:9050; see docs/operations.md)
 *   s3://BUCKET?endpoint= an S3-compatible object store
 *
 * An s3: backend reads its credentials (AWS_* or `<home>/s3-credentials.json`, see s3-url.ts) on
 * first use: the lookup is asynchronous, and a courier that is only listing its status must not
 * fail on a missing credentials file.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { courierError } from "../errors.js";
import { DEFAULT_MAX_BUNDLE_BYTES, type CallOptions, type MailboxBackend, type MailboxListing } from "./backend.js";
import { DirMailbox } from "./dir.js";
import { resolveHome } from "../home/paths.js";
import { HttpMailbox } from "./http.js";
import { MemoryMailbox } from "./memory.js";
// The AWS SDK takes about half a second to load: only a courier that uses an s3: mailbox pays it.
import { loadS3Credentials, parseS3Url, type S3Credentials } from "./s3-url.js";

export interface MailboxNamespace {
  /** TransportKey.mailboxId(epoch): 32 lowercase hex digits. */
  readonly namespace: string;
  /** httpMailboxCredentials(tk, epoch).token: the bearer token for network stores. */
  readonly token: string;
}

export interface SocksProxy {
  readonly host: string;
  readonly port: number;
}

export interface OpenMailboxOptions {
  readonly maxBundleBytes?: number;
  /** tor's SOCKS port for onion: URLs (default: torSocksProxy(), i.e. AIRLOCK_TOR_SOCKS or 127.0.0.1:9050). */
  readonly socksProxy?: SocksProxy;
  /** Idle timeout per request of http:/onion: mailboxes (default: HttpMailbox's, 60 s, 120 s over tor). */
  readonly timeoutMs?: number;
  /** Total deadline per request of http:/onion:/s3: mailboxes (default 5 min, 10 min over tor). */
  readonly deadlineMs?: number;
  /** For s3:// URLs (default: loadS3Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else `<home>/s3-credentials.json`). */
  readonly s3Credentials?: S3Credentials;
  /** The courier home's folder, where s3-credentials.json is looked up (default: resolveHome()). */
  readonly home?: string;
  /** https:// mailboxes: the CA certificate(s), PEM, to verify against instead of the system's (default: mailboxCa(), i.e. the file AIRLOCK_MAILBOX_CA names, if set). */
  readonly ca?: string;
}

/** Tor's default SocksPort (Debian's system tor and the torrc in docs/http-mailbox.md). */
export const DEFAULT_TOR_SOCKS: SocksProxy = { host: "127.0.0.1", port: 9050 };
export const TOR_SOCKS_ENV = "AIRLOCK_TOR_SOCKS";

/**
 * Where the courier's tor listens for SOCKS: `AIRLOCK_TOR_SOCKS=HOST:PORT`, else 127.0.0.1:9050.
 * One setting per process, not per mailbox URL: every onion: mailbox goes through the same tor,
 * and the URL stays what the team shares (an address), not a detail of one machine's set-up.
 */
export function torSocksProxy(env: NodeJS.ProcessEnv = process.env): SocksProxy {
  const raw = env[TOR_SOCKS_ENV];
  if (raw === undefined || raw === "") return DEFAULT_TOR_SOCKS;
  const parsed = parseHostPort(raw);
  if (parsed === undefined || parsed.port === 0) {
    throw courierError("COURIER_BAD_TOR_SOCKS", `${TOR_SOCKS_ENV} wants HOST:PORT (tor's SocksPort), got ${JSON.stringify(raw.slice(0, 80))}`);
  }
  return parsed;
}

export const MAILBOX_CA_ENV = "AIRLOCK_MAILBOX_CA";
const MAX_CA_FILE_BYTES = 1024 * 1024;

/**
 * The CA a team runs for its https:// mailboxes: `AIRLOCK_MAILBOX_CA=FILE` (PEM, one or more
 * certificates), else undefined (the system's CAs). Given, it replaces the system's CAs for
 * https:// mailboxes, so only certificates it issued are accepted (pinned); it never turns
 * verification off. Like AIRLOCK_TOR_SOCKS, one setting per process: the URL stays what the
 * team shares. A file that cannot be read or holds no certificate is an error now, not a
 * silently unpinned connection (NODE_EXTRA_CA_CERTS only warns).
 */
export function mailboxCa(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env[MAILBOX_CA_ENV];
  if (file === undefined || file === "") return undefined;
  const bad = (why: string, cause?: unknown): never => {
    throw courierError("COURIER_BAD_MAILBOX_CA", `${MAILBOX_CA_ENV}=${JSON.stringify(file.slice(0, 200))}: ${why}`, cause);
  };
  let pem: string | undefined;
  try {
    pem = statSync(file).size <= MAX_CA_FILE_BYTES ? readFileSync(file, "utf8") : undefined;
  } catch (e) {
    return bad(`cannot read it: ${(e as Error).message}`, e);
  }
  if (pem === undefined) return bad(`larger than ${MAX_CA_FILE_BYTES} bytes: not a CA certificate file`);
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) bad("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (e) {
      bad(`holds a certificate that does not parse: ${(e as Error).message}`, e);
    }
  }
  return blocks.join("\n");
}

/** HOST:PORT or [IPv6]:PORT with a port 0..65535, else undefined. */
export function parseHostPort(text: string): SocksProxy | undefined {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65_535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

const memoryStores = new Map<string, MemoryMailbox>();

/** Empties every memory: store (tests). */
export function resetMemoryMailboxes(): void {
  memoryStores.clear();
}

const NAMESPACE = /^[0-9a-f]{32}$/;

export function openMailbox(url: string, ns: MailboxNamespace, opts: OpenMailboxOptions = {}): MailboxBackend {
  if (!NAMESPACE.test(ns.namespace)) throw new TypeError("a mailbox namespace is 32 lowercase hex digits");
  const kind = mailboxKind(url);
  const maxBundleBytes = opts.maxBundleBytes;
  const limit = maxBundleBytes === undefined ? {} : { maxBundleBytes };
  switch (kind) {
    case "dir": {
      const root = resolve(url.slice(4));
      // PATH itself must exist (a stick not mounted must fail, not silently fill the mount
      // point); the namespace subfolder is created by the first bundle put into it.
      let isFolder = false;
      try {
        isFolder = statSync(root).isDirectory();
      } catch (e) {
        throw courierError("COURIER_BAD_URL", `cannot use the mailbox folder ${url.slice(4)}: ${(e as Error).message}`, e);
      }
      if (!isFolder) throw courierError("COURIER_BAD_URL", `the mailbox path ${url.slice(4)} is not a folder`);
      const dir = join(root, ns.namespace);
      return new DirMailbox(dir, limit);
    }
    case "memory": {
      const key = `${url}\n${ns.namespace}`;
      let store = memoryStores.get(key);
      if (store === undefined) {
        store = new MemoryMailbox(limit);
        memoryStores.set(key, store);
      }
      return store;
    }
    case "http": {
      const ca = url.startsWith("https:") ? (opts.ca ?? mailboxCa()) : undefined;
      return new HttpMailbox({ baseUrl: url, namespace: ns.namespace, token: ns.token, ...limit, ...timeout(opts), ...(ca === undefined ? {} : { ca }) });
    }
    case "onion": {
      // The hostname is handed to tor unresolved (HttpMailbox's SOCKS agent); the onion service
      // itself encrypts end to end, so plain http:// inside it is what tor expects.
      const socksProxy = opts.socksProxy ?? torSocksProxy();
      return new HttpMailbox({ baseUrl: `http://${url.slice("onion:".length)}`, namespace: ns.namespace, token: ns.token, socksProxy, ...limit, ...timeout(opts) });
    }
    case "s3": {
      const location = parseS3Url(url); // a malformed URL fails now, not on first use
      const make = async (credentials: S3Credentials): Promise<MailboxBackend> => {
        const { S3Mailbox } = await import("./s3.js");
        return new S3Mailbox({ ...location, credentials, namespace: ns.namespace, ...limit, ...(opts.deadlineMs === undefined ? {} : { deadlineMs: opts.deadlineMs }) });
      };
      const given = opts.s3Credentials;
      const home = opts.home ?? resolveHome().root;
      return deferredBackend(maxBundleBytes, async () => make(given ?? (await loadS3Credentials({ home }))));
    }
  }
}

function timeout(opts: OpenMailboxOptions): { timeoutMs?: number; deadlineMs?: number } {
  return { ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }), ...(opts.deadlineMs === undefined ? {} : { deadlineMs: opts.deadlineMs }) };
}

export type MailboxKind = "dir" | "memory" | "http" | "onion" | "s3";

/** Checks a mailbox URL's form (not whether the store is reachable). */
export function mailboxKind(url: string): MailboxKind {
  if (typeof url === "string" && url.length <= 2048) {
    if (/^dir:.+/.test(url)) return "dir";
    if (/^memory:[A-Za-z0-9._-]{1,64}$/.test(url)) return "memory";
    // http:// and https:// are the same server (serve, or a TLS front before it): one kind.
    if (/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(url) || /^https?:\/\/\[[0-9a-fA-F:]+\](:\d{1,5})?\/?$/.test(url)) return "http";
    if (/^onion:[a-z2-7]{56}\.onion(:\d{1,5})?$/.test(url)) return "onion";
    if (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\?.*)?$/.test(url)) return "s3";
  }
  throw courierError("COURIER_BAD_URL", `${JSON.stringify(String(url).slice(0, 100))} is not a mailbox URL`);
}

/** A mailbox URL without any user:password part, for logs and status. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)[^@/]*@/, "$1***@");
}

/** A backend constructed on first use (after an asynchronous step such as reading credentials); a failed construction is retried next time. */
function deferredBackend(maxBundleBytes: number | undefined, make: () => Promise<MailboxBackend>): MailboxBackend {
  let backend: Promise<MailboxBackend> | undefined;
  const get = (): Promise<MailboxBackend> => {
    backend ??= make();
    backend.catch(() => (backend = undefined));
    return backend;
  };
  return {
    maxBundleBytes: maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES,
    put: async (name: string, bundle: Uint8Array, options?: CallOptions): Promise<void> => (await get()).put(name, bundle, options),
    list: async (since?: string, options?: CallOptions): Promise<MailboxListing> => (await get()).list(since, options),
    get: async (name: string, options?: CallOptions): Promise<Uint8Array | undefined> => (await get()).get(name, options),
    delete: async (name: string, options?: CallOptions): Promise<void> => (await get()).delete(name, options),
    close: (): void => {
      void backend?.then((b) => b.close?.(), () => undefined);
    },
  };
}
