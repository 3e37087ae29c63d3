/**
 * A raw TCP relay on 127.0.0.1 that records every byte in both directions: what a server really
 * received on the wire (request lines, headers, bodies), not what its handlers chose to keep.
 * Used by the split-custody test to check a network mailbox never receives plaintext or keys.
 */
import { createConnection, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface CaptureProxy {
  /** http://127.0.0.1:PORT, to use in place of the target's URL. */
  readonly url: string;
  /** Everything clients sent to the target, concatenated per connection in order. */
  received(): Buffer;
  /** Everything the target sent back. */
  sent(): Buffer;
  close(): Promise<void>;
}

export async function startCaptureProxy(target: { host: string; port: number }): Promise<CaptureProxy> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      // A reset on one side ends the pair; the test sees it as the client's error, not ours.
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (d: Buffer) => up.push(Buffer.from(d)));
    upstream.on("data", (d: Buffer) => down.push(Buffer.from(d)));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => Buffer.concat(up),
    sent: () => Buffer.concat(down),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
