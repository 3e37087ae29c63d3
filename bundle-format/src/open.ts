/**
 * Opening: one sync state machine (BundleOpener) fed with bytes in pieces of any size,
 * behind both openBundle (Uint8Array) and openBundleStream (async iterables). Memory stays
 * at about two chunks whatever the bundle size; nothing larger than a declared, bounded
 * size is ever allocated. Spec: docs/bundle-format.md, "Opening".
 *
 * Streaming caveat (as in age): body pieces are released chunk by chunk, each authenticated
 * by the AEAD, but the *sender's signature* covers the whole body and is checked at the end.
 * A streaming consumer must not act on the data until iteration finished without error.
 */
import { abytes, auint } from "./asserts.js";
import { concatBytes, isAllZero, readU64be, u64be, uninitialized, wipe } from "./bytes.js";
import { chunkNonce, planChunks, SEALED_CHUNK_SIZE, type ChunkPlan } from "./chunks.js";
import { BundleError } from "./errors.js";
import { payloadKey, signedMessage, slotKey, SLOT_NONCE } from "./keys.js";
import { HEADER_LENGTH, INNER_OVERHEAD, parseHeader, SLOT_LENGTH, type BundleHeader } from "./layout.js";
import { MAX_BUCKET } from "./padding.js";
import {
  aeadOpen,
  ed25519Verify,
  KEY_LENGTH,
  sha256,
  sha256Hasher,
  SIGNATURE_LENGTH,
  TAG_LENGTH,
  x25519,
  type ChunkAead,
  type Hasher,
  type KeyPair,
} from "./primitives.js";

/** Default bound for in-memory opens; streaming callers pass their own. */
export const DEFAULT_MAX_LENGTH = 256 * 1024 * 1024;

export interface OpenOptions {
  /** This device's X25519 key pair. */
  readonly recipient: KeyPair;
  /** Refuse (BUNDLE_TOO_LARGE) any bundle declaring more bytes than this. */
  readonly maxLength?: number;
}

export interface OpenedInfo {
  /** The sending device's Ed25519 public key, verified by its signature. */
  readonly sender: Uint8Array;
  readonly mailboxTag: Uint8Array;
  /** Total bundle length (its bucket size). */
  readonly length: number;
  readonly bodyLength: number;
  /** SHA-256 of the body: the digest the sender's signature covers (verified). */
  readonly bodyHash: Uint8Array;
}

/** How an opener learns SHA-256(body) for the signature check. */
export interface OpenerMode {
  /**
   * The caller hashes exactly the body pieces push() returns, in order (e.g. on a worker
   * thread, beside the AEAD), and passes the digest to finish().
   */
  readonly externalBodyHash?: boolean;
  /** Opens the payload chunks with this binding instead of node:crypto's, into memory from `output`. */
  readonly aead?: ChunkAead;
  /**
   * With `aead`: memory for one chunk's plaintext of `length` bytes, returned as exactly that
   * view. Body pieces push() returns are views of it; the rest of a chunk (inner header,
   * signature, padding) is written there too. Default: a fresh array per chunk.
   */
  readonly output?: (length: number) => Uint8Array;
}

export interface OpenedBundle extends OpenedInfo {
  readonly body: Uint8Array;
}

/** Reads the cleartext header only: what a courier may check without any key. */
export function inspectBundle(bundle: Uint8Array, maxLength: number = MAX_BUCKET): BundleHeader {
  abytes(bundle, "bundle");
  const header = parseHeader(bundle.subarray(0, HEADER_LENGTH), maxLength);
  checkActualLength(bundle.length, header.length);
  return header;
}

/** Step 8 of "Opening": a bundle of `actual` bytes holds exactly the `declared` length. */
export function checkActualLength(actual: number, declared: number): void {
  if (actual < declared) {
    throw new BundleError("BUNDLE_TRUNCATED", `bundle is ${actual} bytes but declares ${declared}; it was cut short`);
  }
  if (actual > declared) {
    throw new BundleError("BUNDLE_MALFORMED", `bundle has ${actual - declared} unexpected bytes after its declared end`);
  }
}

