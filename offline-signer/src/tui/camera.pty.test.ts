/**
 * The TUI's receive screen reading a camera, in a real pseudo-terminal (tmux): a new member's
 * vault types `camera DEVICE` as the import path, watches the live progress, stops with esc and
 * gets the admin's welcome. The camera is shared/test-support/fake-camera.ts: the real capture
 * path (V4L2 command line, ffmpeg, PGM pipe, decoder) on a video of camera-like QR frames.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { cameraVideo, fakeCamera } from "../../../shared/test-support/fake-camera.js";
import { haveTmux, TmuxPane } from "../../../shared/test-support/tmux.js";
import { AIRLOCK_BIN, airlockBatch, airlockJson, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";

const { root, cleanup } = tempRoot("airlock-tui-camera-");
afterAll(cleanup);
const panes: TmuxPane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.close();
});

describe.skipIf(!haveTmux())("the TUI reads a camera", () => {
  it("camera DEVICE as the import path: live progress, esc stops, the welcome read by camera is applied", async () => {
    const home = (n: string): string => join(root, n);
    const fp = airlockJson(["join", "--name", "bob", "--out", join(root, "bob.req"), "--home", home("b")])["fingerprint"] as string;
    const made = airlockBatch([
      ["init", "--team", "Camera team", "--name", "alice", "--home", home("a")],
      ["members", "add", join(root, "bob.req"), "--role", "editor", "--fingerprint", fp, "--home", home("a")],
      ["export", "--qr", join(root, "to-bob"), "--home", home("a")],
    ]);
    for (const r of made) expect(r.status, r.stderr).toBe(0);
    const folders = readdirSync(join(root, "to-bob"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, "to-bob", d.name)).sort();
    await cameraVideo(folders, join(root, "welcome.mp4"));
    const camera = fakeCamera(join(root, "camera"), { video: join(root, "welcome.mp4") }, { realtime: true });

    const env = { AIRLOCK_HOME: home("b"), AIRLOCK_PASSPHRASE: CLI_PASSPHRASE, AIRLOCK_INSECURE_TEST_KDF: "1", ...camera.env };
    const pane = TmuxPane.start({ command: [process.execPath, AIRLOCK_BIN, "tui"], env });
    panes.push(pane);
    await pane.until("not in a team yet", 30_000);
    pane.type("i");
    await pane.until("or camera [DEVICE]", 30_000);
    pane.type(`camera ${camera.device}`);
    pane.press("Enter");
    await pane.until(`Reading the camera ${camera.device}`, 30_000);
    // Every bundle of the export arrived whole: the line counts them.
    await pane.until(folders.length === 1 ? /received {2}\d+ frames/ : `(${folders.length} bundles so far)`, 60_000);
    let screen = pane.screen();
    expect(screen).toContain("esc stops the camera");
    pane.press("Escape");
    screen = await pane.until("Welcome to team", 30_000);
    expect(screen).toContain('Welcome to team "Camera team"');
    expect(camera.captures()).toHaveLength(1);
    pane.type("q");
  });
});
