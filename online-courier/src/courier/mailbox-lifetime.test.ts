/**
 * How long bundles live in a shared mailbox: a courier that was off for days still finds what
 * was put meanwhile (it lists back to its last good sync), and namespaces that no courier lists
 * any more are emptied, by couriers on dir:/S3 stores and by the HTTP mailbox server itself.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes, toHex } from "@airlock/bundle-format";
import { AirlockError, MAILBOX_PRUNE_AGE, MAILBOX_PULL_BACK, type MailboxServerKey, type TransportKey } from "@airlock/shared";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { mailboxNameFor } from "../mailbox/backend.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { startMailboxServer } from "../mailbox/http-server.js";
import { openMailbox, resetMemoryMailboxes } from "../mailbox/open.js";
import { Courier, PRUNE_LOOKBACK, type CourierOptions } from "./courier.js";

const DAY = 86_400_000;
const SETTINGS = { sendPerRound: 2, bucketSizes: [4096] };

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
  resetMemoryMailboxes();
});

function workDir(label: string): string {
  const dir = tempDir(label);
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A courier on the injected clock; pruning starts at the newest expired namespace unless `options` says otherwise. */
function courier(root: string, team: TestTeam, url: string, clock: { now: number }, options: CourierOptions = {}): Courier {
  const c = Courier.open(setupCourierHome(root, [team], url, SETTINGS), { now: () => clock.now, pruneLookback: 0, ...options });
  cleanup.push(() => c.close());
  return c;
}

const body = (label: string): Uint8Array => new TextEncoder().encode(`${label} ${toHex(randomBytes(8))}`);
const sha = (b: Uint8Array): string => mailboxNameFor(b).slice(0, 64);
const inbound = (c: Courier): string[] => c.spool.list({ direction: "inbound" }).map((e) => e.digest).sort();

describe("a courier that was off for days", () => {
  it("still receives what its team put while it was away, from every namespace since its last sync", async () => {
    const dir = workDir("catch-up");
    const url = `memory:away${toHex(randomBytes(4))}`;
    const team = makeTeam("Away");
    const clock = { now: 20_000 * DAY + 3_600_000 };
    const a = courier(join(dir, "a"), team, url, clock);
    const b = courier(join(dir, "b"), team, url, clock);
    await a.round();
    await b.round();
    const sent: Uint8Array[] = [];
    for (let day = 1; day <= 5; day++) {
      clock.now += DAY; // b's laptop stays shut all week
      const bundle = teamBundle(team, team.tk.epochAt(clock.now), body(`day ${day}`));
      a.ingest(bundle);
      await a.round();
      sent.push(bundle);
    }
    clock.now += DAY;
    const [report] = await b.round();
    expect(report?.error).toBeUndefined();
    expect(inbound(b)).toEqual(sent.map(sha).sort());
    // The next round lists only this epoch and the one before again.
    const [next] = await b.round();
    expect(next?.pull?.listed).toBeLessThanOrEqual(2 * SETTINGS.sendPerRound * 2);
  });

  it("a courier new to the team picks up what the mailbox holds from the whole tag window, and no further", async () => {
    const dir = workDir("newcomer");
    const url = `memory:new${toHex(randomBytes(4))}`;
    const team = makeTeam("Newcomer");
    const clock = { now: 20_000 * DAY + 3_600_000 };
    const a = courier(join(dir, "a"), team, url, clock);
    const start = team.tk.epochAt(clock.now);
    const old = teamBundle(team, start, body("too old"));
    a.ingest(old);
    await a.round();
    clock.now += (MAILBOX_PULL_BACK + 1) * DAY;
    const recent = teamBundle(team, team.tk.epochAt(clock.now) - MAILBOX_PULL_BACK + 1, body("recent"));
    // Put straight into an old namespace, as a courier whose clock lagged would have.
    const store = openMailbox(url, { namespace: team.tk.mailboxId(team.tk.epochAt(clock.now) - MAILBOX_PULL_BACK + 1), token: "" });
    await store.put(mailboxNameFor(recent), recent);
    const b = courier(join(dir, "b"), team, url, clock);
    await b.round();
    expect(inbound(b)).toEqual([sha(recent)]);
  });
});

describe("a server whose token window is a little shorter than the pull window", () => {
  it("refuses the oldest namespaces of a catch-up; the round goes on with the rest", async () => {
    const dir = workDir("edge");
    const team = makeTeam("Edge");
    const clock = { now: 20_000 * DAY + 3_600_000 };
    // As a server whose clock runs two epochs ahead of the courier's sees it.
    const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir: join(dir, "server"), teams: () => serverKeys(team), now: () => clock.now, window: { past: MAILBOX_PULL_BACK - 2, future: 1 } });
    cleanup.push(() => server.close());
    const a = courier(join(dir, "a"), team, server.url, clock);
    const b = courier(join(dir, "b"), team, server.url, clock);
    const bundle = teamBundle(team, team.tk.epochAt(clock.now), body("today"));
    a.ingest(bundle);
    expect((await a.round())[0]?.error).toBeUndefined();
    const [report] = await b.round(); // a newcomer lists the whole pull window
    expect(report?.error).toBeUndefined();
    expect(inbound(b)).toEqual([sha(bundle)]);
  });
});

