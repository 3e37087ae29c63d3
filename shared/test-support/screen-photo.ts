/**
 * A camera photographing a screen that shows a QR code, beyond what degrade.ts covers: the code
 * seen at an angle (a projective warp), the screen's pixel grid beating against the sensor's
 * (moiré), a reflection (glare) and a dim or washed-out screen (low contrast). Plus the named
 * degradation sets the decoder comparison (test and bench) runs on, each built from a real
 * rendered code and a seed, so every run sees the same pixels.
 */
import { addNoise, blur, cameraLike, jpegRoundTripRegion, seededRandom, type Region } from "./degrade.js";
import type { RgbaImage } from "../src/qr/types.js";

type Point = readonly [x: number, y: number];

/**
 * Where the corners of `image` (top-left, top-right, bottom-right, bottom-left) land in a
 * `width`×`height` grey frame; each output pixel is sampled bilinearly from the source through the
 * inverse homography. Sampling (not area-averaging) is what a sensor without a perfect optical
 * low-pass filter does, and is what makes a screen's pixel grid alias into moiré.
 */
export function warpIntoFrame(image: RgbaImage, corners: readonly [Point, Point, Point, Point], frame = { width: 1280, height: 720, background: 128 }): RgbaImage {
  const { width, height } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width * height > 40_000_000) {
    throw new RangeError(`frame ${width}×${height} is out of bounds`);
  }
  // Homography from output to source: solve for the one mapping the corners to the source's.
  const src: Point[] = [[0, 0], [image.width, 0], [image.width, image.height], [0, image.height]];
  const h = homography(corners, src);
  const out = new Uint8ClampedArray(width * height * 4);
  const data = image.data;
  const bg = frame.background;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const w = h[6] * px + h[7] * py + 1;
      const sx = (h[0] * px + h[1] * py + h[2]) / w - 0.5;
      const sy = (h[3] * px + h[4] * py + h[5]) / w - 0.5;
      const o = (y * width + x) * 4;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= image.width || y0 >= image.height) {
        out[o] = bg;
        out[o + 1] = bg;
        out[o + 2] = bg;
        out[o + 3] = 255;
        continue;
      }
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const p = (xx: number, yy: number): number => (xx < 0 || yy < 0 || xx >= image.width || yy >= image.height ? bg : (data[(yy * image.width + xx) * 4 + c] as number));
        const top = p(x0, y0) * (1 - fx) + p(x0 + 1, y0) * fx;
        const bottom = p(x0, y0 + 1) * (1 - fx) + p(x0 + 1, y0 + 1) * fx;
        out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
      out[o + 3] = 255;
    }
  }
  return { width, height, data: out };
}

/** The 8 coefficients of the homography taking `from[i]` to `to[i]` (h33 = 1), by Gaussian elimination. */
function homography(from: readonly Point[], to: readonly Point[]): number[] {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i];
    const [u, v] = to[i];
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const p = a[col][col];
    if (Math.abs(p) < 1e-12) throw new RangeError("degenerate quadrilateral");
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r][col] / p;
      for (let c = col; c < 9; c++) a[r][c] -= f * a[col][c];
    }
  }
  return a.map((row, i) => row[8] / row[i]);
}

/**
 * The code as a screen shows it up close: each image pixel becomes `sub`×`sub` sensor-scale
 * pixels whose last row and column are darkened by `gap` (0-1): the dark grid between an LCD's
 * pixels. Warped to a camera frame, that grid beats with the sensor's into moiré fringes.
 */
export function screenDoor(image: RgbaImage, sub = 3, gap = 0.45): RgbaImage {
  const width = image.width * sub;
  const height = image.height * sub;
  if (width * height > 40_000_000) throw new RangeError(`screen image ${width}×${height} is too large`);
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const edgeY = y % sub === sub - 1;
    for (let x = 0; x < width; x++) {
      const s = (Math.floor(y / sub) * image.width + Math.floor(x / sub)) * 4;
      const k = edgeY || x % sub === sub - 1 ? 1 - gap : 1;
      const o = (y * width + x) * 4;
      out[o] = (image.data[s] as number) * k;
      out[o + 1] = (image.data[s + 1] as number) * k;
      out[o + 2] = (image.data[s + 2] as number) * k;
      out[o + 3] = 255;
    }
  }
  return { width, height, data: out };
}

/** A reflection: brightens towards white around (cx, cy) with a gaussian falloff of `radius` px. */
export function glare(image: RgbaImage, cx: number, cy: number, radius: number, strength = 0.85): RgbaImage {
  const data = new Uint8ClampedArray(image.data);
  const r2 = 2 * radius * radius;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const g = strength * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / r2);
      if (g < 0.004) continue;
      const o = (y * image.width + x) * 4;
      for (let c = 0; c < 3; c++) data[o + c] = (data[o + c] as number) + (255 - (data[o + c] as number)) * g;
    }
  }
  return { width: image.width, height: image.height, data };
}

/** Maps black to `dark` and white to `light` (a dim screen, or one washed out by room light). */
export function lowContrast(image: RgbaImage, dark = 90, light = 150): RgbaImage {
  const data = new Uint8ClampedArray(image.data);
  const k = (light - dark) / 255;
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) data[i + c] = dark + (data[i + c] as number) * k;
  }
  return { width: image.width, height: image.height, data };
}

