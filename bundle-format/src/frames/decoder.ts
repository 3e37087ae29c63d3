/**
 * Fountain decoder: incremental Gauss-Jordan elimination over GF(256). Each frame becomes a row
 * (coefficients over the K blocks, and its fragment); rows are kept in reduced row echelon
 * form, so the message is ready the moment the rank reaches K, and the work is spread over
 * arrival (per frame at most rank x (K + F) byte operations). Systematic rows are unit vectors
 * and cost only F per use. Duplicates, frames from other transfers and redundant combinations
 * are recognised and cost nothing further. Spec: docs/qr-frames.md, "Decoding".
 *
 * Invariants: every stored row has coefficient 1 at its pivot column and 0 at every other
 * pivot column (so a coded row is nonzero only at its pivot and at free columns); `#rank` is
 * the number of pivots; `#message` exists only once rank === K and the CRC matched.
 */
import { crc32 } from "node:zlib";
import { abytes, auint } from "../asserts.js";
import { codedCoefficients } from "./coefficients.js";
import { FrameError } from "./errors.js";
import { gfInv, mulAddAt, mulAddInto, scaleInPlace } from "./gf256.js";
import { FRAME_HEADER_LENGTH, parseFrameHeader, type FrameHeader } from "./header.js";

/** Default receiver limit: 16 MiB, far above what QR transfers carry in practice. */
export const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024;

export type FrameOutcome =
  /** The frame added information. */
  | "new"
  /** Seen this frame index before. */
  | "duplicate"
  /** A combination of frames already received: no new information. */
  | "redundant"
  /** Belongs to a different transfer than the one being decoded. */
  | "other-transfer"
  /** The transfer is already complete. */
  | "complete";

export interface DecoderProgress {
  readonly transferId: number | undefined;
  readonly blocks: number | undefined;
  readonly messageLength: number | undefined;
  /** CRC-32 of the whole message, from the frame header: a partial transfer of a message already received another way (the same bundle at another density) is told by it. */
  readonly checksum: number | undefined;
  /** Frames handed to receive() that belonged to this transfer. */
  readonly framesReceived: number;
  /** Independent frames so far (the rank); the transfer completes at `blocks`. */
  readonly rank: number;
  readonly complete: boolean;
}

interface Row {
  /** null: a systematic row (unit vector at its pivot). */
  coefficients: Uint8Array | null;
  readonly data: Uint8Array;
}

export class FountainDecoder {
  readonly #maxMessageLength: number;
  #header: FrameHeader | undefined;
  #pivots: (Row | undefined)[] = [];
  /** Coded rows (the only ones with coefficient vectors), for back-elimination. */
  #coded: Row[] = [];
  /**
   * Columns without a pivot, in no order: `#free[0 .. #freeCount)`, with `#freeAt[col]` its
   * position. A stored coded row can be nonzero only there and at its own pivot, so every
   * coefficient operation runs over these columns alone: after a mostly clean pass the
   * system left to solve is only as wide as the number of frames lost.
   */
  #free = new Int32Array(0);
  #freeAt = new Int32Array(0);
  #freeCount = 0;
  #rank = 0;
  #framesReceived = 0;
  #seen = new Set<number>();
  #message: Uint8Array | undefined;

  constructor(options: { maxMessageLength?: number } = {}) {
    this.#maxMessageLength = auint(options.maxMessageLength ?? DEFAULT_MAX_MESSAGE, "maxMessageLength", 1, 2 ** 32 - 1);
  }

  get progress(): DecoderProgress {
    return {
      transferId: this.#header?.transferId,
      blocks: this.#header?.blocks,
      messageLength: this.#header?.messageLength,
      checksum: this.#header?.checksum,
      framesReceived: this.#framesReceived,
      rank: this.#rank,
      complete: this.#message !== undefined,
    };
  }

  /** The decoded message, once complete. */
  get message(): Uint8Array | undefined {
    return this.#message;
  }

