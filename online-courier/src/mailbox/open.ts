/**
 * Mailbox URLs → backends bound to one namespace. A team's namespace rotates each epoch
 * (TransportKey.mailboxId), so a store sees unlinkable mailboxes from one day to the next;
 * the courier opens one backend per (URL, namespace).
 *
 *   dir:PATH              a folder (USB, Syncthing); the namespace is a subfolder of PATH
 *   memory:NAME           in-process, for tests: every opener of the same NAME shares it
 *   http://HOST:PORT      the blind HTTP mailbox (airlock-courier serve)
 *   onion:ADDR            the same, as a Tor onion service, through a SOCKS proxy
 *   s3://BUCKET?endpoint= an S3-compatible object store
 *
 * The HTTP and S3 clients are loaded on first use (dynamic import): a courier that only uses
 * folders never loads the AWS SDK, and this module does not depend on their code at build time.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { courierError } from "../errors.js";
import type { MailboxBackend, MailboxListing } from "./backend.js";
import { DirMailbox } from "./dir.js";
import { MemoryMailbox } from "./memory.js";

export interface MailboxNamespace {
  /** TransportKey.mailboxId(epoch): 32 lowercase hex digits. */
  readonly namespace: string;
  /** TransportKey.token("http:" + namespace, epoch): the bearer token for network stores. */
  readonly token: string;
}

export interface OpenMailboxOptions {
  readonly maxBundleBytes?: number;
  /** SOCKS proxy for onion: URLs (default Tor's 127.0.0.1:9050). */
  readonly socksProxy?: { host: string; port: number };
  /** For s3:// URLs (default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment). */
  readonly s3Credentials?: { accessKeyId: string; secretAccessKey: string };
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
  switch (kind) {
    case "dir": {
      const dir = join(resolve(url.slice(4)), ns.namespace);
      // The namespace folder is ours to create; PATH itself must exist (a stick not mounted
      // must fail, not silently fill the mount point).
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (e) {
        if ((e as { code?: unknown }).code !== "EEXIST") throw courierError("COURIER_BAD_URL", `cannot use the mailbox folder ${url.slice(4)}: ${(e as Error).message}`, e);
      }
      return new DirMailbox(dir, maxBundleBytes === undefined ? {} : { maxBundleBytes });
    }
    case "memory": {
      const key = `${url}\n${ns.namespace}`;
      let store = memoryStores.get(key);
      if (store === undefined) {
        store = new MemoryMailbox(maxBundleBytes === undefined ? {} : { maxBundleBytes });
        memoryStores.set(key, store);
      }
      return store;
    }
    case "http":
    case "onion": {
      const baseUrl = kind === "http" ? url : `http://${url.slice("onion:".length)}`;
      const socksProxy = kind === "onion" ? (opts.socksProxy ?? { host: "127.0.0.1", port: 9050 }) : undefined;
      const options = { baseUrl, namespace: ns.namespace, token: ns.token, ...(socksProxy === undefined ? {} : { socksProxy }), ...(maxBundleBytes === undefined ? {} : { maxBundleBytes }) };
      return lazyBackend(maxBundleBytes, async () => {
        const mod = (await importBackend("./http.js")) as { HttpMailbox: new (o: typeof options) => MailboxBackend };
        return new mod.HttpMailbox(options);
      });
    }
    case "s3": {
      const credentials = opts.s3Credentials ?? s3CredentialsFromEnv();
      return lazyBackend(maxBundleBytes, async () => {
        const mod = (await importBackend("./s3.js")) as {
          S3Mailbox: new (o: Record<string, unknown>) => MailboxBackend;
          parseS3Url: (u: string) => Record<string, unknown>;
        };
        return new mod.S3Mailbox({ ...mod.parseS3Url(url), credentials, namespace: ns.namespace, ...(maxBundleBytes === undefined ? {} : { maxBundleBytes }) });
      });
    }
  }
}

export type MailboxKind = "dir" | "memory" | "http" | "onion" | "s3";

/** Checks a mailbox URL's form (not whether the store is reachable). */
export function mailboxKind(url: string): MailboxKind {
  if (typeof url === "string" && url.length <= 2048) {
    if (/^dir:.+/.test(url)) return "dir";
    if (/^memory:[A-Za-z0-9._-]{1,64}$/.test(url)) return "memory";
    if (/^http:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(url) || /^http:\/\/\[[0-9a-fA-F:]+\](:\d{1,5})?\/?$/.test(url)) return "http";
    if (/^onion:[a-z2-7]{56}\.onion(:\d{1,5})?$/.test(url)) return "onion";
    if (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\?.*)?$/.test(url)) return "s3";
  }
  throw courierError("COURIER_BAD_URL", `${JSON.stringify(String(url).slice(0, 100))} is not a mailbox URL`);
}

/** A mailbox URL without any user:password part, for logs and status. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)[^@/]*@/, "$1***@");
}

function s3CredentialsFromEnv(): { accessKeyId: string; secretAccessKey: string } | undefined {
  const accessKeyId = process.env["AWS_ACCESS_KEY_ID"];
  const secretAccessKey = process.env["AWS_SECRET_ACCESS_KEY"];
  return accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined;
}

async function importBackend(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (e) {
    throw courierError("COURIER_BACKEND_MISSING", `the mailbox backend ${specifier} cannot be loaded: ${(e as Error).message}`, e);
  }
}

/** A backend whose implementation is constructed on first use. */
function lazyBackend(maxBundleBytes: number | undefined, make: () => Promise<MailboxBackend>): MailboxBackend {
  let backend: Promise<MailboxBackend> | undefined;
  const get = (): Promise<MailboxBackend> => {
    backend ??= make();
    backend.catch(() => (backend = undefined));
    return backend;
  };
  return {
    maxBundleBytes: maxBundleBytes ?? 64 * 1024 * 1024,
    put: async (name: string, bundle: Uint8Array): Promise<void> => (await get()).put(name, bundle),
    list: async (since?: string): Promise<MailboxListing> => (await get()).list(since),
    get: async (name: string): Promise<Uint8Array | undefined> => (await get()).get(name),
    delete: async (name: string): Promise<void> => (await get()).delete(name),
  };
}
