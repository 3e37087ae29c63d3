/**
 * Filler ("cover") bundles: a valid v1 header followed by random bytes. To anyone without the
 * transport key they are indistinguishable from a real bundle of the same length and slot tier:
 * every byte after the header of a real bundle is ChaCha20-Poly1305 output, and the ephemeral
 * key is a real X25519 public key (random 32 bytes would not do: about half of all values are
 * points on the twist, which no real bundle ever carries). Nobody can open one; couriers
 * recognise their own cover by its mailbox tag (docs/transport-key.md) and drop it.
 */
import { abytes } from "./asserts.js";
import { encodeHeader, HEADER_LENGTH, MAILBOX_TAG_LENGTH, MAX_SLOT_TIER, MIN_SLOT_TIER, prefixLengthFor, MIN_PAYLOAD_CIPHERTEXT } from "./layout.js";
import { isBucket } from "./padding.js";
import { chacha20Keystream, KEY_LENGTH, randomBytes, x25519KeyPair } from "./primitives.js";
import { wipe } from "./bytes.js";

/**
 * `seed` (32 bytes) makes the filler reproducible: its ephemeral secret and every byte after the
 * header come from the ChaCha20 keystream under the seed instead of fresh randomness. Couriers
 * use it so that any courier of a team builds the very same cover around the same real bundles
 * (docs/transport-key.md, "Batches"); to anyone without the seed the bytes are as random.
 */
export function fillerBundle(options: { mailboxTag: Uint8Array; length: number; slotTier?: number; seed?: Uint8Array }): Uint8Array {
  abytes(options.mailboxTag, "mailboxTag", MAILBOX_TAG_LENGTH);
  const slotTier = options.slotTier ?? MIN_SLOT_TIER;
  if (!Number.isInteger(slotTier) || slotTier < MIN_SLOT_TIER || slotTier > MAX_SLOT_TIER) {
    throw new RangeError(`slotTier must be an integer in ${MIN_SLOT_TIER}..${MAX_SLOT_TIER}, got ${slotTier}`);
  }
  if (!isBucket(options.length) || prefixLengthFor(slotTier) + MIN_PAYLOAD_CIPHERTEXT > options.length) {
    throw new RangeError(`length ${options.length} is not a bucket size that fits ${2 ** slotTier} slots`);
  }
  const stream = options.seed === undefined ? undefined : chacha20Keystream(abytes(options.seed, "seed", KEY_LENGTH), KEY_LENGTH + options.length - HEADER_LENGTH);
  const ephemeral = x25519KeyPair(stream?.slice(0, KEY_LENGTH));
  wipe(ephemeral.secretKey);
  const out = new Uint8Array(options.length);
  out.set(encodeHeader({ mailboxTag: options.mailboxTag, length: options.length, slotTier, ephemeralPublicKey: ephemeral.publicKey }), 0);
  out.set(stream?.subarray(KEY_LENGTH) ?? randomBytes(options.length - HEADER_LENGTH), HEADER_LENGTH);
  if (stream !== undefined) wipe(stream);
  return out;
}
