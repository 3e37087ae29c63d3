/**
 * Reading image files: opened without following links or blocking, sizes bounded before
 * allocation, typed errors, folders without symlinks. Hostile contents: image-structure.test.ts.
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, existsSync, openSync } from "node:fs";
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeJpeg } from "../../test-support/degrade.js";
import { tempFolder } from "../../test-support/qr-fixtures.js";
import { readImageFile } from "./image-read.js";
import { renderQrPng, renderQrRgba } from "./render-png.js";
import { listImageFiles, scanImageFolder } from "./scan-folder.js";

let dir: string;
let cleanup: () => Promise<void>;
const fifos: string[] = [];
beforeAll(async () => ({ dir, cleanup } = await tempFolder("images")));
afterAll(async () => {
  // Should a reader ever block on one of our pipes, a writer's open releases it.
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // ENXIO: nobody is waiting on it, as it should be
    }
  }
  await cleanup();
});

describe("opening a file never follows a link and never blocks", () => {
  it("the pixel and file-size limits can be lowered", async () => {
    const png = renderQrPng("LIMITS", { version: 1, level: "L", scale: 4 }); // 116×116
    const path = join(dir, "limits.png");
    await writeFile(path, png);
    await expect(readImageFile(path, { maxPixels: 100 * 100 })).rejects.toMatchObject({ code: "IMAGE_TOO_LARGE" });
    await expect(readImageFile(path, { maxFileBytes: png.length - 1 })).rejects.toMatchObject({
      code: "IMAGE_TOO_LARGE",
      hint: expect.stringContaining("smaller") as unknown,
    });
    expect((await readImageFile(path, { maxPixels: 116 * 116, maxFileBytes: png.length })).width).toBe(116);
  });

  // The timeouts only stop a regression from hanging the run: a blocked open never returns.
  it("a named pipe, with or without a writer, is IMAGE_NOT_A_FILE naming the path", { timeout: 10_000 }, async () => {
    const fifo = join(dir, "frame.png");
    execFileSync("mkfifo", [fifo]);
    fifos.push(fifo);
    await expect(readImageFile(fifo)).rejects.toMatchObject({ code: "IMAGE_NOT_A_FILE", message: `${fifo} is not a regular file: named pipe (only plain files are read)` });
    // A link to it is refused as a link, before anything could open the pipe.
    await symlink(fifo, join(dir, "fifo-link.png"));
    await expect(readImageFile(join(dir, "fifo-link.png"))).rejects.toMatchObject({ code: "IMAGE_NOT_A_FILE", message: expect.stringContaining("symbolic link") as unknown });
  });

  it("a socket and a device are IMAGE_NOT_A_FILE", { timeout: 10_000 }, async () => {
    const socketPath = join(dir, "frame.jpg");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await expect(readImageFile(socketPath)).rejects.toMatchObject({ code: "IMAGE_NOT_A_FILE", message: expect.stringContaining(socketPath) as unknown });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expect(readImageFile("/dev/null")).rejects.toMatchObject({ code: "IMAGE_NOT_A_FILE", message: expect.stringContaining("character device") as unknown });
    await expect(readImageFile(dir)).rejects.toMatchObject({ code: "IMAGE_NOT_A_FILE", message: expect.stringContaining("folder") as unknown });
  });

  it("an unreadable file is IMAGE_UNREADABLE (as root: root reads it, and an unprivileged child is refused)", async () => {
    const path = join(dir, "locked.png");
    await writeFile(path, renderQrPng("LOCKED", { version: 1, level: "L", scale: 2 }));
    await chmod(path, 0o000);
    if (process.getuid?.() !== 0) {
      await expect(readImageFile(path)).rejects.toMatchObject({ code: "IMAGE_UNREADABLE", message: expect.stringContaining("EACCES") as unknown });
      return;
    }
    // Root reads anything, so here the same file opens and decodes...
    await expect(readImageFile(path)).resolves.toMatchObject({ width: expect.any(Number) as unknown });
    // ...and the refusal is checked as nobody: the same reader (compiled; npm test builds first)
    // in a child process that setpriv (util-linux) drops to uid/gid 65534.
    const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
    if (setpriv === undefined) throw new Error("as root this test needs setpriv (util-linux) to read the file as an unprivileged user");
    const reader = fileURLToPath(new URL("../../dist/src/qr/image-read.js", import.meta.url));
    if (!existsSync(reader)) throw new Error(`${reader} is missing: build first (npm run build)`);
    await chmod(dir, 0o711); // nobody may pass through the test folder, not list it
    const script = `import { readImageFile } from ${JSON.stringify(pathToFileURL(reader).href)};
try { await readImageFile(${JSON.stringify(path)}); console.log("{}"); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const out = execFileSync(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(JSON.parse(out)).toMatchObject({ code: "IMAGE_UNREADABLE", message: expect.stringContaining("EACCES") as unknown });
  });
});

describe("folders", () => {
  it("lists image files in natural order, skipping subfolders, symlinks and other files", async () => {
    const folder = join(dir, "shots");
    await mkdir(join(folder, "sub.png"), { recursive: true });
    const png = renderQrPng("SHOT", { version: 1, level: "L", scale: 2 });
    for (const name of ["IMG_10.png", "IMG_2.png", "IMG_1.jpeg", "notes.txt"]) await writeFile(join(folder, name), png);
    await symlink(join(folder, "IMG_2.png"), join(folder, "IMG_3.png"));
    await symlink("/etc/passwd", join(folder, "IMG_4.png"));
    execFileSync("mkfifo", [join(folder, "IMG_5.png")]);
    fifos.push(join(folder, "IMG_5.png"));
    expect(await listImageFiles(folder)).toEqual(["IMG_1.jpeg", "IMG_2.png", "IMG_10.png"]);
    await expect(listImageFiles(folder, 2)).rejects.toMatchObject({ code: "IMAGE_FOLDER_TOO_LARGE" });
    await expect(listImageFiles(join(dir, "missing"))).rejects.toMatchObject({ code: "IMAGE_FOLDER_NOT_FOUND" });
  });

  it("opening a symlink directly is refused", async () => {
    await expect(readImageFile(join(dir, "shots", "IMG_3.png"))).rejects.toMatchObject({ code: "IMAGE_NOT_A_FILE" });
    await expect(readImageFile(join(dir, "shots", "nothing.png"))).rejects.toMatchObject({ code: "IMAGE_NOT_FOUND" });
  });

  it("a folder scan reports unreadable files and goes on", async () => {
    const folder = join(dir, "mixed");
    await mkdir(folder);
    await writeFile(join(folder, "a.png"), renderQrPng("FIRST", { version: 2, level: "M", scale: 3 }));
    await writeFile(join(folder, "b.png"), Buffer.from("not a png at all"));
    await writeFile(join(folder, "c.jpg"), encodeJpeg(renderQrRgba(new Uint8Array([0, 1, 2, 255]), { version: 2, level: "M", scale: 4 }), 80));
    await writeFile(join(folder, "d.png"), renderQrPng("", { version: 1, level: "L", scale: 1 }).subarray(0, 0));
    await writeFile(join(folder, "e.png"), renderQrPng("CUT", { version: 2, level: "M", scale: 3 }).subarray(0, 100));
    const results = [];
    for await (const r of scanImageFolder(folder)) results.push({ name: r.name, payload: r.payload, error: r.error?.code });
    expect(results).toEqual([
      { name: "a.png", payload: "FIRST", error: undefined },
      { name: "b.png", payload: undefined, error: "IMAGE_UNSUPPORTED" },
      { name: "c.jpg", payload: new Uint8Array([0, 1, 2, 255]), error: undefined },
      { name: "d.png", payload: undefined, error: "IMAGE_UNSUPPORTED" },
      { name: "e.png", payload: undefined, error: "IMAGE_CORRUPT" },
    ]);
  });
});
