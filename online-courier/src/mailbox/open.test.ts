/**
 * openMailbox's network branches against real servers on 127.0.0.1: http:// straight to the
 * blind mailbox server, and onion: through a SOCKS5 relay standing in for tor's SOCKS port (it
 * records the destination it was asked for, then connects to the local server), which shows
 * the onion hostname reaches the proxy unresolved. The path through a real tor network is
 * src/tor/onion-network.test.ts; s3: against a real store is in courier.test.ts and s3.test.ts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket, connect } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAirlockError, TransportKey } from "@airlock/shared";
import { TEST_NOW } from "../../test-support/http-mailbox.js";
import { blob } from "./acceptance.js";
import { httpMailboxCredentials } from "./http.js";
import { startMailboxServer, type MailboxServer } from "./http-server.js";
import { DEFAULT_TOR_SOCKS, openMailbox, torSocksProxy } from "./open.js";

const ONION = `${"a".repeat(56)}.onion`;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function mailboxServer(team: TransportKey): Promise<MailboxServer> {
  const storageDir = await mkdtemp(join(tmpdir(), "airlock-open-"));
  const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir, teams: () => [team.mailboxServerKey()], now: () => TEST_NOW });
  cleanup.push(async () => {
    await server.close();
    await rm(storageDir, { recursive: true, force: true });
  });
  return server;
}

/**
 * A minimal SOCKS5 CONNECT relay that sends every connection to `targetPort` and records the
 * asked-for destinations. Like tor, it picks username/password (RFC 1929) when the client offers
 * it beside no-auth, and records per connection the credentials it got (undefined: none).
 */
