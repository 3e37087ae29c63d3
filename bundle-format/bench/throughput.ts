/**
 * Figure 1: seal and open throughput against raw ChaCha20-Poly1305 over the same body bytes,
 * with 2 recipients and random bodies. Throughput counts body bytes (what a user moves); the
 * bundle also carries its header, slots and Padmé padding, and that cost is part of the seal.
 * The SHA-256 + AEAD "floor" shows how much of the gap the design's body hash explains.
 */
import { randomBytes } from "node:crypto";
import { openBundle, sealBundle } from "../src/index.js";
import { party } from "./fixtures.js";
import { decryptAndHash, hashAndEncrypt, rawDecrypt, rawEncrypt, rawSeal } from "./raw-aead.js";
import type { Report } from "./report.js";
import { MiB, mbPerSecond, sizeLabel } from "./sizes.js";
import { collectGarbage, sampleInterleaved, timingOf, type SamplePlan } from "./timing.js";

export interface ThroughputConfig {
  readonly sizes: readonly number[];
  /** Body bytes per sample: small bodies repeat until a sample is this big. */
  readonly bytesPerSample: number;
  readonly warmupRounds: number;
  readonly rounds: (size: number) => number;
}

/** The target: ratio >= 0.8 for bodies of 1 MiB and up. */
const TARGET_RATIO = 0.8;
const TARGET_FROM = MiB;

export function benchThroughput(report: Report, config: ThroughputConfig): void {
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

    const plan: SamplePlan = {
      warmupRounds: config.warmupRounds,
      rounds: config.rounds(size),
      reps: Math.max(1, Math.round(config.bytesPerSample / size)),
    };
    const t = sampleInterleaved(
      [
        { name: "raw-encrypt", run: () => rawEncrypt(key, body) },
        { name: "raw-decrypt", run: () => rawDecrypt(key, rawSealed) },
        { name: "floor-seal", run: () => void hashAndEncrypt(key, body) },
        { name: "floor-open", run: () => void decryptAndHash(key, rawSealed) },
        { name: "seal", run: () => void sealBundle(body, options) },
        { name: "open", run: () => void openBundle(bundle, { ...me, maxLength: bundle.length }) },
      ],
      plan,
    );
    const speed = (name: string): number => mbPerSecond(size, timingOf(t, name).median);
    const spread = (...names: string[]): string =>
      names.map((n) => `${n} ±${(timingOf(t, n).spread * 50).toFixed(1)}%`).join(", ");
    const target = size >= TARGET_FROM ? ({ on: "ratio", op: ">=", limit: TARGET_RATIO } as const) : undefined;

    report.section(`Throughput, ${label} body (bundle ${bundle.length} bytes), 2 recipients`);
    report.info(`${plan.rounds} interleaved samples of ${plan.reps} op(s) each, medians; half-IQR: ${spread("raw-encrypt", "raw-decrypt", "seal", "open")}`);
    for (const [op, raw, rawIs] of [
      ["seal", "raw-encrypt", "raw AEAD encrypt"],
      ["open", "raw-decrypt", "raw AEAD decrypt"],
    ] as const) {
      const floor = `floor-${op}` as const;
      report.add({
        name: `${op}.${label}`,
        value: speed(op),
        unit: "MB/s",
        baseline: speed(raw),
        baselineIs: rawIs,
        better: "higher",
        target,
        note: `= ${((100 * speed(op)) / speed(floor)).toFixed(0)}% of the SHA-256 + AEAD floor below`,
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
