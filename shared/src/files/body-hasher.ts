/**
 * SHA-256 of a bundle body, computed beside the AEAD: on a worker thread for large bodies,
 * so sealing and opening use both cores (SHA-256 ~1.4 GB/s and ChaCha20-Poly1305 ~1 GB/s
 * here, one core each), or on the calling thread for small ones, where starting a worker
 * (~40 ms, ~10 MiB) costs more than it saves.
 *
 * The bytes to hash live in a ring the hasher hands out: a SharedArrayBuffer for the worker,
 * so no byte is copied between threads. update() returns a promise for when those bytes were
 * hashed, i.e. when the caller may overwrite them.
 *
 * The worker is a CommonJS script passed as source text, so the same code runs from the
 * compiled package and from the TypeScript sources under vitest. It only hashes what it is
 * told: node:crypto's SHA-256, the same binding as bundle-format's primitives.
 */
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";

/** From this body size on, the hash runs on a worker thread. */
export const WORKER_MIN_BYTES = 4 * 1024 * 1024;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const ring = new Uint8Array(workerData.ring);
const hash = createHash("sha256");
parentPort.on("message", (m) => {
  if (m.digest === true) {
    parentPort.postMessage({ digest: new Uint8Array(hash.digest()) });
    return;
  }
  hash.update(m.bytes !== undefined ? m.bytes : ring.subarray(m.offset, m.offset + m.length));
  parentPort.postMessage({ hashed: m.id });
});
`;

export interface BodyHasher {
  /** Memory to fill with body bytes for update() (a view of it; other small arrays work too). */
  readonly ring: Uint8Array;
  /** True when the hash runs on a worker thread. */
  readonly threaded: boolean;
  /** Hashes `bytes` next; resolves once they were read, so their memory may be reused. */
  update(bytes: Uint8Array): Promise<void>;
  /** SHA-256 of everything passed to update(), in order. Call once. */
  digest(): Promise<Uint8Array>;
  /** Stops the worker, if any. Safe to call more than once, and after a failure. */
  close(): Promise<void>;
}

/** A hasher with a ring of `ringBytes`, on a worker when `threaded`. */
export function startBodyHasher(ringBytes: number, threaded: boolean): BodyHasher {
  return threaded ? new WorkerHasher(ringBytes) : new InlineHasher(ringBytes);
}

class InlineHasher implements BodyHasher {
  readonly ring: Uint8Array;
  readonly threaded = false;
  readonly #hash = createHash("sha256");

  constructor(ringBytes: number) {
    this.ring = new Uint8Array(ringBytes);
  }

  update(bytes: Uint8Array): Promise<void> {
    this.#hash.update(bytes);
    return Promise.resolve();
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Waiter {
  readonly id: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Invariants: messages are handled in the order they were posted, so acknowledgements come
 * back in order and `#waiting` is a FIFO queue; after a failure every pending and later call
 * rejects with it.
 */
class WorkerHasher implements BodyHasher {
  readonly ring: Uint8Array;
  readonly threaded = true;
  readonly #worker: Worker;
  readonly #waiting: Waiter[] = [];
  #digest: { resolve: (d: Uint8Array) => void; reject: (e: unknown) => void } | undefined;
  #nextId = 0;
  #failure: unknown;
  #closed: Promise<void> | undefined;

  constructor(ringBytes: number) {
    const shared = new SharedArrayBuffer(ringBytes);
    this.ring = new Uint8Array(shared);
    // The worker allocates almost nothing (a message per block); a small young generation
    // keeps its isolate from touching megabytes of heap it never needs (~1.5 MiB of peak RSS).
    const resourceLimits = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 };
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: shared }, resourceLimits });
    this.#worker.on("message", (m: { hashed?: number; digest?: Uint8Array }) => this.#onMessage(m));
    this.#worker.on("error", (e) => this.#fail(e));
    this.#worker.on("exit", (code) => this.#fail(new Error(`the body hash worker stopped (exit code ${code})`)));
  }

  update(bytes: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const inRing = bytes.buffer === this.ring.buffer;
    const message = inRing ? { id, offset: bytes.byteOffset, length: bytes.length } : { id, bytes: bytes.slice() };
    return quiet(
      new Promise<void>((resolve, reject) => {
        this.#waiting.push({ id, resolve, reject });
        this.#worker.postMessage(message);
      }),
    );
  }

  digest(): Promise<Uint8Array> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return quiet(
      new Promise<Uint8Array>((resolve, reject) => {
        this.#digest = { resolve, reject };
        this.#worker.postMessage({ digest: true });
      }),
    );
  }

  close(): Promise<void> {
    this.#closed ??= this.#worker.terminate().then(() => undefined);
    return this.#closed;
  }

  #onMessage(m: { hashed?: number; digest?: Uint8Array }): void {
    if (m.digest !== undefined) {
      this.#digest?.resolve(m.digest);
      this.#digest = undefined;
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter === undefined || waiter.id !== m.hashed) {
      this.#fail(new Error("internal: the body hash worker acknowledged out of order"));
      return;
    }
    waiter.resolve();
  }

  #fail(e: unknown): void {
    if (this.#closed !== undefined && this.#failure === undefined && this.#waiting.length === 0 && this.#digest === undefined) return;
    this.#failure ??= e;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
    this.#digest?.reject(this.#failure);
    this.#digest = undefined;
  }
}

/**
 * A caller that fails elsewhere stops awaiting the acknowledgements it asked for; when the
 * worker is then stopped they reject, and that must not be an unhandled rejection. Awaiting
 * the returned promise still throws.
 */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
