/**
 * What the mutation run of the USB reader (`npm run mutate -- usb`, docs/testing.md, "Mutation
 * testing") found unguarded by the reader's own tests: the streamed path for bundles over
 * maxFileBytes, the exact size boundaries, the name order of a scan and the limit checks.
 * Real files in a real drop folder.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { constants as bufferConstants } from "node:buffer";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mknod } from "../../test-support/device-nodes.js";
import { sealTestBundle } from "../../test-support/bundles.js";
import { isAirlockError } from "../errors.js";
import { cleanupTempFiles } from "./cleanup.js";
import { prepareDropFolder, type DropFolder } from "./layout.js";
import { checkLimit, MIN_BUNDLE_BYTES, resolveLimits } from "./limits.js";
import { newBundleName, newTempName } from "./names.js";
import { readBundles, scanBundles, type LargeBundle, type ScanEvent } from "./read.js";
import { removeBundle } from "./remove.js";

let root: string;
let folder: DropFolder;
let server: Server | undefined;
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "airlock-usb-mut-"));
  folder = await prepareDropFolder(root);
});
afterEach(async () => {
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
  rmSync(root, { recursive: true, force: true });
});


function put(bytes: Uint8Array, name = newBundleName()): string {
  writeFileSync(join(folder.inbox, name), bytes);
  return name;
}

describe("bundles over maxFileBytes with maxStreamBytes", () => {
  it("are handed out as large, with their header checked and counted as accepted, bytes not loaded", async () => {
    const small = sealTestBundle(100);
    const big = sealTestBundle(20_000);
    const smallName = put(small);
    const bigName = put(big);
    const events: ScanEvent[] = [];
    for await (const e of scanBundles(folder.inbox, { maxFileBytes: small.length, maxStreamBytes: big.length })) events.push(e);
    const large = events.find((e) => e.type === "large");
    expect(large?.type).toBe("large");
    if (large?.type !== "large") return;
    expect(large.bundle).toEqual({ name: bigName, path: join(folder.inbox, bigName), size: big.length, header: expect.objectContaining({ length: big.length }) });
    expect(Object.isFrozen(large.bundle)).toBe(true);
    const result = await readBundles(folder.inbox, { maxFileBytes: small.length, maxStreamBytes: big.length });
    expect(result.accepted.map((b) => b.name)).toEqual([smallName]);
    expect(result.large.map((b) => b.name)).toEqual([bigName]);
    expect(result.progress).toEqual({ scanned: 2, accepted: 2, rejected: 0, skipped: 0, bytes: small.length });
  });

  it("take the exact limits: maxStreamBytes itself is streamed, one byte more is too large; maxFileBytes itself is loaded", async () => {
    const big = sealTestBundle(20_000);
    put(big);
    const at = await readBundles(folder.inbox, { maxFileBytes: MIN_BUNDLE_BYTES, maxStreamBytes: big.length });
    expect(at.large).toHaveLength(1);
    const under = await readBundles(folder.inbox, { maxFileBytes: MIN_BUNDLE_BYTES, maxStreamBytes: big.length - 1 });
    expect(under.large).toHaveLength(0);
    expect(under.rejected.map((i) => i.code)).toEqual(["USB_TOO_LARGE"]);
    expect(under.rejected[0]!.reason).toBe(`${big.length} bytes; this reader accepts at most ${MIN_BUNDLE_BYTES}`);
    const loaded = await readBundles(folder.inbox, { maxFileBytes: big.length, maxStreamBytes: big.length });
    expect(loaded.accepted).toHaveLength(1);
    expect(loaded.large).toHaveLength(0);
  });

  it("without validation carry no header; with it, a header that declares another length is not a bundle", async () => {
    const big = sealTestBundle(20_000);
    put(big);
    const raw = await readBundles(folder.inbox, { maxFileBytes: MIN_BUNDLE_BYTES, maxStreamBytes: 1 << 20, validate: false });
    expect(raw.large.map((b) => b.header)).toEqual([undefined]);
    rmSync(join(folder.inbox, raw.large[0]!.name));
    const longer = new Uint8Array(big.length + 1024);
    longer.set(big);
    put(longer);
    const refused = await readBundles(folder.inbox, { maxFileBytes: MIN_BUNDLE_BYTES, maxStreamBytes: 1 << 20 });
    expect(refused.large).toHaveLength(0);
    expect(refused.rejected.map((i) => [i.code, i.reason])).toEqual([["USB_NOT_A_BUNDLE", `the file is ${longer.length} bytes but its bundle header declares ${big.length}`]]);
    rmSync(join(folder.inbox, refused.rejected[0]!.name));
    put(new Uint8Array(big.length).fill(7));
    const garbage = await readBundles(folder.inbox, { maxFileBytes: MIN_BUNDLE_BYTES, maxStreamBytes: 1 << 20 });
    expect(garbage.rejected.map((i) => i.code)).toEqual(["USB_NOT_A_BUNDLE"]);
    expect(garbage.rejected[0]!.reason).not.toBe("");
  });
});

describe("the loaded path", () => {
  it("reports an empty folder as all zeros, an empty file as empty, and a full folder with its code", async () => {
    expect((await readBundles(folder.inbox)).progress).toEqual({ scanned: 0, accepted: 0, rejected: 0, skipped: 0, bytes: 0 });
    put(new Uint8Array(0));
    put(sealTestBundle(0));
    const result = await readBundles(folder.inbox, { maxEntries: 1 });
    expect(result.incomplete?.code).toBe("USB_TOO_MANY_ENTRIES");
    const all = await readBundles(folder.inbox);
    expect(all.rejected.map((i) => [i.code, i.reason])).toEqual([["USB_TOO_SMALL", "empty file (0 bytes)"]]);
  });

  it("accepts a file of exactly the smallest bundle size and refuses one byte less as too small", async () => {
    const bundle = sealTestBundle(0);
    expect(bundle.length).toBe(MIN_BUNDLE_BYTES);
    put(bundle);
    put(bundle.subarray(0, MIN_BUNDLE_BYTES - 1));
    const result = await readBundles(folder.inbox);
    expect(result.accepted).toHaveLength(1);
    expect(result.rejected.map((i) => [i.code, i.reason])).toEqual([["USB_TOO_SMALL", `${MIN_BUNDLE_BYTES - 1} bytes; a bundle is at least ${MIN_BUNDLE_BYTES}`]]);
  });

  it("fills the total up to exactly maxTotalBytes and leaves the next file for the next run", async () => {
    const a = sealTestBundle(0);
    const b = sealTestBundle(0);
    const c = sealTestBundle(0);
    for (const bytes of [a, b, c]) put(bytes);
    const result = await readBundles(folder.inbox, { maxTotalBytes: a.length * 2 });
    expect(result.accepted).toHaveLength(2);
    expect(result.rejected.map((i) => i.code)).toEqual(["USB_TOTAL_LIMIT"]);
    expect(result.rejected[0]!.reason).toBe(`${c.length} bytes would take this run past its ${a.length * 2}-byte total; left for the next run`);
  });

  it("hands out entries in name order, whatever order they were written in", async () => {
    const names = [newBundleName(), newBundleName(), newBundleName(), newBundleName(), newBundleName()];
    for (const name of names) put(sealTestBundle(0), name);
    const result = await readBundles(folder.inbox);
    expect(result.accepted.map((b) => b.name)).toEqual([...names].sort());
    expect(result.progress.scanned).toBe(5);
  });
});

describe("limits", () => {
  it("take each bound itself and refuse one past it, naming the limit and its range", () => {
    expect(checkLimit("x", 5, 5, 9)).toBe(5);
    expect(checkLimit("x", 9, 5, 9)).toBe(9);
    expect(() => checkLimit("x", 10, 5, 9)).toThrow(new RangeError('"x" must be an integer from 5 to 9, got 10'));
    expect(() => checkLimit("x", 4, 5, 9)).toThrow(RangeError);
    expect(() => resolveLimits({ maxFileBytes: MIN_BUNDLE_BYTES - 1 })).toThrow(/"maxFileBytes"/);
    expect(() => resolveLimits({ maxTotalBytes: -1 })).toThrow(/"maxTotalBytes"/);
    expect(() => resolveLimits({ maxEntries: 0 })).toThrow(/"maxEntries"/);
    // No file limit past what one Buffer can hold (or the largest bundle, if smaller).
    const largest = Math.min(2 ** 40, bufferConstants.MAX_LENGTH);
    expect(resolveLimits({ maxFileBytes: largest }).maxFileBytes).toBe(largest);
    expect(() => resolveLimits({ maxFileBytes: largest + 1 })).toThrow(RangeError);
  });
});

describe("entries refused by the listing's type, before any open", () => {
  it("a named pipe, a socket and device nodes are refused unopened, links and folders named as such", async () => {
    execFileSync("mkfifo", [join(folder.inbox, newBundleName())]);
    server = createServer();
    const socket = join(folder.inbox, newBundleName());
    await new Promise<void>((resolve) => server!.listen(socket, resolve));
    symlinkSync(join(root, "elsewhere"), join(folder.inbox, newBundleName()));
    mkdirSync(join(folder.inbox, newBundleName()));
    // Opened, these would be refused on the descriptor with another reason ("named pipe",
    // "socket or device", "character device", "block device"): the listing caught them first.
    const devices = mknod(join(folder.inbox, newBundleName()), "c", 1, 3) && mknod(join(folder.inbox, newBundleName()), "b", 7, 0) ? 2 : 0;
    const result = await readBundles(folder.inbox);
    const reasons = result.rejected.map((i) => `${i.code}: ${i.reason}`).sort();
    expect(reasons).toEqual(
      [
        ...Array<string>(2 + devices).fill("USB_SPECIAL_FILE: device, pipe or socket (only plain files are read)"),
        "USB_NOT_A_FILE: folder (only plain files are read)",
        "USB_SYMLINK: symbolic link (links are never followed)",
      ].sort(),
    );
  });
});

/**
 * Bind mounts this test left behind when its process and the watcher were killed before
 * `finally`: older than ten minutes, so a run going on beside this one keeps its own.
 */
