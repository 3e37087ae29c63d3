/** Real sealed bundles for the I/O tests: one sender, one recipient device, random bodies. */
import { ed25519KeyPair, randomBytes, sealBundle, x25519KeyPair } from "@airlock/bundle-format";

export const testSender = ed25519KeyPair();
export const testRecipient = x25519KeyPair();

/** A bundle sealed to `testRecipient`, with a random body (or `body`) of `bodyLength` bytes. */
export function sealTestBundle(bodyLength: number, body: Uint8Array = randomBytes(bodyLength)): Uint8Array {
  return sealBundle(body, { recipients: [testRecipient.publicKey], sender: testSender, mailboxTag: randomBytes(16) });
}
