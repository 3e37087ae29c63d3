export {
  checkName,
  isMailboxName,
  mailboxNameFor,
  mailboxError,
  DEFAULT_MAX_BUNDLE_BYTES,
  MAILBOX_HINTS,
  MAILBOX_SUFFIX,
  type MailboxBackend,
  type MailboxErrorCode,
  type MailboxListing,
  type MailboxName,
} from "./backend.js";
export { MemoryMailbox } from "./memory.js";
export { DirMailbox, dirMailboxFromUrl, type DirMailboxOptions } from "./dir.js";
