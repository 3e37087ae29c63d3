/**
 * QR transfer efficiency, side by side with @ngraveio/bc-ur (Blockchain Commons UR, the
 * animated-QR format of Keystone, Sparrow and SeedSigner), at equal QR version and
 * error-correction level:
 * - payload bytes per frame: ours in QR byte mode vs UR in alphanumeric mode (uppercase
 *   bytewords, how wallets show UR, and its densest QR form), each filling the same symbol;
 * - frames needed to decode from a random starting frame with 0/10/30% of frames lost,
 *   median and 99th percentile over the trials, and how many above K each needs.
 *
 * "Frames needed" depends only on K, the transfer id and which frames arrive (the coefficients
 * do not depend on the fragment bytes), so our trials run the real decoder on K one-byte
 * blocks; a sample is cross-checked at the real fragment size. UR trials use its real encoder
 * and decoder on the real payload.
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { UR, URDecoder, UREncoder } from "@ngraveio/bc-ur";
import { FountainDecoder, FountainEncoder } from "../src/frames/index.js";
import { alphanumericCapacity, fragmentLengthFor, frameCapacity, PRESETS, type DensityPreset } from "../src/frames/presets.js";
import type { Report } from "./report.js";
import { UrDecoderModel } from "./ur-model.js";

export interface FountainConfig {
  readonly sizes: readonly number[];
  readonly trials: number;
  readonly losses: readonly number[];
  readonly presets: readonly DensityPreset[];
  /** Preset for the frames-needed trials. */
  readonly trialPreset: DensityPreset;
  /** Trials per size (<= 20 KB) replayed on bc-ur's real decoder to validate the model. */
  readonly urRealChecks: number;
}

