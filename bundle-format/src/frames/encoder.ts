/**
 * Fountain encoder: cuts a message into K blocks of F bytes (the last zero-padded) and makes
 * frame i for any index: i < K is block i itself (systematic, so a clean transfer needs just
 * K frames and no decoding work); i >= K is a dense random linear combination of all K blocks
 * over GF(256), with coefficients from (transfer id, i). Any K received frames decode with
 * probability ~99.6%, any K+2 with ~1 - 2^-24, whatever the order or starting point.
 * Spec: docs/qr-frames.md.
 */
import { randomInt } from "node:crypto";
import { crc32 } from "node:zlib";
import { auint, abytes } from "../asserts.js";
import { codedCoefficients } from "./coefficients.js";
import { mulAddInto } from "./gf256.js";
import { encodeFrame, FRAME_HEADER_LENGTH, MAX_BLOCKS } from "./header.js";

export interface FountainEncoderOptions {
  /** Fragment bytes per frame (the preset's frame capacity minus the 19-byte header). */
  readonly fragmentLength: number;
  /** Fixed only by tests and vectors; normally random per transfer. */
  readonly transferId?: number;
}

export class FountainEncoder {
  readonly transferId: number;
  readonly blocks: number;
  readonly fragmentLength: number;
  readonly messageLength: number;
  readonly checksum: number;
  readonly #source: Uint8Array;

  constructor(message: Uint8Array, options: FountainEncoderOptions) {
    abytes(message, "message");
    this.fragmentLength = auint(options.fragmentLength, "fragmentLength", 1, 65535);
    this.messageLength = auint(message.length, "message.length", 1, 2 ** 32 - 1);
    this.blocks = Math.ceil(message.length / this.fragmentLength);
    if (this.blocks > MAX_BLOCKS) {
      throw new RangeError(`a ${message.length}-byte message needs ${this.blocks} QR frames of ${this.fragmentLength} bytes; at most ${MAX_BLOCKS} are allowed`);
    }
    this.transferId = options.transferId === undefined ? randomInt(0, 2 ** 32 - 1) : auint(options.transferId, "transferId", 0, 2 ** 32 - 1);
    this.checksum = crc32(message) >>> 0;
    this.#source = new Uint8Array(this.blocks * this.fragmentLength);
    this.#source.set(message);
  }

  /** Frame `index` (0 .. 2^32 - 1) as the bytes a QR code carries. */
  frame(index: number): Uint8Array {
    auint(index, "index", 0, 2 ** 32 - 1);
    const f = this.fragmentLength;
    let fragment: Uint8Array;
    if (index < this.blocks) {
      fragment = this.#source.subarray(index * f, (index + 1) * f);
    } else {
      fragment = new Uint8Array(f);
      const coefficients = codedCoefficients(this.transferId, index, this.blocks);
      for (let b = 0; b < this.blocks; b++) mulAddInto(fragment, this.#source.subarray(b * f, (b + 1) * f), coefficients[b]!);
    }
    return encodeFrame(
      { transferId: this.transferId, index, blocks: this.blocks, messageLength: this.messageLength, checksum: this.checksum },
      fragment,
    );
  }

  /** Frames `start` .. `start + count - 1`: what a finite animation loop shows. */
  frames(count: number, start = 0): Uint8Array[] {
    return Array.from({ length: auint(count, "count", 0, 2 ** 20) }, (_, i) => this.frame(start + i));
  }
}

/**
 * Length of a finite loop (PNG sequences, the HTML page): all K systematic frames plus coded
 * ones, enough that a receiver joining anywhere and missing up to a third of what it sees
 * still completes within one pass: ceil(K / 2) + 3 coded frames.
 */
export function loopLength(blocks: number): number {
  return blocks + Math.ceil(blocks / 2) + 3;
}

export const frameLengthFor = (fragmentLength: number): number => FRAME_HEADER_LENGTH + fragmentLength;
