/**
 * The test-vector cases: inputs, fixed randomness and the expected outcome of each.
 * `generate.ts` turns them into bundle-format/test-vectors/<name>.json; the tests check that
 * regenerating gives the same files and that each file opens with its expected outcome.
 * Crafted cases re-encrypt a valid bundle's inner plaintext under its own payload key, so
 * they fail *after* authentication, where only a careful reader notices.
 */
import { createHash } from "node:crypto";
import { concatBytes, u64be } from "../src/bytes.js";
import { chunkNonce, planChunks, SEALED_CHUNK_SIZE } from "../src/chunks.js";
import type { BundleErrorCode } from "../src/errors.js";
import { payloadKey } from "../src/keys.js";
import { OFFSET_LENGTH, OFFSET_TIER, OFFSET_VERSION } from "../src/layout.js";
import { encodePayload } from "../src/payload.js";
import { aeadOpen, aeadSeal, ed25519KeyPair, sha256, x25519KeyPair, type KeyPair } from "../src/primitives.js";
import { BundleSealer, slotCountFor, type SealRandomness } from "../src/seal.js";

export interface SealInputs {
  readonly sender: KeyPair;
  readonly recipients: KeyPair[];
  readonly mailboxTag: Uint8Array;
  readonly body: Uint8Array;
  readonly minLength?: number;
  readonly randomness: SealRandomness;
}

export interface VectorCase {
  readonly name: string;
  readonly description: string;
  readonly expect: "success" | BundleErrorCode;
  /** The device that tries to open the bundle. */
  readonly opener: KeyPair;
  readonly maxLength?: number;
  /** Present when the bundle is exactly the seal of these inputs. */
  readonly seal?: SealInputs;
  readonly bundle: Uint8Array;
  /** For success: what opening must yield. */
  readonly body?: Uint8Array;
  readonly sender?: Uint8Array;
}

const seeded = (label: string, length = 32): Uint8Array =>
  new Uint8Array(createHash("sha512").update(`airlock vector: ${label}`).digest().subarray(0, length));
const pattern = (length: number): Uint8Array => new Uint8Array(length).map((_, i) => (i * 31 + 7) & 0xff);

const alice = ed25519KeyPair(seeded("alice signing"));
const mallory = ed25519KeyPair(seeded("mallory signing"));
const devices = [0, 1, 2, 3, 4].map((i) => x25519KeyPair(seeded(`device ${i} encryption`)));
const stranger = x25519KeyPair(seeded("stranger encryption"));
const TAG = seeded("mailbox tag", 16);

function randomness(label: string, recipients: number, order: number[]): SealRandomness {
  const slots: (number | Uint8Array)[] = [...Array(slotCountFor(recipients)).keys()].map((s) => seeded(`${label} dummy ${s}`, 48));
  order.forEach((slot, i) => (slots[slot] = i));
  return { ephemeralSecret: seeded(`${label} ephemeral`), contentKey: seeded(`${label} content key`), slots };
}

function inputs(label: string, body: Uint8Array, recipients: KeyPair[], order: number[], extra: Partial<SealInputs> = {}): SealInputs {
  return { sender: alice, recipients, mailboxTag: TAG, body, randomness: randomness(label, recipients.length, order), ...extra };
}

export function sealInputs(s: SealInputs): Uint8Array {
  const sealer = new BundleSealer(
    s.body.length,
    { recipients: s.recipients.map((r) => r.publicKey), sender: s.sender, mailboxTag: s.mailboxTag, ...(s.minLength ? { minLength: s.minLength } : {}) },
    s.randomness,
  );
  return concatBytes(sealer.prefix, ...sealer.push(s.body), ...sealer.finish());
}

/** Decrypts the inner plaintext with the known content key, lets `edit` change it, re-encrypts. */
function recrypt(bundle: Uint8Array, s: SealInputs, prefixLength: number, edit: (inner: Uint8Array) => void): Uint8Array {
  const key = payloadKey(s.randomness.contentKey, sha256(bundle.subarray(0, prefixLength)));
  const plan = planChunks(bundle.length - prefixLength);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < plan.count; i++) {
    const start = prefixLength + i * SEALED_CHUNK_SIZE;
    const end = i === plan.count - 1 ? bundle.length : start + SEALED_CHUNK_SIZE;
    chunks.push(aeadOpen(key, chunkNonce(i, i === plan.count - 1), bundle.subarray(start, end))!);
  }
  const inner = concatBytes(...chunks);
  edit(inner);
  const out = bundle.slice();
  let offset = 0;
  chunks.forEach((c, i) => {
    const sealed = aeadSeal(key, chunkNonce(i, i === plan.count - 1), inner.subarray(offset, offset + c.length));
    out.set(sealed, prefixLength + i * SEALED_CHUNK_SIZE);
    offset += c.length;
  });
  return out;
}

function modified(bundle: Uint8Array, edit: (b: Uint8Array) => void): Uint8Array {
  const out = bundle.slice();
  edit(out);
  return out;
}

