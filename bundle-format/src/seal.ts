/**
 * Sealing: one sync state machine (BundleSealer) behind both the Uint8Array API and the
 * streaming API, so the two can never disagree on a byte. Memory is one chunk, whatever the
 * body size. Spec: docs/bundle-format.md.
 */
import { abytes, auint } from "./asserts.js";
import { concatBytes, u64be, uninitialized, wipe } from "./bytes.js";
import { CHUNK_SIZE, chunkNonce, planChunks, sealedLengthFor, type ChunkPlan } from "./chunks.js";
import { payloadKey, signedMessage, slotKey, SLOT_NONCE } from "./keys.js";
import {
  encodeHeader,
  INNER_OVERHEAD,
  MAILBOX_TAG_LENGTH,
  MAX_RECIPIENTS,
  prefixLengthFor,
  SLOT_LENGTH,
  slotTierFor,
} from "./layout.js";
import { bucketFor, MAX_BUCKET } from "./padding.js";
import {
  aeadSeal,
  ChunkCipher,
  ed25519Sign,
  KEY_LENGTH,
  randomBytes,
  sha256,
  sha256Hasher,
  TAG_LENGTH,
  x25519Ephemeral,
  type ChunkAead,
  type EphemeralKey,
  type Hasher,
  type KeyPair,
} from "./primitives.js";

export interface SealOptions {
  /** X25519 public keys of every device that may open the bundle (1..1024; duplicates are merged). */
  readonly recipients: readonly Uint8Array[];
  /** The sending device's Ed25519 key pair; its public key is revealed to recipients only. */
  readonly sender: KeyPair;
  /** 16 opaque bytes shown in clear so couriers can route the bundle. */
  readonly mailboxTag: Uint8Array;
  /** Pad to at least this many bytes (rounded up to a bucket), e.g. to match a courier's fixed size. */
  readonly minLength?: number;
  /**
   * Give the header the slot count of this many recipients at least (1..1024), the extra slots
   * random like every unused one: a bundle meant for fewer devices than its kind usually has
   * (a welcome, a file for a collection's readers) then shows the same slot count as the rest.
   */
  readonly minSlots?: number;
}

/**
 * Every random choice a seal makes. Only test-vector generators pass this; real callers let
 * the sealer draw it from the OS CSPRNG.
 */
export interface SealRandomness {
  /** Absent: a fresh key generated inside OpenSSL (the normal case). */
  readonly ephemeralSecret?: Uint8Array;
  readonly contentKey: Uint8Array;
  /** One entry per slot: a recipient index, or 48 random bytes for a dummy slot. */
  readonly slots: readonly (number | Uint8Array)[];
}

/** How a sealer learns SHA-256(body) for the sender's signature. */
export interface SealerMode {
  /**
   * The caller hashes the body itself (e.g. on a worker thread, beside the AEAD) and passes
   * the digest to finish(). A wrong digest makes a bundle whose signature does not verify.
   */
  readonly externalBodyHash?: boolean;
  /**
   * Seals the payload chunks with this binding instead of node:crypto's (same bytes): each
   * chunk whole, from the caller's piece when it holds the chunk, else from one reused staging
   * buffer, into memory from `output`.
   */
  readonly aead?: ChunkAead;
  /**
   * With `aead`: memory for one sealed chunk of `length` bytes, returned as exactly that view,
   * which push()/finishChunks() then hand back. The caller keeps it unchanged until it is done
   * with those pieces (e.g. written them). Default: a fresh array per chunk.
   */
  readonly output?: (length: number) => Uint8Array;
}

/** The slot count a seal for `recipients` distinct devices will use. */
export const slotCountFor = (recipients: number): number => 2 ** slotTierFor(recipients);

