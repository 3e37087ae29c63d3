/**
 * TOTP (RFC 6238) secrets in one canonical form. Every importer, the CLI and the TUI store
 * the same string for the same authenticator, so a round trip through any export never
 * changes it and two vaults never disagree about a value that means the same thing.
 *
 * Canonical form (Google Authenticator key URI, github.com/google/google-authenticator/wiki/Key-Uri-Format):
 *
 *   otpauth://totp/<label>?secret=<BASE32>[&issuer=<issuer>]&algorithm=<A>&digits=<D>&period=<P>
 *
 * - label: percent-encoded UTF-8 (encodeURIComponent) with ":" kept literal; may be empty.
 * - secret: RFC 4648 base32 of the key bytes, upper case, no padding, no spaces.
 * - issuer: present only when non-empty, percent-encoded.
 * - algorithm, digits and period are always written, in this order, so no default is implied.
 * Unknown parameters (image=, color=, ...) are dropped: none of them changes the code.
 *
 * Refused (SECRETS_BAD_TOTP): HOTP (a counter a copy cannot share), Steam Guard (`steam://`,
 * `encoder=steam`: another alphabet), algorithms other than SHA1/SHA256/SHA512, digits outside
 * 6-8, periods outside 1-300 s, secrets under 80 bits (RFC 4226 section 4 asks for 128, 160
 * recommended; 80 is what real sites still hand out), and anything malformed. Messages never
 * quote the secret.
 */
import { Secret, TOTP } from "otpauth";
import { secretsError } from "./errors.js";
import { lineProblem } from "./text.js";

export type TotpAlgorithm = "SHA1" | "SHA256" | "SHA512";

export const TOTP_LIMITS = {
  /** Longest input parseTotp reads; the canonical URI is then at most the record's 2048. */
  inputChars: 2048,
  minSecretBytes: 10,
  maxSecretBytes: 128,
  labelChars: 256,
  issuerChars: 256,
  minDigits: 6,
  maxDigits: 8,
  minPeriod: 1,
  maxPeriod: 300,
} as const;

export interface TotpParams {
  readonly secret: Uint8Array;
  readonly algorithm: TotpAlgorithm;
  readonly digits: number;
  readonly period: number;
  readonly label: string;
  readonly issuer: string;
}

const bad = (message: string): Error => secretsError("SECRETS_BAD_TOTP", message);

const ALGORITHMS: Readonly<Record<string, TotpAlgorithm>> = { SHA1: "SHA1", SHA256: "SHA256", SHA512: "SHA512" };
const URI = /^otpauth:\/\/([a-z]+)\/([^?#]*)(?:\?([^#]*))?$/i;

function decodeSecret(text: string): Uint8Array {
  // Tolerate what people paste from a setup page: grouping spaces, lower case, '=' padding.
  const b32 = text.replace(/\s+/g, "").toUpperCase().replace(/=+$/, "");
  if (b32 === "") throw bad("the TOTP secret is empty");
  if (!/^[A-Z2-7]+$/.test(b32)) throw bad("the TOTP secret is not base32 (letters A-Z and digits 2-7)");
  // Lengths 1, 3 and 6 mod 8 are never produced by a base32 encoder.
  if ([1, 3, 6].includes(b32.length % 8)) throw bad(`the TOTP secret has ${b32.length} base32 characters, a length no encoder writes`);
  const bytes = Secret.fromBase32(b32).bytes;
  if (bytes.length < TOTP_LIMITS.minSecretBytes) {
    throw bad(`the TOTP secret is ${bytes.length * 8} bits; at least ${TOTP_LIMITS.minSecretBytes * 8} are needed`);
  }
  if (bytes.length > TOTP_LIMITS.maxSecretBytes) {
    throw bad(`the TOTP secret is ${bytes.length * 8} bits; at most ${TOTP_LIMITS.maxSecretBytes * 8} are accepted`);
  }
  return bytes;
}

function decodeComponent(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad(`the TOTP URI's ${what} has a broken percent-escape`);
  }
}

function checkName(text: string, what: string, max: number): string {
  if (text.length > max) throw bad(`the TOTP ${what} is longer than ${max} characters`);
  const why = lineProblem(text);
  if (why !== undefined) throw bad(`the TOTP ${what} ${why}`);
  return text;
}

function parseAlgorithm(text: string): TotpAlgorithm {
  const a = ALGORITHMS[text.toUpperCase().replace("-", "")];
  if (a === undefined) throw bad(`TOTP algorithm ${JSON.stringify(text.slice(0, 16))} is not supported (SHA1, SHA256, SHA512)`);
  return a;
}

function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^[0-9]{1,6}$/.test(text)) throw bad(`TOTP ${what} must be a whole number from ${min} to ${max}`);
  const n = Number(text);
  if (n < min || n > max) throw bad(`TOTP ${what} ${n} is outside ${min}-${max}`);
  return n;
}

