import { describe, expect, it } from "vitest";
import { sealTestBundle } from "../../test-support/bundles.js";
import { terminalToImage } from "../../test-support/terminal.js";
import { placeInFrame } from "../../test-support/degrade.js";
import { scanQrPixels } from "../qr/scan-pixels.js";
import { receiveBundles } from "./qr-receive.js";
import { qrTransfer } from "./qr-send.js";
import { showQrInTerminal } from "./qr-show.js";

const CLEAR = "\u001b[H\u001b[2J";

describe("terminal animation", () => {
  it("draws frames at the requested rate that a camera can decode back into the bundle", async () => {
    const bundle = sealTestBundle(1500);
    const transfer = qrTransfer(bundle, { preset: "low" });
    const writes: string[] = [];
    let now = 0;
    const sleeps: number[] = [];
    const result = await showQrInTerminal(transfer, { write: (t) => writes.push(t) }, {
      fps: 10,
      maxFrames: transfer.blocks + 2,
      clock: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    expect(result.frames).toBe(transfer.blocks + 2);
    expect(sleeps.every((ms) => Math.abs(ms - 100) < 1e-6)).toBe(true);
    // Each write is one screen: clear, the code, a status line naming frame and K.
    expect(writes[0]!.startsWith(CLEAR)).toBe(true);
    expect(writes[0]).toContain(`a receiver needs any ${transfer.blocks}`);
    const payloads = writes.map((screen) => {
      const code = screen.slice(CLEAR.length).split("\n").filter((l) => /[▀▄█ ]/.test(l) && !l.startsWith("frame")).join("\n");
      // Light ink on a dark screen: the dark terminal around the code is the quiet zone.
      return scanQrPixels(placeInFrame(terminalToImage(code, 4), { width: 900, height: 900, background: 0 }));
    });
    const received: Uint8Array[] = [];
    for await (const r of receiveBundles(payloads)) received.push(r.bytes);
    expect(received.map((b) => Buffer.compare(b, bundle))).toEqual([0]);
  });

  it("stops when aborted", async () => {
    const transfer = qrTransfer(sealTestBundle(100), { preset: "low" });
    const controller = new AbortController();
    let frames = 0;
    const result = await showQrInTerminal(transfer, { write: () => (++frames === 3 ? controller.abort() : undefined) }, { signal: controller.signal, sleep: async () => undefined });
    expect(result.frames).toBe(3);
  });
});
