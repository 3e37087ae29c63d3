import { readdirSync, readFileSync, rmSync, statSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes, toHex } from "@airlock/bundle-format";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { startCaptureProxy } from "../../test-support/capture-proxy.js";
import { cephUnavailableReason, startCeph } from "../../test-support/ceph.js";
import { createBucket } from "../../test-support/s3-mailbox.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { misbehaving, seeded } from "../../test-support/misbehaving-mailbox.js";
import { mailboxNameFor } from "../mailbox/backend.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { startMailboxServer } from "../mailbox/http-server.js";
import { openMailbox, resetMemoryMailboxes, type OpenMailboxOptions } from "../mailbox/open.js";
import { Courier, type CourierOptions } from "./courier.js";

const EPOCH = 86_400;
const BUCKET = 4096;
const SETTINGS = { sendPerRound: 4, bucketSizes: [BUCKET] };

/**
 * A backend under test: a mailbox URL fresh for one test, serving `teams` on the couriers'
 * clock (a server's epochs must agree with the couriers'), and how to dispose of it. Adding a
 * backend is one more entry here.
 */
interface BackendFactory {
  readonly name: string;
  readonly start: (dir: string, teams: readonly TestTeam[], clock: { now: number }) => Promise<StartedBackend>;
}
interface StartedBackend {
  readonly url: string;
  /** What the couriers need besides the URL (e.g. S3 credentials). */
  readonly options?: OpenMailboxOptions;
  close(): Promise<void>;
}

const cephMissing = cephUnavailableReason();
if (cephMissing !== undefined) console.warn(`three couriers over s3: SKIPPED: ${cephMissing}`);
const BACKENDS: readonly BackendFactory[] = [
  { name: "memory", start: async () => ({ url: `memory:t${toHex(randomBytes(6))}`, close: async () => undefined }) },
  {
    name: "dir",
    start: async (dir) => {
      mkdirSync(join(dir, "store"));
      return { url: `dir:${join(dir, "store")}`, close: async () => undefined };
    },
  },
  {
    name: "http",
    start: async (dir, teams, clock) => {
      const keys = teams.map((t) => t.tk.mailboxServerKey());
      const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir: join(dir, "server"), teams: () => keys, now: () => clock.now });
      return { url: server.url, close: () => server.close() };
    },
  },
  ...(cephMissing !== undefined
    ? []
    : [
        {
          name: "s3",
          start: async (): Promise<StartedBackend> => {
            const cluster = await startCeph();
            try {
              await createBucket(cluster, "airlock-couriers");
            } catch (e) {
              await cluster.stop();
              throw e;
            }
            const url = `s3://airlock-couriers?endpoint=${encodeURIComponent(cluster.endpoint)}&region=${cluster.region}`;
            return { url, options: { s3Credentials: cluster.credentials }, close: () => cluster.stop() };
          },
        },
      ]),
];

let dirs: string[] = [];
let open: Courier[] = [];
let servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open) c.close();
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  open = [];
  servers = [];
  dirs = [];
  resetMemoryMailboxes();
});

function courier(root: string, teams: TestTeam[], url: string, clock: { now: number }, options: CourierOptions = {}): Courier {
  const home = setupCourierHome(root, teams, url, SETTINGS);
  const c = Courier.open(home, { now: () => clock.now, ...options });
  open.push(c);
  return c;
}

const body = (label: string): Uint8Array => new TextEncoder().encode(`${label} ${toHex(randomBytes(8))}`);
const sha = (b: Uint8Array): string => mailboxNameFor(b).slice(0, 64);
const inbound = (c: Courier): string[] => c.spool.list({ direction: "inbound" }).map((e) => e.digest).sort();

