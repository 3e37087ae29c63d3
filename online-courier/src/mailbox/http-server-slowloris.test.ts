/**
 * Slowloris against `airlock-courier serve`'s server, with raw sockets on loopback (Linux routes
 * all of 127.0.0.0/8 there, so a client socket bound to 127.0.0.N is another source address),
 * with a header timeout far beyond the test, so only the connection caps can make room:
 *  - one client (127.0.0.2) opens as many connections as the server takes in total and sends
 *    only partial headers: its share is capped per address;
 *  - eight addresses with eight half-sent requests each take every slot (R10): a new connection
 *    closes the oldest one still waiting for its headers;
 *  - uploads under way (headers complete, the body arriving) are never closed to make room.
 * An honest courier (127.0.0.1) still stores and lists.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { blob } from "./acceptance.js";
import { DEFAULT_SERVER_LIMITS } from "./http-server.js";
import { httpMailboxCredentials } from "./http.js";
import { startHttpMailboxFixture, type HttpMailboxFixture } from "../../test-support/http-mailbox.js";

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

describe("the mailbox server under slowloris", () => {
  it("caps one address's connections, so a client holding partial headers on every slot leaves room for an honest courier", async () => {
    const maxConnections = 8;
    const perAddress = 3;
    fixture = await startHttpMailboxFixture({
      limits: { maxConnections, maxConnectionsPerAddress: perAddress },
      // The header timeout alone would free the slots only after a minute.
      timeouts: { headersMs: 60_000, requestMs: 120_000, idleMs: 120_000 },
    });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const partial = `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nX-Slow: `;
    // One at a time, so the server sees them in this order (oldest first).
    const attack: Awaited<ReturnType<typeof holder>>[] = [];
    for (let i = 0; i < maxConnections; i++) attack.push(await holder(fixture.server.port, "127.0.0.2", partial));
    // Past its share, each new connection of the address closed its oldest one still sending
    // headers, without a timeout: the address holds its share, the newest.
    const closed: number[] = [];
    await new Promise<void>((resolve) =>
      attack.forEach((h, i) => void h.closed.then(() => (closed.push(i), closed.length === maxConnections - perAddress && resolve()))),
    );
    expect(closed.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4]);
    expect(fixture.server.stats().rejected).toBeGreaterThanOrEqual(maxConnections - perAddress);

    // The honest courier, from another address, is served while the attacker's sockets stay open.
    const b = blob(5000);
    await fixture.backend.put(b.name, b.bytes);
    expect((await fixture.backend.list()).names).toEqual([b.name]);
    expect(await fixture.backend.get(b.name)).toEqual(b.bytes);
    expect(attack.slice(-perAddress).every((h) => !h.socket.destroyed)).toBe(true);
    // And so is one from the attacker's own address (over tor every client shares one): it
    // takes the slot of that address's oldest holder.
    const same = await holder(fixture.server.port, "127.0.0.2", `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    expect(await received(same.socket, (text) => text.includes(b.name))).toMatch(/^HTTP\/1\.1 200 /);
    await attack[maxConnections - perAddress]!.closed;
  });

  it("when eight addresses hold every slot with half-sent requests, a new connection closes the oldest of them (R10)", async () => {
    const { maxConnections, maxConnectionsPerAddress: perAddress } = DEFAULT_SERVER_LIMITS;
    const addresses = maxConnections / perAddress; // 64 / 8: eight addresses fill the server exactly
    fixture = await startHttpMailboxFixture({
      limits: { maxConnections, maxConnectionsPerAddress: perAddress },
      // Far beyond the test: only room made by the caps can let the honest courier in.
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
    await fixture.backend.put(b.name, b.bytes);
    expect((await fixture.backend.list()).names).toEqual([b.name]);
    expect(await fixture.backend.get(b.name)).toEqual(b.bytes);
    // The oldest holder made room (the courier keeps its connection alive, so one is enough; a
    // few at most), the newest still hold theirs.
    await attack[0]!.closed;
    const open = attack.filter((h) => !h.socket.destroyed).length;
    expect(open).toBeGreaterThanOrEqual(maxConnections - 4);
    expect(attack.slice(-perAddress).every((h) => !h.socket.destroyed)).toBe(true);
    expect(fixture.server.stats().rejected).toBeGreaterThanOrEqual(1);
  });

  it("never closes an upload under way to make room: with every slot inside a request, the new connection is closed", async () => {
    const maxConnections = 3;
    fixture = await startHttpMailboxFixture({
      limits: { maxConnections, maxConnectionsPerAddress: maxConnections },
      timeouts: { headersMs: 600_000, requestMs: 600_000, idleMs: 600_000 },
    });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    // "Expect: 100-continue": node answers 100 once the headers are complete and the request is handled.
    const putHead = (name: string, length: number): string =>
      `PUT /v1/${namespace}/${name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`;
    const headEnds = (text: string): boolean => text.includes("\r\n\r\n");
    const bundles = [blob(5000), blob(5000)];
    // Two uploads with a valid token, opened first (the oldest), half their bodies sent.
    const uploads = [];
    for (const [i, b] of bundles.entries()) {
      const h = await holder(fixture.server.port, `127.0.0.${i + 2}`, putHead(b.name, b.bytes.length));
      const done = received(h.socket, (text) => / 204 /.test(text.split("\r\n\r\n")[1] ?? ""));
      expect(await received(h.socket, headEnds)).toMatch(/^HTTP\/1\.1 100 /);
      h.socket.write(b.bytes.subarray(0, 2500));
      uploads.push({ ...h, done });
    }
    // One half-sent request: the only connection that may be closed for a new one.
    const slow = await holder(fixture.server.port, "127.0.0.4", `GET /v1/${namespace} HTTP/1.1\r\nHost: x\r\nX-Slow: `);
    const b = blob(5000);
    await fixture.backend.put(b.name, b.bytes);
    const firstClosed = await Promise.race([slow.closed.then(() => "the half-sent request"), ...uploads.map((u, i) => u.closed.then(() => `upload ${i}`))]);
    expect(firstClosed).toBe("the half-sent request");
    // The courier's kept-alive connection is idle now; a third upload takes its slot (idle goes first) and is under way too.
    const third = await holder(fixture.server.port, "127.0.0.5", putHead(b.name, b.bytes.length));
    expect(await received(third.socket, headEnds)).toMatch(/^HTTP\/1\.1 100 /);
    // Every slot is inside a request: a new connection, even with a whole request, is closed unanswered.
    const refused = await holder(fixture.server.port, "127.0.0.6", "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await received(refused.socket, headEnds)).toBe("");
    // The uploads were not touched: they complete and are stored.
    for (const [i, u] of uploads.entries()) {
      expect(u.socket.destroyed).toBe(false);
      u.socket.write(bundles[i]!.bytes.subarray(2500));
      expect(await u.done).toMatch(/\r\n\r\nHTTP\/1\.1 204 /);
    }
    third.socket.destroy();
    expect([...(await fixture.backend.list()).names].sort()).toEqual([...bundles.map((x) => x.name), b.name].sort());
  });
});
