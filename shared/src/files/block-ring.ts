/**
 * Reused memory for the file-to-file path: blocks taken in turn, each refilled only after the
 * work that carried its bytes (a write, a hash) finished. The chunk AEAD writes into it through
 * BundleSealer/BundleOpener's `output`, so a large file allocates nothing per chunk.
 */

const resolved = Promise.resolve();

/**
 * take() hands out consecutive views of the current block, or a fresh array when it is full or
 * none was entered yet (correct, just not reused; the callers' sizes avoid it); next() enters
 * the next block once the work that carried it finished.
 */
export class BlockRing {
  readonly #memory: Uint8Array;
  readonly #blockBytes: number;
  readonly #carried: Promise<unknown>[];
  #block = -1;
  #used: number;

  constructor(blocks: number, blockBytes: number, memory: Uint8Array = new Uint8Array(blocks * blockBytes)) {
    if (memory.length < blocks * blockBytes) throw new RangeError(`"memory" holds ${memory.length} bytes, fewer than ${blocks} blocks of ${blockBytes}`);
    this.#memory = memory;
    this.#blockBytes = blockBytes;
    this.#used = blockBytes; // no block entered yet
    this.#carried = new Array<Promise<unknown>>(blocks).fill(resolved);
  }

  /** Bytes left in the current block. */
  get room(): number {
    return this.#blockBytes - this.#used;
  }

  /** Moves to the next block once its memory is free; throws what failed the write that carried it. */
  async next(): Promise<void> {
    this.#block = (this.#block + 1) % this.#carried.length;
    this.#used = this.#blockBytes; // nothing is taken from a block still being written
    await this.#carried[this.#block];
    this.#used = 0;
  }

  /** The current block's memory is in use until `done` settles (a caller's promise, already handled). */
  carries(done: Promise<unknown>): void {
    this.#carried[this.#block] = done;
  }

  readonly take = (length: number): Uint8Array => {
    if (this.#used + length > this.#blockBytes) return new Uint8Array(length);
    const at = this.#block * this.#blockBytes + this.#used;
    this.#used += length;
    return this.#memory.subarray(at, at + length);
  };
}
