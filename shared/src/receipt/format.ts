/**
 * Delivery receipts, version 1: the layout, the bounds and the errors (docs/receipts.md). No keys
 * here: `receipt-key.ts` seals and opens the body. The parser accepts exactly one encoding: the
 * magic and version, one of the allowed lengths, and (once opened) a body whose count, ids and
 * padding leave no choice, so parsing then sealing again with the same nonce gives the same bytes.
 *
 *   offset  length  field
 *        0       3  magic "ARC" (41 52 43)
 *        3       1  version 0x01
 *        4      16  nonce N (random per receipt)
 *       20       4  team check c = HMAC(k_check, "airlock/v1/receipt/check" || N)[0..4]
 *       24       B  ChaCha20-Poly1305 ciphertext of the body, B = 10 + 8 * slots
 *     24+B      16  Poly1305 tag
 *
 *   body:   time (ms since the Unix epoch, u64) || n (u16) || n ids, strictly ascending || zeros
 *   id:     the first 8 bytes of SHA-256(sealed bundle), the spool's digest cut to 16 hex digits
 *   slots:  the smallest power of two >= max(n, 4); 1 <= n <= 1024
 */
import { createHash } from "node:crypto";
import { AirlockError } from "../errors.js";

export const RECEIPT_MAGIC: Uint8Array = new Uint8Array([0x41, 0x52, 0x43]); // "ARC"
export const RECEIPT_VERSION = 1;
export const RECEIPT_NONCE_LENGTH = 16;
export const RECEIPT_CHECK_LENGTH = 4;
export const RECEIPT_TAG_LENGTH = 16;
/** Bytes before the ciphertext: magic, version, nonce, team check. They are the AEAD's associated data. */
export const RECEIPT_HEAD_LENGTH = RECEIPT_MAGIC.length + 1 + RECEIPT_NONCE_LENGTH + RECEIPT_CHECK_LENGTH;
/** A bundle id: the first 8 bytes of the SHA-256 of the sealed bundle (docs/receipts.md, "Ids"). */
export const RECEIPT_ID_LENGTH = 8;
export const RECEIPT_BODY_HEAD_LENGTH = 8 + 2;
export const MIN_RECEIPT_SLOTS = 4;
/** Ids per receipt at most; an import of more bundles issues several receipts. */
export const MAX_RECEIPT_IDS = 1024;

export const RECEIPT_ERROR_CODES = [
  "RECEIPT_TRUNCATED",
  "RECEIPT_TOO_LARGE",
  "RECEIPT_MALFORMED",
  "RECEIPT_VERSION",
  "RECEIPT_UNKNOWN_TEAM",
  "RECEIPT_AUTH",
  "RECEIPT_BODY",
] as const;
export type ReceiptErrorCode = (typeof RECEIPT_ERROR_CODES)[number];

const HINTS: Record<ReceiptErrorCode, string> = {
  RECEIPT_TRUNCATED: "the receipt was cut short; scan the vault's receipt code again, or copy the receipt file again",
  RECEIPT_TOO_LARGE: "this is longer than any receipt; it is not one, or it was damaged",
  RECEIPT_MALFORMED: "this is not an Airlock receipt, or it was damaged; scan the vault's receipt code again",
  RECEIPT_VERSION: "the receipt was made by a different Airlock release; update Airlock on both machines",
  RECEIPT_UNKNOWN_TEAM:
    "no transport key this courier holds made it: a vault of your team with a newer transport key generation than this courier (ingest the enrollment on an admin vault's stick, then the receipt again), a receipt of another team, or a forgery; nothing was marked",
  RECEIPT_AUTH: "the receipt was altered after the vault made it (or damaged); nothing was marked: scan the vault's receipt again",
  RECEIPT_BODY: "the receipt authenticates but its contents are not canonical: a faulty or hostile holder of the team's transport key made it; nothing was marked",
};

export function receiptError(code: ReceiptErrorCode, message: string): AirlockError {
  return new AirlockError(code, message, { hint: HINTS[code] });
}

