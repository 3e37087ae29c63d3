/**
 * Reading bundles from a camera through the real capture path: the V4L2 command line, the real
 * ffmpeg, the PGM pipe and the frame decoder. The camera is test-support/fake-camera.ts (a
 * video of camera-like QR frames, or a grey lavfi picture, in place of the sensor).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sealTestBundle } from "../../test-support/bundles.js";
import { cameraVideo, fakeCamera, type FakeCamera } from "../../test-support/fake-camera.js";
import { writeBundleQrFolder } from "../transfer/qr-send.js";
import { readCamera, type SourceEvent } from "./read-sources.js";

const root = mkdtempSync(join(tmpdir(), "airlock-camera-"));
const bundle = sealTestBundle(1200);
let video: string;
const saved = process.env["AIRLOCK_FFMPEG"];

beforeAll(async () => {
  const frames = join(root, "frames");
  await writeBundleQrFolder(frames, bundle, { preset: "low", html: false });
  video = join(root, "capture.mp4");
  await cameraVideo([frames], video);
});
afterEach(() => {
  if (saved === undefined) delete process.env["AIRLOCK_FFMPEG"];
  else process.env["AIRLOCK_FFMPEG"] = saved;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function use(camera: FakeCamera): FakeCamera {
  process.env["AIRLOCK_FFMPEG"] = camera.env.AIRLOCK_FFMPEG;
  return camera;
}

/** Our ffmpeg children still alive (parent pid is us), from /proc. */
function childFfmpegs(): string[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return Number(fields[1]) === process.pid && stat.includes("(ffmpeg)") && fields[0] !== "Z";
      } catch {
        return false;
      }
    });
}

describe("readCamera", () => {
  it("reads a bundle byte-exact from camera-like video through the V4L2 capture path, with a progress line", async () => {
    const camera = use(fakeCamera(join(root, "cam1"), { video }));
    const lines: string[] = [];
    const events: SourceEvent[] = [];
    for await (const e of readCamera({ device: camera.device, count: 1, maxBundleBytes: 1 << 20, boxes: [], progress: (l) => lines.push(l) })) events.push(e);
    expect(events.map((e) => e.type)).toEqual(["bundle"]);
    expect(Buffer.compare((events[0] as { bytes: Uint8Array }).bytes, bundle)).toBe(0);
    expect(camera.captures()).toHaveLength(1);
    expect(camera.captures()[0]).toMatch(/^\/dev\/null \d+$/);
    // frames of needed, percent, rate and ETA, then the finished line
    expect(lines.some((l) => /receiving {2}\d+\/~\d+ frames {2}\d+% .*frames\/s .*ETA/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/received {2}\d+ frames/);
    expect(childFfmpegs()).toEqual([]);
  });

  it("a consumer that stops at the first bundle (no count) stops the camera too", async () => {
    const camera = use(fakeCamera(join(root, "cam4"), { video }));
    for await (const e of readCamera({ device: camera.device, maxBundleBytes: 1 << 20, boxes: [] })) {
      expect(e.type).toBe("bundle");
      break;
    }
    expect(camera.captures()).toHaveLength(1);
    expect(childFfmpegs()).toEqual([]);
  });

  it("an abort (Ctrl-C) while the camera sees no code ends the capture cleanly and kills ffmpeg", async () => {
    const camera = use(fakeCamera(join(root, "cam2"), { input: ["-f", "lavfi", "-i", "color=c=gray:s=320x240:r=10"] }, { realtime: true }));
    const abort = new AbortController();
    const lines: string[] = [];
    const events: SourceEvent[] = [];
    const progress = (l: string): void => {
      lines.push(l);
      // The camera delivers frames: stop as a person would, with Ctrl-C.
      if (childFfmpegs().length === 1) abort.abort();
    };
    for await (const e of readCamera({ device: camera.device, maxBundleBytes: 1 << 20, boxes: [], progress, signal: abort.signal })) events.push(e);
    expect(events).toEqual([]);
    expect(lines[0]).toMatch(/^camera \/dev\/null: 1 frame.*no QR code yet/);
    expect(camera.captures()).toHaveLength(1);
    expect(childFfmpegs()).toEqual([]);
  });

  it("an abort in the middle of a transfer reports it as incomplete (QR_INCOMPLETE), not as a failed camera", async () => {
    const camera = use(fakeCamera(join(root, "cam3"), { video }, { realtime: true }));
    const abort = new AbortController();
    const events: SourceEvent[] = [];
    const progress = (l: string): void => {
      if (/receiving/.test(l)) abort.abort();
    };
    for await (const e of readCamera({ device: camera.device, maxBundleBytes: 1 << 20, boxes: [], progress, signal: abort.signal })) events.push(e);
    expect(events.map((e) => (e.type === "issue" ? e.code : e.type))).toEqual(["QR_INCOMPLETE"]);
    expect(childFfmpegs()).toEqual([]);
  });
});
