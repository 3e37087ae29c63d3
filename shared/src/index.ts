/** @airlock/shared: I/O both apps need. Depends only on @airlock/bundle-format. */
export { describeError, formatErrorLines, isCommandNotFound, reportCliError, reportFailure, stderrProgress, type ErrorReport } from "./cli-report.js";
export { EXIT, exitCodeForError, markPartial, type ExitCode } from "./exit-codes.js";
export { editDistance, suggest, orList, typoBudget, MAX_SUGGEST_LENGTH } from "./cli/suggest.js";
export { commandWords, resolveWords, unknownCommandError, usageFromParseError, type Resolved, type ParsedCommand } from "./cli/usage.js";
export { childrenOf, tableEntries, type CommandTable, type TableCommand, type TableFlag, type TableTopic, type TableEntry } from "./cli/command-table.js";
export { completionScript, SHELLS, type Shell } from "./cli/completion.js";
export { plural } from "./cli/plural.js";
export { hoistLeadingFlags, type GlobalFlags } from "./cli/leading-flags.js";
export { AirlockError, errnoCode, isAirlockError } from "./errors.js";
export { escapeBlock, escapeChar, escapeLine, firstUnsafe, hasUnsafeText, quoted, safe, safeJson } from "./text/escape.js";
export * from "./usb/index.js";
export * from "./qr/index.js";
export * from "./transfer/index.js";
export {
  ProgressModel,
  ProgressReporter,
  formatBytes,
  formatDuration,
  formatProgressLine,
  formatProgressJson,
  type ProgressSnapshot,
  type TransferDirection,
  type Clock,
} from "./progress.js";
export { formatStep, progressPrinter, reportStep, LINES_INTERVAL_MS, type ProgressLine, type ProgressStep, type ProgressUnit } from "./progress/stderr-progress.js";
export {
  TransportKey,
  epochAt,
  TRANSPORT_KEY_LENGTH,
  DEFAULT_EPOCH_SECONDS,
  DEFAULT_TAG_WINDOW,
  MAILBOX_PRUNE_AGE,
  MAILBOX_PULL_BACK,
  type TagKind,
  type TagMatch,
} from "./transport-key/transport-key.js";
export { MailboxServerKey, MAILBOX_SERVER_KEY_LENGTH, TOKEN_LENGTH } from "./transport-key/mailbox-server-key.js";
export { transportKeyId, TRANSPORT_GRACE_MS, TRANSPORT_KEY_ID_LENGTH } from "./transport-key/generation.js";
export {
  readSources,
  readCamera,
  sourceKind,
  DEFAULT_CAMERA,
  type SourceEvent,
  type SourceOptions,
  type SourceKind,
  type CameraOptions,
} from "./sources/read-sources.js";
export { printFigure, mergeBenchResults, type BenchFigure } from "./bench-figures.js";
export {
  newReleaseKey,
  encodePublicKey,
  encodeSecretKey,
  decodePublicKey,
  decodeSecretKey,
  signRelease,
  verifyRelease,
  keyFingerprint,
  parseSums,
  MAX_KEY_FILE_BYTES,
  MAX_SUMS_BYTES,
  type ReleasePublicKey,
  type ReleaseSecretKey,
} from "./release/signify.js";
export * from "./files/index.js";
export * from "./receipt/index.js";
