import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isAirlockError, TransportKey } from "@airlock/shared";
import { startHttpMailboxFixture, TEST_NOW, type HttpMailboxFixture } from "../../test-support/http-mailbox.js";
import { blob, runMailboxAcceptanceTests } from "./acceptance.js";
import { HttpMailbox, httpMailboxCredentials, httpMailboxFromUrl } from "./http.js";
import { codeOf } from "../../test-support/errors.js";

const MAX = 64 * 1024;

runMailboxAcceptanceTests("http (real server on 127.0.0.1)", async () => {
  const fixture = await startHttpMailboxFixture({ maxBundleBytes: MAX });
  return { backend: fixture.backend, teardown: () => fixture.close() };
});

/** A hostile "mailbox" on 127.0.0.1 that answers every request with `respond`. */
async function hostileServer(respond: (res: import("node:http").ServerResponse, url: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    respond(res, req.url ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("http mailbox client", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  function clientOf(url: string, maxBundleBytes = MAX): HttpMailbox {
    const team = TransportKey.generate();
    const c = new HttpMailbox({ baseUrl: url, ...httpMailboxCredentials(team, team.epochAt(TEST_NOW)), maxBundleBytes, timeoutMs: 5_000 });
    cleanups.push(async () => c.close());
    return c;
  }

  it("reports a server that is not there as MAILBOX_UNREACHABLE", async () => {
    const dead = await hostileServer(() => undefined);
    await dead.close(); // the port is now closed
    expect(await codeOf(clientOf(dead.url).list())).toBe("MAILBOX_UNREACHABLE");
  });

  it("refuses bad URLs, namespaces and tokens up front", () => {
    const team = TransportKey.generate();
    const creds = httpMailboxCredentials(team, 1);
    expect(() => new HttpMailbox({ baseUrl: "ftp://x", ...creds })).toThrow(/mailbox URL/);
    expect(() => new HttpMailbox({ baseUrl: "http://u:p@x", ...creds })).toThrow(/mailbox URL/);
    expect(() => new HttpMailbox({ baseUrl: "http://x", namespace: "../etc", token: creds.token })).toThrow(/namespace/);
    expect(() => new HttpMailbox({ baseUrl: "http://x", namespace: creds.namespace, token: "secret" })).toThrow(/token/);
    expect(() => httpMailboxFromUrl("onion:example.onion", team, 1, { socksProxy: { host: "127.0.0.1", port: 9 } })).toThrow(/onion: mailbox URL/);
    expect(() => httpMailboxFromUrl(`onion:${"a".repeat(56)}.onion`, team, 1)).toThrow(/SOCKS/);
  });

  it("checks what a hostile server sends: digests, sizes, listings", async () => {
    const good = blob(100);
    const other = blob(100);
    let listings = 0;
    const evil = await hostileServer((res, url) => {
      if (url.endsWith(good.name)) {
        res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(other.bytes); // wrong bytes
      } else if (url.endsWith(other.name)) {
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(MAX + 1) }).end(); // announced too large
      } else if (++listings === 1) {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ names: ["../../etc/passwd"], cursor: "x" }));
      } else if (listings === 2) {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ names: [good.name, good.name], cursor: "x" }));
      } else {
        // A listing streamed without Content-Length that never ends within the bound.
        res.writeHead(200, { "Content-Type": "application/json" });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < 9 && res.write(chunk)) sent++;
          if (sent < 9) res.once("drain", pump);
          else res.end("{}");
        };
        pump();
      }
    });
    cleanups.push(evil.close);
    const c = clientOf(evil.url);
    expect(await codeOf(c.get(good.name))).toBe("MAILBOX_DIGEST_MISMATCH");
    expect(await codeOf(c.get(other.name))).toBe("MAILBOX_TOO_LARGE");
    expect(await codeOf(c.list())).toBe("MAILBOX_BAD_NAME");
    expect(await codeOf(c.list())).toBe("MAILBOX_PROTOCOL");
    expect(await codeOf(c.list())).toBe("MAILBOX_TOO_LARGE");
  });

  it("never sends a cursor the server chose: a per-client cursor (a tracking cookie across rounds) never comes back; 'since' is worked out by the client", async () => {
    const [a, b, c] = [blob(100), blob(100), blob(100)];
    const requests: string[] = [];
    let listed = [a.name];
    let cookie = 0;
    const evil = await hostileServer((res, url) => {
      requests.push(url);
      // A different cursor for every answer: a client that returned it would be recognised.
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ names: listed, cursor: `client-${++cookie}` }));
    });
    cleanups.push(evil.close);
    const client = clientOf(evil.url);
    const first = await client.list();
    expect(first.names).toEqual([a.name]);
    expect(first.cursor).not.toMatch(/client-/);
    listed = [b.name, a.name, c.name];
    const second = await client.list(first.cursor);
    expect(second.names.sort()).toEqual([b.name, c.name].sort());
    expect((await client.list(second.cursor)).names).toEqual([]);
    // Every request asked for the whole namespace, with nothing of the server's in it.
    expect(requests).toHaveLength(3);
    for (const r of requests) expect(r).toMatch(/^\/v1\/[0-9a-f]{32}$/);
    // A listing without a cursor (a server that sends none) is fine too; a damaged cursor is still refused before any request.
    listed = [a.name];
    expect(await codeOf(client.list("x".repeat(65)))).toBe("MAILBOX_BAD_CURSOR");
    expect(requests).toHaveLength(3);
  });

  it("tells a missing bundle from a 404 that means something else", async () => {
    const evil = await hostileServer((res) => {
      res.writeHead(404, { "Content-Type": "text/html" }).end("<h1>not here</h1>");
    });
    cleanups.push(evil.close);
    expect(await codeOf(clientOf(evil.url).get(blob().name))).toBe("MAILBOX_PROTOCOL");
  });

  it("maps server failures to typed errors without echoing the server's text", async () => {
    const evil = await hostileServer((res) => {
      res.writeHead(500, { "Content-Type": "text/plain" }).end("stack trace with secrets");
    });
    cleanups.push(evil.close);
    const error = await clientOf(evil.url).list().catch((e: unknown) => e);
    expect(isAirlockError(error, "MAILBOX_SERVER")).toBe(true);
    expect(String((error as Error).message)).not.toContain("secrets");
  });

  it("times out on a server that never answers (MAILBOX_TIMEOUT)", async () => {
    const silent = await hostileServer(() => undefined);
    cleanups.push(silent.close);
    const team = TransportKey.generate();
    const c = new HttpMailbox({ baseUrl: silent.url, ...httpMailboxCredentials(team, 1), timeoutMs: 200 });
    cleanups.push(async () => c.close());
    expect(await codeOf(c.list())).toBe("MAILBOX_TIMEOUT");
  });

  it("works through httpMailboxFromUrl against a real server", async () => {
    let fixture: HttpMailboxFixture | undefined;
    try {
      fixture = await startHttpMailboxFixture({ maxBundleBytes: MAX });
      const c = httpMailboxFromUrl(fixture.server.url, fixture.team, fixture.epoch, { maxBundleBytes: MAX });
      const b = blob();
      await c.put(b.name, b.bytes);
      expect(await fixture.backend.get(b.name)).toEqual(b.bytes);
      c.close();
    } finally {
      await fixture?.close();
    }
  });
});