/** Id slots a receipt of `n` ids has: the smallest power of two at least max(n, 4). */
export function slotsFor(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_RECEIPT_IDS) throw new RangeError(`a receipt lists 1 to ${MAX_RECEIPT_IDS} ids, got ${String(n)}`);
  let slots = MIN_RECEIPT_SLOTS;
  while (slots < n) slots *= 2;
  return slots;
}

export const bodyLength = (slots: number): number => RECEIPT_BODY_HEAD_LENGTH + RECEIPT_ID_LENGTH * slots;
export const receiptLength = (slots: number): number => RECEIPT_HEAD_LENGTH + bodyLength(slots) + RECEIPT_TAG_LENGTH;
export const MIN_RECEIPT_LENGTH = receiptLength(MIN_RECEIPT_SLOTS);
export const MAX_RECEIPT_LENGTH = receiptLength(slotsFor(MAX_RECEIPT_IDS));

/** The id of a sealed bundle in a receipt: 16 lowercase hex digits, the start of the spool's digest. */
export function receiptIdOf(bundle: Uint8Array): string {
  return createHash("sha256").update(bundle).digest("hex").slice(0, 2 * RECEIPT_ID_LENGTH);
}

/** Whether `bytes` starts like a receipt (magic only): what sorts a receipt from a bundle in a scan. */
export function looksLikeReceipt(bytes: Uint8Array): boolean {
  return bytes.length >= RECEIPT_MAGIC.length && RECEIPT_MAGIC.every((b, i) => bytes[i] === b);
}

export interface ReceiptFrame {
  readonly head: Uint8Array;
  readonly nonce: Uint8Array;
  readonly check: Uint8Array;
  /** Ciphertext and tag. */
  readonly sealed: Uint8Array;
  readonly slots: number;
}

/** Checks the cleartext layout before any key is tried: magic, version, and a length one of the allowed. */
export function parseReceiptFrame(bytes: Uint8Array): ReceiptFrame {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('"bytes" expected Uint8Array');
  const magic = Math.min(bytes.length, RECEIPT_MAGIC.length);
  for (let i = 0; i < magic; i++) if (bytes[i] !== RECEIPT_MAGIC[i]) throw receiptError("RECEIPT_MALFORMED", "this is not an Airlock receipt (wrong magic bytes)");
  if (bytes.length <= RECEIPT_MAGIC.length) throw receiptError("RECEIPT_TRUNCATED", `the receipt is ${bytes.length} bytes; one is at least ${MIN_RECEIPT_LENGTH}`);
  const version = bytes[RECEIPT_MAGIC.length]!;
  if (version !== RECEIPT_VERSION) throw receiptError("RECEIPT_VERSION", `receipt version ${version}; this release reads version ${RECEIPT_VERSION}`);
  if (bytes.length < MIN_RECEIPT_LENGTH) throw receiptError("RECEIPT_TRUNCATED", `the receipt is ${bytes.length} bytes; one is at least ${MIN_RECEIPT_LENGTH}`);
  if (bytes.length > MAX_RECEIPT_LENGTH) throw receiptError("RECEIPT_TOO_LARGE", `${bytes.length} bytes; a receipt is at most ${MAX_RECEIPT_LENGTH}`);
  const idBytes = bytes.length - RECEIPT_HEAD_LENGTH - RECEIPT_TAG_LENGTH - RECEIPT_BODY_HEAD_LENGTH;
  const slots = idBytes / RECEIPT_ID_LENGTH;
  // A power of two from 4 up: any other length is a cut or padded copy.
  if (!Number.isInteger(slots) || slots < MIN_RECEIPT_SLOTS || (slots & (slots - 1)) !== 0) {
    throw receiptError("RECEIPT_MALFORMED", `a receipt of ${bytes.length} bytes is not one of the allowed lengths (${MIN_RECEIPT_LENGTH}, ${receiptLength(8)}, ${receiptLength(16)}, …)`);
  }
  let at = RECEIPT_MAGIC.length + 1;
  const nonce = bytes.subarray(at, (at += RECEIPT_NONCE_LENGTH));
  const check = bytes.subarray(at, (at += RECEIPT_CHECK_LENGTH));
  return { head: bytes.subarray(0, RECEIPT_HEAD_LENGTH), nonce, check, sealed: bytes.subarray(RECEIPT_HEAD_LENGTH), slots };
}

