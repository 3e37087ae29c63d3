/**
 * What `airlock-courier serve` bounds per team, not per namespace: the server cannot check that a
 * namespace is the team's mailbox id, so any holder of a team's key can mint namespaces and a
 * token for each. New namespaces per team and epoch, and bytes across a team's namespaces, are
 * capped (MAILBOX_QUOTA); a listing of a namespace nobody wrote leaves no state behind.
 * Real servers on 127.0.0.1, injected clock (docs/http-mailbox.md, "Limits").
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { TransportKey, type MailboxServerKey } from "@airlock/shared";
import { startHttpMailboxFixture, TEST_NOW, type HttpMailboxFixture } from "../../test-support/http-mailbox.js";
import { blob } from "./acceptance.js";
import { EPOCH_FILE, startMailboxServer } from "./http-server.js";
import { HttpMailbox, httpMailboxCredentials } from "./http.js";
import { codeOf } from "../../test-support/errors.js";

function rawStatus(url: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A namespace of the holder's own choosing, with the token the team's key makes for it. */
function minted(key: MailboxServerKey, epoch: number): { namespace: string; token: string } {
  const namespace = randomBytes(16).toString("hex");
  return { namespace, token: key.token(`http:${namespace}`, epoch) };
}

describe("http mailbox server: per-team bounds", () => {
  let fixture: HttpMailboxFixture | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await fixture?.close();
    fixture = undefined;
  });

  /** A fresh storage folder and two teams' transport keys with their mailbox server keys, removed and wiped after the test. */
  async function twoTeams(): Promise<{ storageDir: string; a: TransportKey; b: TransportKey; keys: MailboxServerKey[] }> {
    const storageDir = await mkdtemp(join(tmpdir(), "airlock-http-teams-"));
    cleanups.push(() => rm(storageDir, { recursive: true, force: true }));
    const [a, b] = [TransportKey.generate(), TransportKey.generate()];
    const keys = [a.mailboxServerKey(), b.mailboxServerKey()];
    cleanups.push(() => {
      for (const k of [a, b, ...keys]) k.wipe();
    });
    return { storageDir, a, b, keys };
  }

  function clientFor(url: string, creds: { namespace: string; token: string }): HttpMailbox {
    const c = new HttpMailbox({ baseUrl: url, ...creds, timeoutMs: 20_000 });
    cleanups.push(() => c.close());
    return c;
  }

  it("refuses a team's fifth new namespace of an epoch and bytes past its total across namespaces, also after a restart", async () => {
    const limits = { maxNamespaceBytes: 10_000, maxTeamBytes: 15_000 };
    fixture = await startHttpMailboxFixture({ limits });
    const key = fixture.team.mailboxServerKey();
    cleanups.push(() => key.wipe());
    const url = fixture.server.url;
    const small = blob(100);
    // The team's own namespace and three minted ones of the same epoch: four, the default limit.
    await fixture.backend.put(small.name, small.bytes);
    const mintedToday = [minted(key, fixture.epoch), minted(key, fixture.epoch), minted(key, fixture.epoch)];
    for (const creds of mintedToday) await clientFor(url, creds).put(small.name, small.bytes);
    const fifth = minted(key, fixture.epoch);
    expect(await codeOf(clientFor(url, fifth).put(small.name, small.bytes))).toBe("MAILBOX_QUOTA");
    const refused = await rawStatus(url, "PUT", `/v1/${fifth.namespace}/${small.name}`, { Authorization: `Bearer ${fifth.token}` }, Buffer.from(small.bytes));
    expect(refused.status).toBe(507);
    expect(JSON.parse(refused.body)).toMatchObject({ error: "MAILBOX_QUOTA" });
    // The namespaces it already writes still take bundles; another epoch has its own count.
    const more = blob(8000);
    await fixture.backend.put(more.name, more.bytes);
    const yesterday = minted(key, fixture.epoch - 1);
    await clientFor(url, yesterday).put(small.name, small.bytes);
    // 4 x 100 + 8000 + 100 stored; 8000 more in a namespace of its own passes that namespace's
    // 10 000 but not the team's 15 000.
    const tooMuch = blob(8000);
    expect(await codeOf(clientFor(url, yesterday).put(tooMuch.name, tooMuch.bytes))).toBe("MAILBOX_QUOTA");

    // A restarted server over the same folder counts the same: by the team recorded in each folder.
    const again = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir: fixture.storageDir, teams: () => [key], now: () => TEST_NOW, limits });
    cleanups.push(() => again.close());
    expect(await codeOf(clientFor(again.url, minted(key, fixture.epoch)).put(small.name, small.bytes))).toBe("MAILBOX_QUOTA");
    expect(await codeOf(clientFor(again.url, yesterday).put(tooMuch.name, tooMuch.bytes))).toBe("MAILBOX_QUOTA");
    expect(await codeOf(clientFor(again.url, httpMailboxCredentials(fixture.team, fixture.epoch)).put(tooMuch.name, tooMuch.bytes))).toBe("MAILBOX_QUOTA");
    // Another team on the same server is not charged for this one.
    const other = await startHttpMailboxFixture({ limits });
    cleanups.push(() => other.close());
    expect(await codeOf(other.backend.put(tooMuch.name, tooMuch.bytes))).toBeUndefined();
  });

  it("keeps no state for listings and fetches of namespaces nobody wrote", async () => {
    fixture = await startHttpMailboxFixture();
    const key = fixture.team.mailboxServerKey();
    cleanups.push(() => key.wipe());
    const b = blob(100);
    for (let i = 0; i < 40; i++) {
      const creds = minted(key, fixture.epoch);
      const listed = await rawStatus(fixture.server.url, "GET", `/v1/${creds.namespace}`, { Authorization: `Bearer ${creds.token}` });
      expect(listed.status).toBe(200);
      expect(JSON.parse(listed.body)).toMatchObject({ names: [] });
      expect((await rawStatus(fixture.server.url, "GET", `/v1/${creds.namespace}/${b.name}`, { Authorization: `Bearer ${creds.token}` })).status).toBe(404);
    }
    expect(fixture.server.stats().namespaces).toBe(0);
    await fixture.backend.put(b.name, b.bytes);
    expect(fixture.server.stats().namespaces).toBe(1);
    expect((await fixture.backend.list()).names).toEqual([b.name]);
  });

  it("refuses a PUT without Content-Length before reading its body, even into a namespace at its quota", async () => {
    fixture = await startHttpMailboxFixture({ limits: { maxNamespaceBytes: 1000 } });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const full = blob(1000);
    await fixture.backend.put(full.name, full.bytes);
    const b = blob(2000);
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${fixture!.server.url}/v1/${namespace}/${b.name}`, { method: "PUT", headers: { Authorization: `Bearer ${token}`, "Transfer-Encoding": "chunked" }, agent: false }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.write(Buffer.from(b.bytes));
      req.end();
    });
    expect(chunked.status).toBe(411);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: "MAILBOX_PROTOCOL" });
    expect(fixture.server.stats().bytesIn).toBe(1000);
  });

  it("binds a namespace to the team that first wrote it: another served team's valid token gets 401 for every method, also after a restart", async () => {
    const { storageDir, a, b, keys } = await twoTeams();
    const start = () => startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir, teams: () => keys, now: () => TEST_NOW });
    let server = await start();
    cleanups.push(() => server.close());
    const epoch = a.epochAt(TEST_NOW);
    const mine = httpMailboxCredentials(a, epoch);
    // B's key makes a valid token for A's namespace id (learnt from a proxy log, say).
    const theirs = { namespace: mine.namespace, token: keys[1]!.token(`http:${mine.namespace}`, epoch) };
    const x = blob(500);
    const y = blob(500);
    // Before anyone wrote it, the namespace is nobody's: B's listing is empty and binds nothing.
    expect((await rawStatus(server.url, "GET", `/v1/${mine.namespace}`, { Authorization: `Bearer ${theirs.token}` })).status).toBe(200);
    await clientFor(server.url, mine).put(x.name, x.bytes);
    const refusedAll = async (url: string): Promise<void> => {
      const auth = { Authorization: `Bearer ${theirs.token}` };
      for (const [method, path, body] of [
        ["GET", `/v1/${mine.namespace}`, undefined],
        ["GET", `/v1/${mine.namespace}/${x.name}`, undefined],
        ["DELETE", `/v1/${mine.namespace}/${x.name}`, undefined],
        ["PUT", `/v1/${mine.namespace}/${y.name}`, Buffer.from(y.bytes)],
      ] as const) {
        const answer = await rawStatus(url, method, path, auth, body);
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(JSON.parse(answer.body)).toEqual({ error: "MAILBOX_AUTH", message: "not authorized for this mailbox" });
      }
      expect((await clientFor(url, mine).list()).names).toEqual([x.name]);
      expect(await clientFor(url, mine).get(x.name)).toEqual(x.bytes);
    };
    await refusedAll(server.url);
    await server.close();
    server = await start();
    await refusedAll(server.url);
    // B's own namespace still works for B.
    const bOwn = httpMailboxCredentials(b, epoch);
    await clientFor(server.url, bOwn).put(y.name, y.bytes);
    expect((await clientFor(server.url, bOwn).list()).names).toEqual([y.name]);
  });

  it("gives a folder an older server left (no team in its epoch file) to the first team whose token opens it", async () => {
    const { storageDir, a, keys } = await twoTeams();
    const epoch = a.epochAt(TEST_NOW);
    const mine = httpMailboxCredentials(a, epoch);
    const x = blob(300);
    await mkdir(join(storageDir, mine.namespace));
    await writeFile(join(storageDir, mine.namespace, x.name), x.bytes);
    await writeFile(join(storageDir, mine.namespace, EPOCH_FILE), JSON.stringify({ epoch, epochSeconds: 86_400 }));
    const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir, teams: () => keys, now: () => TEST_NOW });
    cleanups.push(() => server.close());
    expect((await clientFor(server.url, mine).list()).names).toEqual([x.name]);
    const theirs = { namespace: mine.namespace, token: keys[1]!.token(`http:${mine.namespace}`, epoch) };
    expect(await codeOf(clientFor(server.url, theirs).list())).toBe("MAILBOX_AUTH");
  });
});
