/**
 * The worker thread really runs: this test loads the compiled module (npm test builds first), so
 * the worker file exists next to it, unlike under the TypeScript sources, where the pool falls
 * back to verifying on the calling thread.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ed25519KeyPair } from "@airlock/bundle-format";
import { sealChangeset, type Changeset } from "../sync/changeset.js";

const DIST = new URL("../../dist/src/vault/signature-pool.js", import.meta.url);
type Pool = typeof import("./signature-pool.js");

function changesets(n: number): Changeset[] {
  const device = ed25519KeyPair();
  const team = new Uint8Array(32).fill(1);
  return Array.from({ length: n }, (_, i) =>
    sealChangeset(device, { team, seq: i + 1, prev: new Uint8Array(32), heads: [team], time: i, groups: [] }),
  );
}

function forge(c: Changeset): Changeset {
  const sig = c.signed.sig.slice();
  sig[10]! ^= 1;
  return { ...c, signed: { body: c.signed.body, sig } };
}

describe.skipIf(!existsSync(fileURLToPath(DIST)))("signature pool (compiled, with its worker thread)", () => {
  it("agrees with the calling thread on every signature, across the split", async () => {
    const pool = (await import(DIST.href)) as Pool;
    const list = changesets(200);
    const bad = new Set([3, 150, 199]); // in the worker's part and in the caller's part
    const input = list.map((c, i) => (bad.has(i) ? forge(c) : c));
    const split = pool.verifyOnWorker(input);
    expect(split.workerCount).toBe(Math.floor(200 * pool.WORKER_SHARE));
    const rest = pool.verifyRest(input, split);
    const all = [...(await split.worker), ...rest];
    expect(all).toEqual(input.map((_, i) => !bad.has(i)));
    expect(await pool.verifyChangesets(input)).toEqual(all);
  });

  it("verifies small batches on the calling thread", async () => {
    const pool = (await import(DIST.href)) as Pool;
    const input = changesets(10).map((c, i) => (i === 4 ? forge(c) : c));
    expect(pool.verifyOnWorker(input).workerCount).toBe(0);
    expect(await pool.verifyChangesets(input)).toEqual(input.map((_, i) => i !== 4));
  });
});
