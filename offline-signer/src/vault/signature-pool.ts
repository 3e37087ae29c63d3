/**
 * The CPU work of an import that needs no store: checking each changeset's signature and opening
 * its batches, done by a worker thread beside the main thread's transaction, so an import uses
 * both cores (docs/benchmarks.md, vault.import.ops).
 *
 * The main thread hands the worker the changesets' bytes and, as it decodes them itself, the
 * collection keys they name; it then runs its transaction and asks for each changeset's result
 * in order (`take`). The worker claims changesets front to back and posts results in small
 * chunks; whenever the main thread would wait for one, it claims a changeset from the back and
 * prepares it itself, so neither thread idles while work is left. Each changeset is claimed
 * once, through a shared array (compare-and-swap), so the two never do the same one.
 *
 * Invariants: a result depends only on the changeset and the key named for it — the same on
 * either thread, so who prepared it never changes a verdict; a changeset with a key not handed
 * over, or whose result is not there in time, comes back unprepared and takes the
 * transaction's inline path. Without a compiled worker file (tests running TypeScript sources)
 * everything is prepared on the calling thread.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { concatBytes, ed25519Verify, utf8, wipe } from "@airlock/bundle-format";
import { performance } from "node:perf_hooks";
import { decodeChangeset, openBatch, type BatchContent, type Changeset } from "../sync/changeset.js";

const LABEL_SIG = utf8("airlock/v1/changeset-sig");
const WORKER = new URL("./verify-worker.js", import.meta.url);

/** Below this many changesets a worker's start-up costs more than it saves. */
export const WORKER_MIN = 64;

/** Results the worker posts at once: fewer messages, but a longer wait for the first of a chunk. */
const CHUNK = 16;
/** How long the main thread waits for a worker that makes no progress before preparing the rest itself. */
const STALL_MS = 5000;

/** Per changeset, in the shared array: who has it. */
const FREE = 0;
const BY_WORKER = 1;
const POSTED = 2;
const BY_MAIN = 3;
/** Control slots after the per-changeset ones. */
const SCANNED = 0;
const WANTED = 1;
const STOP = 2;
const CONTROL = 3;

/** What preparing one changeset gives. */
export interface PreparedChangeset {
  readonly verified: boolean;
  /** Its batches opened, when its signature holds and every key it names was handed over. */
  readonly batches: readonly BatchContent[] | undefined;
}

/** A collection key handed over: `slot` is keySlot(collection, key id). */
export interface KeyOffer {
  readonly slot: string;
  readonly key: Uint8Array;
}

/** The job the worker gets (verify-worker.ts). */
export interface PrepareJob {
  /** The changesets' bytes back to back (shared: nothing is copied to post them); changeset i ends at ends[i]. */
  readonly bytes: SharedArrayBuffer;
  readonly ends: Uint32Array;
  /** Int32Array over it: one slot per changeset, then the control slots. */
  readonly shared: SharedArrayBuffer;
  /** Collection keys come in on this port (KeyOffer), results go out on `results`. */
  readonly keys: MessagePort;
  readonly results: MessagePort;
}

/** One chunk of results: indexes and results side by side. */
interface ResultChunk {
  readonly indexes: number[];
  readonly results: PreparedChangeset[];
}

export function keySlot(collection: string, keyId: Uint8Array): string {
  return `${collection}/${Buffer.from(keyId.buffer, keyId.byteOffset, keyId.length).toString("hex")}`;
}

/** Checks the signature, then opens every batch under the key `keyFor` gives (undefined: unprepared). */
export function prepareChangeset(cs: Changeset, keyFor: (slot: string) => Uint8Array | undefined): PreparedChangeset {
  if (!ed25519Verify(cs.device, concatBytes(LABEL_SIG, cs.signed.body), cs.signed.sig)) return { verified: false, batches: undefined };
  const out: BatchContent[] = [];
  try {
    for (const b of cs.batches) {
      const key = keyFor(keySlot(b.collection, b.key));
      if (key === undefined) return { verified: true, batches: undefined };
      const content = openBatch(cs, b, key);
      if (content === undefined) return { verified: true, batches: undefined };
      out.push(content);
    }
  } catch {
    return { verified: true, batches: undefined }; // malformed ops: the inline path records the reason
  }
  return { verified: true, batches: out };
}

