/**
 * What openInput refuses without following or blocking: a link (a file on a stick swapped for
 * one after the scan named it), a named pipe (which would block a plain open for ever), a folder.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openInput } from "./input-file.js";

const dir = mkdtempSync(join(tmpdir(), "airlock-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openInput", () => {
  it("opens a regular file and refuses a link, a pipe and a folder as FILE_NOT_REGULAR", async () => {
    writeFileSync(join(dir, "real"), "bytes");
    const ok = await openInput(join(dir, "real"));
    expect(ok.size).toBe(5);
    await ok.handle.close();
    symlinkSync(join(dir, "real"), join(dir, "link"));
    execFileSync("mkfifo", [join(dir, "pipe")]);
    for (const name of ["link", "pipe", "."]) await expect(openInput(join(dir, name)), name).rejects.toMatchObject({ code: "FILE_NOT_REGULAR" });
  });
});
