/**
 * What the mutation run of the USB reader (`npm run mutate -- usb`, docs/testing.md, "Mutation
 * testing") found unguarded in the drop-folder layout: the messages that name the path and the
 * error, the folders' mode, a folder that cannot be created, a path that fails for another
 * reason than not existing (a link loop), and the identity check that notices a box folder
 * removed or replaced during a scan. Real folders, links and files.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAirlockError } from "../errors.js";
import { checkRealDirectory, checkSameDirectory, DROP_BOXES, DROP_SIDES, prepareDropFolder } from "./layout.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "airlock-usb-layout-mut-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** The code and message of what `action` threw; fails if it did not throw an AirlockError. */
async function failure(action: Promise<unknown>): Promise<[string, string]> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAirlockError(error)) throw new Error(`expected an AirlockError, got ${String(error)}`);
  expect(error.hint).toBeTruthy();
  return [error.code, error.message];
}

describe("prepareDropFolder", () => {
  it("makes exactly the boxes DROP_BOXES names, each written by one side and read by the other", async () => {
    const folder = await prepareDropFolder(root);
    expect(DROP_BOXES).toEqual(["inbox", "outbox"]);
    for (const box of DROP_BOXES) expect(statSync(folder[box]).isDirectory()).toBe(true);
    expect(DROP_BOXES.map((box) => [DROP_SIDES.vault.reads === box, DROP_SIDES.courier.reads === box])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it("creates the folders for this user only (mode 700)", async () => {
    const folder = await prepareDropFolder(root);
    for (const path of [folder.airlock, folder.inbox, folder.outbox]) expect(statSync(path).mode & 0o777).toBe(0o700);
  });

  it("names the root and why it cannot be used", async () => {
    const missing = join(root, "not-mounted");
    expect(await failure(prepareDropFolder(missing))).toEqual(["USB_NOT_FOUND", `${missing} cannot be opened (ENOENT)`]);
    writeFileSync(join(root, "file"), "x");
    expect(await failure(prepareDropFolder(join(root, "file")))).toEqual(["USB_NOT_A_DIRECTORY", `${join(root, "file")} is not a folder`]);
  });

  it("names the folder it could not create and the error, not a missing folder", async () => {
    // A real folder in which nothing can be created, even by root: /proc/self (mkdir: ENOENT).
    if (process.platform !== "linux" || !existsSync("/proc/self")) return;
    expect(await failure(prepareDropFolder("/proc/self"))).toEqual(["USB_WRITE_FAILED", "cannot create /proc/self/airlock (ENOENT)"]);
  });

  it("names the link or the file that is in the way", async () => {
    mkdirSync(join(root, "elsewhere"));
    symlinkSync(join(root, "elsewhere"), join(root, "airlock"));
    expect(await failure(prepareDropFolder(root))).toEqual(["USB_SYMLINK", `${join(root, "airlock")} is a symbolic link; Airlock only uses real folders`]);
    rmSync(join(root, "airlock"));
    writeFileSync(join(root, "airlock"), "x");
    expect(await failure(prepareDropFolder(root, { create: false }))).toEqual(["USB_NOT_A_DIRECTORY", `${join(root, "airlock")} is not a folder`]);
  });
});

describe("checkRealDirectory", () => {
  it("returns the folder's own identity", async () => {
    const stats = await checkRealDirectory(root);
    const real = statSync(root, { bigint: true });
    expect([stats.dev, stats.ino, stats.isDirectory()]).toEqual([real.dev, real.ino, true]);
  });

  it("reports a path through a file (ENOTDIR) as not found, and any other failure (a link loop) as unreadable", async () => {
    writeFileSync(join(root, "file"), "x");
    const throughFile = join(root, "file", "inbox");
    expect(await failure(checkRealDirectory(throughFile))).toEqual(["USB_NOT_FOUND", `${throughFile} does not exist`]);
    symlinkSync(join(root, "loop"), join(root, "loop"));
    const throughLoop = join(root, "loop", "inbox");
    expect(await failure(checkRealDirectory(throughLoop))).toEqual(["USB_READ_FAILED", `${throughLoop} cannot be examined (ELOOP)`]);
  });
});

describe("checkSameDirectory", () => {
  it("passes for the folder first examined", async () => {
    const before = await checkRealDirectory(root);
    await expect(checkSameDirectory(root, before)).resolves.toBeUndefined();
  });

  it("notices the folder removed, replaced by a link, or replaced by another folder", async () => {
    const box = join(root, "inbox");
    mkdirSync(box);
    const before = await checkRealDirectory(box);
    renameSync(box, join(root, "old")); // kept, so the new folder cannot reuse its inode number
    expect(await failure(checkSameDirectory(box, before))).toEqual(["USB_FOLDER_CHANGED", `${box} was removed or replaced during the operation`]);
    symlinkSync(join(root, "old"), box);
    expect((await failure(checkSameDirectory(box, before)))[0]).toBe("USB_FOLDER_CHANGED");
    rmSync(box);
    mkdirSync(box);
    expect(await failure(checkSameDirectory(box, before))).toEqual(["USB_FOLDER_CHANGED", `${box} was replaced by another folder during the operation`]);
  });

  it("compares the device as well as the inode number (another stick's folder may have the same)", async () => {
    const before = await checkRealDirectory(root);
    const otherDevice = Object.assign(Object.create(Object.getPrototypeOf(before) as object) as typeof before, before, { dev: before.dev + 1n });
    expect((await failure(checkSameDirectory(root, otherDevice)))[0]).toBe("USB_FOLDER_CHANGED");
    const otherInode = Object.assign(Object.create(Object.getPrototypeOf(before) as object) as typeof before, before, { ino: before.ino + 1n });
    expect((await failure(checkSameDirectory(root, otherInode)))[0]).toBe("USB_FOLDER_CHANGED");
  });
});
