/**
 * The QR and image libraries stay unloaded until something draws or reads a code: every CLI
 * start pays for what it loads (about 0.15 s for these four). Checked in a fresh process on the
 * built package, as the CLIs load it.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("../..", import.meta.url));

function loadedAfter(code: string): string[] {
  const script = `
    import { createRequire } from "node:module";
    const shared = await import("@airlock/shared");
    ${code}
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules\\/(jsqr|qrcode|pngjs|jpeg-js)\\//.test(k));
    console.log(JSON.stringify([...new Set(loaded.map((k) => k.match(/node_modules\\/([^/]+)\\//)[1]))].sort()));`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: here, encoding: "utf8" })) as string[];
}

describe("QR libraries load on first use", () => {
  it("importing @airlock/shared loads none of them", () => {
    expect(loadedAfter("")).toEqual([]);
  });

  it("drawing a QR code loads qrcode and pngjs, and reading it back loads jsqr", () => {
    const code = `
      const png = shared.renderQrPng(new Uint8Array([1, 2, 3]), { version: 5, level: "M", scale: 4 });
      if (png.length === 0) throw new Error("no PNG");`;
    expect(loadedAfter(code)).toEqual(expect.arrayContaining(["pngjs", "qrcode"]));
    const scan = `
      const img = shared.renderQrRgba(new Uint8Array([1, 2, 3]), { version: 5, level: "M", scale: 4 });
      const found = shared.scanQrPixels(img);
      if (!(found instanceof Uint8Array) || found.length !== 3) throw new Error("scan failed");`;
    expect(loadedAfter(scan)).toEqual(expect.arrayContaining(["jsqr", "qrcode"]));
  });
});
