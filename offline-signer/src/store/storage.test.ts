import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAirlockError } from "@airlock/shared";
import { passphraseBytes } from "./params.js";
import { Storage } from "./storage.js";
import { VaultStore } from "./vault-store.js";

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(): Promise<{ store: VaultStore; storage: Storage }> {
  const d = mkdtempSync(join(tmpdir(), "airlock-storage-"));
  made.push(d);
  const store = await VaultStore.create(join(d, "vault"), passphraseBytes("storage test"), { kdf: "test-insecure" });
  return { store, storage: new Storage(store.connection()) };
}

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
/** Plain Uint8Arrays out, never Buffers (whose slice and toString differ). */
const plain = (b: Uint8Array | null | undefined): boolean => b instanceof Uint8Array && !Buffer.isBuffer(b);

describe("Storage", () => {
  it("writes and reads changesets, heads and forks with plain Uint8Arrays", async () => {
    const { store, storage } = await open();
    const device = bytes(32, 1);
    const cs = { id: bytes(32, 9), device, seq: 1, bytes: bytes(100, 7) };
    const id = store.transaction(() => storage.changesets.insert(cs, "waiting", null, 5));
    expect(storage.changesets.waitingDevices()).toEqual([device]);
    expect(plain(storage.changesets.waitingDevices()[0])).toBe(true);
    expect(storage.changesets.waitingAt(device, 1)).toEqual({ id, bytes: cs.bytes });
    expect(storage.changesets.waitingOf(device)).toEqual({ count: 1, size: 100 });
    const hash = storage.changesets.hashAt(device, 1);
    expect(plain(hash)).toBe(true);
    expect(hash).toEqual(cs.id);
    store.transaction(() => {
      storage.changesets.setVerdict(id, "applied", null);
      storage.heads.set(device, 1, cs.id);
    });
    expect(storage.changesets.countByStatus()).toEqual({ applied: 1, locked: 0, rejected: 0, waiting: 0 });
    expect([...storage.changesets.forwardable(device, 0)]).toEqual([cs.bytes]);
    expect(storage.heads.get(device)).toEqual({ seq: 1, hash: cs.id });
    // move() changes only an existing head.
    store.transaction(() => storage.heads.move(bytes(32, 2), 4, cs.id));
    expect(storage.heads.seqOf(bytes(32, 2))).toBeUndefined();
    store.transaction(() => storage.forks.set(device, 1, bytes(10, 3)));
    expect(storage.forks.all()).toEqual([{ device, seq: 1, other: bytes(10, 3) }]);
    store.close();
  });

  it("keeps a peer's ack moving forward only, and replaces its log heads", async () => {
    const { store, storage } = await open();
    const peer = bytes(32, 1);
    const chain = bytes(32, 2);
    store.transaction(() => {
      storage.acks.record(peer, chain, 5, 100, bytes(32, 5));
      storage.acks.record(peer, chain, 3, 200, bytes(32, 3)); // an older bundle, read late
      storage.acks.record(peer, chain, 5, 300, null); // same seq without an id keeps the id
    });
    expect(storage.acks.all()).toEqual([{ peer, device: chain, seq: 5, hash: bytes(32, 5) }]);
    expect(storage.acks.lastHeard()).toEqual([{ peer, heard: 300 }]);
    store.transaction(() => storage.acks.setLogHeads(peer, [bytes(32, 8), bytes(32, 9)]));
    store.transaction(() => storage.acks.setLogHeads(peer, [bytes(32, 7)]));
    expect(storage.acks.logHeads(peer)).toEqual([bytes(32, 7)]);
    store.close();
  });

  it("rolls back with the store's transaction, savepoints included", async () => {
    const { store, storage } = await open();
    store.transaction(() => {
      storage.meta.set("a", "1");
      expect(() =>
        storage.savepoint(() => {
          storage.meta.set("b", "2");
          throw new Error("undo the savepoint only");
        }),
      ).toThrow("undo the savepoint only");
    });
    expect(storage.meta.get("a")).toBe("1");
    expect(storage.meta.get("b")).toBeUndefined();
    expect(() =>
      store.transaction(() => {
        storage.keys.insert(bytes(32, 1), "notes", bytes(32, 2), "e/notes/00/0000");
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(storage.keys.ids()).toEqual([]);
    store.close();
  });

  it("says VAULT_CLOSED once the store is closed, also for statements prepared before", async () => {
    const { store, storage } = await open();
    expect(storage.meta.get("x")).toBeUndefined();
    store.close();
    let error: unknown;
    try {
      storage.meta.get("x");
    } catch (e) {
      error = e;
    }
    expect(isAirlockError(error, "VAULT_CLOSED")).toBe(true);
  });
});