export function randomSealChoices(recipientCount: number, slotsFor = recipientCount): SealRandomness {
  const slotCount = slotCountFor(Math.max(recipientCount, slotsFor));
  const slots: (number | Uint8Array)[] = [];
  for (let i = 0; i < slotCount; i++) slots.push(i < recipientCount ? i : randomBytes(SLOT_LENGTH));
  // Fisher-Yates with rejection sampling, so real slots sit at uniformly random positions.
  for (let i = slotCount - 1; i > 0; i--) {
    const j = uniform(i + 1);
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  return { contentKey: randomBytes(KEY_LENGTH), slots };
}

function uniform(bound: number): number {
  const limit = 2 ** 32 - (2 ** 32 % bound);
  for (;;) {
    const r = new DataView(randomBytes(4).buffer).getUint32(0);
    if (r < limit) return r % bound;
  }
}

/** Total length of the bundle that seals `bodyLength` bytes for `recipientCount` devices. */
export function sealedLength(bodyLength: number, recipientCount: number, minLength = 0): number {
  const prefix = prefixLengthFor(slotTierFor(recipientCount));
  const length = bucketFor(Math.max(prefix + sealedLengthFor(INNER_OVERHEAD + bodyLength), minLength));
  // Growing the sealed length never shrinks the plaintext capacity below the minimum (the
  // last chunk absorbs up to CHUNK + 16 bytes; docs/bundle-format.md, "Payload"), so the
  // smallest fitting bucket always fits. Checked anyway: a violation is a bug, not bad input.
  if (planChunks(length - prefix).plaintext < INNER_OVERHEAD + bodyLength) throw new Error("internal: bucket does not fit");
  return length;
}

function dedupe(keys: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  keys.forEach((key, i) => {
    abytes(key, `recipients[${i}]`, KEY_LENGTH);
    const id = Buffer.from(key).toString("hex");
    if (!seen.has(id)) {
      seen.add(id);
      out.push(key);
    }
  });
  return out;
}

/**
 * Seals a body of known length, fed in pieces of any size. Usage: read `prefix`, then
 * `push()` body pieces and `finish()`, writing every returned piece in order.
 *
 * Invariants: `prefix` is emitted once, first; exactly `plan.count` chunks follow, the last one
 * flagged; `plaintextOffset` counts inner plaintext bytes already chunked.
 */
export class BundleSealer {
  /** Header and recipient slots: the first bytes of the bundle. */
  readonly prefix: Uint8Array;
  /** Total bundle length in bytes. */
  readonly length: number;
  readonly bodyLength: number;

  readonly #sender: KeyPair;
  readonly #plan: ChunkPlan;
  readonly #prefixHash: Uint8Array;
  readonly #hasher: Hasher | undefined;
  readonly #key: Uint8Array;
  readonly #aead: ChunkAead | undefined;
  readonly #output: (length: number) => Uint8Array;
  /** Without `aead`: the current chunk's cipher (undefined after the last chunk). */
  #cipher: ChunkCipher | undefined;
  /** With `aead`: the current chunk's plaintext while it spans pieces. */
  #stage: Uint8Array | undefined;
  #early: Uint8Array[];
  #filled = 0;
  #chunkIndex = 0;
  #bodySeen = 0;
  #finished = false;
  #bodyHash: Uint8Array | undefined;

  constructor(bodyLength: number, options: SealOptions, randomness?: SealRandomness, mode: SealerMode = {}) {
    this.#hasher = mode.externalBodyHash === true ? undefined : sha256Hasher();
    this.#aead = mode.aead;
    this.#output = mode.output ?? ((length) => new Uint8Array(length));
    this.bodyLength = auint(bodyLength, "bodyLength", 0, MAX_BUCKET);
    abytes(options.mailboxTag, "mailboxTag", MAILBOX_TAG_LENGTH);
    abytes(options.sender.secretKey, "sender.secretKey", KEY_LENGTH);
    abytes(options.sender.publicKey, "sender.publicKey", KEY_LENGTH);
    const recipients = dedupe(options.recipients);
    auint(recipients.length, "recipients.length", 1, MAX_RECIPIENTS);
    const minLength = auint(options.minLength ?? 0, "minLength", 0, MAX_BUCKET);
    const slotsFor = Math.max(recipients.length, auint(options.minSlots ?? 1, "minSlots", 1, MAX_RECIPIENTS));
    this.length = sealedLength(bodyLength, slotsFor, minLength);
    if (this.length > MAX_BUCKET) throw new RangeError(`"bodyLength" ${bodyLength} does not fit the largest bundle`);

    const choices = randomness ?? randomSealChoices(recipients.length, slotsFor);
    const tier = slotTierFor(slotsFor);
    checkChoices(choices, recipients.length, 2 ** tier);
    const ephemeral = x25519Ephemeral(choices.ephemeralSecret);
    const header = encodeHeader({
      mailboxTag: options.mailboxTag,
      length: this.length,
      slotTier: tier,
      ephemeralPublicKey: ephemeral.publicKey,
    });
    const slots = choices.slots.map((entry) =>
      typeof entry === "number" ? wrapFor(recipients[entry]!, ephemeral, choices.contentKey, header) : entry,
    );
    this.prefix = concatBytes(header, ...slots);
    this.#prefixHash = sha256(this.prefix);
    this.#key = payloadKey(choices.contentKey, this.#prefixHash);
    if (randomness === undefined) wipe(choices.contentKey);

    this.#sender = options.sender;
    this.#plan = planChunks(this.length - this.prefix.length);
    this.#cipher = this.#aead === undefined ? this.#newChunk() : undefined;
    // Ciphertext of the inner header; handed out with the first push() or finish().
    this.#early = [...this.#write(options.sender.publicKey), ...this.#write(u64be(bodyLength))];
  }

  /** Feeds body bytes; returns the sealed chunks completed by them (possibly none). */
  push(piece: Uint8Array): Uint8Array[] {
    abytes(piece, "piece");
    if (this.#finished) throw new Error("BundleSealer: push() after finish()");
    if (this.#bodySeen + piece.length > this.bodyLength) {
      throw new RangeError(`body is longer than the declared bodyLength ${this.bodyLength}`);
    }
    this.#bodySeen += piece.length;
    this.#hasher?.update(piece);
    return this.#withEarly(this.#write(piece));
  }

  /** SHA-256 of the body, the digest the signature covers: set by finish(). */
  get bodyHash(): Uint8Array | undefined {
    return this.#bodyHash?.slice();
  }

  /**
   * Signs, pads and returns the remaining sealed chunks, ending with the flagged last one.
   * `bodyHash`: SHA-256 of the body, required with `externalBodyHash` and refused without it.
   */
  finish(bodyHash?: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const pieces of this.finishChunks(bodyHash)) out.push(...pieces);
    return out;
  }

  /**
   * As finish(), but the tail comes about a chunk at a time (the signature, then the padding,
   * which can be tens of MiB in a large bucket), so memory stays at one chunk. The checks and
   * the signature run at once; iterate to the end (the payload key is wiped there).
   */
  finishChunks(bodyHash?: Uint8Array): Iterable<Uint8Array[]> {
    if (this.#finished) throw new Error("BundleSealer: finish() called twice");
    if (this.#hasher === undefined) abytes(bodyHash, "bodyHash", 32);
    else if (bodyHash !== undefined) throw new TypeError('"bodyHash" is only passed to a sealer made with externalBodyHash');
    if (this.#bodySeen !== this.bodyLength) {
      throw new RangeError(`body gave ${this.#bodySeen} bytes, but bodyLength was declared as ${this.bodyLength}`);
    }
    this.#finished = true;
    const digest = this.#hasher === undefined ? bodyHash!.slice() : this.#hasher.digest();
    this.#bodyHash = digest;
    const message = signedMessage(this.#prefixHash, u64be(this.bodyLength), digest);
    return this.#tail(this.#withEarly(this.#write(ed25519Sign(this.#sender.secretKey, message))));
  }

  *#tail(signed: Uint8Array[]): Generator<Uint8Array[], void, undefined> {
    try {
      yield signed;
      const padding = this.#plan.plaintext - (INNER_OVERHEAD + this.bodyLength);
      // One zero buffer for every padding piece: the cipher only reads its input. Pieces end
      // on chunk boundaries (the last chunk may hold CHUNK + 16 bytes), so each is one chunk.
      const zeros = new Uint8Array(Math.min(padding, CHUNK_SIZE + TAG_LENGTH));
      for (let left = padding; left > 0; ) {
        const n = Math.min(left, this.#chunkSize() - this.#filled);
        yield this.#write(zeros.subarray(0, n));
        left -= n;
      }
    } finally {
      wipe(this.#key);
      if (this.#stage !== undefined) wipe(this.#stage);
    }
  }

  #withEarly(pieces: Uint8Array[]): Uint8Array[] {
    if (this.#early.length === 0) return pieces;
    const out = [...this.#early, ...pieces];
    this.#early = [];
    return out;
  }

  #chunkSize(): number {
    return this.#chunkIndex === this.#plan.count - 1 ? this.#plan.lastPlaintext : CHUNK_SIZE;
  }

  /** Appends inner plaintext to the current chunk's cipher, closing each chunk when it is full. */
  #write(data: Uint8Array): Uint8Array[] {
    if (this.#aead !== undefined) return this.#writeWhole(data, this.#aead);
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < data.length) {
      const size = this.#chunkSize();
      const n = Math.min(data.length - offset, size - this.#filled);
      if (n > 0) out.push(this.#cipher!.update(data.subarray(offset, offset + n)));
      this.#filled += n;
      offset += n;
      if (this.#filled === size) {
        out.push(...this.#cipher!.final());
        this.#chunkIndex++;
        this.#filled = 0;
        this.#cipher = this.#chunkIndex < this.#plan.count ? this.#newChunk() : undefined;
      }
    }
    return out;
  }

  /** As #write, with `aead`: a chunk is sealed in one call once all its plaintext is known. */
  #writeWhole(data: Uint8Array, aead: ChunkAead): Uint8Array[] {
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < data.length) {
      const size = this.#chunkSize();
      let plaintext: Uint8Array;
      if (this.#filled === 0 && data.length - offset >= size) {
        plaintext = data.subarray(offset, offset + size); // the piece holds the whole chunk: no copy
        offset += size;
      } else {
        // The largest chunk: a full one, or a last one of up to CHUNK + 16 bytes.
        this.#stage ??= new Uint8Array(Math.max(this.#plan.count > 1 ? CHUNK_SIZE : 0, this.#plan.lastPlaintext));
        const n = Math.min(data.length - offset, size - this.#filled);
        this.#stage.set(data.subarray(offset, offset + n), this.#filled);
        this.#filled += n;
        offset += n;
        if (this.#filled < size) break;
        plaintext = this.#stage.subarray(0, size);
        this.#filled = 0;
      }
      const sealed = this.#output(size + TAG_LENGTH);
      if (!(sealed instanceof Uint8Array) || sealed.length !== size + TAG_LENGTH) {
        throw new RangeError(`"output" expected to return a Uint8Array of length ${size + TAG_LENGTH}`);
      }
      aead.seal(this.#key, chunkNonce(this.#chunkIndex, this.#chunkIndex === this.#plan.count - 1), plaintext, sealed, 0);
      out.push(sealed);
      this.#chunkIndex++;
    }
    return out;
  }

  #newChunk(): ChunkCipher {
    return new ChunkCipher(this.#key, chunkNonce(this.#chunkIndex, this.#chunkIndex === this.#plan.count - 1));
  }
}

function wrapFor(recipient: Uint8Array, ephemeral: EphemeralKey, contentKey: Uint8Array, header: Uint8Array): Uint8Array {
  const shared = ephemeral.agree(recipient);
  if (shared === undefined) throw new TypeError("a recipient key is not a usable X25519 public key (low-order point)");
  const key = slotKey(shared, ephemeral.publicKey, recipient);
  try {
    return aeadSeal(key, SLOT_NONCE, contentKey, header);
  } finally {
    wipe(shared, key);
  }
}

function checkChoices(choices: SealRandomness, recipients: number, slotCount: number): void {
  if (choices.ephemeralSecret !== undefined) abytes(choices.ephemeralSecret, "ephemeralSecret", KEY_LENGTH);
  abytes(choices.contentKey, "contentKey", KEY_LENGTH);
  if (choices.slots.length !== slotCount) throw new RangeError(`"slots" expected ${slotCount} entries, got ${choices.slots.length}`);
  const used = new Set<number>();
  for (const entry of choices.slots) {
    if (typeof entry === "number") used.add(auint(entry, "slot recipient index", 0, recipients - 1));
    else abytes(entry, "dummy slot", SLOT_LENGTH);
  }
  if (used.size !== recipients) throw new RangeError(`"slots" must place each of the ${recipients} recipients exactly once`);
}

/** Seals `body` in one call. */
export function sealBundle(body: Uint8Array, options: SealOptions, randomness?: SealRandomness): Uint8Array {
  abytes(body, "body");
  const sealer = new BundleSealer(body.length, options, randomness);
  // Every byte is overwritten below, so skip zero-filling the (possibly large) output.
  const out = uninitialized(sealer.length);
  let offset = 0;
  const emit = (pieces: Uint8Array[]): void => {
    for (const piece of pieces) {
      out.set(piece, offset);
      offset += piece.length;
    }
  };
  emit([sealer.prefix]);
  // Chunk-sized steps: each chunk's ciphertext is copied out while still in cache, and the
  // temporary buffers die young instead of holding a second copy of a large body.
  for (let at = 0; at < body.length; at += CHUNK_SIZE) emit(sealer.push(body.subarray(at, at + CHUNK_SIZE)));
  emit(sealer.finish());
  return out;
}

/**
 * Seals a streamed body of known length in flat memory: yields the bundle in pieces
 * (the prefix, then one sealed chunk at a time). Works with Node Readable streams too.
 */
export async function* sealBundleStream(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  bodyLength: number,
  options: SealOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const sealer = new BundleSealer(bodyLength, options);
  yield sealer.prefix;
  for await (const piece of body) yield* sealer.push(piece);
  for (const pieces of sealer.finishChunks()) yield* pieces;
}
