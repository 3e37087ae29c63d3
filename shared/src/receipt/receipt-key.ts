/**
 * Sealing and opening delivery receipts under a team's transport key (docs/receipts.md, "Keys"):
 *
 *   k_receipt = HKDF-SHA256(k, salt "", info "airlock/v1/transport/receipt-key", 32)
 *   k_check   = HKDF-SHA256(k_receipt, salt "", info "airlock/v1/receipt/check-key", 32)
 *   c         = HMAC-SHA256(k_check, "airlock/v1/receipt/check" || N)[0..4]
 *   k_N       = HKDF-SHA256(k_receipt, salt N, info "airlock/v1/receipt/seal-key", 32)
 *   sealed    = ChaCha20-Poly1305(k_N, nonce 0^12, aad = head, body)
 *
 * Every vault and courier of the team holds k, so each can make and check a receipt and nobody
 * else can; the mailbox server's key (k_server) derives none of this. A fresh key per receipt
 * (from its random 16-byte nonce) means the all-zero AEAD nonce is never used twice with one key.
 * The 4-byte team check only lets a courier name the failure: a receipt none of its teams made
 * (RECEIPT_UNKNOWN_TEAM) apart from one of its team's altered after it was made (RECEIPT_AUTH).
 * Authenticity rests on the Poly1305 tag alone.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { aeadOpen, aeadSeal, concatBytes, hkdfSha256, utf8, wipe } from "@airlock/bundle-format";
import type { TransportKey } from "../transport-key/transport-key.js";
import {
  decodeBody,
  encodeBody,
  parseReceiptFrame,
  receiptError,
  receiptHead,
  RECEIPT_CHECK_LENGTH,
  RECEIPT_NONCE_LENGTH,
  type ReceiptContent,
  type ReceiptFrame,
} from "./format.js";

const LABEL_RECEIPT_KEY = utf8("airlock/v1/transport/receipt-key");
const LABEL_CHECK_KEY = utf8("airlock/v1/receipt/check-key");
const LABEL_CHECK = utf8("airlock/v1/receipt/check");
const LABEL_SEAL_KEY = utf8("airlock/v1/receipt/seal-key");
const ZERO_NONCE = new Uint8Array(12);
const NO_SALT = new Uint8Array(0);

/** One team's receipt keys. Copy in, wipe when done. */
export class ReceiptKey {
  readonly #receipt: Uint8Array;
  readonly #check: Uint8Array;

  /** From the raw 32-byte transport key (test vectors); apps use ReceiptKey.of(transportKey). */
  constructor(transportKey: Uint8Array) {
    if (!(transportKey instanceof Uint8Array) || transportKey.length !== 32) throw new TypeError("a transport key is 32 bytes");
    this.#receipt = hkdfSha256(transportKey, NO_SALT, LABEL_RECEIPT_KEY, 32);
    this.#check = hkdfSha256(this.#receipt, NO_SALT, LABEL_CHECK_KEY, 32);
  }

  static of(tk: TransportKey): ReceiptKey {
    const raw = tk.exportKey();
    try {
      return new ReceiptKey(raw);
    } finally {
      wipe(raw);
    }
  }

  /** A receipt of `content`; `nonce` is fixed only by test vectors. */
  seal(content: ReceiptContent, nonce: Uint8Array = new Uint8Array(randomBytes(RECEIPT_NONCE_LENGTH))): Uint8Array {
    if (!(nonce instanceof Uint8Array) || nonce.length !== RECEIPT_NONCE_LENGTH) throw new RangeError(`"nonce" expected Uint8Array of length ${RECEIPT_NONCE_LENGTH}`);
    const body = encodeBody(content);
    const head = receiptHead(nonce, this.#checkOf(nonce));
    const key = this.#sealKey(nonce);
    try {
      return concatBytes(head, aeadSeal(key, ZERO_NONCE, body, head));
    } finally {
      wipe(key);
    }
  }

  /** Whether the receipt's team check is this team's (constant time). */
  made(frame: ReceiptFrame): boolean {
    return timingSafeEqual(this.#checkOf(frame.nonce), frame.check);
  }

  /** Opens a frame whose check is this team's: RECEIPT_AUTH if the tag fails, RECEIPT_BODY if the body is not canonical. */
  open(frame: ReceiptFrame): ReceiptContent {
    const key = this.#sealKey(frame.nonce);
    let body: Uint8Array | undefined;
    try {
      body = aeadOpen(key, ZERO_NONCE, frame.sealed, frame.head);
    } finally {
      wipe(key);
    }
    if (body === undefined) throw receiptError("RECEIPT_AUTH", "the receipt fails authentication under the team key that its check names");
    return decodeBody(body, frame.slots);
  }

  wipe(): void {
    wipe(this.#receipt, this.#check);
  }

  #checkOf(nonce: Uint8Array): Uint8Array {
    const mac = createHmac("sha256", this.#check).update(LABEL_CHECK).update(nonce).digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, RECEIPT_CHECK_LENGTH);
  }

  #sealKey(nonce: Uint8Array): Uint8Array {
    return hkdfSha256(this.#receipt, nonce, LABEL_SEAL_KEY, 32);
  }
}

export interface OpenedReceipt<T> extends ReceiptContent {
  /** The team (whatever the caller keyed its keys by) whose key made it. */
  readonly team: T;
}

/**
 * Opens `bytes` with whichever of `keys` made it. The layout is checked before any key is
 * tried; every key's check is computed, so the work does not depend on which team matches.
 */
export function openReceipt<T>(bytes: Uint8Array, keys: readonly { readonly team: T; readonly key: ReceiptKey }[]): OpenedReceipt<T> {
  const frame = parseReceiptFrame(bytes);
  const matches = keys.filter((k) => k.key.made(frame));
  if (matches.length === 0) throw receiptError("RECEIPT_UNKNOWN_TEAM", "the receipt was made with the key of no team this courier serves (another team's receipt, or a forgery)");
  // Two teams sharing a 4-byte check (2^-32 per pair): the tag decides.
  let failure: unknown;
  for (const { team, key } of matches) {
    try {
      return { team, ...key.open(frame) };
    } catch (e) {
      failure ??= e;
    }
  }
  throw failure;
}
