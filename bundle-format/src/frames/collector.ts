/**
 * Decodes several transfers at once (a folder of QR images from more than one bundle, or a
 * camera that sees a second screen): one FountainDecoder per transfer id, at most `maxTransfers`
 * in progress (the least recently fed is dropped first), each completed message returned once.
 * Bad frames are reported per frame, never fatal: the input is untrusted.
 */
import { auint } from "../asserts.js";
import { DEFAULT_MAX_MESSAGE, FountainDecoder, type DecoderProgress, type FrameOutcome } from "./decoder.js";
import { FrameError } from "./errors.js";
import { parseFrameHeader, type FrameHeader } from "./header.js";

export type CollectedFrame =
  /** `header`: the frame's own, as parsed here (a caller measuring a transfer need not parse it again). */
  | { readonly outcome: FrameOutcome; readonly transferId: number; readonly header: FrameHeader; readonly progress: DecoderProgress; readonly message?: Uint8Array }
  | { readonly outcome: "rejected"; readonly error: FrameError };

export class TransferCollector {
  readonly #maxTransfers: number;
  readonly #maxMessageLength: number;
  readonly #decoders = new Map<number, FountainDecoder>();
  readonly #done = new Set<number>();

  constructor(options: { maxTransfers?: number; maxMessageLength?: number } = {}) {
    this.#maxTransfers = auint(options.maxTransfers ?? 8, "maxTransfers", 1, 1024);
    this.#maxMessageLength = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE;
  }

  /** Transfers still in progress. */
  get inProgress(): DecoderProgress[] {
    return [...this.#decoders.values()].map((d) => d.progress);
  }

  receive(frame: Uint8Array): CollectedFrame {
    let transferId: number | undefined;
    try {
      const header = parseFrameHeader(frame, this.#maxMessageLength);
      transferId = header.transferId;
      let decoder = this.#decoders.get(transferId);
      if (decoder === undefined) {
        if (this.#done.has(transferId)) return { outcome: "complete", transferId, header, progress: completedProgress(transferId) };
        decoder = new FountainDecoder({ maxMessageLength: this.#maxMessageLength });
        if (this.#decoders.size >= this.#maxTransfers) this.#decoders.delete(this.#decoders.keys().next().value!);
      }
      // Re-insert so Map order is least-recently-fed first.
      this.#decoders.delete(transferId);
      this.#decoders.set(transferId, decoder);
      const outcome = decoder.receive(frame);
      const message = decoder.message;
      if (message !== undefined) {
        this.#decoders.delete(transferId);
        this.#done.add(transferId);
        if (this.#done.size > 1024) this.#done.delete(this.#done.values().next().value!);
        return { outcome, transferId, header, progress: decoder.progress, message };
      }
      return { outcome, transferId, header, progress: decoder.progress };
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      // A transfer that decoded to the wrong checksum starts over; a single frame that
      // disagrees with its transfer is dropped alone, so one stray frame cannot reset a transfer.
      if (transferId !== undefined && e.code === "FRAME_CHECKSUM") this.#decoders.delete(transferId);
      return { outcome: "rejected", error: e };
    }
  }
}

function completedProgress(transferId: number): DecoderProgress {
  return { transferId, blocks: undefined, messageLength: undefined, checksum: undefined, framesReceived: 0, rank: 0, complete: true };
}
