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
export { HttpMailbox, httpMailboxCredentials, httpMailboxFromUrl, type HttpMailboxOptions } from "./http.js";
export { HTTP_MAILBOX_HINTS, httpMailboxError, type HttpMailboxErrorCode } from "./http-protocol.js";
export { startMailboxServer, DEFAULT_SERVER_LIMITS, type MailboxServer, type MailboxServerOptions } from "./http-server.js";
export {
  openMailbox,
  mailboxKind,
  redactUrl,
  torSocksProxy,
  DEFAULT_TOR_SOCKS,
  TOR_SOCKS_ENV,
  type MailboxKind,
  type MailboxNamespace,
  type OpenMailboxOptions,
  type SocksProxy,
} from "./open.js";
export { publishOnion, ONION_VIRTUAL_PORT, type PublishOnionOptions, type PublishedOnion } from "../tor/onion.js";
export { onionClientAuthKeys, writeClientAuthFile } from "../tor/client-auth.js";
export { S3Mailbox, S3_MAILBOX_HINTS, loadS3Credentials, parseS3Url, type S3Credentials, type S3Location, type S3MailboxErrorCode, type S3MailboxOptions } from "./s3.js";
