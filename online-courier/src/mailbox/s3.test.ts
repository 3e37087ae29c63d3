/**
 * The S3 mailbox against a real Ceph radosgw on 127.0.0.1, started once for this file (about
 * two seconds; see test-support/ceph.ts). Hostile-store cases write objects with a raw S3
 * client, as a compromised or corrupt store would.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blob, runMailboxAcceptanceTests } from "./acceptance.js";
import { mailboxNameFor } from "./backend.js";
import { MAX_S3_ANSWER_BYTES, MAX_S3_LISTING_BYTES, S3_USER_AGENT, S3Mailbox, type S3MailboxOptions } from "./s3.js";
import { cephUnavailableReason, startCeph, type CephCluster } from "../../test-support/ceph.js";
import { createBucket, randomNamespace, rawS3Client } from "../../test-support/s3-mailbox.js";
import { codeOf } from "../../test-support/errors.js";

const MAX = 64 * 1024;
const unavailable = cephUnavailableReason();
if (unavailable !== undefined) console.warn(`s3 mailbox tests skipped: ${unavailable}`);

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

describe.skipIf(unavailable !== undefined)("s3 mailbox on a local Ceph radosgw", () => {
  let cluster: CephCluster;
  let raw: S3Client;
  const bucket = "airlock-test";
  const opened: S3Mailbox[] = [];

  const mailbox = (o: Partial<S3MailboxOptions> = {}): S3Mailbox => {
    const m = new S3Mailbox({
      endpoint: cluster.endpoint,
      bucket,
      region: cluster.region,
      credentials: cluster.credentials,
      namespace: randomNamespace(),
      maxBundleBytes: MAX,
      ...o,
    });
    opened.push(m);
    return m;
  };

  beforeAll(async () => {
    cluster = await startCeph();
    console.info(`Ceph radosgw ready at ${cluster.endpoint} in ${cluster.startupMs} ms`);
    raw = rawS3Client(cluster);
    await createBucket(cluster, bucket);
  }, 120_000);

  afterAll(async () => {
    for (const m of opened) m.close();
    raw?.destroy();
    await cluster?.stop();
  });

  // A fresh namespace per test is a fresh, empty mailbox in the shared bucket.
  runMailboxAcceptanceTests("s3 (radosgw)", async () => {
    const backend = mailbox();
    return { backend, teardown: async () => backend.close() };
  });

  // Two keys per ListObjectsV2 page: every listing in the suite crosses pages, and each test
  // gets its own bucket created on first use.
  runMailboxAcceptanceTests("s3 (radosgw, 2-key pages, bucket created on demand)", async () => {
    const backend = mailbox({ bucket: `airlock-${randomBytes(6).toString("hex")}`, createBucket: true, listPageSize: 2 });
    return { backend, teardown: async () => backend.close() };
  });

  describe("s3 mailbox: a hostile or misconfigured store", () => {
    it("refuses an object whose bytes were replaced in the store (MAILBOX_DIGEST_MISMATCH)", async () => {
      const namespace = randomNamespace();
      const m = mailbox({ namespace });
      const a = blob(4096);
      await m.put(a.name, a.bytes);
      const flipped = a.bytes.slice();
      flipped[100] ^= 1;
      for (const tampered of [flipped, a.bytes.subarray(0, 4000), blob(4096).bytes, new Uint8Array(0)]) {
        await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${namespace}/${a.name}`, Body: tampered }));
        expect(await codeOf(m.get(a.name))).toBe("MAILBOX_DIGEST_MISMATCH");
      }
      // A put of the real bytes repairs it (the name fixes the bytes, so overwriting is safe).
      await m.put(a.name, a.bytes);
      expect(await m.get(a.name)).toEqual(a.bytes);
    });

    it("refuses an oversized object before buffering it (MAILBOX_TOO_LARGE), but still lists it", async () => {
      const namespace = randomNamespace();
      const m = mailbox({ namespace });
      for (const size of [MAX + 1, 4 * 1024 * 1024]) {
        const big = blob(size);
        await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${namespace}/${big.name}`, Body: big.bytes }));
        expect(await codeOf(m.get(big.name))).toBe("MAILBOX_TOO_LARGE");
        expect((await m.list()).names).toContain(big.name);
      }
    });

    it("lists only well-named keys directly under its own namespace", async () => {
      const namespace = randomNamespace();
      const m = mailbox({ namespace });
      const real = blob();
      await m.put(real.name, real.bytes);
      const other = blob();
      const junk = [
        `${namespace}/junk`,
        `${namespace}/${other.name.toUpperCase()}`,
        `${namespace}/${other.name}.tmp`,
        `${namespace}/sub/${other.name}`,
        `${namespace}${other.name}`,
        `${randomNamespace()}/${other.name}`,
        other.name,
      ];
      for (const key of junk) await raw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: other.bytes }));
      expect((await m.list()).names).toEqual([real.name]);
      expect(await m.get(other.name)).toBeUndefined();
    });

    it("pages through more than 1000 keys with the default page size", async () => {
      const namespace = randomNamespace();
      const m = mailbox({ namespace });
      const names: string[] = [];
      const queue = Array.from({ length: 1005 }, (_, i) => new Uint8Array(Buffer.from(`bundle ${i} ${namespace}`)));
      // Raw puts, 16 at a time: the store's content is what is under test here, not put().
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let bytes = queue.pop(); bytes !== undefined; bytes = queue.pop()) {
            const name = mailboxNameFor(bytes);
            names.push(name);
            await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${namespace}/${name}`, Body: bytes }));
          }
        }),
      );
      const first = await m.list();
      expect([...first.names].sort()).toEqual([...names].sort());
      const late = blob();
      await m.put(late.name, late.bytes);
      expect((await m.list(first.cursor)).names).toEqual([late.name]);
      // A restarted courier (new instance) with an old cursor gets everything again, not nothing.
      const restarted = mailbox({ namespace });
      expect((await restarted.list(first.cursor)).names).toHaveLength(1006);
      // A cap on entries is enforced across pages.
      expect(await codeOf(mailbox({ namespace, maxEntries: 1000 }).list())).toBe("MAILBOX_TOO_MANY");
    });

    it("lists a name deleted and re-stored by another courier between two lists", async () => {
      const namespace = randomNamespace();
      const m = mailbox({ namespace });
      const a = blob();
      const b = blob();
      await m.put(a.name, a.bytes);
      const l1 = await m.list();
      await raw.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${namespace}/${a.name}` }));
      const l2 = await m.list(l1.cursor);
      expect(l2.names).toEqual([]);
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${namespace}/${a.name}`, Body: a.bytes }));
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${namespace}/${b.name}`, Body: b.bytes }));
      expect([...(await m.list(l2.cursor)).names].sort()).toEqual([a.name, b.name].sort());
    });

    it("round-trips a multi-megabyte bundle", async () => {
      const m = mailbox({ maxBundleBytes: 8 * 1024 * 1024 });
      const big = blob(8 * 1024 * 1024);
      await m.put(big.name, big.bytes);
      // Buffer.equals, not toEqual: a deep compare of 8 M elements takes minutes.
      expect(Buffer.from((await m.get(big.name))!).equals(big.bytes)).toBe(true);
    });

    it("reports wrong credentials as MAILBOX_AUTH in every method, without echoing the secret", async () => {
      const a = blob();
      const secret = `WRONG${randomBytes(12).toString("hex")}`;
      const wrongSecret = mailbox({ credentials: { accessKeyId: cluster.credentials.accessKeyId, secretAccessKey: secret }, maxAttempts: 1 });
      const unknownKey = mailbox({ credentials: { accessKeyId: "AKNOSUCHUSER0000000", secretAccessKey: secret }, maxAttempts: 1 });
      for (const m of [wrongSecret, unknownKey]) {
        expect(await codeOf(m.put(a.name, a.bytes))).toBe("MAILBOX_AUTH");
        expect(await codeOf(m.list())).toBe("MAILBOX_AUTH");
        expect(await codeOf(m.get(a.name))).toBe("MAILBOX_AUTH");
        expect(await codeOf(m.delete(a.name))).toBe("MAILBOX_AUTH");
        const e = await errorOf(m.list());
        expect(`${e.message} ${(e as { hint?: string }).hint ?? ""}`).not.toContain(secret);
      }
    });

    it("reports another user's bucket as MAILBOX_AUTH", async () => {
      const stranger = await cluster.createUser("stranger");
      const m = mailbox({ credentials: stranger, maxAttempts: 1 });
      expect(await codeOf(m.list())).toBe("MAILBOX_AUTH");
      const a = blob();
      expect(await codeOf(m.put(a.name, a.bytes))).toBe("MAILBOX_AUTH");
    });

    it("reports a missing bucket as MAILBOX_NO_BUCKET unless asked to create it", async () => {
      const name = `airlock-missing-${randomBytes(4).toString("hex")}`;
      const a = blob();
      const m = mailbox({ bucket: name, maxAttempts: 1 });
      expect(await codeOf(m.list())).toBe("MAILBOX_NO_BUCKET");
      expect(await codeOf(m.put(a.name, a.bytes))).toBe("MAILBOX_NO_BUCKET");
      expect(await codeOf(m.get(a.name))).toBe("MAILBOX_NO_BUCKET");
      const creating = mailbox({ bucket: name, createBucket: true });
      await creating.put(a.name, a.bytes);
      // A second instance finds the bucket already there: fine.
      const again = mailbox({ bucket: name, createBucket: true, namespace: randomNamespace() });
      expect((await again.list()).names).toEqual([]);
    });
  });
});

describe("s3 mailbox: transport failures (no Ceph needed)", () => {
  const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret-0000" };
  let server: Server | undefined;
  afterAll(async () => {
    await new Promise((r) => (server === undefined ? r(undefined) : server.close(r)));
  });

  async function startServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function closeServer(): Promise<void> {
    const s = server;
    server = undefined;
    s?.closeAllConnections();
    await new Promise((r) => (s === undefined ? r(undefined) : s.close(r)));
  }

  it("reports a closed port as MAILBOX_UNREACHABLE", async () => {
    const endpoint = await startServer(() => undefined);
    await closeServer(); // the port is now (almost certainly) closed
    const m = new S3Mailbox({ endpoint, bucket: "airlock-test", credentials, namespace: randomNamespace(), maxAttempts: 1 });
    try {
      const a = blob();
      expect(await codeOf(m.list())).toBe("MAILBOX_UNREACHABLE");
      expect(await codeOf(m.put(a.name, a.bytes))).toBe("MAILBOX_UNREACHABLE");
      expect(await codeOf(m.get(a.name))).toBe("MAILBOX_UNREACHABLE");
    } finally {
      m.close();
    }
  });

  it("sends a User-Agent naming no kernel, Node or SDK version, and no x-amz-user-agent", async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    const endpoint = await startServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(500).end();
    });
    const m = new S3Mailbox({ endpoint, bucket: "airlock-ua", credentials, namespace: randomNamespace(), maxAttempts: 1 });
    try {
      await codeOf(m.list());
      const a = blob();
      await codeOf(m.put(a.name, a.bytes));
    } finally {
      m.close();
      await closeServer();
    }
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const h of seen) {
      expect(h["user-agent"]).toBe(S3_USER_AGENT);
      expect(h["x-amz-user-agent"]).toBeUndefined();
    }
  });

  // radosgw cannot be made to lie about lengths; a small hostile HTTP server on 127.0.0.1 can.
  it("cuts a body without Content-Length at maxBundleBytes, and refuses an over-announced one", async () => {
    const name = blob().name;
    let sent = 0;
    const endpoint = await startServer((req, res) => {
      req.resume();
      if (req.url?.includes("chunked") === true) {
        // Chunked, endless: only the cut can stop it.
        res.writeHead(200, { "content-type": "application/octet-stream" });
        const chunk = Buffer.alloc(16 * 1024);
        const write = (): void => {
          while (!res.destroyed && res.write(chunk)) sent += chunk.length;
          if (!res.destroyed) res.once("drain", write);
        };
        write();
      } else {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(1024 * 1024 * 1024) });
        res.write(Buffer.alloc(1024));
      }
    });
    try {
      const chunked = new S3Mailbox({ endpoint, bucket: "chunked", credentials, namespace: randomNamespace(), maxBundleBytes: MAX, maxAttempts: 1 });
      expect(await codeOf(chunked.get(name))).toBe("MAILBOX_TOO_LARGE");
      chunked.close();
      expect(sent).toBeLessThan(64 * 1024 * 1024);
      const announced = new S3Mailbox({ endpoint, bucket: "announced", credentials, namespace: randomNamespace(), maxBundleBytes: MAX, maxAttempts: 1 });
      expect(await codeOf(announced.get(name))).toBe("MAILBOX_TOO_LARGE");
      announced.close();
    } finally {
      await closeServer();
    }
  });

  it("refuses a truncated listing that gives no continuation token (no endless loop)", async () => {
    const endpoint = await startServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated></ListBucketResult>`,
      );
    });
    try {
      const m = new S3Mailbox({ endpoint, bucket: "airlock-test", credentials, namespace: randomNamespace(), maxAttempts: 1 });
      expect(await codeOf(m.list())).toBe("MAILBOX_IO");
      m.close();
    } finally {
      await closeServer();
    }
  });

  // R9: the SDK buffers and parses a listing page (or an error document) whole. A hostile store
  // streams one far past the bound; the courier must stop reading at the bound, not at the end.
  it("stops reading a listing page, or an error answer, past its bound (MAILBOX_TOO_LARGE), then lists again", async () => {
    const namespace = randomNamespace();
    const total = 256 * 1024 * 1024; // what the store would send in all, far past the bound
    const entry = `<Contents><Key>${namespace}/${"ab".repeat(32)}.airlock</Key><Size>1</Size></Contents>`;
    const chunk = Buffer.from(entry.repeat(Math.ceil(65_536 / entry.length)));
    let mode: "listing" | "announced" | "error" | "honest" = "listing";
    let answered!: Promise<number>; // bytes the store wrote before the courier closed the connection
    const endpoint = await startServer((req, res) => {
      req.resume();
      if (mode === "honest") {
        res.writeHead(200, { "content-type": "application/xml" });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>airlock-test</Name><Prefix>${namespace}/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
        );
        return;
      }
      if (mode === "announced") {
        // A Content-Length past the bound is refused before a byte of the body is read.
        res.writeHead(200, { "content-type": "application/xml", "content-length": String(total) });
        res.write(Buffer.alloc(1024, " "));
        answered = new Promise((resolve) => res.on("close", () => resolve(0)));
        return;
      }
      const [status, head] = mode === "error" ? [500, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>`] : [200, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>airlock-test</Name><IsTruncated>false</IsTruncated>`];
      res.writeHead(status, { "content-type": "application/xml" }); // chunked: no length to refuse early
      let sent = 0;
      answered = new Promise((resolve) => res.on("close", () => resolve(sent)));
      res.write(head);
      // Written as the courier reads (backpressure): the test never holds more than one chunk.
      const write = (): void => {
        while (!res.destroyed && sent < total && res.write(chunk)) sent += chunk.length;
        if (res.destroyed) return;
        if (sent >= total) res.end("</ListBucketResult>");
        else res.once("drain", () => ((sent += chunk.length), write()));
      };
      write();
    });
    const m = new S3Mailbox({ endpoint, bucket: "airlock-test", credentials, namespace, maxAttempts: 1 });
    try {
      const e = (await errorOf(m.list())) as Error & { code?: string; hint?: string };
      expect(e.code).toBe("MAILBOX_TOO_LARGE");
      expect(e.message).toContain(`sent more than ${MAX_S3_LISTING_BYTES} bytes (8192 KiB) for a listing page`);
      expect(e.message).toContain(`${new URL(endpoint).host} (bucket airlock-test)`);
      expect(e.hint).toMatch(/hostile or broken/);
      // The bound plus what the kernel's socket buffers held when the courier closed: not 256 MiB.
      expect(await answered).toBeLessThan(MAX_S3_LISTING_BYTES + 24 * 1024 * 1024);

      mode = "error"; // a 500 whose error document never ends: errors are bounded too, at 64 KiB
      const err = (await errorOf(m.list())) as Error & { code?: string };
      expect(err.code).toBe("MAILBOX_TOO_LARGE");
      expect(err.message).toContain(`sent more than ${MAX_S3_ANSWER_BYTES} bytes (64 KiB) for an answer`);
      expect(await answered).toBeLessThan(MAX_S3_ANSWER_BYTES + 24 * 1024 * 1024);
      // A get's error answer (a 404 is parsed for NoSuchKey) is an answer like any other.
      expect(await codeOf(m.get(blob().name))).toBe("MAILBOX_TOO_LARGE");
      await answered;

      mode = "announced";
      expect(await codeOf(m.list())).toBe("MAILBOX_TOO_LARGE");
      await answered;

      // The failures were the store's answers, not the mailbox's state: an honest answer lists.
      mode = "honest";
      expect((await m.list()).names).toEqual([]);
    } finally {
      m.close();
      await closeServer();
    }
  }, 60_000);

  it("checks its options at construction", () => {
    const base = { endpoint: "http://127.0.0.1:9", bucket: "airlock-test", credentials, namespace: randomNamespace() };
    expect(() => new S3Mailbox({ ...base, namespace: "mailbox" })).toThrow(RangeError);
    expect(() => new S3Mailbox({ ...base, bucket: "Bad_Bucket" })).toThrow(RangeError);
    expect(() => new S3Mailbox({ ...base, listPageSize: 1001 })).toThrow(RangeError);
    expect(() => new S3Mailbox({ ...base, endpoint: "ftp://127.0.0.1" })).toThrow(/endpoint/);
    expect(() => new S3Mailbox({ ...base, credentials: { accessKeyId: "", secretAccessKey: "x" } })).toThrow(/credentials/);
  });
});
