/** Renderers: geometry, the typed errors, and that SVG, terminal and HTML carry exactly the symbol. */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alphanumericPayload, binaryPayload, tempFolder } from "../../test-support/qr-fixtures.js";
import { decodeImage } from "./image-read.js";
import { writeQrPngSequence } from "./png-sequence.js";
import { HTML_CSP, renderQrHtml } from "./render-html.js";
import { renderQrPng, renderQrRgba } from "./render-png.js";
import { renderQrSvg } from "./render-svg.js";
import { qrTerminalColumns, renderQrTerminal } from "./render-terminal.js";
import { terminalToImage } from "../../test-support/terminal.js";
import { scanQrPixels } from "./scan-pixels.js";
import { encodeQrMatrix } from "./symbol.js";

const V10M = { version: 10, level: "M" } as const;

describe("PNG", () => {
  it("is (17 + 4v + 2 × 4) × scale pixels square, with whole-pixel modules and a light quiet zone", () => {
    const payload = binaryPayload(200, 1);
    const png = PNG.sync.read(Buffer.from(renderQrPng(payload, { ...V10M, scale: 3 })));
    expect([png.width, png.height]).toEqual([(57 + 8) * 3, (57 + 8) * 3]);
    const matrix = encodeQrMatrix(payload, V10M);
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const row = Math.floor(y / 3) - 4;
        const col = Math.floor(x / 3) - 4;
        const inside = row >= 0 && col >= 0 && row < 57 && col < 57;
        const dark = inside && matrix.dark[row * 57 + col] === 1;
        if (png.data[(y * png.width + x) * 4] !== (dark ? 0 : 255)) throw new Error(`pixel ${x},${y} is wrong`);
      }
    }
  });

  it("refuses fractional scales, too dense payloads and characters outside the alphanumeric set", () => {
    expect(() => renderQrPng(binaryPayload(10, 1), { ...V10M, scale: 2.5 })).toThrow(expect.objectContaining({ code: "QR_BAD_SCALE" }));
    const tooDense = (() => {
      try {
        renderQrPng(binaryPayload(214, 1), { ...V10M, scale: 2 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(tooDense).toMatchObject({ code: "QR_TOO_DENSE", message: expect.stringContaining("213") as unknown });
    expect((tooDense as { hint?: string }).hint).toMatch(/higher QR version|lower error-correction/);
    expect(() => renderQrPng("lower case", { ...V10M, scale: 2 })).toThrow(expect.objectContaining({ code: "QR_NOT_ALPHANUMERIC" }));
    expect(() => renderQrPng(binaryPayload(10, 1), { version: 41, level: "M", scale: 2 })).toThrow(expect.objectContaining({ code: "QR_BAD_VERSION" }));
  });
});

/** Rebuilds the module matrix from the SVG path's horizontal runs. */
function svgModules(svg: string, size: number, margin: number): Uint8Array {
  const dark = new Uint8Array(size * size);
  const d = /<path[^>]* d="([^"]*)"/.exec(svg)?.[1] ?? "";
  for (const run of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, n] = [Number(run[1]) - margin, Number(run[2]) - margin, Number(run[3])];
    for (let i = 0; i < n; i++) dark[y * size + x + i] = 1;
  }
  return dark;
}

describe("SVG", () => {
  it("draws exactly the symbol's dark modules, with a viewBox in modules", () => {
    const payload = binaryPayload(300, 2);
    const svg = renderQrSvg(payload, { version: 15, level: "M" });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="340" height="340" viewBox="0 0 85 85"/);
    expect(svgModules(svg, 77, 4)).toEqual(encodeQrMatrix(payload, { version: 15, level: "M" }).dark);
  });
});


