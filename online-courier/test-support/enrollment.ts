/**
 * What the vault's `airlock courier-enroll` makes, built here from a throwaway device key
 * until the vault lands: a sealed bundle addressed to the courier's X25519 key whose body is a
 * "courier-enrollment" payload. Plus real team bundles, sealed as a vault would seal them.
 */
import { ed25519KeyPair, encodePayload, randomBytes, sealBundle, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { TransportKey } from "@airlock/shared";

export interface TestTeam {
  readonly id: Uint8Array;
  readonly name: string;
  readonly tk: TransportKey;
  readonly epochSeconds: number;
  /** A vault device of the team: seals the team's bundles; its keys must never reach a courier. */
  readonly device: { signing: KeyPair; encryption: KeyPair };
}

export function makeTeam(name: string, epochSeconds = 86_400): TestTeam {
  return { id: randomBytes(32), name, tk: TransportKey.generate(epochSeconds), epochSeconds, device: { signing: ed25519KeyPair(), encryption: x25519KeyPair() } };
}

export function makeEnrollment(team: TestTeam, courierPublicKey: Uint8Array, mailbox = ""): Uint8Array {
  const transportKey = team.tk.exportKey();
  try {
    const body = encodePayload({ kind: "courier-enrollment", team: team.id, teamName: team.name, transportKey, epochSeconds: team.epochSeconds, mailbox });
    return sealBundle(body, { recipients: [courierPublicKey], sender: ed25519KeyPair(), mailboxTag: randomBytes(16) });
  } finally {
    transportKey.fill(0);
  }
}

/** A real team bundle of `epoch`, as the vault seals it: the team's real tag, opaque to couriers. */
export function teamBundle(team: TestTeam, epoch: number, body: Uint8Array, minLength?: number): Uint8Array {
  return sealBundle(body, {
    recipients: [team.device.encryption.publicKey],
    sender: team.device.signing,
    mailboxTag: team.tk.tag("real", epoch),
    ...(minLength === undefined ? {} : { minLength }),
  });
}
