/**
 * A self-contained HTML page that plays a list of QR frames as an animation, for showing a
 * bundle from any browser (the vault's own, offline). Everything is inline: the frames are PNGs
 * in the script, there is no URL of any kind, and a Content-Security-Policy meta tag forbids
 * every fetch except data: images, so the page cannot reach the network even if it wanted to.
 *
 * The frames are stored base64url-encoded (-_ instead of +/) and turned back into data: URIs in
 * the browser, so the file contains no "//" at all: a reviewer can grep it for URLs and find none.
 *
 * Speed and density change while it plays: -/+ (or the buttons) step the frame rate, [ and ]
 * switch to a sparser or denser set of frames when the page holds more than one (`densities`:
 * the same bundle as other transfers, at other presets). A receiver keeps every transfer it has
 * started (up to 8), so frames caught before a switch still count if the user switches back.
 */
import { AirlockError } from "../errors.js";
import { renderQrPng, type QrImageOptions } from "./render-png.js";
import type { QrErrorCorrection, QrPayload } from "./types.js";

/** One more set of frames the page can switch to: the same message at another density. */
export interface QrHtmlDensity {
  /** Shown in the status line, e.g. "high". */
  readonly label: string;
  readonly version: number;
  readonly level: QrErrorCorrection;
  readonly frames: readonly QrPayload[];
}

export interface QrHtmlOptions extends Omit<QrImageOptions, "scale"> {
  /** Pixels per module in the embedded PNGs (default 4); the page zooms by whole device pixels. */
  readonly scale?: number;
  /** Initial frames per second (default 8, 1-30); the page has slower/faster controls. */
  readonly fps?: number;
  /** Page title (default "Airlock QR transfer"). */
  readonly title?: string;
  /** Label of `frames`' density in the status line (default "v<version>-<level>"). */
  readonly label?: string;
  /** Other densities to switch to while playing ([ and ]); the page orders all sets by version. */
  readonly densities?: readonly QrHtmlDensity[];
}

export const MAX_HTML_FRAMES = 99_999;
/** The page stays well below what a browser (or a V8 string) holds comfortably. */
export const MAX_HTML_BYTES = 256 * 1024 * 1024;
/** The speeds (frames per second) the players step through: this page's -/+ and the terminal's ↑/↓ (transfer/qr-show.ts). */
export const FPS_STEPS: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 30];

export const HTML_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

