/**
 * Which camera conditions the scanner survives, with real pixels (test-support/degrade.ts) and
 * byte-exact payloads at full capacity. Measured over random payloads (3-4 each); the cases
 * below are the ones that decoded every time, pinned with fixed seeds.
 *
 * Tightly cropped code, rendered at `scale` px/module, default scanner options:
 * | condition                                        | scale 3 | scale 4 | scale 5 |
 * |--------------------------------------------------|---------|---------|---------|
 * | downscale to 60% (area)                          | fails   | decodes | decodes |
 * | rotation +4° / -3° (bilinear)                    | decodes | decodes | decodes |
 * | box blur radius 1                                | decodes | decodes | decodes |
 * | noise σ 12                                       | decodes | decodes | decodes |
 * | JPEG quality 70                                  | decodes | decodes | decodes |
 * | rotation 4° + blur 1 + noise 8 + JPEG 70         | decodes | decodes | decodes |
 * | the same after a 60% downscale                   | fails   | mostly fails | decodes |
 * (v10-M, v15-M, v25-M and v25-L alike.) Below ~2.5 px per module with blur, nothing decodes.
 * Without the 2× retry (upscale: false, a live camera's default) codes under ~3 px/module fail.
 *
 * 720p camera frame (code resized to `side` px, rotated 3-5°, in a grey 1280×720 frame, blur 1,
 * noise σ 6, JPEG 70):
 * - v10-M: decodes at 360, 504 and 640 px (5.5-9.8 px/module), also live and inverted.
 * - v15-M: decodes at 360, 504 and 640 px (4.2-7.5 px/module), also live and inverted.
 * - v25-M: with the 2× retry decodes at 504 px (4.0 px/module, 11 of 11) and 640 px (5.1,
 *   3 of 3); without it only 3 of 11 at 504 px and 7 of 11 at 640 px; inverted 0 of 3 at 504 px
 *   and 2 of 3 at 640 px; at 360 px (2.9 px/module) 1 of 3.
 * - Low contrast (modules 90 vs 140 grey, noise σ 2): never by default (the binarizer takes
 *   differences under 64 grey levels for noise); with `lowContrast: true` v10-M 10 of 11,
 *   v15-M 4 of 9, v25-M 0 of 9.
 */
import { describe, expect, it } from "vitest";
import { blur, cameraFrame720p, cameraLike, invert, jpegRoundTrip, resize, rotate, addNoise, type CameraConditions } from "../../test-support/degrade.js";
import { binaryPayload } from "../../test-support/qr-fixtures.js";
import { qrCapacity } from "./capacity.js";
import { renderQrRgba } from "./render-png.js";
import { scanQrPixels, type QrScanOptions } from "./scan-pixels.js";
import type { QrErrorCorrection, RgbaImage } from "./types.js";

function code(version: number, level: QrErrorCorrection, scale: number, seed: number): { payload: Uint8Array; image: RgbaImage } {
  const payload = binaryPayload(qrCapacity(version, level, "byte"), seed);
  return { payload, image: renderQrRgba(payload, { version, level, scale }) };
}

function expectDecodes(image: RgbaImage, payload: Uint8Array, options: QrScanOptions = {}): void {
  const got = scanQrPixels(image, options);
  expect(got).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(got as Uint8Array).equals(payload)).toBe(true);
}

describe("v10-M at 4 px/module, tightly cropped", () => {
  const { payload, image } = code(10, "M", 4, 1);
  const each: Array<[string, (img: RgbaImage) => RgbaImage]> = [
    ["downscaled to 60%", (img) => resize(img, 0.6)],
    ["rotated +4°", (img) => rotate(img, 4)],
    ["rotated -3°", (img) => rotate(img, -3)],
    ["blurred (box, radius 1)", (img) => blur(img, 1)],
    ["noisy (σ 12)", (img) => addNoise(img, 12, 7)],
    ["JPEG quality 70", (img) => jpegRoundTrip(img, 70)],
    ["inverted", (img) => invert(img)],
  ];
  for (const [name, degrade] of each) it(`decodes ${name}`, () => expectDecodes(degrade(image), payload));

  it("decodes rotation 4° + blur 1 + noise 8 + JPEG 70 together", () => {
    expectDecodes(cameraLike(image, { rotation: 4, blur: 1, noise: 8, jpegQuality: 70, seed: 3 }), payload);
  });
});

describe("the combination at every preset (rotation + blur + noise + JPEG, 4 px/module)", () => {
  const combo: CameraConditions = { rotation: -4, blur: 1, noise: 8, jpegQuality: 70, seed: 5 };
  for (const [version, level] of [[15, "M"], [25, "M"], [25, "L"]] as const) {
    it(`v${version}-${level}`, () => {
      const { payload, image } = code(version, level, 4, version);
      expectDecodes(cameraLike(image, combo), payload);
    });
  }
});

describe("720p camera-like frames", () => {
  it("v10-M, code 504 px (7.8 px/module): decodes, also without the 2× retry and inverted", () => {
    const { payload, image } = code(10, "M", 4, 11);
    const frame = cameraFrame720p(image, 504, { rotation: 4, seed: 1 });
    expect([frame.width, frame.height]).toEqual([1280, 720]);
    expectDecodes(frame, payload, { upscale: false });
    expectDecodes(cameraFrame720p(invert(image), 504, { rotation: -3.5, seed: 2 }), payload);
  });

  it("v15-M, code 360 px (4.2 px/module): decodes without the 2× retry", () => {
    const { payload, image } = code(15, "M", 4, 12);
    expectDecodes(cameraFrame720p(image, 360, { rotation: -4.5, seed: 3 }), payload, { upscale: false });
  });

  it("v25-M, code 504 px (4.0 px/module) and 640 px (5.1 px/module): decodes with the 2× retry", () => {
    const { payload, image } = code(25, "M", 4, 13);
    expectDecodes(cameraFrame720p(image, 640, { rotation: 3, seed: 4 }), payload);
    expectDecodes(cameraFrame720p(image, 504, { rotation: -3, seed: 5 }), payload);
  });

  it("a low-contrast code (90 vs 140 grey) needs the lowContrast attempt", () => {
    const { payload, image } = code(10, "M", 4, 15);
    const data = new Uint8ClampedArray(image.data);
    for (let i = 0; i < data.length; i += 4) data.fill(data[i] === 0 ? 90 : 140, i, i + 3);
    const frame = cameraLike({ ...image, data }, { side: 504, rotation: 3.8, frame: true, blur: 1, noise: 2, jpegQuality: 70, seed: 1 });
    expect(scanQrPixels(frame)).toBeUndefined();
    expectDecodes(frame, payload, { lowContrast: true });
  });
});
