import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ed25519KeyPair, isBundleError, sealBundle, toHex, x25519KeyPair } from "@airlock/bundle-format";
import { isAirlockError } from "@airlock/shared";
import { SHAPES_KEPT } from "./ledger.js";
import { applyMigrations, MIGRATIONS } from "./schema.js";
import { openSqlite } from "./sqlite.js";
import { Spool, type SpoolDirection, type SpoolState } from "./spool.js";

const sender = ed25519KeyPair();
const recipient = x25519KeyPair();
const TAG = new Uint8Array(16).fill(7);

function bundle(body: string, minLength?: number): Uint8Array {
  return sealBundle(new TextEncoder().encode(body), { recipients: [recipient.publicKey], sender, mailboxTag: TAG, minLength });
}
const BUNDLES = Array.from({ length: 6 }, (_, i) => bundle(`body ${i}`));
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isAirlockError(e) || isBundleError(e) ? e.code : String(e);
  }
}

describe("spool", () => {
  let dir: string;
  let path: string;
  let now: number;
  let spool: Spool;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-spool-"));
    path = join(dir, "spool.sqlite");
    now = 1_000_000;
    spool = Spool.open(path, { now: () => now });
  });
  afterEach(async () => {
    spool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores a bundle with what its header shows, and dedupes by digest", () => {
    const b = BUNDLES[0]!;
    const first = spool.put(b, "outbound");
    expect(first.isNew).toBe(true);
    expect(first.digest).toBe(sha(b));
    expect(first.entry).toEqual({
      digest: sha(b),
      direction: "outbound",
      mailboxTag: toHex(TAG),
      length: b.length,
      firstSeen: 1_000_000,
      state: "pending",
      attempts: 0,
      lastError: undefined,
      handedCount: 0,
    });
    now += 5;
    const again = spool.put(b.slice(), "inbound"); // the same bytes echoed back by the mailbox
    expect(again.isNew).toBe(false);
    expect(again.entry).toEqual(first.entry); // first direction and first_seen win
    expect(spool.get(first.digest)).toEqual(b);
    expect(spool.has(first.digest)).toBe(true);
    expect(spool.get("0".repeat(64))).toBeUndefined();
  });

  it("refuses non-bundles with the BundleError code, and stores nothing", () => {
    const b = BUNDLES[1]!;
    expect(codeOf(() => spool.put(new Uint8Array(2000), "inbound"))).toBe("BUNDLE_MALFORMED");
    expect(codeOf(() => spool.put(b.subarray(0, b.length - 1), "inbound"))).toBe("BUNDLE_TRUNCATED");
    expect(codeOf(() => spool.put(b.subarray(0, 10), "inbound"))).toBe("BUNDLE_TRUNCATED");
    const extra = new Uint8Array(b.length + 1);
    extra.set(b);
    expect(codeOf(() => spool.put(extra, "inbound"))).toBe("BUNDLE_MALFORMED");
    expect(spool.list()).toEqual([]);
  });

  it("refuses oversize bundles before parsing them", () => {
    const small = Spool.open(join(dir, "small.sqlite"), { maxBundleBytes: 2048 });
    try {
      expect(codeOf(() => small.put(bundle("big", 4096), "outbound"))).toBe("SPOOL_TOO_LARGE");
      expect(codeOf(() => small.put(new Uint8Array(4096), "outbound"))).toBe("SPOOL_TOO_LARGE");
      expect(small.put(BUNDLES[0]!, "outbound").isNew).toBe(true);
    } finally {
      small.close();
    }
    // A lowered limit also guards reads of what was stored before.
    const big = spool.put(bundle("big", 4096), "outbound");
    spool.close();
    spool = Spool.open(path, { maxBundleBytes: 2048 });
    expect(codeOf(() => spool.get(big.digest))).toBe("SPOOL_TOO_LARGE");
  });

  it("lists by direction and state, oldest first, with a limit; tracks delivery", () => {
    const digests = BUNDLES.slice(0, 4).map((b, i) => {
      now = 2_000_000 - i; // inserted newest first
      return spool.put(b, i % 2 === 0 ? "outbound" : "inbound").digest;
    });
    expect(spool.list().map((e) => e.digest)).toEqual([...digests].reverse());
    expect(spool.list({ direction: "outbound" }).map((e) => e.digest)).toEqual([digests[2], digests[0]]);
    expect(spool.list({ limit: 1 }).map((e) => e.digest)).toEqual([digests[3]]);
    spool.markFailed(digests[0]!, "mailbox unreachable");
    spool.markFailed(digests[0]!, "x".repeat(5000));
    expect(spool.entry(digests[0]!)).toMatchObject({ state: "failed", attempts: 2 });
    expect(spool.entry(digests[0]!)!.lastError!.length).toBe(1000);
    spool.markDelivered(digests[0]!);
    spool.markDelivered(digests[1]!);
    expect(spool.entry(digests[0]!)).toMatchObject({ state: "delivered", attempts: 2, lastError: undefined });
    expect(spool.list({ direction: "outbound", state: "pending" }).map((e) => e.digest)).toEqual([digests[2]]);
    expect(spool.counts()).toEqual({
      outbound: { pending: 1, delivered: 1, failed: 0 },
      inbound: { pending: 1, delivered: 1, failed: 0 },
    });
    expect(codeOf(() => spool.markDelivered("f".repeat(64)))).toBe("SPOOL_NOT_FOUND");
    expect(codeOf(() => spool.markFailed("nope", "x"))).toBe("SPOOL_BAD_DIGEST");
    expect(codeOf(() => spool.get("A".repeat(64)))).toBe("SPOOL_BAD_DIGEST");
  });

  it("expires by age with the injected clock, optionally by state", () => {
    now = 1000;
    const old = spool.put(BUNDLES[0]!, "outbound").digest;
    const oldDelivered = spool.put(BUNDLES[1]!, "inbound").digest;
    spool.markDelivered(oldDelivered);
    now = 5000;
    const young = spool.put(BUNDLES[2]!, "outbound").digest;
    now = 10_000;
    expect(spool.expire({ olderThanMs: 8000, states: ["delivered"] })).toBe(1);
    expect(spool.has(oldDelivered)).toBe(false);
    expect(spool.expire({ olderThanMs: 9000 })).toBe(0); // cutoff 1000: strictly older only
    expect(spool.expire({ olderThanMs: 8000 })).toBe(1);
    expect(spool.has(old)).toBe(false);
    expect(spool.has(young)).toBe(true);
    expect(spool.put(BUNDLES[0]!, "outbound").isNew).toBe(true); // expired means forgotten
  });

  it("persists across reopen, uses WAL and synchronous=FULL, and refuses a newer schema", () => {
    const d = spool.put(BUNDLES[3]!, "inbound").digest;
    spool.close();
    spool = Spool.open(path);
    expect(spool.get(d)).toEqual(BUNDLES[3]);
    spool.close();
    const raw = openSqlite(path);
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(raw.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    raw.pragma("user_version = 99");
    raw.close();
    const error = codeOf(() => Spool.open(path));
    expect(error).toBe("SPOOL_VERSION");
    spool = Spool.open(join(dir, "fresh.sqlite"));
  });

  it("reports a file that is not a database as SPOOL_OPEN", async () => {
    const junk = join(dir, "junk.sqlite");
    await writeFile(junk, "this is not sqlite, just some text that is long enough to have a header".repeat(20));
    expect(codeOf(() => Spool.open(junk))).toBe("SPOOL_OPEN");
  });

  it("matches a simple model under random operation sequences", () => {
    const digests = BUNDLES.map(sha);
    const op = fc.oneof(
      fc.record({ kind: fc.constant("put" as const), i: fc.nat(5), direction: fc.constantFrom<SpoolDirection>("outbound", "inbound") }),
      fc.record({ kind: fc.constant("delivered" as const), i: fc.nat(5) }),
      fc.record({ kind: fc.constant("failed" as const), i: fc.nat(5) }),
      fc.record({ kind: fc.constant("tick" as const), ms: fc.nat(100) }),
      fc.record({ kind: fc.constant("expire" as const), olderThanMs: fc.nat(200) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        now = 10 ** 12; // clear the previous run: everything is older than this
        spool.expire({ olderThanMs: 0 });
        now = 1_000_000;
        const model = new Map<string, { direction: SpoolDirection; state: SpoolState; attempts: number; firstSeen: number }>();
        for (const o of ops) {
          if (o.kind === "tick") now += o.ms;
          else if (o.kind === "put") {
            const isNew = spool.put(BUNDLES[o.i]!, o.direction).isNew;
            expect(isNew).toBe(!model.has(digests[o.i]!));
            if (isNew) model.set(digests[o.i]!, { direction: o.direction, state: "pending", attempts: 0, firstSeen: now });
          } else if (o.kind === "expire") {
            const gone = [...model].filter(([, m]) => m.firstSeen < now - o.olderThanMs).map(([d]) => d);
            expect(spool.expire({ olderThanMs: o.olderThanMs })).toBe(gone.length);
            for (const d of gone) model.delete(d);
          } else {
            const d = digests[o.i]!;
            const m = model.get(d);
            const code = codeOf(() => (o.kind === "delivered" ? spool.markDelivered(d) : spool.markFailed(d, "e")));
            expect(code).toBe(m === undefined ? "SPOOL_NOT_FOUND" : undefined);
            if (m !== undefined) {
              m.state = o.kind;
              if (o.kind === "failed") m.attempts++;
            }
          }
        }
        const actual = new Map(
          spool.list().map((e) => [e.digest as string, { direction: e.direction, state: e.state, attempts: e.attempts, firstSeen: e.firstSeen }]),
        );
        expect(actual).toEqual(model);
        const total = Object.values(spool.counts()).flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
        expect(total).toBe(model.size);
      }),
      { numRuns: runs(60) },
    );
  });
});

