/**
 * Quotas (issue 17, item 4; docs/courier-spool-and-mailboxes.md, "Quotas"): what anyone holding
 * the team's transport key, or a hostile mailbox, can make a courier download and keep. Real
 * couriers and spools, a real dir: mailbox, a real hostile HTTP server on 127.0.0.1, the real
 * CLI for status --json.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes as nodeRandomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "@airlock/bundle-format";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { resolveHome } from "../home/paths.js";
import { loadTeams, saveTeams, type TeamQuotas } from "../home/teams.js";
import { mailboxNameFor } from "../mailbox/backend.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { openMailbox } from "../mailbox/open.js";
import { Courier } from "./courier.js";
import { deliverUsb } from "./deliver.js";
import { courierStatus } from "./status.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");
const EPOCH_MS = 86_400_000;
const SETTINGS = { sendPerRound: 2, bucketSizes: [4096] };

const dirs: string[] = [];
const open: Courier[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  for (const c of closers.splice(0)) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function courier(root: string, team: TestTeam, url: string, clock: { now: number }, quotas: Partial<TeamQuotas>): Courier {
  if (!existsSync(root)) {
    const home = setupCourierHome(root, [team], url, SETTINGS);
    saveTeams(home, loadTeams(home).map((t) => ({ ...t, quotas })));
  }
  const c = Courier.open(resolveHome(root), { now: () => clock.now });
  open.push(c);
  return c;
}

/** Puts bundles straight into a dir: mailbox's namespace, as anyone holding the transport key can. */
async function flood(url: string, team: TestTeam, epoch: number, bundles: readonly Uint8Array[]): Promise<void> {
  const store = openMailbox(url, httpMailboxCredentials(team.tk, epoch));
  for (const b of bundles) await store.put(mailboxNameFor(b), b);
}

describe("inbound quotas", () => {
  it("a flood of bundles with valid real tags stops at the team's quota, is reported, and the stick gets at most --max-bytes", async () => {
    const dir = tempDir("quota-flood");
    dirs.push(dir);
    const team = makeTeam("Flooded");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const store = join(dir, "store");
    mkdirSync(store);
    const url = `dir:${store}`;
    // A removed member still holding the transport key mints 30 bundles the courier cannot tell from real ones.
    const forged = Array.from({ length: 30 }, () => teamBundle(team, epoch, randomBytes(3000)));
    await flood(url, team, epoch, forged);
    const size = forged[0]!.length;

    const a = courier(join(dir, "a"), team, url, clock, { inboundBundles: 10, fetchPerRound: 100 });
    const [report] = await a.round();
    expect(report!.error).toBeUndefined();
    expect(report!.pull).toMatchObject({ spooled: 10, overQuota: true, deferred: 20 });
    expect(a.spool.undelivered(a.teams[0]!.id)).toEqual({ bundles: 10, bytes: 10 * size });
    const status = courierStatus(a, clock.now);
    expect(status.warnings.map((w) => w.code)).toEqual(["COURIER_INBOUND_QUOTA"]);
    expect(status.teams[0]!.undelivered.bundles).toBe(10);

    // Full: the next round fetches nothing at all.
    clock.now += 15 * 60_000;
    const [again] = await a.round();
    expect(again!.pull).toMatchObject({ spooled: 0, refused: 0, overQuota: true });

    // The stick gets at most its cap (here three bundles' worth); the rest waits.
    const stick = join(dir, "stick");
    mkdirSync(stick);
    // Marked delivered as they are written (--mark-delivered): here the vault's receipt is not the point.
    const delivered = await deliverUsb(a.spool, stick, { maxBytes: 3 * size + 100, markDelivered: true });
    expect(delivered).toHaveLength(3);
    expect(readdirSync(join(stick, "airlock", "inbox")).filter((n) => n.endsWith(".airlock"))).toHaveLength(3);
    expect(a.spool.undelivered(a.teams[0]!.id).bundles).toBe(7);
    // A cap smaller than one bundle still lets one through (a stick must always make progress).
    expect(await deliverUsb(a.spool, stick, { maxBytes: 1, markDelivered: true })).toHaveLength(1);

    // Room again: the next round takes exactly what fits, and the warning stays while it is full.
    clock.now += 15 * 60_000;
    const [third] = await a.round();
    expect(third!.pull).toMatchObject({ spooled: 4, overQuota: true });
    expect(a.spool.undelivered(a.teams[0]!.id).bundles).toBe(10);

    // The byte quota stops it the same way.
    const b = courier(join(dir, "b"), team, url, clock, { inboundBytes: Math.floor(5.5 * size), fetchPerRound: 100 });
    const [bytes] = await b.round();
    expect(bytes!.pull).toMatchObject({ spooled: 5, overQuota: true });
    expect(b.spool.undelivered(b.teams[0]!.id).bytes).toBeLessThanOrEqual(5.5 * size);
    expect(b.spool.ledger.counters().find((c) => c.outcome === "over-quota")?.n).toBeGreaterThan(0);
  });

  it("another team's real bundles put into this team's namespace are refused, not spooled past that team's quota", async () => {
    const dir = tempDir("quota-other-team");
    dirs.push(dir);
    const mine = makeTeam("Mine");
    const other = makeTeam("Other");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const store = join(dir, "store");
    mkdirSync(store);
    const url = `dir:${store}`;
    // Someone holding Other's transport key writes Other's bundles where Mine's are listed.
    const planted = Array.from({ length: 5 }, () => teamBundle(other, other.tk.epochAt(clock.now), randomBytes(3000)));
    await flood(url, mine, mine.tk.epochAt(clock.now), planted);

    setupCourierHome(join(dir, "c"), [mine, other], url, SETTINGS);
    const c = Courier.open(resolveHome(join(dir, "c")), { now: () => clock.now });
    open.push(c);
    const reports = await c.round();
    const ids = new Map(c.teams.map((t) => [t.config.name, t.id]));
    expect(reports.every((r) => r.error === undefined)).toBe(true);
    expect(c.spool.undelivered(ids.get("Other")!).bundles).toBe(0);
    expect(c.spool.undelivered(ids.get("Mine")!).bundles).toBe(0);
    expect(c.spool.ledger.counters().filter((x) => x.reason === "COURIER_OTHER_TEAM").reduce((n, x) => n + x.n, 0)).toBe(5);
  });

  it("undelivered inbound is dropped after inboundExpiryDays, counted and shown by status", async () => {
    const dir = tempDir("quota-expiry");
    dirs.push(dir);
    const team = makeTeam("Expiry");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const store = join(dir, "store");
    mkdirSync(store);
    const url = `dir:${store}`;
    await flood(url, team, epoch, [teamBundle(team, epoch, randomBytes(100)), teamBundle(team, epoch, randomBytes(100))]);
    const a = courier(join(dir, "a"), team, url, clock, { inboundExpiryDays: 3 });
    await a.round();
    expect(a.spool.counts().inbound.pending).toBe(2);
    clock.now += 2 * EPOCH_MS;
    await a.round();
    expect(a.spool.counts().inbound.pending).toBe(2);
    clock.now += 1 * EPOCH_MS + 60_000;
    await a.round();
    expect(a.spool.counts().inbound.pending).toBe(0);
    expect(courierStatus(a, clock.now).dropped).toContainEqual({ team: a.teams[0]!.id, outcome: "expired", reason: "inbound-undelivered", n: 2 });
  });
});