describe.each(BACKENDS)("three couriers, two teams: $name", (backend) => {
  it("delivers every real bundle exactly once to each other courier of its team, and never cover", async () => {
    const dir = tempDir("couriers");
    dirs.push(dir);
    const clock = { now: 20_000 * EPOCH * 1000 + 3_600_000 };
    const [t1, t2] = [makeTeam("one"), makeTeam("two")];
    const store = await backend.start(dir, [t1, t2], clock);
    servers.push(store);
    const url = store.url;
    const options: CourierOptions = store.options === undefined ? {} : { mailbox: store.options };
    const c1 = courier(join(dir, "c1"), [t1], url, clock, options);
    const c2 = courier(join(dir, "c2"), [t1, t2], url, clock, options);
    const c3 = courier(join(dir, "c3"), [t2], url, clock, options);
    const epoch = t1.tk.epochAt(clock.now);
    const sent = {
      c1: [teamBundle(t1, epoch, body("c1-a")), teamBundle(t1, epoch, body("c1-b"))],
      c2: [teamBundle(t1, epoch, body("c2-a")), teamBundle(t2, epoch, body("c2-b"), 9000)],
      c3: [teamBundle(t2, epoch, body("c3-a")), teamBundle(t2, epoch, body("c3-b")), teamBundle(t2, epoch, body("c3-c")), teamBundle(t2, epoch, body("c3-d")), teamBundle(t2, epoch, body("c3-e"))],
    };
    for (const [c, bundles] of [[c1, sent.c1], [c2, sent.c2], [c3, sent.c3]] as const) {
      expect(c.ingestMany(bundles).map((o) => o.outcome)).toEqual(bundles.map(() => "spooled"));
    }
    // The vault never hands over cover or strangers' bundles, but if it did:
    expect(c1.ingest(teamBundle(t2, epoch, body("not for c1"))).outcome).toBe("refused");
    expect(c1.ingest(randomBytes(2000))).toMatchObject({ outcome: "refused", code: "BUNDLE_MALFORMED" });

    for (let round = 0; round < 3; round++) {
      for (const c of [c1, c2, c3]) {
        for (const r of await c.round()) expect(r.error).toBeUndefined();
      }
    }
    const digests = (bs: readonly Uint8Array[]): string[] => bs.map(sha);
    const t1Real = [...digests(sent.c1), sha(sent.c2[0]!)];
    const t2Real = [sha(sent.c2[1]!), ...digests(sent.c3)];
    expect(inbound(c1)).toEqual([sha(sent.c2[0]!)].sort());
    expect(inbound(c2)).toEqual([...digests(sent.c1), ...digests(sent.c3)].sort());
    expect(inbound(c3)).toEqual([sha(sent.c2[1]!)].sort());
    for (const c of [c1, c2, c3]) {
      expect(c.spool.counts().outbound).toMatchObject({ pending: 0, failed: 0 });
      for (const e of c.spool.list({ direction: "inbound" })) expect([...t1Real, ...t2Real]).toContain(e.digest);
    }
    // Constant rate: each courier put exactly 4 bundles per team per round (5 real ones from c3 took two rounds).
    const t1Store = openMailbox(url, httpMailboxCredentials(t1.tk, epoch), store.options);
    const t2Store = openMailbox(url, httpMailboxCredentials(t2.tk, epoch), store.options);
    expect((await t1Store.list()).names).toHaveLength(2 * 3 * 4);
    expect((await t2Store.list()).names).toHaveLength(2 * 3 * 4);
    t1Store.close?.();
    t2Store.close?.();
    // Cover was recognised and dropped, and counted.
    const dropped = c2.spool.ledger.counters().filter((r) => r.outcome === "cover-dropped");
    expect(dropped.reduce((n, r) => n + r.n, 0)).toBeGreaterThan(0);
  });
});

