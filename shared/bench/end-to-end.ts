/**
 * End-to-end QR throughput at a 10 and a 20 fps display, per preset: a sealed bundle is shown as
 * fountain frames, each as a 720p camera would capture it (cameraFrame720p: code 504 px,
 * rotated, blurred, noisy, JPEG 70); the receiver (the default decoder, ZXing) decodes whatever
 * frame is on screen when it is free, so a slow decode makes it miss frames, exactly as with a
 * live camera. The clock is simulated from the measured decode times: a frame is on screen for
 * 1/fps s; after each decode the receiver takes the frame showing at that moment (or waits for
 * the next one). receiveBundles runs on the same simulated clock, so its rate report (what the
 * CLIs print) is the one a person would see.
 * value = bundle bytes / simulated seconds to complete; baseline = an ideal receiver that
 * catches every frame (K frames at the display rate). Ratio = efficiency of the real scanner.
 * Not modelled: a camera frame that catches two codes mid-change (at 20 fps a 30 fps camera
 * still sees each code whole at least once), focus hunting, a hand that moves.
 */
import { ed25519KeyPair, PRESETS, sealBundle, x25519KeyPair } from "@airlock/bundle-format";
import type { QrDecoder } from "../src/qr/decoders/types.js";
import { renderQrRgba } from "../src/qr/render-png.js";
import { receiveBundles, type QrRateReport } from "../src/transfer/qr-receive.js";
import { qrTransfer } from "../src/transfer/qr-send.js";
import { cameraFrame720p, seededRandom } from "../test-support/degrade.js";
import { BENCH_PRESETS, type BenchFigure } from "./qr-scan.js";

const RATES = [10, 20] as const;

export async function benchEndToEnd(options: { quick: boolean; decoder: QrDecoder; log: (line: string) => void }): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const size = options.quick ? 4_000 : 20_000;
  const body = new Uint8Array(size - 400).map((_, i) => (i * 7) & 0xff);
  const bundle = sealBundle(body, { recipients: [x25519KeyPair().publicKey], sender: ed25519KeyPair(), mailboxTag: new Uint8Array(16) });
  for (const preset of BENCH_PRESETS) {
    const transfer = qrTransfer(bundle, { preset });
    const rnd = seededRandom(preset.length);
    const start = Math.floor(rnd() * transfer.blocks);
    // Frames are built on first use and kept: both display rates mostly see the same indices.
    const cache = new Map<number, ReturnType<typeof cameraFrame720p>>();
    const camera = (index: number): ReturnType<typeof cameraFrame720p> => {
      let image = cache.get(index);
      if (image === undefined) {
        const clean = renderQrRgba(transfer.payload(index), { ...PRESETS[preset], scale: 4 });
        image = cameraFrame720p(clean, 504, { rotation: (seededRandom(index)() - 0.5) * 8, seed: index });
        cache.set(index, image);
      }
      return image;
    };
    for (const fps of RATES) {
      let clock = 0;
      let decodes = 0;
      let done = false;
      const payloads = (function* () {
        while (!done && clock < 600) {
          const image = camera(start + Math.floor(clock * fps));
          const began = performance.now();
          const payload = options.decoder.decode(image, { upscale: false });
          const took = (performance.now() - began) / 1000;
          decodes++;
          // Busy for `took`; then the next frame boundary at or after that moment.
          clock = Math.max(clock + took, (Math.floor(clock * fps) + 1) / fps);
          yield payload;
        }
      })();
      let report: QrRateReport | undefined;
      for await (const received of receiveBundles(payloads, { limit: 1, clock: () => clock * 1000 })) {
        done = received.bytes.length === bundle.length;
        report = received.rate;
      }
      const ideal = bundle.length / (transfer.blocks / fps);
      const value = bundle.length / clock;
      const { version, level } = PRESETS[preset];
      figures.push({
        name: `qr-e2e.${preset}.${fps}fps`,
        value: Math.round(value),
        unit: "B/s",
        baseline: Math.round(ideal),
        ratio: Number((value / ideal).toFixed(3)),
        note: `v${version}-${level}, ${bundle.length}-byte bundle, K=${transfer.blocks} frames, ${decodes} decodes (${options.decoder.name}), ${clock.toFixed(2)} s simulated (ideal ${(transfer.blocks / fps).toFixed(2)} s)`,
      });
      if (report !== undefined) options.log(`${preset} at ${fps} fps: receiver says ${report.summary}`);
    }
  }
  return figures;
}
