/**
 * Camera-like damage for RGBA images, in plain TypeScript so tests and benchmarks need nothing
 * native: resampling (area averaging, what a sensor does), slight rotation (bilinear), blur,
 * seeded noise, JPEG re-encoding, and placing a code inside a larger grey 720p frame. Every
 * function returns a new image and bounds its output size before allocating it.
 */
import jpeg from "jpeg-js";
import type { RgbaImage } from "../src/qr/types.js";

const MAX_PIXELS = 40_000_000;

function allocate(width: number, height: number): RgbaImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width * height > MAX_PIXELS) {
    throw new RangeError(`degraded image size ${width}×${height} is out of bounds`);
  }
  return { width, height, data: new Uint8ClampedArray(width * height * 4) };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same damage on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Resizes by `factor` (0.6 = to 60%) with area averaging: each output pixel is the exact
 * average of the source area it covers, including fractional pixels at its edges (separable).
 */
export function resize(image: RgbaImage, factor: number): RgbaImage {
  if (!(factor > 0 && factor <= 8)) throw new RangeError(`resize factor must be in (0, 8], got ${factor}`);
  const width = Math.max(1, Math.round(image.width * factor));
  const height = Math.max(1, Math.round(image.height * factor));
  return resizeTo(image, width, height);
}

export function resizeTo(image: RgbaImage, width: number, height: number): RgbaImage {
  const out = allocate(width, height);
  const hx = axisWeights(image.width, width);
  const hy = axisWeights(image.height, height);
  // Horizontal pass into floats, then vertical pass into the output.
  const mid = new Float32Array(width * image.height * 4);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < width; x++) {
      const taps = hx[x] as Tap[];
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (const t of taps) sum += t.weight * (image.data[(y * image.width + t.index) * 4 + c] as number);
        mid[(y * width + x) * 4 + c] = sum;
      }
    }
  }
  for (let y = 0; y < height; y++) {
    const taps = hy[y] as Tap[];
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (const t of taps) sum += t.weight * (mid[(t.index * width + x) * 4 + c] as number);
        out.data[(y * width + x) * 4 + c] = Math.round(sum);
      }
    }
  }
  return out;
}

interface Tap {
  readonly index: number;
  readonly weight: number;
}

/** Weights of the source pixels each destination pixel covers; upscaling falls back to bilinear. */
function axisWeights(src: number, dst: number): Tap[][] {
  const scale = src / dst;
  const taps: Tap[][] = [];
  for (let i = 0; i < dst; i++) {
    if (scale >= 1) {
      const start = i * scale;
      const end = start + scale;
      const row: Tap[] = [];
      for (let j = Math.floor(start); j < Math.min(src, Math.ceil(end)); j++) {
        const cover = Math.min(end, j + 1) - Math.max(start, j);
        if (cover > 0) row.push({ index: j, weight: cover / scale });
      }
      taps.push(row);
    } else {
      const center = (i + 0.5) * scale - 0.5;
      const j0 = Math.max(0, Math.min(src - 1, Math.floor(center)));
      const j1 = Math.min(src - 1, j0 + 1);
      const f = Math.max(0, Math.min(1, center - j0));
      taps.push(j0 === j1 ? [{ index: j0, weight: 1 }] : [{ index: j0, weight: 1 - f }, { index: j1, weight: f }]);
    }
  }
  return taps;
}

/**
 * Rotates by `degrees` about the centre with bilinear sampling. The canvas grows to hold the
 * rotated image; the uncovered corners are `background` grey, as a desk or wall would be.
 */
