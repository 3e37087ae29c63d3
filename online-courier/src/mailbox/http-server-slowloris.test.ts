/**
 * Slowloris against `airlock-courier serve`'s server, with raw sockets on loopback: one client
 * (127.0.0.2) opens as many connections as the server takes in total and sends only partial
 * headers, with a header timeout far beyond the test. Its share is capped per address, so an
 * honest courier (127.0.0.1) still stores and lists.
 *
 * Making room when full (R10; docs/http-mailbox.md, "Making room"), with raw sockets from
 * 127.0.0.2-9 (Linux routes all of 127.0.0.0/8 to loopback) and the server's clock injected, so
 * the grace periods pass without waiting:
 *  - eight addresses with eight half-sent requests each take every slot: a new connection is
 *    closed until the holders are HEADERS_GRACE_MS old, then it closes the oldest holder;
 *  - a kept-alive connection just answered is not closed for a new one until IDLE_GRACE_MS;
 *  - a connection inside a request (an upload half sent) is never closed for a new one.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { blob } from "./acceptance.js";
import { DEFAULT_SERVER_LIMITS, HEADERS_GRACE_MS, IDLE_GRACE_MS } from "./http-server.js";
import { httpMailboxCredentials } from "./http.js";
import { startHttpMailboxFixture, TEST_NOW, type HttpMailboxFixture } from "../../test-support/http-mailbox.js";
import { codeOf } from "../../test-support/errors.js";

let fixture: HttpMailboxFixture | undefined;
let sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets = [];
  await fixture?.close();
  fixture = undefined;
});

/** A connection from `localAddress` that sends `partial` and then nothing; resolves once connected. */
function holder(port: number, localAddress: string, partial: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress });
    sockets.push(socket);
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    socket.on("error", () => undefined);
    socket.once("connect", () => {
      socket.write(partial);
      resolve({ socket, closed });
    });
    socket.once("error", reject);
  });
}

/** What `socket` received once `done(received)` holds or the socket closed, whichever comes first. */
function received(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const check = (): void => {
      if (done(text)) resolve(text);
    };
    socket.on("data", (d: Buffer) => ((text += d.toString("latin1")), check()));
    socket.once("close", () => resolve(text));
    check();
  });
}

/** Whether `text` holds `count` whole answers (each without a body or with a Content-Length). */
function answers(count: number): (text: string) => boolean {
  return (text) => {
    let rest = text;
    for (let i = 0; i < count; i++) {
      const end = rest.indexOf("\r\n\r\n");
      if (end < 0) return false;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0);
      if (rest.length < end + 4 + length) return false;
      rest = rest.slice(end + 4 + length);
    }
    return true;
  };
}

/**
 * A server on `now`'s clock whose timeouts are far beyond the test, so only room the server makes
 * can let a connection in; its port, its team's namespace and token, and a whole list request.
 */
async function patientServer(now: () => number, limits: { maxConnections: number; maxConnectionsPerAddress: number }): Promise<{ server: HttpMailboxFixture; port: number; namespace: string; token: string; list: string }> {
  const server = await startHttpMailboxFixture({ now, limits, timeouts: { headersMs: 600_000, requestMs: 600_000, idleMs: 600_000 } });
  fixture = server;
  const { namespace, token } = httpMailboxCredentials(server.team, server.epoch);
  return { server, port: server.server.port, namespace, token, list: `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n` };
}

