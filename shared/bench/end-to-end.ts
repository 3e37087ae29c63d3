/**
 * End-to-end QR throughput at a 10 fps display: a 20 KB sealed bundle is shown as fountain
 * frames, each as a 720p camera would capture it (cameraFrame720p: rotated, blurred, noisy,
 * JPEG); the receiver decodes whatever frame is on screen when it is free, so a slow decode
 * makes it miss frames, exactly as with a live camera. The clock is simulated from the
 * measured decode times: a frame is on screen for 100 ms; after each decode the receiver
 * takes the frame showing at that moment (or waits for the next one).
 * value = bundle bytes / simulated seconds to complete; baseline = an ideal receiver that
 * catches every frame (K frames at 10 fps). Ratio = efficiency of the real scanner.
 */
import { ed25519KeyPair, PRESETS, sealBundle, x25519KeyPair, type DensityPreset } from "@airlock/bundle-format";
import { renderQrRgba } from "../src/qr/render-png.js";
import { scanQrPixels } from "../src/qr/scan-pixels.js";
import { receiveBundles } from "../src/transfer/qr-receive.js";
import { qrTransfer } from "../src/transfer/qr-send.js";
import { cameraFrame720p, seededRandom } from "../test-support/degrade.js";
import type { BenchFigure } from "./qr-scan.js";

const FPS = 10;

export async function benchEndToEnd(options: { quick: boolean }): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const size = options.quick ? 4_000 : 20_000;
  const body = new Uint8Array(size - 400).map((_, i) => (i * 7) & 0xff);
  const bundle = sealBundle(body, { recipients: [x25519KeyPair().publicKey], sender: ed25519KeyPair(), mailboxTag: new Uint8Array(16) });
  for (const preset of ["low", "normal", "high"] as DensityPreset[]) {
    const transfer = qrTransfer(bundle, { preset });
    const rnd = seededRandom(preset.length);
    const start = Math.floor(rnd() * transfer.blocks);
    const cache = new Map<number, ReturnType<typeof cameraFrame720p>>();
    const camera = (index: number): ReturnType<typeof cameraFrame720p> => {
      let image = cache.get(index);
      if (image === undefined) {
        const clean = renderQrRgba(transfer.payload(index), { ...PRESETS[preset], scale: 4 });
        image = cameraFrame720p(clean, 504, { rotation: (rnd() - 0.5) * 8, seed: index });
        cache.set(index, image);
      }
      return image;
    };
    let clock = 0;
    let decodes = 0;
    let done = false;
    const payloads = (function* () {
      while (!done && clock < 600) {
        const index = start + Math.floor(clock * FPS);
        const image = camera(index);
        const began = performance.now();
        const payload = scanQrPixels(image);
        const took = (performance.now() - began) / 1000;
        decodes++;
        // Busy for `took`; then the next frame boundary at or after that moment.
        clock = Math.max(clock + took, (Math.floor(clock * FPS) + 1) / FPS);
        yield payload;
      }
    })();
    for await (const received of receiveBundles(payloads, { limit: 1 })) {
      done = received.bytes.length === bundle.length;
    }
    const ideal = bundle.length / (transfer.blocks / FPS);
    const value = bundle.length / clock;
    figures.push({
      name: `qr-e2e.${preset}.10fps`,
      value: Math.round(value),
      unit: "B/s",
      baseline: Math.round(ideal),
      ratio: Number((value / ideal).toFixed(3)),
      note: `${bundle.length}-byte bundle, K=${transfer.blocks} frames, ${decodes} decode attempts, ${clock.toFixed(1)} s simulated (ideal ${(transfer.blocks / FPS).toFixed(1)} s)`,
    });
  }
  return figures;
}
