/** Reading image files: sizes bounded before allocation, typed errors, folders without symlinks. */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeJpeg } from "../../test-support/degrade.js";
import { tempFolder } from "../../test-support/qr-fixtures.js";
import { AirlockError } from "../errors.js";
import { readImageHeader } from "./image-header.js";
import { decodeImage, readImageFile } from "./image-read.js";
import { renderQrPng, renderQrRgba } from "./render-png.js";
import { listImageFiles, scanImageFolder } from "./scan-folder.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempFolder("images")));
afterAll(() => cleanup());

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  let crc = 0xffffffff;
  for (const b of Buffer.concat([head.subarray(4), body])) crc = (crcTable[(crc ^ b) & 0xff] as number) ^ (crc >>> 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 0);
  return Buffer.concat([head, body, tail]);
}
/** A well-formed PNG header claiming width × height, with a tiny (wrong) IDAT: a decompression bomb's shape. */
function pngClaiming(width: number, height: number, interlace = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, interlace], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(100))),
    chunk("IEND", new Uint8Array(0)),
  ]);
}
/** SOI, an APP0 segment, a baseline SOF0 claiming width × height, one scan of one byte, EOI. */
function jpegClaiming(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  const sos = Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 0x3f, 0, 0x00]);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0]), sof, sos, Buffer.from([0xff, 0xd9])]);
}

describe("image size limits, checked from the header before any decoding", () => {
  it("a PNG whose header claims 50 megapixels is IMAGE_TOO_LARGE", () => {
    expect(readImageHeader(pngClaiming(10_000, 5_000), "x.png")).toMatchObject({ format: "png", width: 10_000, height: 5_000 });
    expect(() => decodeImage(pngClaiming(10_000, 5_000), "x.png")).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
  });

  it("a JPEG whose frame header claims 65535×65535 is IMAGE_TOO_LARGE", () => {
    expect(readImageHeader(jpegClaiming(65535, 65535), "x.jpg")).toMatchObject({ format: "jpeg", width: 65535, height: 65535 });
    expect(() => decodeImage(jpegClaiming(65535, 65535), "x.jpg")).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
  });

  it("the pixel and file-size limits can be lowered", async () => {
    const png = renderQrPng("LIMITS", { version: 1, level: "L", scale: 4 }); // 116×116
    const path = join(dir, "limits.png");
    await writeFile(path, png);
    await expect(readImageFile(path, { maxPixels: 100 * 100 })).rejects.toMatchObject({ code: "IMAGE_TOO_LARGE" });
    await expect(readImageFile(path, { maxFileBytes: png.length - 1 })).rejects.toMatchObject({
      code: "IMAGE_TOO_LARGE",
      hint: expect.stringContaining("smaller") as unknown,
    });
    expect((await readImageFile(path, { maxPixels: 116 * 116, maxFileBytes: png.length })).width).toBe(116);
  });

  it("interlaced PNGs are refused (their inflate has no output bound), other formats are unsupported", () => {
    expect(() => decodeImage(pngClaiming(100, 100, 1), "i.png")).toThrow(expect.objectContaining({ code: "IMAGE_UNSUPPORTED" }));
    expect(() => decodeImage(Buffer.from("GIF89a........"), "x.gif")).toThrow(expect.objectContaining({ code: "IMAGE_UNSUPPORTED" }));
  });

  it("truncated or damaged images are IMAGE_CORRUPT", () => {
    const png = Buffer.from(renderQrPng("DAMAGE", { version: 1, level: "L", scale: 2 }));
    expect(() => decodeImage(png.subarray(0, 20), "short.png")).toThrow(expect.objectContaining({ code: "IMAGE_CORRUPT" }));
    expect(() => decodeImage(png.subarray(0, png.length - 30), "cut.png")).toThrow(expect.objectContaining({ code: "IMAGE_CORRUPT" }));
    expect(() => decodeImage(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), "nosof.jpg")).toThrow(expect.objectContaining({ code: "IMAGE_CORRUPT" }));
  });

  it("random bytes behind a PNG or JPEG signature only ever raise AirlockError", () => {
    const prefixes = [pngClaiming(20, 20).subarray(0, 8), Buffer.from([0xff, 0xd8, 0xff]), pngClaiming(20, 20).subarray(0, 33)];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 200 }), (prefix, rest) => {
        try {
          decodeImage(Buffer.concat([prefix, rest]), "fuzz");
        } catch (e) {
          if (!(e instanceof AirlockError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("folders", () => {
  it("lists image files in natural order, skipping subfolders, symlinks and other files", async () => {
    const folder = join(dir, "shots");
    await mkdir(join(folder, "sub.png"), { recursive: true });
    const png = renderQrPng("SHOT", { version: 1, level: "L", scale: 2 });
    for (const name of ["IMG_10.png", "IMG_2.png", "IMG_1.jpeg", "notes.txt"]) await writeFile(join(folder, name), png);
    await symlink(join(folder, "IMG_2.png"), join(folder, "IMG_3.png"));
    await symlink("/etc/passwd", join(folder, "IMG_4.png"));
    expect(await listImageFiles(folder)).toEqual(["IMG_1.jpeg", "IMG_2.png", "IMG_10.png"]);
    await expect(listImageFiles(folder, 2)).rejects.toMatchObject({ code: "IMAGE_FOLDER_TOO_LARGE" });
    await expect(listImageFiles(join(dir, "missing"))).rejects.toMatchObject({ code: "IMAGE_FOLDER_NOT_FOUND" });
  });

  it("opening a symlink directly is refused", async () => {
    await expect(readImageFile(join(dir, "shots", "IMG_3.png"))).rejects.toMatchObject({ code: "IMAGE_NOT_A_FILE" });
    await expect(readImageFile(join(dir, "shots", "nothing.png"))).rejects.toMatchObject({ code: "IMAGE_NOT_FOUND" });
  });

  it("a folder scan reports unreadable files and goes on", async () => {
    const folder = join(dir, "mixed");
    await mkdir(folder);
    await writeFile(join(folder, "a.png"), renderQrPng("FIRST", { version: 2, level: "M", scale: 3 }));
    await writeFile(join(folder, "b.png"), Buffer.from("not a png at all"));
    await writeFile(join(folder, "c.jpg"), encodeJpeg(renderQrRgba(new Uint8Array([0, 1, 2, 255]), { version: 2, level: "M", scale: 4 }), 80));
    await writeFile(join(folder, "d.png"), renderQrPng("", { version: 1, level: "L", scale: 1 }).subarray(0, 0));
    const results = [];
    for await (const r of scanImageFolder(folder)) results.push({ name: r.name, payload: r.payload, error: r.error?.code });
    expect(results).toEqual([
      { name: "a.png", payload: "FIRST", error: undefined },
      { name: "b.png", payload: undefined, error: "IMAGE_UNSUPPORTED" },
      { name: "c.jpg", payload: new Uint8Array([0, 1, 2, 255]), error: undefined },
      { name: "d.png", payload: undefined, error: "IMAGE_UNSUPPORTED" },
    ]);
  });
});
