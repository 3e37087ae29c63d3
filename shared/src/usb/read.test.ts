import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { randomBytes } from "@airlock/bundle-format";
import { sealTestBundle } from "../../test-support/bundles.js";
import { isAirlockError } from "../errors.js";
import { USB_ENTRY_CODES } from "./errors.js";
import { prepareDropFolder, type DropFolder } from "./layout.js";
import { DEFAULT_MAX_FILE_BYTES } from "./limits.js";
import { newBundleName, newTempName } from "./names.js";
import { readBundles, scanBundles, type AcceptedBundle, type ReadResult, type ScanProgress } from "./read.js";
import { removeBundle } from "./remove.js";

const seal = (bodyLength: number): Uint8Array => sealTestBundle(bodyLength);
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

let root: string;
let folder: DropFolder;
let servers: Server[] = [];
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "airlock-usb-read-"));
  folder = await prepareDropFolder(root);
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
  rmSync(root, { recursive: true, force: true });
});

async function thrown(action: Promise<unknown>): Promise<unknown> {
  return action.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** Every entry appears exactly once, with the code it was refused or skipped for. */
function codesByName(result: ReadResult): Map<string, string> {
  const codes = new Map<string, string>();
  for (const b of result.accepted) codes.set(b.name, "accepted");
  for (const issue of [...result.rejected, ...result.skipped]) {
    expect(codes.has(issue.name), `${issue.displayName} reported twice`).toBe(false);
    codes.set(issue.name, issue.code);
  }
  expect(codes.size).toBe(result.progress.scanned);
  return codes;
}

function put(name: string | Buffer, bytes: Uint8Array | string): void {
  writeFileSync(typeof name === "string" ? join(folder.inbox, name) : Buffer.concat([Buffer.from(`${folder.inbox}/`), name]), bytes);
}

describe("readBundles on a hostile folder", () => {
  it("accepts the bundles and reports every other entry with its code", async () => {
    const good = new Map<string, Uint8Array>();
    for (const size of [0, 3000, 70_000]) {
      const name = newBundleName();
      good.set(name, seal(size));
      put(name, good.get(name)!);
    }
    const expected = new Map<string, string>([...good.keys()].map((name) => [name, "accepted"]));
    const expect_ = (name: string, code: string): string => {
      expected.set(name, code);
      return name;
    };

    // Links, wherever they point, are never followed.
    const secret = join(root, "secret.txt");
    writeFileSync(secret, "outside the drop folder ".repeat(100));
    symlinkSync(secret, join(folder.inbox, expect_(newBundleName(), "USB_SYMLINK")));
    symlinkSync("/dev/zero", join(folder.inbox, expect_(newBundleName(), "USB_SYMLINK")));
    symlinkSync(join(folder.inbox, [...good.keys()][0]!), join(folder.inbox, expect_(newBundleName(), "USB_SYMLINK")));
    symlinkSync(join(root, "nowhere"), join(folder.inbox, expect_(newBundleName(), "USB_SYMLINK")));
    // Pipes, sockets and folders are never read (a FIFO would block a naive reader forever).
    execFileSync("mkfifo", [join(folder.inbox, expect_(newBundleName(), "USB_SPECIAL_FILE"))]);
    const socketName = expect_(newBundleName(), "USB_SPECIAL_FILE");
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(folder.inbox, socketName), resolve));
    mkdirSync(join(folder.inbox, expect_(newBundleName(), "USB_NOT_A_FILE")));
    mkdirSync(join(folder.inbox, expect_("x.airlock", "USB_NOT_A_FILE")));
    // Names: traversal-looking, control characters, invisible formatting, too long, wrong extension, hidden.
    const bundle = seal(10);
    put(expect_(`..\\..\\${newBundleName()}`, "USB_BAD_NAME"), bundle);
    put(expect_(`..${newBundleName()}`, "USB_HIDDEN_FILE"), bundle);
    put(expect_(`${newBundleName().slice(1)}\n`, "USB_BAD_NAME"), bundle);
    put(expect_(`\u001b[2J${newBundleName().slice(4)}`, "USB_BAD_NAME"), bundle);
    put(expect_(`\u202e${newBundleName().slice(1)}`, "USB_BAD_NAME"), bundle);
    put(expect_(`${"a".repeat(240)}.airlock`, "USB_BAD_NAME"), bundle);
    put(expect_(`${newBundleName()}.txt`, "USB_BAD_NAME"), bundle);
    put(expect_(newBundleName().replace(".airlock", ".bundle"), "USB_BAD_NAME"), bundle);
    put(expect_(newBundleName().toUpperCase(), "USB_BAD_NAME"), bundle);
    put(expect_(".DS_Store", "USB_HIDDEN_FILE"), bundle);
    put(expect_(`._${newBundleName()}`, "USB_HIDDEN_FILE"), bundle);
    // A name that is not even UTF-8: shown with U+FFFD, refused, never opened by its lossy name.
    put(Buffer.concat([Buffer.from(newBundleName().slice(0, 10)), Buffer.from([0xff, 0xfe]), Buffer.from(".airlock")]), bundle);
    // Temp files of a writer are skipped, not rejected.
    put(expect_(newTempName(), "USB_TEMP_FILE"), bundle.subarray(0, 500));
    // Sizes: empty, below a bundle's minimum, above the limit (sparse: no disk, no time).
    put(expect_(newBundleName(), "USB_TOO_SMALL"), "");
    put(expect_(newBundleName(), "USB_TOO_SMALL"), randomBytes(1023));
    const huge = expect_(newBundleName(), "USB_TOO_LARGE");
    put(huge, "");
    truncateSync(join(folder.inbox, huge), DEFAULT_MAX_FILE_BYTES + 1);
    const enormous = expect_(newBundleName(), "USB_TOO_LARGE");
    put(enormous, "");
    truncateSync(join(folder.inbox, enormous), 2 ** 42);
    // Right name and size, wrong content: header checked by bundle-format.
    put(expect_(newBundleName(), "USB_NOT_A_BUNDLE"), randomBytes(4096));
    put(expect_(newBundleName(), "USB_NOT_A_BUNDLE"), seal(5000).subarray(0, 4096));
    const padded = new Uint8Array(bundle.length + 64);
    padded.set(bundle);
    put(expect_(newBundleName(), "USB_NOT_A_BUNDLE"), padded);

    const progress: ScanProgress[] = [];
    const result = await readBundles(folder.inbox, { onProgress: (p) => progress.push(p) });
    const codes = codesByName(result);
    const undecodable = [...codes.keys()].find((n) => n.includes("\ufffd"));
    expect(undecodable).toBeDefined();
    expect(codes.get(undecodable!)).toBe("USB_BAD_NAME");
    codes.delete(undecodable!);
    expect(Object.fromEntries(codes)).toEqual(Object.fromEntries(expected));

    for (const b of result.accepted) expect(sameBytes(b.bytes, good.get(b.name)!)).toBe(true);
    for (const issue of [...result.rejected, ...result.skipped]) {
      expect(USB_ENTRY_CODES).toContain(issue.code);
      expect(issue.reason.length).toBeGreaterThan(0);
      // eslint-disable-next-line no-control-regex -- asserting their absence
      expect(issue.displayName).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    }
    const notABundle = result.rejected.filter((i) => i.code === "USB_NOT_A_BUNDLE").map((i) => i.reason);
    expect(notABundle).toEqual(expect.arrayContaining([expect.stringMatching(/magic/), expect.stringMatching(/cut short/), expect.stringMatching(/after its declared end/)]));
    expect(result.skipped.map((i) => i.reason)).toEqual(["temporary file"]);
    expect(result.incomplete).toBeUndefined();

    expect(progress).toHaveLength(result.progress.scanned);
    expect(progress.at(-1)).toEqual(result.progress);
    expect(result.progress).toMatchObject({ accepted: 3, skipped: 1, bytes: [...good.values()].reduce((n, b) => n + b.length, 0) });
    expect(progress.map((p) => p.scanned)).toEqual(progress.map((_, i) => i + 1));
  });

  it("refuses a symlinked box outright", async () => {
    const elsewhere = join(root, "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, newBundleName()), seal(10));
    rmSync(folder.inbox, { recursive: true });
    symlinkSync(elsewhere, folder.inbox);
    expect(isAirlockError(await thrown(readBundles(folder.inbox)), "USB_SYMLINK")).toBe(true);
    expect(isAirlockError(await thrown(prepareDropFolder(root)), "USB_SYMLINK")).toBe(true);
    expect(isAirlockError(await thrown(readBundles(join(root, "missing"))), "USB_NOT_FOUND")).toBe(true);
    writeFileSync(join(root, "file"), "x");
    expect(isAirlockError(await thrown(readBundles(join(root, "file"))), "USB_NOT_A_DIRECTORY")).toBe(true);
  });

  it("honours a lower per-file limit and can skip header checks", async () => {
    const small = newBundleName();
    const big = newBundleName();
    put(small, seal(10));
    put(big, seal(100_000));
    const junk = newBundleName();
    put(junk, randomBytes(2048));
    const result = await readBundles(folder.inbox, { maxFileBytes: 50_000 });
    expect(Object.fromEntries(codesByName(result))).toEqual({ [small]: "accepted", [big]: "USB_TOO_LARGE", [junk]: "USB_NOT_A_BUNDLE" });
    const raw = await readBundles(folder.inbox, { validate: false });
    expect(raw.accepted.map((b) => b.name).sort()).toEqual([small, big, junk].sort());
    expect(raw.accepted.every((b) => b.header === undefined)).toBe(true);
  });

  it("stops at the total-bytes bound and leaves the rest for the next run", async () => {
    const names = Array.from({ length: 5 }, () => newBundleName());
    for (const name of names) put(name, seal(10)); // 1024 bytes each
    const first = await readBundles(folder.inbox, { maxTotalBytes: 3 * 1024 });
    expect(first.accepted).toHaveLength(3);
    expect(first.rejected.map((i) => i.code)).toEqual(["USB_TOTAL_LIMIT", "USB_TOTAL_LIMIT"]);
    expect(first.progress.bytes).toBe(3 * 1024);
    for (const bundle of first.accepted) expect(await removeBundle(bundle)).toBe(true);
    const second = await readBundles(folder.inbox, { maxTotalBytes: 3 * 1024 });
    expect(second.accepted.map((b) => b.name)).toEqual(first.rejected.map((i) => i.name));
    expect(second.rejected).toEqual([]);
  });

  it("bounds the entries scanned, and stays fast with thousands of files", async () => {
    const bundle = seal(10);
    for (let i = 0; i < 5050; i++) put(newBundleName(), bundle);
    const bounded = await readBundles(folder.inbox, { maxEntries: 5000 });
    expect(bounded.progress).toEqual({ scanned: 5000, accepted: 5000, rejected: 0, skipped: 0, bytes: 5000 * bundle.length });
    expect(bounded.incomplete?.code).toBe("USB_TOO_MANY_ENTRIES");
    expect(bounded.incomplete?.reason).toMatch(/more than 5000/);
    // The next run, after the vault removed what it imported, reads the rest.
    for (const accepted of bounded.accepted) await removeBundle(accepted);
    const rest = await readBundles(folder.inbox, { maxEntries: 5000 });
    expect(rest.progress).toMatchObject({ scanned: 50, accepted: 50 });
    expect(rest.incomplete).toBeUndefined();
  });

  it("rejects limits that make no sense, as programming errors", async () => {
    for (const options of [{ maxFileBytes: 10 }, { maxFileBytes: 1.5e3 + 0.5 }, { maxTotalBytes: -1 }, { maxEntries: 0 }, { maxEntries: Number.NaN }]) {
      await expect(readBundles(folder.inbox, options)).rejects.toThrow(RangeError);
    }
  });
});