export function renderQrHtml(frames: readonly QrPayload[], options: QrHtmlOptions): string {
  if (frames.length === 0 || frames.length > MAX_HTML_FRAMES) {
    throw new AirlockError("QR_BAD_FRAME_COUNT", `an animation needs 1 to ${MAX_HTML_FRAMES} frames, got ${frames.length}`, {
      hint: "Split the bundle into several transfers or use larger QR versions.",
    });
  }
  const fps = options.fps ?? 8;
  if (!Number.isFinite(fps) || fps < 1 || fps > 30) {
    throw new AirlockError("QR_BAD_RATE", `frame rate must be between 1 and 30 frames per second, got ${String(fps)}`, {
      hint: "8 fps suits most phone and laptop cameras; lower it if frames are missed.",
    });
  }
  const scale = options.scale ?? 4;
  const primary: QrHtmlDensity = { label: options.label ?? `v${options.version}-${options.level}`, version: options.version, level: options.level, frames };
  const sets = [primary, ...(options.densities ?? [])].sort((x, y) => x.version - y.version);
  const count = sets.reduce((n, d) => n + d.frames.length, 0);
  if (sets.some((d) => d.frames.length === 0) || count > MAX_HTML_FRAMES) {
    throw new AirlockError("QR_BAD_FRAME_COUNT", `an animation needs 1 to ${MAX_HTML_FRAMES} frames in all, got ${count}`, {
      hint: "Split the bundle into several transfers or use larger QR versions.",
    });
  }
  let total = 0;
  const encodedSets = sets.map((set) => {
    const imageOptions: QrImageOptions = { ...options, version: set.version, level: set.level, scale };
    const encoded: string[] = [];
    for (const frame of set.frames) {
      const png = base64UrlPadded(renderQrPng(frame, imageOptions));
      total += png.length + 4;
      if (total > MAX_HTML_BYTES) {
        throw new AirlockError("QR_HTML_TOO_LARGE", `the animation page would exceed ${MAX_HTML_BYTES / (1024 * 1024)} MiB`, {
          hint: "Use a smaller scale, fewer densities, or split the transfer into several pages.",
        });
      }
      encoded.push(png);
    }
    return `  { label: ${JSON.stringify(`${escapeHtml(set.label)} (v${set.version}-${set.level})`)}, frames: [\n${encoded.map((e) => `"${e}"`).join(",\n")}\n  ] }`;
  });
  const start = sets.indexOf(primary);
  const title = escapeHtml(options.title ?? "Airlock QR transfer");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
html, body { margin: 0; height: 100%; background: #fff; color: #222; font: 16px system-ui, sans-serif; }
body { display: flex; flex-direction: column; }
#bar { display: flex; gap: 0.5em; align-items: center; justify-content: center; flex-wrap: wrap; padding: 0.5em; background: #eee; }
#bar button { font: inherit; min-width: 3em; padding: 0.3em 0.8em; }
#status { font-variant-numeric: tabular-nums; min-width: 16em; text-align: center; }
#stage { flex: 1; display: flex; align-items: center; justify-content: center; overflow: hidden; }
#stage img { image-rendering: pixelated; image-rendering: crisp-edges; display: block; }
</style>
</head>
<body>
<div id="bar">
<button id="slower" type="button" title="slower (-)">&minus;</button>
<button id="toggle" type="button" title="pause or resume (space)">pause</button>
<button id="faster" type="button" title="faster (+)">+</button>
<button id="prev" type="button" title="previous frame, when paused (left arrow)">&larr;</button>
<button id="next" type="button" title="next frame, when paused (right arrow)">&rarr;</button>
<button id="sparser" type="button" title="sparser codes: fewer bytes a frame, easier to read ([)">sparser</button>
<button id="denser" type="button" title="denser codes: more bytes a frame (])">denser</button>
<span id="status"></span>
</div>
<div id="stage"><noscript>This page needs JavaScript to animate the QR codes.</noscript></div>
<script>
"use strict";
(function () {
  var SETS = [
${encodedSets.join(",\n")}
  ];
  var STEPS = ${JSON.stringify(FPS_STEPS)};
  var fps = ${JSON.stringify(fps)};
  var set = ${JSON.stringify(start)};
  var index = 0, pass = 1, playing = true, last = 0;
  var stage = document.getElementById("stage");
  var status = document.getElementById("status");
  var toggle = document.getElementById("toggle");
  var FRAMES, images;
  /* Images of a set are made when it is first shown: a page with four densities decodes one. */
  var made = SETS.map(function () { return null; });
  function useSet(i) {
    set = i;
    FRAMES = SETS[i].frames;
    if (!made[i]) {
      made[i] = FRAMES.map(function (f) {
        var im = new Image();
        im.alt = "QR code";
        im.src = "data:image/png;base64," + f.replace(/-/g, "+").replace(/_/g, "/");
        im.onload = function () { if (im === images[index]) fit(); };
        return im;
      });
    }
    images = made[i];
    index = 0;
    pass = 1;
    document.getElementById("sparser").disabled = i === 0;
    document.getElementById("denser").disabled = i === SETS.length - 1;
  }
  function density(dir) {
    var i = Math.max(0, Math.min(SETS.length - 1, set + dir));
    if (i === set) return;
    useSet(i);
    last = 0;
    show();
  }
  useSet(set);
  /* Zoom by a whole number of device pixels per image pixel, so module edges stay sharp. */
  function fit() {
    var im = images[index];
    var w = im.naturalWidth;
    if (!w) return;
    var dpr = window.devicePixelRatio || 1;
    var avail = Math.min(stage.clientWidth, stage.clientHeight) * 0.95 * dpr;
    var zoom = avail >= w ? Math.floor(avail / w) : avail / w;
    im.style.width = (w * zoom / dpr) + "px";
    im.style.height = (im.naturalHeight * zoom / dpr) + "px";
  }
  function show() {
    stage.replaceChildren(images[index]);
    fit();
    status.textContent = SETS[set].label + " \\u00b7 frame " + (index + 1) + " / " + FRAMES.length + " \\u00b7 pass " + pass + " \\u00b7 " + fps + " fps" + (playing ? "" : " \\u00b7 paused");
  }
  function step(delta) {
    index += delta;
    if (index >= FRAMES.length) { index = 0; pass += 1; }
    if (index < 0) { index = FRAMES.length - 1; }
    show();
  }
  function setPlaying(p) { playing = p; toggle.textContent = p ? "pause" : "resume"; last = 0; show(); }
  function speed(dir) {
    var i = STEPS.indexOf(fps);
    if (i < 0) { i = 0; while (i < STEPS.length - 1 && STEPS[i] < fps) i++; }
    fps = STEPS[Math.max(0, Math.min(STEPS.length - 1, i + dir))];
    show();
  }
  function tick(now) {
    if (playing) {
      var period = 1000 / fps;
      if (last === 0 || now - last > 4 * period) last = now;
      else if (now - last >= period) { last += period; step(1); }
    }
    window.requestAnimationFrame(tick);
  }
  toggle.onclick = function () { setPlaying(!playing); };
  document.getElementById("slower").onclick = function () { speed(-1); };
  document.getElementById("faster").onclick = function () { speed(1); };
  document.getElementById("prev").onclick = function () { setPlaying(false); step(-1); };
  document.getElementById("next").onclick = function () { setPlaying(false); step(1); };
  document.getElementById("sparser").onclick = function () { density(-1); };
  document.getElementById("denser").onclick = function () { density(1); };
  document.addEventListener("keydown", function (e) {
    if (e.key === " ") { setPlaying(!playing); e.preventDefault(); }
    else if (e.key === "+" || e.key === "=") speed(1);
    else if (e.key === "-") speed(-1);
    else if (e.key === "ArrowRight") { setPlaying(false); step(1); }
    else if (e.key === "ArrowLeft") { setPlaying(false); step(-1); }
    else if (e.key === "[") density(-1);
    else if (e.key === "]") density(1);
  });
  window.addEventListener("resize", fit);
  show();
  window.requestAnimationFrame(tick);
})();
</script>
</body>
</html>
`;
}

/** Standard base64 (with padding) but with the URL-safe alphabet, so no "/" ever appears. */
function base64UrlPadded(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
