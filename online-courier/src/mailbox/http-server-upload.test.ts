/**
 * Uploads to `airlock-courier serve`'s server stream to a temp file while they are hashed, instead
 * of being buffered whole: a body still arriving is already on disk, a client that hangs up or
 * sends bytes that do not match the name leaves nothing behind, and a large bundle round-trips.
 * Real server and raw sockets on 127.0.0.1.
 */
import { watch, type FSWatcher } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { blob } from "./acceptance.js";
import { TEMP_PREFIX } from "./dir.js";
import { httpMailboxCredentials } from "./http.js";
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
});
