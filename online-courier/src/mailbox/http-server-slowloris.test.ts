/**
 * Slowloris against `airlock-courier serve`'s server, with raw sockets on loopback: one client
 * (127.0.0.2) opens as many connections as the server takes in total and sends only partial
 * headers, with a header timeout far beyond the test. Its share is capped per address, so an
 * honest courier (127.0.0.1) still stores and lists.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { blob } from "./acceptance.js";
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
});
