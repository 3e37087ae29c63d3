/**
 * What the mutation run of the USB reader (`npm run mutate -- usb`, docs/testing.md, "Mutation
 * testing") found unguarded in the descriptor-level checks: the reason of each refusal, which
 * failed open(2) maps to which code (a socket's ENXIO, a driverless device's ENODEV, ENOTDIR),
 * a read that fails, and the file identity removal compares. Real files, pipes, sockets and
 * device nodes; the device nodes need mknod (root), and those tests are skipped without it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mknod } from "../../test-support/device-nodes.js";
import { identityOf, isRefusal, openRegularFile, readExactly, sameIdentity, type FileIdentity } from "./open-file.js";

let dir: string;
let server: Server | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "airlock-usb-open-mut-"));
});
afterEach(async () => {
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});


const probe = mkdtempSync(join(tmpdir(), "airlock-usb-mknod-"));
const canMknod = mknod(join(probe, "null"), "c", 1, 3);
rmSync(probe, { recursive: true, force: true });

/**
 * A misc-device minor (major 10) with no driver behind it: opening its node fails with ENODEV.
 * 240-254 are reserved for local use; the first one /proc/misc does not list.
 */
function driverlessMiscMinor(): number | undefined {
  if (!existsSync("/proc/misc")) return undefined;
  const used = new Set(readFileSync("/proc/misc", "utf8").split("\n").map((l) => Number(l.trim().split(/\s+/)[0])));
  for (let minor = 240; minor <= 254; minor++) if (!used.has(minor)) return minor;
  return undefined;
}

async function refusalOf(path: string): Promise<[string, string] | "opened"> {
  const opened = await openRegularFile(path);
  if (!isRefusal(opened)) {
    await opened.handle.close();
    return "opened";
  }
  return [opened.code, opened.reason];
}

describe("openRegularFile", () => {
  it("reports the opened file's size and identity (device, inode, size, timestamps)", async () => {
    const path = join(dir, "f");
    writeFileSync(path, "12345");
    const opened = await openRegularFile(path);
    if (isRefusal(opened)) throw new Error(opened.reason);
    await opened.handle.close();
    const s = await stat(path, { bigint: true });
    expect(opened.size).toBe(5);
    expect(opened.identity).toEqual({ dev: s.dev, ino: s.ino, size: 5n, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs });
  });

  it("names what it refused: a link, a folder, a named pipe, a character device, a vanished file", async () => {
    writeFileSync(join(dir, "target"), "x");
    symlinkSync(join(dir, "target"), join(dir, "link"));
    mkdirSync(join(dir, "sub"));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    expect(await refusalOf(join(dir, "link"))).toEqual(["USB_SYMLINK", "symbolic link (links are never followed)"]);
    expect(await refusalOf(join(dir, "sub"))).toEqual(["USB_NOT_A_FILE", "folder (only plain files are read)"]);
    expect(await refusalOf(join(dir, "fifo"))).toEqual(["USB_SPECIAL_FILE", "named pipe (only plain files are read)"]);
    expect(await refusalOf("/dev/null")).toEqual(["USB_SPECIAL_FILE", "character device (only plain files are read)"]);
    expect(await refusalOf(join(dir, "gone"))).toEqual(["USB_VANISHED", "disappeared before it could be opened"]);
  });

  it("refuses a socket, which cannot be opened at all (ENXIO), as a special file", async () => {
    const path = join(dir, "sock");
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(path, resolve));
    expect(await refusalOf(path)).toEqual(["USB_SPECIAL_FILE", "socket or device (only plain files are read)"]);
  });

  it("refuses a path through a file (ENOTDIR) as unreadable, naming the error", async () => {
    writeFileSync(join(dir, "file"), "x");
    expect(await refusalOf(join(dir, "file", "x"))).toEqual(["USB_UNREADABLE", "cannot be opened (ENOTDIR)"]);
  });

  it.runIf(canMknod)("refuses a block device and a device without a driver (ENODEV)", async () => {
    expect(mknod(join(dir, "block"), "b", 7, 0)).toBe(true); // a loop device: opening it read-only is harmless
    const opened = await refusalOf(join(dir, "block"));
    // Without the loop driver the open fails (ENXIO); either way it is refused as a special file.
    expect(["block device (only plain files are read)", "socket or device (only plain files are read)"]).toContain(opened !== "opened" && opened[1]);
    expect(opened !== "opened" && opened[0]).toBe("USB_SPECIAL_FILE");
    const minor = driverlessMiscMinor();
    if (minor === undefined) return;
    expect(mknod(join(dir, "nodriver"), "c", 10, minor)).toBe(true);
    expect(await refusalOf(join(dir, "nodriver"))).toEqual(["USB_SPECIAL_FILE", "socket or device (only plain files are read)"]);
  });
});

describe("readExactly", () => {
  it("refuses a read that fails, naming the error and how far it got", async () => {
    const handle = await open(dir, "r"); // a folder opens, but reading it fails with EISDIR
    const result = await readExactly(handle, 10);
    await handle.close();
    expect(result).toEqual({ code: "USB_UNREADABLE", reason: "read failed after 0 bytes (EISDIR)" });
  });

  it("states by how much the file shrank or that it grew", async () => {
    const path = join(dir, "f");
    writeFileSync(path, new Uint8Array(1000));
    const handle = await open(path, "r");
    expect(await readExactly(handle, 1500)).toEqual({ code: "USB_CHANGED", reason: "shrank to 1000 bytes while being read (it was 1500 bytes when opened)" });
    expect(await readExactly(handle, 999)).toEqual({ code: "USB_CHANGED", reason: "grew while being read (it was 999 bytes when opened)" });
    expect(await readExactly(handle, 1000)).toEqual(new Uint8Array(1000));
    await handle.close();
  });
});

describe("file identity", () => {
  it("copies exactly the five fields and tells apart files that differ in any one of them", () => {
    const a: FileIdentity = { dev: 1n, ino: 2n, size: 3n, mtimeNs: 4n, ctimeNs: 5n };
    expect(identityOf({ ...a, extra: 9n } as FileIdentity)).toEqual(a);
    expect(sameIdentity(a, { ...a })).toBe(true);
    for (const field of ["dev", "ino", "size", "mtimeNs", "ctimeNs"] as const) {
      expect(sameIdentity(a, { ...a, [field]: a[field] + 1n }), field).toBe(false);
    }
  });
});