/** The parameters of an otpauth://totp URI or a bare base32 secret, validated; throws SECRETS_BAD_TOTP. */
export function decodeTotp(input: string, defaults?: { readonly label?: string; readonly issuer?: string }): TotpParams {
  if (typeof input !== "string") throw bad("the TOTP value is not text");
  if (input.length > TOTP_LIMITS.inputChars) throw bad(`the TOTP value is longer than ${TOTP_LIMITS.inputChars} characters`);
  const text = input.trim();
  if (/^steam:\/\//i.test(text)) throw bad("Steam Guard codes (steam://) are not supported");
  const m = URI.exec(text);
  if (m === null) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(text)) throw bad("the TOTP value is a URI, but not otpauth://totp/...");
    return {
      secret: decodeSecret(text),
      algorithm: "SHA1",
      digits: 6,
      period: 30,
      label: checkName(defaults?.label ?? "", "label", TOTP_LIMITS.labelChars),
      issuer: checkName(defaults?.issuer ?? "", "issuer", TOTP_LIMITS.issuerChars),
    };
  }
  const type = m[1]!.toLowerCase();
  if (type === "hotp") throw bad("HOTP (counter-based) codes are not supported, only TOTP");
  if (type !== "totp") throw bad("the otpauth URI is neither totp nor hotp");
  const label = checkName(decodeComponent(m[2]!, "label"), "label", TOTP_LIMITS.labelChars);
  const params = new Map<string, string>();
  for (const pair of (m[3] ?? "").split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq), "parameter name").toLowerCase();
    const value = eq < 0 ? "" : decodeComponent(pair.slice(eq + 1), `"${key}" parameter`);
    if (params.has(key)) throw bad(`the TOTP URI repeats its "${key.slice(0, 32)}" parameter`);
    params.set(key, value);
  }
  if (params.has("encoder")) throw bad("TOTP encoders (encoder=steam) are not supported");
  const secret = params.get("secret");
  if (secret === undefined) throw bad("the TOTP URI has no secret parameter");
  return {
    secret: decodeSecret(secret),
    algorithm: parseAlgorithm(params.get("algorithm") ?? "SHA1"),
    digits: parseInteger(params.get("digits") ?? "6", "digits", TOTP_LIMITS.minDigits, TOTP_LIMITS.maxDigits),
    period: parseInteger(params.get("period") ?? "30", "period", TOTP_LIMITS.minPeriod, TOTP_LIMITS.maxPeriod),
    label,
    issuer: checkName(params.get("issuer") ?? "", "issuer", TOTP_LIMITS.issuerChars),
  };
}

/** The canonical URI of validated parameters (see the header). */
export function formatTotp(p: TotpParams): string {
  const label = encodeURIComponent(p.label).replaceAll("%3A", ":");
  const secret = new Secret({ buffer: Uint8Array.from(p.secret).buffer }).base32.replace(/=+$/, "");
  const issuer = p.issuer === "" ? "" : `&issuer=${encodeURIComponent(p.issuer)}`;
  return `otpauth://totp/${label}?secret=${secret}${issuer}&algorithm=${p.algorithm}&digits=${p.digits}&period=${p.period}`;
}

/**
 * The canonical otpauth URI for `input`: an otpauth://totp/ URI or a bare base32 secret (spaces,
 * lower case and padding tolerated). A bare secret gets SHA1, 6 digits, 30 s and the label given
 * in `defaults` (importers pass the item's title). Idempotent: parseTotp(parseTotp(x)) === parseTotp(x).
 */
export function parseTotp(input: string, defaults?: { readonly label?: string; readonly issuer?: string }): string {
  return formatTotp(decodeTotp(input, defaults));
}

/**
 * The canonical URI for settings kept in separate pieces (KeePass "TOTP Seed"/"TOTP Settings",
 * KeeOtp's key=&size=&step=): the secret is base32, the rest optional strings as stored.
 */
export function totpFromParts(parts: {
  readonly secret: string;
  readonly algorithm?: string;
  readonly digits?: string;
  readonly period?: string;
  readonly label?: string;
}): string {
  return formatTotp({
    secret: decodeSecret(parts.secret),
    algorithm: parseAlgorithm(parts.algorithm ?? "SHA1"),
    digits: parseInteger(parts.digits ?? "6", "digits", TOTP_LIMITS.minDigits, TOTP_LIMITS.maxDigits),
    period: parseInteger(parts.period ?? "30", "period", TOTP_LIMITS.minPeriod, TOTP_LIMITS.maxPeriod),
    label: checkName(parts.label ?? "", "label", TOTP_LIMITS.labelChars),
    issuer: "",
  });
}

/** The code shown at `nowMs` (Unix milliseconds) and the whole seconds it stays valid. */
export function totpCode(uri: string, nowMs: number): { code: string; secondsLeft: number } {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new RangeError(`"nowMs" expected a non-negative integer, got ${nowMs}`);
  const p = decodeTotp(uri);
  const code = TOTP.generate({
    secret: new Secret({ buffer: Uint8Array.from(p.secret).buffer }),
    algorithm: p.algorithm,
    digits: p.digits,
    period: p.period,
    timestamp: nowMs,
  });
  const secondsLeft = p.period - (Math.floor(nowMs / 1000) % p.period);
  return { code, secondsLeft };
}
