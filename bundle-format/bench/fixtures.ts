/**
 * Keys and seal options for the benchmarks. Derived from fixed labels, not drawn at random,
 * so the RSS child processes (one seals, another opens) agree on them without passing secrets
 * around. Benchmark keys only: nothing here is fit for real use.
 */
import { createHash } from "node:crypto";
import { ed25519KeyPair, x25519KeyPair, type KeyPair, type SealOptions } from "../src/index.js";

function seed(label: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`airlock-bench/${label}`).digest());
}

export interface Party {
  /** Every recipient's X25519 key pair; `recipients[0]` is the device the benchmark opens as. */
  readonly recipients: readonly KeyPair[];
  readonly options: SealOptions;
}

/** A sender and `recipientCount` recipients, the same on every call with the same arguments. */
export function party(recipientCount: number, label = "party"): Party {
  const recipients: KeyPair[] = [];
  for (let i = 0; i < recipientCount; i++) recipients.push(x25519KeyPair(seed(`${label}/recipient/${i}`)));
  return {
    recipients,
    options: {
      recipients: recipients.map((r) => r.publicKey),
      sender: ed25519KeyPair(seed(`${label}/sender`)),
      mailboxTag: seed(`${label}/mailbox`).subarray(0, 16),
    },
  };
}
