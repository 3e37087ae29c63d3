/**
 * Issue 15's round trip entirely by camera: vault A's QR animation is filmed (a camera-like H.264
 * video of its frames: resized, rotated, blurred, noisy, compressed) and read by courier 1 with
 * `ingest --camera`; courier 1 pushes it into a `dir:` mailbox, courier 2 pulls it and shows it as
 * QR frames; those are filmed too and read by vault B with `import --camera`, whose receipt goes
 * back to courier 2 and marks the bundle delivered. Both CLIs run as child processes; the capture
 * path is the real ffmpeg V4L2 command line, with only the sensor replaced by the video
 * (shared/test-support/fake-camera.ts). What was not tested: a real camera filming a real screen.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { cameraVideo, fakeCamera } from "../../shared/test-support/fake-camera.js";
import { fingerprintArgs } from "../../offline-signer/test-support/fingerprint.js";
import { airlock, airlockMany, courier, courierMany, type Json } from "./support/cli.js";

const root = mkdtempSync(join(tmpdir(), "airlock-e2e-camera-"));
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

const folders = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(dir, d.name))
    .sort();

describe("QR both ways by camera", () => {
  it("vault A -> camera -> courier 1 -> mailbox -> courier 2 -> camera -> vault B, and the receipt back", async () => {
    const a = join(root, "vault-a");
    const b = join(root, "vault-b");
    const welcome = join(root, "usb-welcome");
    const acks = join(root, "usb-acks");
    mkdirSync(welcome);
    mkdirSync(acks);
    airlockMany([
      { home: a, args: ["init", "--team", "Newsroom", "--name", "alice"] },
      { home: b, args: ["join", "--name", "bob", "--out", join(root, "b.request")] },
    ]);
    airlockMany([
      { home: a, args: ["members", "add", join(root, "b.request"), "--role", "editor", ...fingerprintArgs(join(root, "b.request"))] },
      { home: a, args: ["export", "--usb", welcome] },
      { home: b, args: ["import", welcome] },
      { home: b, args: ["export", "--usb", acks] },
      { home: a, args: ["import", acks] },
    ]);
    const mailbox = join(root, "mailbox");
    mkdirSync(mailbox);
    const [c1, c2] = [join(root, "courier-1"), join(root, "courier-2")];
    for (const [i, c] of [c1, c2].entries()) {
      courier(c, ["keygen", "--out", join(root, `c${i}.pub`)]);
      airlock(a, ["courier-enroll", "--courier-key", join(root, `c${i}.pub`), "--out", join(root, `c${i}.enrollment`)]);
      courier(c, ["init", join(root, `c${i}.enrollment`), "--mailbox", `dir:${mailbox}`]);
    }

    // Alice writes and shows her export as a QR animation; courier 1's camera films it.
    const qrA = join(root, "qr-a");
    const [, exported] = airlockMany([
      { home: a, args: ["notes", "add", "--title", "filmed twice", "--body", "x".repeat(3000)] },
      { home: a, args: ["export", "--qr", qrA] },
    ]);
    const bundlesA = (exported!["bundles"] as unknown[]).length;
    expect(bundlesA).toBeGreaterThanOrEqual(1);
    const filmA = join(root, "film-a.mp4");
    await cameraVideo(folders(qrA), filmA, { seed: 7 });
    const camA = fakeCamera(join(root, "cam-a"), { video: filmA });
    vi.stubEnv("AIRLOCK_FFMPEG", camA.env.AIRLOCK_FFMPEG);
    const ingested = courier(c1, ["ingest", "--camera", "--device", camA.device, "--count", String(bundlesA)]);
    expect(ingested).toMatchObject({ spooled: bundlesA, refused: [] });
    // The receiver says what it achieved and which density would suit it (issue 15, item 3).
    const rates = ingested["rates"] as { bytesPerSecond: number; caught: number; preset: string; summary: string }[];
    expect(rates).toHaveLength(bundlesA);
    for (const r of rates) {
      expect(r.bytesPerSecond).toBeGreaterThan(0);
      expect(r.preset).toBe("normal");
      expect(r.summary).toMatch(/\/s/);
    }
    expect(camA.captures()).toHaveLength(1);

    // Through the mailbox to courier 2, which shows what it pulled as QR frames.
    const [pushed] = courierMany([{ home: c1, args: ["sync"] }]);
    expect((pushed!["reports"] as { error?: unknown }[]).every((r) => r.error === undefined)).toBe(true);
    const qrC = join(root, "qr-c");
    const [, shown] = courierMany([
      { home: c2, args: ["sync"] },
      { home: c2, args: ["deliver", "--qr", qrC] },
    ]);
    const awaiting = shown!["awaitingReceipt"] as number;
    expect(awaiting).toBeGreaterThanOrEqual(1);

    // Bob's camera films courier 2's frames; his vault reads them and draws a receipt.
    const filmC = join(root, "film-c.mp4");
    await cameraVideo(folders(qrC), filmC, { seed: 11 });
    const camC = fakeCamera(join(root, "cam-c"), { video: filmC });
    vi.stubEnv("AIRLOCK_FFMPEG", camC.env.AIRLOCK_FFMPEG);
    const receipt = join(root, "receipt.png");
    const imported = airlock(b, ["import", "--camera", "--device", camC.device, "--count", String(folders(qrC).length), "--receipt-png", receipt]);
    expect((imported["report"] as Json)["applied"]).toBeGreaterThanOrEqual(1);
    expect((imported["rates"] as unknown[]).length).toBe(folders(qrC).length);
    const notes = airlock(b, ["notes", "list"])["notes"] as { title: string; body: string }[];
    expect(notes.find((n) => n.title === "filmed twice")?.body).toBe("x".repeat(3000));

    // The receipt image back to courier 2 marks what Bob's vault read as delivered.
    const confirmed = courier(c2, ["ingest", receipt]);
    expect((confirmed["receipts"] as { confirmed: string[] }[]).flatMap((r) => r.confirmed).length).toBe(awaiting);
  });
});
