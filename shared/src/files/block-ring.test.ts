/** BlockRing: views in turn, reuse only after the carried work, a failure surfaces on reuse. */
import { describe, expect, it } from "vitest";
import { BlockRing } from "./block-ring.js";

describe("BlockRing", () => {
  it("hands out consecutive views of the current block, and fresh arrays past it or before any", async () => {
    const memory = new Uint8Array(2 * 10);
    const ring = new BlockRing(2, 10, memory);
    expect(ring.take(4).buffer).not.toBe(memory.buffer); // no block entered yet
    await ring.next();
    const a = ring.take(4);
    const b = ring.take(6);
    expect(a.buffer).toBe(memory.buffer);
    expect(b.buffer).toBe(memory.buffer);
    expect([a.byteOffset, b.byteOffset]).toEqual([0, 4]);
    expect(ring.room).toBe(0);
    expect(ring.take(1).buffer).not.toBe(memory.buffer);
    await ring.next();
    expect(ring.take(10).byteOffset).toBe(10);
  });

  it("enters a block again only after the work that carried it settled", async () => {
    const memory = new Uint8Array(16);
    const ring = new BlockRing(2, 8, memory);
    await ring.next();
    let finish!: () => void;
    ring.carries(new Promise<void>((resolve) => (finish = resolve)));
    await ring.next(); // block 1: free
    let entered = false;
    const again = ring.next().then(() => (entered = true)); // block 0: still carried
    await Promise.resolve();
    await Promise.resolve();
    expect(entered).toBe(false);
    expect(ring.take(8).buffer).not.toBe(memory.buffer); // nothing from a block still carried
    finish();
    await again;
    const view = ring.take(8);
    expect(view.buffer).toBe(memory.buffer);
    expect(view.byteOffset).toBe(0);
  });

  it("rethrows what failed the carried work when its block comes round", async () => {
    const ring = new BlockRing(1, 8);
    await ring.next();
    const failed = Promise.reject(new Error("disk full"));
    failed.catch(() => undefined);
    ring.carries(failed);
    await expect(ring.next()).rejects.toThrow("disk full");
  });

  it("refuses memory smaller than its blocks", () => {
    expect(() => new BlockRing(2, 10, new Uint8Array(19))).toThrow(RangeError);
  });
});