describe("epochs", () => {
  it("rotates namespaces and tags at the boundary and still picks up bundles put just before it", async () => {
    const dir = tempDir("epochs");
    dirs.push(dir);
    const url = `memory:epochs${toHex(randomBytes(4))}`;
    const team = makeTeam("rotating", 3600);
    const clock = { now: (500_000 * 3600 - 10) * 1000 }; // 10 s before a boundary
    const a = courier(join(dir, "a"), [team], url, clock);
    const b = courier(join(dir, "b"), [team], url, clock);
    const e = team.tk.epochAt(clock.now);
    const late = teamBundle(team, e, body("late"));
    a.ingest(late);
    await a.round();
    clock.now += 20_000; // now in epoch e + 1
    expect(team.tk.epochAt(clock.now)).toBe(e + 1);
    expect(team.tk.mailboxId(e + 1)).not.toBe(team.tk.mailboxId(e));
    const fresh = teamBundle(team, e + 1, body("fresh"));
    a.ingest(fresh);
    await a.round();
    await b.round();
    expect(inbound(b)).toEqual([sha(late), sha(fresh)].sort());
    // The fresh one went to the new namespace; the old one holds only epoch e's traffic.
    const old = openMailbox(url, { namespace: team.tk.mailboxId(e), token: "" });
    const now = openMailbox(url, { namespace: team.tk.mailboxId(e + 1), token: "" });
    expect((await old.list()).names).toContain(mailboxNameFor(late));
    expect((await now.list()).names).toContain(mailboxNameFor(fresh));
    expect((await now.list()).names).not.toContain(mailboxNameFor(late));
    // A tag from before the accepted window is nobody's.
    expect(a.ingest(teamBundle(team, e - 20, body("ancient")))).toMatchObject({ outcome: "refused", code: "COURIER_UNKNOWN_TAG" });
  });
});

describe("a misbehaving mailbox", () => {
  it("drops, duplicates, reorders, truncates and replays: nothing lost, damage refused with a reason, duplicates ignored", async () => {
    const dir = tempDir("misbehave");
    dirs.push(dir);
    const url = `memory:bad${toHex(randomBytes(4))}`;
    const team = makeTeam("weathered");
    const clock = { now: 20_100 * EPOCH * 1000 };
    const random = seeded(42);
    const wrap: CourierOptions = {
      openBackend: (u, ns) => misbehaving(openMailbox(u, ns), random, { drop: 0.15, duplicate: 0.3, reorder: 0.5, truncate: 0.2, replay: 0.3 }),
    };
    const a = courier(join(dir, "a"), [team], url, clock, wrap);
    const b = courier(join(dir, "b"), [team], url, clock, wrap);
    const epoch = team.tk.epochAt(clock.now);
    const real = Array.from({ length: 10 }, (_, i) => teamBundle(team, epoch, body(`real ${i}`)));
    a.ingestMany(real);
    // Damage stored in the mailbox itself: garbage and a cut-short bundle under their own names.
    const store = openMailbox(url, { namespace: team.tk.mailboxId(epoch), token: "" });
    const garbage = randomBytes(3000);
    const whole = teamBundle(team, epoch, body("cut"));
    const cut = whole.subarray(0, whole.length - 100);
    await store.put(mailboxNameFor(garbage), garbage);
    await store.put(mailboxNameFor(cut), cut.slice());

    // Until b has everything and has had one clean round (its first lists the whole pull window).
    for (let i = 0; i < 40 && (inbound(b).length < real.length || b.spool.ledger.syncs()[0]?.lastOk === undefined); i++) {
      await a.round();
      await b.round();
    }
    expect(inbound(b)).toEqual(real.map(sha).sort());
    expect(a.spool.counts().outbound).toMatchObject({ pending: 0, failed: 0, delivered: 10 });
    const reasons = new Set(b.spool.ledger.counters().filter((r) => r.outcome === "refused").map((r) => r.reason));
    expect(reasons).toContain("BUNDLE_MALFORMED");
    expect(reasons).toContain("BUNDLE_TRUNCATED");
    expect(reasons).toContain("MAILBOX_DIGEST_MISMATCH");
    expect(b.spool.ledger.syncs()[0]!.lastOk).toBeDefined();
  });
});

