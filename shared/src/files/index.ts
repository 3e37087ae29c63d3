/**
 * File to file: sealing a file into a bundle file and opening one into a file, in one pass,
 * flat memory and both cores, for attachments of several GiB. Spec: docs/bundle-format.md,
 * "File to file".
 */
export { sealFile, MAX_FILE_HEAD, type SealFileOptions, type SealedFile } from "./seal-file.js";
export { openFile, type OpenFileOptions, type OpenedFile } from "./open-file.js";
export { FILE_ERROR_CODES, type FileErrorCode } from "./errors.js";
export { AtomicFile } from "./atomic-file.js";
// The async syncDirectory is exported with the USB writer (usb/index.ts).
export { syncDirectorySync } from "./sync-directory.js";
