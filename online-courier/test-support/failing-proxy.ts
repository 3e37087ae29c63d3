/**
 * An HTTP proxy on 127.0.0.1 in front of a real HTTP mailbox server that fails the PUTs a test
 * picks (a 503, as a load balancer or an S3 gateway answers when overloaded) and records every
 * PUT it saw, failed or not: what an operator watching the mailbox's front door learns.
 */
import { createHash } from "node:crypto";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedPut {
  /** 1-based, in arrival order. */
  readonly index: number;
  readonly namespace: string;
  readonly name: string;
  /** SHA-256 (hex) of the body the proxy received. */
  readonly bodyDigest: string;
  readonly failed: boolean;
}

export interface FailingProxy {
  readonly url: string;
  readonly puts: RecordedPut[];
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export async function startFailingProxy(target: string, fail: (put: { index: number; name: string }) => boolean): Promise<FailingProxy> {
  const upstream = new URL(target);
  const puts: RecordedPut[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? "/";
      if (req.method === "PUT") {
        const [, , namespace = "", name = ""] = path.split("/");
        const index = puts.length + 1;
        const failed = fail({ index, name });
        puts.push({ index, namespace, name, bodyDigest: createHash("sha256").update(body).digest("hex"), failed });
        if (failed) {
          res.writeHead(503, { "Content-Type": "application/json", Connection: "close" }).end(JSON.stringify({ error: "MAILBOX_SERVER", message: "overloaded" }));
          return;
        }
      }
      const headers = { ...req.headers, host: upstream.host };
      const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on("error", () => res.destroy());
      forward.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    puts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
