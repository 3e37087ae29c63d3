/**
 * The body of a file bundle (an attachment): a 16-byte head, then the file's bytes exactly.
 * Spec: docs/bundle-format.md, "File bodies".
 *
 *   off  len  field
 *     0    7  magic "AIRFILE"
 *     7    1  file body version (1)
 *     8    8  file length in bytes, u64 big-endian (equals body length - 16)
 *    16    …  the file
 *
 * The head is a pure function of the file's length, so SHA-256(body) — the hash the sender's
 * signature already covers — is the file's content address: the same file always has the same
 * address, and opening a file bundle checks its content against the address a record names
 * without a second pass. A CBOR payload body starts with a map header (0xa0..0xbb), never with
 * "A" (0x41), so one look at the first byte tells the two kinds of body apart.
 */
import { abytes } from "./asserts.js";
import { readU64be, u64be } from "./bytes.js";
import { BundleError } from "./errors.js";

export const FILE_MAGIC: Uint8Array = new Uint8Array([0x41, 0x49, 0x52, 0x46, 0x49, 0x4c, 0x45]); // "AIRFILE"
export const FILE_BODY_VERSION = 1;
export const FILE_HEAD_LENGTH = 16;
/** Largest file one bundle carries: 2^40 bytes is the largest bundle, less its overhead. */
export const MAX_FILE_BYTES = 2 ** 39;

/** The head of a file body for a file of `size` bytes. */
export function encodeFileHead(size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_FILE_BYTES) throw new RangeError(`file size ${size} is out of range 0..${MAX_FILE_BYTES}`);
  const head = new Uint8Array(FILE_HEAD_LENGTH);
  head.set(FILE_MAGIC, 0);
  head[7] = FILE_BODY_VERSION;
  head.set(u64be(size), 8);
  return head;
}

/** Whether a body's first bytes start a file body (and not a CBOR payload). */
export function isFileBody(start: Uint8Array): boolean {
  return start.length >= 1 && start[0] === FILE_MAGIC[0];
}

/** Parses a file body's head against the body length the bundle declared; returns the file size. */
export function parseFileHead(head: Uint8Array, bodyLength: number): number {
  abytes(head, "head");
  if (head.length < FILE_HEAD_LENGTH) throw new BundleError("BUNDLE_MALFORMED", `a file body starts with a ${FILE_HEAD_LENGTH}-byte head; this one has ${head.length} bytes`);
  for (let i = 0; i < FILE_MAGIC.length; i++) {
    if (head[i] !== FILE_MAGIC[i]) throw new BundleError("BUNDLE_MALFORMED", "this body is not a file body (wrong magic bytes)");
  }
  if (head[7] !== FILE_BODY_VERSION) {
    throw new BundleError("BUNDLE_VERSION", `file body version ${head[7]} is not supported; this Airlock reads version ${FILE_BODY_VERSION}`);
  }
  const size = readU64be(head, 8);
  if (size !== bodyLength - FILE_HEAD_LENGTH) {
    throw new BundleError("BUNDLE_MALFORMED", `the file head says ${size} bytes, but the body carries ${bodyLength - FILE_HEAD_LENGTH}`);
  }
  return size;
}
