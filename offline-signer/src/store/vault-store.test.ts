import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAirlockError } from "@airlock/shared";
import { applyMigrations, MIGRATIONS, type Migration } from "./migrations.js";
import { parseParams, passphraseBytes, readParams, serializeParams, writeParamsAtomic, type VaultParams } from "./params.js";
import { BACKUPS_DIR, DB_FILE, PARAMS_FILE, VaultStore } from "./vault-store.js";

// Every vault in the tests uses the cheap, explicitly insecure KDF setting.
const TEST = { kdf: "test-insecure" } as const;
const pw = (s: string): Uint8Array => passphraseBytes(s);

const made: string[] = [];
function tempVault(): string {
  const d = mkdtempSync(join(tmpdir(), "airlock-vault-"));
  made.push(d);
  return join(d, "vault");
}
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function hashFiles(dir: string, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const p = join(dir, n);
    out[n] = existsSync(p) ? createHash("sha256").update(readFileSync(p)).digest("hex") : "absent";
  }
  return out;
}
const FILES = [DB_FILE, `${DB_FILE}-wal`, PARAMS_FILE];

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isAirlockError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
  if (isAirlockError(e)) expect(e.hint).toBeTruthy();
}

describe("VaultStore", () => {
  it("creates, closes and reopens with the data intact", async () => {
    const dir = tempVault();
    const store = await VaultStore.create(dir, pw("correct horse"), TEST);
    expect(store.insecureKdf).toBe(true);
    store.setMeta("device-name", "laptop-1");
    store.setSecret("device-ed25519", new Uint8Array([1, 2, 3, 255]));
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    store.close();
    store.close(); // idempotent
    expect(() => store.getMeta("device-name")).toThrow(expect.objectContaining({ code: "VAULT_CLOSED" }));

    const again = await VaultStore.open(dir, pw("correct horse"), TEST);
    expect(again.getMeta("device-name")).toBe("laptop-1");
    expect(again.getSecret("device-ed25519")).toEqual(new Uint8Array([1, 2, 3, 255]));
    expect(again.getMeta("missing")).toBeUndefined();
    expect(again.deleteSecret("device-ed25519")).toBe(true);
    expect(again.getSecret("device-ed25519")).toBeUndefined();
    const pragmas = again.transaction((db) => ({
      journal: db.pragma("journal_mode", { simple: true }),
      fk: db.pragma("foreign_keys", { simple: true }),
      sync: db.pragma("synchronous", { simple: true }),
    }));
    expect(pragmas).toEqual({ journal: "wal", fk: 1, sync: 2 });
    again.close();
  });

  it("wipes the passphrase it was given", async () => {
    const dir = tempVault();
    const pass = pw("wipe me");
    const store = await VaultStore.create(dir, pass, TEST);
    store.close();
    expect(pass.every((b) => b === 0)).toBe(true);
    const pass2 = pw("wrong");
    await expectCode(VaultStore.open(dir, pass2, TEST), "VAULT_WRONG_PASSPHRASE");
    expect(pass2.every((b) => b === 0)).toBe(true);
  });

  it("normalizes passphrases to NFC", async () => {
    const dir = tempVault();
    (await VaultStore.create(dir, pw("caf\u00e9"), TEST)).close();
    (await VaultStore.open(dir, pw("cafe\u0301"), TEST)).close();
  });

  it("refuses a wrong passphrase at the first read and leaves every file byte-for-byte unchanged", async () => {
    const dir = tempVault();
    const store = await VaultStore.create(dir, pw("right"), TEST);
    store.setMeta("k", "v");
    store.close();
    const before = hashFiles(dir, FILES);
    await expectCode(VaultStore.open(dir, pw("wrong"), TEST), "VAULT_WRONG_PASSPHRASE");
    await expectCode(VaultStore.open(dir, new Uint8Array(0), TEST), "VAULT_WRONG_PASSPHRASE");
    expect(hashFiles(dir, FILES)).toEqual(before);
    const ok = await VaultStore.open(dir, pw("right"), TEST);
    expect(ok.getMeta("k")).toBe("v");
    ok.close();
  });

  it("records the test-only KDF loudly and refuses it without explicit consent", async () => {
    const dir = tempVault();
    (await VaultStore.create(dir, pw("p"), TEST)).close();
    const text = readFileSync(join(dir, PARAMS_FILE), "utf8");
    expect(text).toContain('"kdf": "test-insecure"');
    expect(text).toContain("INSECURE");
    await expectCode(VaultStore.open(dir, pw("p")), "VAULT_INSECURE_KDF");
  });

  it("refuses to create over an existing vault, and reports a missing one", async () => {
    const dir = tempVault();
    (await VaultStore.create(dir, pw("p"), TEST)).close();
    await expectCode(VaultStore.create(dir, pw("p"), TEST), "VAULT_EXISTS");
    await expectCode(VaultStore.open(tempVault(), pw("p"), TEST), "VAULT_NOT_FOUND");
    await expectCode(VaultStore.create(tempVault(), new Uint8Array(0), TEST), "VAULT_PASSPHRASE_EMPTY");
  });

  it("never writes a canary secret in any recognizable form to any file", async () => {
    const dir = tempVault();
    const canary = "CANARY-7f3e-\u00e9l\u00e9phant-ZQXJ-9931";
    const store = await VaultStore.create(dir, pw("p"), TEST);
    store.setSecret("identity-key", new TextEncoder().encode(canary));
    store.setMeta("note", canary);
    store.setMeta(canary, "as a key too");
    const utf8 = Buffer.from(canary, "utf8");
    const forms = [
      utf8,
      Buffer.from(canary, "utf16le"),
      Buffer.from(canary, "utf16le").swap16(), // UTF-16BE
      Buffer.from(utf8.toString("hex")),
      Buffer.from(utf8.toString("hex").toUpperCase()),
      Buffer.from(utf8.toString("base64")),
      Buffer.from("CANARY-7f3e"), // any prefix in clear
    ];
    const scan = (): string[] => {
      const files = readdirSync(dir);
      for (const f of files) {
        const bytes = readFileSync(join(dir, f));
        for (const form of forms) expect(bytes.includes(form), `${f} contains ${form.toString("latin1")}`).toBe(false);
      }
      return files;
    };
    // While open: WAL and shm exist and hold the fresh writes.
    expect(scan()).toEqual(expect.arrayContaining([DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, PARAMS_FILE]));
    store.close();
    expect(scan()).toEqual(expect.arrayContaining([DB_FILE, PARAMS_FILE]));
    const again = await VaultStore.open(dir, pw("p"), TEST);
    expect(again.getMeta("note")).toBe(canary);
    again.close();
  });

  it("runs transactions atomically", async () => {
    const store = await VaultStore.create(tempVault(), pw("p"), TEST);
    expect(
      store.transaction(() => {
        store.setMeta("a", "1");
        store.setMeta("b", "2");
        return 7;
      }),
    ).toBe(7);
    expect(() =>
      store.transaction(() => {
        store.setMeta("a", "changed");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(store.getMeta("a")).toBe("1");
    expect(() =>
      store.transaction(async () => {
        store.setMeta("b", "changed");
      }),
    ).toThrow(expect.objectContaining({ code: "VAULT_ASYNC_TRANSACTION" }));
    expect(store.getMeta("b")).toBe("2");
    store.close();
  });
});

describe("passphrase change", () => {
  it("re-keys: the old passphrase fails, the new one works, data intact", async () => {
    const dir = tempVault();
    const store = await VaultStore.create(dir, pw("old"), TEST);
    store.setSecret("s", new Uint8Array([9, 9, 9]));
    const saltBefore = readParams(join(dir, PARAMS_FILE)).current.salt;
    const newPass = pw("new");
    await store.changePassphrase(newPass, TEST);
    expect(newPass.every((b) => b === 0)).toBe(true);
    store.setMeta("after", "change");
    store.close();
    const params = readParams(join(dir, PARAMS_FILE));
    expect(params.pending).toBeUndefined();
    expect(params.current.salt).not.toEqual(saltBefore);
    await expectCode(VaultStore.open(dir, pw("old"), TEST), "VAULT_WRONG_PASSPHRASE");
    const again = await VaultStore.open(dir, pw("new"), TEST);
    expect(again.getSecret("s")).toEqual(new Uint8Array([9, 9, 9]));
    expect(again.getMeta("after")).toBe("change");
    expect(again.transaction((db) => db.pragma("journal_mode", { simple: true }))).toBe("wal");
    again.close();
  });

  it("crash after step 1 (pending written, not re-keyed): the old passphrase works and the change is forgotten", async () => {
    const dir = tempVault();
    (await VaultStore.create(dir, pw("old"), TEST)).close();
    const paramsPath = join(dir, PARAMS_FILE);
    const old = readParams(paramsPath);
    // Forge the state step 1 leaves: a pending slot the database never got.
    const withPending: VaultParams = { ...old, pending: { ...old.current, salt: new Uint8Array(16).fill(7) } };
    writeParamsAtomic(paramsPath, withPending);
    await expectCode(VaultStore.open(dir, pw("new"), TEST), "VAULT_WRONG_PASSPHRASE");
    (await VaultStore.open(dir, pw("old"), TEST)).close();
    expect(readParams(paramsPath).pending).toBeUndefined();
  });

  it("crash after step 2 (re-keyed, params not settled): the new passphrase works and settles the file", async () => {
    const dir = tempVault();
    const store = await VaultStore.create(dir, pw("old"), TEST);
    const paramsPath = join(dir, PARAMS_FILE);
    const old = readParams(paramsPath);
    await store.changePassphrase(pw("new"), TEST);
    store.close();
    const settled = readParams(paramsPath);
    // Forge the state step 2 leaves: database under the new key, file still naming old as current.
    writeParamsAtomic(paramsPath, { cipher: old.cipher, current: old.current, pending: settled.current });
    await expectCode(VaultStore.open(dir, pw("old"), TEST), "VAULT_WRONG_PASSPHRASE");
    (await VaultStore.open(dir, pw("new"), TEST)).close();
    const after = readParams(paramsPath);
    expect(after.pending).toBeUndefined();
    expect(after.current.salt).toEqual(settled.current.salt);
  });
});

describe("migrations", () => {
  const extra: Migration = {
    name: "test table",
    up: (db) => db.exec("CREATE TABLE extra (x INTEGER) STRICT"),
  };

  it("are idempotent and applied in one transaction each", async () => {
    const dir = tempVault();
    (await VaultStore.create(dir, pw("p"), TEST)).close();
    const s = await VaultStore.open(dir, pw("p"), TEST);
    expect(s.schemaVersion).toBe(MIGRATIONS.length);
    expect(s.transaction((db) => applyMigrations(db))).toBe(0);
    s.close();

    const broken: Migration = {
      name: "fails halfway",
      up: (db) => {
        db.exec("CREATE TABLE half (x INTEGER)");
        throw new Error("migration bug");
      },
    };
    await expect(VaultStore.open(dir, pw("p"), { ...TEST, migrations: [...MIGRATIONS, broken] })).rejects.toThrow("migration bug");
    const s2 = await VaultStore.open(dir, pw("p"), { ...TEST, migrations: [...MIGRATIONS, extra] });
    expect(s2.schemaVersion).toBe(MIGRATIONS.length + 1);
    expect(s2.transaction((db) => db.prepare("SELECT name FROM sqlite_schema WHERE name = 'half'").get())).toBeUndefined();
    s2.close();
    const s3 = await VaultStore.open(dir, pw("p"), { ...TEST, migrations: [...MIGRATIONS, extra] });
    expect(s3.schemaVersion).toBe(MIGRATIONS.length + 1);
    s3.close();
  });

  it("copy an older release's vault to backups/ before they change it; the copy opens as it was", async () => {
    const dir = tempVault();
    (await VaultStore.create(dir, pw("p"), TEST)).close();
    (await VaultStore.open(dir, pw("p"), { ...TEST, migrations: [...MIGRATIONS, extra] })).close();
    const backups = readdirSync(join(dir, BACKUPS_DIR));
    expect(backups).toEqual([expect.stringMatching(new RegExp(`^before-v${MIGRATIONS.length + 1}-\\d{8}T\\d{6}Z$`))]);
    const copy = join(dir, BACKUPS_DIR, backups[0]!);
    expect(statSync(join(copy, DB_FILE)).mode & 0o777).toBe(0o600);
    const old = await VaultStore.open(copy, pw("p"), TEST);
    expect(old.schemaVersion).toBe(MIGRATIONS.length);
    expect(old.transaction((db) => db.prepare("SELECT name FROM sqlite_schema WHERE name = 'extra'").get())).toBeUndefined();
    old.close();
    // Already current: nothing more is copied.
    (await VaultStore.open(dir, pw("p"), { ...TEST, migrations: [...MIGRATIONS, extra] })).close();
    expect(readdirSync(join(dir, BACKUPS_DIR))).toHaveLength(1);
  });

  it("refuse a database from a newer version without changing it", async () => {
    const dir = tempVault();
    (await VaultStore.create(dir, pw("p"), TEST)).close();
    (await VaultStore.open(dir, pw("p"), { ...TEST, migrations: [...MIGRATIONS, extra] })).close();
    const before = hashFiles(dir, FILES);
    await expectCode(VaultStore.open(dir, pw("p"), TEST), "VAULT_VERSION");
    expect(hashFiles(dir, FILES)).toEqual(before);
  });
});

describe("params file", () => {
  const good = (): VaultParams => ({
    cipher: "chacha20",
    current: { kdf: "argon2id", m: 65536, t: 3, p: 1, salt: new Uint8Array(16).fill(1) },
  });

  it("round-trips and holds nothing but the format, cipher and KDF slots", () => {
    const text = serializeParams(good());
    expect(parseParams("x", text)).toEqual(good());
    expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(["cipher", "current", "format", "version"]);
  });

  it("rejects downgraded, malformed and newer files", () => {
    const doc = JSON.parse(serializeParams(good())) as { current: { m: number; salt: string }; version: number };
    const variant = (f: (d: typeof doc) => void): string => {
      const d = structuredClone(doc);
      f(d);
      return JSON.stringify(d);
    };
    const code = (text: string): string | undefined => {
      try {
        parseParams("x", text);
        return undefined;
      } catch (e) {
        return isAirlockError(e) ? e.code : String(e);
      }
    };
    expect(code(variant((d) => (d.current.m = 1024)))).toBe("VAULT_PARAMS_INVALID");
    expect(code(variant((d) => (d.current.salt = "00")))).toBe("VAULT_PARAMS_INVALID");
    expect(code(variant((d) => (d.current.m = 2 ** 40)))).toBe("VAULT_PARAMS_INVALID");
    expect(code("{")).toBe("VAULT_PARAMS_INVALID");
    expect(code(variant((d) => (d.version = 2)))).toBe("VAULT_VERSION");
  });

  it("a damaged file is a typed error on open", async () => {
    const dir = tempVault();
    (await VaultStore.create(dir, pw("p"), TEST)).close();
    writeFileSync(join(dir, PARAMS_FILE), "garbage");
    await expectCode(VaultStore.open(dir, pw("p"), TEST), "VAULT_PARAMS_INVALID");
  });
});