/** The worker's side of a job: claims changesets front to back, prepares each, posts the results. */
export function runJob(job: PrepareJob): void {
  const n = job.ends.length;
  const state = new Int32Array(job.shared);
  const keys = new Map<string, Uint8Array>();
  const takeKeys = (): void => {
    for (let m = receiveMessageOnPort(job.keys); m !== undefined; m = receiveMessageOnPort(job.keys)) {
      const offer = m.message as KeyOffer;
      keys.set(offer.slot, offer.key);
    }
  };
  let chunk: ResultChunk = { indexes: [], results: [] };
  const post = (): void => {
    if (chunk.indexes.length === 0) return;
    job.results.postMessage(chunk);
    for (const i of chunk.indexes) {
      Atomics.store(state, i, POSTED);
      Atomics.notify(state, i);
    }
    chunk = { indexes: [], results: [] };
  };
  try {
    for (let i = 0; i < n && Atomics.load(state, n + STOP) === 0; i++) {
      if (Atomics.compareExchange(state, i, FREE, BY_WORKER) !== FREE) continue;
      let result: PreparedChangeset;
      try {
        const start = i === 0 ? 0 : job.ends[i - 1]!;
        const cs = decodeChangeset(new Uint8Array(job.bytes, start, job.ends[i]! - start), { verify: false });
        // The main thread hands over the keys of changeset i before it marks i scanned.
        while (Atomics.load(state, n + SCANNED) <= i) Atomics.wait(state, n + SCANNED, Atomics.load(state, n + SCANNED), 50);
        takeKeys();
        result = prepareChangeset(cs, (slot) => keys.get(slot));
      } catch {
        result = { verified: false, batches: undefined }; // the inline path records why
      }
      chunk.indexes.push(i);
      chunk.results.push(result);
      if (chunk.indexes.length >= CHUNK || Atomics.load(state, n + WANTED) <= i) post();
    }
    post();
  } finally {
    takeKeys();
    wipe(...keys.values());
  }
}

/**
 * One import's preparation: a worker thread started ahead of need (it loads while the caller
 * decodes), the changesets handed to it, and the results taken back in order. Used once, then closed.
 */
export class Preparer {
  readonly #worker: Worker | undefined;
  #state: Int32Array<ArrayBufferLike> = new Int32Array(CONTROL);
  #n = 0;
  #keysPort: MessagePort | undefined;
  #resultsPort: MessagePort | undefined;
  /** Main-thread copies of the keys handed over, for what this thread prepares itself; wiped by close. */
  readonly #keys = new Map<string, Uint8Array>();
  #decoded: readonly (Changeset | undefined)[] = [];
  /** Results received from the worker, or prepared here ahead of need, not yet taken. */
  readonly #ready = new Map<number, PreparedChangeset>();
  /** The next changeset from the back this thread may claim while it would otherwise wait. */
  #tail = -1;
  #dead = false;
  /** Whether this thread asked the worker to post what it has (the WANTED slot) during the current take. */
  #asked = false;
  /** Milliseconds this thread spent preparing (its share) and waiting for the worker. */
  preparedMs = 0;
  waitedMs = 0;

  private constructor(worker: Worker | undefined) {
    this.#worker = worker;
  }

  /** Starts the worker (when the compiled worker file exists and there is enough to share). */
  static start(changesets: number): Preparer {
    const worker = changesets >= WORKER_MIN && WORKER.protocol === "file:" && existsSync(fileURLToPath(WORKER)) ? new Worker(WORKER) : undefined;
    // A worker that fails to start or dies is noticed by its silence (take's stall limit).
    worker?.on("error", () => undefined);
    return new Preparer(worker);
  }