  /** Adds one frame (the bytes a QR code carried). Throws FrameError for a malformed frame. */
  receive(frame: Uint8Array): FrameOutcome {
    abytes(frame, "frame");
    const header = parseFrameHeader(frame, this.#maxMessageLength);
    if (this.#header === undefined) this.#lock(header);
    else if (header.transferId !== this.#header.transferId) return "other-transfer";
    else this.#checkSame(header);
    this.#framesReceived++;
    if (this.#message !== undefined) return "complete";
    if (this.#seen.has(header.index)) return "duplicate";
    // Bound bookkeeping under a flood of distinct indices; unseen repeats are just redundant.
    if (this.#seen.size < 4 * header.blocks + 64) this.#seen.add(header.index);
    const data = frame.slice(FRAME_HEADER_LENGTH);
    const added = header.index < header.blocks ? this.#addSystematic(header.index, data) : this.#addCoded(header, data);
    if (!added) return "redundant";
    if (this.#rank === header.blocks) this.#finish();
    return "new";
  }

  #lock(header: FrameHeader): void {
    this.#header = header;
    this.#pivots = new Array<Row | undefined>(header.blocks).fill(undefined);
    this.#free = Int32Array.from({ length: header.blocks }, (_, i) => i);
    this.#freeAt = Int32Array.from({ length: header.blocks }, (_, i) => i);
    this.#freeCount = header.blocks;
  }

  #checkSame(h: FrameHeader): void {
    const mine = this.#header!;
    if (h.blocks !== mine.blocks || h.messageLength !== mine.messageLength || h.checksum !== mine.checksum || h.fragmentLength !== mine.fragmentLength) {
      throw new FrameError("FRAME_MISMATCH", `QR frame ${h.index} claims transfer ${h.transferId.toString(16)} but disagrees with its earlier frames`);
    }
  }

  #addSystematic(column: number, data: Uint8Array): boolean {
    if (this.#pivots[column] !== undefined) {
      // A coded row already holds this pivot: reduce the unit row against it like any other.
      const coefficients = new Uint8Array(this.#header!.blocks);
      coefficients[column] = 1;
      return this.#reduceAndInsert(coefficients, data);
    }
    this.#insert(column, { coefficients: null, data });
    return true;
  }

  #addCoded(header: FrameHeader, data: Uint8Array): boolean {
    return this.#reduceAndInsert(codedCoefficients(header.transferId, header.index, header.blocks), data);
  }

  #reduceAndInsert(coefficients: Uint8Array, data: Uint8Array): boolean {
    const k = coefficients.length;
    for (let col = 0; col < k; col++) {
      const c = coefficients[col]!;
      const pivot = this.#pivots[col];
      if (c === 0 || pivot === undefined) continue;
      mulAddInto(data, pivot.data, c);
      coefficients[col] = 0;
      if (pivot.coefficients !== null) mulAddAt(coefficients, pivot.coefficients, c, this.#free, this.#freeCount);
    }
    let lead = -1;
    for (let i = 0; i < this.#freeCount && lead < 0; i++) if (coefficients[this.#free[i]!] !== 0) lead = this.#free[i]!;
    if (lead < 0) return false;
    const inverse = gfInv(coefficients[lead]!);
    scaleInPlace(coefficients, inverse);
    scaleInPlace(data, inverse);
    this.#insert(lead, { coefficients, data });
    return true;
  }

  /** Makes `row` the pivot of `column` and clears that column from every coded row. */
  #insert(column: number, row: Row): void {
    this.#takeFree(column);
    for (const other of this.#coded) {
      const c = other.coefficients![column]!;
      if (c === 0) continue;
      mulAddInto(other.data, row.data, c);
      other.coefficients![column] = 0;
      if (row.coefficients !== null) mulAddAt(other.coefficients!, row.coefficients, c, this.#free, this.#freeCount);
    }
    this.#pivots[column] = row;
    if (row.coefficients !== null) this.#coded.push(row);
    this.#rank++;
  }

  #takeFree(column: number): void {
    const at = this.#freeAt[column]!;
    const last = this.#free[--this.#freeCount]!;
    this.#free[at] = last;
    this.#freeAt[last] = at;
  }

  #finish(): void {
    const h = this.#header!;
    const message = new Uint8Array(h.blocks * h.fragmentLength);
    this.#pivots.forEach((row, i) => message.set(row!.data, i * h.fragmentLength));
    const result = message.subarray(0, h.messageLength);
    if (crc32(result) >>> 0 !== h.checksum) {
      throw new FrameError("FRAME_CHECKSUM", "the QR frames decoded to data that fails its checksum");
    }
    this.#message = result;
    this.#pivots = [];
    this.#coded = [];
  }
}