describe("the mailbox server under slowloris", () => {
  it("caps one address's connections, so a client holding partial headers on every slot leaves room for an honest courier", async () => {
    const maxConnections = 8;
    const perAddress = 3;
    fixture = await startHttpMailboxFixture({
      limits: { maxConnections, maxConnectionsPerAddress: perAddress },
      // The header timeout alone would free the slots only after a minute.
      timeouts: { headersMs: 60_000, requestMs: 120_000, idleMs: 120_000 },
    });
    const { namespace } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const partial = `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nX-Slow: `;
    const attack = await Promise.all(Array.from({ length: maxConnections }, () => holder(fixture!.server.port, "127.0.0.2", partial)));
    // Everything past the per-address share is closed by the server, without a timeout.
    await Promise.all(attack.slice(perAddress).map((h) => h.closed));
    expect(fixture.server.stats().rejected).toBeGreaterThanOrEqual(maxConnections - perAddress);

    // The honest courier, from another address, is served while the attacker's sockets stay open.
    const b = blob(5000);
    await fixture.backend.put(b.name, b.bytes);
    expect((await fixture.backend.list()).names).toEqual([b.name]);
    expect(await fixture.backend.get(b.name)).toEqual(b.bytes);
    expect(attack.slice(0, perAddress).every((h) => !h.socket.destroyed)).toBe(true);
  });

  it("when eight addresses hold every slot with half-sent requests, a new connection closes the oldest of them once it is past the headers grace (R10)", async () => {
    const { maxConnections, maxConnectionsPerAddress: perAddress } = DEFAULT_SERVER_LIMITS;
    const addresses = maxConnections / perAddress; // 64 / 8: eight addresses fill the server exactly
    let t = TEST_NOW;
    fixture = await startHttpMailboxFixture({
      now: () => t,
      limits: { maxConnections, maxConnectionsPerAddress: perAddress },
      // Far beyond the test: only room made by the server can let the honest courier in.
      timeouts: { headersMs: 600_000, requestMs: 600_000, idleMs: 600_000 },
    });
    const { namespace } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const partial = `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nX-Slow: `;
    // One at a time, so the server sees them in this order (oldest first).
    const attack: Awaited<ReturnType<typeof holder>>[] = [];
    for (let a = 0; a < addresses; a++) {
      for (let i = 0; i < perAddress; i++) attack.push(await holder(fixture.server.port, `127.0.0.${a + 2}`, partial));
    }
    const b = blob(5000);
    // The holders are young (their headers may still be on their way over tor): the courier is refused.
    expect(await codeOf(fixture.backend.put(b.name, b.bytes))).toBe("MAILBOX_UNREACHABLE");
    t += HEADERS_GRACE_MS - 1;
    expect(await codeOf(fixture.backend.put(b.name, b.bytes))).toBe("MAILBOX_UNREACHABLE");
    expect(attack.every((h) => !h.socket.destroyed)).toBe(true);
    // Past the grace, the courier's connection closes the oldest holder and is served.
    t += 1;
    await fixture.backend.put(b.name, b.bytes);
    expect((await fixture.backend.list()).names).toEqual([b.name]);
    expect(await fixture.backend.get(b.name)).toEqual(b.bytes);
    await attack[0]!.closed;
    // The courier keeps its connection alive, so one is enough (a few at most); the newest still hold theirs.
    expect(attack.filter((h) => !h.socket.destroyed).length).toBeGreaterThanOrEqual(maxConnections - 4);
    expect(attack.slice(-perAddress).every((h) => !h.socket.destroyed)).toBe(true);
  });

  it("does not close a kept-alive connection for a new one until it has been idle for the idle grace", async () => {
    let t = TEST_NOW;
    const { port, namespace, list } = await patientServer(() => t, { maxConnections: 2, maxConnectionsPerAddress: 2 });
    // An honest client on a kept-alive connection, just answered; a half-sent request fills the server.
    const honest = await holder(port, "127.0.0.2", list);
    expect(await received(honest.socket, answers(1))).toMatch(/^HTTP\/1\.1 200 /);
    const slow = await holder(port, "127.0.0.3", `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nX-Slow: `);
    // Neither may be closed yet: a whole request on a new connection is closed unanswered.
    t += IDLE_GRACE_MS - 1;
    const refused = await holder(port, "127.0.0.4", list);
    expect(await received(refused.socket, answers(1))).toBe("");
    // The honest connection is still there: its next request is answered on it. Its idle time starts again.
    const twice = received(honest.socket, answers(1));
    honest.socket.write(list);
    expect(await twice).toMatch(/^HTTP\/1\.1 200 /);
    t += IDLE_GRACE_MS - 1;
    const again = await holder(port, "127.0.0.5", list);
    expect(await received(again.socket, answers(1))).toBe("");
    // Idle for the grace: a new connection takes its slot (before the younger half-sent request's).
    t += 1;
    const served = await holder(port, "127.0.0.6", list);
    expect(await received(served.socket, answers(1))).toMatch(/^HTTP\/1\.1 200 /);
    await honest.closed;
    expect(slow.socket.destroyed).toBe(false);
  });

  it("past its own share an address closes its own longest idle connection at once, never another address's", async () => {
    const t = TEST_NOW;
    const { port, list } = await patientServer(() => t, { maxConnections: 3, maxConnectionsPerAddress: 2 });
    // A client with two kept-alive connections just answered (a courier's pool), and another address's one.
    const own: Awaited<ReturnType<typeof holder>>[] = [];
    for (const address of ["127.0.0.2", "127.0.0.2", "127.0.0.3"]) {
      const h = await holder(port, address, list);
      expect(await received(h.socket, answers(1))).toMatch(/^HTTP\/1\.1 200 /);
      own.push(h);
    }
    // The server is full and nobody is idle for the grace: another address is refused...
    const other = await holder(port, "127.0.0.4", list);
    expect(await received(other.socket, answers(1))).toBe("");
    // ...but the client at its share is not refused by its own idle connections: the oldest goes.
    const third = await holder(port, "127.0.0.2", list);
    expect(await received(third.socket, answers(1))).toMatch(/^HTTP\/1\.1 200 /);
    await own[0]!.closed;
    expect(own[1]!.socket.destroyed || own[2]!.socket.destroyed).toBe(false);
  });

  it("when the share is the total (serve --onion: every client is tor's address), a young idle connection is not closed for a new one", async () => {
    let t = TEST_NOW;
    const { port, list } = await patientServer(() => t, { maxConnections: 2, maxConnectionsPerAddress: 2 });
    const idle: Awaited<ReturnType<typeof holder>>[] = [];
    for (let i = 0; i < 2; i++) {
      const h = await holder(port, "127.0.0.2", list);
      expect(await received(h.socket, answers(1))).toMatch(/^HTTP\/1\.1 200 /);
      idle.push(h);
    }
    // Two couriers behind tor, both just answered: a third one's connection is refused.
    const refused = await holder(port, "127.0.0.2", list);
    expect(await received(refused.socket, answers(1))).toBe("");
    expect(idle.every((h) => !h.socket.destroyed)).toBe(true);
    // Idle for the grace, the longest idle one makes room.
    t += IDLE_GRACE_MS;
    const served = await holder(port, "127.0.0.2", list);
    expect(await received(served.socket, answers(1))).toMatch(/^HTTP\/1\.1 200 /);
    await idle[0]!.closed;
  });

  it("never closes a connection inside a request to make room, however old: the new connection is closed", async () => {
    let t = TEST_NOW;
    const { server, port, namespace, token } = await patientServer(() => t, { maxConnections: 2, maxConnectionsPerAddress: 2 });
    // "Expect: 100-continue": node answers 100 once the headers are complete and the request is handled.
    const putHead = (name: string, length: number): string =>
      `PUT /v1/${namespace}/${name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`;
    const bundles = [blob(5000), blob(5000)];
    const uploads = [];
    for (const [i, b] of bundles.entries()) {
      const h = await holder(port, `127.0.0.${i + 2}`, putHead(b.name, b.bytes.length));
      expect(await received(h.socket, answers(1))).toMatch(/^HTTP\/1\.1 100 /);
      const done = received(h.socket, answers(1));
      h.socket.write(b.bytes.subarray(0, 2500));
      uploads.push({ ...h, done });
    }
    t += 3_600_000;
    const refused = await holder(port, "127.0.0.4", `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    expect(await received(refused.socket, answers(1))).toBe("");
    // The uploads were not touched: they complete and are stored.
    for (const [i, u] of uploads.entries()) {
      expect(u.socket.destroyed).toBe(false);
      u.socket.write(bundles[i]!.bytes.subarray(2500));
      expect(await u.done).toMatch(/^HTTP\/1\.1 204 /);
    }
    // Answered, they are idle kept-alive connections: past the idle grace the courier takes a slot.
    t += IDLE_GRACE_MS;
    expect([...(await server.backend.list()).names].sort()).toEqual(bundles.map((x) => x.name).sort());
  });
});
