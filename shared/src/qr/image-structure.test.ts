/**
 * Hostile image files, built byte by byte: every one is refused with its code before the
 * decoder allocates what it asks for. The compression bombs come first, while this test
 * process's peak memory is still low, so the peak (maxRSS) shows what each one cost.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { constants, crc32, deflateRawSync, deflateSync } from "node:zlib";
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFolder } from "../../test-support/qr-fixtures.js";
import { AirlockError } from "../errors.js";
import { readImageHeader } from "./image-header.js";
import { decodeImage, readImageFile } from "./image-read.js";
import { MAX_JPEG_SCANS } from "./jpeg-structure.js";
import { MAX_PNG_CHUNKS } from "./png-structure.js";
import { scanQrPixels } from "./scan-pixels.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempFolder("hostile-images")));
afterAll(() => cleanup());

// ---- PNG builders -------------------------------------------------------------------------

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
function chunk(type: string, body: Uint8Array = new Uint8Array(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, tail]);
}
function ihdr(width: number, height: number, { depth = 8, colour = 0, compression = 0, interlace = 0 } = {}): Buffer {
  const body = Buffer.alloc(13);
  body.writeUInt32BE(width, 0);
  body.writeUInt32BE(height, 4);
  body.set([depth, colour, compression, 0, interlace], 8);
  return chunk("IHDR", body);
}
const IEND = chunk("IEND");
const png = (...chunks: Buffer[]): Buffer => Buffer.concat([SIGNATURE, ...chunks]);
/** An 8-bit grey image's rows (filter byte 0, then the pixels), deflated into one IDAT. */
function greyIdat(width: number, height: number): Buffer {
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let y = 0; y < height; y++) rows[y * (width + 1)] = 0;
  return chunk("IDAT", deflateSync(rows));
}
const goodPng = (): Buffer => png(ihdr(4, 3), greyIdat(4, 3), IEND);

/**
 * A zlib stream of `copies` × 16 MiB of zeros in about `copies` × 16 KiB (deflate's best ratio,
 * about 1000:1): one sync-flushed segment repeated, then an empty final block and the Adler-32
 * of that many zeros (a = 1, b = n mod 65521), so the stream is valid to its last byte.
 */
function zeroBomb(copies: number): Buffer {
  const piece = 16 << 20;
  const segment = deflateRawSync(Buffer.alloc(piece), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((((piece * copies) % 65521) << 16) | 1) >>> 0, 0);
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array<Buffer>(copies).fill(segment), Buffer.from([0x03, 0x00]), adler]);
}
/** IDAT chunks of 64 KiB, as an encoder would cut a long stream. */
function idatChunks(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length; at += 65536) out.push(chunk("IDAT", stream.subarray(at, at + 65536)));
  return out;
}

// ---- JPEG builders ------------------------------------------------------------------------

const segment = (marker: number, body: number[]): Buffer => Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body]);
const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);
const APP0 = segment(0xe0, [0, 0]);
/** A frame header: 8-bit, one component (id 1, sampling 1×1) unless given. */
const sof = (width: number, height: number, { marker = 0xc0, precision = 8, components = [[1, 0x11, 0]] } = {}): Buffer =>
  segment(marker, [precision, height >> 8, height & 0xff, width >> 8, width & 0xff, components.length, ...components.flat()]);
/** One scan of component 1 with one byte of entropy-coded data. */
const SCAN = Buffer.concat([segment(0xda, [1, 1, 0, 0, 0x3f, 0]), Buffer.from([0x00])]);
const jpeg = (...parts: Buffer[]): Buffer => Buffer.concat([SOI, APP0, ...parts, EOI]);

// ---- Measuring ----------------------------------------------------------------------------

const MIB = 1024 * 1024;
interface Cost {
  readonly code: string;
  readonly message: string;
  /** Growth of the process's peak resident memory (maxRSS), the one number a spike cannot hide from. */
  readonly peak: number;
  readonly arrayBuffers: number;
}
async function costOfReading(path: string): Promise<Cost> {
  const before = { peak: process.resourceUsage().maxRSS * 1024, arrayBuffers: process.memoryUsage().arrayBuffers };
  let code = "decoded";
  let message = "";
  try {
    await readImageFile(path);
  } catch (e) {
    if (!(e instanceof AirlockError)) throw e;
    ({ code, message } = e);
  }
  return {
    code,
    message,
    peak: process.resourceUsage().maxRSS * 1024 - before.peak,
    arrayBuffers: process.memoryUsage().arrayBuffers - before.arrayBuffers,
  };
}

