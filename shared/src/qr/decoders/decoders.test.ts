/**
 * The three decoders on the same generated camera-like frames (test-support/screen-photo.ts):
 * every preset on the reference camera set, every degradation at `high` (v25-M, 4 px/module at
 * 504 px, where they differ most). One frame per cell, real pixels, byte-exact payloads; the
 * full measurement (several frames per cell, rates, all presets × all degradations) is the
 * benchmark (shared/bench/qr-scan.ts, docs/benchmarks.md). Then the fallback to jsqr.
 */
import { execFileSync } from "node:child_process";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PRESETS, type DensityPreset } from "@airlock/bundle-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryPayload, tempFolder } from "../../../test-support/qr-fixtures.js";
import { DEGRADATIONS, degradedFrame, type Degradation } from "../../../test-support/screen-photo.js";
import { qrCapacity } from "../capacity.js";
import { renderQrRgba } from "../render-png.js";
import { scanQrPixels } from "../scan-pixels.js";
import type { QrPayload, RgbaImage } from "../types.js";
import { prepareQrDecoder, requestedQrDecoder } from "./load.js";
import type { QrDecoder, QrDecoderName } from "./types.js";
import { zxingWasmPath } from "./zxing.js";

const decoders = {} as Record<QrDecoderName, QrDecoder>;
beforeAll(async () => {
  for (const name of ["zxing", "zbar", "jsqr"] as const) {
    const prepared = await prepareQrDecoder({ decoder: name });
    expect(prepared.fallbackReason).toBeUndefined();
    expect(prepared.decoder.name).toBe(name);
    decoders[name] = prepared.decoder;
  }
});

function sample(preset: DensityPreset, degradation: Degradation): { payload: Uint8Array; frame: RgbaImage } {
  const { version, level } = PRESETS[preset];
  const payload = binaryPayload(qrCapacity(version, level, "byte"), version);
  return { payload, frame: degradedFrame(renderQrRgba(payload, { version, level, scale: 4 }), degradation, 0) };
}

const exact = (got: QrPayload | undefined, payload: Uint8Array): boolean => got instanceof Uint8Array && Buffer.from(got).equals(payload);

describe("every preset, reference camera frame (504 px code in 720p, rotated, blur, noise, JPEG 70)", () => {
  for (const preset of ["low", "normal", "high", "dense"] as const) {
    it(`${preset}: zxing and zbar read it byte-exact${preset === "low" || preset === "normal" ? ", and so does jsqr" : ""}`, () => {
      const { payload, frame } = sample(preset, "camera");
      expect(exact(decoders.zxing.decode(frame, {}), payload)).toBe(true);
      expect(exact(decoders.zbar.decode(frame, {}), payload)).toBe(true);
      if (preset === "low" || preset === "normal") expect(exact(decoders.jsqr.decode(frame, {}), payload)).toBe(true);
    });
  }
});

describe("every degradation at high (v25-M)", () => {
  const read: Record<QrDecoderName, Degradation[]> = { zxing: [], zbar: [], jsqr: [] };
  for (const degradation of DEGRADATIONS) {
    it(`${degradation}: zxing reads it byte-exact`, () => {
      const { payload, frame } = sample("high", degradation);
      for (const name of ["zxing", "zbar", "jsqr"] as const) {
        // Live-camera options for jsqr (no 2× retry): its full retry costs seconds on a miss.
        if (exact(decoders[name].decode(frame, name === "jsqr" ? { upscale: false } : {}), payload)) read[name].push(degradation);
      }
      expect(read.zxing).toContain(degradation);
    });
  }

  it("zxing reads every set; each other decoder misses some of them (jsqr: low contrast; zbar: perspective)", () => {
    expect(read.zxing).toEqual([...DEGRADATIONS]);
    expect(read.jsqr).not.toContain("low-contrast");
    expect(read.zbar).not.toContain("perspective");
    expect(read.zbar.length).toBeLessThan(DEGRADATIONS.length);
    expect(read.jsqr.length).toBeLessThan(DEGRADATIONS.length);
  });
});