export function receiptHead(nonce: Uint8Array, check: Uint8Array): Uint8Array {
  const head = new Uint8Array(RECEIPT_HEAD_LENGTH);
  head.set(RECEIPT_MAGIC, 0);
  head[RECEIPT_MAGIC.length] = RECEIPT_VERSION;
  head.set(nonce, RECEIPT_MAGIC.length + 1);
  head.set(check, RECEIPT_MAGIC.length + 1 + RECEIPT_NONCE_LENGTH);
  return head;
}

export interface ReceiptContent {
  /** When the vault made it, ms since the Unix epoch (the vault's clock: shown, never trusted for anything). */
  readonly timeMs: number;
  /** Bundle ids, 16 lowercase hex digits each. */
  readonly ids: readonly string[];
}

const ID_PATTERN = /^[0-9a-f]{16}$/;

/** The body for `content`: ids sorted and deduplicated, padded with zero ids to slotsFor(n). */
export function encodeBody(content: ReceiptContent): Uint8Array {
  const { timeMs } = content;
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) throw new RangeError(`"timeMs" expected a non-negative safe integer, got ${String(timeMs)}`);
  for (const id of content.ids) if (typeof id !== "string" || !ID_PATTERN.test(id)) throw new TypeError(`a receipt id is 16 lowercase hex digits, got ${JSON.stringify(String(id).slice(0, 40))}`);
  const ids = [...new Set(content.ids)].sort();
  const slots = slotsFor(ids.length);
  const body = new Uint8Array(bodyLength(slots));
  const view = new DataView(body.buffer);
  view.setUint32(0, Math.floor(timeMs / 2 ** 32));
  view.setUint32(4, timeMs >>> 0);
  view.setUint16(8, ids.length);
  ids.forEach((id, i) => body.set(Buffer.from(id, "hex"), RECEIPT_BODY_HEAD_LENGTH + i * RECEIPT_ID_LENGTH));
  return body;
}

/** Reads an authenticated body; anything but the one canonical encoding is RECEIPT_BODY. */
export function decodeBody(body: Uint8Array, slots: number): ReceiptContent {
  if (body.length !== bodyLength(slots)) throw receiptError("RECEIPT_BODY", `the body is ${body.length} bytes, not ${bodyLength(slots)}`);
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const hi = view.getUint32(0);
  if (hi >= 2 ** 21) throw receiptError("RECEIPT_BODY", "the receipt's time is out of range");
  const timeMs = hi * 2 ** 32 + view.getUint32(4);
  const n = view.getUint16(8);
  if (n < 1 || n > MAX_RECEIPT_IDS) throw receiptError("RECEIPT_BODY", `the receipt lists ${n} ids; a receipt lists 1 to ${MAX_RECEIPT_IDS}`);
  if (slotsFor(n) !== slots) throw receiptError("RECEIPT_BODY", `${n} ids are padded to ${slots} slots, not ${slotsFor(n)}`);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = RECEIPT_BODY_HEAD_LENGTH + i * RECEIPT_ID_LENGTH;
    const id = Buffer.from(body.buffer, body.byteOffset + at, RECEIPT_ID_LENGTH).toString("hex");
    if (i > 0 && id <= ids[i - 1]!) throw receiptError("RECEIPT_BODY", "the receipt's ids are not in strictly ascending order");
    ids.push(id);
  }
  for (let at = RECEIPT_BODY_HEAD_LENGTH + n * RECEIPT_ID_LENGTH; at < body.length; at++) {
    if (body[at] !== 0) throw receiptError("RECEIPT_BODY", "the receipt's padding is not zero");
  }
  return { timeMs, ids };
}
