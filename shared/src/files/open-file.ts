/**
 * Opening a bundle file into a file in one pass and flat memory: the bundle is read into a
 * small ring of reused blocks aligned to the STREAM chunks, the main thread runs the AEAD
 * (BundleOpener, the same state machine as openBundle) into a second ring, which the worker
 * thread hashes for the signature check and the output file is written from, so the bytes
 * hashed are the bytes written. The AEAD is libsodium's (sodium-aead.ts), decrypting straight
 * into that ring; where it does not load, node:crypto's, whose output is copied there. Output (and the optional copy of
 * the bundle) are temp files until the sender's signature verified; then they are renamed
 * into place. Spec: docs/bundle-format.md, "File to file".
 */
import {
  BundleError,
  BundleOpener,
  checkActualLength,
  CHUNK_SIZE,
  HEADER_LENGTH,
  type ChunkAead,
  type KeyPair,
  type OpenedInfo,
} from "@airlock/bundle-format/streaming";
import { resolve } from "node:path";
import { AtomicFile } from "./atomic-file.js";
import { startBodyHasher, WORKER_MIN_BYTES } from "./body-hasher.js";
import { checkAborted, fileError } from "./errors.js";
import { openInput, readFully } from "./input-file.js";
import { BlockRing } from "./block-ring.js";
import { MAX_FILE_HEAD, reporter, RING_BLOCKS } from "./seal-file.js";
import { fileChunkAead } from "./sodium-aead.js";

/** A sealed chunk: 64 KiB of plaintext and its 16-byte tag (docs/bundle-format.md, "Payload"). */
const SEALED_CHUNK = CHUNK_SIZE + 16;
/** Chunks per block read (as seal-file.ts BLOCK_BYTES). */
const BLOCK_CHUNKS = 16;
const BLOCK_BYTES = BLOCK_CHUNKS * SEALED_CHUNK;
/** The last chunk may carry 16 bytes more than a full one; it always ends the last block. */
const LAST_EXTRA = 16;
/** Room for the body bytes one block releases. */
const PLAIN_BYTES = BLOCK_CHUNKS * CHUNK_SIZE + LAST_EXTRA;

