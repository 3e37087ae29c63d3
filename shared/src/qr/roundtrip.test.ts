/**
 * Real pixels end to end: payloads rendered to PNG files at the transfer presets, read back from
 * the folder and decoded by jsqr, compared byte for byte. No mocks anywhere.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeJpeg } from "../../test-support/degrade.js";
import { alphanumericPayload, binaryPayload, firstDifference, tempFolder } from "../../test-support/qr-fixtures.js";
import { qrCapacity } from "./capacity.js";
import { decodeImage, readImageFile } from "./image-read.js";
import { writeQrPngSequence } from "./png-sequence.js";
import { renderQrPng, renderQrRgba } from "./render-png.js";
import { scanImageFolder } from "./scan-folder.js";
import { scanQrPixels } from "./scan-pixels.js";
import type { QrErrorCorrection, QrPayload } from "./types.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempFolder("roundtrip")));
afterAll(() => cleanup());

const PRESETS: ReadonlyArray<readonly [number, QrErrorCorrection]> = [
  [10, "M"],
  [10, "L"],
  [15, "M"],
  [15, "L"],
  [25, "M"],
  [25, "L"],
];

describe("PNG files → folder scan → exact payloads", () => {
  for (const [version, level] of PRESETS) {
    it(`v${version}-${level}: binary payloads (all 256 byte values) and alphanumeric ones, at 1, half and full capacity`, async () => {
      const bytes = qrCapacity(version, level, "byte");
      const chars = qrCapacity(version, level, "alphanumeric");
      const payloads: QrPayload[] = [
        binaryPayload(1, version),
        binaryPayload(Math.floor(bytes / 2), version + 1),
        binaryPayload(bytes, version + 2),
        alphanumericPayload(1, version),
        alphanumericPayload(chars, version + 3),
      ];
      const folder = join(dir, `v${version}-${level}`);
      await writeQrPngSequence(folder, payloads, { version, level, scale: 3 });
      const results = [];
      for await (const result of scanImageFolder(folder)) results.push(result);
      expect(results.map((r) => r.name)).toEqual(payloads.map((_, i) => `frame-0000${i + 1}.png`));
      results.forEach((result, i) => {
        const expected = payloads[i] as QrPayload;
        expect(result.error).toBeUndefined();
        if (typeof expected === "string") expect(result.payload).toBe(expected);
        else {
          expect(result.payload).toBeInstanceOf(Uint8Array);
          expect(firstDifference(result.payload as Uint8Array, expected)).toBeUndefined();
        }
      });
      expect(new Set((payloads[2] as Uint8Array).subarray(0, 256)).size).toBe(Math.min(256, bytes));
    });
  }

  it("random payloads of any length up to capacity survive (property, v10-M)", () => {
    const capacity = qrCapacity(10, "M", "byte");
    fc.assert(
      // From 1 byte: an empty code carries nothing, and ZXing reports none (docs/decisions.md #46).
      fc.property(fc.uint8Array({ minLength: 1, maxLength: capacity, size: "max" }), (payload) => {
        const got = scanQrPixels(renderQrRgba(payload, { version: 10, level: "M", scale: 2 }));
        expect(got).toBeInstanceOf(Uint8Array);
        expect(firstDifference(got as Uint8Array, payload)).toBeUndefined();
      }),
      { numRuns: runs(30) },
    );
  });
});

describe("other pictures of a code", () => {
  it("inverted (dark mode) PNGs decode", async () => {
    for (const [version, level] of [[10, "M"], [25, "L"]] as const) {
      const payload = binaryPayload(qrCapacity(version, level, "byte"), 40 + version);
      const path = join(dir, `inverted-v${version}.png`);
      await writeFile(path, renderQrPng(payload, { version, level, scale: 3, invert: true }));
      const image = await readImageFile(path);
      expect(image.data[0]).toBe(0); // the quiet zone is dark
      expect(scanQrPixels(image)).toEqual(payload);
    }
  });

  it("JPEG files decode", async () => {
    const payload = binaryPayload(412, 50);
    const rgba = renderQrRgba(payload, { version: 15, level: "M", scale: 4 });
    const path = join(dir, "photo.JPG");
    await writeFile(path, encodeJpeg(rgba, 70));
    expect(scanQrPixels(await readImageFile(path))).toEqual(payload);
  });

  it("large frames are downscaled before decoding and still decode (3965 px square, 61 px per module)", async () => {
    const payload = alphanumericPayload(100, 60);
    const png = renderQrPng(payload, { version: 10, level: "M", scale: 61 }); // 65 modules × 61 = 3965 px
    const path = join(dir, "big.png");
    await writeFile(path, png);
    const image = decodeImage(await readFile(path), "big.png");
    expect(image.width).toBe(3965);
    expect(scanQrPixels(image)).toBe(payload);
  });

  it("a picture without a code gives undefined", () => {
    const blank = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4).fill(255) };
    expect(scanQrPixels(blank)).toBeUndefined();
  });
});
