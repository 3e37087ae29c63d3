/**
 * Release signatures in OpenBSD signify's file format (docs/install.md), so a release can be
 * checked with `signify-openbsd -V`, with `openssl pkeyutl` (what install.sh uses), or with
 * `airlock upgrade`: a line "untrusted comment: ..." then base64 of "Ed" || key number (8 bytes)
 * || the Ed25519 public key (32) or signature (64) over the whole message (SHA256SUMS).
 *
 * The secret key is ours, not signify's (which is passphrase-encrypted with bcrypt_pbkdf): the
 * same layout with "AS" and the 32-byte seed, in a file only its owner reads.
 */
import { ed25519KeyPair, ed25519Sign, ed25519Verify, randomBytes, sha256 } from "@airlock/bundle-format";
import { AirlockError } from "../errors.js";

const ALG = [0x45, 0x64]; // "Ed"
const SECRET_ALG = [0x41, 0x53]; // "AS"
const KEYNUM_BYTES = 8;
/** Key and signature files are two short lines; anything longer is not one. */
export const MAX_KEY_FILE_BYTES = 1024;

export interface ReleasePublicKey {
  readonly keynum: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface ReleaseSecretKey extends ReleasePublicKey {
  readonly seed: Uint8Array;
}

function fail(code: string, message: string, hint: string): never {
  throw new AirlockError(code, message, { hint });
}

/** The payload of a signify file: the comment line, then one base64 line of `alg || keynum || body`. */
function readFile(text: string, what: string, alg: readonly number[], bodyBytes: number): { keynum: Uint8Array; body: Uint8Array } {
  const code = what === "signature" ? "RELEASE_BAD_SIGNATURE" : "RELEASE_BAD_KEY";
  if (text.length > MAX_KEY_FILE_BYTES) fail(code, `the ${what} file is longer than ${MAX_KEY_FILE_BYTES} bytes`, `a ${what} file is two short lines`);
  const lines = text.split("\n");
  if (!lines[0]!.startsWith("untrusted comment: ")) fail(code, `the ${what} file does not start with "untrusted comment: "`, `is this a signify ${what} file?`);
  const b64 = (lines[1] ?? "").trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || lines.slice(2).some((l) => l.trim() !== "")) fail(code, `the ${what} file's second line is not one base64 value`, `is this a signify ${what} file?`);
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== 2 + KEYNUM_BYTES + bodyBytes || raw[0] !== alg[0] || raw[1] !== alg[1]) fail(code, `the ${what} file does not hold an Ed25519 ${what}`, `is this a signify ${what} file?`);
  return { keynum: new Uint8Array(raw.subarray(2, 2 + KEYNUM_BYTES)), body: new Uint8Array(raw.subarray(2 + KEYNUM_BYTES)) };
}

function writeFile(comment: string, alg: readonly number[], keynum: Uint8Array, body: Uint8Array): string {
  if (/[\r\n]/.test(comment)) throw new AirlockError("RELEASE_BAD_ARGUMENT", "a comment is one line");
  return `untrusted comment: ${comment}\n${Buffer.concat([Buffer.from(alg), keynum, body]).toString("base64")}\n`;
}

export function newReleaseKey(): ReleaseSecretKey {
  const pair = ed25519KeyPair();
  return { keynum: randomBytes(KEYNUM_BYTES), publicKey: pair.publicKey, seed: pair.secretKey };
}

export const encodePublicKey = (k: ReleasePublicKey, comment = "airlock release public key"): string => writeFile(comment, ALG, k.keynum, k.publicKey);
export const encodeSecretKey = (k: ReleaseSecretKey, comment = "airlock release secret key"): string => writeFile(comment, SECRET_ALG, k.keynum, k.seed);

export function decodePublicKey(text: string): ReleasePublicKey {
  const { keynum, body } = readFile(text, "public key", ALG, 32);
  return { keynum, publicKey: body };
}

export function decodeSecretKey(text: string): ReleaseSecretKey {
  const { keynum, body } = readFile(text, "secret key", SECRET_ALG, 32);
  return { keynum, seed: body, publicKey: ed25519KeyPair(body).publicKey };
}

/** A signify signature file over `message`. */
export function signRelease(key: ReleaseSecretKey, message: Uint8Array, comment = "verify with airlock-release.pub"): string {
  return writeFile(comment, ALG, key.keynum, ed25519Sign(key.seed, message));
}

/** Checks a signify signature file over `message` against `key`; throws a typed error naming what is wrong. */
export function verifyRelease(key: ReleasePublicKey, signatureText: string, message: Uint8Array): void {
  const { keynum, body } = readFile(signatureText, "signature", ALG, 64);
  if (Buffer.compare(keynum, key.keynum) !== 0) {
    fail("RELEASE_WRONG_KEY", "the release is signed with another key than the one trusted here", "get the release from the project, or compare the release key's fingerprint out of band (docs/install.md)");
  }
  if (!ed25519Verify(key.publicKey, message, body)) {
    fail("RELEASE_BAD_SIGNATURE", "the release's signature does not match its SHA256SUMS: altered or damaged", "copy the release files again from a source you trust; do not install this one");
  }
}

/** What users compare out of band: 20 bytes of SHA-256 over the key number and key, in groups of four hex digits. */
export function keyFingerprint(key: ReleasePublicKey): string {
  const h = Buffer.from(sha256(key.keynum, key.publicKey).subarray(0, 20)).toString("hex").toUpperCase();
  return h.match(/.{4}/g)!.join(" ");
}

/** Most lines and bytes a SHA256SUMS of a release may have. */
export const MAX_SUMS_BYTES = 64 * 1024;

/** `sha256sum` output: "<64 hex>  <name>" per line; names are plain file names. */
export function parseSums(text: string): Map<string, string> {
  if (text.length > MAX_SUMS_BYTES) fail("RELEASE_BAD_SUMS", `SHA256SUMS is longer than ${MAX_SUMS_BYTES} bytes`, "copy the release files again");
  const out = new Map<string, string>();
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    const m = /^([0-9a-f]{64}) [ *]([A-Za-z0-9._+-]{1,200})$/.exec(line);
    if (m === null || m[2] === "." || m[2] === "..") fail("RELEASE_BAD_SUMS", `SHA256SUMS line ${i + 1} is not "<sha256>  <file name>"`, "copy the release files again");
    if (out.has(m[2]!)) fail("RELEASE_BAD_SUMS", `SHA256SUMS names ${m[2]} twice`, "copy the release files again");
    out.set(m[2]!, m[1]!);
  }
  return out;
}
