/**
 * `airlock-courier deliver --show` in real pseudo-terminals (tmux, shared/test-support/tmux.ts) of
 * 80×24 and 200×60: the animation must fit the screen, and what the screen shows must decode back
 * into the bundle. Each capture of the pane is turned back into pixels (a half block is two
 * module rows) and decoded with the same scanner the apps use; the payloads go to the same
 * receiver. Frames missed between two captures cost nothing (a fountain code).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { epochAt, receiveBundles, scanQrPixels, type QrPayload } from "@airlock/shared";
import { placeInFrame } from "../../../shared/test-support/degrade.js";
import { codeLines, terminalToImage } from "../../../shared/test-support/terminal.js";
import { haveTmux, TmuxPane } from "../../../shared/test-support/tmux.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { makeTeam, teamBundle } from "../../test-support/enrollment.js";
import { Courier } from "../courier/courier.js";
import { randomBytes } from "@airlock/bundle-format";

const BIN = fileURLToPath(new URL("../../bin/airlock-courier.js", import.meta.url));
const root = tempDir("deliver-show");
const panes: TmuxPane[] = [];
afterAll(() => {
  for (const p of panes) p.close();
});

/** A courier home holding one inbound bundle of a served team, as a sync would have left it. */
function courierWithInbound(name: string): { home: string; bundle: Uint8Array } {
  const team = makeTeam(name);
  const home = setupCourierHome(join(root, name), [team], `dir:${join(root, `${name}-mailbox`)}`);
  const bundle = teamBundle(team, epochAt(Date.now(), team.epochSeconds), randomBytes(1500));
  const courier = Courier.open(home);
  try {
    courier.spool.put(bundle, "inbound");
  } finally {
    courier.close();
  }
  return { home: home.root, bundle };
}

function decode(lines: readonly string[]): QrPayload | undefined {
  if (lines.length === 0) return undefined;
  const image = terminalToImage(lines.join("\n"), 3);
  // Light ink: the dark terminal around the code's own light quiet zone.
  return scanQrPixels(placeInFrame(image, { width: image.width + 60, height: image.height + 60, background: 0 }));
}

/** Captures the pane until the receiver has the bundle; returns it and every screen that held a code. */
async function watch(pane: TmuxPane): Promise<{ bytes: Uint8Array; screens: string[] }> {
  const screens: string[] = [];
  let last = "";
  async function* payloads(): AsyncGenerator<QrPayload | undefined> {
    for (;;) {
      const screen = await pane.until((s) => s !== last && codeLines(s).length > 0);
      last = screen;
      screens.push(screen);
      yield decode(codeLines(screen));
    }
  }
  for await (const received of receiveBundles(payloads(), { limit: 1 })) return { bytes: received.bytes, screens };
  throw new Error("the animation ended before the bundle was read");
}

describe.skipIf(!haveTmux())("deliver --show in a real terminal", () => {
  for (const [columns, rows, version] of [
    [80, 24, 5],
    [200, 60, 15],
  ] as const) {
    it(`fits ${columns}×${rows} (QR version ${version}) and decodes back into the bundle from the captured text`, async () => {
      const { home, bundle } = courierWithInbound(`t${columns}`);
      const pane = TmuxPane.start({ command: [process.execPath, BIN, "deliver", "--show", "--fps", "4", "--loops", "4", "--home", home], columns, rows });
      panes.push(pane);
      const { bytes, screens } = await watch(pane);
      expect(Buffer.compare(bytes, bundle)).toBe(0);
      // A capture can catch the player in the middle of drawing a frame: judge the whole ones.
      const whole = screens.filter((screen) => /^frame /m.test(screen) && decode(codeLines(screen)) !== undefined);
      expect(whole.length).toBeGreaterThan(0);
      for (const screen of whole) {
        const lines = screen.replace(/\n+$/, "").split("\n");
        const code = codeLines(screen);
        // Nothing wrapped: the code is square in modules (half blocks: two rows a line), the
        // status line under it starts with the frame count and names the version.
        expect(code.length).toBe(Math.ceil((17 + 4 * version + 4) / 2));
        expect(code.every((l) => [...l].length === 17 + 4 * version + 4)).toBe(true);
        expect(lines.length).toBeLessThanOrEqual(rows);
        const status = lines[code.length]!;
        expect(status).toMatch(new RegExp(`^frame \\d+/\\d+ · loop \\d/4 · \\d+% · .* · 4 fps · ETA \\d+:\\d\\d · v${version}, any \\d+`));
      }
      if (columns === 200) {
        // Keys in the real terminal: → denser (version 20 is the densest 60 rows hold), ↑ faster, space pauses.
        pane.press("Right");
        await pane.until(/ · v20, any \d+/);
        pane.press("Up");
        await pane.until(/ · 5 fps · /);
        pane.type(" ");
        await pane.until(/^PAUSED · frame /m);
      }
      pane.press("C-c");
      expect(await pane.exited()).toBe(0);
      pane.close();
    });
  }

  it("a terminal too small for any code: QR_TERMINAL_TOO_SMALL naming the size needed, exit 1", async () => {
    const { home } = courierWithInbound("small");
    const pane = TmuxPane.start({ command: [process.execPath, BIN, "deliver", "--show", "--home", home], columns: 60, rows: 20 });
    panes.push(pane);
    expect(await pane.exited()).toBe(1);
    // The pane wraps the two lines at 60 columns: read them as one text.
    const text = pane.history().replace(/\n/g, "");
    expect(text).toContain("airlock-courier: error: this terminal is 60×20; the smallest QR animation needs 41×23 (columns×rows)");
    expect(text).toContain("airlock-courier: hint: Make the window larger");
  });
});
