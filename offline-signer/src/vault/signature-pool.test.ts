/**
 * The preparation pool agrees with preparing on one thread, whoever prepares what. One test
 * loads the compiled module (npm test builds first), so the worker file exists next to it,
 * unlike under the TypeScript sources, where everything is prepared on the calling thread.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ed25519KeyPair, randomBytes } from "@airlock/bundle-format";
import { decodeChangeset, keyIdOf, sealChangeset, type Changeset } from "../sync/changeset.js";
import * as source from "./signature-pool.js";

const DIST = new URL("../../dist/src/vault/signature-pool.js", import.meta.url);
type Pool = typeof source;

const team = new Uint8Array(32).fill(1);
const known = randomBytes(32);
const unknown = randomBytes(32);
/** Collection "d" is sealed under this key, but the pool is handed another under its id: nothing opens. */
const sealedD = randomBytes(32);
const keys = new Map([
  [source.keySlot("c", keyIdOf(known)), known],
  [source.keySlot("d", keyIdOf(sealedD)), randomBytes(32)],
]);

/** Changesets of one batch each; every 7th under a key the pool is not given, those in `wrong` under a wrong one. */
function changesets(n: number, wrong: ReadonlySet<number>): Uint8Array[] {
  const device = ed25519KeyPair();
  return Array.from({ length: n }, (_, i) => {
    const key = wrong.has(i) ? sealedD : i % 7 === 6 ? unknown : known;
    const ops = [{ kind: "set" as const, record: `r${i}`, field: "title", value: `t${i}`, wall: 1000 + i, counter: 0 }];
    const collection = wrong.has(i) ? "d" : "c";
    return sealChangeset(device, { team, seq: i + 1, prev: new Uint8Array(32), heads: [team], time: i, groups: [{ collection, key, ops }] }).bytes;
  });
}

/** A flipped bit in the signature (the last bytes of the encoding). */
function forge(list: Uint8Array[], bad: ReadonlySet<number>): Uint8Array[] {
  return list.map((c, i) => (bad.has(i) ? Uint8Array.from(c, (x, j) => (j === c.length - 1 ? x ^ 1 : x)) : c));
}

/** Runs a whole preparation as sync.ts does: begin, decode and offer keys, then take each in order. */
function prepareAll(pool: Pool, list: readonly Uint8Array[]): (source.PreparedChangeset | undefined)[] {
  const preparer = pool.Preparer.start(list.length);
  try {
    preparer.begin(list);
    const decoded: (Changeset | undefined)[] = [];
    for (const [i, bytes] of list.entries()) {
      try {
        decoded.push(decodeChangeset(bytes, { verify: false }));
      } catch {
        decoded.push(undefined);
        preparer.skip(i);
      }
      if (i === 0) for (const [slot, key] of keys) preparer.offerKey(slot, key.slice());
    }
    preparer.scanned(list.length, decoded);
    return list.map((_, i) => preparer.take(i));
  } finally {
    preparer.close();
  }
}

/** What one thread alone makes of each changeset. */
function expected(list: readonly Uint8Array[]): (source.PreparedChangeset | undefined)[] {
  return list.map((bytes) => {
    try {
      return source.prepareChangeset(decodeChangeset(bytes, { verify: false }), (slot) => keys.get(slot));
    } catch {
      return undefined;
    }
  });
}

describe("preparation pool", () => {
  const badSig = new Set([3, 150, 199]);
  const badCt = new Set([10, 120]);

  it("prepares on the calling thread alike (no worker below WORKER_MIN or under the sources)", () => {
    const list = forge(changesets(20, new Set([10])), new Set([3]));
    const got = prepareAll(source, [...list, new Uint8Array([1, 2, 3])]);
    expect(got).toEqual([...expected(list), undefined]);
    expect(got[3]).toEqual({ verified: false, batches: undefined });
    expect(got[10]).toEqual({ verified: true, batches: undefined });
    expect(got[6]).toEqual({ verified: true, batches: undefined }); // its key was not handed over
    expect(got[0]!.batches![0]!.ops[0]!.value).toBe("t0");
  });

  it.skipIf(!existsSync(fileURLToPath(DIST)))("agrees with the calling thread with its worker thread (compiled)", async () => {
    const pool = (await import(DIST.href)) as Pool;
    const list = forge(changesets(200, badCt), badSig);
    const got = prepareAll(pool, [...list.slice(0, 100), new Uint8Array([1, 2, 3]), ...list.slice(100)]);
    expect(got).toEqual([...expected(list.slice(0, 100)), undefined, ...expected(list.slice(100))]);
    expect(got.filter((r) => r?.verified === false)).toHaveLength(badSig.size);
    expect(got.filter((r) => r?.batches !== undefined)).toHaveLength(200 - badSig.size - badCt.size - [...Array(200).keys()].filter((i) => i % 7 === 6 && !badSig.has(i) && !badCt.has(i)).length);
  });
});
