/** Images from the online side (QR photos, screenshots): header sniffing, then the full decode. */
import { createRequire } from "node:module";
import { decodeImage, readImageHeader } from "@airlock/shared";
import { FuzzInvariantError } from "../outcome.js";
import type { Target } from "../target.js";

const require = createRequire(import.meta.url);

interface PngLib {
  PNG: { sync: { write(png: { width: number; height: number; data: Buffer }, options?: Record<string, unknown>): Buffer } };
}
interface JpegLib {
  encode(image: { width: number; height: number; data: Buffer }, quality: number): { data: Buffer };
}

/** Small real images of each kind pngjs and jpeg-js write, with a pattern so filters and huffman tables vary. */
function imageSeeds(): Uint8Array[] {
  const png = require("pngjs") as PngLib;
  const jpeg = require("jpeg-js") as JpegLib;
  const rgba = (w: number, h: number): Buffer => Buffer.from(Array.from({ length: w * h * 4 }, (_, i) => ((i * 37) ^ (i >> 5)) & 0xff));
  const gray = (w: number, h: number): Buffer => Buffer.from(Array.from({ length: w * h }, (_, i) => (i % 7 === 0 ? 0 : 255)));
  const seeds: Uint8Array[] = [
    png.PNG.sync.write({ width: 9, height: 7, data: rgba(9, 7) }),
    png.PNG.sync.write({ width: 21, height: 21, data: gray(21, 21) }, { colorType: 0, inputColorType: 0, inputHasAlpha: false }),
    png.PNG.sync.write({ width: 5, height: 3, data: rgba(5, 3) }, { colorType: 2 }),
    png.PNG.sync.write({ width: 4, height: 4, data: rgba(4, 4) }, { colorType: 4 }),
    jpeg.encode({ width: 16, height: 16, data: rgba(16, 16) }, 50).data,
    jpeg.encode({ width: 9, height: 5, data: rgba(9, 5) }, 95).data,
  ];
  return seeds.map((b) => new Uint8Array(b));
}

export const image: Target = {
  name: "image",
  entry: "readImageHeader, then decodeImage (pngjs / jpeg-js) under a 512x512 pixel limit",
  codes: ["IMAGE_UNSUPPORTED", "IMAGE_CORRUPT", "IMAGE_TOO_LARGE"],
  maxInput: 16 * 1024,
  cbor: false,
  async create() {
    return {
      seeds: imageSeeds(),
      run(input) {
        const header = readImageHeader(input, "fuzz-image");
        if (!(header.width > 0 && header.height > 0)) throw new FuzzInvariantError("an accepted header has a zero dimension");
        const decoded = decodeImage(input, "fuzz-image", { maxPixels: 512 * 512 });
        if (decoded.data.length !== decoded.width * decoded.height * 4) throw new FuzzInvariantError("decoded pixels do not fill width x height x 4");
        if (decoded.width !== header.width || decoded.height !== header.height) throw new FuzzInvariantError("decoded size differs from the header's");
        return header.format;
      },
    };
  },
};