export function buildCases(): VectorCase[] {
  const cases: VectorCase[] = [];
  const ok = (name: string, description: string, s: SealInputs, opener: KeyPair): Uint8Array => {
    const bundle = sealInputs(s);
    cases.push({ name, description, expect: "success", opener, seal: s, bundle, body: s.body, sender: s.sender.publicKey });
    return bundle;
  };
  const bad = (name: string, description: string, expect: BundleErrorCode, bundle: Uint8Array, opener: KeyPair = devices[0]!, maxLength?: number): void => {
    cases.push({ name, description, expect, opener, bundle, ...(maxLength === undefined ? {} : { maxLength }) });
  };

  const emptyIn = inputs("empty", new Uint8Array(0), [devices[0]!], [3]);
  const empty = ok("empty-body", "empty body, one recipient in the last of 4 slots: the smallest bundle", emptyIn, devices[0]!);
  const syncBody = encodePayload({ kind: "sync", team: seeded("team"), entries: [pattern(60)], changesets: [pattern(200)], acks: [{ device: seeded("dev"), seq: 7 }] });
  const syncIn = inputs("sync", syncBody, devices.slice(0, 3), [1, 3, 0]);
  const sync = ok("sync-payload-three-recipients", "a canonical CBOR sync payload for 3 devices, opened by the third", syncIn, devices[2]!);
  const multiIn = inputs("multi", pattern(70_000), devices.slice(0, 2), [2, 0]);
  const multi = ok("two-chunks", "a 70,000-byte body: two STREAM chunks", multiIn, devices[1]!);
  ok("min-length", "a 10-byte body padded to at least 5000 bytes", inputs("min", pattern(10), [devices[0]!], [0], { minLength: 5000 }), devices[0]!);
  ok("five-recipients", "5 recipients use 8 slots", inputs("five", pattern(64), devices, [7, 1, 4, 2, 6]), devices[4]!);

  bad("not-for-me", "a device that is not a recipient", "BUNDLE_NOT_FOR_ME", sync, stranger);
  bad("low-order-ephemeral", "the ephemeral key replaced by a low-order point", "BUNDLE_NOT_FOR_ME", modified(sync, (b) => b.fill(0, 34, 66)), devices[2]!);
  bad("payload-bit-flip", "one bit flipped in the payload ciphertext", "BUNDLE_AUTH", modified(sync, (b) => (b[400]! ^= 1)), devices[2]!);
  bad("other-slot-bit-flip", "one bit flipped in a slot that is not the opener's (slots are bound to the payload key)", "BUNDLE_AUTH",
    modified(sync, (b) => (b[66 + 48 * 2 + 5]! ^= 1)), devices[2]!);
  bad("truncated", "the last byte cut off", "BUNDLE_TRUNCATED", sync.subarray(0, sync.length - 1), devices[2]!);
  bad("truncated-header", "cut inside the header", "BUNDLE_TRUNCATED", sync.subarray(0, 40), devices[2]!);
  bad("trailing-byte", "one byte appended", "BUNDLE_MALFORMED", concatBytes(sync, new Uint8Array(1)), devices[2]!);
  bad("bad-magic", "not the AIRLOCK magic", "BUNDLE_MALFORMED", modified(empty, (b) => (b[0] = 0x61)));
  bad("version-2", "format major version 2", "BUNDLE_VERSION", modified(empty, (b) => (b[OFFSET_VERSION] = 2)));
  bad("unknown-suite", "cipher suite 9", "BUNDLE_VERSION", modified(empty, (b) => (b[OFFSET_VERSION + 1] = 9)));
  bad("length-not-a-bucket", "declared length 1025 is not a bucket size", "BUNDLE_MALFORMED", modified(empty, (b) => b.set(u64be(1025), OFFSET_LENGTH)));
  bad("too-large", "declares 1 GiB, over the 256 MiB limit", "BUNDLE_TOO_LARGE", modified(empty, (b) => b.set(u64be(2 ** 30), OFFSET_LENGTH)), devices[0]!, 256 * 2 ** 20);
  bad("tier-out-of-range", "slot tier 11", "BUNDLE_MALFORMED", modified(empty, (b) => (b[OFFSET_TIER] = 11)));
  bad("chunks-reordered", "the two chunks swapped", "BUNDLE_AUTH", modified(multi, (b) => {
    const prefix = 66 + 48 * 4;
    const first = multi.slice(prefix, prefix + SEALED_CHUNK_SIZE);
    const rest = multi.slice(prefix + SEALED_CHUNK_SIZE);
    if (rest.length !== first.length) {
      // Chunks differ in size: swapping them moves the last-chunk flag, which must fail too.
      b.set(rest, prefix);
      b.set(first, prefix + rest.length);
    } else {
      b.set(rest, prefix);
      b.set(first, prefix + SEALED_CHUNK_SIZE);
    }
  }), devices[1]!);

  const forged = new BundleSealer(10, { recipients: [devices[0]!.publicKey], sender: { secretKey: mallory.secretKey, publicKey: alice.publicKey }, mailboxTag: TAG }, randomness("forged", 1, [0]));
  bad("forged-sender", "a co-recipient claims Alice's key but signs with her own", "BUNDLE_AUTH",
    concatBytes(forged.prefix, ...forged.push(pattern(10)), ...forged.finish()));
  const emptyPrefix = 66 + 48 * 4;
  bad("nonzero-padding", "authentic ciphertext whose padding is not all zeros", "BUNDLE_MALFORMED",
    recrypt(empty, emptyIn, emptyPrefix, (inner) => (inner[inner.length - 1] = 1)));
  bad("body-length-overflow", "authentic ciphertext declaring a body longer than the bundle", "BUNDLE_MALFORMED",
    recrypt(empty, emptyIn, emptyPrefix, (inner) => inner.set(u64be(5000), 32)));
  bad("body-length-shifted", "authentic ciphertext whose body length was changed after signing", "BUNDLE_AUTH",
    recrypt(empty, emptyIn, emptyPrefix, (inner) => inner.set(u64be(1), 32)));
  return cases;
}