describe("compression bombs cost what the header declares, within the limits, and are refused", () => {
  it("a second IHDR declaring 30000×30000 behind a 100×100 one, over 1 MiB that inflates to 1 GiB", async () => {
    const bomb = zeroBomb(65); // 1.02 GiB of zeros in about 1 MiB
    const path = join(dir, "second-ihdr.png");
    await writeFile(path, png(ihdr(100, 100), ihdr(30_000, 30_000), ...idatChunks(bomb), IEND));
    const cost = await costOfReading(path);
    expect(cost).toMatchObject({ code: "IMAGE_CORRUPT", message: expect.stringMatching(/second header \(IHDR\)/) as unknown });
    expect(cost.peak).toBeLessThan(200 * MIB);
    expect(cost.arrayBuffers).toBeLessThan(200 * MIB);
  });

  it("a plausible 1000×1000 header over image data that inflates to 1 GiB stops at the declared 1 MB", async () => {
    const path = join(dir, "bomb.png");
    await writeFile(path, png(ihdr(1000, 1000), ...idatChunks(zeroBomb(65)), IEND));
    const cost = await costOfReading(path);
    expect(cost).toMatchObject({ code: "IMAGE_CORRUPT", message: expect.stringMatching(/inflates to more than the 1001000 bytes its header declares/) as unknown });
    expect(cost.peak).toBeLessThan(200 * MIB);
    expect(cost.arrayBuffers).toBeLessThan(200 * MIB);
  });

  it("the same bomb as an interlaced image, whose inflate pngjs would not bound, is refused unread", async () => {
    const path = join(dir, "bomb-interlaced.png");
    await writeFile(path, png(ihdr(1000, 1000, { interlace: 1 }), ...idatChunks(zeroBomb(65)), IEND));
    const cost = await costOfReading(path);
    expect(cost.code).toBe("IMAGE_UNSUPPORTED");
    expect(cost.peak).toBeLessThan(200 * MIB);
  });
});

