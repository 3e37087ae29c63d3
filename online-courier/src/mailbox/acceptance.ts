/**
 * The acceptance suite every mailbox backend runs (import it from the backend's *.test.ts):
 * the in-memory reference and `dir:` today, S3 / HTTP / onion later. Bundles are opaque here
 * (random bytes named by their digest): backends never parse them.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAirlockError } from "@airlock/shared";
import { digestHex, mailboxNameFor, MAILBOX_SUFFIX, type MailboxBackend, type MailboxName } from "./backend.js";

export interface MailboxSetup {
  /** A fresh, empty backend; use a small maxBundleBytes (the oversize test allocates one more byte). */
  readonly backend: MailboxBackend;
  readonly teardown: () => Promise<void>;
}

export function blob(size = 1024): { name: MailboxName; bytes: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(size));
  return { name: mailboxNameFor(bytes), bytes };
}

/** Two blobs whose names share their first `hexDigits` characters (brute force, 16^n tries). */
function prefixTwins(hexDigits: number): [ReturnType<typeof blob>, ReturnType<typeof blob>] {
  const first = blob(64);
  const prefix = first.name.slice(0, hexDigits);
  for (;;) {
    const other = blob(64);
    if (other.name.startsWith(prefix) && other.name !== first.name) return [first, other];
  }
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAirlockError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

export function runMailboxAcceptanceTests(name: string, setup: () => Promise<MailboxSetup>): void {
  describe(`mailbox acceptance: ${name}`, () => {
    let backend: MailboxBackend;
    let teardown: () => Promise<void>;

    beforeEach(async () => {
      ({ backend, teardown } = await setup());
    });
    afterEach(async () => {
      await teardown();
    });

    it("starts empty", async () => {
      expect((await backend.list()).names).toEqual([]);
    });

    it("round-trips a bundle byte for byte", async () => {
      const b = blob(3000);
      await backend.put(b.name, b.bytes);
      expect(await backend.get(b.name)).toEqual(b.bytes);
      expect((await backend.list()).names).toEqual([b.name]);
    });

    it("does not alias the caller's buffer", async () => {
      const b = blob();
      const copy = b.bytes.slice();
      await backend.put(b.name, b.bytes);
      b.bytes.fill(0);
      const got = await backend.get(b.name);
      expect(got).toEqual(copy);
      got!.fill(1);
      expect(await backend.get(b.name)).toEqual(copy);
    });

    it("puts the same name idempotently", async () => {
      const b = blob();
      await backend.put(b.name, b.bytes);
      const first = await backend.list();
      await backend.put(b.name, b.bytes);
      expect((await backend.list()).names).toEqual([b.name]);
      expect((await backend.list(first.cursor)).names).toEqual([]);
      expect(await backend.get(b.name)).toEqual(b.bytes);
    });

    it("lists only names newer than the cursor, and nothing twice", async () => {
      const a = blob();
      const b = blob();
      const c = blob();
      await backend.put(a.name, a.bytes);
      await backend.put(b.name, b.bytes);
      const l1 = await backend.list();
      expect([...l1.names].sort()).toEqual([a.name, b.name].sort());
      await backend.put(c.name, c.bytes);
      const l2 = await backend.list(l1.cursor);
      expect(l2.names).toEqual([c.name]);
      const l3 = await backend.list(l2.cursor);
      expect(l3.names).toEqual([]);
      expect((await backend.list(l3.cursor)).names).toEqual([]);
      // An old cursor still means what it meant.
      expect((await backend.list(l1.cursor)).names).toEqual([c.name]);
    });

    it("lists a name again after it was deleted and stored again", async () => {
      const a = blob();
      await backend.put(a.name, a.bytes);
      const l1 = await backend.list();
      await backend.delete(a.name);
      await backend.put(a.name, a.bytes);
      expect((await backend.list(l1.cursor)).names).toEqual([a.name]);
    });

    it("keeps names with a shared prefix apart", async () => {
      const [x, y] = prefixTwins(3);
      await backend.put(x.name, x.bytes);
      expect(await backend.get(y.name)).toBeUndefined();
      await backend.put(y.name, y.bytes);
      expect(await backend.get(x.name)).toEqual(x.bytes);
      expect(await backend.get(y.name)).toEqual(y.bytes);
      await backend.delete(x.name);
      expect(await backend.get(x.name)).toBeUndefined();
      expect(await backend.get(y.name)).toEqual(y.bytes);
      expect((await backend.list()).names).toEqual([y.name]);
    });

    it("returns undefined for a missing name", async () => {
      expect(await backend.get(blob().name)).toBeUndefined();
    });

    it("deletes, and deleting a missing name is fine", async () => {
      const a = blob();
      await backend.put(a.name, a.bytes);
      await backend.delete(a.name);
      expect(await backend.get(a.name)).toBeUndefined();
      expect((await backend.list()).names).toEqual([]);
      await backend.delete(a.name);
    });

    it("refuses invalid names with MAILBOX_BAD_NAME in every method", async () => {
      const good = blob();
      const hex = digestHex(good.bytes);
      const bad = [
        "",
        hex,
        `${hex.toUpperCase()}${MAILBOX_SUFFIX}`,
        `${hex.slice(1)}${MAILBOX_SUFFIX}`,
        `${hex}0${MAILBOX_SUFFIX}`,
        `${hex}${MAILBOX_SUFFIX}.tmp`,
        `../${hex}${MAILBOX_SUFFIX}`,
        `${hex.slice(0, 63)}/${MAILBOX_SUFFIX}`,
        ` ${hex}${MAILBOX_SUFFIX}`,
        `${hex}${MAILBOX_SUFFIX}\n`,
        `${hex}${MAILBOX_SUFFIX}\0`,
      ];
      for (const n of bad) {
        await expectCode(backend.put(n, good.bytes), "MAILBOX_BAD_NAME");
        await expectCode(backend.get(n), "MAILBOX_BAD_NAME");
        await expectCode(backend.delete(n), "MAILBOX_BAD_NAME");
      }
      await expectCode(backend.get(42 as unknown as string), "MAILBOX_BAD_NAME");
      expect((await backend.list()).names).toEqual([]);
    });

    it("refuses bytes that do not match their name", async () => {
      const a = blob();
      const b = blob();
      await expectCode(backend.put(a.name, b.bytes), "MAILBOX_DIGEST_MISMATCH");
      expect(await backend.get(a.name)).toBeUndefined();
    });

    it("refuses an oversize bundle and stores nothing", async () => {
      const big = blob(backend.maxBundleBytes + 1);
      await expectCode(backend.put(big.name, big.bytes), "MAILBOX_TOO_LARGE");
      expect((await backend.list()).names).toEqual([]);
      const max = blob(backend.maxBundleBytes);
      await backend.put(max.name, max.bytes);
      expect(await backend.get(max.name)).toEqual(max.bytes);
    });

    it("refuses a damaged cursor with MAILBOX_BAD_CURSOR", async () => {
      for (const c of ["", "x", "0", "zz.1", "0123456789abcdef.-1", "0123456789abcdef.01"]) {
        await expectCode(backend.list(c), "MAILBOX_BAD_CURSOR");
      }
    });

    it("survives concurrent puts, lists and duplicate puts", async () => {
      const blobs = Array.from({ length: 24 }, () => blob(2048));
      const lists: Promise<{ names: string[] }>[] = [];
      await Promise.all(
        blobs.flatMap((b, i) => {
          const ops = [backend.put(b.name, b.bytes), backend.put(b.name, b.bytes)];
          if (i % 6 === 0) lists.push(backend.list());
          return ops;
        }),
      );
      await Promise.all(lists);
      const listed = (await backend.list()).names;
      expect([...listed].sort()).toEqual(blobs.map((b) => b.name).sort());
      for (const b of blobs) expect(await backend.get(b.name)).toEqual(b.bytes);
    });

    it("hands out every name exactly once across a cursor chain with interleaved puts", async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      const all: string[] = [];
      for (let round = 0; round < 5; round++) {
        const batch = Array.from({ length: round }, () => blob(100));
        await Promise.all(batch.map((b) => backend.put(b.name, b.bytes)));
        all.push(...batch.map((b) => b.name));
        const l = await backend.list(cursor);
        seen.push(...l.names);
        cursor = l.cursor;
      }
      expect([...seen].sort()).toEqual([...all].sort());
    });
  });
}