function unmountLeftovers(): void {
  if (!existsSync("/proc/self/mountinfo")) return;
  const prefix = join(tmpdir(), "airlock-usb-mut-");
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const point = line.split(" ")[4];
    if (point === undefined || !point.startsWith(prefix)) continue;
    const stick = point.slice(0, point.indexOf("/", prefix.length));
    if (Date.now() - statSync(stick).mtimeMs < 10 * 60_000) continue;
    try {
      execFileSync("umount", ["-l", point], { stdio: "ignore" });
      rmSync(stick, { recursive: true, force: true });
    } catch {
      // someone else's, or already gone
    }
  }
}

describe("entries swapped between the listing and their turn", () => {
  it("are judged by what is opened: a link, a folder, a pipe, a vanished file", async () => {
    const names = Array.from({ length: 5 }, () => newBundleName()).sort();
    for (const name of names) put(sealTestBundle(0), name);
    const [, link, sub, fifo, gone] = names.map((n) => join(folder.inbox, n)) as [string, string, string, string, string];
    const seen: string[] = [];
    for await (const event of scanBundles(folder.inbox)) {
      if (seen.length === 0) {
        // The listing is taken; the scan waits here until the first bundle is consumed.
        for (const path of [link, sub, fifo, gone]) unlinkSync(path);
        symlinkSync(join(root, "elsewhere"), link);
        mkdirSync(sub);
        execFileSync("mkfifo", [fifo]);
      }
      seen.push(event.type === "rejected" ? `${event.issue.code}: ${event.issue.reason}` : event.type);
    }
    expect(seen).toEqual([
      "accepted",
      "USB_SYMLINK: symbolic link (links are never followed)",
      "USB_NOT_A_FILE: folder (only plain files are read)",
      "USB_SPECIAL_FILE: named pipe (only plain files are read)",
      "USB_VANISHED: disappeared before it could be opened",
    ]);
  });

  it("a file whose content is shorter than its size said is refused as changed, not as a bad bundle", async (context) => {
    // A sysfs attribute reports 4096 bytes and holds a few: bind-mounted under a bundle's name,
    // the listing says plain file, fstat says 4096 bytes, and the read comes up short.
    const source = "/sys/kernel/uevent_seqnum";
    unmountLeftovers();
    const path = join(folder.inbox, newBundleName());
    writeFileSync(path, "");
    try {
      if (!existsSync(source)) throw new Error("no sysfs");
      execFileSync("mount", ["--bind", "-o", "ro", source, path], { stdio: "ignore" });
    } catch {
      context.skip(); // not root, or no mount(8): the case needs a file that lies about its size
      return;
    }
    // Unmounts if this process dies first (Stryker kills a worker whose mutant loops on the
    // short read, with its child processes: so the watcher is orphaned at once, outside that
    // tree); ends by itself once the mount is gone.
    const watch = '(while kill -0 "$0" 2>/dev/null && grep -qF " $1 " /proc/mounts; do sleep 1; done; umount -l "$1" 2>/dev/null) &';
    spawn("sh", ["-c", watch, String(process.pid), path], { detached: true, stdio: "ignore" }).unref();
    try {
      for (const validate of [true, false]) {
        const result = await readBundles(folder.inbox, { validate });
        expect(result.accepted).toHaveLength(0);
        expect(result.rejected.map((i) => i.code)).toEqual(["USB_CHANGED"]);
        expect(result.rejected[0]!.reason).toMatch(/^shrank to \d+ bytes while being read \(it was 4096 bytes when opened\)$/);
      }
    } finally {
      execFileSync("umount", ["-l", path]); // lazy: detached even if a descriptor is still open
    }
  });
});

