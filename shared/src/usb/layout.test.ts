import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAirlockError } from "../errors.js";
import { DROP_SIDES, prepareDropFolder } from "./layout.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "airlock-usb-layout-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function expectCode(action: Promise<unknown>, code: string): Promise<void> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAirlockError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  if (isAirlockError(error)) expect(error.hint).toBeTruthy();
}

describe("drop folder layout", () => {
  it("creates airlock/inbox and airlock/outbox, and is idempotent", async () => {
    const folder = await prepareDropFolder(root);
    expect(folder).toEqual({
      root,
      airlock: join(root, "airlock"),
      inbox: join(root, "airlock", "inbox"),
      outbox: join(root, "airlock", "outbox"),
    });
    expect(readdirSync(folder.airlock).sort()).toEqual(["inbox", "outbox"]);
    writeFileSync(join(folder.inbox, "keep"), "x");
    expect(await prepareDropFolder(root)).toEqual(folder);
    expect(readdirSync(folder.inbox)).toEqual(["keep"]);
    expect(await prepareDropFolder(root, { create: false })).toEqual(folder);
  });

  it("names directions from the vault's point of view", () => {
    expect(DROP_SIDES.vault).toEqual({ writes: "outbox", reads: "inbox" });
    expect(DROP_SIDES.courier).toEqual({ writes: "inbox", reads: "outbox" });
  });

  it("only checks when asked not to create", async () => {
    await expectCode(prepareDropFolder(root, { create: false }), "USB_NOT_FOUND");
    expect(readdirSync(root)).toEqual([]);
  });

  it("refuses a missing root or a root that is a file", async () => {
    await expectCode(prepareDropFolder(join(root, "not-mounted")), "USB_NOT_FOUND");
    writeFileSync(join(root, "file"), "x");
    await expectCode(prepareDropFolder(join(root, "file")), "USB_NOT_A_DIRECTORY");
  });

  it("accepts a root reached through a link (the user chose it)", async () => {
    mkdirSync(join(root, "real"));
    symlinkSync(join(root, "real"), join(root, "mount"));
    const folder = await prepareDropFolder(join(root, "mount"));
    expect(statSync(join(root, "real", "airlock", "inbox")).isDirectory()).toBe(true);
    expect(folder.inbox).toBe(join(root, "mount", "airlock", "inbox"));
  });

  it("refuses a symlinked airlock folder, inbox or outbox", async () => {
    const elsewhere = join(root, "elsewhere");
    mkdirSync(join(elsewhere, "inbox"), { recursive: true });
    mkdirSync(join(elsewhere, "outbox"));

    const stick1 = join(root, "stick1");
    mkdirSync(stick1);
    symlinkSync(elsewhere, join(stick1, "airlock"));
    await expectCode(prepareDropFolder(stick1), "USB_SYMLINK");

    for (const box of ["inbox", "outbox"]) {
      const stick = join(root, `stick-${box}`);
      mkdirSync(join(stick, "airlock"), { recursive: true });
      symlinkSync(join(elsewhere, box), join(stick, "airlock", box));
      await expectCode(prepareDropFolder(stick), "USB_SYMLINK");
      await expectCode(prepareDropFolder(stick, { create: false }), "USB_SYMLINK");
    }
    // A dangling link is refused too, not replaced by a folder.
    const stick4 = join(root, "stick4");
    mkdirSync(join(stick4, "airlock"), { recursive: true });
    symlinkSync(join(root, "nowhere"), join(stick4, "airlock", "inbox"));
    await expectCode(prepareDropFolder(stick4), "USB_SYMLINK");
  });

  it("refuses a file where a folder belongs", async () => {
    writeFileSync(join(root, "airlock"), "x");
    await expectCode(prepareDropFolder(root), "USB_NOT_A_DIRECTORY");
    rmSync(join(root, "airlock"));
    mkdirSync(join(root, "airlock"));
    writeFileSync(join(root, "airlock", "outbox"), "x");
    await expectCode(prepareDropFolder(root), "USB_NOT_A_DIRECTORY");
  });
});
