/**
 * A noise-tolerant binarizer run before jsqr, whose own binarizer fails on camera frames.
 *
 * jsqr (after ZXing's HybridBinarizer) thresholds each 8×8 block at its mean unless the block's
 * range is at most 24 grey levels, in which case it is taken as flat. Camera sensor noise of
 * σ ≈ 6 gives flat grey surroundings a range of ~30, so they become black-and-white speckle
 * full of false finder patterns: jsqr then spends 1-2.5 s per 720p frame and misses a code a
 * person reads at a glance (measured: 0 of 6 v10-M frames). This is the same algorithm with a
 * flatness limit of 64 grey levels (noise up to σ ≈ 10 stays flat; a code on a screen has far
 * more contrast than that). Its output is pure black and white, which jsqr's own binarizer then
 * passes through unchanged (measured: 6 of 6 at ~80 ms).
 *
 * A limit estimated from the frame (a percentile of block ranges) was tried and dropped: frames
 * mix smooth areas (clipped whites, JPEG-flattened regions) with noisy ones, the estimate follows
 * the smooth ones, and the noisy background turns to speckle again (0 of 4 at 1.3 s per frame).
 * Codes with less contrast than the limit are the job of scanQrPixels' `lowContrast` attempt.
 */
import type { RgbaImage } from "./types.js";

const BLOCK = 8;
export const DEFAULT_FLAT_RANGE = 64;

/** `minRange`: blocks whose range is at most this many grey levels count as flat (default 64). */
export function binarizeForScan(image: RgbaImage, minRange = DEFAULT_FLAT_RANGE): RgbaImage {
  const { width, height, data } = image;
  // Luma with jsqr's own weights (BT.709), so a pixel means the same to both binarizers.
  const luma = new Uint8Array(width * height);
  for (let p = 0, i = 0; p < luma.length; p++, i += 4) {
    luma[p] = 0.2126 * (data[i] as number) + 0.7152 * (data[i + 1] as number) + 0.0722 * (data[i + 2] as number);
  }
  const bw = Math.ceil(width / BLOCK);
  const bh = Math.ceil(height / BLOCK);
  // Black point per 8×8 block, in reading order (the flat-block rule looks up and left).
  const black = new Float32Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let sum = 0;
      let min = 255;
      let max = 0;
      let n = 0;
      for (let y = by * BLOCK; y < Math.min(height, (by + 1) * BLOCK); y++) {
        for (let x = bx * BLOCK, p = y * width + x; x < Math.min(width, (bx + 1) * BLOCK); x++, p++) {
          const v = luma[p] as number;
          sum += v;
          if (v < min) min = v;
          if (v > max) max = v;
          n++;
        }
      }
      let point = sum / n;
      if (max - min <= minRange) {
        // Flat block: light, unless darker than its already-computed neighbours' black points
        // (then it is the inside of a large dark area, e.g. a finder pattern's centre).
        point = min / 2;
        if (by > 0 && bx > 0) {
          const neighbours = ((black[(by - 1) * bw + bx] as number) + 2 * (black[by * bw + bx - 1] as number) + (black[(by - 1) * bw + bx - 1] as number)) / 4;
          if (min < neighbours) point = neighbours;
        }
      }
      black[by * bw + bx] = point;
    }
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let by = 0; by < bh; by++) {
    const top = Math.min(Math.max(by, 2), Math.max(2, bh - 3));
    for (let bx = 0; bx < bw; bx++) {
      const left = Math.min(Math.max(bx, 2), Math.max(2, bw - 3));
      // Threshold: mean black point of the 5×5 blocks around (clamped inside the image).
      let sum = 0;
      let n = 0;
      for (let dy = -2; dy <= 2; dy++) {
        const yy = top + dy;
        if (yy < 0 || yy >= bh) continue;
        for (let dx = -2; dx <= 2; dx++) {
          const xx = left + dx;
          if (xx < 0 || xx >= bw) continue;
          sum += black[yy * bw + xx] as number;
          n++;
        }
      }
      const threshold = sum / n;
      for (let y = by * BLOCK; y < Math.min(height, (by + 1) * BLOCK); y++) {
        for (let x = bx * BLOCK, p = y * width + x; x < Math.min(width, (bx + 1) * BLOCK); x++, p++) {
          const v = (luma[p] as number) <= threshold ? 0 : 255;
          const o = p * 4;
          out[o] = v;
          out[o + 1] = v;
          out[o + 2] = v;
          out[o + 3] = 255;
        }
      }
    }
  }
  return { width, height, data: out };
}

