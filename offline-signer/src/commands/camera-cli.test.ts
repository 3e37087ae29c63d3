/**
 * `--camera` on the vault's commands, as the real bin in child processes, through the real capture
 * path: the V4L2 command line and the real ffmpeg, whose camera input the test-support fake camera
 * (shared/test-support/fake-camera.ts) swaps for a video of camera-like QR frames. Ctrl-C is sent
 * to the command's process group, as a terminal sends it.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cameraVideo, fakeCamera, type FakeCamera } from "../../../shared/test-support/fake-camera.js";
import { AIRLOCK_BIN, airlockBatch, airlockJson, cliEnv, cliFailure } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";

const { root, cleanup } = tempRoot("airlock-camera-cli-");
afterAll(cleanup);
const home = (n: string): string => join(root, n);
const teamLog = (h: string): unknown => airlockJson(["log", "--home", home(h)])["events"];

let bobFp: string;
let requestCamera: FakeCamera;
let welcomeCamera: FakeCamera;
let welcomeBundles: number;
const greyCamera = (): FakeCamera => fakeCamera(join(root, "grey"), { input: ["-f", "lavfi", "-i", "color=c=gray:s=320x240:r=10"] }, { realtime: true });

beforeAll(async () => {
  airlockJson(["init", "--team", "Field office", "--name", "alice", "--home", home("a")]);
  bobFp = airlockJson(["join", "--name", "bob", "--out", join(root, "bob.req"), "--qr", join(root, "bob-qr"), "--home", home("b")])["fingerprint"] as string;
  await cameraVideo([join(root, "bob-qr")], join(root, "request.mp4"));
  requestCamera = fakeCamera(join(root, "request-camera"), { video: join(root, "request.mp4") });
});

/** Starts `airlock ARGS` in its own process group; resolves with how it ended. `onStderr` sees stderr as it comes. */
function run(args: readonly string[], env: NodeJS.ProcessEnv, onStderr: (text: string, pid: number) => void = () => {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [AIRLOCK_BIN, ...args], { env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => {
      stdout += t;
    });
    child.stderr.setEncoding("utf8").on("data", (t: string) => {
      stderr += t;
      onStderr(stderr, child.pid!);
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Ctrl-C as a terminal sends it: SIGINT to the foreground process group (here, the command's own). */
function ctrlC(pid: number): void {
  process.kill(-pid, "SIGINT");
}

/** Whether the ffmpeg a capture started is gone (no process, or only a zombie). */
function ffmpegGone(camera: FakeCamera): boolean {
  return camera.captures().every((line) => {
    const pid = line.split(" ")[1]!;
    if (!existsSync(`/proc/${pid}/stat`)) return true;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  });
}

describe("airlock --camera", () => {
  it("members add --camera admits the person whose request the camera read, with a live progress line", async () => {
    const r = await run(["members", "add", "--camera", "--device", requestCamera.device, "--role", "editor", "--fingerprint", bobFp, "--home", home("a")], requestCamera.env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Added "bob" as editor');
    // A join request fits in one frame here: the line says it arrived, with its size and time.
    expect(r.stderr).toMatch(/qr \/dev\/null: received {2}1 frames {2}\d+ B in \d+:\d\d/);
    expect(requestCamera.captures()).toHaveLength(1);
    expect(ffmpegGone(requestCamera)).toBe(true);
  });

  it("import --camera --count N takes the welcome an admin exported as QR: the join response read by camera", async () => {
    airlockJson(["export", "--qr", join(root, "to-bob"), "--home", home("a")]);
    const folders = readdirSync(join(root, "to-bob"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, "to-bob", d.name)).sort();
    welcomeBundles = folders.length;
    expect(welcomeBundles).toBeGreaterThan(0);
    await cameraVideo(folders, join(root, "welcome.mp4"), { seed: 7 });
    welcomeCamera = fakeCamera(join(root, "welcome-camera"), { video: join(root, "welcome.mp4") });
    const r = await run(["import", "--camera", "--device", welcomeCamera.device, "--count", String(welcomeBundles), "--home", home("b"), "--json"], welcomeCamera.env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/qr \/dev\/null: receiving {2}\d+\/~\d+ frames {2}\d+% .*frames\/s .*ETA/);
    const out = JSON.parse(r.stdout) as { read: number; report: { welcomed?: string } };
    expect(out.read).toBe(welcomeBundles);
    expect(out.report.welcomed).toBe("Field office");
    expect(airlockJson(["status", "--home", home("b")])["status"]).toMatchObject({ team: { name: "Field office" } });
    expect(ffmpegGone(welcomeCamera)).toBe(true);
  });

  it("Ctrl-C while the camera sees no code stops ffmpeg, reads nothing and exits 0", async () => {
    const camera = greyCamera();
    const before = teamLog("b");
    let sent = false;
    const r = await run(["import", "--camera", "--device", camera.device, "--home", home("b")], camera.env, (stderr, pid) => {
      if (!sent && /no QR code yet/.test(stderr)) {
        sent = true;
        ctrlC(pid);
      }
    });
    expect(r.stderr).toMatch(/camera \/dev\/null: \d+ frames?.*no QR code yet: hold it at the animation/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Read 0 bundle(s)");
    expect(ffmpegGone(camera)).toBe(true);
    expect(teamLog("b")).toEqual(before);
  });

  it("Ctrl-C in the middle of a transfer: the part read is reported incomplete (exit 3), nothing is written", async () => {
    const camera = fakeCamera(join(root, "slow-welcome"), { video: join(root, "welcome.mp4") }, { realtime: true });
    const before = teamLog("b");
    let sent = false;
    const r = await run(["import", "--camera", "--device", camera.device, "--home", home("b"), "--json"], camera.env, (stderr, pid) => {
      if (!sent && /receiving/.test(stderr)) {
        sent = true;
        ctrlC(pid);
      }
    });
    expect(r.status, r.stderr).toBe(3);
    const out = JSON.parse(r.stdout) as { ok: boolean; report: { issues: { code: string }[] } };
    expect(out.ok).toBe(true);
    expect(out.report.issues.map((i) => i.code)).toContain("QR_INCOMPLETE");
    expect(ffmpegGone(camera)).toBe(true);
    expect(teamLog("b")).toEqual(before);
  });

  it("Ctrl-C before a request was read: CAMERA_STOPPED, exit 1, nothing signed", async () => {
    const camera = greyCamera();
    const before = teamLog("a");
    let sent = false;
    const r = await run(["devices", "add", "--camera", "--device", camera.device, "--fingerprint", bobFp, "--home", home("a"), "--json"], camera.env, (stderr, pid) => {
      if (!sent && /no QR code yet/.test(stderr)) {
        sent = true;
        ctrlC(pid);
      }
    });
    const error = cliFailure(r);
    expect(error.code).toBe("CAMERA_STOPPED");
    expect(error.hint).toMatch(/nothing was signed/);
    expect(ffmpegGone(camera)).toBe(true);
    expect(teamLog("a")).toEqual(before);
  });

  it("usage: PATH or --camera, not both, not neither; --device and --count only with --camera", () => {
    const cases: [string[], RegExp][] = [
      [["import"], /^"airlock import" needs PATH$/],
      [["import", "x.png", "--camera"], /either PATHs or --camera/],
      [["import", "x.png", "--device", "/dev/video1"], /--device names the camera for --camera/],
      [["import", "x.png", "--count", "2"], /--count is how many bundles/],
      [["members", "add", "--role", "editor"], /^"airlock members add" needs REQUEST$/],
      [["members", "add", join(root, "bob.req"), "--camera", "--role", "editor"], /REQUEST or from --camera, not both/],
      [["devices", "add"], /^"airlock devices add" needs REQUEST$/],
    ];
    const results = airlockBatch(cases.map(([args]) => [...args, "--home", home("a"), "--json"]));
    for (const [i, [args, message]] of cases.entries()) {
      const error = cliFailure(results[i]!);
      expect(error.code, args.join(" ")).toBe("USAGE");
      expect(error.message, args.join(" ")).toMatch(message);
    }
  });
});
