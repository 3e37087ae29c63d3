/**
 * The courier's own error codes (COURIER_*), each with the hint a person needs to fix it.
 * Errors from the spool (SPOOL_*), mailboxes (MAILBOX_*), USB (USB_*), QR (QR_*, IMAGE_*,
 * VIDEO_*, CAMERA_*) and the bundle codec (BUNDLE_*) pass through unchanged.
 */
import { AirlockError } from "@airlock/shared";

export const COURIER_HINTS = {
  COURIER_NO_HOME: "run `airlock-courier keygen --out courier.pub` first (or pass the right --home / AIRLOCK_COURIER_HOME)",
  COURIER_NO_KEY: "run `airlock-courier keygen --out FILE` to make this courier's key, then have the vault enroll it",
  COURIER_KEY_EXISTS: "this home already has a courier key; use another --home to make a second courier",
  COURIER_BAD_KEY: "the courier key file is damaged; restore it from a backup, or make a new courier (keygen in a new home) and enroll it again",
  COURIER_BAD_PUBLIC_KEY: "a courier public key file is one line: airlock-courier-key:v1:<64 hex digits>",
  COURIER_BAD_ENROLLMENT: "the file is not a courier enrollment; make one on the vault with `airlock courier-enroll --courier-key FILE --out FILE`",
  COURIER_NOT_FOR_ME: "this enrollment was made for another courier key; enroll this courier's public key (the file written by keygen)",
  COURIER_NO_TEAMS: "enroll this courier first: `airlock-courier init ENROLLMENT --mailbox URL`",
  COURIER_NO_SERVER_KEYS:
    "a mailbox server holds mailbox server keys, never transport keys: on a courier of the team run `airlock-courier mailbox-key --out FILE`, carry FILE to the server, and there run `airlock-courier serve-init FILE`",
  COURIER_BAD_SERVER_KEY: "the file is not a mailbox server key file; make one with `airlock-courier mailbox-key --out FILE` on a courier of the team",
  COURIER_NO_MAILBOX: "pass --mailbox URL (dir:PATH, http://HOST:PORT, https://HOST:PORT, onion:ADDR or s3://BUCKET?endpoint=...)",
  COURIER_BAD_CONFIG: "the courier's teams.json is damaged; restore it from a backup or init the teams again",
  COURIER_BAD_URL: "mailbox URLs are dir:PATH, http://HOST:PORT, https://HOST:PORT, onion:ADDR or s3://BUCKET?endpoint=...",
  COURIER_NO_MAILBOX_FOLDER: "create the folder (mkdir -p PATH) or mount the stick or share it is on, then run init again",
  COURIER_BAD_MAILBOX_CA: "set AIRLOCK_MAILBOX_CA to a readable PEM file holding your team's CA certificate (the CA that signed the mailbox's TLS certificate), or unset it to use the system's CAs",
  COURIER_BAD_TOR_SOCKS: "set AIRLOCK_TOR_SOCKS to tor's SocksPort as HOST:PORT (default 127.0.0.1:9050), or unset it",
  COURIER_BAD_DURATION: "write durations like 30s, 15m, 1h or 1d",
  COURIER_BAD_ARGUMENT: "see airlock-courier COMMAND --help",
  COURIER_TOO_LARGE: "the file is larger than any bundle this courier accepts",
  COURIER_SYNC_FAILED: "a mailbox could not be reached; its bundles stay spooled and the next sync retries (see `airlock-courier status`)",
  COURIER_NOTHING_TO_DELIVER: "there are no inbound bundles waiting; run `airlock-courier sync` first",
  COURIER_HOSTILE_LISTING:
    "a mailbox listed far more names than a team sends; it may be flooding the courier. Only a capped number are fetched per round: check who runs the mailbox, or move the team to another",
  COURIER_INBOUND_QUOTA:
    "the team's undelivered inbound bundles reached the quota, so nothing more is fetched: deliver them to the vault (which refuses forgeries), or raise quotas in teams.json if the traffic is genuine",
  COURIER_OLD_GENERATION: "the team rotated its transport key since that enrollment was made; ask an admin for a new one (airlock courier-enroll) or import an admin's export",
  COURIER_ENROLLMENT_SENDER: "only enrollments signed by one of the team's admin devices are adopted with the bundles; a genuine one can be taken with airlock-courier init FILE",
  COURIER_NOT_SERVED: "an enrollment for a team this courier does not serve arrives only through airlock-courier init FILE",
} as const;

export type CourierErrorCode = keyof typeof COURIER_HINTS;

export function courierError(code: CourierErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: COURIER_HINTS[code], cause });
}
