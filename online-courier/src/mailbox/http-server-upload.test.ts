/**
 * Uploads to `airlock-courier serve`'s server stream to a temp file while they are hashed, instead
 * of being buffered whole: a body still arriving is already on disk, a client that hangs up or
 * sends bytes that do not match the name leaves nothing behind, and a large bundle round-trips;
 * many at once in one namespace all land, and what is on disk is checked again before it is served.
 * Real server and raw sockets on 127.0.0.1.
 */
import { watch, type FSWatcher } from "node:fs";
import { lstat, readdir, symlink, unlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { blob } from "./acceptance.js";
import { TEMP_PREFIX } from "./dir.js";
import { httpMailboxCredentials } from "./http.js";
import { releaseChunk } from "./http-server.js";
import { startHttpMailboxFixture, type HttpMailboxFixture } from "../../test-support/http-mailbox.js";

let fixture: HttpMailboxFixture | undefined;
let sockets: Socket[] = [];
let watchers: FSWatcher[] = [];
afterEach(async () => {
  for (const w of watchers) w.close();
  for (const s of sockets) s.destroy();
  watchers = [];
  sockets = [];
  await fixture?.close();
  fixture = undefined;
});

const MIB = 1024 * 1024;

async function tempSizes(dir: string): Promise<number[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(TEMP_PREFIX));
  return Promise.all(names.map(async (n) => (await lstat(join(dir, n)).catch(() => undefined))?.size ?? 0));
}

/** Resolves once `test` holds for the folder, checked on every change inotify reports in it (and once at the start). */
function whenFolder(dir: string, test: (sizes: number[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const check = (): void => {
      void tempSizes(dir).then((sizes) => {
        if (!settled && test(sizes)) {
          settled = true;
          resolve();
        }
      });
    };
    watchers.push(watch(dir, check));
    check();
  });
}

