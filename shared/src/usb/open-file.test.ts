/**
 * The descriptor-level checks, called directly: in a real scan the listing's file types
 * catch these first, so these paths only run when an entry is swapped after listing.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isRefusal, openRegularFile, readExactly } from "./open-file.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "airlock-usb-open-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function refusalCode(path: string): Promise<string> {
  const opened = await openRegularFile(path);
  if (!isRefusal(opened)) {
    await opened.handle.close();
    return "opened";
  }
  return opened.code;
}

describe("openRegularFile", () => {
  it("opens a regular file and reports its fstat size", async () => {
    writeFileSync(join(dir, "f"), "12345");
    const opened = await openRegularFile(join(dir, "f"));
    expect(isRefusal(opened)).toBe(false);
    if (isRefusal(opened)) return;
    expect(opened.size).toBe(5);
    await opened.handle.close();
  });

  it("refuses links (O_NOFOLLOW), pipes without blocking (O_NONBLOCK), devices and folders (fstat)", async () => {
    writeFileSync(join(dir, "target"), "x");
    symlinkSync(join(dir, "target"), join(dir, "link"));
    symlinkSync("/dev/zero", join(dir, "zero"));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    mkdirSync(join(dir, "sub"));
    expect(await refusalCode(join(dir, "link"))).toBe("USB_SYMLINK");
    expect(await refusalCode(join(dir, "zero"))).toBe("USB_SYMLINK");
    expect(await refusalCode(join(dir, "fifo"))).toBe("USB_SPECIAL_FILE");
    expect(await refusalCode("/dev/null")).toBe("USB_SPECIAL_FILE");
    expect(await refusalCode(join(dir, "sub"))).toBe("USB_NOT_A_FILE");
    expect(await refusalCode(join(dir, "gone"))).toBe("USB_VANISHED");
  });
});

describe("readExactly", () => {
  it("refuses a file that grew or shrank after it was sized", async () => {
    const path = join(dir, "f");
    writeFileSync(path, new Uint8Array(4096));
    for (const [change, reason] of [
      [() => appendFileSync(path, "more"), /grew/],
      [() => truncateSync(path, 1000), /shrank to 1000 bytes/],
    ] as const) {
      writeFileSync(path, new Uint8Array(4096));
      const handle = await open(path, "r");
      const size = (await handle.stat()).size;
      change();
      const result = await readExactly(handle, size);
      await handle.close();
      expect(isRefusal(result) && result.code).toBe("USB_CHANGED");
      expect(isRefusal(result) && result.reason).toMatch(reason);
    }
  });

  it("reads exactly the sized bytes", async () => {
    const path = join(dir, "f");
    const bytes = new Uint8Array(5000).map((_, i) => i % 251);
    writeFileSync(path, bytes);
    const handle = await open(path, "r");
    const result = await readExactly(handle, 5000);
    await handle.close();
    expect(result).toEqual(bytes);
  });
});