export interface OpenFileOptions {
  readonly recipient: KeyPair;
  readonly maxLength: number;
  /** The first headLength body bytes are returned as `head` instead of written to output (error BUNDLE_MALFORMED if the body is shorter). */
  readonly headLength?: number;
  /** Also write the bundle bytes as read (ciphertext) to this path, atomically, in the same single pass — so a verified bundle can be kept without reading it twice. */
  readonly copyTo?: string;
  /** Called after the head arrived and before any file byte is written: throw to stop (e.g. the head names a size over quota). */
  readonly onHead?: (head: Uint8Array, bodyLength: number) => void;
  /** Bundle bytes read so far, and the bundle's length; the last call has done === total. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface OpenedFile extends OpenedInfo {
  readonly head: Uint8Array;
  readonly bodyHash: Uint8Array;
}

const resolved = Promise.resolve();

/**
 * Opens the bundle at `input`; writes body minus head to `output` atomically (or nowhere when
 * output is null: verify only). Output and copyTo appear only if the whole bundle verified
 * (AEAD + sender signature). Throws BundleError (BUNDLE_*) for a bundle that is not
 * acceptable, AirlockError FILE_* for the files and the run, and whatever onHead or
 * onProgress throws; in every case neither output nor copyTo is left behind, nor a temp file.
 */
export function openFile(input: string, output: string | null, options: OpenFileOptions): Promise<OpenedFile> {
  return openFileUsing(fileChunkAead(), input, output, options);
}

/** openFile with the chunk AEAD given: libsodium's, or undefined for node:crypto's (tests run both). */
export async function openFileUsing(aead: ChunkAead | undefined, input: string, output: string | null, options: OpenFileOptions): Promise<OpenedFile> {
  const headLength = options.headLength ?? 0;
  if (!Number.isSafeInteger(headLength) || headLength < 0 || headLength > MAX_FILE_HEAD) {
    throw new RangeError(`"headLength" expected an integer in [0, ${MAX_FILE_HEAD}], got ${String(headLength)}`);
  }
  if (output !== null && options.copyTo !== undefined && resolve(output) === resolve(options.copyTo)) {
    throw new RangeError('"output" and "copyTo" must be different files');
  }
  // Where the opener decrypts to: the plaintext ring once it exists (chunks come only after it).
  let decryptInto = (length: number): Uint8Array => new Uint8Array(length);
  // Checks the recipient key and maxLength before any file is touched.
  const opener = new BundleOpener(
    { recipient: options.recipient, maxLength: options.maxLength },
    { externalBodyHash: true, ...(aead === undefined ? {} : { aead, output: (length: number) => decryptInto(length) }) },
  );
  checkAborted(options.signal);

  const source = await openInput(input);
  const size = source.size;
  let target: AtomicFile | undefined;
  let copy: AtomicFile | undefined;
  let hasher: ReturnType<typeof startBodyHasher> | undefined;
  let published: AtomicFile[] = [];
  try {
    const progress = reporter(options.onProgress, size);
    // The cleartext header first: a bundle too large, of another version or not a bundle at
    // all is refused before any key work, any worker or any output file.
    const header = new Uint8Array(Math.min(size, HEADER_LENGTH));
    opener.push(header.subarray(0, await readFully(source, header, 0, input)));
    const declared = opener.header;
    if (declared === undefined) {
      opener.finish(); // shorter than a header: throws BUNDLE_TRUNCATED, or what is wrong with the bytes present
      throw new Error("internal: a partial header was accepted");
    }
    checkActualLength(size, declared.length);
    const slots = new Uint8Array(declared.prefixLength - HEADER_LENGTH);
    if ((await readFully(source, slots, HEADER_LENGTH, input)) !== slots.length) throw shrank(input);
    opener.push(slots); // BUNDLE_NOT_FOR_ME here, before anything is written

    const blocks = blockPlan(declared.prefixLength, size);
    // A small bundle gets rings of its own size, not 8 MiB (a block's body is never longer than the block).
    const single = blocks.length === 1 ? blocks[0]!.length : undefined;
    const slotsUsed = Math.min(RING_BLOCKS, blocks.length);
    const plainBlock = single !== undefined ? Math.min(PLAIN_BYTES, single) : PLAIN_BYTES;
    hasher = startBodyHasher(slotsUsed * plainBlock, size >= WORKER_MIN_BYTES);
    // plain[s]: a block's plaintext; refilled once the body last released from it is hashed and written.
    const plain = new BlockRing(slotsUsed, plainBlock, hasher.ring);
    decryptInto = plain.take;
    target = output === null ? undefined : await AtomicFile.create(output);
    copy = options.copyTo === undefined ? undefined : await AtomicFile.create(options.copyTo);
    void copy?.write([header, slots]);
    progress(declared.prefixLength);

    const ciphertext = new Uint8Array(single ?? slotsUsed * (BLOCK_BYTES + LAST_EXTRA));
    const cipherSlot = (k: number, length: number): Uint8Array =>
      ciphertext.subarray((k % RING_BLOCKS) * (BLOCK_BYTES + LAST_EXTRA), (k % RING_BLOCKS) * (BLOCK_BYTES + LAST_EXTRA) + length);
    // copied[s]: the copy of the block last read into cipher slot s is written, so it may be refilled.
    const copied: Promise<void>[] = new Array<Promise<void>>(RING_BLOCKS).fill(resolved);
    const reads: Promise<number>[] = [];
    const startRead = (k: number): void => {
      const { at, length } = blocks[k]!;
      const read = copied[k % RING_BLOCKS]!.then(() => readFully(source, cipherSlot(k, length), at, input));
      read.catch(() => undefined); // awaited in order below; a failure after an abort is not unhandled
      reads[k % RING_BLOCKS] = read;
    };
    for (let k = 0; k < Math.min(RING_BLOCKS, blocks.length); k++) startRead(k);

    const head = new Uint8Array(headLength);
    let bodySeen = 0;
    for (let k = 0; k < blocks.length; k++) {
      checkAborted(options.signal);
      const { at, length } = blocks[k]!;
      const read = await reads[k % RING_BLOCKS]!;
      const sealed = cipherSlot(k, read);
      await plain.next();
      const pieces = opener.push(sealed); // BUNDLE_AUTH / BUNDLE_MALFORMED here
      if (read !== length) throw shrank(input);
      if (copy !== undefined) copied[k % RING_BLOCKS] = copy.write([sealed]);

      const body = gather(pieces, plain, hasher.ring.buffer);
      if (body !== undefined) {
        const filled = body.length;
        const hashed = hasher.update(body);
        const headBytes = Math.max(0, Math.min(headLength - bodySeen, filled));
        if (bodySeen === 0) {
          // The first block holds the whole head (<= 4 KiB of chunk 0): check it before any file byte.
          if (opener.bodyLength! < headLength) {
            throw new BundleError("BUNDLE_MALFORMED", `the body is ${opener.bodyLength} bytes, shorter than the ${headLength}-byte head expected`);
          }
          head.set(body.subarray(0, headLength));
          options.onHead?.(head.slice(), opener.bodyLength!);
        }
        const written = target === undefined || headBytes === filled ? resolved : target.write([body.subarray(headBytes)]);
        const released = Promise.all([hashed, written]);
        released.catch(() => undefined); // awaited by plain.next(); a failure after another is not unhandled
        plain.carries(released);
        bodySeen += filled;
      }
      progress(at + read);
      if (k + RING_BLOCKS < blocks.length) startRead(k + RING_BLOCKS);
    }
    if (bodySeen === 0 && opener.bodyLength !== undefined) {
      // An empty body: no block released a byte, but the head check and onHead still apply.
      if (headLength > 0) throw new BundleError("BUNDLE_MALFORMED", `the body is empty, shorter than the ${headLength}-byte head expected`);
      options.onHead?.(new Uint8Array(0), 0);
    }

    checkAborted(options.signal);
    const bodyHash = await hasher.digest();
    const info = opener.finish(bodyHash); // BUNDLE_TRUNCATED / BUNDLE_AUTH (the signature) here
    const files = [target, copy].filter((f): f is AtomicFile => f !== undefined);
    for (const file of files) await file.sync();
    checkAborted(options.signal);
    for (const file of files) {
      await file.publish();
      published = [...published, file];
    }
    return { ...info, head, bodyHash };
  } catch (e) {
    await Promise.all([target, copy].map((f) => f?.discard({ published: published.includes(f!) })));
    throw e;
  } finally {
    await hasher?.close();
    await source.handle.close().catch(() => undefined);
  }
}

/**
 * The body bytes one block released, as one view of the plaintext ring: the pieces as they
 * are when they lie there back to back (libsodium decrypted them in place), else copied into
 * the block's memory (node:crypto's own buffers). Undefined when the block released none.
 */
function gather(pieces: readonly Uint8Array[], plain: BlockRing, ring: ArrayBufferLike): Uint8Array | undefined {
  if (pieces.length === 0) return undefined;
  const first = pieces[0]!;
  let end = first.byteOffset;
  let inPlace = true;
  for (const piece of pieces) {
    inPlace &&= piece.buffer === ring && piece.byteOffset === end;
    end += piece.length;
  }
  if (inPlace) return new Uint8Array(ring, first.byteOffset, end - first.byteOffset);
  const into = plain.take(end - first.byteOffset);
  let filled = 0;
  for (const piece of pieces) {
    into.set(piece, filled);
    filled += piece.length;
  }
  return into;
}

/**
 * The payload read in blocks of whole chunks: BLOCK_CHUNKS full chunks each, except that the
 * last block takes everything left when that is at most one oversized last chunk more, so
 * no chunk is ever split between two blocks (the opener then never keeps a view of a slot).
 */
function blockPlan(prefixLength: number, size: number): { at: number; length: number }[] {
  const out: { at: number; length: number }[] = [];
  for (let at = prefixLength; at < size; ) {
    const left = size - at;
    const length = left <= BLOCK_BYTES + LAST_EXTRA ? left : BLOCK_BYTES;
    out.push({ at, length });
    at += length;
  }
  return out;
}

function shrank(path: string): Error {
  return fileError("FILE_CHANGED", `${path} became shorter while it was being read`);
}
