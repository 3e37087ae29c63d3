/**
 * USB drop folders: `airlock/inbox` and `airlock/outbox` on a mounted stick or any folder,
 * atomic bundle writes, hostile-input reads. Guide: docs/usb-drop-folder.md.
 */
export {
  AIRLOCK_FOLDER,
  DROP_BOXES,
  DROP_SIDES,
  prepareDropFolder,
  type DropBox,
  type DropFolder,
  type PrepareOptions,
} from "./layout.js";
export { syncDirectory, writeBundle, type WriteOptions, type WriteProgress, type WrittenBundle } from "./write.js";
export {
  readBundles,
  scanBundles,
  type AcceptedBundle,
  type LargeBundle,
  type EntryIssue,
  type ReadOptions,
  type ReadResult,
  type ScanEvent,
  type ScanProgress,
  type ScanStop,
} from "./read.js";
export { removeBundle } from "./remove.js";
export { FINGERPRINT_BYTES, fingerprintBytes, fingerprintFile, removeOwnBundles, type OwnBundle, type PruneResult } from "./prune.js";
export { cleanupTempFiles, type CleanupOptions, type CleanupResult } from "./cleanup.js";
export {
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  DEFAULT_TEMP_MAX_AGE_MS,
  MIN_BUNDLE_BYTES,
  type ReadLimits,
} from "./limits.js";
export { BUNDLE_EXTENSION, TEMP_PREFIX, TEMP_SUFFIX, isBundleName, isTempName, displayName, newBundleName, newTempName } from "./names.js";
export { USB_ENTRY_CODES, USB_FOLDER_CODES, usbHint, type UsbCode, type UsbEntryCode } from "./errors.js";
