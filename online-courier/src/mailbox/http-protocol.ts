/**
 * What the blind HTTP mailbox server (http-server.ts) and its client backend (http.ts) agree
 * on: the URL layout, the error codes carried in error bodies, and default limits.
 * Spec: docs/http-mailbox.md.
 *
 *   PUT    /v1/<namespace>/<name>          body = the bundle           → 204 / 507 MAILBOX_QUOTA
 *   GET    /v1/<namespace>/<name>                                      → 200 bytes / 404
 *   DELETE /v1/<namespace>/<name>                                      → 204
 *   GET    /v1/<namespace>[?since=<cursor>]                            → 200 {"names":[…],"cursor":"…"}
 *   Authorization: Bearer <tk.token("http:" + namespace, epoch)>
 *
 * A namespace is a mailbox id (32 lowercase hex digits, TransportKey.mailboxId(epoch)).
 */
import { AirlockError } from "@airlock/shared";
import { MAILBOX_HINTS, type MailboxErrorCode } from "./backend.js";

export const API_PREFIX = "/v1/";
export const NAMESPACE_PATTERN = /^[0-9a-f]{32}$/;
export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;
export const TOKEN_PURPOSE_PREFIX = "http:";

/** A listing response larger than this is refused by the client (100 000 names ≈ 7.5 MB). */
export const MAX_LISTING_BYTES = 8 * 1024 * 1024;
/** Cursors are short (`<16 hex>.<seq>`); anything much longer is not one of ours. */
export const MAX_CURSOR_LENGTH = 64;

export const HTTP_MAILBOX_HINTS = {
  MAILBOX_UNREACHABLE: "the mailbox server did not answer; check the URL, that the server (or tor, for an onion address) is running, and the network",
  MAILBOX_AUTH: "the mailbox refused this team's credentials or does not serve this mailbox; check that the courier was enrolled with the current transport key and the right server",
  MAILBOX_RATE_LIMITED: "the mailbox server is limiting requests from this address; sync less often or wait a minute",
  MAILBOX_SERVER: "the mailbox server failed; try again later, and check the server's log (it never holds bundle contents)",
  MAILBOX_PROTOCOL: "the mailbox server's answer was malformed; it may not be an Airlock mailbox, or something between you rewrote it",
  MAILBOX_BAD_URL: "write the mailbox as http://HOST:PORT, https://HOST:PORT, or onion:ADDRESS.onion with tor running",
  MAILBOX_TLS:
    "the mailbox's TLS certificate is not one this courier trusts (or is for another name, or expired); a team that runs its own CA sets AIRLOCK_MAILBOX_CA=FILE (the CA's PEM) for the courier (docs/http-mailbox.md, \"TLS\")",
  MAILBOX_TIMEOUT: "the mailbox server took too long; over tor this can happen while circuits are built, so try again",
  MAILBOX_QUOTA:
    "this epoch's mailbox on the server is full (its byte or bundle quota); the bundles stay pending and go out in the next epoch's mailbox, or ask the server's operator to raise --quota-bytes / --quota-bundles",
} as const;
export type HttpMailboxErrorCode = keyof typeof HTTP_MAILBOX_HINTS;

export function httpMailboxError(code: HttpMailboxErrorCode | MailboxErrorCode, message: string, cause?: unknown): AirlockError {
  const hint = code in HTTP_MAILBOX_HINTS ? HTTP_MAILBOX_HINTS[code as HttpMailboxErrorCode] : MAILBOX_HINTS[code as MailboxErrorCode];
  return new AirlockError(code, message, { hint, cause });
}

/** Codes a server may put in an error body that the client passes on as they are. */
export const PASSED_THROUGH_CODES: ReadonlySet<string> = new Set<MailboxErrorCode | HttpMailboxErrorCode>([
  "MAILBOX_BAD_NAME",
  "MAILBOX_BAD_CURSOR",
  "MAILBOX_DIGEST_MISMATCH",
  "MAILBOX_TOO_LARGE",
  "MAILBOX_TOO_MANY",
  "MAILBOX_AUTH",
  "MAILBOX_RATE_LIMITED",
  "MAILBOX_QUOTA",
]);

export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}
