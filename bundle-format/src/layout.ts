/**
 * The cleartext prefix of a v1 bundle: everything a courier can see. Pure parsing, no crypto.
 * Spec: docs/bundle-format.md, "Layout".
 *
 *   off  len  field
 *     0    7  magic "AIRLOCK"
 *     7    1  major format version (1)
 *     8    1  suite (1 = X25519, HKDF-SHA256, ChaCha20-Poly1305, Ed25519)
 *     9   16  mailbox tag (opaque; supplied by the caller)
 *    25    8  total bundle length, u64 big-endian (equals the file length; a bucket size)
 *    33    1  slot tier t: the bundle has 2^t recipient slots, 2 <= t <= 10
 *    34   32  ephemeral X25519 public key
 *    66  48n  recipient slots (n = 2^t), each ChaCha20-Poly1305(content key) with its tag
 *     …       payload ciphertext in STREAM chunks (see chunks.ts)
 */
import { BundleError } from "./errors.js";
import { readU64be } from "./bytes.js";
import { isBucket } from "./padding.js";
import { KEY_LENGTH, TAG_LENGTH } from "./primitives.js";

export const MAGIC: Uint8Array = new Uint8Array([0x41, 0x49, 0x52, 0x4c, 0x4f, 0x43, 0x4b]); // "AIRLOCK"
export const FORMAT_MAJOR = 1;
/** Suite 1: X25519 key agreement, HKDF-SHA256, ChaCha20-Poly1305, Ed25519 sender signatures. */
export const SUITE_X25519 = 1;
export const KNOWN_SUITES: readonly number[] = [SUITE_X25519];

export const MAILBOX_TAG_LENGTH = 16;
export const OFFSET_VERSION = 7;
export const OFFSET_SUITE = 8;
export const OFFSET_TAG = 9;
export const OFFSET_LENGTH = 25;
export const OFFSET_TIER = 33;
export const OFFSET_EPHEMERAL = 34;
/** Bytes before the first slot: the fixed header. Every slot is authenticated against them. */
export const HEADER_LENGTH = 66;
export const SLOT_LENGTH = KEY_LENGTH + TAG_LENGTH;
export const MIN_SLOT_TIER = 2;
export const MAX_SLOT_TIER = 10;
export const MAX_RECIPIENTS = 2 ** MAX_SLOT_TIER;

export interface BundleHeader {
  readonly version: number;
  readonly suite: number;
  readonly mailboxTag: Uint8Array;
  /** Declared total length in bytes, a bucket size. */
  readonly length: number;
  readonly slotCount: number;
  readonly ephemeralPublicKey: Uint8Array;
  /** Header plus slots: where the payload ciphertext starts. */
  readonly prefixLength: number;
}

/** The slot tier for a recipient count: at least 4 slots, then the next power of two. */
export function slotTierFor(recipients: number): number {
  let tier = MIN_SLOT_TIER;
  while (2 ** tier < recipients) tier++;
  return tier;
}

export const prefixLengthFor = (slotTier: number): number => HEADER_LENGTH + SLOT_LENGTH * 2 ** slotTier;

export function encodeHeader(fields: {
  mailboxTag: Uint8Array;
  length: number;
  slotTier: number;
  ephemeralPublicKey: Uint8Array;
}): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH);
  out.set(MAGIC, 0);
  out[OFFSET_VERSION] = FORMAT_MAJOR;
  out[OFFSET_SUITE] = SUITE_X25519;
  out.set(fields.mailboxTag, OFFSET_TAG);
  new DataView(out.buffer).setUint32(OFFSET_LENGTH, Math.floor(fields.length / 2 ** 32));
  new DataView(out.buffer).setUint32(OFFSET_LENGTH + 4, fields.length >>> 0);
  out[OFFSET_TIER] = fields.slotTier;
  out.set(fields.ephemeralPublicKey, OFFSET_EPHEMERAL);
  return out;
}

/**
 * Parses and checks the fixed header from the first bytes of a bundle (fewer than
 * HEADER_LENGTH bytes is a truncation once the magic, version and suite that are present
 * check out). Checks run in the order the spec lists, so each damage gets one predictable code.
 */
export function parseHeader(head: Uint8Array, maxLength: number): BundleHeader {
  for (let i = 0; i < MAGIC.length && i < head.length; i++) {
    if (head[i] !== MAGIC[i]) throw new BundleError("BUNDLE_MALFORMED", "this is not an Airlock bundle (wrong magic bytes)");
  }
  if (head.length > OFFSET_VERSION && head[OFFSET_VERSION] !== FORMAT_MAJOR) {
    throw new BundleError(
      "BUNDLE_VERSION",
      `bundle format version ${head[OFFSET_VERSION]} is not supported; this Airlock reads format version ${FORMAT_MAJOR}`,
    );
  }
  if (head.length > OFFSET_SUITE && !KNOWN_SUITES.includes(head[OFFSET_SUITE]!)) {
    throw new BundleError(
      "BUNDLE_VERSION",
      `bundle cipher suite ${head[OFFSET_SUITE]} is not supported; this Airlock knows suite ${KNOWN_SUITES.join(", ")}`,
    );
  }
  if (head.length < HEADER_LENGTH) {
    throw new BundleError("BUNDLE_TRUNCATED", `bundle ends after ${head.length} bytes, inside its ${HEADER_LENGTH}-byte header`);
  }
  const length = readU64be(head, OFFSET_LENGTH);
  if (!isBucket(length)) {
    throw new BundleError("BUNDLE_MALFORMED", `bundle declares a length of ${length} bytes, which is not a valid bundle size`);
  }
  if (length > maxLength) {
    throw new BundleError("BUNDLE_TOO_LARGE", `bundle is ${length} bytes; this reader accepts at most ${maxLength}`);
  }
  const tier = head[OFFSET_TIER]!;
  if (tier < MIN_SLOT_TIER || tier > MAX_SLOT_TIER) {
    throw new BundleError("BUNDLE_MALFORMED", `bundle declares recipient slot tier ${tier}; valid tiers are ${MIN_SLOT_TIER}..${MAX_SLOT_TIER}`);
  }
  const prefixLength = prefixLengthFor(tier);
  // The smallest payload (empty body) still needs one chunk of 104 plaintext bytes.
  if (prefixLength + MIN_PAYLOAD_CIPHERTEXT > length) {
    throw new BundleError("BUNDLE_MALFORMED", `bundle declares ${2 ** tier} recipient slots, which do not fit in ${length} bytes`);
  }
  return {
    version: FORMAT_MAJOR,
    suite: head[OFFSET_SUITE]!,
    mailboxTag: head.slice(OFFSET_TAG, OFFSET_TAG + MAILBOX_TAG_LENGTH),
    length,
    slotCount: 2 ** tier,
    ephemeralPublicKey: head.slice(OFFSET_EPHEMERAL, OFFSET_EPHEMERAL + KEY_LENGTH),
    prefixLength,
  };
}

/** Sender key (32) + body length (8) + signature (64), one chunk tag (16). */
export const INNER_OVERHEAD = KEY_LENGTH + 8 + 64;
export const MIN_PAYLOAD_CIPHERTEXT = INNER_OVERHEAD + TAG_LENGTH;
