/**
 * Receiving bundles from QR payloads, whatever their source (image folder, video, camera):
 * base45 text is decoded, frames are fed to one fountain decoder per transfer, and each
 * completed message is yielded once. Every payload is untrusted: a bad one is counted and
 * reported, never fatal. Progress (frames, unique frames, percent, rate, ETA) goes to an
 * optional callback.
 */
import { base45Decode, FrameError, TransferCollector, type DecoderProgress } from "@airlock/bundle-format";
import { ProgressModel, type Clock, type ProgressSnapshot } from "../progress.js";
import type { QrPayload } from "../qr/types.js";
import { TransferRate, type QrRateReport } from "./qr-rate.js";

export type { QrRateReport } from "./qr-rate.js";

export interface ReceivedBundle {
  readonly bytes: Uint8Array;
  readonly transferId: number;
  /** Payloads consumed by its transfer, including duplicates and redundant frames. */
  readonly frames: number;
  /** The rate this receiver achieved on this transfer and the preset that would suit it (qr-rate.ts). */
  readonly rate: QrRateReport;
}

export interface QrReceiveStats {
  readonly payloads: number;
  readonly rejected: number;
  readonly lastError: FrameError | undefined;
  readonly inProgress: readonly DecoderProgress[];
}

export interface QrReceiveOptions {
  readonly maxMessageLength?: number;
  /** Stop after this many bundles (e.g. 1 for "receive one transfer"). */
  readonly limit?: number;
  readonly onProgress?: (snapshot: ProgressSnapshot, stats: QrReceiveStats) => void;
  readonly clock?: Clock;
}

export async function* receiveBundles(
  payloads: AsyncIterable<QrPayload | undefined> | Iterable<QrPayload | undefined>,
  options: QrReceiveOptions = {},
): AsyncGenerator<ReceivedBundle, QrReceiveStats, undefined> {
  const collector = new TransferCollector(options.maxMessageLength === undefined ? {} : { maxMessageLength: options.maxMessageLength });
  const clock = options.clock ?? (() => performance.now());
  // Per transfer seen, as bounded as the collector's own set (it keeps at most 8 in progress). A
  // camera reads one animation after another: each transfer has its own progress, so the line
  // moves on to the next bundle instead of staying at the first one's "received"; a completed
  // one stays, so its repeats show its finished line again.
  const transfers = new Map<number, { readonly progress: ProgressModel; readonly rate: TransferRate }>();
  // Messages received, by length and CRC-32 (their frames' header): a player whose density was
  // changed while it played (qr-show.ts, the HTML page) leaves a partial transfer of a message
  // that arrived whole at the other density, which is not missing anything.
  const whole = new Set<string>();
  const messageKey = (length: number | undefined, checksum: number | undefined): string => `${length}:${checksum}`;
  let count = 0;
  let rejected = 0;
  let lastError: FrameError | undefined;
  let yielded = 0;
  const stats = (): QrReceiveStats => ({
    payloads: count,
    rejected,
    lastError,
    inProgress: collector.inProgress.filter((p) => !whole.has(messageKey(p.messageLength, p.checksum))),
  });
  for await (const payload of payloads) {
    if (payload === undefined) continue;
    count++;
    let frame: Uint8Array;
    try {
      frame = typeof payload === "string" ? base45Decode(payload) : payload;
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      rejected++;
      lastError = e;
      continue;
    }
    const result = collector.receive(frame);
    if (result.outcome === "rejected") {
      rejected++;
      lastError = result.error;
      continue;
    }
    const { header } = result;
    let transfer = transfers.get(result.transferId);
    if (transfer === undefined) {
      // "complete": a frame of a transfer received before any we still track: nothing to show.
      if (result.outcome === "complete") continue;
      transfer = {
        progress: new ProgressModel({ direction: "receive", clock }),
        rate: new TransferRate(clock(), header.fragmentLength, typeof payload === "string" ? "base45" : "binary"),
      };
    }
    // Re-inserted, so the least recently fed is dropped first (as the collector does).
    transfers.delete(result.transferId);
    transfers.set(result.transferId, transfer);
    if (transfers.size > 16) transfers.delete(transfers.keys().next().value as number);
    // A repeat of a transfer already received shows its finished line again, unchanged.
    if (result.outcome !== "complete") {
      transfer.rate.frame(header.index);
      transfer.progress.record({ unique: result.outcome === "new", bytes: result.outcome === "new" ? frame.length : 0 });
      transfer.progress.setFramesNeeded(header.blocks);
      if (result.message !== undefined) transfer.progress.finish();
    }
    if (result.message !== undefined) {
      whole.add(messageKey(header.messageLength, header.checksum));
      if (whole.size > 1024) whole.delete(whole.values().next().value as string);
    }
    options.onProgress?.(transfer.progress.snapshot(), stats());
    if (result.message !== undefined) {
      yield { bytes: result.message, transferId: result.transferId, frames: result.progress.framesReceived, rate: transfer.rate.report(clock(), result.message.length) };
      if (options.limit !== undefined && ++yielded >= options.limit) return stats();
    }
  }
  return stats();
}
