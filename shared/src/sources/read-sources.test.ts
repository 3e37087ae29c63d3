import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sealTestBundle } from "../../test-support/bundles.js";
import { writeBundleQrFolder } from "../transfer/qr-send.js";
import { prepareDropFolder } from "../usb/layout.js";
import { writeBundle } from "../usb/write.js";
import { readSources, type SourceEvent } from "./read-sources.js";

const root = mkdtempSync(join(tmpdir(), "airlock-sources-"));
const fifos: string[] = [];
afterAll(() => {
  // Should a reader ever block on one of our pipes, a writer's open releases it.
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // ENXIO: nobody is waiting on it, as it should be
    }
  }
  rmSync(root, { recursive: true, force: true });
});
function mkfifo(path: string): string {
  execFileSync("mkfifo", [path]);
  fifos.push(path);
  return path;
}

async function collect(paths: string[], boxes: ("inbox" | "outbox")[] = ["outbox"], maxBundleBytes = 1 << 20): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of readSources(paths, { boxes, maxBundleBytes })) out.push(e);
  return out;
}
const bundlesOf = (events: SourceEvent[]): Uint8Array[] => events.flatMap((e) => (e.type === "bundle" ? [e.bytes] : []));

describe("bundle sources", () => {
  it("reads an export folder holding one QR subfolder per bundle", async () => {
    const a = sealTestBundle(1500);
    const b = sealTestBundle(900);
    await writeBundleQrFolder(join(root, "qr", "01-sync"), a, { html: false });
    await writeBundleQrFolder(join(root, "qr", "02-welcome"), b, { html: false });
    const got = bundlesOf(await collect([join(root, "qr")]));
    expect(got.map((x) => Buffer.from(x).toString("hex")).sort()).toEqual([a, b].map((x) => Buffer.from(x).toString("hex")).sort());
  });

  it("reads the boxes it is told to, and says when a folder holds nothing it can read", async () => {
    mkdirSync(join(root, "stick"));
    const drop = await prepareDropFolder(join(root, "stick"));
    const toVault = sealTestBundle(500);
    const fromVault = sealTestBundle(600);
    await writeBundle(drop.inbox, toVault);
    await writeBundle(drop.outbox, fromVault);
    expect(bundlesOf(await collect([drop.root], ["outbox"]))).toEqual([fromVault]);
    expect(bundlesOf(await collect([drop.root], ["inbox", "outbox"]))).toHaveLength(2);
    mkdirSync(join(root, "empty"));
    expect(await collect([join(root, "empty")])).toEqual([expect.objectContaining({ type: "issue", code: "SOURCE_EMPTY" })]);
  });

  it("bounds a plain file before reading it", async () => {
    writeFileSync(join(root, "big.airlock"), new Uint8Array(5000));
    expect(await collect([join(root, "big.airlock")], ["outbox"], 4096)).toEqual([expect.objectContaining({ type: "issue", code: "SOURCE_TOO_LARGE" })]);
    const missing = collect([join(root, "nope")]);
    await expect(missing).rejects.toMatchObject({ code: "SOURCE_NOT_FOUND" });
  });

  // The timeouts only stop a regression from hanging the run: a blocked open never returns.
  it("a named pipe is an issue, found without blocking, whatever its name says it is", { timeout: 10_000 }, async () => {
    mkdirSync(join(root, "pipes"));
    const pipes = ["frame.png", "clip.mp4", "bundle.airlock", "photos.jpg"].map((name) => mkfifo(join(root, "pipes", name)));
    expect(await collect(pipes)).toEqual(
      pipes.map((from) => ({ type: "issue", from, code: "SOURCE_NOT_A_FILE", reason: "named pipe (only plain files are read)" })),
    );
  });

  it("links, sockets and devices are issues; the files beside them are still read", { timeout: 10_000 }, async () => {
    mkdirSync(join(root, "odd"));
    const bundle = sealTestBundle(700);
    writeFileSync(join(root, "odd", "real.airlock"), bundle);
    symlinkSync(join(root, "odd", "real.airlock"), join(root, "odd", "link.airlock"));
    symlinkSync(mkfifo(join(root, "odd", "pipe")), join(root, "odd", "link-to-pipe.mp4"));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, "odd", "socket.png"), resolve));
    try {
      const events = await collect(["link.airlock", "link-to-pipe.mp4", "socket.png", "real.airlock"].map((n) => join(root, "odd", n)).concat("/dev/zero"));
      expect(events.map((e) => (e.type === "issue" ? `${e.code}: ${e.reason}` : "bundle"))).toEqual([
        "SOURCE_NOT_A_FILE: symbolic link (links are never followed)",
        "SOURCE_NOT_A_FILE: symbolic link (links are never followed)",
        "SOURCE_NOT_A_FILE: socket or device (only plain files are read)",
        "bundle",
        "SOURCE_NOT_A_FILE: character device (only plain files are read)",
      ]);
      expect(bundlesOf(events)).toEqual([bundle]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("an image that cannot be read is an issue naming it, and costs only its own frame", async () => {
    const bundle = sealTestBundle(800);
    const folder = join(root, "frames");
    await writeBundleQrFolder(folder, bundle, { html: false });
    const frames = readdirSync(folder).filter((n) => n.endsWith(".png")).sort().map((n) => join(folder, n));
    // A PNG cut short and one that claims to be a JPEG, among the frames.
    writeFileSync(join(folder, "frame-00000-cut.png"), readFileSync(frames[0] as string).subarray(0, 200));
    writeFileSync(join(folder, "frame-00000-not.jpg"), sealTestBundle(300));
    const damaged = [join(folder, "frame-00000-cut.png"), join(folder, "frame-00000-not.jpg")];

    const fromFolder = await collect([folder]);
    expect(bundlesOf(fromFolder)).toEqual([bundle]);
    expect(fromFolder.filter((e) => e.type === "issue").map((e) => (e.type === "issue" ? [e.from, e.code] : []))).toEqual([
      [damaged[0], "IMAGE_CORRUPT"],
      [damaged[1], "IMAGE_UNSUPPORTED"],
    ]);

    const fromFiles = await collect([...damaged, ...frames]);
    expect(bundlesOf(fromFiles)).toEqual([bundle]);
    expect(fromFiles.filter((e) => e.type === "issue")).toEqual([
      expect.objectContaining({ from: damaged[0], code: "IMAGE_CORRUPT", reason: expect.stringContaining("runs past the end") as unknown }),
      expect.objectContaining({ from: damaged[1], code: "IMAGE_UNSUPPORTED" }),
    ]);
  });
});
