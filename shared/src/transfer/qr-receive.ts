/**
 * Receiving bundles from QR payloads, whatever their source (image folder, video, camera):
 * base45 text is decoded, frames are fed to one fountain decoder per transfer, and each
 * completed message is yielded once. Every payload is untrusted: a bad one is counted and
 * reported, never fatal. Progress (frames, unique frames, percent, rate, ETA) goes to an
 * optional callback.
 */
import { base45Decode, DEFAULT_MAX_MESSAGE, FrameError, parseFrameHeader, TransferCollector, type DecoderProgress } from "@airlock/bundle-format";
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
  // Per transfer in progress; as bounded as the collector's own set (it keeps at most 8). A
  // camera reads one animation after another: each transfer has its own progress, so the line
  // moves on to the next bundle instead of staying at the first one's "received".
  const rates = new Map<number, TransferRate>();
  const models = new Map<number, ProgressModel>();
  let count = 0;
  let rejected = 0;
  let lastError: FrameError | undefined;
  let yielded = 0;
  const stats = (): QrReceiveStats => ({ payloads: count, rejected, lastError, inProgress: collector.inProgress });
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
    // Accepted, so the header parses (the collector checked it against the same limit).
    const header = parseFrameHeader(frame, options.maxMessageLength ?? DEFAULT_MAX_MESSAGE);
    let rate = rates.get(result.transferId);
    // "complete": a frame of a transfer already received, which has nothing left to measure.
    if (rate === undefined && result.outcome !== "complete") {
      rate = new TransferRate(clock(), header.fragmentLength, typeof payload === "string" ? "base45" : "binary");
      rates.set(result.transferId, rate);
      if (rates.size > 16) rates.delete(rates.keys().next().value as number);
    }
    rate?.frame(header.index);
    let progress = models.get(result.transferId);
    if (progress === undefined && result.outcome !== "complete") {
      progress = new ProgressModel({ direction: "receive", clock });
      models.set(result.transferId, progress);
      if (models.size > 16) models.delete(models.keys().next().value as number);
    }
    if (progress !== undefined) {
      // A repeat of a transfer already received shows its finished line again, unchanged.
      if (result.outcome !== "complete") {
        progress.record({ unique: result.outcome === "new", bytes: result.outcome === "new" ? frame.length : 0 });
        if (result.progress.blocks !== undefined) progress.setFramesNeeded(result.progress.blocks);
        if (result.message !== undefined) progress.finish();
      }
      options.onProgress?.(progress.snapshot(), stats());
    }
    if (result.message !== undefined && rate !== undefined) {
      rates.delete(result.transferId);
      yield { bytes: result.message, transferId: result.transferId, frames: result.progress.framesReceived, rate: rate.report(clock(), result.message.length) };
      if (options.limit !== undefined && ++yielded >= options.limit) return stats();
    }
  }
  return stats();
}
