/**
 * The vault's encrypted store: one SQLite database encrypted page by page with
 * SQLite3MultipleCiphers' ChaCha20-Poly1305 cipher under a raw 32-byte key derived from the
 * passphrase with Argon2id (params.ts). Layout of a vault folder:
 *
 *   vault.json     plaintext KDF parameters and salt (nothing secret)
 *   vault.db       the encrypted database (+ vault.db-wal / vault.db-shm while open)
 *
 * Spec and crash reasoning: docs/vault-store.md.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3-multiple-ciphers";
import { AirlockError } from "@airlock/shared";
import { applyMigrations, MIGRATIONS, schemaVersion, type Migration } from "./migrations.js";
import {
  deriveKey,
  isInsecure,
  newSlot,
  PAGE_CIPHER,
  readParams,
  writeParamsAtomic,
  type KdfName,
  type KdfSlot,
  type VaultParams,
} from "./params.js";
// Used inside functions only: rekey.ts calls this module's statics back (a cycle).
import { rekeySpaces, settleSpaceKeys, type RekeyHook } from "../spaces/rekey.js";
import { SPACE_ID, SPACES_DIR } from "../spaces/layout.js";

export const DB_FILE = "vault.db";
/** A further space whose folder is gone or does not open (docs/spaces.md, "A damaged space"). */
const DAMAGED_SPACE_HINT = "the space's folder is gone or damaged; the other spaces work without it: remove it with `airlock spaces leave NAME --now`, or restore the vault from a backup (airlock restore)";
export const PARAMS_FILE = "vault.json";

export interface VaultOptions {
  /**
   * KDF for a new passphrase (create, changePassphrase). On open, "test-insecure" is the
   * explicit consent needed to open a vault whose file records the test-only KDF.
   * Default "argon2id". Never pass "test-insecure" outside tests.
   */
  readonly kdf?: KdfName | undefined;
  /** Schema migrations; tests only. Default: MIGRATIONS. */
  readonly migrations?: readonly Migration[] | undefined;
}

const HEX = Buffer.from("0123456789abcdef", "latin1");

/** "raw:<64 hex>" as bytes, never as a JS string (strings cannot be wiped). */
function rawKeyBuffer(key: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + key.length * 2);
  out.write("raw:", 0, "latin1");
  for (let i = 0; i < key.length; i++) {
    const b = key[i] as number;
    out[4 + 2 * i] = HEX[b >> 4] as number;
    out[5 + 2 * i] = HEX[b & 15] as number;
  }
  return out;
}

function applyKey(db: Database.Database, key: Uint8Array, rekey: boolean): void {
  const buf = rawKeyBuffer(key);
  try {
    const rc = rekey ? db.rekey(buf) : db.key(buf);
    if (rc !== 0) throw new AirlockError("VAULT_KEY_FAILED", `SQLite refused the key (rc ${rc})`, { hint: "report this as a bug" });
  } finally {
    buf.fill(0);
  }
}

