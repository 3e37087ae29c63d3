/**
 * KeePass databases (KDBX 4, and 3.1 as older KeePass and KeePassXC wrote) through kdbxweb,
 * with Argon2 from @noble/hashes. Only a password is supported (no key file, no YubiKey).
 *
 * Entry mapping (KeePassXC's attribute names, keepassxreboot/keepassxc src/core/Entry.cpp and
 * src/totp/totp.cpp):
 * - Title, UserName, Password, URL, Notes: the item's own fields;
 * - TOTP: the `otp` attribute (an otpauth:// URI, or KeeOtp's "key=...&size=...&step=..."),
 *   else the legacy pair `TOTP Seed` (base32) + `TOTP Settings` ("30;6", "30;S" is Steam);
 * - `KP2A_URL`, `KP2A_URL_1`, ...: KeePassXC's additional URLs, appended to the URLs;
 * - other attributes: custom fields, hidden when KeePass protects them in memory;
 * - the group path below the root ("Email/Work") and the entry's own tags: tags.
 * Dropped: attachments, history, icons, colours, auto-type, expiry, dates, custom data, and every
 * entry in the recycle bin.
 *
 * Bounds: the file is at most IMPORT_LIMITS.bytes; the key derivation a file asks for is checked
 * before it runs (Argon2 memory, passes and lanes; AES-KDF rounds), so a hostile header cannot
 * make the vault allocate gigabytes or spin for hours. Limit not enforced here: kdbxweb inflates
 * the gzip payload whole, after the password is verified; a bomb can only come from someone who
 * also gives the password, and the file itself is bounded to 64 MiB.
 */
import { quoted } from "@airlock/shared";
import { argon2dAsync, argon2idAsync } from "@noble/hashes/argon2.js";
// The default import: kdbxweb is CommonJS, and Node's ESM loader finds only some of its names
// (ByteUtils, Consts, CryptoEngine, but not Kdbx, ProtectedValue, Credentials ...) on a namespace
// import; vitest's interop finds them all, so only the built CLI failed.
import kdbxweb from "kdbxweb";
import { secretsError } from "../errors.js";
import type { SecretField, SecretItem } from "../item.js";
import { totpFromParts } from "../totp.js";
import { checkCount, finishItem, malformed, totpOf } from "./common.js";

const FILE = "the KeePass database";

export const KDF_LIMITS = {
  /** Argon2 memory in KiB: 1 GiB; KeePassXC's default is 64 MiB. */
  argon2MemoryKiB: 1024 * 1024,
  argon2Iterations: 100,
  /** Memory times passes, in KiB: 64 passes over 64 MiB, or 4 over 1 GiB. */
  argon2Work: 4 * 1024 * 1024,
  argon2Parallelism: 16,
  aesRounds: 500_000_000,
} as const;

function kdfProblem(memoryKiB: number, iterations: number, parallelism: number): string | undefined {
  if (memoryKiB > KDF_LIMITS.argon2MemoryKiB) return `asks Argon2 for ${memoryKiB} KiB of memory; at most ${KDF_LIMITS.argon2MemoryKiB} are given`;
  if (iterations > KDF_LIMITS.argon2Iterations) return `asks Argon2 for ${iterations} passes; at most ${KDF_LIMITS.argon2Iterations} are run`;
  if (memoryKiB * iterations > KDF_LIMITS.argon2Work) return `asks Argon2 for ${iterations} passes over ${memoryKiB} KiB, more work than an import is allowed`;
  if (parallelism > KDF_LIMITS.argon2Parallelism) return `asks Argon2 for ${parallelism} lanes; at most ${KDF_LIMITS.argon2Parallelism}`;
  return undefined;
}

