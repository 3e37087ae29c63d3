/**
 * `dir:` mailboxes through real Syncthing (issue #5): two couriers, each a DirMailbox on its own
 * copy of a folder that two `syncthing` processes on 127.0.0.1 keep in sync. What the unit tests
 * in dir.test.ts fake (late files with old mtimes, `.syncthing.*.tmp` files, `.stfolder`), real
 * Syncthing produces here. Skipped, with the reason printed, only if syncthing cannot be installed.
 */
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSyncthing, startSyncthingPair, type SyncthingPeers } from "../../test-support/syncthing.js";
import { blob } from "./acceptance.js";
import type { MailboxName } from "./backend.js";
import { DirMailbox } from "./dir.js";

const syncthing = await ensureSyncthing();
if (!syncthing.ok) console.warn(`SKIPPED dir: mailboxes through real Syncthing: ${syncthing.reason}`);

const sorted = (names: readonly string[]): string[] => [...names].sort();

/** Byte equality without vitest's element-by-element diff, which takes seconds on MiB arrays. */
function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  const same = actual !== undefined && Buffer.compare(actual, expected) === 0;
  expect(same, `expected ${expected.length} bytes, got ${actual === undefined ? "undefined" : `${actual.length} different bytes`}`).toBe(true);
}

describe.skipIf(!syncthing.ok)("dir: mailboxes through real Syncthing", () => {
  let peers: SyncthingPeers | undefined;
  let couriers: [DirMailbox, DirMailbox];

  beforeAll(async () => {
    peers = await startSyncthingPair();
    couriers = [new DirMailbox(peers.folders[0]!), new DirMailbox(peers.folders[1]!)];
  }, 120_000);
  afterAll(async () => {
    await peers?.stop();
  });

  const st = (): SyncthingPeers => {
    if (peers === undefined) throw new Error("syncthing did not start");
    return peers;
  };

  /** Puts on `from`, scans there, and waits until `to` holds the complete file. */
  async function send(from: 0 | 1, bundles: readonly { name: MailboxName; bytes: Uint8Array }[]): Promise<void> {
    const to = from === 0 ? 1 : 0;
    for (const b of bundles) await couriers[from].put(b.name, b.bytes);
    await st().rescan(from);
    for (const b of bundles) await st().waitForFile(to, b.name, { size: b.bytes.length });
  }

  it("hands bundles from one courier to the other intact, in both directions", async () => {
    const [a, b] = couriers;
    const startA = await a.list();
    const startB = await b.list();

    const fromA = [blob(2048), blob(64 * 1024), blob(1024 * 1024)];
    await send(0, fromA);
    const seenByB = await b.list(startB.cursor);
    expect(sorted(seenByB.names)).toEqual(sorted(fromA.map((x) => x.name)));
    for (const x of fromA) expectBytes(await b.get(x.name), x.bytes);

    const ownA = await a.list(startA.cursor);
    expect(sorted(ownA.names)).toEqual(sorted(fromA.map((x) => x.name)));

    const fromB = [blob(2048), blob(300 * 1024)];
    await send(1, fromB);
    // Syncthing gives the files B's mtimes and its own arrival order; A's cursor must still
    // hand out exactly the new arrivals.
    expect(sorted((await a.list(ownA.cursor)).names)).toEqual(sorted(fromB.map((x) => x.name)));
    for (const x of fromB) expectBytes(await a.get(x.name), x.bytes);
    expect((await b.list(seenByB.cursor)).names.filter((n) => !fromB.some((x) => x.name === n))).toEqual([]);

    // Syncthing's own entries (.stfolder, .stignore) sit in the folder and are never listed.
    const entries = await readdir(st().folders[1]!);
    expect(entries).toContain(".stfolder");
    expect(entries).toContain(".stignore");
    expect(sorted((await b.list()).names)).toEqual(sorted(entries.filter((e) => e.endsWith(".airlock"))));
  });

  it("propagates deletions both ways", async () => {
    const [a, b] = couriers;
    const [x, y] = [blob(4096), blob(4096)];
    await send(0, [x, y]);

    await b.delete(x.name);
    await st().rescan(1);
    await st().waitForFile(0, x.name, { gone: true });
    expect(await a.get(x.name)).toBeUndefined();
    expect((await a.list()).names).not.toContain(x.name);

    await a.delete(y.name);
    await st().rescan(0);
    await st().waitForFile(1, y.name, { gone: true });
    expect(await b.get(y.name)).toBeUndefined();
    expect((await b.list()).names).not.toContain(y.name);
  });

  it("never lists a bundle that is still being transferred", async () => {
    const [a, b] = couriers;
    // Throttle the receiver so the transfer takes a few seconds and Syncthing's
    // .syncthing.<name>.tmp file is observable in B's folder. The limiter lets a burst of about
    // 512 KiB through at once, so the bundle must be much larger than that.
    await st().setOptions(1, { maxRecvKbps: 1024, limitBandwidthInLan: true });
    try {
      const big = blob(4 * 1024 * 1024);
      const temp = `.syncthing.${big.name}.tmp`;
      await a.put(big.name, big.bytes);
      await st().rescan(0);
      let checksWhilePartial = 0;
      await st().waitUntil(`peer 1 to hold ${temp} while the transfer runs`, async () => {
        const entries = await readdir(st().folders[1]!);
        if (!entries.includes(temp)) return false;
        // Syncthing may finish and rename the temp file at any moment; every check below must
        // hold either way: the name is listed only once the whole file is in place.
        const listed = (await b.list()).names;
        if (listed.includes(big.name)) expectBytes(await b.get(big.name), big.bytes);
        else expect(await b.get(big.name)).toBeUndefined();
        checksWhilePartial++;
        return true;
      });
      expect(checksWhilePartial).toBe(1);

      await st().waitForFile(1, big.name, { size: big.bytes.length });
      expect((await b.list()).names).toContain(big.name);
      expectBytes(await b.get(big.name), big.bytes);
    } finally {
      await st().setOptions(1, { maxRecvKbps: 0, limitBandwidthInLan: false });
    }
  });

  it("lists the same bundle once when both couriers put it at the same time", async () => {
    const [a, b] = couriers;
    const same = blob(8192);
    await Promise.all([a.put(same.name, same.bytes), b.put(same.name, same.bytes)]);
    await Promise.all([st().rescan(0), st().rescan(1)]);
    // Both sides hold it from the start; wait until Syncthing has reconciled the two versions
    // (it may keep a *.sync-conflict-* copy, which DirMailbox must ignore).
    await st().waitUntil("both peers in sync", async () => {
      for (const [i, id] of [[0, st().deviceIds[1]!], [1, st().deviceIds[0]!]] as const) {
        const c = await st().api<{ completion: number; needItems: number }>(i, "GET", `/rest/db/completion?folder=${st().folderId}&device=${id}`);
        if (c.completion !== 100 || c.needItems !== 0) return false;
        const s = await st().api<{ state: string; needTotalItems: number }>(i, "GET", `/rest/db/status?folder=${st().folderId}`);
        if (s.state !== "idle" || s.needTotalItems !== 0) return false;
      }
      return true;
    });
    for (const courier of [a, b]) {
      expect((await courier.list()).names.filter((n) => n === same.name)).toEqual([same.name]);
      expectBytes(await courier.get(same.name), same.bytes);
    }
  });
});
