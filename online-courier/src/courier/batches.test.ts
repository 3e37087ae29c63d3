/**
 * Pushes that reveal nothing (issue 17, item 1; docs/transport-key.md, "Batches"): a mailbox,
 * the proxy in front of it, or several mailboxes comparing notes never see a real bundle's name
 * beside two different sets of cover. Real couriers and spools, a real HTTP mailbox server
 * behind a real proxy that fails PUTs, real dir: folders; the test alone holds the transport key.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inspectBundle, randomBytes, toHex } from "@airlock/bundle-format";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { startFailingProxy, type RecordedPut } from "../../test-support/failing-proxy.js";
import { resolveHome } from "../home/paths.js";
import { loadTeams, saveTeams } from "../home/teams.js";
import { startMailboxServer, type MailboxServer } from "../mailbox/http-server.js";
import { mailboxNameFor } from "../mailbox/backend.js";
import { Courier } from "./courier.js";

const EPOCH_MS = 86_400_000;
const SETTINGS = { sendPerRound: 4, bucketSizes: [4096] };

const dirs: string[] = [];
const open: Courier[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  for (const c of closers.splice(0)) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function courier(root: string, team: TestTeam, urls: readonly string[], clock: { now: number }): Courier {
  let home = resolveHome(root);
  if (!existsSync(root)) {
    home = setupCourierHome(root, [team], urls[0]!, SETTINGS);
    saveTeams(home, loadTeams(home).map((t) => ({ ...t, mailboxes: [...urls] })));
  }
  const c = Courier.open(home, { now: () => clock.now });
  open.push(c);
  return c;
}

function reopen(c: Courier, clock: { now: number }): Courier {
  c.close();
  open.splice(open.indexOf(c), 1);
  const again = Courier.open(c.home, { now: () => clock.now });
  open.push(again);
  return again;
}

async function server(dir: string, team: TestTeam, clock: { now: number }): Promise<MailboxServer> {
  const key = team.tk.mailboxServerKey();
  const s = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir: join(dir, "server"), teams: () => [key], now: () => clock.now });
  closers.push(() => s.close());
  return s;
}

const body = (label: string): Uint8Array => new TextEncoder().encode(`${label} ${toHex(randomBytes(8))}`);
const nameOf = (b: Uint8Array): string => mailboxNameFor(b);

/** The bundle files of a dir: store's namespace, by name. */
function folder(store: string, namespace: string): Map<string, Buffer> {
  const path = join(store, namespace);
  if (!existsSync(path)) return new Map();
  return new Map(readdirSync(path).filter((n) => n.endsWith(".airlock")).map((n) => [n, readFileSync(join(path, n))]));
}

/**
 * The adversary's check: the names put in each round (as sets), and no real name in two sets
 * that differ, once a partial (failed) round's set is read as part of the batch it began.
 */
function expectNoRealNameWithTwoCovers(rounds: readonly (readonly string[])[], real: ReadonlySet<string>): void {
  const batches = rounds.map((r) => new Set(r));
  for (const name of real) {
    const holding = batches.filter((b) => b.has(name));
    const largest = holding.reduce((a, b) => (b.size > a.size ? b : a), new Set<string>());
    for (const b of holding) for (const other of b) expect(largest.has(other), `${name} appeared beside ${other} outside its batch`).toBe(true);
  }
}

