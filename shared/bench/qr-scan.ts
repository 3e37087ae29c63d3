/**
 * Benchmark: the three QR decoders (zxing-wasm, zbar-wasm, jsqr behind our binarizer, each as
 * scanQrPixels runs it with default options) on 720p camera-like frames, per degradation and
 * per preset (docs/decisions.md #46, docs/benchmarks.md "QR transfers").
 *
 * For each preset (low v10-M, normal v15-M, high v25-M, dense v30-M) and each degradation of
 * test-support/screen-photo.ts (camera, blur, tilt, perspective, JPEG 30, low contrast, glare,
 * downscaled, moiré), distinct full-capacity random payloads are rendered at 4 px/module and
 * degraded (untimed, built once). Only the decode is timed, failed attempts included.
 * Figures (ratio = value / baseline, all measured in this run):
 * - `qr-scan.<decoder>.<degradation>`: frames/s over every preset's frames of that set;
 *   baseline = jsqr on the same frames. For jsqr itself the baseline is jsqr on the clean PNGs.
 * - `qr-scan.<decoder>.<degradation>-success`: share decoded byte-exact; baseline = jsqr's share
 *   (for jsqr: its share on the clean PNGs, 1 when sane).
 * - `qr-scan.<decoder>.<preset>` and `...<preset>-success`: the same over every degradation of
 *   one preset.
 * The per-cell success matrix is printed too (not a figure): which decoder reads which preset
 * under which degradation.
 */
import { PRESETS, type DensityPreset } from "@airlock/bundle-format";
import { prepareQrDecoder } from "../src/qr/decoders/load.js";
import type { QrDecoder, QrDecoderName } from "../src/qr/decoders/types.js";
import { qrCapacity } from "../src/qr/capacity.js";
import { renderQrRgba } from "../src/qr/render-png.js";
import type { RgbaImage } from "../src/qr/types.js";
import { seededRandom } from "../test-support/degrade.js";
import { DEGRADATION_NOTES, DEGRADATIONS, degradedFrame, type Degradation } from "../test-support/screen-photo.js";
import type { BenchFigure } from "../src/bench-figures.js";
export type { BenchFigure };

export const BENCH_PRESETS: readonly DensityPreset[] = ["low", "normal", "high", "dense"];
const DECODERS: readonly QrDecoderName[] = ["zxing", "zbar", "jsqr"];

interface Sample {
  readonly preset: DensityPreset;
  readonly degradation: Degradation | "clean";
  readonly payload: Uint8Array;
  readonly image: RgbaImage;
}

interface Tally {
  seconds: number;
  frames: number;
  decoded: number;
}

/** Loads each decoder on its own (never the jsqr fallback: a decoder that does not load is an error here). */
export async function benchDecoders(): Promise<Record<QrDecoderName, QrDecoder>> {
  const out = {} as Record<QrDecoderName, QrDecoder>;
  for (const name of DECODERS) {
    const prepared = await prepareQrDecoder({ decoder: name });
    if (prepared.fallbackReason !== undefined) throw new Error(prepared.fallbackReason);
    out[name] = prepared.decoder;
  }
  return out;
}

export async function benchQrScan(options: { quick: boolean; log: (line: string) => void }): Promise<BenchFigure[]> {
  const perCell = options.quick ? 1 : 4;
  const decoders = await benchDecoders();
  const samples: Sample[] = [];
  for (const preset of BENCH_PRESETS) {
    const { version, level } = PRESETS[preset];
    const random = seededRandom(version * 1000 + perCell);
    const capacity = qrCapacity(version, level, "byte");
    for (let i = 0; i < perCell; i++) {
      const payload = new Uint8Array(capacity);
      for (let j = 0; j < capacity; j++) payload[j] = Math.floor(random() * 256);
      const clean = renderQrRgba(payload, { version, level, scale: 4 });
      samples.push({ preset, degradation: "clean", payload, image: clean });
      for (const degradation of DEGRADATIONS) samples.push({ preset, degradation, payload, image: degradedFrame(clean, degradation, i) });
      // Let other work (and a runner's output) through while frames are built.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  // tallies[decoder][preset][degradation]
  const tallies = new Map<string, Tally>();
  const key = (d: QrDecoderName, p: DensityPreset, g: Degradation | "clean"): string => `${d}/${p}/${g}`;
  for (const name of DECODERS) {
    for (const s of samples) {
      const start = performance.now();
      const got = decoders[name].decode(s.image, {});
      const seconds = (performance.now() - start) / 1000;
      const t = tallies.get(key(name, s.preset, s.degradation)) ?? { seconds: 0, frames: 0, decoded: 0 };
      t.seconds += seconds;
      t.frames++;
      if (got instanceof Uint8Array && Buffer.from(got).equals(s.payload)) t.decoded++;
      tallies.set(key(name, s.preset, s.degradation), t);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const sum = (name: QrDecoderName, presets: readonly DensityPreset[], sets: readonly (Degradation | "clean")[]): { rate: number; success: number } => {
    let seconds = 0;
    let frames = 0;
    let decoded = 0;
    for (const p of presets) {
      for (const g of sets) {
        const t = tallies.get(key(name, p, g));
        if (t === undefined) continue;
        seconds += t.seconds;
        frames += t.frames;
        decoded += t.decoded;
      }
    }
    return { rate: frames / seconds, success: decoded / frames };
  };

  options.log(`success per cell (decoded/frames), ${perCell} frame(s) each; columns: ${BENCH_PRESETS.map((p) => `${p} v${PRESETS[p].version}-${PRESETS[p].level}`).join(", ")}`);
  for (const g of DEGRADATIONS) {
    const cells = DECODERS.map((d) => `${d} ${BENCH_PRESETS.map((p) => tallies.get(key(d, p, g))?.decoded ?? 0).join("/")}`);
    options.log(`${g.padEnd(13)} ${cells.join("   ")}`);
  }

  const figures: BenchFigure[] = [];
  const cleanJsqr = sum("jsqr", BENCH_PRESETS, ["clean"]);
  const groups: Array<[string, readonly DensityPreset[], readonly Degradation[], string]> = [
    ...DEGRADATIONS.map((g): [string, readonly DensityPreset[], readonly Degradation[], string] => [g, BENCH_PRESETS, [g], `${DEGRADATION_NOTES[g]}; presets ${BENCH_PRESETS.join(", ")}`]),
    ...BENCH_PRESETS.map((p): [string, readonly DensityPreset[], readonly Degradation[], string] => [p, [p], DEGRADATIONS, `v${PRESETS[p].version}-${PRESETS[p].level} over all ${DEGRADATIONS.length} degradations`]),
  ];
  for (const [group, presets, sets, note] of groups) {
    const jsqr = sum("jsqr", presets, sets);
    for (const name of DECODERS) {
      const m = sum(name, presets, sets);
      const base = name === "jsqr" ? cleanJsqr : jsqr;
      const against = name === "jsqr" ? "baseline: jsqr on the clean PNGs" : "baseline: jsqr on the same frames";
      const frames = presets.length * sets.length * perCell;
      figures.push(
        figure(`qr-scan.${name}.${group}`, m.rate, "frames/s", base.rate, `${name}, ${frames} frames: ${note}; ${against}`),
        figure(`qr-scan.${name}.${group}-success`, m.success, "fraction", base.success, `${name}: share decoded byte-exact; ${against}`),
      );
    }
  }
  return figures;
}

function figure(name: string, value: number, unit: string, baseline: number, note: string): BenchFigure {
  return { name, value, unit, baseline, ratio: baseline === 0 ? 0 : value / baseline, note };
}