describe("uploads to the mailbox server", () => {
  it("are on disk while the body still arrives, and a client that hangs up leaves no temp file", async () => {
    fixture = await startHttpMailboxFixture({ maxBundleBytes: 8 * MIB, timeouts: { headersMs: 60_000, requestMs: 120_000, idleMs: 120_000 } });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const first = blob(1000);
    await fixture.backend.put(first.name, first.bytes); // the namespace's folder exists from here
    const dir = join(fixture.storageDir, namespace);
    const big = blob(4 * MIB);
    const sent = big.bytes.subarray(0, MIB);
    const received = whenFolder(dir, (sizes) => sizes.some((n) => n >= sent.length));
    const socket = connect(fixture.server.port, "127.0.0.1");
    sockets.push(socket);
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(`PUT /v1/${namespace}/${big.name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${big.bytes.length}\r\n\r\n`);
    socket.write(sent);
    // A quarter of the body is in a temp file while the rest has not been sent: streamed, not buffered.
    await received;
    const cleaned = whenFolder(dir, (sizes) => sizes.length === 0);
    socket.destroy();
    await cleaned;
    expect((await fixture.backend.list()).names).toEqual([first.name]);
  });

  it("refuses bytes that do not hash to the name after streaming them, and leaves neither file nor folder", async () => {
    fixture = await startHttpMailboxFixture({ maxBundleBytes: 8 * MIB });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const named = blob(16);
    const other = blob(6 * MIB);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${fixture!.server.url}/v1/${namespace}/${named.name}`, { method: "PUT", headers: { Authorization: `Bearer ${token}`, "Content-Length": String(other.bytes.length) } }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.end(other.bytes);
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "MAILBOX_DIGEST_MISMATCH" });
    expect(await readdir(fixture.storageDir)).toEqual([]);
    expect((await fixture.backend.list()).names).toEqual([]);
  });

  it("stores a large bundle streamed in, byte for byte", async () => {
    fixture = await startHttpMailboxFixture({ maxBundleBytes: 8 * MIB });
    const big = blob(6 * MIB);
    await fixture.backend.put(big.name, big.bytes);
    const back = await fixture.backend.get(big.name);
    expect(back !== undefined && Buffer.from(back).equals(big.bytes)).toBe(true); // toEqual on 6 MiB would take a minute
    const { namespace } = httpMailboxCredentials(fixture.team, fixture.epoch);
    expect(await tempSizes(join(fixture.storageDir, namespace))).toEqual([]);
  });

  it("land all at once from many clients in one namespace (folder fsyncs shared), each whole, and a repeat stores nothing new", async () => {
    fixture = await startHttpMailboxFixture({ limits: { maxConnectionsPerAddress: 64 } });
    const clients = Array.from({ length: 4 }, () => fixture!.client());
    const bundles = Array.from({ length: 40 }, (_, i) => blob(1000 + i * 97));
    await Promise.all(bundles.map((b, i) => clients[i % clients.length]!.put(b.name, b.bytes)));
    await Promise.all(bundles.slice(0, 8).map((b) => fixture!.backend.put(b.name, b.bytes)));
    expect(new Set((await fixture.backend.list()).names)).toEqual(new Set(bundles.map((b) => b.name)));
    for (const b of bundles) expect(Buffer.from((await fixture.backend.get(b.name))!).equals(b.bytes)).toBe(true);
    const { namespace } = httpMailboxCredentials(fixture.team, fixture.epoch);
    expect(await tempSizes(join(fixture.storageDir, namespace))).toEqual([]);
  });

  it("a bundle damaged or replaced by a link on disk is refused, not served, and no answer names a server path", async () => {
    fixture = await startHttpMailboxFixture();
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const [damaged, linked, large] = [blob(3000), blob(3000), blob(MIB)];
    await fixture.backend.put(damaged.name, damaged.bytes);
    await fixture.backend.put(linked.name, linked.bytes);
    await fixture.backend.put(large.name, large.bytes);
    const dir = join(fixture.storageDir, namespace);
    const flipped = Buffer.from(damaged.bytes);
    flipped[100] = flipped[100]! ^ 1;
    await writeFile(join(dir, damaged.name), flipped);
    // A bundle large enough to be streamed: damaged in its last byte, still refused before a byte is sent.
    const flippedLarge = Buffer.from(large.bytes);
    flippedLarge[MIB - 1] = flippedLarge[MIB - 1]! ^ 1;
    await writeFile(join(dir, large.name), flippedLarge);
    const secret = join(fixture.storageDir, "secret");
    await writeFile(secret, "SECRET-OUTSIDE-THE-NAMESPACE");
    await unlink(join(dir, linked.name));
    await symlink(secret, join(dir, linked.name));
    for (const name of [damaged.name, linked.name, large.name]) {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${fixture!.server.url}/v1/${namespace}/${name}`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString("latin1")));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(answer.status).not.toBe(200);
      expect(answer.body).not.toContain("SECRET");
      expect(answer.body).not.toContain(fixture.storageDir);
      expect(answer.body).not.toContain(flipped.subarray(0, 64).toString("latin1"));
    }
    await expect(fixture.backend.get(damaged.name)).rejects.toMatchObject({ code: "MAILBOX_DIGEST_MISMATCH" });
    await expect(fixture.backend.get(large.name)).rejects.toMatchObject({ code: "MAILBOX_DIGEST_MISMATCH" });
  });

  it("streams a large bundle to readers that stall, holding no copy of it, and cuts each off at the request deadline", async () => {
    // The idle timeout (60 s) is far beyond the test: only the whole-response deadline can end these.
    fixture = await startHttpMailboxFixture({ maxBundleBytes: 8 * MIB, timeouts: { headersMs: 1_000, requestMs: 1_500, idleMs: 60_000 } });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const b = blob(8 * MIB);
    await fixture.backend.put(b.name, b.bytes);
    const before = process.memoryUsage().arrayBuffers;
    const readers = await Promise.all(
      Array.from({ length: 6 }, () =>
        new Promise<{ socket: Socket; closed: Promise<number> }>((resolve, reject) => {
          const socket = connect(fixture!.server.port, "127.0.0.1", () => socket.write(`GET /v1/${namespace}/${b.name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`));
          sockets.push(socket);
          let received = 0;
          const closed = new Promise<number>((done) => socket.once("close", () => done(received)));
          socket.on("error", () => undefined);
          socket.on("data", (d: Buffer) => (received += d.length));
          // The answer has begun: from here on this reader reads nothing.
          socket.once("data", () => {
            socket.pause();
            resolve({ socket, closed });
          });
          socket.once("error", reject);
        }),
      ),
    );
    // Six stalled 8 MiB answers: buffered whole, they held 48 MiB; streamed, a few chunks each.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MIB);
    // The server gives up on each at the deadline (counted as rejected); what reached them is less than the bundle.
    const rejected = fixture.server.stats().rejected;
    await vi.waitFor(() => expect(fixture!.server.stats().rejected).toBe(rejected + 6), { timeout: 30_000, interval: 50 });
    for (const reader of readers) {
      reader.socket.resume();
      expect(await reader.closed).toBeLessThan(8 * MIB);
    }
    // (A reader that reads gets the whole streamed bundle: "stores a large bundle streamed in, byte for byte".)
  });
});

describe("releaseChunk", () => {
  it("frees a chunk that is the whole of its ArrayBuffer, and never one that shares its memory", () => {
    const whole = Buffer.alloc(64 * 1024, 7);
    releaseChunk(whole);
    expect(whole.byteLength).toBe(0); // detached: its memory is gone now, not at the next collection

    const backing = Buffer.alloc(128 * 1024, 9);
    const slice = backing.subarray(0, 64 * 1024);
    releaseChunk(slice);
    expect(backing.byteLength).toBe(128 * 1024);
    expect(backing.every((b) => b === 9)).toBe(true);

    const pooled = Buffer.from("a small chunk in node's shared pool");
    const neighbour = Buffer.from("its neighbour in the same pool");
    releaseChunk(pooled);
    expect(pooled.toString()).toBe("a small chunk in node's shared pool");
    expect(neighbour.toString()).toBe("its neighbour in the same pool");
  });
});