describe("spool v4: traffic shapes", () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("a v3 spool is migrated with the shapes of its real bundles (tier from team_tiers), and only the newest SHAPES_KEPT are kept", async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-spool-v4-"));
    const path = join(dir, "spool.sqlite");
    const team = "ab".repeat(32);
    const db = openSqlite(path);
    applyMigrations(db, MIGRATIONS.slice(0, 3));
    const real = bundle("a team's bundle", 9000);
    db.prepare("INSERT INTO bundles (digest, direction, mailbox_tag, length, first_seen, bundle, team) VALUES (?, 'inbound', ?, ?, 1, ?, ?)").run(
      sha(real),
      toHex(TAG),
      real.length,
      real,
      team,
    );
    db.prepare("INSERT INTO team_tiers (team, slot_tier) VALUES (?, 5)").run(team);
    db.close();

    const spool = Spool.open(path);
    try {
      expect(spool.ledger.shapes(team)).toEqual([{ length: real.length, slotTier: 5 }]);
      for (let i = 0; i < SHAPES_KEPT + 10; i++) spool.ledger.recordShape(team, { length: 1024 * (i + 1), slotTier: 2 });
      const shapes = spool.ledger.shapes(team);
      expect(shapes).toHaveLength(SHAPES_KEPT);
      expect(shapes.at(-1)).toEqual({ length: 1024 * (SHAPES_KEPT + 10), slotTier: 2 });
      expect(spool.ledger.shapes("cd".repeat(32))).toEqual([]);
    } finally {
      spool.close();
    }
    const raw = openSqlite(path);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'team_tiers'").get()).toBeUndefined();
    raw.close();
  });
});