type Phase = "header" | "prefix" | "payload" | "done";

/**
 * Invariants: `#received` counts every byte pushed; bytes are consumed strictly in order
 * from `#pending`; body pieces are returned only from chunks that passed the AEAD check;
 * `finish()` succeeds only if exactly `header.length` bytes came and the signature verifies.
 */
export class BundleOpener {
  readonly #recipient: KeyPair;
  readonly #maxLength: number;
  #phase: Phase = "header";
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #received = 0;
  #header: BundleHeader | undefined;
  #headerBytes: Uint8Array | undefined;
  #plan: ChunkPlan | undefined;
  #key: Uint8Array | undefined;
  #prefixHash: Uint8Array | undefined;
  #chunkIndex = 0;
  #plainOffset = 0;
  #sender: Uint8Array | undefined;
  #bodyLength = 0;
  #signature = new Uint8Array(SIGNATURE_LENGTH);
  readonly #hasher: Hasher | undefined;
  readonly #aead: ChunkAead | undefined;
  readonly #output: (length: number) => Uint8Array;

  constructor(options: OpenOptions, mode: OpenerMode = {}) {
    this.#hasher = mode.externalBodyHash === true ? undefined : sha256Hasher();
    this.#aead = mode.aead;
    this.#output = mode.output ?? ((length) => new Uint8Array(length));
    abytes(options.recipient.secretKey, "recipient.secretKey", KEY_LENGTH);
    abytes(options.recipient.publicKey, "recipient.publicKey", KEY_LENGTH);
    this.#recipient = options.recipient;
    this.#maxLength = auint(options.maxLength ?? MAX_BUCKET, "maxLength", 0, MAX_BUCKET);
  }

  /** The cleartext header, once enough bytes arrived. */
  get header(): BundleHeader | undefined {
    return this.#header;
  }

  /** The claimed sender (authenticated by the AEAD; the signature is checked in finish()). */
  get claimedSender(): Uint8Array | undefined {
    return this.#sender;
  }

  /** Body length, known once the first chunk opened. */
  get bodyLength(): number | undefined {
    return this.#sender === undefined ? undefined : this.#bodyLength;
  }

