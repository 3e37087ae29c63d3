import { mkdir, readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isAirlockError, MAILBOX_PRUNE_AGE, TransportKey } from "@airlock/shared";
import { startHttpMailboxFixture, TEST_NOW, type HttpMailboxFixture } from "../../test-support/http-mailbox.js";
import { EPOCH_FILE, startMailboxServer } from "./http-server.js";
import { blob } from "./acceptance.js";
import { HttpMailbox, httpMailboxCredentials } from "./http.js";
import { codeOf } from "../../test-support/errors.js";

interface RawResponse {
  status: number;
  body: string;
  headers: import("node:http").IncomingHttpHeaders;
}

/** One request with full control over headers and body (what a hostile client would send). */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: Buffer | (() => AsyncIterable<Buffer>)): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (typeof body === "function") {
      void (async () => {
        try {
          for await (const chunk of body()) if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
          req.end();
        } catch {
          /* the server cut us off: the response tells the story */
        }
      })();
    } else {
      req.end(body);
    }
  });
}

/** Resolves when the server closes a raw TCP connection that sent `prefix` and then nothing. */
function closedAfterStalling(port: number, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(prefix));
    let got = "";
    socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
    socket.on("close", () => resolve(got));
    // A reset is the server closing on us too.
    socket.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? resolve(got) : reject(e)));
  });
}

