export {
  Spool,
  DIRECTIONS,
  STATES,
  DEFAULT_MAX_BUNDLE_BYTES,
  isBundleDigest,
  type BundleDigest,
  type PutOptions,
  type PutResult,
  type SpoolCounts,
  type SpoolDirection,
  type SpoolEntry,
  type SpoolOptions,
  type SpoolState,
  type HandoffVia,
  type ReceiptMatch,
} from "./spool.js";
export { MIGRATIONS, schemaVersion } from "./schema.js";
export { Ledger, type SyncRecord, type CounterRow } from "./ledger.js";
export { BatchStore, type BatchItem, type StoredBatch } from "./batches.js";
