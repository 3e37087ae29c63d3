/**
 * Bundles across the air gap in real pixels: sealed bundle -> fountain frames -> PNG files ->
 * jsqr -> frames -> bundle, which must then open. Sizes from 2 KB to ~200 KB at each density,
 * 0/10/30% of the frames lost from a random starting frame, camera-like degradation, base45
 * mode, and a real video through ffmpeg.
 */
import { execFileSync } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBundle, PRESETS, type DensityPreset } from "@airlock/bundle-format";
import { sealTestBundle, testRecipient } from "../../test-support/bundles.js";
import { cameraLike, seededRandom } from "../../test-support/degrade.js";
import { binaryPayload, tempFolder } from "../../test-support/qr-fixtures.js";
import { readImageFile } from "../qr/image-read.js";
import { writeQrPngSequence } from "../qr/png-sequence.js";
import { renderQrRgba } from "../qr/render-png.js";
import { scanImageFolder } from "../qr/scan-folder.js";
import { scanQrPixels } from "../qr/scan-pixels.js";
import { scanVideo } from "../qr/scan-video.js";
import { receiveBundles } from "./qr-receive.js";
import { qrTransfer, writeBundleQrFolder } from "./qr-send.js";

const device = testRecipient;
const seal = (bodyLength: number, seed: number): Uint8Array => sealTestBundle(bodyLength, binaryPayload(bodyLength, seed));

let root: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => (root = await tempFolder("airlock-qr-transfer-")));
afterAll(async () => root.cleanup());

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

/** Writes the frames a receiver would see (from `start`, losing `loss` of them) as PNG files, then scans the folder. */
async function transferThroughFolder(bundle: Uint8Array, preset: DensityPreset, loss: number, seed: number, encoding: "binary" | "base45" = "binary") {
  const transfer = qrTransfer(bundle, { preset, encoding });
  const rnd = seededRandom(seed);
  const start = Math.floor(rnd() * transfer.blocks * 1.5);
  // Enough frames for the worst case: the receiver keeps watching until it has them all.
  const seen: ReturnType<typeof transfer.payload>[] = [];
  for (let i = start; seen.length < transfer.blocks + 4; i++) if (rnd() >= loss) seen.push(transfer.payload(i));
  const dir = join(root.dir, `${preset}-${loss}-${seed}-${encoding}`);
  await writeQrPngSequence(dir, seen, { version: transfer.settings.version, level: transfer.settings.level, scale: 3 });
  const payloads = (async function* () {
    for await (const r of scanImageFolder(dir)) yield r.payload;
  })();
  const received = await collect(receiveBundles(payloads, { limit: 1 }));
  await rm(dir, { recursive: true });
  return { received, blocks: transfer.blocks };
}