describe("one batch per round, pushed identically until every mailbox has it", () => {
  it("a put the proxy fails, then a restart: the next round re-puts the very same batch (names and bytes), and new cover only around nothing real", async () => {
    const dir = tempDir("batch-retry");
    dirs.push(dir);
    const team = makeTeam("Retry");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const mailbox = await server(dir, team, clock);
    const proxy = await startFailingProxy(mailbox.url, ({ index }) => index === 2);
    closers.push(() => proxy.close());
    let a = courier(join(dir, "a"), team, [proxy.url], clock);
    const reals = [teamBundle(team, epoch, body("one")), teamBundle(team, epoch, body("two"))];
    a.ingestMany(reals);
    const realNames = new Set(reals.map(nameOf));

    const roundPuts: RecordedPut[][] = [];
    const round = async (): Promise<void> => {
      const before = proxy.puts.length;
      await a.round();
      roundPuts.push(proxy.puts.slice(before));
    };
    await round();
    expect(roundPuts[0]!.map((p) => p.failed)).toEqual([false, true]);
    expect(a.spool.counts().outbound).toMatchObject({ failed: 2, delivered: 0 });

    a = reopen(a, clock); // what was built survives a restart
    clock.now += 15 * 60_000;
    await round();
    const batch = roundPuts[1]!.map((p) => p.name);
    expect(roundPuts[1]!.every((p) => !p.failed)).toBe(true);
    expect(batch).toHaveLength(SETTINGS.sendPerRound);
    // The same names in the same order: the first put again, then the one that failed, then the rest.
    expect(batch.slice(0, 2)).toEqual(roundPuts[0]!.map((p) => p.name));
    for (const name of realNames) expect(batch).toContain(name);
    // The same bytes: every body hashes to its name, and the failed put's body was the one that went through later.
    for (const p of proxy.puts) expect(`${p.bodyDigest}.airlock`).toBe(p.name);
    expect(a.spool.counts().outbound).toMatchObject({ pending: 0, failed: 0, delivered: 2 });

    clock.now += 15 * 60_000;
    await round();
    const next = roundPuts[2]!.map((p) => p.name);
    expect(next).toHaveLength(SETTINGS.sendPerRound);
    expect(next.filter((n) => batch.includes(n))).toEqual([]);
    expectNoRealNameWithTwoCovers(roundPuts.map((r) => r.map((p) => p.name)), realNames);
    // The store holds the two batches and nothing else.
    const store = folder(join(dir, "server"), team.tk.mailboxId(epoch));
    expect([...store.keys()].sort()).toEqual([...batch, ...next].sort());
  });

  it("two mailboxes, one failing a put: each gets the same batches, the laggard the very batch it missed", async () => {
    const dir = tempDir("batch-two-mailboxes");
    dirs.push(dir);
    const team = makeTeam("Two");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const store = join(dir, "store");
    mkdirSync(store);
    const mailbox = await server(dir, team, clock);
    const proxy = await startFailingProxy(mailbox.url, ({ index }) => index === 1);
    closers.push(() => proxy.close());
    const a = courier(join(dir, "a"), team, [`dir:${store}`, proxy.url], clock);
    const real = teamBundle(team, epoch, body("two mailboxes"));
    a.ingest(real);
    const reports = await a.round();
    expect(reports.map((r) => r.error?.code)).toEqual([undefined, "MAILBOX_SERVER"]);
    expect(a.spool.counts().outbound).toMatchObject({ failed: 1, delivered: 0 });
    const firstBatch = [...folder(store, team.tk.mailboxId(epoch)).keys()];
    expect(firstBatch).toContain(nameOf(real));

    clock.now += 15 * 60_000;
    for (const r of await a.round()) expect(r.error).toBeUndefined();
    expect(a.spool.counts().outbound).toMatchObject({ pending: 0, failed: 0, delivered: 1 });
    const viaDir = folder(store, team.tk.mailboxId(epoch));
    const viaHttp = folder(join(dir, "server"), team.tk.mailboxId(epoch));
    expect(viaDir.size).toBe(2 * SETTINGS.sendPerRound);
    expect([...viaHttp.keys()].sort()).toEqual([...viaDir.keys()].sort());
    for (const [name, bytes] of viaDir) expect(viaHttp.get(name)!.equals(bytes)).toBe(true);
    // The HTTP mailbox saw the batch it missed first, whole, then the new one.
    const puts = proxy.puts.filter((p) => !p.failed).map((p) => p.name);
    expect(new Set(puts.slice(0, SETTINGS.sendPerRound))).toEqual(new Set(firstBatch));
    expect(a.spool.batches.backlog(a.teams[0]!.id, []).open).toBe(0);
  });

  it("two couriers ingesting one export put byte-identical batches, also when one had other bundles waiting", async () => {
    const dir = tempDir("batch-two-couriers");
    dirs.push(dir);
    const team = makeTeam("Export");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const stores = [join(dir, "store-a"), join(dir, "store-b")];
    for (const s of stores) mkdirSync(s);
    const a = courier(join(dir, "a"), team, [`dir:${stores[0]}`], clock);
    let b = courier(join(dir, "b"), team, [`dir:${stores[1]}`], clock);
    // A vault's export of three bundles of two sizes; b also holds an older export.
    const exported = [teamBundle(team, epoch, body("x")), teamBundle(team, epoch, body("y")), teamBundle(team, epoch, randomBytes(9000))];
    const older = [teamBundle(team, epoch, body("older"))];
    a.ingestMany(exported);
    b.ingestMany(older);
    // Another ingest (another run of `ingest`), one bundle at a time, in another order.
    b = reopen(b, clock);
    clock.now += 60_000;
    for (const e of [...exported].reverse()) b.ingest(e);

    for (const r of await a.round()) expect(r.error).toBeUndefined();
    const namespace = team.tk.mailboxId(epoch);
    const fromA = folder(stores[0]!, namespace);
    for (const r of await b.round()) expect(r.error).toBeUndefined();
    const firstOfB = new Set(folder(stores[1]!, namespace).keys());
    expect([...firstOfB].filter((n) => fromA.has(n))).toEqual([]);
    for (const r of await b.round()) expect(r.error).toBeUndefined();
    const secondOfB = new Map([...folder(stores[1]!, namespace)].filter(([n]) => !firstOfB.has(n)));
    expect([...secondOfB.keys()].sort()).toEqual([...fromA.keys()].sort());
    for (const [name, bytes] of fromA) expect(secondOfB.get(name)!.equals(bytes), name).toBe(true);
    for (const e of exported) expect(fromA.has(nameOf(e))).toBe(true);
    // Cover around the export took the export's own shapes, and stays cover to the team's key.
    const covers = [...fromA].filter(([n]) => !exported.some((e) => nameOf(e) === n));
    expect(covers).toHaveLength(1);
    const header = inspectBundle(new Uint8Array(covers[0]![1]));
    expect(team.tk.classify(header.mailboxTag, epoch)?.kind).toBe("cover");
    expect(exported.map((e) => inspectBundle(e).length)).toContain(header.length);
  });
});
