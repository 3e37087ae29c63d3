/** The vault's encrypted store. Spec: docs/vault-store.md. */
export { VaultStore, DB_FILE, PARAMS_FILE, configure as configureConnection, type VaultOptions } from "./vault-store.js";
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
export { Storage } from "./storage.js";
export { Changesets, type ChangesetKey, type ChangesetStatus, type StoredChangeset } from "./changesets.js";
export { DeviceHeads, type DeviceHead } from "./device-heads.js";
export { Forks, type Fork } from "./forks.js";
export { Snapshots } from "./snapshots.js";
export { TeamLog } from "./team-log.js";
export { CollectionKeys, type HeldKey } from "./keys.js";
export { PeerAcks, type PeerAck } from "./acks.js";
export { Quarantine, type Quarantined } from "./quarantine.js";
export { Meta } from "./meta.js";
export { OpCounts } from "./op-counts.js";
export { Blobs, type StoredBlob } from "./blobs.js";
