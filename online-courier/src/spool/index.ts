export {
  Spool,
  DIRECTIONS,
  STATES,
  DEFAULT_MAX_BUNDLE_BYTES,
  isBundleDigest,
  type BundleDigest,
  type PutResult,
  type SpoolCounts,
  type SpoolDirection,
  type SpoolEntry,
  type SpoolOptions,
  type SpoolState,
} from "./spool.js";
export { MIGRATIONS, schemaVersion } from "./schema.js";