/** Seeded PRNG so a run is reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const payload = (size: number): Buffer => createHash("shake256", { outputLength: size }).update(`bench ${size}`).digest();

/** The largest UR fragment whose parts (uppercase, as shown in alphanumeric QR) all fit `capacity` characters. */
function urFragmentFor(message: Buffer, capacity: number): number {
  const ur = UR.fromBuffer(message);
  const fits = (fragment: number): boolean => {
    // A part's length depends only on the fragment length and on how many digits (and CBOR
    // bytes) its sequence number takes, so the first part and the last one a trial can reach
    // (start < 1.5K, then at most ~3K more) bound them all.
    const parts = new UREncoder(ur, fragment, 0, 10).fragmentsLength;
    const last = new UREncoder(ur, fragment, 5 * parts + 8, 10).nextPart();
    return new UREncoder(ur, fragment, 0, 10).nextPart().length <= capacity && last.length <= capacity;
  };
  let lo = 10;
  let hi = capacity;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return new UREncoder(ur, lo, 0, 10).fragments[0]!.length;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Frames our receiver uses, starting at a random frame of [0, 1.5K), losing each with `loss`. */
function oursNeeded(k: number, loss: number, rnd: () => number, fragment = 1): number {
  const enc = new FountainEncoder(payload(k * fragment), { fragmentLength: fragment, transferId: Math.floor(rnd() * 2 ** 32) });
  const dec = new FountainDecoder();
  let used = 0;
  for (let i = Math.floor(rnd() * 1.5 * k); dec.message === undefined; i++) {
    if (rnd() < loss) continue;
    dec.receive(enc.frame(i));
    used++;
  }
  return used;
}

/** The real bc-ur encoder and decoder, starting at part `start + 1`, losing each part with `loss`. */
function urNeededReal(ur: UR, fragment: number, start: number, loss: number, rnd: () => number): number {
  const enc = new UREncoder(ur, fragment, start, 10);
  const dec = new URDecoder();
  let used = 0;
  while (!dec.isComplete()) {
    const part = enc.nextPart();
    if (rnd() < loss) continue;
    dec.receivePart(part);
    used++;
  }
  if (!dec.isSuccess()) throw new Error("bc-ur decode failed");
  return used;
}

/** The same trial on UrDecoderModel (index sets only; see ur-model.ts). */
function urNeededModel(seqLength: number, checksum: number, start: number, loss: number, rnd: () => number): number {
  const model = new UrDecoderModel(seqLength, checksum);
  let used = 0;
  for (let seq = start + 1; !model.complete; seq++) {
    if (rnd() < loss) continue;
    model.receive(seq);
    used++;
  }
  return used;
}

export function benchFountain(report: Report, config: FountainConfig): void {
  report.section("QR frames vs UR (@ngraveio/bc-ur): payload bytes per frame, same QR version and level");
  for (const preset of config.presets) {
    const settings = PRESETS[preset];
    const ours = fragmentLengthFor(settings, "binary");
    const capacityChars = alphanumericCapacity(settings);
    const ur = urFragmentFor(payload(20_000), capacityChars);
    report.add({
      name: `qr.bytes-per-frame.${preset}`,
      value: ours,
      unit: "B",
      baseline: ur,
      baselineIs: `UR alnum, v${settings.version}-${settings.level}`,
      better: "higher",
      target: { on: "ratio", op: ">=", limit: 1.3 },
      note: `ours: QR byte mode, ${ours} of ${frameCapacity(settings, "binary")} bytes after the 19-byte header; UR: ${ur}-byte fragments in ${capacityChars}-character alphanumeric parts`,
    });
  }

  const settings = PRESETS[config.trialPreset];
  const ourFragment = fragmentLengthFor(settings, "binary");
  const capacityChars = alphanumericCapacity(settings);
  report.section(`QR frames needed to decode, random start, ${config.trials} trials each, preset ${config.trialPreset} (v${settings.version}-${settings.level})`);
  for (const size of config.sizes) {
    const message = payload(size);
    const k = Math.ceil(size / ourFragment);
    const ur = UR.fromBuffer(message);
    const urFragment = urFragmentFor(message, capacityChars);
    const urEncoder = new UREncoder(ur, urFragment, 0, 10);
    const urLen = urEncoder.fragmentsLength;
    const urChecksum = crc32(urEncoder.cbor) >>> 0;
    // Cross-check: at the real fragment size our decoder needs exactly what the 1-byte model says.
    const check = lcg(size);
    const checkCopy = lcg(size);
    if (oursNeeded(k, 0.3, check, ourFragment) !== oursNeeded(k, 0.3, checkCopy, 1)) throw new Error("frames-needed model disagrees with the real decoder");
    // Cross-check the UR model against bc-ur's real decoder where that is affordable.
    const realChecks = size <= 20_000 ? config.urRealChecks : 0;
    for (let t = 0; t < realChecks; t++) {
      const seedA = lcg(size + t);
      const seedB = lcg(size + t);
      const start = Math.floor(seedA() * 1.5 * urLen);
      seedB();
      if (urNeededReal(ur, urFragment, start, 0.2, seedA) !== urNeededModel(urLen, urChecksum, start, 0.2, seedB)) {
        throw new Error("the UR decoder model disagrees with bc-ur's real decoder");
      }
    }
    for (const loss of config.losses) {
      const rnd = lcg(size * 1000 + loss * 100);
      const oursRuns: number[] = [];
      const urRuns: number[] = [];
      for (let t = 0; t < config.trials; t++) {
        oursRuns.push(oursNeeded(k, loss, rnd));
        urRuns.push(urNeededModel(urLen, urChecksum, Math.floor(rnd() * 1.5 * urLen), loss, rnd));
      }
      oursRuns.sort((a, b) => a - b);
      urRuns.sort((a, b) => a - b);
      const label = `${Math.round(size / 1000)}KB.loss${Math.round(loss * 100)}`;
      const p50 = quantile(oursRuns, 0.5);
      const p99 = quantile(oursRuns, 0.99);
      report.add({
        name: `qr.frames-p99.${label}`,
        value: p99,
        unit: "frames",
        baseline: quantile(urRuns, 0.99),
        baselineIs: `UR p99, K=${urLen}`,
        better: "lower",
        target: { on: "value", op: "<", limit: k + 3 },
        note: `ours K=${k}: median ${p50} (K+${p50 - k}), p99 ${p99} (K+${p99 - k}), max ${oursRuns.at(-1)}; UR K=${urLen}: median ${quantile(urRuns, 0.5)} (${(quantile(urRuns, 0.5) / urLen).toFixed(2)}K), p99 ${quantile(urRuns, 0.99)} (${(quantile(urRuns, 0.99) / urLen).toFixed(2)}K)`,
      });
      report.add({
        name: `qr.frames-median.${label}`,
        value: p50,
        unit: "frames",
        baseline: quantile(urRuns, 0.5),
        baselineIs: "UR median",
        better: "lower",
      });
    }
  }
}