async function socksRelay(targetPort: number): Promise<{ port: number; destinations: string[]; auths: ({ user: string; pass: string } | undefined)[] }> {
  const destinations: string[] = [];
  const auths: ({ user: string; pass: string } | undefined)[] = [];
  const server: Server = createServer((client: Socket) => {
    let buffer = Buffer.alloc(0);
    let stage: "greeting" | "auth" | "request" | "open" = "greeting";
    client.on("error", () => client.destroy());
    client.on("data", function onData(chunk: Buffer) {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === "greeting") {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]!) return;
        const userPass = buffer.subarray(2, 2 + buffer[1]!).includes(2);
        buffer = buffer.subarray(2 + buffer[1]!);
        client.write(Buffer.from([5, userPass ? 2 : 0]));
        if (!userPass) auths.push(undefined);
        stage = userPass ? "auth" : "request";
      }
      if (stage === "auth") {
        // VER=1 ULEN UNAME PLEN PASSWD
        if (buffer.length < 2 || buffer.length < 3 + buffer[1]! || buffer.length < 3 + buffer[1]! + buffer[2 + buffer[1]!]!) return;
        const ulen = buffer[1]!;
        const plen = buffer[2 + ulen]!;
        auths.push({ user: buffer.subarray(2, 2 + ulen).toString("latin1"), pass: buffer.subarray(3 + ulen, 3 + ulen + plen).toString("latin1") });
        buffer = buffer.subarray(3 + ulen + plen);
        client.write(Buffer.from([1, 0]));
        stage = "request";
      }
      if (stage === "request") {
        // VER CMD RSV ATYP=3 LEN HOST PORT: tor needs the name, so the client must send ATYP 3.
        if (buffer.length < 5 || buffer.length < 7 + buffer[4]!) return;
        const host = buffer[3] === 3 ? buffer.subarray(5, 5 + buffer[4]!).toString("latin1") : `atyp ${buffer[3]}`;
        destinations.push(`${host}:${buffer.readUInt16BE(5 + buffer[4]!)}`);
        const rest = buffer.subarray(7 + buffer[4]!);
        stage = "open";
        client.off("data", onData);
        const upstream = connect(targetPort, "127.0.0.1", () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          if (rest.length > 0) upstream.write(rest);
          client.pipe(upstream).pipe(client);
        });
        upstream.on("error", () => client.destroy());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, destinations, auths };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("openMailbox over the network", () => {
  it("http://HOST:PORT is the blind mailbox with the team's namespace and token for the epoch", async () => {
    const team = TransportKey.generate();
    const other = TransportKey.generate();
    const server = await mailboxServer(team);
    const epoch = team.epochAt(TEST_NOW);
    const box = openMailbox(server.url, httpMailboxCredentials(team, epoch));
    const b = blob(5000);
    await box.put(b.name, b.bytes);
    expect((await box.list()).names).toEqual([b.name]);
    expect(await box.get(b.name)).toEqual(b.bytes);
    // The epoch's token opens that epoch's namespace only, and a stranger's nothing.
    const wrongEpoch = { namespace: team.mailboxId(epoch), token: httpMailboxCredentials(team, epoch - 1).token };
    for (const ns of [wrongEpoch, httpMailboxCredentials(other, epoch)]) {
      const error = await openMailbox(`${server.url}/`, ns).list().catch((e: unknown) => e);
      expect(isAirlockError(error, "MAILBOX_AUTH"), String(error)).toBe(true);
    }
    box.close?.();
  });

  it("onion:ADDR goes through the SOCKS proxy, handing it the onion name unresolved", async () => {
    const team = TransportKey.generate();
    const server = await mailboxServer(team);
    const relay = await socksRelay(server.port);
    const box = openMailbox(`onion:${ONION}`, httpMailboxCredentials(team, team.epochAt(TEST_NOW)), { socksProxy: { host: "127.0.0.1", port: relay.port } });
    const b = blob(3000);
    await box.put(b.name, b.bytes);
    expect(await box.get(b.name)).toEqual(b.bytes);
    expect(relay.destinations[0]).toBe(`${ONION}:80`);
    box.close?.();
  });

  it("onion: gives tor distinct SOCKS credentials per namespace, so tor isolates each namespace's streams (R16)", async () => {
    const [a, b] = [TransportKey.generate(), TransportKey.generate()];
    const storageDir = await mkdtemp(join(tmpdir(), "airlock-open-"));
    const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir, teams: () => [a.mailboxServerKey(), b.mailboxServerKey()], now: () => TEST_NOW });
    cleanup.push(async () => {
      await server.close();
      await rm(storageDir, { recursive: true, force: true });
    });
    const relay = await socksRelay(server.port);
    const socksProxy = { host: "127.0.0.1", port: relay.port };
    const epoch = a.epochAt(TEST_NOW);
    // Two teams' namespaces, and the same team's namespace of the next epoch.
    const credentials = [httpMailboxCredentials(a, epoch), httpMailboxCredentials(b, epoch), httpMailboxCredentials(a, epoch + 1)];
    const boxes = credentials.map((ns) => openMailbox(`onion:${ONION}`, ns, { socksProxy }));
    const seen: { user: string; pass: string }[] = [];
    for (const box of boxes) {
      const before = relay.auths.length;
      const x = blob(1000);
      await box.put(x.name, x.bytes);
      expect((await box.list()).names).toEqual([x.name]);
      const got = relay.auths.slice(before);
      expect(got.length).toBeGreaterThan(0);
      // Every connection of one mailbox presents the same credentials.
      for (const auth of got) expect(auth).toEqual(got[0]);
      seen.push(got[0]!);
      box.close?.();
    }
    expect(new Set(seen.map((c) => `${c.user}\n${c.pass}`)).size).toBe(3);
    // Derived, not secret-bearing: neither the namespace nor the token is in them.
    for (const [i, c] of seen.entries()) {
      expect(c.user).toBe("airlock");
      expect(c.pass).toMatch(/^[0-9a-f]{32}$/);
      for (const ns of credentials) {
        expect(c.pass).not.toContain(ns.namespace.slice(0, 8));
        expect(c.pass).not.toContain(ns.token.slice(0, 8));
      }
      // The same mailbox opened again in this run gets the same ones (its circuits stay its own).
      const again = openMailbox(`onion:${ONION}`, credentials[i]!, { socksProxy });
      const before = relay.auths.length;
      await again.list();
      expect(relay.auths.slice(before)[0]).toEqual(c);
      again.close?.();
    }
  });

  it("onion: with tor's SOCKS port closed is MAILBOX_UNREACHABLE; the port comes from AIRLOCK_TOR_SOCKS", async () => {
    const port = await closedPort();
    const previous = process.env["AIRLOCK_TOR_SOCKS"];
    process.env["AIRLOCK_TOR_SOCKS"] = `127.0.0.1:${port}`;
    try {
      const team = TransportKey.generate();
      const error = await openMailbox(`onion:${ONION}`, httpMailboxCredentials(team, 1), { timeoutMs: 10_000 }).list().catch((e: unknown) => e);
      expect(isAirlockError(error, "MAILBOX_UNREACHABLE"), String(error)).toBe(true);
      expect(String((error as Error).message)).toContain(`127.0.0.1:${port}`);
    } finally {
      if (previous === undefined) delete process.env["AIRLOCK_TOR_SOCKS"];
      else process.env["AIRLOCK_TOR_SOCKS"] = previous;
    }
  });

  it("s3: refuses a malformed URL when opened, and reads credentials on first use (MAILBOX_CREDENTIALS when there are none)", async () => {
    const team = TransportKey.generate();
    const ns = httpMailboxCredentials(team, 1);
    let bad: unknown;
    try {
      openMailbox("s3://airlock-team?endpoint=ftp://127.0.0.1", ns);
    } catch (e) {
      bad = e;
    }
    expect(isAirlockError(bad, "MAILBOX_BAD_URL"), String(bad)).toBe(true);
    const home = await mkdtemp(join(tmpdir(), "airlock-open-s3-"));
    cleanup.push(() => rm(home, { recursive: true, force: true }));
    const saved = { id: process.env["AWS_ACCESS_KEY_ID"], secret: process.env["AWS_SECRET_ACCESS_KEY"] };
    delete process.env["AWS_ACCESS_KEY_ID"];
    delete process.env["AWS_SECRET_ACCESS_KEY"];
    try {
      // Opening succeeds (a status or ingest must not need S3 credentials); the first request reports them missing.
      const box = openMailbox(`s3://airlock-team?endpoint=http://127.0.0.1:${await closedPort()}`, ns, { home });
      const error = await box.list().catch((e: unknown) => e);
      expect(isAirlockError(error, "MAILBOX_CREDENTIALS"), String(error)).toBe(true);
    } finally {
      if (saved.id !== undefined) process.env["AWS_ACCESS_KEY_ID"] = saved.id;
      if (saved.secret !== undefined) process.env["AWS_SECRET_ACCESS_KEY"] = saved.secret;
    }
  });

  it("reads AIRLOCK_TOR_SOCKS as HOST:PORT, defaulting to tor's 127.0.0.1:9050, and refuses anything else", () => {
    expect(torSocksProxy({})).toEqual(DEFAULT_TOR_SOCKS);
    expect(torSocksProxy({ AIRLOCK_TOR_SOCKS: "" })).toEqual({ host: "127.0.0.1", port: 9050 });
    expect(torSocksProxy({ AIRLOCK_TOR_SOCKS: "10.0.0.2:9150" })).toEqual({ host: "10.0.0.2", port: 9150 });
    expect(torSocksProxy({ AIRLOCK_TOR_SOCKS: "[::1]:9050" })).toEqual({ host: "::1", port: 9050 });
    for (const bad of ["9050", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "socks5://127.0.0.1:9050"]) {
      let error: unknown;
      try {
        torSocksProxy({ AIRLOCK_TOR_SOCKS: bad });
      } catch (e) {
        error = e;
      }
      expect(isAirlockError(error, "COURIER_BAD_TOR_SOCKS"), bad).toBe(true);
    }
  });
});