  /** Hands the worker the changesets; their keys follow through offerKey and scanned. */
  begin(changesets: readonly Uint8Array[]): void {
    const n = changesets.length;
    this.#n = n;
    this.#tail = n - 1;
    const shared = new SharedArrayBuffer((n + CONTROL) * 4);
    this.#state = new Int32Array(shared);
    this.#state[n + WANTED] = n;
    if (this.#worker === undefined) return;
    const keys = new MessageChannel();
    const results = new MessageChannel();
    this.#keysPort = keys.port1;
    this.#resultsPort = results.port1;
    const ends = new Uint32Array(n);
    let size = 0;
    for (const [i, c] of changesets.entries()) ends[i] = size += c.length;
    const bytes = new SharedArrayBuffer(size);
    const all = new Uint8Array(bytes);
    for (const [i, c] of changesets.entries()) all.set(c, i === 0 ? 0 : ends[i - 1]!);
    const job: PrepareJob = { bytes, ends, shared, keys: keys.port2, results: results.port2 };
    this.#worker.postMessage(job, [keys.port2, results.port2]);
  }

  /** A changeset this thread could not decode: the worker skips it. */
  skip(index: number): void {
    Atomics.compareExchange(this.#state, index, FREE, BY_MAIN);
  }

  /** Hands over a collection key (a copy is kept here until close). */
  offerKey(slot: string, key: Uint8Array): void {
    this.#keys.set(slot, key);
    this.#keysPort?.postMessage({ slot, key } satisfies KeyOffer);
  }

  /** Every key the changesets before `count` name has been offered; `decoded` holds them as this thread decoded them. */
  scanned(count: number, decoded: readonly (Changeset | undefined)[]): void {
    this.#decoded = decoded;
    Atomics.store(this.#state, this.#n + SCANNED, count);
    Atomics.notify(this.#state, this.#n + SCANNED);
  }

  /** Changeset `index`'s result, waiting for the worker or preparing it here; undefined if it was not decoded. */
  take(index: number): PreparedChangeset | undefined {
    try {
      return this.#take(index);
    } finally {
      // Asked for: the worker posted at once what it had; from here it fills whole chunks again.
      if (this.#asked) Atomics.store(this.#state, this.#n + WANTED, this.#n);
      this.#asked = false;
    }
  }

  #take(index: number): PreparedChangeset | undefined {
    const state = this.#state;
    const mine = (i: number): PreparedChangeset | undefined => {
      const cs = this.#decoded[i];
      if (cs === undefined) return undefined;
      const t0 = performance.now();
      try {
        return prepareChangeset(cs, (slot) => this.#keys.get(slot));
      } finally {
        this.preparedMs += performance.now() - t0;
      }
    };
    let stalled = 0;
    for (;;) {
      const ready = this.#ready.get(index);
      if (ready !== undefined) {
        this.#ready.delete(index);
        return ready;
      }
      const s = Atomics.load(state, index);
      if (s === POSTED) {
        if (this.#receive(index)) continue;
        return mine(index); // posted but not there: cannot happen; this thread's own answer is the same
      }
      if (s === BY_MAIN || this.#dead) return mine(index);
      if (s === FREE) {
        if (Atomics.compareExchange(state, index, FREE, BY_MAIN) === FREE) return mine(index);
        continue;
      }
      // The worker has it: meanwhile prepare one from the back, or wait.
      Atomics.store(state, this.#n + WANTED, index);
      this.#asked = true;
      if (this.#steal(index, mine)) continue;
      const t0 = performance.now();
      const woke = Atomics.wait(state, index, BY_WORKER, 50);
      this.waitedMs += performance.now() - t0;
      if (woke === "timed-out" && (stalled += 50) >= STALL_MS) this.#dead = true;
    }
  }

  /** Receives posted results until `index`'s is among them. */
  #receive(index: number): boolean {
    const port = this.#resultsPort;
    if (port === undefined) return false;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const chunk = m.message as ResultChunk;
      chunk.indexes.forEach((i, k) => this.#ready.set(i, chunk.results[k]!));
      if (this.#ready.has(index)) return true;
    }
    return false;
  }

  /** Claims and prepares the last unclaimed changeset after `index`; false when the worker has reached the back. */
  #steal(index: number, mine: (i: number) => PreparedChangeset | undefined): boolean {
    while (this.#tail > index) {
      const i = this.#tail--;
      const s = Atomics.compareExchange(this.#state, i, FREE, BY_MAIN);
      if (s === FREE) {
        const r = mine(i);
        if (r !== undefined) this.#ready.set(i, r);
        return true;
      }
      if (s !== BY_MAIN) {
        this.#tail = -1; // the worker claims front to back: everything before i is its own
        return false;
      }
    }
    return false;
  }

  /** Stops the worker and wipes the keys this thread kept. */
  close(): void {
    if (this.#n > 0) Atomics.store(this.#state, this.#n + STOP, 1);
    // Wakes a worker waiting for keys that will not come.
    if (this.#n > 0) {
      Atomics.store(this.#state, this.#n + SCANNED, this.#n);
      Atomics.notify(this.#state, this.#n + SCANNED);
    }
    this.#keysPort?.close();
    this.#resultsPort?.close();
    void this.#worker?.terminate();
    wipe(...this.#keys.values());
    this.#keys.clear();
    this.#ready.clear();
  }
}
