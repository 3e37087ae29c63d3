/**
 * https:// mailboxes (review finding R6): `airlock-courier serve` behind a TLS front, as
 * docs/http-mailbox.md ("TLS") tells teams to run it. The front is a real node:https server on
 * 127.0.0.1 that proxies every request to a real `serve` (startMailboxServer), presenting the
 * TEST-ONLY certificates of test-support/tls/ (a test CA and a server certificate it issued for
 * 127.0.0.1; a self-signed one issued by nobody). Couriers push and pull through it with the
 * test CA pinned; a certificate the courier does not trust is refused as MAILBOX_TLS, naming
 * the mailbox, before any request (and so any token) reaches the server.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes, toHex } from "@airlock/bundle-format";
import { isAirlockError } from "@airlock/shared";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { makeEnrollment, makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { Courier } from "../courier/courier.js";
import { generateCourierKey, loadCourierKey } from "../home/courier-key.js";
import { createHome, resolveHome } from "../home/paths.js";
import { loadTeams } from "../home/teams.js";
import { blob } from "./acceptance.js";
import { mailboxNameFor } from "./backend.js";
import { httpMailboxCredentials } from "./http.js";
import { startMailboxServer, type MailboxServer } from "./http-server.js";
import { MAILBOX_CA_ENV, mailboxCa, mailboxKind, openMailbox } from "./open.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const TLS = join(HERE, "..", "..", "test-support", "tls");
const CA_FILE = join(TLS, "test-only-ca.pem");
const CA = readFileSync(CA_FILE, "utf8");
const SERVER = { cert: readFileSync(join(TLS, "test-only-server.pem")), key: readFileSync(join(TLS, "test-only-server-key.pem")) };
const SELF_SIGNED = { cert: readFileSync(join(TLS, "test-only-self-signed.pem")), key: readFileSync(join(TLS, "test-only-self-signed-key.pem")) };
const BIN = join(HERE, "..", "..", "bin", "airlock-courier.js");
const EPOCH = 86_400;

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A real `serve` for `teams` on the given clock, and a TLS front before it; `forwarded` counts requests that reached serve. */
async function tlsFront(teams: readonly TestTeam[], clock: { now: number }, identity = SERVER): Promise<{ url: string; server: MailboxServer; forwarded: () => number }> {
  const dir = tempDir("https-mailbox");
  const keys = teams.map((t) => t.tk.mailboxServerKey());
  const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir: join(dir, "store"), teams: () => keys, now: () => clock.now });
  const upstream = new URL(server.url);
  let forwarded = 0;
  const front: HttpsServer = createHttpsServer(identity, (req, res) => {
    forwarded++;
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  front.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  cleanup.push(async () => {
    front.closeAllConnections();
    await new Promise<void>((resolve) => front.close(() => resolve()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `https://127.0.0.1:${(front.address() as AddressInfo).port}`, server, forwarded: () => forwarded };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a refusal");
}

describe("https:// mailboxes: serve behind a TLS front", () => {
  it("two couriers push and pull a team's bundle through the front, with the team's CA pinned", async () => {
    const clock = { now: 20_000 * EPOCH * 1000 + 3_600_000 };
    const team = makeTeam("tls");
    const { url } = await tlsFront([team], clock);
    const dir = tempDir("https-couriers");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const couriers = ["a", "b"].map((name) => {
      // The URL goes through the same config path as `init --mailbox` (upsertTeam, teams.json).
      const c = Courier.open(setupCourierHome(join(dir, name), [team], url, { sendPerRound: 2, bucketSizes: [4096] }), { now: () => clock.now, mailbox: { ca: CA } });
      cleanup.push(() => c.close());
      return c;
    });
    const [a, b] = couriers as [Courier, Courier];
    expect(loadTeams(a.home)[0]!.mailboxes).toEqual([url]);
    const real = teamBundle(team, team.tk.epochAt(clock.now), new TextEncoder().encode(`over tls ${toHex(randomBytes(8))}`));
    expect(a.ingest(real).outcome).toBe("spooled");
    for (const r of await a.round()) expect(r.error).toBeUndefined();
    for (const r of await b.round()) expect(r.error).toBeUndefined();
    expect(b.spool.list({ direction: "inbound" }).map((e) => e.digest)).toEqual([mailboxNameFor(real).slice(0, 64)]);
  });

  it("takes the CA from AIRLOCK_MAILBOX_CA, and refuses a certificate it does not trust as MAILBOX_TLS before any request", async () => {
    const clock = { now: 20_000 * EPOCH * 1000 };
    const team = makeTeam("tls");
    const ns = httpMailboxCredentials(team.tk, team.tk.epochAt(clock.now));
    const trusted = await tlsFront([team], clock);
    const pinned = mailboxCa({ [MAILBOX_CA_ENV]: CA_FILE });
    expect(pinned).toContain("-----BEGIN CERTIFICATE-----");
    const good = openMailbox(trusted.url, ns, { ...(pinned === undefined ? {} : { ca: pinned }), timeoutMs: 5_000 });
    cleanup.push(() => good.close?.());
    const b = blob(300);
    await good.put(b.name, b.bytes);
    expect((await good.list()).names).toEqual([b.name]);
    expect(await good.get(b.name)).toEqual(b.bytes);

    // The system's CAs (no CA given, AIRLOCK_MAILBOX_CA unset) do not know the test CA.
    const port = new URL(trusted.url).port;
    const before = trusted.forwarded();
    const unpinned = openMailbox(trusted.url, ns, { timeoutMs: 5_000 });
    cleanup.push(() => unpinned.close?.());
    const e1 = await errorOf(unpinned.list());
    expect(isAirlockError(e1, "MAILBOX_TLS"), String(e1)).toBe(true);
    expect(String((e1 as Error).message)).toContain(`127.0.0.1:${port}`);
    expect(trusted.forwarded()).toBe(before);

    // With the team's CA pinned, a front presenting another issuer's certificate is refused too.
    const rogue = await tlsFront([team], clock, SELF_SIGNED);
    const pinnedRogue = openMailbox(rogue.url, ns, { ca: CA, timeoutMs: 5_000 });
    cleanup.push(() => pinnedRogue.close?.());
    const e2 = await errorOf(pinnedRogue.put(b.name, b.bytes));
    expect(isAirlockError(e2, "MAILBOX_TLS"), String(e2)).toBe(true);
    expect(String((e2 as Error).message)).toContain(new URL(rogue.url).host);
    expect(rogue.forwarded()).toBe(0);
  });

  it("accepts https://HOST[:PORT] as a mailbox URL and checks the CA file", () => {
    for (const url of ["https://mailbox.example:8443", "https://mailbox.example", "https://10.0.0.5:8443/", "https://[::1]:8443"]) expect(mailboxKind(url)).toBe("http");
    for (const url of ["https://u:p@mailbox.example", "https://mailbox.example/v1/x", "https://mailbox.example?x=1", "https:mailbox.example"]) {
      expect(() => mailboxKind(url), url).toThrow(/is not a mailbox URL/);
    }
    expect(mailboxCa({})).toBeUndefined();
    const dir = tempDir("https-ca");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "junk.pem"), "not a certificate\n");
    writeFileSync(join(dir, "broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    for (const [file, why] of [
      [join(dir, "missing.pem"), /cannot read it/],
      [join(dir, "junk.pem"), /holds no PEM certificate/],
      [join(dir, "broken.pem"), /does not parse/],
    ] as const) {
      let error: unknown;
      try {
        mailboxCa({ [MAILBOX_CA_ENV]: file });
      } catch (e) {
        error = e;
      }
      expect(isAirlockError(error, "COURIER_BAD_MAILBOX_CA"), String(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(why);
      expect(String((error as Error).message)).toContain(file);
    }
  });

  it("airlock-courier init --mailbox https://... is accepted, and a bad AIRLOCK_MAILBOX_CA refused at init", () => {
    const dir = tempDir("https-init");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const home = resolveHome(join(dir, "home"));
    createHome(home);
    generateCourierKey(home).secretKey.fill(0);
    const key = loadCourierKey(home);
    const enrollment = join(dir, "enrollment.airlock");
    writeFileSync(enrollment, makeEnrollment(makeTeam("tls"), key.publicKey));
    key.secretKey.fill(0);
    const init = (env: NodeJS.ProcessEnv): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, [BIN, "init", enrollment, "--mailbox", "https://mailbox.example:8443", "--home", home.root, "--json"], {
        encoding: "utf8",
        env: { ...process.env, ...env },
        timeout: 60_000,
      });
    const bad = init({ [MAILBOX_CA_ENV]: join(dir, "missing.pem") });
    expect(bad.status, String(bad.stderr)).toBe(1);
    const refused = (JSON.parse(String(bad.stdout)) as { error: { code: string; message: string } }).error;
    expect(refused.code).toBe("COURIER_BAD_MAILBOX_CA");
    expect(refused.message).toMatch(/AIRLOCK_MAILBOX_CA=.*missing\.pem.*cannot read it/);
    const ok = init({ [MAILBOX_CA_ENV]: CA_FILE });
    expect(ok.status, String(ok.stderr)).toBe(0);
    expect(loadTeams(home)[0]!.mailboxes).toEqual(["https://mailbox.example:8443"]);
  });
});