describe("spool v5: batches", () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("a v4 spool's pending outbound bundles get their ingest time as arrival (batched by it); a batch is stored whole and read back byte for byte", async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-spool-v5-"));
    const path = join(dir, "spool.sqlite");
    const team = "ab".repeat(32);
    const db = openSqlite(path);
    applyMigrations(db, MIGRATIONS.slice(0, 4));
    const insert = db.prepare("INSERT INTO bundles (digest, direction, mailbox_tag, length, first_seen, bundle, team) VALUES (?, 'outbound', ?, ?, ?, ?, ?)");
    const olds = [bundle("old 1", 2000), bundle("old 2", 2000), bundle("later", 2000)];
    for (const [i, b] of olds.entries()) insert.run(sha(b), toHex(TAG), b.length, i < 2 ? 100 : 200, b, team);
    db.close();

    const spool = Spool.open(path);
    try {
      // The two ingested together come first, in digest order; the later one is a batch of its own.
      expect(spool.batches.nextReal(team, 10)).toEqual([sha(olds[0]!), sha(olds[1]!)].sort());
      const cover = bundle("cover", 3000);
      const items = [{ digest: sha(olds[1]!), cover: undefined }, { digest: sha(cover), cover }, { digest: sha(olds[0]!), cover: undefined }];
      const id = spool.batches.save(team, items);
      expect(spool.batches.nextReal(team, 10)).toEqual([sha(olds[2]!)]);
      expect(spool.batches.holds(sha(cover))).toBe(true);
      const [stored] = spool.batches.open(team);
      expect(stored!.items.map((i) => i.digest)).toEqual(items.map((i) => i.digest));
      expect(stored!.items[1]!.cover).toEqual(cover);
      expect(stored!.real).toBe(2);
      spool.batches.markPushed(id, "dir:/x");
      expect(spool.batches.backlog(team, ["dir:/x", "http://y"])).toEqual({ open: 1, waiting: { "dir:/x": 0, "http://y": 1 } });
      spool.batches.close(id);
      expect(spool.batches.open(team)).toEqual([]);
      expect(spool.entry(sha(olds[0]!))!.state).toBe("delivered");
      expect(spool.batches.holds(sha(cover))).toBe(false);
      expect(spool.batches.recentRealCounts(team)).toEqual([2]);
      // New ingests are one arrival each.
      const fresh = [bundle("new a", 2000), bundle("new b", 2000)];
      spool.putMany(fresh.map((b) => ({ bundle: b, direction: "outbound" as const, team })));
      spool.put(bundle("alone", 2000), "outbound", { team });
      expect(spool.batches.nextReal(team, 10)).toEqual([sha(olds[2]!)]);
    } finally {
      spool.close();
    }
  });
});
