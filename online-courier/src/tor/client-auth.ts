/**
 * Onion service client authorization (tor's v3 "x25519" client auth) derived from the team's
 * transport key: every courier of the team computes the same key pair, so the service can
 * admit exactly the team without a key exchange, and an address leaked without the transport
 * key is useless (tor will not even fetch the descriptor's inner layer).
 *
 *   sk = HKDF-SHA256(transport key, salt "", info "airlock/v1/transport/onion-client-auth", 32)
 *   pk = X25519(sk)     (tor and node both clamp the scalar)
 * Keys are written as tor expects them: RFC 4648 base32, upper case, no padding (52 chars).
 */
import { createPrivateKey, createPublicKey, hkdfSync } from "node:crypto";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { wipe } from "@airlock/bundle-format";
import type { TransportKey } from "@airlock/shared";
import { writeFileAtomic } from "../home/atomic-write.js";
import { mkdirDurable } from "../home/paths.js";

export const ONION_CLIENT_AUTH_LABEL = "airlock/v1/transport/onion-client-auth";
// PKCS#8 wrapping of a raw X25519 private key (RFC 8410): node imports keys only in a container.
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function onionClientAuthKeys(tk: TransportKey): { publicKeyBase32: string; privateKeyBase32: string } {
  const raw = tk.exportKey();
  const secret = new Uint8Array(hkdfSync("sha256", raw, new Uint8Array(0), ONION_CLIENT_AUTH_LABEL, 32));
  wipe(raw);
  const der = Buffer.concat([PKCS8_X25519_PREFIX, secret]);
  try {
    const publicJwk = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" })).export({ format: "jwk" });
    const publicKey = Buffer.from(String(publicJwk.x), "base64url");
    return { publicKeyBase32: base32(publicKey), privateKeyBase32: base32(secret) };
  } finally {
    wipe(secret, der);
  }
}

/** RFC 4648 base32 without padding, upper case (tor accepts it in ClientAuthV3 and .auth_private files). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Writes the file a client tor reads from its ClientOnionAuthDir (tor re-reads the folder on
 * start and on SIGHUP): `<address>.auth_private` holding `<address>:descriptor:x25519:<key>`.
 * The folder and file are private to this user: the key admits its holder to the mailbox. Written
 * whole and durably, like the home's other files (writeFileAtomic).
 */
export async function writeClientAuthFile(dir: string, onionAddress: string, privateKeyBase32: string): Promise<string> {
  const address = onionAddress.replace(/\.onion$/, "");
  if (!/^[a-z2-7]{56}$/.test(address)) throw new TypeError(`${JSON.stringify(onionAddress.slice(0, 80))} is not a v3 onion address`);
  if (!/^[A-Z2-7]{52}$/.test(privateKeyBase32)) throw new TypeError("the client auth key is 52 base32 characters");
  mkdirDurable(dir);
  await chmod(dir, 0o700);
  const path = join(dir, `${address}.auth_private`);
  writeFileAtomic(path, `${address}:descriptor:x25519:${privateKeyBase32}\n`, 0o600);
  return path;
}