describe("list cursors", () => {
  it("two teams on one mailbox URL keep each other's cursors, and a namespace no longer listed loses its own", async () => {
    const dir = workDir("cursors");
    const url = `memory:shared${toHex(randomBytes(4))}`;
    const [t1, t2] = [makeTeam("One"), makeTeam("Two")];
    const clock = { now: 20_000 * DAY + 3_600_000 };
    const c = Courier.open(setupCourierHome(join(dir, "c"), [t1, t2], url, SETTINGS), { now: () => clock.now });
    cleanup.push(() => c.close());
    await c.round();
    await c.round();
    const e = t1.tk.epochAt(clock.now);
    for (const t of [t1, t2]) expect(c.spool.ledger.cursor(url, t.tk.mailboxId(e)).cursor).toBeDefined();
    clock.now += 2 * DAY;
    await c.round();
    for (const t of [t1, t2]) {
      expect(c.spool.ledger.cursor(url, t.tk.mailboxId(e + 2)).cursor).toBeDefined();
      expect(c.spool.ledger.cursor(url, t.tk.mailboxId(e - 5)).cursor).toBeUndefined();
    }
    await c.round(); // e is now two epochs back and listed by neither team
    for (const t of [t1, t2]) expect(c.spool.ledger.cursor(url, t.tk.mailboxId(e)).cursor).toBeUndefined();
  });
});