/** Blur 1, noise σ `noise`, JPEG `quality` around `region`: the capture steps every set shares. */
function capture(frame: RgbaImage, region: Region, seed: number, options: { blurRadius?: number; noise?: number; quality?: number } = {}): RgbaImage {
  let out = frame;
  const radius = options.blurRadius ?? 1;
  if (radius > 0) out = blur(out, radius);
  out = addNoise(out, options.noise ?? 6, seed);
  return jpegRoundTripRegion(out, options.quality ?? 70, region);
}

function regionOf(corners: readonly Point[]): Region {
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const x = Math.max(0, Math.floor(Math.min(...xs)));
  const y = Math.max(0, Math.floor(Math.min(...ys)));
  return { x, y, width: Math.min(1280, Math.ceil(Math.max(...xs))) - x, height: Math.min(720, Math.ceil(Math.max(...ys))) - y };
}

/** Corners of a `side`-px square centred in the 720p frame, rotated by `degrees`. */
function squareCorners(side: number, degrees: number): [Point, Point, Point, Point] {
  const rad = (degrees * Math.PI) / 180;
  const c = Math.cos(rad);
  const s = Math.sin(rad);
  const h = side / 2;
  const at = (x: number, y: number): Point => [640 + c * x - s * y, 360 + s * x + c * y];
  return [at(-h, -h), at(h, -h), at(h, h), at(-h, h)];
}

/** The degradations of the decoder comparison (docs/decisions.md #46). */
export const DEGRADATIONS = ["camera", "blur", "tilt", "perspective", "jpeg", "low-contrast", "glare", "downscaled", "moire"] as const;
export type Degradation = (typeof DEGRADATIONS)[number];

/** What each set is, for tables and test names. */
export const DEGRADATION_NOTES: Readonly<Record<Degradation, string>> = {
  camera: "code 504 px in 1280×720, rotated ±3-5°, blur 1, noise σ 6, JPEG 70 (the reference)",
  blur: "as camera, blur radius 2 (5×5 box: out of focus)",
  tilt: "as camera, rotated ±15-20°",
  perspective: "as camera, seen at an angle: far edge 72-78% of the near one, leaning sideways",
  jpeg: "as camera, JPEG quality 30",
  "low-contrast": "as camera on a dim screen: modules 90 vs 150 grey, noise σ 3",
  glare: "as camera, a reflection (gaussian, 85% towards white, σ 1/5 of the code) over one quarter",
  downscaled: "as camera, code 360 px (a farther camera or a 1080p capture scaled down)",
  moire: "the screen's pixel grid (3 sensor px per screen px, 45% dark gap) sampled at 504 px, rotated ±2°, noise σ 6, JPEG 70",
};

/**
 * `code` (a clean render at 4 px/module, quiet zone included) as a 720p camera frame under
 * `degradation`. `index` varies rotation direction and seeds, so a set of frames is not one frame
 * repeated.
 */
export function degradedFrame(code: RgbaImage, degradation: Degradation, index: number): RgbaImage {
  const random = seededRandom(1000 * (DEGRADATIONS.indexOf(degradation) + 1) + index);
  const sign = index % 2 === 0 ? 1 : -1;
  const seed = index + 1;
  const rotation = sign * (3 + 2 * random());
  const camera = (side: number, extra: { rotation?: number; blur?: number; noise?: number; jpegQuality?: number } = {}): RgbaImage =>
    cameraLike(code, { side, rotation, frame: true, blur: 1, noise: 6, jpegQuality: 70, seed, ...extra });
  switch (degradation) {
    case "camera":
      return camera(504);
    case "blur":
      return camera(504, { blur: 2 });
    case "tilt":
      return camera(504, { rotation: sign * (15 + 5 * random()) });
    case "jpeg":
      return camera(504, { jpegQuality: 30 });
    case "downscaled":
      return camera(360);
    case "low-contrast":
      return cameraLike(lowContrast(code), { side: 504, rotation, frame: true, blur: 1, noise: 3, jpegQuality: 70, seed });
    case "perspective": {
      const far = 0.72 + 0.06 * random();
      const lean = sign * 40;
      const h = 252;
      const corners: [Point, Point, Point, Point] = [
        [640 - h * far + lean, 360 - h * 0.9],
        [640 + h * far + lean, 360 - h * 0.9],
        [640 + h, 360 + h],
        [640 - h, 360 + h],
      ];
      return capture(warpIntoFrame(code, corners), regionOf(corners), seed);
    }
    case "glare": {
      const corners = squareCorners(504, rotation);
      const frame = warpIntoFrame(code, corners);
      const cx = 640 + sign * 126 * (0.6 + 0.4 * random());
      const cy = 360 + (random() < 0.5 ? -1 : 1) * 126 * (0.6 + 0.4 * random());
      return capture(glare(frame, cx, cy, 504 / 5), regionOf(corners), seed);
    }
    case "moire": {
      const corners = squareCorners(504, sign * (1 + random()));
      return capture(warpIntoFrame(screenDoor(code), corners), regionOf(corners), seed, { blurRadius: 0 });
    }
  }
}
