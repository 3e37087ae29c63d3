/**
 * A real HTTP mailbox server on 127.0.0.1 with a client backend for one team's current
 * namespace, for tests and the backend benchmark harness. Everything lives in a temp folder
 * that close() removes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TransportKey, type MailboxServerKey } from "@airlock/shared";
import type { MailboxBackend } from "../src/mailbox/backend.js";
import { HttpMailbox, httpMailboxCredentials } from "../src/mailbox/http.js";
import { startMailboxServer, type MailboxServer, type MailboxServerOptions } from "../src/mailbox/http-server.js";

/** A fixed moment (2026-01-01), so tests never read the wall clock for epochs. */
export const TEST_NOW = Date.UTC(2026, 0, 1);

export interface HttpMailboxFixture {
  readonly server: MailboxServer;
  readonly team: TransportKey;
  /** The key the server holds for `team` (the object its `teams()` returns). */
  readonly serverKey: MailboxServerKey;
  readonly epoch: number;
  readonly storageDir: string;
  readonly backend: HttpMailbox;
  /** A client of the same server for `team` at `epoch`, with other options. */
  client(options?: { maxBundleBytes?: number; token?: string; namespace?: string; epoch?: number }): HttpMailbox;
  close(): Promise<void>;
}

export async function startHttpMailboxFixture(
  options: { maxBundleBytes?: number; clientMaxBundleBytes?: number; now?: () => number } & Pick<MailboxServerOptions, "limits" | "timeouts"> = {},
): Promise<HttpMailboxFixture> {
  const storageDir = await mkdtemp(join(tmpdir(), "airlock-http-mailbox-"));
  const team = TransportKey.generate();
  // The server gets what `airlock-courier serve` gets: the mailbox server key, never the transport key.
  const serverKey = team.mailboxServerKey();
  const now = options.now ?? (() => TEST_NOW);
  const server = await startMailboxServer({
    listen: { host: "127.0.0.1", port: 0 },
    storageDir,
    teams: () => [serverKey],
    now,
    limits: { maxBundleBytes: options.maxBundleBytes, ...options.limits },
    timeouts: options.timeouts,
  });
  const epoch = team.epochAt(now());
  const clients: HttpMailbox[] = [];
  const client: HttpMailboxFixture["client"] = (o = {}) => {
    const creds = httpMailboxCredentials(team, o.epoch ?? epoch);
    const c = new HttpMailbox({
      baseUrl: server.url,
      namespace: o.namespace ?? creds.namespace,
      token: o.token ?? creds.token,
      maxBundleBytes: o.maxBundleBytes ?? options.clientMaxBundleBytes ?? options.maxBundleBytes,
      timeoutMs: 20_000,
    });
    clients.push(c);
    return c;
  };
  const backend = client();
  return {
    server,
    team,
    serverKey,
    epoch,
    storageDir,
    backend,
    client,
    close: async () => {
      for (const c of clients) c.close();
      await server.close();
      team.wipe();
      serverKey.wipe();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** For the backend benchmark harness: an HTTP mailbox over loopback with default limits raised for load. */
export async function startHttpMailboxForBench(): Promise<{ backend: MailboxBackend; close(): Promise<void> }> {
  const fixture = await startHttpMailboxFixture({
    now: Date.now,
    limits: { maxRequestsPerMinute: 1_000_000, maxConnections: 256 },
  });
  return { backend: fixture.backend, close: () => fixture.close() };
}
