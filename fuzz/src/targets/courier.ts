/** Targets over the courier's parsers of outside bytes: enrollments, and the HTTP mailbox server. */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE_ERROR_CODES, fillerBundle, sealBundle, x25519KeyPair } from "@airlock/bundle-format";
import { TransportKey } from "@airlock/shared";
import { openEnrollment } from "@airlock/online-courier/dist/src/home/enrollment.js";
import { mailboxNameFor } from "@airlock/online-courier/dist/src/mailbox/backend.js";
import { startMailboxServer } from "@airlock/online-courier/dist/src/mailbox/http-server.js";
import { alice, payloads, seedBytes, TAG } from "../fixtures.js";
import { FuzzInvariantError } from "../outcome.js";
import type { Target } from "../target.js";

/**
 * openEnrollment past its bundle: the input is the payload, sealed here to the courier's key
 * as `airlock courier-enroll` does. (Damaged sealed bytes are the bundle-open target's job.)
 */
export const enrollment: Target = {
  name: "enrollment",
  entry: "openEnrollment on a bundle sealing the input (online-courier home/enrollment.ts)",
  codes: ["COURIER_BAD_ENROLLMENT", "COURIER_NOT_FOR_ME", ...BUNDLE_ERROR_CODES],
  maxInput: 16 * 1024,
  cbor: true,
  async create() {
    const courier = x25519KeyPair(seedBytes("courier"));
    return {
      seeds: payloads(),
      run(input) {
        const sealed = sealBundle(input, { recipients: [courier.publicKey], sender: alice.device, mailboxTag: TAG });
        const p = openEnrollment(sealed, courier);
        return p.mailbox.length > 0 ? "with-mailbox" : "no-mailbox";
      },
    };
  },
};

const RESPONSE_TIMEOUT_MS = 5000;

/** Sends raw bytes on a fresh connection, half-closes, and collects everything until the server closes. */
function exchange(port: number, input: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.end(input));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new FuzzInvariantError(`no complete answer within ${RESPONSE_TIMEOUT_MS} ms`));
    }, RESPONSE_TIMEOUT_MS);
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    // The server may reset a connection it refused mid-request: what it sent before counts.
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "ECONNRESET" && e.code !== "EPIPE") {
        clearTimeout(timer);
        reject(e);
      }
    });
  });
}

/**
 * The blind HTTP mailbox server, driven over raw TCP on 127.0.0.1 with mutated requests made
 * from real, authenticated ones (a real transport key's namespace and bearer token, a real
 * bundle for PUT). A 5xx answer, a logged server failure, a crash, an answer naming a server path, or
 * no answer within 5 s is a finding. (A request cut short may get no answer: the client hung up.)
 */
export const httpMailbox: Target = {
  name: "http-mailbox",
  entry: "startMailboxServer request handling, raw requests over TCP (online-courier mailbox/http-server.ts)",
  codes: [],
  maxInput: 8 * 1024,
  cbor: false,
  async create() {
    const storageDir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "airlock-fuzz-http-"));
    const team = TransportKey.generate();
    const serverKey = team.mailboxServerKey();
    const serverLog: string[] = [];
    const server = await startMailboxServer({
      listen: { host: "127.0.0.1", port: 0 },
      storageDir,
      teams: () => [serverKey],
      limits: { maxBundleBytes: 64 * 1024, maxRequestsPerMinute: 1_000_000_000, maxConnections: 64 },
      timeouts: { headersMs: 2000, requestMs: 4000, idleMs: 4000 },
      log: (line) => serverLog.push(line),
    });
    const epoch = team.epochAt(Date.now());
    const ns = team.mailboxId(epoch);
    const auth = `Authorization: Bearer ${team.token(`http:${ns}`, epoch)}\r\n`;
    const bundle = fillerBundle({ mailboxTag: TAG, length: 1024 });
    const name = mailboxNameFor(bundle);
    const request = (head: string, body?: Uint8Array): Uint8Array => {
      const h = Buffer.from(head, "latin1");
      return body === undefined ? new Uint8Array(h) : new Uint8Array(Buffer.concat([h, body]));
    };
    const chunked = Buffer.concat([Buffer.from("200\r\n"), bundle.subarray(0, 512), Buffer.from("\r\n200\r\n"), bundle.subarray(512), Buffer.from("\r\n0\r\n\r\n")]);
    const seeds = [
      request(`PUT /v1/${ns}/${name} HTTP/1.1\r\nHost: m\r\n${auth}Content-Length: ${bundle.length}\r\n\r\n`, bundle),
      request(`PUT /v1/${ns}/${name} HTTP/1.1\r\nHost: m\r\n${auth}Transfer-Encoding: chunked\r\n\r\n`, chunked),
      request(`GET /v1/${ns} HTTP/1.1\r\nHost: m\r\n${auth}\r\n`),
      request(`GET /v1/${ns}?since=0123456789abcdef.3 HTTP/1.1\r\nHost: m\r\n${auth}\r\n`),
      request(`GET /v1/${ns}/${name} HTTP/1.1\r\nHost: m\r\n${auth}\r\n`),
      request(`DELETE /v1/${ns}/${name} HTTP/1.1\r\nHost: m\r\n${auth}\r\n`),
      request(`GET /v1/${ns}/${name} HTTP/1.1\r\nHost: m\r\nConnection: keep-alive\r\n${auth}\r\nGET /v1/${ns} HTTP/1.1\r\nHost: m\r\n${auth}\r\n`),
      request(`POST /v1/${ns}/${name} HTTP/1.0\r\n${auth}Content-Length: 3\r\n\r\nabc`),
    ];
    return {
      seeds,
      async run(input) {
        const before = serverLog.length;
        const answer = (await exchange(server.port, input)).toString("latin1");
        const statuses = [...answer.matchAll(/^HTTP\/1\.[01] (\d{3}) /gm)].map((m) => m[1]!);
        if (answer.includes(storageDir)) throw new FuzzInvariantError("an answer names the server's storage path");
        const failed = statuses.find((s) => s.startsWith("5"));
        if (failed !== undefined || serverLog.length > before) {
          throw new FuzzInvariantError(`server answered ${failed ?? "(logged a failure)"}: ${serverLog.slice(before).join(" | ").slice(0, 300)}`);
        }
        return statuses.join(",");
      },
      async close() {
        await server.close();
        await rm(storageDir, { recursive: true, force: true });
      },
    };
  },
};
