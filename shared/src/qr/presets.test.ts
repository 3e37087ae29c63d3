/**
 * The density presets (bundle-format/src/frames/presets.ts) against the encoder we ship: each
 * preset's frame fills its symbol exactly, and the frame counts docs/qr-frames.md quotes.
 */
import { describe, expect, it } from "vitest";
import { FRAME_HEADER_LENGTH, fragmentLengthFor, frameCapacity, PRESETS, SUPPORTED_VERSIONS, type DensityPreset } from "@airlock/bundle-format";
import { qrTransfer } from "../transfer/qr-send.js";
import { TERMINAL_STEPS } from "../transfer/terminal-fit.js";
import { qrCapacity } from "./capacity.js";
import { encodeQrMatrix } from "./symbol.js";
import { QR_LEVELS } from "./types.js";

const ALL = Object.keys(PRESETS) as DensityPreset[];

describe("density presets", () => {
  it("are low, normal, high and dense, each denser than the one before", () => {
    expect(ALL).toEqual(["low", "normal", "high", "dense"]);
    const sizes = ALL.map((p) => frameCapacity(PRESETS[p], "binary"));
    expect([...sizes].sort((a, b) => a - b)).toEqual(sizes);
    expect(PRESETS.dense).toEqual({ version: 30, level: "M" });
  });

  for (const preset of ALL) {
    it(`${preset}: a full frame is exactly one symbol of the preset's size, in both encodings`, () => {
      const { version, level } = PRESETS[preset];
      expect(frameCapacity(PRESETS[preset], "binary")).toBe(qrCapacity(version, level, "byte"));
      const transfer = qrTransfer(new Uint8Array(5000).fill(7), { preset, transferId: 1 });
      const frame = transfer.payload(0) as Uint8Array;
      expect(frame.length).toBe(qrCapacity(version, level, "byte"));
      expect(encodeQrMatrix(frame, { version, level }).size).toBe(17 + 4 * version);
      const text = qrTransfer(new Uint8Array(5000).fill(7), { preset, encoding: "base45", transferId: 1 }).payload(0) as string;
      expect(text.length).toBeLessThanOrEqual(qrCapacity(version, level, "alphanumeric"));
      expect(encodeQrMatrix(text, { version, level }).size).toBe(17 + 4 * version);
    });
  }

  it("bundle-format's capacity table matches the encoder at every version a transfer uses (presets and terminal steps), every level, both modes", () => {
    for (const step of TERMINAL_STEPS) expect(SUPPORTED_VERSIONS).toContain(step.version);
    for (const version of SUPPORTED_VERSIONS) {
      for (const level of QR_LEVELS) {
        expect(frameCapacity({ version, level }, "binary")).toBe(qrCapacity(version, level, "byte"));
        const text = qrTransfer(new Uint8Array(3000).fill(9), { settings: { version, level }, encoding: "base45", transferId: 1 }).payload(0) as string;
        expect(encodeQrMatrix(text, { version, level }).size).toBe(17 + 4 * version);
        // Base45 is the most bytes whose text fits: 3 characters per 2 bytes, 2 for a final odd one.
        const base45 = frameCapacity({ version, level }, "base45");
        const chars = (bytes: number): number => Math.floor(bytes / 2) * 3 + (bytes % 2) * 2;
        expect(text.length).toBe(chars(base45));
        expect(chars(base45 + 1)).toBeGreaterThan(qrCapacity(version, level, "alphanumeric"));
      }
    }
  });

  it("dense carries 1351 bytes a frame: a 20 KB bundle in 15 frames, 200 KiB in 152 (high: 210)", () => {
    expect(fragmentLengthFor(PRESETS.dense, "binary")).toBe(1370 - FRAME_HEADER_LENGTH);
    expect(fragmentLengthFor(PRESETS.dense, "base45")).toBe(1329 - FRAME_HEADER_LENGTH);
    expect(qrTransfer(new Uint8Array(20_000), { preset: "dense" }).blocks).toBe(15);
    expect(qrTransfer(new Uint8Array(200 * 1024), { preset: "dense" }).blocks).toBe(152);
    expect(qrTransfer(new Uint8Array(200 * 1024), { preset: "high" }).blocks).toBe(210);
  });
});