  /** Feeds bundle bytes; returns body pieces that became available (authenticated chunks only). */
  push(piece: Uint8Array): Uint8Array[] {
    abytes(piece, "piece");
    this.#received += piece.length;
    if (this.#header !== undefined && this.#received > this.#header.length) {
      throw new BundleError("BUNDLE_MALFORMED", `bundle has unexpected bytes after its declared end (${this.#header.length} bytes)`);
    }
    if (piece.length > 0) {
      this.#pending.push(piece);
      this.#pendingBytes += piece.length;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      const need = this.#need();
      if (need === 0 || this.#pendingBytes < need) return out;
      this.#step(this.#take(need), out);
    }
  }

  /**
   * Call after the last byte: checks completeness and the sender's signature. `bodyHash`:
   * SHA-256 of the body, required with `externalBodyHash` and refused without it.
   */
  finish(bodyHash?: Uint8Array): OpenedInfo {
    const header = this.#header;
    if (this.#phase !== "done" || header === undefined) {
      if (this.#phase === "header") parseHeader(concatBytes(...this.#pending), this.#maxLength);
      const declared = header === undefined ? "" : ` of ${header.length}`;
      throw new BundleError("BUNDLE_TRUNCATED", `bundle ends after ${this.#received}${declared} bytes; it was cut short`);
    }
    if (this.#hasher === undefined) abytes(bodyHash, "bodyHash", 32);
    else if (bodyHash !== undefined) throw new TypeError('"bodyHash" is only passed to an opener made with externalBodyHash');
    const digest = this.#hasher === undefined ? bodyHash!.slice() : this.#hasher.digest();
    const message = signedMessage(this.#prefixHash!, u64be(this.#bodyLength), digest);
    if (!ed25519Verify(this.#sender!, message, this.#signature)) {
      throw new BundleError("BUNDLE_AUTH", "the sender's signature on this bundle does not verify");
    }
    return { sender: this.#sender!, mailboxTag: header.mailboxTag, length: header.length, bodyLength: this.#bodyLength, bodyHash: digest };
  }

  #need(): number {
    switch (this.#phase) {
      case "header":
        return HEADER_LENGTH;
      case "prefix":
        return this.#header!.prefixLength - HEADER_LENGTH;
      case "payload":
        return this.#chunkIndex === this.#plan!.count - 1 ? this.#plan!.lastPlaintext + TAG_LENGTH : SEALED_CHUNK_SIZE;
      case "done":
        return 0;
    }
  }

  #take(n: number): Uint8Array {
    const first = this.#pending[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#pending.shift();
      else this.#pending[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const head = this.#pending[0]!;
        const k = Math.min(head.length, n - filled);
        out.set(head.subarray(0, k), filled);
        filled += k;
        if (k === head.length) this.#pending.shift();
        else this.#pending[0] = head.subarray(k);
      }
    }
    this.#pendingBytes -= n;
    return out;
  }

  #step(bytes: Uint8Array, out: Uint8Array[]): void {
    switch (this.#phase) {
      case "header": {
        this.#header = parseHeader(bytes, this.#maxLength);
        this.#headerBytes = bytes.slice();
        if (this.#received > this.#header.length) {
          throw new BundleError("BUNDLE_MALFORMED", `bundle has unexpected bytes after its declared end (${this.#header.length} bytes)`);
        }
        this.#phase = "prefix";
        return;
      }
      case "prefix":
        this.#unlock(bytes);
        this.#phase = "payload";
        return;
      case "payload":
        this.#openChunk(bytes, out);
        return;
      case "done":
        return;
    }
  }

  /** Trial-decrypts the slots with this device's key, then derives the payload key. */
  #unlock(slots: Uint8Array): void {
    const header = this.#header!;
    const headerBytes = this.#headerBytes!;
    const shared = x25519(this.#recipient.secretKey, header.ephemeralPublicKey);
    let contentKey: Uint8Array | undefined;
    if (shared !== undefined) {
      const key = slotKey(shared, header.ephemeralPublicKey, this.#recipient.publicKey);
      for (let i = 0; i < header.slotCount && contentKey === undefined; i++) {
        contentKey = aeadOpen(key, SLOT_NONCE, slots.subarray(i * SLOT_LENGTH, (i + 1) * SLOT_LENGTH), headerBytes);
      }
      wipe(shared, key);
    }
    if (contentKey === undefined) {
      throw new BundleError("BUNDLE_NOT_FOR_ME", "none of this bundle's recipient slots opens with this device's key");
    }
    this.#prefixHash = sha256(headerBytes, slots);
    this.#key = payloadKey(contentKey, this.#prefixHash);
    wipe(contentKey);
    this.#plan = planChunks(header.length - header.prefixLength);
  }

  #openChunk(sealed: Uint8Array, out: Uint8Array[]): void {
    const plan = this.#plan!;
    const last = this.#chunkIndex === plan.count - 1;
    const plain = this.#decrypt(chunkNonce(this.#chunkIndex, last), sealed);
    if (plain === undefined) {
      throw new BundleError("BUNDLE_AUTH", `bundle chunk ${this.#chunkIndex + 1} of ${plan.count} fails authentication; it was altered or corrupted`);
    }
    let view = plain;
    if (this.#chunkIndex === 0) view = this.#readInnerHeader(plain);
    this.#route(view, out);
    this.#chunkIndex++;
    if (last) {
      this.#phase = "done";
      wipe(this.#key);
    }
  }

  /** The chunk's plaintext, or undefined when its tag does not verify. */
  #decrypt(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    if (this.#aead === undefined) return aeadOpen(this.#key!, nonce, sealed);
    const length = sealed.length - TAG_LENGTH; // >= 1: #need() asks for at least 17 bytes
    const plain = this.#output(length);
    if (!(plain instanceof Uint8Array) || plain.length !== length) {
      throw new RangeError(`"output" expected to return a Uint8Array of length ${length}`);
    }
    if (this.#aead.open(this.#key!, nonce, sealed, plain, 0)) return plain;
    wipe(plain); // whatever the binding left there was not authenticated
    return undefined;
  }

  /** First chunk: sender key and body length. Always present: chunk 0 holds >= 104 bytes. */
  #readInnerHeader(plain: Uint8Array): Uint8Array {
    this.#sender = plain.slice(0, KEY_LENGTH);
    const bodyLength = readU64be(plain, KEY_LENGTH);
    if (bodyLength > this.#plan!.plaintext - INNER_OVERHEAD) {
      throw new BundleError("BUNDLE_MALFORMED", `bundle declares a ${bodyLength}-byte body, more than its size can hold`);
    }
    this.#bodyLength = bodyLength;
    this.#plainOffset = KEY_LENGTH + 8;
    return plain.subarray(KEY_LENGTH + 8);
  }

  /** Splits inner plaintext into body, signature and padding by absolute position. */
  #route(plain: Uint8Array, out: Uint8Array[]): void {
    const bodyEnd = KEY_LENGTH + 8 + this.#bodyLength;
    const sigEnd = bodyEnd + SIGNATURE_LENGTH;
    const start = this.#plainOffset;
    const end = start + plain.length;
    if (start < bodyEnd) {
      const body = plain.subarray(0, Math.min(end, bodyEnd) - start);
      this.#hasher?.update(body);
      out.push(body);
    }
    if (end > bodyEnd && start < sigEnd) {
      const from = Math.max(start, bodyEnd);
      const to = Math.min(end, sigEnd);
      this.#signature.set(plain.subarray(from - start, to - start), from - bodyEnd);
    }
    if (end > sigEnd && !isAllZero(plain.subarray(Math.max(start, sigEnd) - start))) {
      throw new BundleError("BUNDLE_MALFORMED", "bundle padding is not all zeros");
    }
    this.#plainOffset = end;
  }
}

/** Opens a whole bundle held in memory. Checks the full length before any cryptography. */
export function openBundle(bundle: Uint8Array, options: OpenOptions): OpenedBundle {
  abytes(bundle, "bundle");
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const opener = new BundleOpener({ ...options, maxLength }); // checks the caller's arguments first
  const { prefixLength } = inspectBundle(bundle, maxLength);
  opener.push(bundle.subarray(0, prefixLength));
  let body: Uint8Array | undefined;
  let offset = 0;
  // Steps aligned to the chunks (no straddling copies), each authenticated piece copied into
  // the body while it is still in cache.
  for (let at = prefixLength; at < bundle.length; at += SEALED_CHUNK_SIZE) {
    for (const piece of opener.push(bundle.subarray(at, at + SEALED_CHUNK_SIZE))) {
      body ??= uninitialized(opener.bodyLength!); // bounded: the first chunk checked it against L
      body.set(piece, offset);
      offset += piece.length;
    }
  }
  const info = opener.finish();
  return { ...info, body: body ?? new Uint8Array(0) };
}

/**
 * Opens a streamed bundle in flat memory. Iterate `body` to the end: it throws a BundleError
 * on any failure, and only a completed iteration means the sender's signature verified.
 */
export interface BundleReader {
  readonly body: AsyncIterable<Uint8Array>;
  /** Resolves after the body was fully read and verified; rejects with the same error otherwise. */
  readonly result: Promise<OpenedInfo>;
}

export function openBundleStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: OpenOptions,
): BundleReader {
  const opener = new BundleOpener(options);
  let settle!: { resolve: (v: OpenedInfo) => void; reject: (e: unknown) => void };
  const result = new Promise<OpenedInfo>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined); // the iterator rethrows; an unobserved result is not an unhandled rejection
  async function* body(): AsyncGenerator<Uint8Array, void, undefined> {
    let settled = false;
    try {
      for await (const piece of source) yield* opener.push(piece);
      settle.resolve(opener.finish());
      settled = true;
    } catch (e) {
      settle.reject(e);
      settled = true;
      throw e;
    } finally {
      // The consumer stopped early (break/return): nothing was verified, so say so.
      if (!settled) settle.reject(new Error("openBundleStream: the body was not read to the end, so the bundle was not verified"));
    }
  }
  return { body: body(), result };
}