describe("scanBundles", () => {
  it("yields one event per entry and can be abandoned midway", async () => {
    for (let i = 0; i < 4; i++) put(newBundleName(), seal(i * 100));
    put(newTempName(), "partial");
    const types: string[] = [];
    for await (const event of scanBundles(folder.inbox)) {
      types.push(event.type);
      if (types.length === 2) break;
    }
    expect(types).toEqual(["skipped", "accepted"]); // name order: the temp file's dot sorts first
    const all: string[] = [];
    for await (const event of scanBundles(folder.inbox)) all.push(event.type);
    expect(all.sort()).toEqual(["accepted", "accepted", "accepted", "accepted", "skipped"]);
  });
});

describe("removeBundle", () => {
  let accepted: AcceptedBundle;
  beforeEach(async () => {
    put(newBundleName(), seal(10));
    [accepted] = (await readBundles(folder.inbox)).accepted as [AcceptedBundle];
  });

  it("removes an accepted bundle once", async () => {
    expect(await removeBundle(accepted)).toBe(true);
    expect(readdirSync(folder.inbox)).toEqual([]);
    expect(await removeBundle(accepted)).toBe(false);
  });

  it("refuses anything the reader did not hand out, whatever its name", async () => {
    const outside = join(root, "victim.airlock");
    writeFileSync(outside, "keep me");
    for (const name of ["../victim.airlock", accepted.name]) {
      const forged = { ...accepted, name, path: join(folder.inbox, name) };
      expect(isAirlockError(await thrown(removeBundle(forged)), "USB_NOT_ACCEPTED")).toBe(true);
    }
    expect(readFileSync(outside, "utf8")).toBe("keep me");
    expect(readdirSync(folder.inbox)).toEqual([accepted.name]);
  });

  it("leaves a file that replaced the accepted one, and never follows a link", async () => {
    const path = join(folder.inbox, accepted.name);
    unlinkSync(path);
    writeFileSync(path, seal(1000)); // same name, likely the same (reused) inode number
    expect(isAirlockError(await thrown(removeBundle(accepted)), "USB_CHANGED")).toBe(true);
    unlinkSync(path);
    const target = join(root, "target");
    writeFileSync(target, "keep me");
    symlinkSync(target, path);
    expect(isAirlockError(await thrown(removeBundle(accepted)), "USB_CHANGED")).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("keep me");
  });
});