describe("pruning expired namespaces", () => {
  it("dir: a sync round empties and removes namespaces MAILBOX_PRUNE_AGE epochs old, keeps younger ones, once per epoch", async () => {
    const dir = workDir("prune-dir");
    const store = join(dir, "store");
    mkdirSync(store);
    const url = `dir:${store}`;
    const team = makeTeam("Pruned");
    const clock = { now: 20_000 * DAY + 3_600_000 };
    const a = courier(join(dir, "a"), team, url, clock);
    const first = team.tk.epochAt(clock.now);
    a.ingest(teamBundle(team, first, body("first day")));
    await a.round();
    clock.now += DAY;
    a.ingest(teamBundle(team, first + 1, body("second day")));
    await a.round();
    const folder = (e: number): string => join(store, team.tk.mailboxId(e));
    expect(readdirSync(folder(first))).toHaveLength(SETTINGS.sendPerRound);
    expect(readdirSync(folder(first + 1))).toHaveLength(SETTINGS.sendPerRound);

    // A courier syncing daily: up to one epoch short of the prune age, both namespaces stay.
    while (team.tk.epochAt(clock.now) < first + MAILBOX_PRUNE_AGE - 1) {
      clock.now += DAY;
      const [r] = await a.round();
      expect(r?.prune?.removed ?? 0).toBe(0);
    }
    expect(existsSync(folder(first))).toBe(true);

    clock.now += DAY; // the first namespace is now MAILBOX_PRUNE_AGE epochs old
    const [report] = await a.round();
    expect(report?.prune).toMatchObject({ namespaces: 1, removed: SETTINGS.sendPerRound });
    expect(report?.prune?.error).toBeUndefined();
    expect(existsSync(folder(first))).toBe(false);
    expect(readdirSync(folder(first + 1))).toHaveLength(SETTINGS.sendPerRound);
    const [again] = await a.round(); // same epoch: nothing to look at
    expect(again?.prune).toBeUndefined();
    // The spool still has everything it sent; pruning touches only the shared store.
    expect(a.spool.counts().outbound.delivered).toBe(2);
  });

  it("a courier back after a long absence prunes the namespaces that expired meanwhile, at most PRUNE_SPAN (7) per round", async () => {
    const dir = workDir("prune-gap");
    const store = join(dir, "store");
    mkdirSync(store);
    const url = `dir:${store}`;
    const team = makeTeam("Gap");
    const clock = { now: 20_000 * DAY + 3_600_000 };
    const a = courier(join(dir, "a"), team, url, clock);
    const first = team.tk.epochAt(clock.now);
    for (let d = 0; d < 3; d++) {
      await a.round();
      clock.now += DAY;
    }
    // Only namespaces someone wrote to exist: pulling the empty ones created nothing.
    expect(readdirSync(store).sort()).toEqual([0, 1, 2].map((d) => team.tk.mailboxId(first + d)).sort());
    clock.now = (first + 2 + MAILBOX_PRUNE_AGE) * DAY + 3_600_000;
    // Its marks reached first + 2 - MAILBOX_PRUNE_AGE; the 18 namespaces that expired while it was
    // away go in rounds of at most 7.
    const reports = [];
    for (let i = 0; i < 3; i++) reports.push((await a.round())[0]?.prune);
    expect(reports.map((r) => r?.namespaces)).toEqual([7, 7, 4]);
    expect(reports.map((r) => r?.removed)).toEqual([0, 0, 3 * SETTINGS.sendPerRound]);
    for (let d = 0; d < 3; d++) expect(existsSync(join(store, team.tk.mailboxId(first + d)))).toBe(false);
    expect((await a.round())[0]?.prune).toBeUndefined(); // caught up
  });

  it("a prune that fails is retried next round, and a mailbox filled before pruning existed is emptied too", async () => {
    const dir = workDir("prune-retry");
    const store = join(dir, "store");
    mkdirSync(store);
    const url = `dir:${store}`;
    const team = makeTeam("Retry");
    const clock = { now: 20_000 * DAY + 3_600_000 };
    const now = team.tk.epochAt(clock.now);
    // Left by couriers that never pruned: a bundle 40 epochs old.
    const old = teamBundle(team, now - 40, body("old"));
    await openMailbox(url, { namespace: team.tk.mailboxId(now - 40), token: "" }).put(mailboxNameFor(old), old);
    let failDeletes = 1;
    const flaky: CourierOptions = {
      pruneLookback: PRUNE_LOOKBACK,
      openBackend: (u, ns) => {
        const inner = openMailbox(u, ns);
        return {
          maxBundleBytes: inner.maxBundleBytes,
          put: (n, b) => inner.put(n, b),
          list: (since) => inner.list(since),
          get: (n) => inner.get(n),
          delete: async (n) => {
            if (failDeletes-- > 0) throw new AirlockError("MAILBOX_IO", "simulated: permission denied");
            await inner.delete(n);
          },
          removeIfEmpty: () => inner.removeIfEmpty?.() ?? Promise.resolve(),
        };
      },
    };
    const a = courier(join(dir, "a"), team, url, clock, flaky);
    const reports = [];
    for (let i = 0; i < 12 && existsSync(join(store, team.tk.mailboxId(now - 40))); i++) reports.push((await a.round())[0]?.prune);
    expect(existsSync(join(store, team.tk.mailboxId(now - 40)))).toBe(false);
    const failed = reports.find((r) => r?.error !== undefined);
    expect(failed?.error).toMatchObject({ code: "MAILBOX_IO" });
    expect(reports.at(-1)).toMatchObject({ removed: 1 });
  });

  it("the HTTP mailbox server removes expired namespace folders itself; couriers leave it alone", async () => {
    const dir = workDir("prune-http");
    const team = makeTeam("Served");
    const clock = { now: 20_000 * DAY + 3_600_000 };
    const storageDir = join(dir, "server");
    const logs: string[] = [];
    const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir, teams: () => serverKeys(team), now: () => clock.now, log: (l) => logs.push(l) });
    cleanup.push(() => server.close());
    const a = courier(join(dir, "a"), team, server.url, clock);
    const first = team.tk.epochAt(clock.now);
    a.ingest(teamBundle(team, first, body("old")));
    await a.round();
    clock.now += DAY;
    await a.round();
    expect(readdirSync(storageDir).sort()).toEqual([team.tk.mailboxId(first), team.tk.mailboxId(first + 1)].sort());

    clock.now = (first + MAILBOX_PRUNE_AGE) * DAY + 3_600_000;
    const [report] = await a.round();
    expect(report?.error).toBeUndefined();
    expect(report?.prune).toBeUndefined(); // the store prunes itself
    expect(await server.prune()).toBe(1);
    expect(existsSync(join(storageDir, team.tk.mailboxId(first)))).toBe(false);
    expect(existsSync(join(storageDir, team.tk.mailboxId(first + 1)))).toBe(true);
    expect(logs.join("\n")).toMatch(/removed 1 expired mailbox folder/);
    expect(await server.prune()).toBe(0);
    // The expired namespace's token is refused: nobody can list or refill it.
    const stale = openMailbox(server.url, httpMailboxCredentials(team.tk, first));
    cleanup.push(() => stale.close?.());
    await expect(stale.list()).rejects.toMatchObject({ code: "MAILBOX_AUTH" });
  });
});

const keysOf = new WeakMap<object, MailboxServerKey[]>();
/** The team's mailbox server key, made once per team (the server compares key objects it caches). */
function serverKeys(team: { tk: TransportKey }): MailboxServerKey[] {
  let keys = keysOf.get(team);
  if (keys === undefined) keysOf.set(team, (keys = [team.tk.mailboxServerKey()]));
  return keys;
}
