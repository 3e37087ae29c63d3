/** The vault's encrypted store. Spec: docs/vault-store.md. */
export { VaultStore, DB_FILE, PARAMS_FILE, type VaultOptions } from "./vault-store.js";
export { applyMigrations, MIGRATIONS, schemaVersion, type Migration } from "./migrations.js";
export {
  ARGON2ID_PARAMS,
  TEST_INSECURE_PARAMS,
  INSECURE_WARNING,
  passphraseBytes,
  readParams,
  type KdfName,
  type KdfSlot,
  type VaultParams,
} from "./params.js";