function wipe(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

function isNotADb(e: unknown): boolean {
  return e instanceof Database.SqliteError && e.code === "SQLITE_NOTADB";
}

/** Opens the file and sets the key; returns null if the key does not decrypt page 1. */
function tryOpen(path: string, key: Uint8Array, create: boolean): Database.Database | null {
  const db = new Database(path, { fileMustExist: !create });
  try {
    db.pragma(`cipher='${PAGE_CIPHER}'`);
    applyKey(db, key, false);
    // First read: with a wrong key this is where SQLite3MC reports SQLITE_NOTADB, before
    // anything is written (journal mode and migrations come after).
    db.prepare("SELECT count(*) FROM sqlite_schema").get();
    return db;
  } catch (e) {
    db.close();
    if (isNotADb(e)) return null;
    throw e;
  }
}

/** Where the copy taken before a release's migrations change a vault goes: `backups/` in the vault folder. */
export const BACKUPS_DIR = "backups";

/**
 * Before this release's migrations change a vault an older release wrote, the whole vault as it
 * was (database and KDF parameters, still encrypted under the same passphrase) is copied to
 * `backups/before-vN-TIME/`: a failed or regretted upgrade can go back (docs/install.md). Nothing
 * is copied for a new vault, one already current, or one too new for this release (that is
 * refused, unchanged, by applyMigrations).
 */
function backupBeforeMigrating(db: Database.Database, dir: string, migrations: readonly Migration[]): void {
  const from = schemaVersion(db);
  if (from === 0 || from >= migrations.length) return;
  // Everything committed moves into the main file first, so the copy of that one file is whole.
  const [checkpoint] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
  if (checkpoint === undefined || checkpoint.busy !== 0) {
    throw new AirlockError("VAULT_BUSY", "another airlock has this vault open, so it cannot be backed up before its upgrade", { hint: "close the other airlock (TUI or command) and try again; the vault was not changed" });
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const target = join(dir, BACKUPS_DIR, `before-v${from + 1}-${stamp}`);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  copyFileSync(join(dir, DB_FILE), join(target, DB_FILE));
  chmodSync(join(target, DB_FILE), 0o600);
  copyFileSync(join(dir, PARAMS_FILE), join(target, PARAMS_FILE));
  chmodSync(join(target, PARAMS_FILE), 0o600);
  copySpaces(dir, target);
}

/**
 * Every further space's store goes into the same copy, `spaces/<id>/`, in the same step (review
 * F3): the copy then opens as the whole vault as it was, its first store holding the keys of
 * exactly these files. Spaces are not copied again when each is opened and migrated later: that
 * would leave copies that open as no vault, stamped with when each space was first used. A space
 * store's WAL is copied beside it (committed pages not yet in the main file); nothing else runs
 * on the vault now, since the first store's checkpoint above found no other airlock.
 */
function copySpaces(dir: string, target: string): void {
  const spaces = join(dir, SPACES_DIR);
  if (!existsSync(spaces)) return;
  for (const id of readdirSync(spaces)) {
    if (!SPACE_ID.test(id)) continue;
    const from = join(spaces, id);
    if (!existsSync(join(from, DB_FILE))) continue; // a damaged space: nothing to copy
    const to = join(target, SPACES_DIR, id);
    mkdirSync(to, { recursive: true, mode: 0o700 });
    for (const file of [DB_FILE, `${DB_FILE}-wal`]) {
      if (!existsSync(join(from, file))) continue;
      copyFileSync(join(from, file), join(to, file));
      chmodSync(join(to, file), 0o600);
    }
  }
}

/**
 * Takes `db` out of WAL mode, which SQLite allows only to the store's one connection: another
 * airlock with it open stops the caller here, with VAULT_BUSY saying `what` cannot be done and
 * that `unchanged` (the re-keys, a passphrase change, a space's deletion).
 */
function leaveWal(db: Database.Database, open: string, what: string, unchanged: string): void {
  try {
    db.pragma("journal_mode = DELETE");
  } catch (e) {
    if (e instanceof Database.SqliteError && e.code.startsWith("SQLITE_BUSY")) {
      throw new AirlockError("VAULT_BUSY", `another airlock has ${open} open, so ${what}`, { hint: `close the other airlock (TUI or command) and try again; ${unchanged}`, cause: e });
    }
    throw e;
  }
}

/** How every vault connection is set up (exported so benchmarks compare against the same kind of file). */
export function configure(db: Database.Database): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  // Plaintext must never reach disk unencrypted: temp tables/indices stay in memory, and freed
  // pages are zeroed (they are encrypted anyway; this keeps deleted secrets out of the WAL too).
  db.pragma("temp_store = MEMORY");
  db.pragma("secure_delete = ON");
  // Every page read is a decryption: an import touching 100,000 records walks the records and
  // search indexes again and again, and SQLite's default 2 MiB cache made it re-decrypt them
  // (vault.import.ops, docs/benchmarks.md). Grows on demand up to 64 MiB.
  db.pragma("cache_size = -65536");
}

function wrongPassphrase(dir: string): AirlockError {
  return new AirlockError("VAULT_WRONG_PASSPHRASE", `the passphrase does not open the vault at ${dir}`, {
    hint: "check the passphrase (keyboard layout, caps lock); the vault was not changed",
  });
}

export class VaultStore {
  #db: Database.Database | undefined;
  #params: VaultParams;
  readonly dir: string;
  /**
   * True for a further space's store (docs/spaces.md): no vault.json of its own, a random page
   * key kept as a secret in the first space's store, so it has no passphrase to change.
   */
  readonly space: boolean;

  private constructor(dir: string, db: Database.Database, params: VaultParams, space = false) {
    this.dir = dir;
    this.#db = db;
    this.#params = params;
    this.space = space;
  }

  /**
   * Creates a further space's store in `dir` (created 0700, must not hold a database yet) under
   * the random page key `key`, kept by the caller in `parent` (the first space's store), whose
   * KDF setting it reports. Wipes `key`.
   */
  static createSpace(dir: string, key: Uint8Array, parent: VaultStore, options: Pick<VaultOptions, "migrations"> = {}): VaultStore {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const dbPath = join(dir, DB_FILE);
      if (existsSync(dbPath)) throw new AirlockError("VAULT_EXISTS", `${dir} already holds a space's store`, { hint: "report this as a bug: space folders have random names" });
      const db = tryOpen(dbPath, key, true);
      if (db === null) throw new AirlockError("VAULT_CORRUPT", `could not create ${dbPath}`, { hint: "report this as a bug" });
      return VaultStore.#spaceStore(dir, db, parent, options);
    } finally {
      wipe(key);
    }
  }

  /** A space's database, just opened: set up and migrated; closed if any of it fails. */
  static #spaceStore(dir: string, db: Database.Database, parent: VaultStore, options: Pick<VaultOptions, "migrations">): VaultStore {
    try {
      configure(db);
      // No copy of its own before a migration: the first store's copy holds every space (copySpaces).
      applyMigrations(db, options.migrations ?? MIGRATIONS);
    } catch (e) {
      db.close();
      throw e;
    }
    return new VaultStore(dir, db, parent.#params, true);
  }

  /**
   * Opens a further space's store with its page key (from the first space's store), or with the
   * first of several candidate keys that opens it (the key and the pending key of an interrupted
   * re-key: spaces/rekey.ts). Wipes every key it is given.
   */
  static openSpace(dir: string, key: Uint8Array | readonly Uint8Array[], parent: VaultStore, options: Pick<VaultOptions, "migrations"> = {}): VaultStore {
    const keys = key instanceof Uint8Array ? [key] : key;
    try {
      const dbPath = join(dir, DB_FILE);
      if (!existsSync(dbPath)) {
        throw new AirlockError("VAULT_NOT_FOUND", `no database at ${dbPath}`, { hint: DAMAGED_SPACE_HINT });
      }
      let db: Database.Database | null = null;
      for (const k of keys) {
        db = tryOpen(dbPath, k, false);
        if (db !== null) break;
      }
      if (db === null) throw new AirlockError("VAULT_WRONG_KEY", `the key kept for the space at ${dir} does not open it`, { hint: DAMAGED_SPACE_HINT });
      return VaultStore.#spaceStore(dir, db, parent, options);
    } finally {
      wipe(...keys);
    }
  }

  /**
   * Whether `key` opens the space store in `dir` (read-only check of page 1; nothing written but
   * the rollback of a hot journal an interrupted re-key left). False when there is no database;
   * other errors (another airlock holding it locked) are thrown. Does not wipe `key`.
   */
  static spaceKeyOpens(dir: string, key: Uint8Array): boolean {
    const dbPath = join(dir, DB_FILE);
    if (!existsSync(dbPath)) return false;
    const db = tryOpen(dbPath, key, false);
    db?.close();
    return db !== null;
  }

  /**
   * Takes the space store in `dir` for its deletion: out of WAL mode (only possible as its one
   * connection, so another airlock with the space open stops it here with VAULT_BUSY) and an
   * exclusive lock held until the returned function releases it, so nobody opens it while its
   * folder goes. A store that is missing or that `key` does not open (a damaged space) cannot be
   * open elsewhere either: undefined, nothing to hold. `name` names the space in errors.
   */
  static holdSpaceForDeletion(dir: string, key: Uint8Array, name: string): (() => void) | undefined {
    const dbPath = join(dir, DB_FILE);
    if (!existsSync(dbPath)) return undefined;
    let db: Database.Database | null;
    try {
      db = tryOpen(dbPath, key, false);
    } catch {
      return undefined; // unreadable for another reason: damaged, nobody can have it open
    }
    if (db === null) return undefined;
    try {
      leaveWal(db, `space ${name} of this vault`, "it cannot be deleted", "the space was not changed");
      db.pragma("locking_mode = EXCLUSIVE");
      db.exec("BEGIN EXCLUSIVE");
    } catch (e) {
      db.close();
      throw e;
    }
    const held = db;
    return () => held.close();
  }

  /**
   * Re-keys the space store in `dir` from `key` to `next` (spaces/rekey.ts says when): as
   * changePassphrase does for the first store, out of WAL mode (SQLite3MC cannot re-key in it;
   * DELETE mode checkpoints the WAL first), then one rollback-journal transaction over every page,
   * then back to WAL. A crash inside leaves it under exactly one of the two keys. Wipes neither.
   * `name` names the space in errors.
   */
  static rekeySpace(dir: string, key: Uint8Array, next: Uint8Array, name: string): void {
    const dbPath = join(dir, DB_FILE);
    const notChanged = "the passphrase was not changed";
    if (!existsSync(dbPath)) {
      throw new AirlockError("VAULT_NOT_FOUND", `space ${name} has no database at ${dbPath}, so it cannot be re-keyed`, {
        hint: `${notChanged}; a space whose folder is gone can be removed (airlock spaces leave ${name} --now) or the vault restored from a backup (airlock restore), then change the passphrase again`,
      });
    }
    const db = tryOpen(dbPath, key, false);
    if (db === null) {
      throw new AirlockError("VAULT_WRONG_KEY", `the key kept for space ${name} does not open ${dbPath}, so it cannot be re-keyed`, {
        hint: `${notChanged}; the space's folder was replaced or damaged: remove it (airlock spaces leave ${name} --now) or restore the vault from a backup (airlock restore), then change the passphrase again`,
      });
    }
    try {
      leaveWal(db, `space ${name} of this vault`, "it cannot be re-keyed", notChanged);
      applyKey(db, next, true);
      db.pragma("journal_mode = WAL");
    } finally {
      db.close();
    }
  }

  /** True when the vault's key comes from the test-only KDF setting. Shout about it. */
  get insecureKdf(): boolean {
    return isInsecure(this.#params);
  }

  get schemaVersion(): number {
    return schemaVersion(this.#open());
  }

  /**
   * Creates a new vault in `dir` (created if missing, must not already hold a vault).
   * Wipes `passphrase`.
   */
  static async create(dir: string, passphrase: Uint8Array, options: VaultOptions = {}): Promise<VaultStore> {
    let key: Uint8Array | undefined;
    try {
      if (passphrase.length === 0) {
        throw new AirlockError("VAULT_PASSPHRASE_EMPTY", "the passphrase is empty", { hint: "choose a long passphrase" });
      }
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const dbPath = join(dir, DB_FILE);
      const paramsPath = join(dir, PARAMS_FILE);
      if (existsSync(dbPath) || existsSync(paramsPath)) {
        throw new AirlockError("VAULT_EXISTS", `${dir} already holds a vault (or the remains of one)`, {
          hint: "open it instead, or choose an empty folder; if a create was interrupted, delete vault.db and vault.json",
        });
      }
      const params: VaultParams = { cipher: PAGE_CIPHER, current: newSlot(options.kdf ?? "argon2id") };
      key = await deriveKey(passphrase, params.current);
      const db = tryOpen(dbPath, key, true);
      if (db === null) throw new AirlockError("VAULT_CORRUPT", `could not create ${dbPath}`, { hint: "report this as a bug" });
      try {
        configure(db);
        applyMigrations(db, options.migrations ?? MIGRATIONS);
        // The database is complete before the params file appears: a vault without
        // vault.json is an interrupted create (VAULT_NOT_FOUND), never a half-made vault.
        writeParamsAtomic(paramsPath, params);
      } catch (e) {
        db.close();
        throw e;
      }
      return new VaultStore(dir, db, params);
    } finally {
      wipe(passphrase, key);
    }
  }

  /** Opens an existing vault. Wipes `passphrase`. */
  static async open(dir: string, passphrase: Uint8Array, options: VaultOptions = {}): Promise<VaultStore> {
    return (await VaultStore.#openDeriving(dir, passphrase, options, false)).store;
  }

  /**
   * For `airlock unlock` (docs/unlock-session.md): opens the vault as `open` does (an interrupted
   * passphrase change is settled, migrations run) and closes it again; returns a copy of the
   * page key in force and the salt of its slot, which names that key. Wipes `passphrase`; the
   * caller wipes the key.
   */
  static async unlockKey(dir: string, passphrase: Uint8Array, options: VaultOptions = {}): Promise<{ key: Uint8Array; salt: Uint8Array }> {
    const { store, key } = await VaultStore.#openDeriving(dir, passphrase, options, true);
    const salt = store.#params.current.salt.slice();
    store.close();
    return { key: key!, salt };
  }

  /**
   * Opens with a page key derived earlier (the unlock session's agent holds one), skipping
   * Argon2id. Wipes `key`. While a passphrase change is pending it refuses
   * (VAULT_PASSPHRASE_PENDING): only the passphrase tells which slot is in force then. A key
   * that does not open the vault is VAULT_WRONG_KEY.
   */
  static openWithKey(dir: string, key: Uint8Array, options: VaultOptions = {}): VaultStore {
    try {
      const params = VaultStore.#readParams(dir, options);
      if (params.pending !== undefined) {
        throw new AirlockError("VAULT_PASSPHRASE_PENDING", `a passphrase change of the vault at ${dir} was interrupted`, { hint: "open it once with the passphrase (either one works) to finish it" });
      }
      const db = tryOpen(join(dir, DB_FILE), key, false);
      if (db === null) throw new AirlockError("VAULT_WRONG_KEY", `the unlocked key does not open the vault at ${dir}`, { hint: "unlock it again (airlock unlock) or give the passphrase" });
      return VaultStore.#finishOpen(dir, db, params, params.current, options);
    } finally {
      wipe(key);
    }
  }

  /** The parameter file, once the test-only KDF was consented to and the database is there. */
  static #readParams(dir: string, options: VaultOptions): VaultParams {
    const params = readParams(join(dir, PARAMS_FILE));
    if (isInsecure(params) && options.kdf !== "test-insecure") {
      throw new AirlockError("VAULT_INSECURE_KDF", `the vault at ${dir} uses the test-only, insecure KDF setting`, {
        hint: "this is a test vault: never keep real data in it; tests must pass kdf: \"test-insecure\" to open it",
      });
    }
    const dbPath = join(dir, DB_FILE);
    if (!existsSync(dbPath)) {
      throw new AirlockError("VAULT_NOT_FOUND", `no database at ${dbPath}`, {
        hint: "the vault folder is incomplete; restore it from a backup (an older backup misses what peers already count as delivered: docs/sync.md)",
      });
    }
    return params;
  }

  /** Settles an interrupted passphrase change on the slot that opened `db`, then sets it up and migrates. */
  static #finishOpen(dir: string, db: Database.Database, params: VaultParams, slot: KdfSlot, options: VaultOptions): VaultStore {
    try {
      let settled = params;
      if (params.pending !== undefined) {
        // Finish (or forget) the interrupted change, now that we know which key is in force.
        settled = { cipher: PAGE_CIPHER, current: slot };
        writeParamsAtomic(join(dir, PARAMS_FILE), settled);
      }
      configure(db);
      backupBeforeMigrating(db, dir, options.migrations ?? MIGRATIONS);
      applyMigrations(db, options.migrations ?? MIGRATIONS);
      const store = new VaultStore(dir, db, settled);
      // Likewise an interrupted re-key of further spaces: each space's key is set to the one that opens it.
      settleSpaceKeys(store);
      return store;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  static async #openDeriving(dir: string, passphrase: Uint8Array, options: VaultOptions, keepKey: boolean): Promise<{ store: VaultStore; key: Uint8Array | undefined }> {
    const keys: Uint8Array[] = [];
    try {
      const params = VaultStore.#readParams(dir, options);
      // Slot order: current first, then the pending slot of an interrupted passphrase change.
      const slots: KdfSlot[] = params.pending === undefined ? [params.current] : [params.current, params.pending];
      for (const slot of slots) {
        const key = await deriveKey(passphrase, slot);
        keys.push(key);
        const db = tryOpen(join(dir, DB_FILE), key, false);
        if (db === null) continue;
        return { store: VaultStore.#finishOpen(dir, db, params, slot, options), key: keepKey ? key.slice() : undefined };
      }
      throw wrongPassphrase(dir);
    } finally {
      wipe(passphrase, ...keys);
    }
  }

  #open(): Database.Database {
    if (this.#db === undefined) {
      throw new AirlockError("VAULT_CLOSED", "the vault is closed", { hint: "open the vault again" });
    }
    return this.#db;
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction: all of its writes commit together or none do (an
   * exception rolls back and is rethrown). `fn` must be synchronous.
   */
  transaction<T>(fn: (db: Database.Database) => T): T {
    const db = this.#open();
    return db
      .transaction(() => {
        const result = fn(db);
        if (result instanceof Promise) {
          // Swallow the orphaned promise's outcome; the transaction is rolled back below.
          result.catch(() => undefined);
          throw new AirlockError("VAULT_ASYNC_TRANSACTION", "a vault transaction function returned a promise", {
            hint: "transaction functions must be synchronous; do async work before or after",
          });
        }
        return result;
      })
      .immediate();
  }

  /** The open connection, for the vault's own queries; writes still belong in transaction(). */
  connection(): Database.Database {
    return this.#open();
  }

  getMeta(key: string): string | undefined {
    const row = this.#open().prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.#open().prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** A copy of the secret; the caller wipes it after use. */
  getSecret(name: string): Uint8Array | undefined {
    const row = this.#open().prepare("SELECT value FROM secrets WHERE name = ?").get(name) as { value: Buffer } | undefined;
    return row === undefined ? undefined : new Uint8Array(row.value);
  }

  setSecret(name: string, value: Uint8Array): void {
    this.#open()
      .prepare("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
      .run(name, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  deleteSecret(name: string): boolean {
    return this.#open().prepare("DELETE FROM secrets WHERE name = ?").run(name).changes > 0;
  }

  /**
   * Re-keys the store under a new passphrase (and a fresh salt and, with `kdf`, a new KDF
   * setting), and first every further space under a fresh random page key (spaces/rekey.ts), so
   * an old copy of vault.db opened with the old passphrase holds no key that opens a space store
   * any more. Wipes `newPassphrase`. Crash-safe order (docs/vault-store.md):
   *   0. each further space re-keyed (its old and new key both kept in this store meanwhile)
   *   1. vault.json := { current: old, pending: new }    (atomic)
   *   2. PRAGMA rekey                                     (one SQLite transaction)
   *   3. vault.json := { current: new }                   (atomic)
   * Open tries `current` then `pending`, so at every instant one of the two passphrases works.
   * Returns how many further spaces were re-keyed. `onStep` is for tests (a throw there is a crash).
   */
  async changePassphrase(newPassphrase: Uint8Array, options: Pick<VaultOptions, "kdf"> & { readonly onStep?: RekeyHook | undefined } = {}): Promise<{ spaces: number }> {
    let key: Uint8Array | undefined;
    try {
      this.#open();
      if (this.space) throw new AirlockError("VAULT_NOT_ALLOWED", "a further space has no passphrase of its own", { hint: "change the passphrase without --space: it protects every space" });
      if (newPassphrase.length === 0) {
        throw new AirlockError("VAULT_PASSPHRASE_EMPTY", "the new passphrase is empty", { hint: "choose a long passphrase" });
      }
      const paramsPath = join(this.dir, PARAMS_FILE);
      const next = newSlot(options.kdf ?? "argon2id");
      key = await deriveKey(newPassphrase, next);
      const db = this.#open(); // again: it may have been closed while the KDF ran
      // Out of WAL mode before anything changes: that needs the only connection to the store, so
      // another airlock holding the vault open (or changing its passphrase too) stops it here.
      leaveWal(db, `the vault at ${this.dir}`, "its passphrase cannot be changed", "the passphrase was not changed");
      // Spaces first: should the first store's re-key then fail, the spaces keep fresh keys this
      // store holds under the passphrase still in force; nothing claims a change that did not happen.
      let spaces: number;
      try {
        spaces = rekeySpaces(this, options.onStep);
      } catch (e) {
        db.pragma("journal_mode = WAL");
        throw e;
      }
      options.onStep?.("first-store");
      const old = this.#params;
      writeParamsAtomic(paramsPath, { cipher: PAGE_CIPHER, current: old.current, pending: next });
      try {
        // SQLite3MC cannot rekey in WAL mode; DELETE mode checkpoints the WAL first and the
        // rekey then runs as one rollback-journal transaction.
        db.pragma("journal_mode = DELETE");
        applyKey(db, key, true);
      } catch (e) {
        // The rekey rolled back: the old key is still in force, drop the pending slot.
        writeParamsAtomic(paramsPath, old);
        db.pragma("journal_mode = WAL");
        throw e;
      }
      const settled: VaultParams = { cipher: PAGE_CIPHER, current: next };
      writeParamsAtomic(paramsPath, settled);
      this.#params = settled;
      db.pragma("journal_mode = WAL");
      return { spaces };
    } finally {
      wipe(newPassphrase, key);
    }
  }

  /** Closes the database (checkpointing the WAL). Idempotent. */
  close(): void {
    const db = this.#db;
    this.#db = undefined;
    db?.close();
  }
}
