/**
 * `airlock courier-enroll`: what a courier needs to carry this team's bundles (the transport key,
 * the epoch length, the team id and name, a suggested mailbox), sealed to the courier's X25519
 * public key and signed by this device. It holds no content key and no signing key.
 */
import { encodePayload, sealBundle, wipe } from "@airlock/bundle-format";
import { DEFAULT_EPOCH_SECONDS } from "@airlock/shared";
import { vaultError } from "./errors.js";
import type { Vault } from "./vault.js";

const KEY_LINE = /^airlock-courier-key:v1:([0-9a-f]{64})\r?\n?$/;

/** Parses the one-line file `airlock-courier keygen --out FILE` writes. */
export function parseCourierKey(text: string): Uint8Array {
  const m = KEY_LINE.exec(text);
  if (m === null) throw vaultError("VAULT_BAD_COURIER_KEY", "this is not a courier public key file (expected one line airlock-courier-key:v1:<64 hex digits>)");
  return new Uint8Array(Buffer.from(m[1]!, "hex"));
}

export function courierEnrollment(vault: Vault, courierPublicKey: Uint8Array, mailbox: string): Uint8Array {
  const state = vault.requireTeam();
  const tk = vault.transportKey();
  if (tk === undefined) throw vaultError("VAULT_NO_TEAM", "this vault has no transport key");
  const transportKey = tk.exportKey();
  try {
    const body = encodePayload({ kind: "courier-enrollment", team: state.team, teamName: state.name, transportKey, epochSeconds: tk.epochSeconds ?? DEFAULT_EPOCH_SECONDS, mailbox });
    try {
      return sealBundle(body, { recipients: [courierPublicKey], sender: vault.deviceKey, mailboxTag: new Uint8Array(16) });
    } finally {
      wipe(body);
    }
  } finally {
    wipe(transportKey);
    tk.wipe();
  }
}
