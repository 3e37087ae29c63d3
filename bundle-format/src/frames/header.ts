/**
 * The 19-byte header every QR frame starts with. Spec: docs/qr-frames.md, "Frame layout".
 *
 *   off len field
 *     0   1  0xA1: high nibble 0xA marks an Airlock frame, low nibble is the frame format version (1)
 *     1   4  transfer id, random per transfer (not derived from the bundle)
 *     5   4  frame index: < K systematic, >= K coded
 *     9   2  K, the number of source blocks, 1..MAX_BLOCKS
 *    11   4  L, the message length in bytes
 *    15   4  CRC-32 (ISO-HDLC, as zlib) of the whole message
 *    19   F  fragment: a source block or a coded combination; F is the same in every frame
 *
 * Every field is checked against the others and against the receiver's limit before any
 * allocation: K must equal ceil(L / F), so a frame cannot claim a 4 GB message.
 */
import { FrameError } from "./errors.js";

export const FRAME_MARKER = 0xa0;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_LENGTH = 19;
/** Largest K: bounds the decoder's coefficient matrix (K x K bytes worst case, 16 MiB). */
export const MAX_BLOCKS = 4096;

export interface FrameHeader {
  readonly transferId: number;
  readonly index: number;
  readonly blocks: number;
  readonly messageLength: number;
  readonly checksum: number;
  readonly fragmentLength: number;
}

export function encodeFrame(h: Omit<FrameHeader, "fragmentLength">, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_LENGTH + fragment.length);
  const v = new DataView(out.buffer);
  out[0] = FRAME_MARKER | FRAME_VERSION;
  v.setUint32(1, h.transferId);
  v.setUint32(5, h.index);
  v.setUint16(9, h.blocks);
  v.setUint32(11, h.messageLength);
  v.setUint32(15, h.checksum);
  out.set(fragment, FRAME_HEADER_LENGTH);
  return out;
}

export function parseFrameHeader(frame: Uint8Array, maxMessageLength: number): FrameHeader {
  if (frame.length === 0 || (frame[0]! & 0xf0) !== FRAME_MARKER) {
    throw new FrameError("FRAME_MALFORMED", "this QR code is not an Airlock frame");
  }
  if ((frame[0]! & 0x0f) !== FRAME_VERSION) {
    throw new FrameError("FRAME_VERSION", `QR frame format version ${frame[0]! & 0x0f} is not supported; this Airlock reads version ${FRAME_VERSION}`);
  }
  if (frame.length <= FRAME_HEADER_LENGTH) {
    throw new FrameError("FRAME_MALFORMED", `QR frame of ${frame.length} bytes is too short to carry data`);
  }
  const v = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const fragmentLength = frame.length - FRAME_HEADER_LENGTH;
  const header: FrameHeader = {
    transferId: v.getUint32(1),
    index: v.getUint32(5),
    blocks: v.getUint16(9),
    messageLength: v.getUint32(11),
    checksum: v.getUint32(15),
    fragmentLength,
  };
  if (header.messageLength === 0 || header.blocks === 0 || header.blocks > MAX_BLOCKS) {
    throw new FrameError("FRAME_MALFORMED", `QR frame declares ${header.blocks} blocks for ${header.messageLength} bytes`);
  }
  if (header.blocks !== Math.ceil(header.messageLength / fragmentLength)) {
    throw new FrameError(
      "FRAME_MALFORMED",
      `QR frame declares ${header.blocks} blocks, but ${header.messageLength} bytes in ${fragmentLength}-byte fragments need ${Math.ceil(header.messageLength / fragmentLength)}`,
    );
  }
  if (header.messageLength > maxMessageLength) {
    throw new FrameError("FRAME_TOO_LARGE", `QR transfer of ${header.messageLength} bytes exceeds this receiver's limit of ${maxMessageLength}`);
  }
  return header;
}
