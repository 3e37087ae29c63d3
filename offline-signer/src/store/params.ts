/**
 * The vault's plaintext parameter file (`vault.json`, next to `vault.db`) and the passphrase KDF.
 *
 * The file holds nothing secret and nothing identifying: a format tag and version, the page
 * cipher, and for each key slot the KDF name, its cost parameters and a random 16-byte salt.
 * `current` is the passphrase in force; `pending` exists only while a passphrase change is in
 * flight (see docs/vault-store.md, "Passphrase change").
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { argon2idAsync } from "@noble/hashes/argon2.js";
import { AirlockError, syncDirectorySync } from "@airlock/shared";

export const PARAMS_FORMAT = "airlock-vault-params";
export const PARAMS_VERSION = 1;
export const PAGE_CIPHER = "chacha20";
export const KEY_BYTES = 32;
export const SALT_BYTES = 16;

/** "argon2id": the real setting. "test-insecure": Argon2id at a trivial cost, for tests only. */
export type KdfName = "argon2id" | "test-insecure";

/**
 * Chosen by measurement (measure-kdf.ts, figures in docs/vault-store.md): 64 MiB, 2 passes,
 * one lane: 0.9-1.1 s with @noble/hashes' argon2idAsync on the development machine.
 */
export const ARGON2ID_PARAMS = { m: 65536, t: 2, p: 1 } as const;
/** Test-only cost: a few ms. A vault created with it records `"kdf": "test-insecure"`. */
export const TEST_INSECURE_PARAMS = { m: 64, t: 1, p: 1 } as const;

export const INSECURE_WARNING =
  "INSECURE: this vault's passphrase key uses the test-only KDF setting; never keep real data in it";

export interface KdfSlot {
  readonly kdf: KdfName;
  /** Argon2 memory cost in KiB. */
  readonly m: number;
  /** Argon2 passes. */
  readonly t: number;
  /** Argon2 lanes. */
  readonly p: number;
  readonly salt: Uint8Array;
}

export interface VaultParams {
  readonly cipher: typeof PAGE_CIPHER;
  readonly current: KdfSlot;
  readonly pending?: KdfSlot | undefined;
}

export function newSlot(kdf: KdfName): KdfSlot {
  const cost = kdf === "argon2id" ? ARGON2ID_PARAMS : TEST_INSECURE_PARAMS;
  return { kdf, ...cost, salt: new Uint8Array(randomBytes(SALT_BYTES)) };
}

export function isInsecure(params: VaultParams): boolean {
  return params.current.kdf === "test-insecure" || params.pending?.kdf === "test-insecure";
}

/** Derives the 32-byte page key. The caller wipes both the passphrase and the key. */
export async function deriveKey(passphrase: Uint8Array, slot: KdfSlot): Promise<Uint8Array> {
  return argon2idAsync(passphrase, slot.salt, { m: slot.m, t: slot.t, p: slot.p, dkLen: KEY_BYTES });
}

/** UTF-8 bytes of the NFC form, the only way a passphrase string should enter the store. */
export function passphraseBytes(passphrase: string): Uint8Array {
  return new TextEncoder().encode(passphrase.normalize("NFC"));
}

// ---------------------------------------------------------------------------------------------
// The file

function invalid(path: string, what: string): AirlockError {
  return new AirlockError("VAULT_PARAMS_INVALID", `vault parameter file ${path} is invalid: ${what}`, {
    hint: "the file next to vault.db was damaged or replaced; restore it from a backup of the vault folder (an older backup misses what peers already count as delivered: docs/sync.md)",
  });
}

function slotToJson(slot: KdfSlot): Record<string, unknown> {
  return { kdf: slot.kdf, m: slot.m, t: slot.t, p: slot.p, salt: Buffer.from(slot.salt).toString("hex") };
}

export function serializeParams(params: VaultParams): string {
  const doc: Record<string, unknown> = {
    format: PARAMS_FORMAT,
    version: PARAMS_VERSION,
    ...(isInsecure(params) ? { warning: INSECURE_WARNING } : {}),
    cipher: params.cipher,
    current: slotToJson(params.current),
    ...(params.pending === undefined ? {} : { pending: slotToJson(params.pending) }),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function intIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
}

function parseSlot(path: string, name: string, v: unknown): KdfSlot {
  if (!isRecord(v)) throw invalid(path, `"${name}" is not an object`);
  const { kdf, m, t, p, salt } = v;
  if (kdf !== "argon2id" && kdf !== "test-insecure") throw invalid(path, `unknown KDF ${JSON.stringify(kdf)}`);
  if (!intIn(p, 1, 16)) throw invalid(path, `"${name}.p" out of range`);
  // Bounded so a hostile file cannot make us allocate more than 1 GiB or spin for hours.
  if (!intIn(m, 8 * p, 1024 * 1024)) throw invalid(path, `"${name}.m" out of range`);
  if (!intIn(t, 1, 64)) throw invalid(path, `"${name}.t" out of range`);
  if (typeof salt !== "string" || !/^[0-9a-f]{32}$/.test(salt)) throw invalid(path, `"${name}.salt" is not 16 hex bytes`);
  if (kdf === "argon2id" && (m < ARGON2ID_PARAMS.m || t < ARGON2ID_PARAMS.t)) {
    // A downgraded file would make offline guessing cheaper without anyone noticing.
    throw invalid(path, `"${name}" claims argon2id below the minimum cost`);
  }
  return { kdf, m, t, p, salt: new Uint8Array(Buffer.from(salt, "hex")) };
}

export function parseParams(path: string, text: string): VaultParams {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalid(path, "not JSON");
  }
  if (!isRecord(doc) || doc["format"] !== PARAMS_FORMAT) throw invalid(path, "not an Airlock vault parameter file");
  const version = doc["version"];
  if (!intIn(version, 1, Number.MAX_SAFE_INTEGER)) throw invalid(path, "bad version");
  if (version > PARAMS_VERSION) {
    throw new AirlockError("VAULT_VERSION", `vault parameter file ${path} is version ${version}; this airlock reads up to ${PARAMS_VERSION}`, {
      hint: "this vault was written by a newer airlock; upgrade airlock on this laptop",
    });
  }
  if (doc["cipher"] !== PAGE_CIPHER) throw invalid(path, `unknown cipher ${JSON.stringify(doc["cipher"])}`);
  const current = parseSlot(path, "current", doc["current"]);
  const pending = doc["pending"] === undefined ? undefined : parseSlot(path, "pending", doc["pending"]);
  return { cipher: PAGE_CIPHER, current, pending };
}

export function readParams(path: string): VaultParams {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new AirlockError("VAULT_NOT_FOUND", `no vault at ${dirname(path)} (missing ${path})`, {
        hint: "check the vault folder, or create a vault first",
        cause: e,
      });
    }
    throw e;
  }
  return parseParams(path, text);
}

/** temp file + fsync + rename + fsync(dir): after a crash the file is wholly old or wholly new. */
export function writeParamsAtomic(path: string, params: VaultParams): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, serializeParams(params));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // best effort
    }
    throw e;
  }
  syncDirectorySync(dirname(path));
}