describe("PNG structure", () => {
  it("a hand-built PNG decodes, so the refusals below are about what each one breaks", () => {
    const image = decodeImage(goodPng(), "good.png");
    expect({ width: image.width, height: image.height, first: image.data[0] }).toEqual({ width: 4, height: 3, first: 0x80 });
  });

  const cases: [string, Buffer, string, RegExp][] = [
    ["a second IHDR after the image data", png(ihdr(4, 3), greyIdat(4, 3), ihdr(40_000, 40_000), IEND), "IMAGE_CORRUPT", /second header/],
    ["a first chunk that is not IHDR", png(chunk("tEXt", Buffer.from("a\0b")), ihdr(4, 3), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /first PNG chunk is tEXt/],
    ["no IHDR at all", png(greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /not IHDR/],
    ["an IHDR of the wrong length", png(chunk("IHDR", Buffer.alloc(12)), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /wrong length/],
    ["a zero width", png(ihdr(0, 3), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /zero width/],
    ["a width above 2³¹ − 1", png(ihdr(0x80000000, 1), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /above 2³¹/],
    ["RGB at 4 bits per sample", png(ihdr(4, 3, { colour: 2, depth: 4 }), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /colour type 2 with bit depth 4/],
    ["colour type 5", png(ihdr(4, 3, { colour: 5 }), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /colour type 5/],
    ["an unknown compression method", png(ihdr(4, 3, { compression: 1 }), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /unknown compression/],
    ["a palette image without a palette", png(ihdr(4, 3, { colour: 3 }), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /no palette/],
    ["a palette in a grey image", png(ihdr(4, 3), chunk("PLTE", Buffer.alloc(3)), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /greyscale/],
    ["a palette of 257 entries", png(ihdr(4, 3, { colour: 3 }), chunk("PLTE", Buffer.alloc(771)), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /invalid length/],
    ["transparency for an RGBA image", png(ihdr(4, 3, { colour: 6 }), chunk("tRNS", Buffer.alloc(2)), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /colour type/],
    ["IDATs split by another chunk", png(ihdr(4, 3), greyIdat(4, 3), chunk("tEXt", Buffer.from("a\0b")), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /separated/],
    ["no image data", png(ihdr(4, 3), IEND), "IMAGE_CORRUPT", /no image data/],
    ["a non-empty IEND", png(ihdr(4, 3), greyIdat(4, 3), chunk("IEND", Buffer.alloc(1))), "IMAGE_CORRUPT", /not empty/],
    ["bytes after IEND", Buffer.concat([goodPng(), Buffer.from("trailer")]), "IMAGE_CORRUPT", /7 bytes follow/],
    ["no IEND", png(ihdr(4, 3), greyIdat(4, 3)), "IMAGE_CORRUPT", /without an IEND/],
    ["a chunk type that is not letters", png(ihdr(4, 3), chunk("ID1T", Buffer.alloc(1)), greyIdat(4, 3), IEND), "IMAGE_CORRUPT", /invalid type/],
    ["an unknown critical chunk", png(ihdr(4, 3), chunk("ZZZZ"), greyIdat(4, 3), IEND), "IMAGE_UNSUPPORTED", /critical chunk ZZZZ/],
    ["image data that inflates short of the declared size", png(ihdr(4, 3), chunk("IDAT", deflateSync(Buffer.alloc(10))), IEND), "IMAGE_CORRUPT", /inflates to 10 bytes, not the 15/],
    ["image data that is not zlib", png(ihdr(4, 3), chunk("IDAT", Buffer.from("not deflate")), IEND), "IMAGE_CORRUPT", /damaged/],
  ];
  it.each(cases)("%s is refused", (_, file, code, message) => {
    expect(() => decodeImage(file, "x.png")).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) as unknown }));
  });

  it("a chunk whose CRC does not match is refused, whichever chunk it is", () => {
    const good = goodPng();
    // Flip one bit in each chunk's body or type (not its length, which would be a truncation).
    for (const at of [8 + 4, 8 + 8 + 5, 33 + 8 + 2, good.length - 8]) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] as number) ^ 0x01;
      expect(() => decodeImage(bad, "x.png"), `bit flipped at byte ${at}`).toThrow(expect.objectContaining({ code: "IMAGE_CORRUPT" }));
    }
    const crc = Buffer.from(good);
    crc[33 + 8 + 1] = (crc[33 + 8 + 1] as number) ^ 0x80; // inside the IDAT body
    expect(() => decodeImage(crc, "x.png")).toThrow(expect.objectContaining({ message: expect.stringMatching(/IDAT chunk at byte 33 fails its CRC/) as unknown }));
  });

  it("a file cut anywhere is refused as corrupt", () => {
    const good = goodPng();
    for (let length = 8; length < good.length; length++) {
      expect(() => decodeImage(good.subarray(0, length), "cut.png"), `cut to ${length} bytes`).toThrow(expect.objectContaining({ code: "IMAGE_CORRUPT" }));
    }
    const overlong = Buffer.from(good);
    overlong.writeUInt32BE(0x7fffffff, 33); // the IDAT claims 2 GiB
    expect(() => decodeImage(overlong, "x.png")).toThrow(expect.objectContaining({ message: expect.stringMatching(/runs past the end/) as unknown }));
  });

  it(`more than ${MAX_PNG_CHUNKS} chunks are refused`, () => {
    const filler = chunk("tIME", Buffer.alloc(7));
    const many = png(ihdr(4, 3), ...Array<Buffer>(MAX_PNG_CHUNKS).fill(filler), greyIdat(4, 3), IEND);
    expect(() => decodeImage(many, "x.png")).toThrow(expect.objectContaining({ code: "IMAGE_CORRUPT", message: expect.stringMatching(/more than 65536 PNG chunks/) as unknown }));
  });

  it("a header within the pixel limit but beyond the decoding budget is refused before inflating", () => {
    // 25 megapixels of 16-bit RGBA: pngjs holds 8 bytes a sample twice over, about 1 GiB.
    const deep = png(ihdr(5000, 5000, { colour: 6, depth: 16 }), greyIdat(4, 3), IEND);
    expect(readImageHeader(deep, "deep.png").decodeBytes).toBeGreaterThan(1024 * MIB);
    expect(() => decodeImage(deep, "deep.png")).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE", message: expect.stringMatching(/MiB, more than the 768 MiB allowed/) as unknown }));
    // 1 × 30 000 000: few pixels, but pngjs keeps an object per row.
    const tall = png(ihdr(1, 30_000_000), greyIdat(4, 3), IEND);
    expect(() => decodeImage(tall, "tall.png")).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
    // The same shape at 8-bit grey and a tenth of the rows fits.
    expect(readImageHeader(png(ihdr(2000, 2000), greyIdat(4, 3), IEND), "ok.png").decodeBytes).toBeLessThan(64 * MIB);
  });

  it("a PNG whose header claims 50 megapixels is IMAGE_TOO_LARGE, and the pixel limit can be lowered", () => {
    const big = png(ihdr(10_000, 5_000), greyIdat(4, 3), IEND);
    expect(readImageHeader(big, "x.png")).toMatchObject({ format: "png", width: 10_000, height: 5_000 });
    expect(() => decodeImage(big, "x.png")).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
    expect(() => decodeImage(goodPng(), "x.png", { maxPixels: 11 })).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
    expect(() => decodeImage(goodPng(), "x.png", { maxDecodeBytes: 100 })).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
    expect(() => decodeImage(goodPng(), "x.png", { maxFileBytes: 10 })).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
  });
});

describe("JPEG structure", () => {
  it("a progressive JPEG (libjpeg-turbo's 10-scan script, 4:2:0) of a QR code decodes and scans", () => {
    const file = readFileSync(new URL("testdata/qr-progressive.jpg", import.meta.url));
    expect(scanQrPixels(decodeImage(file, "qr-progressive.jpg"))).toBe("PROGRESSIVE JPEG");
  });

  const cases: [string, Buffer, string, RegExp][] = [
    ["a second frame header", jpeg(sof(16, 16), sof(60_000, 60_000), SCAN), "IMAGE_CORRUPT", /second frame header/],
    ["a frame header after the image data", jpeg(sof(16, 16), SCAN, sof(16, 16), SCAN), "IMAGE_CORRUPT", /second frame header/],
    ["a second, progressive frame header", jpeg(sof(16, 16), sof(16, 16, { marker: 0xc2 }), SCAN), "IMAGE_CORRUPT", /second frame header/],
    ["image data before the frame header", jpeg(SCAN, sof(16, 16)), "IMAGE_CORRUPT", /before the frame header/],
    ["no image data", jpeg(sof(16, 16)), "IMAGE_CORRUPT", /before any image data/],
    ["a lossless frame (SOF3)", jpeg(sof(16, 16, { marker: 0xc3 }), SCAN), "IMAGE_UNSUPPORTED", /lossless/],
    ["an arithmetic-coded frame (SOF9)", jpeg(sof(16, 16, { marker: 0xc9 }), SCAN), "IMAGE_UNSUPPORTED", /arithmetic/],
    ["12-bit samples", jpeg(sof(16, 16, { precision: 12 }), SCAN), "IMAGE_UNSUPPORTED", /12-bit/],
    ["a height deferred to DNL", jpeg(sof(16, 0), SCAN), "IMAGE_UNSUPPORTED", /DNL/],
    ["a zero width", jpeg(sof(0, 16), SCAN), "IMAGE_CORRUPT", /zero width/],
    ["two components", jpeg(sof(16, 16, { components: [[1, 0x11, 0], [2, 0x11, 0]] }), SCAN), "IMAGE_UNSUPPORTED", /2 colour components/],
    ["255 components", jpeg(sof(16, 16, { components: Array.from({ length: 255 }, (_, i) => [i, 0x11, 0]) }), SCAN), "IMAGE_UNSUPPORTED", /255 colour/],
    ["a sampling factor of 5", jpeg(sof(16, 16, { components: [[1, 0x51, 0]] }), SCAN), "IMAGE_CORRUPT", /sampling/],
    ["two components with one id", jpeg(sof(16, 16, { components: [[1, 0x11, 0], [1, 0x11, 0], [3, 0x11, 0]] }), SCAN), "IMAGE_CORRUPT", /share the id/],
    ["a scan of a component the frame lacks", jpeg(sof(16, 16), segment(0xda, [1, 9, 0, 0, 0x3f, 0]), Buffer.from([0])), "IMAGE_CORRUPT", /does not have/],
    ["a frame header of the wrong length", jpeg(segment(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11]), SCAN), "IMAGE_CORRUPT", /wrong length/],
    ["a restart marker outside image data", jpeg(sof(16, 16), Buffer.from([0xff, 0xd0]), SCAN), "IMAGE_CORRUPT", /out of place/],
    ["a second SOI", jpeg(SOI, sof(16, 16), SCAN), "IMAGE_CORRUPT", /out of place/],
    ["a reserved marker", jpeg(segment(0xf0, [0]), sof(16, 16), SCAN), "IMAGE_CORRUPT", /not a JPEG marker this reader knows/],
    ["a segment longer than the file", Buffer.concat([SOI, Buffer.from([0xff, 0xe1, 0xff, 0xff, 0])]), "IMAGE_CORRUPT", /runs past the end/],
    ["no end-of-image marker", Buffer.concat([SOI, sof(16, 16), SCAN]), "IMAGE_CORRUPT", /before the end-of-image marker/],
    [`${MAX_JPEG_SCANS + 1} scans`, jpeg(sof(16, 16, { marker: 0xc2 }), ...Array<Buffer>(MAX_JPEG_SCANS + 1).fill(SCAN)), "IMAGE_UNSUPPORTED", /more than 64 JPEG scans/],
  ];
  it.each(cases)("%s is refused", (_, file, code, message) => {
    expect(() => decodeImage(file, "x.jpg")).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) as unknown }));
  });

  it("a frame header claiming 65535×65535 is IMAGE_TOO_LARGE, and so is one within the pixel limit but beyond the decoding budget", () => {
    expect(readImageHeader(jpeg(sof(65535, 65535), SCAN), "x.jpg")).toMatchObject({ format: "jpeg", width: 65535, height: 65535 });
    expect(() => decodeImage(jpeg(sof(65535, 65535), SCAN), "x.jpg")).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
    // 36 megapixels of 4:4:4 colour: jpeg-js keeps an Int32Array per 8×8 block, 1.7 million of them.
    const colour = sof(6000, 6000, { components: [[1, 0x11, 0], [2, 0x11, 1], [3, 0x11, 1]] });
    expect(() => decodeImage(jpeg(colour, SCAN), "x.jpg")).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE", message: expect.stringMatching(/MiB/) as unknown }));
    // A 12-megapixel 4:2:0 phone photo fits.
    const phone = sof(4000, 3000, { components: [[1, 0x22, 0], [2, 0x11, 1], [3, 0x11, 1]] });
    expect(readImageHeader(jpeg(phone, SCAN), "x.jpg").decodeBytes).toBeLessThan(400 * MIB);
  });

  it("fill bytes before markers are skipped, and what follows EOI is ignored (a phone's second picture)", () => {
    const withFill = Buffer.concat([SOI, Buffer.from([0xff, 0xff]), APP0, sof(16, 16), SCAN, Buffer.from([0xff]), EOI, Buffer.from("trailing video")]);
    expect(readImageHeader(withFill, "x.jpg")).toMatchObject({ width: 16, height: 16 });
  });
});

it("random bytes behind a PNG or JPEG signature only ever raise AirlockError", () => {
  const prefixes = [SIGNATURE, SOI, goodPng().subarray(0, 33), Buffer.concat([SOI, APP0, sof(16, 16)])];
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 200, size: "max" }), (prefix, rest) => {
      try {
        decodeImage(Buffer.concat([prefix, rest]), "fuzz");
      } catch (e) {
        if (!(e instanceof AirlockError)) throw e;
      }
    }),
    { numRuns: runs(500) },
  );
});
