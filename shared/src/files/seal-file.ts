/**
 * Sealing a file into a bundle file in one pass and flat memory, fast enough for attachments
 * of several GiB: the file is read into a small ring of reused blocks, the main thread runs
 * the AEAD (BundleSealer, the same state machine as sealBundle, so the bytes are the same),
 * and the SHA-256 that the sender signs runs beside it on a worker thread (body-hasher.ts).
 * Reads, encryption, hashing and writes overlap. The AEAD is libsodium's (sodium-aead.ts),
 * sealing each chunk into a second ring of reused blocks that the writes are made from; where
 * it does not load, node:crypto's, whose output buffers are its own.
 * Spec: docs/bundle-format.md, "File to file".
 */
import {
  BundleSealer,
  CHUNK_SIZE,
  MAX_BUCKET,
  sealedLength,
  type ChunkAead,
  type KeyPair,
  type SealRandomness,
} from "@airlock/bundle-format/streaming";
import { AtomicFile } from "./atomic-file.js";
import { BlockRing } from "./block-ring.js";
import { startBodyHasher, WORKER_MIN_BYTES } from "./body-hasher.js";
import { checkAborted, fileError } from "./errors.js";
import { openInput, readFully } from "./input-file.js";
import { fileChunkAead } from "./sodium-aead.js";

/** Largest `head` (and OpenFileOptions.headLength): a small header before the file's bytes. */
export const MAX_FILE_HEAD = 4096;

/** Bytes read per step: 16 chunks. 8 (512 KiB) held ~2 MiB less RSS but opened 1.3-1.7x slower (more CPU per GiB), measured interleaved. */
export const BLOCK_BYTES = 16 * CHUNK_SIZE;
/** Blocks in the ring: one being sealed and hashed, the next ones being read. */
export const RING_BLOCKS = 4;
/** Sealed bytes collected before one write while the padding is produced (node:crypto path). */
const TAIL_BATCH = 1024 * 1024;
/** The largest sealed chunk: the last one may carry 16 plaintext bytes more than a full one. */
const MAX_SEALED_CHUNK = CHUNK_SIZE + 32;
/**
 * An output block: room for what one block's push() seals (at most 16 chunks, as a chunk is
 * sealed only once its last byte came) and a chunk to spare.
 */
const OUT_BLOCK_BYTES = (BLOCK_BYTES / CHUNK_SIZE + 1) * MAX_SEALED_CHUNK;
/** Output blocks: one being filled while the previous one is being written. */
const OUT_BLOCKS = 2;

export interface SealFileOptions {
  readonly recipients: readonly Uint8Array[];
  readonly sender: KeyPair;
  readonly mailboxTag: Uint8Array;
  readonly minLength?: number;
  /** At least this many recipient slots in the header (bundle-format's SealOptions.minSlots). */
  readonly minSlots?: number;
  /** Bytes placed before the file's bytes in the bundle body (a small header, <= 4 KiB). */
  readonly head?: Uint8Array;
  /** Plaintext bytes (head + file) sealed so far, and their total; the last call has done === total. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface SealedFile {
  readonly bundleLength: number;
  readonly bodyLength: number;
  /** SHA-256 of the whole body (head + file), the hash the sender signature covers. */
  readonly bodyHash: Uint8Array;
}

const resolved = Promise.resolve();

/**
 * Seals head + the file at `input` into a bundle written atomically at `output` (temp file in
 * the same folder, fsync, rename; the temp file removed on any failure or abort). The bundle
 * is byte for byte what sealBundle(head + file, options, randomness) makes.
 * `randomness`, as for sealBundle, is for test vectors only.
 * Throws AirlockError FILE_* for the files and the run (FILE_ABORTED when `signal` fires,
 * FILE_CHANGED when the input changes while it is read), TypeError/RangeError for bad options.
 */
export function sealFile(input: string, output: string, options: SealFileOptions, randomness?: SealRandomness): Promise<SealedFile> {
  return sealFileUsing(fileChunkAead(), input, output, options, randomness);
}