describe("payload types, every decoder", () => {
  it("byte mode comes back as the exact bytes (all 256 values, invalid UTF-8 included); alphanumeric mode as text", () => {
    const bytes = binaryPayload(400, 3);
    const binary = renderQrRgba(bytes, { version: 15, level: "M", scale: 4 });
    const text = renderQrRgba("AIRLOCK $%*+-./: 0123456789", { version: 5, level: "M", scale: 4 });
    for (const decoder of Object.values(decoders)) {
      expect(exact(decoder.decode(binary, {}), bytes), decoder.name).toBe(true);
      expect(decoder.decode(text, {}), decoder.name).toBe("AIRLOCK $%*+-./: 0123456789");
    }
  });

  it("a byte-mode code of alphanumeric-set characters only: jsqr says bytes, the wasm decoders say text", () => {
    const image = renderQrRgba(new TextEncoder().encode("HELLO 42"), { version: 3, level: "M", scale: 4 });
    expect(decoders.jsqr.decode(image, {})).toEqual(new TextEncoder().encode("HELLO 42"));
    expect(decoders.zxing.decode(image, {})).toBe("HELLO 42");
    expect(decoders.zbar.decode(image, {})).toBe("HELLO 42");
  });

  it("no code: undefined from each, also with inverted codes not looked for", () => {
    const blank: RgbaImage = { width: 320, height: 240, data: new Uint8ClampedArray(320 * 240 * 4).fill(200) };
    for (const decoder of Object.values(decoders)) {
      expect(decoder.decode(blank, {})).toBeUndefined();
      expect(decoder.decode(blank, { inverted: false })).toBeUndefined();
    }
  });
});

describe("falling back to jsqr", () => {
  let folder: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    folder = await tempFolder("zxing-wasm");
  });
  afterAll(() => folder.cleanup());
  const code = renderQrRgba(new Uint8Array([0xa1, 0, 1, 2, 255]), { version: 5, level: "M", scale: 4 });

  it("a missing .wasm: jsqr decodes, and the reason is kept", async () => {
    const prepared = await prepareQrDecoder({ decoder: "zxing", zxingWasmPath: join(folder.dir, "missing.wasm") });
    expect(prepared.decoder.name).toBe("jsqr");
    expect(prepared.requested).toBe("zxing");
    expect(prepared.fallbackReason).toMatch(/zxing could not load \(ENOENT.*using jsqr/);
    expect(scanQrPixels(code, { decoder: prepared.decoder })).toEqual(new Uint8Array([0xa1, 0, 1, 2, 255]));
  });

  it("an altered .wasm (one byte flipped) is refused before it is compiled: jsqr", async () => {
    const altered = join(folder.dir, "zxing_reader.wasm");
    await copyFile(zxingWasmPath(), altered);
    const binary = await readFile(altered);
    binary[binary.length >> 1] ^= 0x01;
    await writeFile(altered, binary);
    const prepared = await prepareQrDecoder({ decoder: "zxing", zxingWasmPath: altered });
    expect(prepared.decoder.name).toBe("jsqr");
    expect(prepared.fallbackReason).toMatch(/is not the zxing-wasm .* reader \(SHA-256/);
    expect(scanQrPixels(code, { decoder: prepared.decoder })).toEqual(new Uint8Array([0xa1, 0, 1, 2, 255]));
  });

  it("AIRLOCK_QR_DECODER picks the decoder; a wrong value is QR_BAD_DECODER", () => {
    expect(requestedQrDecoder({})).toBe("zxing");
    expect(requestedQrDecoder({ AIRLOCK_QR_DECODER: "jsqr" })).toBe("jsqr");
    expect(requestedQrDecoder({ AIRLOCK_QR_DECODER: "zbar" })).toBe("zbar");
    expect(() => requestedQrDecoder({ AIRLOCK_QR_DECODER: "quirc" })).toThrow(expect.objectContaining({ code: "QR_BAD_DECODER" }));
  });

  it("in a fresh process of the built package: zxing by default, jsqr when the environment asks", () => {
    const root = fileURLToPath(new URL("../../../..", import.meta.url));
    const script = `
      const shared = await import("@airlock/shared");
      const before = shared.currentQrDecoder().name;
      const prepared = await shared.prepareQrDecoder();
      const img = shared.renderQrRgba(new Uint8Array([0xa1, 7, 0x80]), { version: 5, level: "M", scale: 3 });
      console.log([before, prepared.decoder.name, Array.from(shared.scanQrPixels(img)).join("-")].join(" "));`;
    const run = (env: NodeJS.ProcessEnv): string =>
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8", env }).trim();
    const { AIRLOCK_QR_DECODER: _, ...env } = process.env;
    expect(run(env)).toBe("jsqr zxing 161-7-128");
    expect(run({ ...env, AIRLOCK_QR_DECODER: "jsqr" })).toBe("jsqr jsqr 161-7-128");
  });
});
