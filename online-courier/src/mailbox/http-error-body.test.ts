/**
 * A failed call leaves nothing running (docs/http-mailbox.md, client errors): a hostile mailbox
 * that answers with an error and then an endless, trickled body must not keep the courier
 * downloading it after the call rejected, outside every deadline. A real server on 127.0.0.1.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TransportKey } from "@airlock/shared";
import { HttpMailbox, httpMailboxCredentials } from "./http.js";
import { codeOf } from "../../test-support/errors.js";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** Answers every request with `status` and `type`, then a KiB of junk every 10 ms, for ever; `closed` settles when the client hangs up. */
async function endlessErrorBody(status: number, type: string): Promise<{ url: string; closed: Promise<number> }> {
  let sent = 0;
  let resolveClosed!: (n: number) => void;
  const closed = new Promise<number>((r) => (resolveClosed = r));
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    res.writeHead(status, { "Content-Type": type });
    const timer = setInterval(() => {
      res.write(Buffer.alloc(1024, 0x41));
      sent += 1024;
    }, 10);
    res.on("close", () => {
      clearInterval(timer);
      resolveClosed(sent);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed };
}

describe("http mailbox client, an error answer with an endless body", () => {
  for (const [status, type, code] of [
    [500, "text/plain", "MAILBOX_SERVER"],
    [404, "text/html", "MAILBOX_PROTOCOL"],
  ] as const) {
    it(`${status} ${type}: the call rejects with ${code} and the response is dropped, not drained`, async () => {
      const server = await endlessErrorBody(status, type);
      const team = TransportKey.generate();
      // Long idle timeout and deadline: only destroying the response ends the download.
      const c = new HttpMailbox({ baseUrl: server.url, ...httpMailboxCredentials(team, 1), timeoutMs: 600_000, deadlineMs: 600_000 });
      closers.push(() => c.close());
      const call = status === 404 ? c.get(`${"ab".repeat(32)}.airlock`) : c.list();
      expect(await codeOf(call)).toBe(code);
      // The assertion is that this settles: the client hung up. Without the fix it keeps reading
      // the trickle, this never settles, and the test fails on its timeout.
      await server.closed;
    }, 10_000);
  }
});