/**
 * A hostile "mailbox" on 127.0.0.1: today's namespace lists `count` fresh junk names every time
 * (random bytes stored under their own digests, so every fetch succeeds and is refused), every
 * other namespace is empty, every put is accepted.
 */
async function hostileMailbox(namespace: string, count: number): Promise<{ url: string; lists: number; close(): Promise<void> }> {
  let junk = new Map<string, Buffer>();
  const state = { url: "", lists: 0, close: async (): Promise<void> => undefined };
  const server: Server = createServer((req, res) => void req.resume().on("end", () => answer(req.url ?? "/", req.method ?? "GET", res)));
  const answer = (url: string, method: string, res: import("node:http").ServerResponse): void => {
    const [, , ns = "", name] = url.split("?")[0]!.split("/");
    const req = { method };
    if (req.method === "PUT" || req.method === "DELETE") return void res.writeHead(204).end();
    if (name === undefined) {
      state.lists++;
      junk = new Map();
      if (ns === namespace) {
        for (let i = 0; i < count; i++) {
          const bytes = nodeRandomBytes(64);
          junk.set(`${createHash("sha256").update(bytes).digest("hex")}.airlock`, bytes);
        }
      }
      return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ names: [...junk.keys()], cursor: "x" }));
    }
    const bytes = junk.get(name);
    if (bytes === undefined) return void res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "MAILBOX_NOT_FOUND", message: "no" }));
    res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(bytes);
  };
  server.keepAliveTimeout = 60_000; // as the real server's idle timeout: the courier pauses between a listing and its fetches
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

describe("a hostile mailbox", () => {
  it("listing 50 000 junk names: reported as hostile (status --json too), at most fetchPerRound fetched per round, the seen set bounded", async () => {
    const dir = tempDir("quota-hostile");
    dirs.push(dir);
    const team = makeTeam("Hostile");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const evil = await hostileMailbox(team.tk.mailboxId(epoch), 50_000);
    closers.push(() => evil.close());
    const a = courier(join(dir, "a"), team, evil.url, clock, { fetchPerRound: 40 });
    for (let round = 0; round < 2; round++) {
      const [report] = await a.round();
      expect(report!.error).toBeUndefined();
      expect(report!.pull).toMatchObject({ listed: 50_000, refused: 40, deferred: 50_000 - 40, hostile: 50_000 });
      clock.now += 15 * 60_000;
    }
    // 40 junk names a round, and our own cover (every round's batch is cover here).
    expect(a.spool.ledger.seenCount()).toBe(2 * (40 + SETTINGS.sendPerRound));
    expect(courierStatus(a, clock.now).warnings.map((w) => w.code)).toEqual(["COURIER_HOSTILE_LISTING"]);

    // Two epochs on, this round still lists the flooded namespace (back to the one before its
    // last good sync); what was judged two epochs ago is forgotten, what it judges now is kept.
    clock.now += 2 * EPOCH_MS;
    expect((await a.round())[0]!.pull).toMatchObject({ refused: 40, hostile: 50_000 });
    expect(a.spool.ledger.seenCount()).toBe(40 + SETTINGS.sendPerRound);
    // The next round lists only the two newest namespaces, neither flooded: the warning clears.
    clock.now += 15 * 60_000;
    expect((await a.round())[0]!.pull).toMatchObject({ listed: 0 });
    expect(courierStatus(a, clock.now).warnings).toEqual([]);
    a.close();
    open.splice(open.indexOf(a), 1);

    const cli = spawnSync(process.execPath, [BIN, "status", "--json"], { env: { ...process.env, AIRLOCK_COURIER_HOME: join(dir, "a") }, encoding: "utf8" });
    expect(cli.status).toBe(0);
    const status = JSON.parse(cli.stdout) as { status: { warnings: { code: string; message: string }[]; seen: number } };
    expect(status.status.warnings).toEqual([]);
    expect(status.status.seen).toBeLessThanOrEqual(40 + 2 * SETTINGS.sendPerRound);
  });
});