/** The secrets a courier must never hold or send, as raw bytes, hex and base64. */
function needlesOf(team: TestTeam, canary: Uint8Array): Buffer[] {
  const secrets = [canary, team.device.signing.secretKey, team.device.encryption.secretKey];
  return secrets.flatMap((s) => [Buffer.from(s), Buffer.from(toHex(s)), Buffer.from(Buffer.from(s).toString("base64"))]);
}

/** Checks every file under `root` against the needles; returns how many files were read. */
function expectNoSecretFiles(root: string, needles: readonly Buffer[]): number {
  let files = 0;
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) return readdirSync(path).forEach((n) => walk(join(path, n)));
    files++;
    const content = readFileSync(path);
    for (const needle of needles) expect(content.includes(needle), `${path} holds a secret`).toBe(false);
  };
  walk(root);
  return files;
}

describe("split custody", () => {
  it("no courier file, spool or mailbox store holds a canary plaintext or a vault private key", async () => {
    const dir = tempDir("custody");
    dirs.push(dir);
    mkdirSync(join(dir, "store"));
    const url = `dir:${join(dir, "store")}`;
    const team = makeTeam("custody");
    const clock = { now: 20_200 * EPOCH * 1000 };
    const a = courier(join(dir, "a"), [team], url, clock);
    const b = courier(join(dir, "b"), [team], url, clock);
    const canary = new TextEncoder().encode(`CANARY-${toHex(randomBytes(16))}-PLAINTEXT`);
    const epoch = team.tk.epochAt(clock.now);
    a.ingestMany([teamBundle(team, epoch, canary), teamBundle(team, epoch, canary, 70_000)]);
    await a.round();
    await b.round();
    expect(inbound(b)).toHaveLength(2);
    a.close();
    b.close();
    open = [];
    expect(expectNoSecretFiles(dir, needlesOf(team, canary))).toBeGreaterThan(10);
  });

  it("over HTTP, the bytes the mailbox server received on the wire and stored hold no canary plaintext or vault private key", async () => {
    const dir = tempDir("custody-http");
    dirs.push(dir);
    const team = makeTeam("custody-http");
    const clock = { now: 20_300 * EPOCH * 1000 };
    const logged: string[] = [];
    const serverKey = team.tk.mailboxServerKey();
    const server = await startMailboxServer({
      listen: { host: "127.0.0.1", port: 0 },
      storageDir: join(dir, "server"),
      teams: () => [serverKey],
      now: () => clock.now,
      log: (line) => logged.push(line),
    });
    servers.push(server);
    // The couriers talk to the server only through the relay, so the capture is every byte it got.
    const wire = await startCaptureProxy({ host: "127.0.0.1", port: server.port });
    servers.push(wire);
    const a = courier(join(dir, "a"), [team], wire.url, clock);
    const b = courier(join(dir, "b"), [team], wire.url, clock);
    const canary = new TextEncoder().encode(`CANARY-${toHex(randomBytes(16))}-PLAINTEXT`);
    const epoch = team.tk.epochAt(clock.now);
    const real = [teamBundle(team, epoch, canary), teamBundle(team, epoch, canary, 70_000)];
    a.ingestMany(real);
    await a.round();
    await b.round();
    expect(inbound(b)).toHaveLength(2);
    a.close();
    b.close();
    open = [];

    const needles = needlesOf(team, canary);
    const received = wire.received();
    const sent = wire.sent();
    // The capture is real: it holds the sealed bundles as they crossed the wire.
    for (const bundle of real) expect(received.includes(Buffer.from(bundle))).toBe(true);
    for (const needle of needles) {
      expect(received.includes(needle), "the server received a secret").toBe(false);
      expect(sent.includes(needle), "the server sent a secret").toBe(false);
    }
    expect(expectNoSecretFiles(join(dir, "server"), needles)).toBe(2 * 4 + 1); // two rounds' bundles and the namespace's epoch file
    expect(expectNoSecretFiles(dir, needles)).toBeGreaterThan(10);
    for (const line of logged) for (const needle of needles) expect(line.includes(needle.toString("latin1"))).toBe(false);
  });
});