describe("QR transfer in real pixels", () => {
  const cases: [number, DensityPreset][] = [
    [2_000, "low"],
    [2_000, "normal"],
    [2_000, "high"],
    [20_000, "low"],
    [20_000, "normal"],
    [20_000, "high"],
    [200_000, "low"],
    [200_000, "normal"],
    [200_000, "high"],
  ];

  it.each(cases)("a ~%i-byte bundle at the %s preset crosses with 10 percent loss from a random start", async (size, preset) => {
    const bundle = seal(size, size);
    const { received } = await transferThroughFolder(bundle, preset, 0.1, size);
    expect(received).toHaveLength(1);
    expect(Buffer.compare(received[0]!.bytes, bundle)).toBe(0);
    expect(openBundle(received[0]!.bytes, { recipient: device }).bodyLength).toBe(size);
  });

  it.each([0, 0.1, 0.3])("loss %d: K frames of the transfer are enough, whatever was lost", async (loss) => {
    const bundle = seal(8_000, 7);
    const { received, blocks } = await transferThroughFolder(bundle, "normal", loss, 99);
    expect(received).toHaveLength(1);
    expect(received[0]!.frames).toBeLessThanOrEqual(blocks + 2);
  });

  it("base45 (alphanumeric) mode crosses too", async () => {
    const bundle = seal(3_000, 3);
    const { received } = await transferThroughFolder(bundle, "normal", 0.1, 5, "base45");
    expect(Buffer.compare(received[0]!.bytes, bundle)).toBe(0);
  });

  it("survives camera-like degradation (rotation, blur, noise, JPEG) at the low and normal presets", async () => {
    for (const preset of ["low", "normal"] as const) {
      const bundle = seal(1_500, preset === "low" ? 1 : 2);
      const transfer = qrTransfer(bundle, { preset });
      const rnd = seededRandom(preset.length);
      const payloads = (function* () {
        for (let i = 0; i < transfer.blocks + 8; i++) {
          const clean = renderQrRgba(transfer.payload(i), { version: transfer.settings.version, level: transfer.settings.level, scale: 4 });
          yield scanQrPixels(cameraLike(clean, { scale: 0.8, rotation: (rnd() - 0.5) * 6, blur: 1, noise: 8, jpegQuality: 70, frame: true, seed: i }));
        }
      })();
      const received = await collect(receiveBundles(payloads, { limit: 1 }));
      expect(received.map((r) => Buffer.compare(r.bytes, bundle))).toEqual([0]);
    }
  });

  it("a folder written by writeBundleQrFolder holds the loop and its HTML page, and scans back", async () => {
    const bundle = seal(4_000, 4);
    const dir = join(root.dir, "folder");
    const { transfer, files } = await writeBundleQrFolder(dir, bundle, { preset: "normal" });
    expect(files.filter((f) => f.endsWith(".png"))).toHaveLength(transfer.loop().length);
    expect((await readdir(dir)).includes("index.html")).toBe(true);
    const first = await readImageFile(files[0]!);
    expect(first.width).toBeGreaterThan(0);
    const payloads = (async function* () {
      for await (const r of scanImageFolder(dir)) yield r.payload;
    })();
    const received = await collect(receiveBundles(payloads));
    expect(received.map((r) => Buffer.compare(r.bytes, bundle))).toEqual([0]);
  });

  it("a video of the animation, read through ffmpeg, gives the bundle back", async () => {
    const bundle = seal(6_000, 6);
    const dir = join(root.dir, "video");
    await writeBundleQrFolder(dir, bundle, { preset: "normal", html: false });
    const video = join(dir, "transfer.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-framerate", "10", "-i", join(dir, "frame-%05d.png"), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", video]);
    const payloads = (async function* () {
      for await (const r of scanVideo(video)) yield r.payload;
    })();
    const received = await collect(receiveBundles(payloads, { limit: 1 }));
    expect(received.map((r) => Buffer.compare(r.bytes, bundle))).toEqual([0]);
  });

  it("a partial transfer of a bundle that then arrived whole at another density is not left in progress; another bundle's partial is", async () => {
    const bundle = seal(3_000, 9);
    const other = seal(2_500, 10);
    const normal = qrTransfer(bundle, { preset: "normal" });
    const high = normal.reencode(PRESETS.high);
    const stray = qrTransfer(other, { preset: "low" });
    // A player switched from normal to high after two frames; a second screen showed one frame of another bundle.
    const stream = [normal.payload(0), normal.payload(1), stray.payload(0), ...Array.from({ length: high.blocks }, (_, i) => high.payload(i))];
    const partials: number[][] = [];
    const generator = receiveBundles(stream, { onProgress: (_, stats) => partials.push(stats.inProgress.map((p) => p.messageLength ?? -1).sort((a, b) => a - b)) });
    const received: Uint8Array[] = [];
    let next = await generator.next();
    for (; next.done !== true; next = await generator.next()) received.push(next.value.bytes);
    expect(received.map((b) => Buffer.compare(b, bundle))).toEqual([0]);
    // While the bundle was still missing, its normal-density transfer was in progress.
    expect(partials[2]).toEqual([other.length, bundle.length].sort((a, b) => a - b));
    expect(next.value.inProgress.map((p) => p.messageLength)).toEqual([other.length]);
  });

  it("junk and foreign QR codes in the stream are counted, not fatal", async () => {
    const bundle = seal(1_000, 8);
    const transfer = qrTransfer(bundle, { preset: "low" });
    const stream = [Uint8Array.of(1, 2, 3), "HELLO WORLD", ...Array.from({ length: transfer.blocks }, (_, i) => transfer.payload(i))];
    const generator = receiveBundles(stream);
    const received = await collect(generator);
    expect(received).toHaveLength(1);
  });
});