kdbxweb.CryptoEngine.setArgon2Impl(async (password, salt, memory, iterations, length, parallelism, type, version) => {
  const why = kdfProblem(memory, iterations, parallelism);
  if (why !== undefined) throw malformed(FILE, why);
  const opts = { t: iterations, m: memory, p: parallelism, dkLen: length, version, maxmem: KDF_LIMITS.argon2MemoryKiB * 1024 + 1 };
  const pw = new Uint8Array(password);
  const s = new Uint8Array(salt);
  const out = type === kdbxweb.CryptoEngine.Argon2TypeArgon2id ? await argon2idAsync(pw, s, opts) : await argon2dAsync(pw, s, opts);
  pw.fill(0);
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
});

const toNumber = (v: unknown): number | undefined =>
  typeof v === "number" ? v : v instanceof kdbxweb.Int64 ? v.value : typeof v === "bigint" ? Number(v) : undefined;

/** Refuses, before any key derivation, a header whose KDF would cost more than an import may. */
function checkHeaderCost(data: ArrayBuffer): void {
  let header: kdbxweb.KdbxHeader;
  try {
    header = kdbxweb.KdbxHeader.read(new kdbxweb.BinaryStream(data), new kdbxweb.KdbxContext({ kdbx: kdbxweb.Kdbx.create(new kdbxweb.Credentials(null), "") }));
  } catch {
    return; // Kdbx.load reports a bad header with its own typed error
  }
  if (header.keyEncryptionRounds !== undefined && header.keyEncryptionRounds > KDF_LIMITS.aesRounds) {
    throw malformed(FILE, `asks for ${header.keyEncryptionRounds} AES-KDF rounds; at most ${KDF_LIMITS.aesRounds} are run`);
  }
  const params = header.kdfParameters;
  if (params === undefined) return;
  const uuid = params.get("$UUID");
  const id = uuid instanceof ArrayBuffer ? kdbxweb.ByteUtils.bytesToBase64(uuid) : undefined;
  if (id === kdbxweb.Consts.KdfId.Aes) {
    const rounds = toNumber(params.get("R"));
    if (rounds !== undefined && rounds > KDF_LIMITS.aesRounds) throw malformed(FILE, `asks for ${rounds} AES-KDF rounds; at most ${KDF_LIMITS.aesRounds} are run`);
  } else {
    const m = toNumber(params.get("M"));
    const i = toNumber(params.get("I"));
    const p = toNumber(params.get("P"));
    const why = m !== undefined && i !== undefined && p !== undefined ? kdfProblem(Math.ceil(m / 1024), i, p) : undefined;
    if (why !== undefined) throw malformed(FILE, why);
  }
}

function mapKdbxError(e: unknown): Error {
  if (e instanceof kdbxweb.KdbxError) {
    switch (e.code) {
      case kdbxweb.Consts.ErrorCodes.InvalidKey:
        return secretsError("SECRETS_IMPORT_PASSWORD", "the KeePass database did not open with that password");
      case kdbxweb.Consts.ErrorCodes.BadSignature:
        return malformed(FILE, "is not a KeePass database (no KDBX signature)");
      case kdbxweb.Consts.ErrorCodes.InvalidVersion:
      case kdbxweb.Consts.ErrorCodes.Unsupported:
        return secretsError("SECRETS_IMPORT_UNSUPPORTED", `the KeePass database uses something this reader does not support (${e.code})`);
      default:
        return malformed(FILE, `is damaged or truncated (${e.code})`);
    }
  }
  if (e instanceof Error && "code" in e && typeof e.code === "string" && e.code.startsWith("SECRETS_")) return e;
  return malformed(FILE, "is damaged or truncated", e);
}

const STANDARD = new Set(["Title", "UserName", "Password", "URL", "Notes"]);
const TOTP_KEYS = new Set(["otp", "TOTP Seed", "TOTP Settings"]);
const EXTRA_URL = /^KP2A_URL(_\d+)?$/;

const text = (v: kdbxweb.KdbxEntryField | undefined): string | undefined =>
  v === undefined ? undefined : v instanceof kdbxweb.ProtectedValue ? v.getText() : v;

