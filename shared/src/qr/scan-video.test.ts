/**
 * Video and camera scanning through the real ffmpeg (Debian package `ffmpeg`): PNG frames are
 * encoded into an H.264 mp4 and scanned back. Also the typed errors, and that ffmpeg is
 * killed when the consumer stops early.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryPayload, tempFolder } from "../../test-support/qr-fixtures.js";
import { isAirlockError } from "../errors.js";
import { writeQrPngSequence } from "./png-sequence.js";
import { PgmSplitter } from "./pgm-stream.js";
import { cameraArgs, scanCamera, scanVideo } from "./scan-video.js";

let dir: string;
let cleanup: () => Promise<void>;
let video: string;
const payloads = Array.from({ length: 20 }, (_, i) => binaryPayload(150 + i, 100 + i));

beforeAll(async () => {
  ({ dir, cleanup } = await tempFolder("video"));
  const frames = join(dir, "frames");
  await writeQrPngSequence(frames, payloads, { version: 10, level: "M", scale: 4 });
  video = join(dir, "codes.mp4");
  // 10 fps H.264 in yuv420p, what a phone or screen recorder produces.
  execFileSync("ffmpeg", ["-v", "error", "-framerate", "10", "-i", join(frames, "frame-%05d.png"), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "20", video]);
});
afterAll(() => cleanup());

/** Our child processes still alive (from /proc: parent pid is us). */
function childFfmpegs(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid && stat.includes("(ffmpeg)") && fields[0] !== "Z") found.push(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

describe("scanVideo", () => {
  it("reads every payload of a 20-frame H.264 video, in order, byte-exact", async () => {
    const got = [];
    let frames = 0;
    for await (const result of scanVideo(video, { onFrame: () => frames++ })) got.push(result);
    expect(frames).toBe(20);
    expect(got.map((r) => r.frame)).toEqual(payloads.map((_, i) => i));
    got.forEach((r, i) => expect(Buffer.from(r.payload as Uint8Array).equals(payloads[i] as Uint8Array)).toBe(true));
  });

  it("sampling at 5 fps halves the frames; repeats are dropped unless asked for", async () => {
    const sampled = [];
    for await (const r of scanVideo(video, { fps: 5 })) sampled.push(r);
    expect(sampled.length).toBe(10);
    const held = join(dir, "held.mp4");
    // Each code held for 3 frames, as a camera filming an 8 fps animation at 24 fps sees it.
    execFileSync("ffmpeg", ["-v", "error", "-framerate", "10", "-i", join(dir, "frames", "frame-%05d.png"), "-vf", "fps=30", "-frames:v", "12", "-c:v", "libx264", "-pix_fmt", "yuv420p", held]);
    const unique = [];
    for await (const r of scanVideo(held)) unique.push(r);
    const all = [];
    for await (const r of scanVideo(held, { skipRepeats: false })) all.push(r);
    expect(unique.length).toBe(4);
    expect(all.length).toBe(12);
  });

  it("kills ffmpeg when the consumer stops early", async () => {
    for await (const result of scanVideo(video)) {
      expect(result.frame).toBe(0);
      expect(childFfmpegs().length).toBe(1);
      break;
    }
    expect(childFfmpegs()).toEqual([]);
  });

  it("without ffmpeg: VIDEO_FFMPEG_MISSING naming the Debian package, from the option or $AIRLOCK_FFMPEG", async () => {
    const first = (options: Parameters<typeof scanVideo>[1]): Promise<unknown> => scanVideo(video, options).next();
    const error = await first({ ffmpegPath: join(dir, "no-such-ffmpeg") }).catch((e: unknown) => e);
    expect(isAirlockError(error, "VIDEO_FFMPEG_MISSING")).toBe(true);
    expect((error as { hint: string }).hint).toContain("apt-get install ffmpeg");
    const saved = process.env["AIRLOCK_FFMPEG"];
    process.env["AIRLOCK_FFMPEG"] = "/nonexistent/bin/ffmpeg";
    try {
      await expect(first({})).rejects.toMatchObject({ code: "VIDEO_FFMPEG_MISSING", message: expect.stringContaining("/nonexistent/bin/ffmpeg") as unknown });
    } finally {
      if (saved === undefined) delete process.env["AIRLOCK_FFMPEG"];
      else process.env["AIRLOCK_FFMPEG"] = saved;
    }
  });

  it("a file that is not a video is VIDEO_UNREADABLE with ffmpeg's reason; a missing one VIDEO_NOT_FOUND", async () => {
    const junk = join(dir, "junk.mp4");
    await writeFile(junk, binaryPayload(5000, 1));
    await expect(scanVideo(junk).next()).rejects.toMatchObject({ code: "VIDEO_UNREADABLE" });
    await expect(scanVideo(join(dir, "absent.mp4")).next()).rejects.toMatchObject({ code: "VIDEO_NOT_FOUND" });
    await expect(scanVideo(video, { maxSide: 10 }).next()).rejects.toMatchObject({ code: "VIDEO_BAD_OPTION" });
  });
});

describe("scanCamera", () => {
  it("a missing device is CAMERA_NOT_FOUND; a device that is no camera fails in ffmpeg as CAMERA_FAILED", async () => {
    await expect(scanCamera({ device: "/dev/video-none" }).next()).rejects.toMatchObject({ code: "CAMERA_NOT_FOUND" });
    await expect(scanCamera({ device: dir }).next()).rejects.toMatchObject({ code: "CAMERA_NOT_FOUND" });
    // /dev/null is a character device, so it reaches ffmpeg's v4l2 input, which rejects it.
    await expect(scanCamera({ device: "/dev/null" }).next()).rejects.toMatchObject({ code: "CAMERA_FAILED" });
  });

  it("asks V4L2 for the rate, size and format given, and caps the frame size", () => {
    const args = cameraArgs("/dev/video2", { fps: 10, videoSize: "1280x720", inputFormat: "mjpeg", maxSide: 960 });
    expect(args.slice(0, 10)).toEqual(["-f", "v4l2", "-framerate", "10", "-video_size", "1280x720", "-input_format", "mjpeg", "-i", "/dev/video2"]);
    expect(args.join(" ")).toContain("min(iw,960)");
    expect(() => cameraArgs("/dev/video0", { videoSize: "1280x720 -f" })).toThrow(expect.objectContaining({ code: "CAMERA_BAD_OPTION" }));
  });
});

describe("PgmSplitter", () => {
  it("cuts a PGM stream into the same frames however stdout chunks it", () => {
    const frames = [
      { width: 3, height: 2, gray: Uint8Array.from([1, 2, 3, 4, 5, 6]) },
      { width: 1, height: 1, gray: Uint8Array.from([80]) }, // 80 is "P": data that looks like a header
      { width: 2, height: 2, gray: Uint8Array.from([10, 32, 10, 255]) },
    ];
    const stream = Buffer.concat(frames.flatMap((f) => [Buffer.from(`P5\n${f.width} ${f.height}\n255\n`), Buffer.from(f.gray)]));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const splitter = new PgmSplitter(100);
        const out = [];
        let start = 0;
        for (const cut of [...cuts.sort((a, b) => a - b), stream.length]) {
          out.push(...splitter.push(stream.subarray(start, cut)));
          start = cut;
        }
        expect(out).toEqual(frames);
        expect(splitter.partial).toBe(false);
      }),
      { numRuns: runs(300) },
    );
  });

  it("refuses frames over the pixel bound before allocating them, and streams that are not PGM", () => {
    expect(() => new PgmSplitter(100).push(Buffer.from("P5\n20 20\n255\n"))).toThrow(/exceeds/);
    expect(() => new PgmSplitter(100).push(Buffer.alloc(100, 0x41))).toThrow(/not a PGM/);
  });
});