describe("terminal", () => {
  it("fits 80 columns at version 10 with a 2-module quiet zone, two module rows per line, and decodes", () => {
    const payload = binaryPayload(213, 3);
    const text = renderQrTerminal(payload, V10M);
    const lines = text.replace(/\n$/, "").split("\n");
    expect(qrTerminalColumns(10)).toBe(61);
    expect(lines).toHaveLength(Math.ceil(61 / 2));
    for (const line of lines) {
      expect([...line].length).toBe(61);
      expect([...line].length).toBeLessThanOrEqual(80);
      expect(line).toMatch(/^[▀▄█ ]+$/);
    }
    // The dark terminal background becomes the outer quiet zone, as on a real screen.
    const pixels = terminalToImage(text, 4);
    const framed = terminalToImage(text.split("\n").map((l) => (l === "" ? l : `  ${l}  `)).join("\n"), 4);
    const got = scanQrPixels(pixels) ?? scanQrPixels(framed);
    expect(got).toEqual(payload);
  });

  it("ink 'dark' draws the dark modules instead", () => {
    const light = renderQrTerminal("HELLO", { version: 1, level: "L" });
    const dark = renderQrTerminal("HELLO", { version: 1, level: "L", ink: "dark" });
    const flip: Record<string, string> = { "▀": "▄", "▄": "▀", "█": " ", " ": "█", "\n": "\n" };
    // Every cell is the complement, except the last line's lower half (below the symbol).
    const lines = (s: string): string[] => s.replace(/\n$/, "").split("\n");
    expect(lines(dark).slice(0, -1)).toEqual(lines(light).slice(0, -1).map((l) => [...l].map((c) => flip[c]).join("")));
  });
});

describe("HTML animation page", () => {
  const frames = [binaryPayload(150, 4), binaryPayload(213, 5), "AIRLOCK FRAME 3/3"];
  const html = renderQrHtml(frames, { ...V10M, title: "<Airlock & co>" });

  it("has the CSP, no URL of any kind, and defaults to 8 fps", () => {
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`);
    expect(HTML_CSP).toBe("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toContain("//");
    expect(html).not.toMatch(/\b(src|href|action)\s*=\s*["']?(?!data:)[a-z]/i);
    expect(html).toContain("var fps = 8;");
    expect(html).toContain("&#60;Airlock &#38; co&#62;");
    expect(html).not.toContain("<Airlock");
  });

  it("contains every frame, each decoding to its payload", () => {
    const embedded = [...html.matchAll(/^"([A-Za-z0-9_=-]+)",?$/gm)].map((m) => m[1] as string);
    expect(embedded).toHaveLength(frames.length);
    embedded.forEach((b64url, i) => {
      const png = Buffer.from(b64url.replace(/-/g, "+").replace(/_/g, "/"), "base64");
      expect(png).toEqual(Buffer.from(renderQrPng(frames[i] as Uint8Array | string, { ...V10M, scale: 4 })));
      expect(scanQrPixels(decodeImage(png, `frame ${i}`))).toEqual(frames[i]);
    });
  });

  it("refuses an empty animation and absurd rates", () => {
    expect(() => renderQrHtml([], V10M)).toThrow(expect.objectContaining({ code: "QR_BAD_FRAME_COUNT" }));
    expect(() => renderQrHtml(frames, { ...V10M, fps: 0 })).toThrow(expect.objectContaining({ code: "QR_BAD_RATE" }));
  });
});

describe("PNG sequence", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempFolder("seq")));
  afterAll(() => cleanup());

  it("writes frame-00001.png ... in order, and never leaves stale frames of a longer run", async () => {
    const first = await writeQrPngSequence(dir, [1, 2, 3].map((i) => alphanumericPayload(40, i)), { ...V10M, scale: 2 });
    expect(first.map((p) => p.slice(dir.length + 1))).toEqual(["frame-00001.png", "frame-00002.png", "frame-00003.png"]);
    await expect(writeQrPngSequence(dir, ["A"], { ...V10M, scale: 2 })).rejects.toMatchObject({ code: "QR_OUTPUT_NOT_EMPTY" });
    await writeFile(join(dir, "notes.txt"), "kept");
    await writeQrPngSequence(dir, ["ONLY ONE"], { ...V10M, scale: 2, overwrite: true });
    expect((await readdir(dir)).sort()).toEqual(["frame-00001.png", "notes.txt"]);
    expect(scanQrPixels(decodeImage(await readFile(join(dir, "frame-00001.png")), "frame"))).toBe("ONLY ONE");
  });

  it("renders RGBA identical to the PNG's pixels", () => {
    const payload = binaryPayload(100, 9);
    const rgba = renderQrRgba(payload, { ...V10M, scale: 2 });
    const png = decodeImage(renderQrPng(payload, { ...V10M, scale: 2 }), "png");
    expect(Buffer.from(png.data).equals(Buffer.from(rgba.data))).toBe(true);
  });
});