function entryTotp(entry: kdbxweb.KdbxEntry, where: string, title: string): string | undefined {
  const otp = text(entry.fields.get("otp"));
  if (otp !== undefined && otp.trim() !== "") {
    if (/^\s*key=/i.test(otp)) {
      const q = new URLSearchParams(otp.trim());
      return wrapTotp(where, "otp", () =>
        totpFromParts({ secret: q.get("key") ?? "", digits: q.get("size") ?? undefined, period: q.get("step") ?? undefined, algorithm: q.get("otpHashMode") ?? undefined, label: title }),
      );
    }
    return totpOf(otp, where, "otp", title);
  }
  const seed = text(entry.fields.get("TOTP Seed"));
  if (seed === undefined || seed.trim() === "") return undefined;
  const settings = (text(entry.fields.get("TOTP Settings")) ?? "").trim();
  const [period, digits] = settings === "" ? [undefined, undefined] : settings.split(";");
  if (digits === "S") throw malformed(where, "TOTP Settings: Steam Guard codes are not supported");
  return wrapTotp(where, "TOTP Seed", () => totpFromParts({ secret: seed, period, digits, label: title }));
}

function wrapTotp(where: string, field: string, f: () => string): string {
  try {
    return f();
  } catch (e) {
    throw malformed(where, `${field}: ${(e as Error).message}`, e);
  }
}

/** A fresh ArrayBuffer with exactly these bytes (a Node Buffer's .buffer is a shared pool). */
function copyBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

export async function importKdbx(bytes: Uint8Array, password: Uint8Array | undefined): Promise<SecretItem[]> {
  if (password === undefined) throw secretsError("SECRETS_IMPORT_PASSWORD", "a KeePass database needs its password to be imported");
  const data = copyBuffer(bytes);
  checkHeaderCost(data);
  let db: kdbxweb.Kdbx;
  // fromBinary masks the copy in place; the caller keeps its own bytes.
  const pwCopy = copyBuffer(password);
  const pv = kdbxweb.ProtectedValue.fromBinary(pwCopy);
  try {
    db = await kdbxweb.Kdbx.load(data, new kdbxweb.Credentials(pv));
  } catch (e) {
    throw mapKdbxError(e);
  }
  const root = db.groups[0];
  if (root === undefined) return [];
  const bin = db.meta.recycleBinEnabled === false ? undefined : db.meta.recycleBinUuid?.id;

  const found: { entry: kdbxweb.KdbxEntry; path: string }[] = [];
  const walk = (group: kdbxweb.KdbxGroup, path: string, depth: number): void => {
    if (depth > 256) throw malformed(FILE, "nests groups more than 256 deep");
    for (const entry of group.entries) {
      found.push({ entry, path });
      checkCount(found.length, FILE);
    }
    for (const sub of group.groups) {
      if (bin !== undefined && sub.uuid.id === bin) continue;
      walk(sub, path === "" ? (sub.name ?? "") : `${path}/${sub.name ?? ""}`, depth + 1);
    }
  };
  walk(root, "", 0);

  return found.map(({ entry, path }, index) => {
    const title = text(entry.fields.get("Title")) ?? "";
    const where = `${FILE}, entry ${index + 1}${title === "" ? "" : ` ${quoted(title.slice(0, 80))}`}${path === "" ? "" : ` in group ${quoted(path.slice(0, 80))}`}`;
    const urls = [text(entry.fields.get("URL")) ?? ""];
    const fields: SecretField[] = [];
    for (const [name, value] of entry.fields) {
      if (STANDARD.has(name) || TOTP_KEYS.has(name)) continue;
      if (EXTRA_URL.test(name)) {
        urls.push(text(value) ?? "");
        continue;
      }
      const v = text(value) ?? "";
      if (v !== "") fields.push({ name, value: v, hidden: value instanceof kdbxweb.ProtectedValue });
    }
    return finishItem(
      {
        title,
        username: text(entry.fields.get("UserName")),
        password: text(entry.fields.get("Password")),
        urls,
        notes: text(entry.fields.get("Notes")),
        totp: entryTotp(entry, where, title),
        tags: [path, ...entry.tags],
        fields,
      },
      where,
    );
  });
}
