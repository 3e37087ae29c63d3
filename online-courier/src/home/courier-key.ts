/**
 * The courier's X25519 key pair. The vault seals each courier enrollment to its public key,
 * so only this courier learns the team's transport key. The secret stays in the home
 * (courier.key, 0600); `keygen --out` writes only the public line the vault reads:
 *
 *   airlock-courier-key:v1:<64 lowercase hex digits>\n
 */
import { readFileSync, statSync } from "node:fs";
import { fromHex, toHex, x25519KeyPair, type KeyPair } from "@airlock/bundle-format";
import { errnoCode, safe } from "@airlock/shared";
import { courierError } from "../errors.js";
import { isPlacedButNotDurable, removeStaleTemps, writeFileAtomic, type LinkFunction } from "./atomic-write.js";
import type { CourierHome } from "./paths.js";

export const PUBLIC_KEY_PREFIX = "airlock-courier-key:v1:";
const SECRET_PREFIX = "airlock-courier-secret:v1:";
const MAX_KEY_FILE = 4096;

export function formatPublicKey(publicKey: Uint8Array): string {
  return `${PUBLIC_KEY_PREFIX}${toHex(publicKey)}\n`;
}

export function parsePublicKey(text: string): Uint8Array {
  const m = /^airlock-courier-key:v1:([0-9a-f]{64})\r?\n?$/.exec(text);
  if (m === null) throw courierError("COURIER_BAD_PUBLIC_KEY", "not a courier public key file");
  return fromHex(m[1]!);
}

/**
 * Makes the key pair and stores it in the home; refuses to replace an existing one. Stale temp
 * files of earlier writes (a crash could leave a second name for an old secret key) go first.
 * `options.link` is for tests (a file system without hard links).
 */
export function generateCourierKey(home: CourierHome, options: { readonly link?: LinkFunction } = {}): KeyPair {
  removeStaleTemps(home.root);
  const pair = x25519KeyPair();
  try {
    // Complete under its name or not there at all, and durable (file and folder fsynced) before
    // its public key is printed and handed to a vault.
    writeFileAtomic(home.keyFile, `${SECRET_PREFIX}${toHex(pair.secretKey)}\n`, 0o600, { replace: false, ...(options.link === undefined ? {} : { link: options.link }) });
  } catch (e) {
    if (errnoCode(e) === "EEXIST") throw courierError("COURIER_KEY_EXISTS", `${home.keyFile} already exists`, e);
    // The key is in place (its bytes fsynced) and only the folder's fsync failed. Failing now
    // would strand it: its public key never shown, and a second keygen refused
    // (COURIER_KEY_EXISTS). So keygen succeeds and says what is at risk.
    if (!isPlacedButNotDurable(e)) throw e;
    process.stderr.write(safe`warning: ${home.keyFile} is in place but its folder could not be fsynced (${errnoCode(e) ?? e.message}): a power cut before the file system writes it out may lose the key; then run keygen again and re-enroll\n`);
  }
  return pair;
}

export function loadCourierKey(home: CourierHome): KeyPair {
  let size: number;
  try {
    size = statSync(home.keyFile).size;
  } catch (e) {
    throw courierError("COURIER_NO_KEY", `no courier key in ${home.root}`, e);
  }
  if (size > MAX_KEY_FILE) throw courierError("COURIER_BAD_KEY", `${home.keyFile} is ${size} bytes; a key file is one short line`);
  const m = /^airlock-courier-secret:v1:([0-9a-f]{64})\n?$/.exec(readFileSync(home.keyFile, "utf8"));
  if (m === null) throw courierError("COURIER_BAD_KEY", `${home.keyFile} is not a courier key file`);
  return x25519KeyPair(fromHex(m[1]!));
}

export function writePublicKeyFile(path: string, publicKey: Uint8Array): void {
  writeFileAtomic(path, formatPublicKey(publicKey), 0o644);
}
