/**
 * Benchmark: how fast and how reliably jsqr (through scanQrPixels) reads QR frames as a 720p
 * camera would see them, for the three presets low (v10-M), normal (v15-M) and high (v25-M).
 *
 * For each preset, distinct full-capacity random payloads are rendered at scale 4 and then:
 * - baseline: the clean, tightly cropped PNG of each code (decoded from PNG once, untimed);
 * - camera: the same code resized to 504 px (70% of the frame height, so modules get fractional
 *   sizes: 7.8, 5.9 and 4.0 px), rotated ±3-5°, centred in a 1280×720 grey frame, box blur
 *   radius 1, noise σ 6, JPEG quality 70 (test-support/degrade.ts `cameraFrame720p`).
 * Figures (ratio = value / baseline, all measured in this run):
 * - `qr-scan.<preset>.720p`: frames/s decoded on camera frames with the default options (2×
 *   retry on), counting failed attempts too; baseline = frames/s on the clean PNGs. Lower
 *   ratio = camera conditions cost more.
 * - `qr-scan.<preset>.720p-live`: the same with `upscale: false`, as scanCamera runs by default.
 * - `qr-scan.<preset>.720p-success` and `.720p-live-success`: fraction of camera frames whose
 *   payload decodes byte-exact; baseline = the same fraction on the clean PNGs (1 when sane).
 * The degraded frames are built once, untimed; only scanQrPixels is timed.
 */
import { PNG } from "pngjs";
import { qrCapacity } from "../src/qr/capacity.js";
import { renderQrPng } from "../src/qr/render-png.js";
import { scanQrPixels, type QrScanOptions } from "../src/qr/scan-pixels.js";
import type { QrErrorCorrection, RgbaImage } from "../src/qr/types.js";
import { cameraFrame720p, seededRandom } from "../test-support/degrade.js";
import type { BenchFigure } from "../src/bench-figures.js";
export type { BenchFigure };


interface Preset {
  readonly name: string;
  readonly version: number;
  readonly level: QrErrorCorrection;
}

const PRESETS: readonly Preset[] = [
  { name: "low", version: 10, level: "M" },
  { name: "normal", version: 15, level: "M" },
  { name: "high", version: 25, level: "M" },
];

const SCALE = 4;
const CODE_SIDE = 504;

interface Sample {
  readonly payload: Uint8Array;
  readonly clean: RgbaImage;
  readonly camera: RgbaImage;
}

export async function benchQrScan(options: { quick: boolean }): Promise<BenchFigure[]> {
  const frames = options.quick ? 3 : 12;
  const rounds = options.quick ? 1 : 3;
  const figures: BenchFigure[] = [];
  for (const preset of PRESETS) {
    const samples = buildSamples(preset, frames);
    const label = `v${preset.version}-${preset.level}`;
    const clean = measure(samples, (s) => s.clean, {}, rounds);
    const camera = measure(samples, (s) => s.camera, {}, rounds);
    const live = measure(samples, (s) => s.camera, { upscale: false }, rounds);
    const pxPerModule = (CODE_SIDE / (17 + 4 * preset.version + 8)).toFixed(1);
    const conditions = `${frames} frames, code ${CODE_SIDE} px (${pxPerModule} px/module) rotated ±3-5°, blur 1, noise 6, JPEG 70, in 1280×720`;
    figures.push(
      figure(`qr-scan.${preset.name}.720p`, camera.rate, "frames/s", clean.rate, `${label}: ${conditions}; baseline: clean ${SCALE} px/module PNG`),
      figure(`qr-scan.${preset.name}.720p-success`, camera.success, "fraction", clean.success, `${label}: share of camera frames decoded byte-exact`),
      figure(`qr-scan.${preset.name}.720p-live`, live.rate, "frames/s", clean.rate, `${label}: as .720p without the 2× retry (scanCamera's default)`),
      figure(`qr-scan.${preset.name}.720p-live-success`, live.success, "fraction", clean.success, `${label}: share decoded without the 2× retry`),
    );
    // Let other work (and a runner's output) through between presets.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return figures;
}

function buildSamples(preset: Preset, count: number): Sample[] {
  const random = seededRandom(preset.version * 1000 + count);
  const capacity = qrCapacity(preset.version, preset.level, "byte");
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(capacity);
    for (let j = 0; j < capacity; j++) payload[j] = Math.floor(random() * 256);
    const png = PNG.sync.read(Buffer.from(renderQrPng(payload, { version: preset.version, level: preset.level, scale: SCALE })));
    const clean: RgbaImage = { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length) };
    const rotation = (3 + 2 * random()) * (i % 2 === 0 ? 1 : -1);
    samples.push({ payload, clean, camera: cameraFrame720p(clean, CODE_SIDE, { rotation, seed: i + 1 }) });
  }
  return samples;
}

/** Decodes every sample's image once per round; rate from the median round, success from the first. */
function measure(
  samples: readonly Sample[],
  pick: (s: Sample) => RgbaImage,
  scanOptions: QrScanOptions,
  rounds: number,
): { rate: number; success: number } {
  const times: number[] = [];
  let decoded = 0;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (const sample of samples) {
      const got = scanQrPixels(pick(sample), scanOptions);
      if (round === 0 && got instanceof Uint8Array && Buffer.from(got).equals(sample.payload)) decoded++;
    }
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  return { rate: samples.length / median, success: decoded / samples.length };
}

function figure(name: string, value: number, unit: string, baseline: number, note: string): BenchFigure {
  return { name, value, unit, baseline, ratio: baseline === 0 ? 0 : value / baseline, note };
}
