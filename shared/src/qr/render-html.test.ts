/**
 * The HTML player's live controls: its own script run against a small stand-in for the DOM
 * (node:vm), driven by the keys a person presses, checked through the status line and the image
 * on stage; the frames of every density decode back to their payloads.
 */
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { binaryPayload } from "../../test-support/qr-fixtures.js";
import { decodeImage } from "./image-read.js";
import { renderQrHtml } from "./render-html.js";
import { scanQrPixels } from "./scan-pixels.js";

interface Element {
  id: string;
  textContent: string;
  disabled: boolean;
  style: Record<string, string>;
  onclick?: () => void;
  child?: { src: string };
  replaceChildren(child: { src: string }): void;
  clientWidth: number;
  clientHeight: number;
}

/** Runs the page's script; returns the key presser, the clock tick, and the state a person sees. */
function play(html: string): { key: (k: string) => void; click: (id: string) => void; status: () => string; shown: () => string; tick: (ms: number) => void } {
  const script = /<script>\n([\s\S]*)<\/script>/.exec(html)?.[1];
  if (script === undefined) throw new Error("no script");
  const elements = new Map<string, Element>();
  const element = (id: string): Element => {
    let e = elements.get(id);
    if (e === undefined) {
      e = { id, textContent: "", disabled: false, style: {}, clientWidth: 800, clientHeight: 600, replaceChildren(child) { this.child = child; } };
      elements.set(id, e);
    }
    return e;
  };
  let keydown: ((e: { key: string; preventDefault(): void }) => void) | undefined;
  let frame: ((now: number) => void) | undefined;
  class Image {
    src = "";
    alt = "";
    naturalWidth = 0;
    naturalHeight = 0;
    style: Record<string, string> = {};
    onload?: () => void;
  }
  const window = { devicePixelRatio: 1, addEventListener: () => undefined, requestAnimationFrame: (f: (now: number) => void) => { frame = f; } };
  const document = { getElementById: element, addEventListener: (_: string, f: typeof keydown) => { keydown = f; } };
  runInNewContext(script, { window, document, Image, Math, JSON });
  let now = 0;
  return {
    key: (k) => keydown?.({ key: k, preventDefault: () => undefined }),
    click: (id) => element(id).onclick?.(),
    status: () => element("status").textContent,
    shown: () => element("stage").child?.src ?? "",
    tick: (ms) => {
      for (let t = 0; t < ms; t += 10) frame?.((now += 10));
    },
  };
}

const pngOf = (src: string): Buffer => Buffer.from(src.replace(/^data:image\/png;base64,/, ""), "base64");

describe("HTML player: density and speed while playing", () => {
  const normal = [binaryPayload(412, 1), binaryPayload(412, 2)];
  const high = [binaryPayload(997, 3)];
  const low = [binaryPayload(213, 4), binaryPayload(213, 5), binaryPayload(213, 6)];
  const html = renderQrHtml(normal, {
    version: 15,
    level: "M",
    label: "normal",
    fps: 10,
    densities: [
      { label: "high", version: 25, level: "M", frames: high },
      { label: "low", version: 10, level: "M", frames: low },
    ],
  });

  it("starts at its own density; ] and [ switch denser and sparser, the buttons too, and stop at the ends", () => {
    const page = play(html);
    expect(page.status()).toBe("normal (v15-M) · frame 1 / 2 · pass 1 · 10 fps");
    expect(scanQrPixels(decodeImage(pngOf(page.shown()), "normal"))).toEqual(normal[0]);
    page.key("]");
    expect(page.status()).toBe("high (v25-M) · frame 1 / 1 · pass 1 · 10 fps");
    expect(scanQrPixels(decodeImage(pngOf(page.shown()), "high"))).toEqual(high[0]);
    page.key("]");
    expect(page.status()).toMatch(/^high /);
    page.click("sparser");
    page.key("[");
    expect(page.status()).toBe("low (v10-M) · frame 1 / 3 · pass 1 · 10 fps");
    page.key("[");
    expect(page.status()).toMatch(/^low /);
    page.tick(250);
    expect(page.status()).toMatch(/^low \(v10-M\) · frame 3 \/ 3 · pass 1 · 10 fps$/);
    expect(scanQrPixels(decodeImage(pngOf(page.shown()), "low"))).toEqual(low[2]);
  });

  it("- and + step the frame rate; space pauses", () => {
    const page = play(html);
    page.key("+");
    page.key("+");
    expect(page.status()).toMatch(/· 15 fps$/);
    page.key("-");
    expect(page.status()).toMatch(/· 12 fps$/);
    page.key(" ");
    expect(page.status()).toMatch(/· 12 fps · paused$/);
  });

  it("a page of one density has nothing to switch to, and still no URL of any kind", () => {
    const one = renderQrHtml(normal, { version: 15, level: "M" });
    const page = play(one);
    page.key("]");
    expect(page.status()).toBe("v15-M (v15-M) · frame 1 / 2 · pass 1 · 8 fps");
    for (const h of [one, html]) {
      expect(h).not.toContain("//");
      expect(h).not.toMatch(/https?:/i);
    }
  });

  it("refuses an empty density", () => {
    expect(() => renderQrHtml(normal, { version: 15, level: "M", densities: [{ label: "x", version: 10, level: "M", frames: [] }] })).toThrow(
      expect.objectContaining({ code: "QR_BAD_FRAME_COUNT" }),
    );
  });
});
