/**
 * Figure 1: seal and open throughput against raw ChaCha20-Poly1305 over the same body bytes,
 * with 2 recipients and random bodies. Throughput counts body bytes (what a user moves); the
 * bundle also carries its header, slots and Padmé padding, and that cost is part of the seal.
 *
 * To show where the time goes, the same run also measures:
 *  - floor-seal / floor-open: SHA-256 + raw AEAD, the least work per byte of this design;
 *  - seal-stream / open-stream: sealBundleStream / openBundleStream fed 64 KiB pieces of the same
 *    body or bundle, output dropped as a writer would: the format without the in-memory API's
 *    whole-bundle buffers;
 *  - how fast this machine writes freshly allocated memory, which those buffers pay for.
 */
import { randomBytes } from "node:crypto";
import { openBundle, openBundleStream, sealBundle, sealBundleStream } from "../src/index.js";
import { party } from "./fixtures.js";
import { decryptAndHash, hashAndEncrypt, PIECE, rawDecrypt, rawEncrypt, rawSeal } from "./raw-aead.js";
import type { Report } from "./report.js";
import { MiB, mbPerSecond, sizeLabel } from "./sizes.js";
import { collectGarbage, sampleInterleaved, seconds, summarize, timingOf } from "./timing.js";

export interface ThroughputConfig {
  readonly sizes: readonly number[];
  readonly warmupRounds: number;
  readonly rounds: (size: number) => number;
  readonly minSampleSeconds: number;
  readonly settleSeconds: number;
}

/** The issue's target: ratio >= 0.8 for bodies of 1 MiB and up. */
const TARGET_RATIO = 0.8;
const TARGET_FROM = MiB;

/** MB/s of writing a new buffer of `bytes` (first touch), and of writing it again. */
function freshMemorySpeed(bytes: number): { fresh: number; reused: number } {
  const fresh: number[] = [];
  const reused: number[] = [];
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    const t0 = process.hrtime.bigint();
    const buffer = new Uint8Array(bytes);
    buffer.fill(1);
    const t1 = process.hrtime.bigint();
    buffer.fill(2);
    const t2 = process.hrtime.bigint();
    fresh.push(seconds(t0, t1));
    reused.push(seconds(t1, t2));
  }
  return { fresh: mbPerSecond(bytes, summarize(fresh).median), reused: mbPerSecond(bytes, summarize(reused).median) };
}

/** `bytes` as 64 KiB views, as a file reader would deliver them. */
function* pieces(bytes: Uint8Array): Generator<Uint8Array, void, undefined> {
  for (let off = 0; off < bytes.length; off += PIECE) yield bytes.subarray(off, off + PIECE);
}

export async function benchThroughput(report: Report, config: ThroughputConfig): Promise<void> {
  const { recipients, options } = party(2, "throughput");
  const me = { recipient: recipients[0]! };
  for (const size of config.sizes) {
    collectGarbage();
    const label = sizeLabel(size);
    const body = randomBytes(size);
    const key = randomBytes(32);
    const rawSealed = rawSeal(key, body);
    const bundle = sealBundle(body, options);
    const opened = openBundle(bundle, { ...me, maxLength: bundle.length });
    if (!body.equals(opened.body)) throw new Error(`open(seal(body)) differs from body at ${label}`);

    const streamSeal = async (): Promise<void> => {
      for await (const piece of sealBundleStream(pieces(body), size, options)) void piece;
    };
    const streamOpen = async (): Promise<void> => {
      const reader = openBundleStream(pieces(bundle), { ...me, maxLength: bundle.length });
      for await (const piece of reader.body) void piece;
      await reader.result;
    };
    const plan = { ...config, rounds: config.rounds(size) };
    const t = await sampleInterleaved(
      [
        { name: "raw-encrypt", run: () => rawEncrypt(key, body) },
        { name: "raw-decrypt", run: () => rawDecrypt(key, rawSealed) },
        { name: "floor-seal", run: () => void hashAndEncrypt(key, body) },
        { name: "floor-open", run: () => void decryptAndHash(key, rawSealed) },
        { name: "seal", run: () => void sealBundle(body, options) },
        { name: "open", run: () => void openBundle(bundle, { ...me, maxLength: bundle.length }) },
        { name: "seal-stream", run: streamSeal },
        { name: "open-stream", run: streamOpen },
      ],
      plan,
    );
    const speed = (name: string): number => mbPerSecond(size, timingOf(t, name).median);
    const spread = (...names: string[]): string => names.map((n) => `${n} ±${(timingOf(t, n).spread * 50).toFixed(1)}%`).join(", ");
    const target = size >= TARGET_FROM ? ({ on: "ratio", op: ">=", limit: TARGET_RATIO } as const) : undefined;

    report.section(`Throughput, ${label} body (bundle ${bundle.length} bytes), 2 recipients`);
    const names = ["raw-encrypt", "raw-decrypt", "floor-seal", "floor-open", "seal", "open", "seal-stream", "open-stream"];
    report.info(`${plan.rounds} interleaved samples per case (each >= ${plan.minSampleSeconds * 1e3} ms), medians`);
    report.info(`half-IQR: ${spread(...names)}`);
    report.info(`page faults per MiB of body: ${names.map((n) => `${n} ${((timingOf(t, n).faultsPerOp * MiB) / size).toFixed(0)}`).join(", ")}`);
    if (size >= MiB) {
      const mem = freshMemorySpeed(bundle.length);
      report.info(
        `this machine writes a freshly allocated ${label}+ buffer at ${mem.fresh.toFixed(0)} MB/s (the same buffer again: ` +
          `${mem.reused.toFixed(0)} MB/s); sealBundle/openBundle allocate and fill buffers of this size`,
      );
    }
    for (const [op, raw, rawIs] of [
      ["seal", "raw-encrypt", "raw AEAD encrypt"],
      ["open", "raw-decrypt", "raw AEAD decrypt"],
    ] as const) {
      const floor = `floor-${op}`;
      const ofFloor = (name: string): string => `${((100 * speed(name)) / speed(floor)).toFixed(0)}% of the SHA-256 + AEAD floor`;
      report.add({
        name: `${op}.${label}`,
        value: speed(op),
        unit: "MB/s",
        baseline: speed(raw),
        baselineIs: rawIs,
        better: "higher",
        target,
        note: `${op === "seal" ? "sealBundle" : "openBundle"}, in memory: ${ofFloor(op)}`,
      });
      report.add({
        name: `${op}-stream.${label}`,
        value: speed(`${op}-stream`),
        unit: "MB/s",
        baseline: speed(raw),
        baselineIs: rawIs,
        better: "higher",
        note: `${op}BundleStream fed 64 KiB pieces, output dropped: ${ofFloor(`${op}-stream`)}`,
      });
      report.add({
        name: `${floor}.${label}`,
        value: speed(floor),
        unit: "MB/s",
        baseline: speed(raw),
        baselineIs: rawIs,
        better: "higher",
        note: `SHA-256 + raw AEAD: the best ratio ${op} can reach on one core with this design`,
      });
    }
  }
}
