/**
 * What a courier's camera would capture of a vault's QR animation: from each bundle's folder of
 * frame PNGs (`airlock export --qr`), a seeded 20% of the frames are missed outright and every
 * other frame is degraded as a phone camera would (shrunk with area averaging, slightly rotated,
 * out of focus, sensor noise, JPEG compression), then written back as PNG files for
 * `airlock-courier ingest` to scan from pixels.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PNG } from "pngjs";
import { readImageFile } from "@airlock/shared";
import { cameraLike, seededRandom } from "../../../shared/test-support/degrade.js";

export interface Capture {
  /** One folder of captured images per bundle. */
  readonly folders: string[];
  /** Frames shown (PNG files written by the vault), frames captured, per bundle. */
  readonly shown: number;
  readonly captured: number;
}

/** Captures every bundle folder under `exportDir` into `outDir`, dropping `drop` of the frames. */
export async function captureQrExport(exportDir: string, outDir: string, seed: number, drop = 0.2): Promise<Capture> {
  const random = seededRandom(seed);
  const folders: string[] = [];
  let shown = 0;
  let captured = 0;
  const bundles = (await readdir(exportDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const bundle of bundles) {
    const frames = (await readdir(join(exportDir, bundle))).filter((n) => n.endsWith(".png")).sort();
    const keep = frames.filter(() => random() >= drop);
    // Exactly 20% (rounded) are lost: top up or trim the seeded choice so the loss is not luck.
    const target = frames.length - Math.round(frames.length * drop);
    while (keep.length > target) keep.splice(Math.floor(random() * keep.length), 1);
    for (const f of frames) if (keep.length < target && !keep.includes(f)) keep.push(f);
    const out = join(outDir, bundle);
    await mkdir(out, { recursive: true });
    for (const [i, name] of keep.entries()) {
      const image = await readImageFile(join(exportDir, bundle, name));
      const seen = cameraLike(image, {
        scale: 0.85 + random() * 0.3,
        rotation: (random() - 0.5) * 6,
        blur: 1,
        noise: 5,
        // jpeg-js needs ~100 ms a frame here, six times the rest together; every fourth frame
        // gets it, which keeps the suite's runtime modest and still mixes JPEG artefacts in.
        ...(i % 4 === 0 ? { jpegQuality: 75 } : {}),
        seed: Math.floor(random() * 2 ** 31),
      });
      const png = new PNG({ width: seen.width, height: seen.height });
      png.data = Buffer.from(seen.data.buffer, seen.data.byteOffset, seen.data.byteLength);
      await writeFile(join(out, name), PNG.sync.write(png));
    }
    folders.push(out);
    shown += frames.length;
    captured += keep.length;
  }
  return { folders, shown, captured };
}
