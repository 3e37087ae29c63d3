/** Deterministic keys and bundles for tests. Never used by production code. */
import { createHash } from "node:crypto";
import { ed25519KeyPair, x25519KeyPair, type KeyPair } from "../src/primitives.js";
import { sealBundle, slotCountFor, type SealOptions, type SealRandomness } from "../src/seal.js";
import { BundleError, type BundleErrorCode } from "../src/errors.js";

export const seeded = (label: string, length = 32): Uint8Array =>
  new Uint8Array(createHash("sha512").update(`airlock test: ${label}`).digest().subarray(0, length));

export const senderKey = (label = "sender"): KeyPair => ed25519KeyPair(seeded(`ed25519 ${label}`));
export const deviceKey = (label: string): KeyPair => x25519KeyPair(seeded(`x25519 ${label}`));

export const TAG = seeded("mailbox tag", 16);

/** Randomness that puts recipient i in slot `order[i]` and fills the rest with seeded dummies. */
export function fixedRandomness(recipients: number, order?: number[], label = "r"): SealRandomness {
  const slotCount = slotCountFor(recipients);
  const slots: (number | Uint8Array)[] = [];
  for (let s = 0; s < slotCount; s++) slots.push(seeded(`${label} dummy ${s}`, 48));
  const positions = order ?? [...Array(recipients).keys()];
  positions.forEach((slot, i) => (slots[slot] = i));
  return { ephemeralSecret: seeded(`${label} ephemeral`), contentKey: seeded(`${label} content`), slots };
}

export interface Fixture {
  readonly sender: KeyPair;
  readonly devices: KeyPair[];
  readonly options: SealOptions;
}

export function fixture(recipients = 3, label = "fx"): Fixture {
  const sender = senderKey(label);
  const devices = [...Array(recipients).keys()].map((i) => deviceKey(`${label} ${i}`));
  return { sender, devices, options: { recipients: devices.map((d) => d.publicKey), sender, mailboxTag: TAG } };
}

export function sealFixed(body: Uint8Array, fx: Fixture, order?: number[], label?: string): Uint8Array {
  return sealBundle(body, fx.options, fixedRandomness(fx.devices.length, order, label));
}

type CodedError<C extends string> = abstract new (...args: never[]) => Error & { readonly code: C };

/**
 * Runs `action` and returns the code of the typed error it threw (BundleError unless another
 * class is named), or "ok"; anything else fails the test.
 */
export function outcome<C extends string = BundleErrorCode>(
  action: () => unknown,
  errorClass: CodedError<C> = BundleError as unknown as CodedError<C>,
): C | "ok" {
  try {
    action();
    return "ok";
  } catch (e) {
    if (e instanceof errorClass) return e.code;
    throw e;
  }
}

export async function outcomeAsync(action: () => Promise<unknown>): Promise<BundleErrorCode | "ok"> {
  try {
    await action();
    return "ok";
  } catch (e) {
    if (e instanceof BundleError) return e.code;
    throw e;
  }
}

export async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}