describe("large bundles", () => {
  it("can be removed after the streamed import, only while the name is the file that was examined", async () => {
    const big = sealTestBundle(20_000);
    const options = { maxFileBytes: MIN_BUNDLE_BYTES, maxStreamBytes: big.length };
    put(big);
    const [first] = (await readBundles(folder.inbox, options)).large as [LargeBundle];
    expect(await removeBundle(first)).toBe(true);
    expect(readdirSync(folder.inbox)).toEqual([]);
    const name = put(big);
    const [second] = (await readBundles(folder.inbox, options)).large as [LargeBundle];
    unlinkSync(join(folder.inbox, name));
    writeFileSync(join(folder.inbox, name), sealTestBundle(30_000)); // another file under the same name
    const error = await removeBundle(second).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAirlockError(error, "USB_CHANGED")).toBe(true);
    expect(readdirSync(folder.inbox)).toEqual([name]);
  });
});

describe("a scan", () => {
  it("ends with an incomplete event when the folder holds more than maxEntries", async () => {
    put(sealTestBundle(0));
    put(sealTestBundle(0));
    const types: string[] = [];
    for await (const event of scanBundles(folder.inbox, { maxEntries: 1 })) types.push(event.type);
    expect(types).toEqual(["accepted", "incomplete"]);
  });

  it("closes every file it opened, accepted or refused", async () => {
    if (!existsSync("/proc/self/fd")) return;
    /** What this process's descriptors point to in the box (a descriptor may close while we look). */
    const openInBox = (): string[] =>
      readdirSync("/proc/self/fd").flatMap((fd) => {
        try {
          const target = readlinkSync(join("/proc/self/fd", fd));
          return target.startsWith(`${folder.inbox}/`) ? [target] : [];
        } catch {
          return [];
        }
      });
    put(sealTestBundle(0));
    put(new Uint8Array(10)); // too small
    put(new Uint8Array(MIN_BUNDLE_BYTES)); // not a bundle
    const result = await readBundles(folder.inbox);
    expect([result.accepted.length, result.rejected.length]).toEqual([1, 2]);
    expect(openInBox()).toEqual([]);
  });
});

describe("temp files of a writer that died", () => {
  it("are kept for an hour by default, then removed", async () => {
    const name = newTempName();
    const path = join(folder.outbox, name);
    writeFileSync(path, "partial");
    const written = statSync(path).mtimeMs;
    expect(await cleanupTempFiles(folder.outbox, { now: written + 59 * 60_000 })).toEqual({ removed: [], kept: 1, failed: [] });
    expect(await cleanupTempFiles(folder.outbox, { now: written + 61 * 60_000 })).toEqual({ removed: [name], kept: 0, failed: [] });
  });
});