/** sealFile with the chunk AEAD given: libsodium's, or undefined for node:crypto's (tests run both). */
export async function sealFileUsing(
  aead: ChunkAead | undefined,
  input: string,
  output: string,
  options: SealFileOptions,
  randomness?: SealRandomness,
): Promise<SealedFile> {
  const head = options.head ?? new Uint8Array(0);
  if (!(head instanceof Uint8Array)) throw new TypeError('"head" expected Uint8Array');
  if (head.length > MAX_FILE_HEAD) throw new RangeError(`"head" is ${head.length} bytes; at most ${MAX_FILE_HEAD} are allowed`);
  checkAborted(options.signal);

  const source = await openInput(input);
  const size = source.size;
  const bodyLength = head.length + size;
  let target: AtomicFile | undefined;
  let hasher: ReturnType<typeof startBodyHasher> | undefined;
  try {
    const bundleLength = sealedLength(bodyLength, Math.max(options.recipients.length, options.minSlots ?? 1), options.minLength ?? 0);
    if (bundleLength > MAX_BUCKET) {
      throw fileError("FILE_TOO_LARGE", `${input} is ${size} bytes, more than a bundle can carry`);
    }
    const started = await source.handle.stat();
    // Started first: the worker boots while the keys are made and the temp file is created.
    const blocks = Math.ceil(size / BLOCK_BYTES);
    // A small file gets a ring of its own size, not 4 MiB.
    const ringBytes = blocks <= 1 ? size : Math.min(RING_BLOCKS, blocks) * BLOCK_BYTES;
    hasher = startBodyHasher(ringBytes, bodyLength >= WORKER_MIN_BYTES);
    // Sealed chunks go straight into reused output blocks (a small bundle's are its own size).
    const out = aead === undefined ? undefined : new BlockRing(OUT_BLOCKS, Math.min(OUT_BLOCK_BYTES, bundleLength));
    const sealer = new BundleSealer(bodyLength, options, randomness, { externalBodyHash: true, ...(out === undefined ? {} : { aead, output: out.take }) });
    target = await AtomicFile.create(output);
    const progress = reporter(options.onProgress, bodyLength);

    void target.write([sealer.prefix]);
    if (head.length > 0) {
      const copy = head.slice(); // the caller may reuse its array while the write is under way
      void hasher.update(copy);
      await out?.next();
      const written = target.write(sealer.push(copy));
      out?.carries(written);
      progress(head.length);
    }

    const ring = hasher.ring;
    const slot = (k: number, length: number): Uint8Array => ring.subarray((k % RING_BLOCKS) * BLOCK_BYTES, (k % RING_BLOCKS) * BLOCK_BYTES + length);
    const lengthOf = (k: number): number => Math.min(BLOCK_BYTES, size - k * BLOCK_BYTES);
    // hashed[s]: when the block last placed in slot s was hashed, so the slot may be refilled.
    const hashed: Promise<void>[] = new Array<Promise<void>>(RING_BLOCKS).fill(resolved);
    const reads: Promise<number>[] = [];
    const startRead = (k: number): void => {
      const read = hashed[k % RING_BLOCKS]!.then(() => readFully(source, slot(k, lengthOf(k)), k * BLOCK_BYTES, input));
      read.catch(() => undefined); // awaited in order below; a failure after an abort is not unhandled
      reads[k % RING_BLOCKS] = read;
    };
    for (let k = 0; k < Math.min(RING_BLOCKS, blocks); k++) startRead(k);

    let previousWrite = resolved;
    for (let k = 0; k < blocks; k++) {
      checkAborted(options.signal);
      const read = await reads[k % RING_BLOCKS]!;
      if (read !== lengthOf(k)) throw changed(input);
      const block = slot(k, read);
      hashed[k % RING_BLOCKS] = hasher.update(block);
      await out?.next(); // its output block is written and may be refilled
      const sealed = sealer.push(block); // the AEAD reads the block while the worker hashes it
      if (out === undefined) await previousWrite; // at most two blocks' ciphertext waiting for the disk
      previousWrite = target.write(sealed);
      out?.carries(previousWrite);
      progress(head.length + k * BLOCK_BYTES + read);
      if (k + RING_BLOCKS < blocks) startRead(k + RING_BLOCKS);
    }

    const ended = await source.handle.stat();
    if (ended.size !== started.size || ended.mtimeMs !== started.mtimeMs) throw changed(input);
    checkAborted(options.signal);
    const bodyHash = await hasher.digest();
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    await out?.next();
    // The signature, then the padding about a chunk at a time, written in batches of an output
    // block; each iteration's chunk is sealed only when the loop asks for it, after next().
    for (const pieces of sealer.finishChunks(bodyHash)) {
      batch.push(...pieces);
      for (const piece of pieces) batchBytes += piece.length;
      if (out === undefined ? batchBytes >= TAIL_BATCH : out.room < MAX_SEALED_CHUNK) {
        if (out === undefined) await previousWrite;
        previousWrite = target.write(batch);
        out?.carries(previousWrite);
        batch = [];
        batchBytes = 0;
        await out?.next();
      }
    }
    void target.write(batch);
    progress(bodyLength);
    checkAborted(options.signal);
    await target.commit();
    return { bundleLength: sealer.length, bodyLength, bodyHash };
  } catch (e) {
    await target?.discard();
    throw e;
  } finally {
    await hasher?.close();
    await source.handle.close().catch(() => undefined);
  }
}

function changed(path: string): Error {
  return fileError("FILE_CHANGED", `${path} changed while it was being sealed`);
}

/** Calls `onProgress` with rising counts only, always ending with (total, total). */
export function reporter(onProgress: ((done: number, total: number) => void) | undefined, total: number): (done: number) => void {
  let last = -1;
  return (done) => {
    if (onProgress === undefined || done <= last) return;
    last = done;
    onProgress(done, total);
  };
}