export function rotate(image: RgbaImage, degrees: number, background = 128): RgbaImage {
  if (!Number.isFinite(degrees) || Math.abs(degrees) > 45) throw new RangeError(`rotation must be within ±45°, got ${degrees}`);
  const rad = (degrees * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const width = Math.ceil(Math.abs(image.width * cos) + Math.abs(image.height * sin));
  const height = Math.ceil(Math.abs(image.width * sin) + Math.abs(image.height * cos));
  const out = allocate(width, height);
  const cxOut = width / 2;
  const cyOut = height / 2;
  const cxIn = image.width / 2;
  const cyIn = image.height / 2;
  const src = image.data;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Inverse mapping: where in the source does this output pixel centre come from?
      const dx = x + 0.5 - cxOut;
      const dy = y + 0.5 - cyOut;
      const sx = cos * dx + sin * dy + cxIn - 0.5;
      const sy = -sin * dx + cos * dy + cyIn - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        const bg = c === 3 ? 255 : background;
        const p = (xx: number, yy: number): number =>
          xx < 0 || yy < 0 || xx >= image.width || yy >= image.height ? bg : (src[(yy * image.width + xx) * 4 + c] as number);
        const top = p(x0, y0) * (1 - fx) + p(x0 + 1, y0) * fx;
        const bottom = p(x0, y0 + 1) * (1 - fx) + p(x0 + 1, y0 + 1) * fx;
        out.data[o + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

/** Box blur of the given radius (1 = 3×3), separable with running sums, edges clamped: a slightly defocused lens. */
export function blur(image: RgbaImage, radius = 1): RgbaImage {
  if (!Number.isInteger(radius) || radius < 0 || radius > 16) throw new RangeError(`blur radius must be an integer 0-16, got ${radius}`);
  const { width, height } = image;
  const n = 2 * radius + 1;
  const tmp = new Uint8ClampedArray(image.data.length);
  const out = new Uint8ClampedArray(image.data.length);
  // One pass along a line of `count` pixels starting at pixel `start`, `step` pixels apart.
  const line = (src: Uint8ClampedArray, dst: Uint8ClampedArray, start: number, step: number, count: number): void => {
    for (let c = 0; c < 4; c++) {
      const at = (k: number): number => src[(start + Math.min(count - 1, Math.max(0, k)) * step) * 4 + c] as number;
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += at(k);
      for (let k = 0; k < count; k++) {
        dst[(start + k * step) * 4 + c] = Math.round(sum / n);
        sum += at(k + radius + 1) - at(k - radius);
      }
    }
  };
  for (let y = 0; y < height; y++) line(image.data, tmp, y * width, 1, width);
  for (let x = 0; x < width; x++) line(tmp, out, x, width, height);
  return { width, height, data: out };
}

/**
 * Adds gaussian noise of standard deviation `sigma` (0-255 units), seeded. The same value is
 * added to R, G and B: luminance noise, the part a QR decoder sees.
 */
export function addNoise(image: RgbaImage, sigma: number, seed: number): RgbaImage {
  const random = seededRandom(seed);
  const data = new Uint8ClampedArray(image.data);
  for (let i = 0; i < data.length; i += 8) {
    // Box-Muller gives two independent normals per pair of uniforms; 1 - random() keeps log finite.
    const r = Math.sqrt(-2 * Math.log(1 - random())) * sigma;
    const theta = 2 * Math.PI * random();
    const g0 = r * Math.cos(theta);
    const g1 = r * Math.sin(theta);
    for (let c = 0; c < 3; c++) {
      data[i + c] = (data[i + c] as number) + g0;
      if (i + 4 < data.length) data[i + 4 + c] = (data[i + 4 + c] as number) + g1;
    }
  }
  return { width: image.width, height: image.height, data };
}

/** Encodes as JPEG at `quality` (1-100) and decodes again, as a phone or webcam pipeline would. */
export function jpegRoundTrip(image: RgbaImage, quality = 70): RgbaImage {
  const encoded = jpeg.encode({ width: image.width, height: image.height, data: image.data }, quality);
  const decoded = jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: true });
  return { width: decoded.width, height: decoded.height, data: new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length) };
}

/** The JPEG bytes themselves, for tests that write a .jpg file. */
export function encodeJpeg(image: RgbaImage, quality = 70): Uint8Array {
  const encoded = jpeg.encode({ width: image.width, height: image.height, data: image.data }, quality);
  return new Uint8Array(encoded.data.buffer, encoded.data.byteOffset, encoded.data.length);
}

/** Light modules become dark and back: a "dark mode" display. */
export function invert(image: RgbaImage): RgbaImage {
  const data = new Uint8ClampedArray(image.data);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = 255 - (data[i] as number);
    data[i + 1] = 255 - (data[i + 1] as number);
    data[i + 2] = 255 - (data[i + 2] as number);
  }
  return { width: image.width, height: image.height, data };
}

export interface FrameOptions {
  readonly width?: number;
  readonly height?: number;
  /** Grey level of the surroundings (default 128). */
  readonly background?: number;
  /** Top-left corner of the image in the frame (default: centred). */
  readonly x?: number;
  readonly y?: number;
}

/** Places `image` inside a larger frame (default 1280×720) on a grey background. */
export function placeInFrame(image: RgbaImage, options: FrameOptions = {}): RgbaImage {
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  if (image.width > width || image.height > height) {
    throw new RangeError(`a ${image.width}×${image.height} image does not fit a ${width}×${height} frame`);
  }
  const out = allocate(width, height);
  const bg = options.background ?? 128;
  for (let i = 0; i < out.data.length; i += 4) {
    out.data[i] = bg;
    out.data[i + 1] = bg;
    out.data[i + 2] = bg;
    out.data[i + 3] = 255;
  }
  const x0 = options.x ?? Math.floor((width - image.width) / 2);
  const y0 = options.y ?? Math.floor((height - image.height) / 2);
  if (x0 < 0 || y0 < 0 || x0 + image.width > width || y0 + image.height > height) throw new RangeError("image placed outside the frame");
  for (let y = 0; y < image.height; y++) {
    out.data.set(image.data.subarray(y * image.width * 4, (y + 1) * image.width * 4), ((y0 + y) * width + x0) * 4);
  }
  return out;
}

