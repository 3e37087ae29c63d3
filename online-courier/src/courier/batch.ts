/**
 * Building a round's batch (docs/transport-key.md, "Batches"): the real bundles of one ingest
 * plus cover, `size` bundles in all, in a shuffled order. With real bundles in it, a batch is a
 * deterministic function of those bundles (their digests, shapes and tags), the batch size and
 * the team's transport key: every courier of the team that holds the same real bundles builds
 * the same names and bytes, so no two batches a mailbox sees share a real name with different
 * cover around it. A batch of cover only is random (nothing in it is real, so nothing repeats).
 *
 *   batch key   = HKDF-SHA256(transport key, info "airlock/v1/courier/batch-key")
 *   batch seed  = HMAC-SHA256(batch key, "airlock/v1/courier/batch" || u32be(size) || sorted real digests)
 *   everything drawn (cover shapes, tags' random parts, filler seeds, the order) comes from the
 *   ChaCha20 keystream under the batch seed, in that order.
 *
 * Cover copies the shapes (length, slot tier) of the batch's own real bundles in turn, and
 * carries a cover tag of the newest epoch among their tags. A cover-only batch first draws how many
 * bundles a batch with real ones carried lately, picks that many shapes from the team's recent
 * real traffic, and then builds itself as if those were its real bundles: so how many shapes a
 * batch holds says nothing about whether it carries any.
 */
import { createCipheriv, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { fillerBundle, MIN_BUCKET } from "@airlock/bundle-format";
import type { TransportKey } from "@airlock/shared";
import type { TrafficShape } from "../spool/ledger.js";

export const DEFAULT_SLOT_TIER = 2;
const BATCH_KEY_INFO = "airlock/v1/courier/batch-key";
const BATCH_SEED_LABEL = Buffer.from("airlock/v1/courier/batch");
const TAG_RANDOM = 8;

/** The key batch seeds are made with: only holders of the transport key can compute it. */
export function batchKeyOf(tk: TransportKey): Uint8Array {
  const raw = tk.exportKey();
  try {
    return new Uint8Array(hkdfSync("sha256", raw, new Uint8Array(0), BATCH_KEY_INFO, 32));
  } finally {
    raw.fill(0);
  }
}

/** A real bundle going into a batch. */
export interface RealBundle {
  readonly digest: string;
  readonly bytes: Uint8Array;
  readonly shape: TrafficShape;
  /** The epoch its real tag was made for. */
  readonly epoch: number;
}

/** What a batch of cover only is shaped after. */
export interface CoverOnlyHints {
  /** The team's recent real shapes (repeats kept, so they weigh); empty before any was seen. */
  readonly shapes: readonly TrafficShape[];
  /** Bucket sizes to use before any real shape is known. */
  readonly bucketSizes: readonly number[];
  /** How many real bundles the team's recent batches with any carried. */
  readonly realCounts: readonly number[];
  /** The epoch its cover tags are made for (now). */
  readonly epoch: number;
}

export interface BuiltBundle {
  readonly digest: string;
  readonly bytes: Uint8Array;
  readonly real: boolean;
}

/** ChaCha20's keystream read as a sequence of draws. */
class Draws {
  readonly #cipher;

  constructor(seed: Uint8Array) {
    this.#cipher = createCipheriv("chacha20", seed, Buffer.alloc(16));
  }

  bytes(n: number): Uint8Array {
    return new Uint8Array(this.#cipher.update(Buffer.alloc(n)));
  }

  /** Uniform in 0..n-1, by rejection (no modulo bias). */
  below(n: number): number {
    if (n <= 1) return 0;
    const limit = Math.floor(0x1_0000_0000 / n) * n;
    for (;;) {
      const x = Buffer.from(this.bytes(4)).readUInt32BE(0);
      if (x < limit) return x % n;
    }
  }
}

function seedFor(batchKey: Uint8Array, size: number, digests: readonly string[]): Uint8Array {
  const mac = createHmac("sha256", batchKey).update(BATCH_SEED_LABEL);
  const n = Buffer.alloc(4);
  n.writeUInt32BE(size);
  mac.update(n);
  for (const d of [...digests].sort()) mac.update(Buffer.from(d, "hex"));
  return new Uint8Array(mac.digest());
}

const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/**
 * A batch of exactly `size` bundles: `real` (at most `size`) and cover. Deterministic when
 * `real` is not empty (see the module comment); `hints` shape a batch of cover only.
 */
export function buildBatch(tk: TransportKey, batchKey: Uint8Array, size: number, real: readonly RealBundle[], hints: CoverOnlyHints): BuiltBundle[] {
  if (real.length > size) throw new RangeError(`a batch of ${size} cannot carry ${real.length} real bundles`);
  if (size === 0) return [];
  const seed = real.length > 0 ? seedFor(batchKey, size, real.map((r) => r.digest)) : new Uint8Array(randomBytes(32));
  const draws = new Draws(seed);
  seed.fill(0);
  let pool: TrafficShape[];
  let epoch: number;
  if (real.length > 0) {
    const sorted = [...real].sort((a, b) => (a.digest < b.digest ? -1 : 1));
    pool = sorted.map((r) => r.shape);
    epoch = Math.max(...sorted.map((r) => r.epoch));
  } else {
    const k = Math.min(size, Math.max(1, hints.realCounts.length > 0 ? hints.realCounts[draws.below(hints.realCounts.length)]! : 1));
    const sizes = hints.bucketSizes.length > 0 ? hints.bucketSizes : [MIN_BUCKET];
    pool = Array.from({ length: k }, () =>
      hints.shapes.length > 0 ? hints.shapes[draws.below(hints.shapes.length)]! : { length: sizes[draws.below(sizes.length)]!, slotTier: DEFAULT_SLOT_TIER },
    );
    epoch = hints.epoch;
  }
  const out: BuiltBundle[] = [...real].sort((a, b) => (a.digest < b.digest ? -1 : 1)).map((r) => ({ digest: r.digest, bytes: r.bytes, real: true }));
  // Cover takes the pool's shapes in turn from a drawn start (a cover-only batch's first
  // bundles stand in for the real ones, one per shape): with room for it, every shape of a batch
  // appears more than once, real or not.
  const start = draws.below(pool.length);
  for (let i = out.length; i < size; i++) {
    const shape = real.length === 0 && i < pool.length ? pool[i]! : pool[(start + i) % pool.length]!;
    const tag = tk.tag("cover", epoch, draws.bytes(TAG_RANDOM));
    const bytes = filler(tag, shape, draws.bytes(32));
    out.push({ digest: sha256Hex(bytes), bytes, real: false });
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = draws.below(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A filler of `shape`; fewer slots only for a configured size too small for them (a recorded shape came from a real bundle, so it fits). */
function filler(mailboxTag: Uint8Array, shape: TrafficShape, seed: Uint8Array): Uint8Array {
  try {
    for (let tier = shape.slotTier; tier > DEFAULT_SLOT_TIER; tier--) {
      try {
        return fillerBundle({ mailboxTag, length: shape.length, slotTier: tier, seed });
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
      }
    }
    return fillerBundle({ mailboxTag, length: shape.length, slotTier: DEFAULT_SLOT_TIER, seed });
  } finally {
    seed.fill(0);
  }
}
