/** Frame headers, base45 and the multi-transfer collector against hostile and damaged input. */
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { outcome } from "../../test-support/fixtures.js";
import { describe, expect, it } from "vitest";
import { base45Decode, base45Encode } from "./base45.js";
import { TransferCollector } from "./collector.js";
import { FountainDecoder } from "./decoder.js";
import { FountainEncoder } from "./encoder.js";
import { FrameError, type FrameErrorCode } from "./errors.js";
import { encodeFrame, FRAME_HEADER_LENGTH, MAX_BLOCKS, parseFrameHeader } from "./header.js";
import { fragmentLengthFor, frameCapacity, PRESETS } from "./presets.js";

const code = (action: () => unknown): FrameErrorCode | "ok" => outcome(action, FrameError);

const fragment = new Uint8Array(100);
const frameWith = (h: { blocks: number; messageLength: number; index?: number }): Uint8Array =>
  encodeFrame({ transferId: 7, index: h.index ?? 0, blocks: h.blocks, messageLength: h.messageLength, checksum: 0 }, fragment);

describe("frame header", () => {
  it("refuses, before any allocation, frames whose fields disagree or exceed the limit", () => {
    const limit = 1_000_000;
    expect(code(() => parseFrameHeader(frameWith({ blocks: 3, messageLength: 250 }), limit))).toBe("ok");
    expect(code(() => parseFrameHeader(frameWith({ blocks: 1, messageLength: 2 ** 32 - 1 }), limit))).toBe("FRAME_MALFORMED");
    expect(code(() => parseFrameHeader(frameWith({ blocks: 0, messageLength: 0 }), limit))).toBe("FRAME_MALFORMED");
    expect(code(() => parseFrameHeader(frameWith({ blocks: 4, messageLength: 250 }), limit))).toBe("FRAME_MALFORMED");
    expect(code(() => parseFrameHeader(frameWith({ blocks: MAX_BLOCKS + 1, messageLength: (MAX_BLOCKS + 1) * 100 }), 2 ** 32))).toBe("FRAME_MALFORMED");
    expect(code(() => parseFrameHeader(frameWith({ blocks: 4000, messageLength: 400_000 }), 300_000))).toBe("FRAME_TOO_LARGE");
  });

  it("names wrong markers, versions and short frames", () => {
    const ok = frameWith({ blocks: 1, messageLength: 100 });
    expect(code(() => parseFrameHeader(new Uint8Array(0), 1e6))).toBe("FRAME_MALFORMED");
    expect(code(() => parseFrameHeader(Uint8Array.from([0x68, ...ok.subarray(1)]), 1e6))).toBe("FRAME_MALFORMED");
    expect(code(() => parseFrameHeader(Uint8Array.from([0xa2, ...ok.subarray(1)]), 1e6))).toBe("FRAME_VERSION");
    expect(code(() => parseFrameHeader(ok.subarray(0, FRAME_HEADER_LENGTH), 1e6))).toBe("FRAME_MALFORMED");
  });

  it("random bytes only ever raise FrameError (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300, size: "max" }), (bytes) => {
        const c = code(() => new FountainDecoder().receive(bytes));
        expect(c === "ok" || c.startsWith("FRAME_")).toBe(true);
      }),
      { numRuns: runs(2000) },
    );
  });

  it("a damaged fragment is caught by the checksum when the transfer completes", () => {
    const msg = new Uint8Array(500).map((_, i) => i);
    const enc = new FountainEncoder(msg, { fragmentLength: 100 });
    const dec = new FountainDecoder();
    const first = enc.frame(0);
    first[FRAME_HEADER_LENGTH + 5]! ^= 1;
    dec.receive(first);
    for (let i = 1; i < 4; i++) dec.receive(enc.frame(i));
    expect(code(() => dec.receive(enc.frame(4)))).toBe("FRAME_CHECKSUM");
  });

  it("a frame that reuses a transfer id with other parameters is FRAME_MISMATCH", () => {
    const a = new FountainEncoder(new Uint8Array(500), { fragmentLength: 100, transferId: 9 });
    const b = new FountainEncoder(new Uint8Array(600), { fragmentLength: 100, transferId: 9 });
    const dec = new FountainDecoder();
    dec.receive(a.frame(0));
    expect(code(() => dec.receive(b.frame(1)))).toBe("FRAME_MISMATCH");
  });

  it("the encoder refuses messages beyond MAX_BLOCKS frames", () => {
    expect(() => new FountainEncoder(new Uint8Array(MAX_BLOCKS * 10 + 1), { fragmentLength: 10 })).toThrow(RangeError);
    expect(() => new FountainEncoder(new Uint8Array(0), { fragmentLength: 10 })).toThrow(RangeError);
  });
});

describe("base45 (RFC 9285)", () => {
  it("matches the RFC's examples", () => {
    const cases: [string, string][] = [["AB", "BB8"], ["Hello!!", "%69 VD92EX0"], ["base-45", "UJCLQE7W581"], ["ietf!", "QED8WEX0"]];
    for (const [plain, encoded] of cases) {
      expect(base45Encode(new TextEncoder().encode(plain))).toBe(encoded);
      expect(new TextDecoder().decode(base45Decode(encoded))).toBe(plain);
    }
  });

  it("round-trips any bytes and refuses invalid text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500, size: "max" }), (b) => {
        expect(base45Decode(base45Encode(b))).toEqual(b);
      }),
    );
    expect(code(() => base45Decode("GGW"))).toBe("FRAME_MALFORMED"); // 65535 < value
    expect(code(() => base45Decode("ab"))).toBe("FRAME_MALFORMED"); // lowercase is not in the alphabet
    expect(code(() => base45Decode("A"))).toBe("FRAME_MALFORMED");
    expect(code(() => base45Decode("Z:"))).toBe("FRAME_MALFORMED"); // 35 + 44*45 > 255
  });
});

describe("presets", () => {
  it("give the documented bytes per frame", () => {
    expect([frameCapacity(PRESETS.low, "binary"), frameCapacity(PRESETS.normal, "binary"), frameCapacity(PRESETS.high, "binary")]).toEqual([213, 412, 997]);
    expect([fragmentLengthFor(PRESETS.low, "binary"), fragmentLengthFor(PRESETS.normal, "binary"), fragmentLengthFor(PRESETS.high, "binary")]).toEqual([194, 393, 978]);
    expect([fragmentLengthFor(PRESETS.low, "base45"), fragmentLengthFor(PRESETS.normal, "base45"), fragmentLengthFor(PRESETS.high, "base45")]).toEqual([188, 381, 948]);
  });
});

describe("collector", () => {
  it("decodes interleaved transfers and reports bad frames without throwing", () => {
    const one = new FountainEncoder(new Uint8Array(450).fill(1), { fragmentLength: 100 });
    const two = new FountainEncoder(new Uint8Array(250).fill(2), { fragmentLength: 50 });
    const collector = new TransferCollector();
    const done: Uint8Array[] = [];
    for (let i = 0; done.length < 2 && i < 50; i++) {
      for (const frame of [one.frame(i + 3), two.frame(i), Uint8Array.of(1, 2, 3)]) {
        const r = collector.receive(frame);
        if (r.outcome === "rejected") expect(r.error.code).toBe("FRAME_MALFORMED");
        else if (r.message !== undefined) done.push(r.message);
      }
    }
    expect(done.map((m) => m[0]).sort()).toEqual([1, 2]);
    expect(collector.receive(one.frame(99)).outcome).toBe("complete");
  });
});