/**
 * A camera's view of a screen: each step optional, applied in this order: size (distance),
 * rotation (the phone is not held straight), placement in the frame, blur (focus), sensor
 * noise, JPEG compression.
 */
export interface CameraConditions {
  /** Resize factor of the code, area-averaged. */
  readonly scale?: number;
  /** Or: resize the (square) code to this many pixels per side. */
  readonly side?: number;
  /** Rotation in degrees. */
  readonly rotation?: number;
  /** Place into a frame of this size (default 1280×720 when `frame` is true). */
  readonly frame?: boolean | FrameOptions;
  /** Box-blur radius (focus). */
  readonly blur?: number;
  /** Gaussian noise sigma (sensor noise). */
  readonly noise?: number;
  /** JPEG quality of the camera's compression. */
  readonly jpegQuality?: number;
  readonly seed?: number;
}

export function cameraLike(image: RgbaImage, conditions: CameraConditions): RgbaImage {
  let out = image;
  if (conditions.side !== undefined) out = resizeTo(out, conditions.side, conditions.side);
  else if (conditions.scale !== undefined && conditions.scale !== 1) out = resize(out, conditions.scale);
  if (conditions.rotation !== undefined && conditions.rotation !== 0) out = rotate(out, conditions.rotation);
  let region: Region | undefined;
  if (conditions.frame !== undefined && conditions.frame !== false) {
    const options = conditions.frame === true ? {} : conditions.frame;
    const placed = placeInFrame(out, options);
    const x = options.x ?? Math.floor((placed.width - out.width) / 2);
    const y = options.y ?? Math.floor((placed.height - out.height) / 2);
    region = { x, y, width: out.width, height: out.height };
    out = placed;
  }
  if (conditions.blur !== undefined && conditions.blur > 0) out = blur(out, conditions.blur);
  if (conditions.noise !== undefined && conditions.noise > 0) out = addNoise(out, conditions.noise, conditions.seed ?? 1);
  if (conditions.jpegQuality !== undefined) {
    // jpeg-js needs ~0.7 s for a whole 720p frame; only the blocks around the code matter to a
    // decoder, and compressing them where they lie (on the same 16-px block grid) is the same.
    out = region === undefined ? jpegRoundTrip(out, conditions.jpegQuality) : jpegRoundTripRegion(out, conditions.jpegQuality, region);
  }
  return out;
}

export interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** JPEG-round-trips only `region` (grown to the 16-px block grid, plus one block of margin). */
export function jpegRoundTripRegion(image: RgbaImage, quality: number, region: Region): RgbaImage {
  const x0 = Math.max(0, (Math.floor(region.x / 16) - 1) * 16);
  const y0 = Math.max(0, (Math.floor(region.y / 16) - 1) * 16);
  const x1 = Math.min(image.width, (Math.ceil((region.x + region.width) / 16) + 1) * 16);
  const y1 = Math.min(image.height, (Math.ceil((region.y + region.height) / 16) + 1) * 16);
  const crop = allocate(x1 - x0, y1 - y0);
  for (let y = y0; y < y1; y++) crop.data.set(image.data.subarray((y * image.width + x0) * 4, (y * image.width + x1) * 4), (y - y0) * crop.width * 4);
  const compressed = jpegRoundTrip(crop, quality);
  const data = new Uint8ClampedArray(image.data);
  for (let y = y0; y < y1; y++) data.set(compressed.data.subarray((y - y0) * crop.width * 4, (y - y0 + 1) * crop.width * 4), (y * image.width + x0) * 4);
  return { width: image.width, height: image.height, data };
}

/**
 * The standard "720p camera-like frame" of the tests and the benchmark: the code resized to
 * `side` pixels (area-averaged, so modules get fractional sizes), rotated by `rotation`
 * degrees, centred in a 1280×720 grey frame, box blur radius 1, luminance noise σ = 6,
 * JPEG quality 70.
 */
export function cameraFrame720p(code: RgbaImage, side: number, options: { rotation?: number; seed?: number } = {}): RgbaImage {
  return cameraLike(code, { side, rotation: options.rotation ?? 4, frame: true, blur: 1, noise: 6, jpegQuality: 70, seed: options.seed ?? 1 });
}
