/**
 * Cuts ffmpeg's `-c:v pgm -f image2pipe` output into frames. Each PGM frame carries its own
 * header ("P5 <width> <height> 255\n"), so we never need ffprobe or a forced output size: the
 * size survives rotation metadata, odd aspect ratios and cameras that pick their own mode.
 */

export interface GrayFrame {
  readonly width: number;
  readonly height: number;
  /** One byte per pixel, row-major. */
  readonly gray: Uint8Array;
}

export class PgmFrameError extends Error {
  override readonly name = "PgmFrameError";
}

// "P5", whitespace, width, whitespace, height, whitespace, maxval, exactly one whitespace.
const HEADER = /^P5\s+(\d{1,6})\s+(\d{1,6})\s+(\d{1,5})\s/;
const MAX_HEADER_BYTES = 64;

export class PgmSplitter {
  private header = Buffer.alloc(0);
  private frame: { width: number; height: number; gray: Uint8Array; filled: number } | undefined;

  /** `maxPixels` bounds each frame before its buffer is allocated. */
  constructor(private readonly maxPixels: number) {}

  /** Feeds one chunk of stdout; returns the frames it completed. */
  push(chunk: Uint8Array): GrayFrame[] {
    const done: GrayFrame[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.frame === undefined) {
        // Accumulate at most MAX_HEADER_BYTES until the header parses.
        const take = Math.min(chunk.length - pos, MAX_HEADER_BYTES - this.header.length);
        const candidate = Buffer.concat([this.header, chunk.subarray(pos, pos + take)]);
        const match = HEADER.exec(candidate.toString("latin1"));
        if (match === null) {
          if (candidate.length >= MAX_HEADER_BYTES) throw new PgmFrameError("ffmpeg's output is not a PGM frame stream");
          this.header = candidate;
          pos += take;
          continue;
        }
        const width = Number(match[1]);
        const height = Number(match[2]);
        if (match[3] !== "255") throw new PgmFrameError(`unexpected PGM maxval ${match[3] as string}`);
        if (width < 1 || height < 1 || width * height > this.maxPixels) {
          throw new PgmFrameError(`a ${width}×${height} video frame exceeds the ${this.maxPixels}-pixel limit`);
        }
        const headerLength = match[0].length;
        // Bytes of this chunk that belonged to the header (some may have come from earlier chunks).
        pos += headerLength - this.header.length;
        this.header = Buffer.alloc(0);
        this.frame = { width, height, gray: new Uint8Array(width * height), filled: 0 };
        continue;
      }
      const f = this.frame;
      const take = Math.min(chunk.length - pos, f.gray.length - f.filled);
      f.gray.set(chunk.subarray(pos, pos + take), f.filled);
      f.filled += take;
      pos += take;
      if (f.filled === f.gray.length) {
        done.push({ width: f.width, height: f.height, gray: f.gray });
        this.frame = undefined;
      }
    }
    return done;
  }

  /** True when the stream stopped in the middle of a frame (the last frame is then dropped). */
  get partial(): boolean {
    return this.frame !== undefined || this.header.length > 0;
  }
}