describe("http mailbox server", () => {
  let fixture: HttpMailboxFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it("answers an unknown namespace, a wrong token and no token alike", async () => {
    fixture = await startHttpMailboxFixture();
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const stranger = TransportKey.generate();
    const foreign = httpMailboxCredentials(stranger, fixture.epoch);
    const wrongToken = `${token.slice(0, 63)}${token[63] === "0" ? "1" : "0"}`;
    const cases = [
      { path: `/v1/${foreign.namespace}`, auth: `Bearer ${foreign.token}` }, // a namespace this server does not serve
      { path: `/v1/${namespace}`, auth: `Bearer ${wrongToken}` },
      { path: `/v1/${namespace}`, auth: `Bearer ${httpMailboxCredentials(fixture.team, fixture.epoch + 1).token}` }, // another epoch's token
      { path: `/v1/${namespace}`, auth: "" },
      { path: `/v1/${namespace}`, auth: `Basic ${token}` },
      { path: "/v1/not-a-namespace", auth: `Bearer ${token}` },
    ];
    const answers = await Promise.all(cases.map((c) => raw(fixture!.server.url, "GET", c.path, c.auth === "" ? {} : { Authorization: c.auth })));
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.body).toBe(answers[0]!.body);
    }
    expect(await codeOf(fixture.client({ token: wrongToken }).list())).toBe("MAILBOX_AUTH");
    expect(await codeOf(fixture.client({ namespace: foreign.namespace, token: foreign.token }).list())).toBe("MAILBOX_AUTH");
    expect((await raw(fixture.server.url, "GET", `/v1/${namespace}`, { Authorization: `Bearer ${token}` })).status).toBe(200);
    stranger.wipe();
  });

  it("serves every epoch in the window, and no epoch outside it", async () => {
    fixture = await startHttpMailboxFixture();
    const b = blob();
    await fixture.client({ epoch: fixture.epoch - 14 }).put(b.name, b.bytes);
    await fixture.client({ epoch: fixture.epoch + 1 }).put(b.name, b.bytes);
    expect(await codeOf(fixture.client({ epoch: fixture.epoch - 15 }).list())).toBe("MAILBOX_AUTH");
    expect(await codeOf(fixture.client({ epoch: fixture.epoch + 2 }).list())).toBe("MAILBOX_AUTH");
    // Namespaces are separate mailboxes.
    expect((await fixture.backend.list()).names).toEqual([]);
    expect((await fixture.client({ epoch: fixture.epoch - 14 }).list()).names).toEqual([b.name]);
  });

  it("rotates with the injected clock", async () => {
    let now = TEST_NOW;
    fixture = await startHttpMailboxFixture({ now: () => now });
    const today = fixture.client();
    const b = blob();
    await today.put(b.name, b.bytes);
    now += 15 * 86_400_000; // today's namespace falls out of the 14-epoch window
    expect(await codeOf(today.list())).toBe("MAILBOX_AUTH");
    now -= 86_400_000;
    expect((await today.list()).names).toEqual([b.name]);
  });

  it("stores only the opaque bytes, under the namespace, named by digest", async () => {
    fixture = await startHttpMailboxFixture();
    const b = blob(777);
    await fixture.backend.put(b.name, b.bytes);
    const { namespace } = httpMailboxCredentials(fixture.team, fixture.epoch);
    expect(await readdir(fixture.storageDir)).toEqual([namespace]);
    expect((await readdir(join(fixture.storageDir, namespace))).sort()).toEqual([EPOCH_FILE, b.name].sort());
    // The epoch its token was for, so the server can age the folder without computing mailbox ids.
    expect(JSON.parse(await readFile(join(fixture.storageDir, namespace, EPOCH_FILE), "utf8"))).toEqual({ epoch: fixture.epoch, epochSeconds: 86_400, team: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown });
    expect(new Uint8Array(await readFile(join(fixture.storageDir, namespace, b.name)))).toEqual(b.bytes);
  });

  it("refuses a body over the limit before reading it, and a chunked one without reading it", async () => {
    const limit = 4096;
    fixture = await startHttpMailboxFixture({ maxBundleBytes: limit, clientMaxBundleBytes: 1 << 20 });
    const big = blob(limit + 1);
    // The client allows more than the server: the server's refusal comes back typed.
    expect(await codeOf(fixture.backend.put(big.name, big.bytes))).toBe("MAILBOX_TOO_LARGE");
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const auth = { Authorization: `Bearer ${token}` };
    // Declares 1 GiB and sends nothing: refused on the header alone.
    const declared = await new Promise<string>((resolve, reject) => {
      const socket = connect(fixture!.server.port, "127.0.0.1", () =>
        socket.write(`PUT /v1/${namespace}/${big.name} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.Authorization}\r\nContent-Length: ${2 ** 30}\r\n\r\n`),
      );
      let got = "";
      socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
      socket.on("close", () => resolve(got));
      socket.on("error", reject);
    });
    expect(declared).toMatch(/^HTTP\/1\.1 413 /);
    expect(declared).toMatch(/MAILBOX_TOO_LARGE/);
    // Chunked, no length: refused before the body is read (16 MiB offered), so the size and quota
    // checks always see a declared length.
    const chunked = await raw(fixture.server.url, "PUT", `/v1/${namespace}/${big.name}`, { ...auth, "Transfer-Encoding": "chunked" }, async function* () {
      for (let i = 0; i < 256; i++) yield Buffer.alloc(64 * 1024, i);
    });
    expect(chunked.status).toBe(411);
    expect(fixture.server.stats().bytesIn).toBeLessThan(1 << 20);
    expect((await fixture.backend.list()).names).toEqual([]);
  });

  it("refuses bytes that do not match their name, and bad names, on the server too", async () => {
    fixture = await startHttpMailboxFixture();
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const auth = { Authorization: `Bearer ${token}` };
    const a = blob();
    const b = blob();
    const mismatch = await raw(fixture.server.url, "PUT", `/v1/${namespace}/${a.name}`, auth, Buffer.from(b.bytes));
    expect(mismatch.status).toBe(400);
    expect(JSON.parse(mismatch.body)).toMatchObject({ error: "MAILBOX_DIGEST_MISMATCH" });
    for (const bad of [`${a.name.toUpperCase()}`, `..%2F${a.name}`, "x"]) {
      const r = await raw(fixture.server.url, "GET", `/v1/${namespace}/${bad}`, auth);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ error: "MAILBOX_BAD_NAME" });
    }
    expect((await raw(fixture.server.url, "GET", `/v1/${namespace}/a/b`, auth)).status).toBe(404);
    expect((await raw(fixture.server.url, "POST", `/v1/${namespace}`, auth)).status).toBe(405);
    expect(existsSync(join(fixture.storageDir, namespace))).toBe(false); // nothing stored, not even a folder
  });

  it("limits requests per client address per minute of the injected clock", async () => {
    let now = TEST_NOW;
    fixture = await startHttpMailboxFixture({ now: () => now, limits: { maxRequestsPerMinute: 5 } });
    for (let i = 0; i < 5; i++) await fixture.backend.list();
    const error = await fixture.backend.list().catch((e: unknown) => e);
    expect(isAirlockError(error, "MAILBOX_RATE_LIMITED")).toBe(true);
    expect(String((error as Error).message)).toMatch(/retry after 60 s/);
    // Unauthenticated floods count too (they cost the server an HMAC each).
    expect((await raw(fixture.server.url, "GET", "/v1/x", {})).status).toBe(429);
    now += 60_000;
    expect((await fixture.backend.list()).names).toEqual([]);
    expect(fixture.server.stats().rejected).toBe(2);
  });

  it("drops a client that sends its headers too slowly (slowloris)", async () => {
    fixture = await startHttpMailboxFixture({ timeouts: { headersMs: 300, requestMs: 600, idleMs: 5_000 } });
    const { namespace } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const got = await closedAfterStalling(fixture.server.port, `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nX-Slow: `);
    expect(got === "" || got.startsWith("HTTP/1.1 408")).toBe(true);
    // The server still serves others afterwards.
    expect((await fixture.backend.list()).names).toEqual([]);
  });

  it("drops a client that stalls in the middle of a body", async () => {
    fixture = await startHttpMailboxFixture({ timeouts: { headersMs: 300, requestMs: 600, idleMs: 5_000 } });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const b = blob(1000);
    await closedAfterStalling(
      fixture.server.port,
      `PUT /v1/${namespace}/${b.name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n${"x".repeat(10)}`,
    );
    expect((await fixture.backend.list()).names).toEqual([]);
  });

  it("answers a request target URL refuses with 400, not a logged 500", async () => {
    fixture = await startHttpMailboxFixture();
    const lines: string[] = [];
    const key = fixture.team.mailboxServerKey();
    const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir: fixture.storageDir, teams: () => [key], now: () => TEST_NOW, log: (l) => lines.push(l) });
    try {
      for (const target of ["http://[::1/v1/x", "http://a:99999/v1/x"]) {
        const answer = await new Promise<string>((resolve) => {
          let got = "";
          const socket = connect(server.port, "127.0.0.1", () => socket.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
          socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
          socket.on("close", () => resolve(got));
          socket.on("error", () => undefined);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 400 [\s\S]*"error":"MAILBOX_PROTOCOL"/);
      }
      expect(lines).toEqual([]);
      expect(server.stats().rejected).toBe(2);
    } finally {
      await server.close();
      key.wipe();
    }
  });

  // Found by fuzzing (npm run fuzz, http-mailbox): the "aborted" error was logged as a server failure.
  it("counts a client that hangs up mid-body as a bad request, not as a server failure", async () => {
    fixture = await startHttpMailboxFixture();
    const lines: string[] = [];
    const key = fixture.team.mailboxServerKey();
    const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir: fixture.storageDir, teams: () => [key], now: () => TEST_NOW, log: (l) => lines.push(l) });
    try {
      const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
      const b = blob(1000);
      const head = `PUT /v1/${namespace}/${b.name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n`;
      // Cut short: a declared length. (A body sent whole by a client that hangs up at once can also
      // race to "aborted" with the request already complete: the fuzz smoke test's http-mailbox
      // target meets that case.)
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, "127.0.0.1", () => socket.end(`${head}Content-Length: 1000\r\n\r\nxxxxxxxxxx`));
        socket.resume(); // read (and drop) the answer, or "close" never comes
        socket.on("close", () => resolve());
        socket.on("error", () => undefined);
      });
      // The parser's refusal and the handler's each count once; a 500 would count neither and log.
      await vi.waitFor(() => expect(server.stats().rejected).toBe(2));
      // Chunked bodies, cut after a chunk or after the last one, are refused (411) before a byte is read.
      for (const rest of ["Transfer-Encoding: chunked\r\n\r\n200\r\nxxxxxxxxxx", "Transfer-Encoding: chunked\r\n\r\n5\r\nxxxxx\r\n0\r\n"]) {
        const answer = await new Promise<string>((resolve) => {
          let got = "";
          const socket = connect(server.port, "127.0.0.1", () => socket.end(head + rest));
          socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
          socket.on("close", () => resolve(got));
          socket.on("error", () => undefined);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 411 /);
      }
      expect(server.stats().rejected).toBeGreaterThanOrEqual(4);
      expect(lines).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("bounds concurrent connections", async () => {
    fixture = await startHttpMailboxFixture({ limits: { maxConnections: 2 }, timeouts: { headersMs: 5_000, requestMs: 10_000, idleMs: 10_000 } });
    const holders = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<import("node:net").Socket>((resolve) => {
            const s = connect(fixture!.server.port, "127.0.0.1", () => resolve(s));
            s.on("error", () => undefined);
          }),
      ),
    );
    try {
      // The third connection is accepted by the kernel and closed by the server at once.
      const third = await closedAfterStalling(fixture.server.port, "GET / HTTP/1.1\r\n");
      expect(third).toBe("");
    } finally {
      for (const h of holders) h.destroy();
    }
    expect(fixture.server.stats().rejected).toBeGreaterThanOrEqual(1);
  });

  it("counts requests and bytes", async () => {
    fixture = await startHttpMailboxFixture();
    const b = blob(5000);
    await fixture.backend.put(b.name, b.bytes);
    await fixture.backend.get(b.name);
    const s = fixture.server.stats();
    expect(s.requests).toBe(2);
    expect(s.bytesIn).toBe(5000);
    expect(s.bytesOut).toBeGreaterThanOrEqual(5000);
    expect(s.rejected).toBe(0);
  });

  it("holds each namespace to its byte and bundle quotas with a typed 507, counts what it finds after a restart, and frees on delete", async () => {
    fixture = await startHttpMailboxFixture({ limits: { maxNamespaceBytes: 10_000, maxNamespaceBundles: 3 } });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const [a, b, c, d] = [4000, 4000, 1000, 1000].map((n) => blob(n)) as [ReturnType<typeof blob>, ReturnType<typeof blob>, ReturnType<typeof blob>, ReturnType<typeof blob>];
    await fixture.backend.put(a.name, a.bytes);
    await fixture.backend.put(b.name, b.bytes);
    // 8000 + 4000 > 10 000: refused, typed, and nothing stored.
    const big = blob(4000);
    expect(await codeOf(fixture.backend.put(big.name, big.bytes))).toBe("MAILBOX_QUOTA");
    const raw507 = await raw(fixture.server.url, "PUT", `/v1/${namespace}/${big.name}`, { Authorization: `Bearer ${token}` }, Buffer.from(big.bytes));
    expect(raw507.status).toBe(507);
    expect(JSON.parse(raw507.body)).toMatchObject({ error: "MAILBOX_QUOTA" });
    // Refused on the declared length alone: the server answers before any of the body arrives.
    const declared = await closedAfterStalling(
      fixture.server.port,
      `PUT /v1/${namespace}/${big.name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 5000\r\n\r\n`,
    );
    expect(declared).toMatch(/^HTTP\/1\.1 507 [\s\S]*MAILBOX_QUOTA/);
    // A bundle already stored is no new charge: putting it again still succeeds.
    await fixture.backend.put(a.name, a.bytes);
    await fixture.backend.put(c.name, c.bytes);
    // Three bundles is the count limit, whatever their size.
    expect(await codeOf(fixture.backend.put(d.name, d.bytes))).toBe("MAILBOX_QUOTA");
    expect((await fixture.backend.list()).names.sort()).toEqual([a.name, b.name, c.name].sort());
    // Another namespace has its own quota.
    await fixture.client({ epoch: fixture.epoch - 1 }).put(d.name, d.bytes);

    // A restarted server over the same folder counts what is there.
    const key = fixture.team.mailboxServerKey();
    const again = await startMailboxServer({
      listen: { host: "127.0.0.1", port: 0 },
      storageDir: fixture.storageDir,
      teams: () => [key],
      now: () => TEST_NOW,
      limits: { maxNamespaceBytes: 10_000, maxNamespaceBundles: 3 },
    });
    try {
      const client = new HttpMailbox({ baseUrl: again.url, namespace, token, timeoutMs: 20_000 });
      expect(await codeOf(client.put(d.name, d.bytes))).toBe("MAILBOX_QUOTA");
      await client.delete(c.name);
      await client.put(d.name, d.bytes);
      expect(await codeOf(client.put(big.name, big.bytes))).toBe("MAILBOX_QUOTA");
      client.close();
    } finally {
      await again.close();
      key.wipe();
    }
  });

  it("prunes a namespace by the epoch its token was for, and an unmarked old folder by its age", async () => {
    let now = TEST_NOW;
    fixture = await startHttpMailboxFixture({ now: () => now });
    const b = blob();
    await fixture.backend.put(b.name, b.bytes);
    const { namespace } = httpMailboxCredentials(fixture.team, fixture.epoch);
    // A folder an older server left without an epoch file: only its age tells.
    const legacy = join(fixture.storageDir, "ab".repeat(16));
    await mkdir(legacy);
    await writeFile(join(legacy, b.name), b.bytes);
    const legacyTime = new Date(TEST_NOW - 86_400_000);
    await utimes(legacy, legacyTime, legacyTime);
    now = TEST_NOW + (MAILBOX_PRUNE_AGE - 1) * 86_400_000;
    expect(await fixture.server.prune()).toBe(0);
    now = TEST_NOW + MAILBOX_PRUNE_AGE * 86_400_000;
    expect(await fixture.server.prune()).toBe(1);
    expect(existsSync(join(fixture.storageDir, namespace))).toBe(false);
    expect(existsSync(legacy)).toBe(true); // its last change may have come a window later
    now = TEST_NOW + (MAILBOX_PRUNE_AGE + 2) * 86_400_000;
    expect(await fixture.server.prune()).toBe(1);
    expect(await readdir(fixture.storageDir)).toEqual([]);
  });
});
