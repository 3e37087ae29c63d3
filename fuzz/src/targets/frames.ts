/** Targets over the QR frame codec: a run of frames into the decoders; base45 text. */
import { base45Decode, base45Encode, FRAME_ERROR_CODES, FountainDecoder, FountainEncoder, FrameError, parseFrameHeader, TransferCollector } from "@airlock/bundle-format";
import { seedBytes } from "../fixtures.js";
import { concat } from "../mutate.js";
import { FuzzInvariantError, template } from "../outcome.js";
import type { Target } from "../target.js";

const MAX_MESSAGE = 64 * 1024;
const MAX_FRAMES = 256;

/** A fuzz input holds several frames, each behind a 2-byte length, as a scanner would deliver them in turn. */
export function packFrames(frames: readonly Uint8Array[]): Uint8Array {
  return concat(...frames.flatMap((f) => [Uint8Array.of(f.length >> 8, f.length & 0xff), f]));
}

export function unpackFrames(input: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < input.length && frames.length < MAX_FRAMES) {
    const length = ((input[at] ?? 0) << 8) | (input[at + 1] ?? 0);
    frames.push(input.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return frames;
}

function frameSeeds(): Uint8Array[] {
  const message = seedBytes("qr/message", 32);
  const big = new Uint8Array(1500).map((_, i) => (i * 31) & 0xff);
  const a = new FountainEncoder(big, { fragmentLength: 100, transferId: 7 });
  const b = new FountainEncoder(message, { fragmentLength: 8, transferId: 9 });
  const one = new FountainEncoder(message, { fragmentLength: 64, transferId: 11 });
  // FountainEncoder.frames(count, start).
  return [
    packFrames(a.frames(a.blocks)), // systematic only
    packFrames([...a.frames(a.blocks - 3, 3), ...a.frames(6, a.blocks)]), // three lost, replaced by coded frames
    packFrames([...b.frames(2), ...a.frames(2), ...b.frames(b.blocks, 2)]), // two transfers interleaved
    packFrames([one.frame(0), one.frame(0), one.frame(1)]), // complete, then a duplicate
    packFrames(b.frames(2, b.blocks)), // coded only
  ];
}

export const qrFrames: Target = {
  name: "qr-frames",
  entry: "TransferCollector.receive and FountainDecoder.receive over a run of frames",
  codes: FRAME_ERROR_CODES,
  maxInput: 32 * 1024,
  cbor: false,
  async create() {
    return {
      seeds: frameSeeds(),
      run(input) {
        const collector = new TransferCollector({ maxTransfers: 4, maxMessageLength: MAX_MESSAGE });
        const decoder = new FountainDecoder({ maxMessageLength: MAX_MESSAGE });
        let completed = 0;
        // Which checks refused frames: the feedback that grows the corpus (see engine.ts).
        const refusals = new Set<string>();
        for (const frame of unpackFrames(input)) {
          const collected = collector.receive(frame);
          if (collected.outcome === "rejected") refusals.add(`${collected.error.code}:${template(collected.error.message).slice(0, 40)}`);
          else if (collected.message !== undefined) {
            completed++;
            const header = parseFrameHeader(frame, MAX_MESSAGE);
            if (collected.message.length !== header.messageLength) throw new FuzzInvariantError("a completed transfer's length differs from its header");
          }
          try {
            decoder.receive(frame);
          } catch (e) {
            if (!(e instanceof FrameError)) throw e;
            refusals.add(`decoder ${e.code}`);
          }
        }
        const message = decoder.message;
        if (message !== undefined && message.length !== decoder.progress.messageLength) throw new FuzzInvariantError("decoded message length differs from the header");
        return `completed=${Math.min(completed, 2)} decoded=${message !== undefined} ${[...refusals].sort().join("|")}`;
      },
    };
  },
};

/** Base45 (QR alphanumeric mode): accepted text must be the one encoding of its bytes. */
export const qrBase45: Target = {
  name: "qr-base45",
  entry: "base45Decode (alphanumeric-mode frames), then parseFrameHeader",
  codes: FRAME_ERROR_CODES,
  maxInput: 8 * 1024,
  cbor: false,
  async create() {
    const enc = new TextEncoder();
    const frames = new FountainEncoder(seedBytes("qr/b45", 32), { fragmentLength: 16, transferId: 5 }).frames(4);
    return {
      seeds: frames.map((f) => enc.encode(base45Encode(f))),
      run(input) {
        const text = Buffer.from(input.buffer, input.byteOffset, input.length).toString("latin1");
        const bytes = base45Decode(text);
        if (base45Encode(bytes) !== text) throw new FuzzInvariantError("base45Decode accepted a non-canonical encoding");
        parseFrameHeader(bytes, MAX_MESSAGE);
        return "frame";
      },
    };
  },
};
