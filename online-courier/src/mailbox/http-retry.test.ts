/**
 * The client's one retry of a request on a kept-alive connection the server closed right as the
 * request arrived (a keep-alive timeout, or a full server making room: docs/http-mailbox.md,
 * "Making room"). A real server on 127.0.0.1 speaking HTTP/1.1 over raw sockets closes a
 * connection, without answering, when a request's first bytes arrive on it.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TransportKey } from "@airlock/shared";
import { TEST_NOW } from "../../test-support/http-mailbox.js";
import { codeOf } from "../../test-support/errors.js";
import { blob } from "./acceptance.js";
import { HttpMailbox, httpMailboxCredentials } from "./http.js";

interface Closer {
  readonly url: string;
  /** Connections opened, and requests answered, in order: "METHOD path". */
  readonly connections: number;
  readonly answered: string[];
  close(): Promise<void>;
}

/**
 * Answers like a mailbox (PUT and DELETE 204, a listing of nothing, a bundle not found), except
 * that a connection for which `kill(requestsAnsweredOnIt)` holds is destroyed when the next
 * request's first bytes arrive on it.
 */
async function closer(kill: (answeredOnConnection: number) => boolean): Promise<Closer> {
  const answered: string[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffered = Buffer.alloc(0);
    let onThis = 0;
    let fresh = true; // no byte of the next request seen yet
    socket.on("data", (chunk: Buffer) => {
      if (fresh && kill(onThis)) {
        socket.destroy();
        return;
      }
      fresh = false;
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.subarray(end + 4 + length);
      const [method = "", path = ""] = head.split(" ");
      answered.push(`${method} ${path}`);
      onThis++;
      fresh = true;
      const isList = path.split("/").length === 3; // /v1/<namespace>
      const json = (status: string, body: string): string => `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`;
      if (method === "GET" && isList) socket.write(json("200 OK", '{"names":[]}'));
      else if (method === "GET") socket.write(json("404 Not Found", '{"error":"MAILBOX_NOT_FOUND","message":"no bundle of that name"}'));
      else socket.write("HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    answered,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("http mailbox client, a kept-alive connection closed under a request", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  function clientOf(url: string): HttpMailbox {
    const team = TransportKey.generate();
    const c = new HttpMailbox({ baseUrl: url, ...httpMailboxCredentials(team, team.epochAt(TEST_NOW)), timeoutMs: 5_000 });
    cleanups.push(async () => c.close());
    return c;
  }

  it("sends each request once more, on a new connection, when the server closes a reused one as it arrives", async () => {
    // Every connection answers one request and is closed when the next one arrives on it.
    const server = await closer((answeredOnIt) => answeredOnIt >= 1);
    cleanups.push(() => server.close());
    const mb = clientOf(server.url);
    const b = blob(3000);
    expect((await mb.list()).names).toEqual([]);
    // Each of these goes out on the kept-alive connection first, is cut, and is sent again.
    await mb.put(b.name, b.bytes);
    expect(await mb.get(b.name)).toBeUndefined();
    await mb.delete(b.name);
    expect((await mb.list()).names).toEqual([]);
    expect(server.answered.map((a) => a.split(" ")[0])).toEqual(["GET", "PUT", "GET", "DELETE", "GET"]);
    expect(server.connections).toBe(5);
  });

  it("does not retry a reset on a new connection: that is the server's answer", async () => {
    const server = await closer(() => true);
    cleanups.push(() => server.close());
    expect(await codeOf(clientOf(server.url).list())).toBe("MAILBOX_UNREACHABLE");
    expect(server.connections).toBe(1);
  });

  it("retries only once: a request cut on two reused connections in a row fails", async () => {
    const server = await closer((answeredOnIt) => answeredOnIt >= 1);
    cleanups.push(() => server.close());
    const mb = clientOf(server.url);
    // Two connections kept alive in the client's pool: the request and its retry both reuse one.
    await Promise.all([mb.list(), mb.list()]);
    expect(server.connections).toBe(2);
    expect(await codeOf(mb.list())).toBe("MAILBOX_UNREACHABLE");
    expect(server.connections).toBe(2);
  });
});
