import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import ts from "typescript";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openBundle, randomBytes } from "@airlock/bundle-format";
import { sealTestBundle, testRecipient, testSender } from "../../test-support/bundles.js";
import { isAirlockError } from "../errors.js";
import { cleanupTempFiles } from "./cleanup.js";
import { prepareDropFolder, type DropFolder } from "./layout.js";
import { newTempName } from "./names.js";
import { readBundles } from "./read.js";
import { writeBundle, type WriteProgress } from "./write.js";

const recipient = testRecipient;
const sender = testSender;
const seal = (bodyLength: number): Uint8Array => sealTestBundle(bodyLength);

/** vitest's deep equality walks element by element: far too slow for megabytes. */
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;

let root: string;
let folder: DropFolder;
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "airlock-usb-write-"));
  folder = await prepareDropFolder(root);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function thrown(action: Promise<unknown>): Promise<unknown> {
  return action.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("writeBundle then readBundles", () => {
  it("round-trips many bundles of many sizes", async () => {
    const sizes = [0, 1, 100, 900, 1000, 5000, 65_536, 65_537, 200_000, ...Array.from({ length: 31 }, (_, i) => i * 37)];
    const written = new Map<string, Uint8Array>();
    for (const size of sizes) {
      const bundle = seal(size);
      const result = await writeBundle(folder.outbox, bundle);
      expect(result.size).toBe(bundle.length);
      expect(result.path).toBe(join(folder.outbox, result.name));
      written.set(result.name, bundle);
    }
    expect(written.size).toBe(sizes.length);
    expect(readdirSync(folder.outbox).sort()).toEqual([...written.keys()].sort()); // no temp file left

    const result = await readBundles(folder.outbox);
    expect(result.rejected).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(result.incomplete).toBeUndefined();
    expect(result.accepted.map((b) => b.name)).toEqual([...written.keys()].sort());
    for (const bundle of result.accepted) {
      expect(sameBytes(bundle.bytes, written.get(bundle.name))).toBe(true);
      expect(bundle.header?.length).toBe(bundle.size);
      expect(openBundle(bundle.bytes, { recipient }).sender).toEqual(sender.publicKey);
    }
    expect(result.progress).toEqual({
      scanned: sizes.length,
      accepted: sizes.length,
      rejected: 0,
      skipped: 0,
      bytes: [...written.values()].reduce((n, b) => n + b.length, 0),
    });
  });

  it("round-trips any batch (property)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 0, maxLength: 6 }), async (sizes) => {
        const box = join(root, `box${run++}`);
        mkdirSync(box);
        const bundles = sizes.map(seal);
        const names = [];
        for (const bundle of bundles) names.push((await writeBundle(box, bundle)).name);
        const result = await readBundles(box);
        expect(result.accepted.length).toBe(bundles.length);
        for (const bundle of result.accepted) expect(sameBytes(bundle.bytes, bundles[names.indexOf(bundle.name)])).toBe(true);
      }),
      { numRuns: runs(15) },
    );
  });

  it("reports progress piece by piece", async () => {
    const bundle = seal(3 * 1024 * 1024);
    const seen: WriteProgress[] = [];
    await writeBundle(folder.outbox, bundle, { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.at(-1)).toEqual({ written: bundle.length, total: bundle.length });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.written).toBeGreaterThan(seen[i - 1]!.written);
  });
});

describe("writeBundle refuses", () => {
  it("bytes that are not a bundle, and leaves nothing behind", async () => {
    const junk = randomBytes(4096);
    const e = await thrown(writeBundle(folder.outbox, junk));
    expect(isAirlockError(e, "USB_NOT_A_BUNDLE")).toBe(true);
    const truncated = seal(5000).subarray(0, 2048);
    expect(isAirlockError(await thrown(writeBundle(folder.outbox, truncated)), "USB_NOT_A_BUNDLE")).toBe(true);
    expect(isAirlockError(await thrown(writeBundle(folder.outbox, new Uint8Array(10), { validate: false })), "USB_TOO_SMALL")).toBe(true);
    expect(isAirlockError(await thrown(writeBundle(folder.outbox, seal(5000), { maxFileBytes: 2048 })), "USB_TOO_LARGE")).toBe(true);
    expect(readdirSync(folder.outbox)).toEqual([]);
    // The caller may opt out of validation (e.g. a test writing junk on purpose).
    await writeBundle(folder.outbox, junk, { validate: false });
    expect(readdirSync(folder.outbox)).toHaveLength(1);
  });

  it("a symlinked or missing box", async () => {
    const elsewhere = join(root, "elsewhere");
    mkdirSync(elsewhere);
    const link = join(root, "link");
    symlinkSync(elsewhere, link);
    expect(isAirlockError(await thrown(writeBundle(link, seal(10))), "USB_SYMLINK")).toBe(true);
    expect(isAirlockError(await thrown(writeBundle(join(root, "missing"), seal(10))), "USB_NOT_FOUND")).toBe(true);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("a non-Uint8Array, as a programming error", async () => {
    await expect(writeBundle(folder.outbox, "bundle" as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});

describe("atomicity", () => {
  it("a writer that fails mid-way leaves neither a final nor a temp file", async () => {
    const bundle = seal(3 * 1024 * 1024);
    const failure = new Error("caller stopped");
    const e = await thrown(
      writeBundle(folder.outbox, bundle, {
        onProgress: ({ written }) => {
          expect(readdirSync(folder.outbox).every((n) => n.startsWith(".tmp-"))).toBe(true);
          if (written >= 2 * 1024 * 1024) throw failure;
        },
      }),
    );
    expect(e).toBe(failure);
    expect(readdirSync(folder.outbox)).toEqual([]);
  });

  it("a leftover temp file is skipped by readers and removed once old", async () => {
    const bundle = seal(5000);
    const partialName = newTempName();
    writeFileSync(join(folder.inbox, partialName), bundle.subarray(0, 3000));
    const recentName = newTempName();
    writeFileSync(join(folder.inbox, recentName), bundle.subarray(0, 1000));
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(folder.inbox, partialName), old, old);
    // A link or folder that looks like a temp file is not ours to delete.
    symlinkSync(join(root, "outside"), join(folder.inbox, newTempName()));
    mkdirSync(join(folder.inbox, newTempName()));
    const complete = await writeBundle(folder.inbox, bundle);

    const read = await readBundles(folder.inbox);
    expect(read.accepted.map((b) => b.name)).toEqual([complete.name]);
    expect(read.skipped.map((i) => [i.name, i.code, i.reason]).sort()).toEqual(
      [partialName, recentName].sort().map((name) => [name, "USB_TEMP_FILE", "temporary file"]),
    );
    expect(read.rejected.map((i) => i.code).sort()).toEqual(["USB_NOT_A_FILE", "USB_SYMLINK"]);

    const cleaned = await cleanupTempFiles(folder.inbox);
    expect(cleaned).toEqual({ removed: [partialName], kept: 1, failed: [] });
    const later = await cleanupTempFiles(folder.inbox, { now: Date.now() + 2 * 3600_000 });
    expect(later).toEqual({ removed: [recentName], kept: 0, failed: [] });
    expect(readdirSync(folder.inbox)).toHaveLength(3); // the bundle, the link, the folder
    expect(existsSync(join(folder.inbox, complete.name))).toBe(true);
  });

  describe("a writer killed mid-write (real child process, SIGKILL)", () => {
    let modules: string;
    beforeAll(() => {
      modules = mkdtempSync(join(tmpdir(), "airlock-usb-child-"));
      transpileModuleTree(modules);
    });
    afterAll(() => rmSync(modules, { recursive: true, force: true }));

    it("leaves only a temp file, which readers skip and cleanup removes", async () => {
      const bundle = seal(4 * 1024 * 1024);
      const source = join(root, "source.bin");
      writeFileSync(source, bundle);
      const child = spawn(process.execPath, [join(modules, "child.js"), folder.outbox, source], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
      // The child blocks forever once half the bundle is on disk, and says so; no sleeps.
      const said = await new Promise<string>((resolve) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("\n")) resolve(out);
        });
        void exited.then(() => resolve(out));
      });
      expect(said, stderr).toBe("paused\n");

      const during = readdirSync(folder.outbox);
      expect(during).toHaveLength(1);
      expect(during[0]).toMatch(/^\.tmp-[a-z2-7]{26}\.partial$/);
      expect(statSync(join(folder.outbox, during[0]!)).size).toBeLessThan(bundle.length);

      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");

      expect(readdirSync(folder.outbox)).toEqual(during); // no final name ever appeared
      const read = await readBundles(folder.outbox);
      expect(read.accepted).toEqual([]);
      expect(read.skipped.map((i) => i.code)).toEqual(["USB_TEMP_FILE"]);
      expect((await cleanupTempFiles(folder.outbox)).kept).toBe(1); // too fresh: could be a live writer
      expect((await cleanupTempFiles(folder.outbox, { olderThanMs: 0, now: Date.now() + 1000 })).removed).toEqual(during);

      // The same child without the pause writes a complete bundle.
      const done = spawn(process.execPath, [join(modules, "child.js"), folder.outbox, source, "no-pause"], { stdio: "ignore" });
      expect(await new Promise((resolve) => done.on("exit", resolve))).toBe(0);
      const after = await readBundles(folder.outbox);
      expect(after.accepted).toHaveLength(1);
      expect(sameBytes(after.accepted[0]!.bytes, bundle)).toBe(true);
      expect(readFileSync(after.accepted[0]!.path).length).toBe(bundle.length);
    });
  });
});

/**
 * The child runs this module's real source: transpiled here with the TypeScript compiler
 * (so the test never runs a stale build), with @airlock/bundle-format pointed at its build.
 */
function transpileModuleTree(into: string): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundleFormat = pathToFileURL(createRequire(import.meta.url).resolve("@airlock/bundle-format")).href;
  const sources: [string, string][] = readdirSync(here)
    .filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts"))
    .map((n) => [join(here, n), join(into, "usb", n)]);
  sources.push([join(here, "..", "errors.ts"), join(into, "errors.ts")]);
  sources.push([join(here, "..", "files", "sync-directory.ts"), join(into, "files", "sync-directory.ts")]);
  mkdirSync(join(into, "usb"));
  mkdirSync(join(into, "files"));
  for (const [from, to] of sources) {
    const js = ts.transpileModule(readFileSync(from, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    writeFileSync(to.replace(/\.ts$/, ".js"), js.replaceAll('"@airlock/bundle-format"', JSON.stringify(bundleFormat)));
  }
  writeFileSync(join(into, "package.json"), '{ "type": "module" }\n');
  writeFileSync(
    join(into, "child.js"),
    `import { readFileSync, writeSync } from "node:fs";
import { writeBundle } from "./usb/write.js";
const [dir, source, mode] = process.argv.slice(2);
const bundle = new Uint8Array(readFileSync(source));
let paused = false;
await writeBundle(dir, bundle, {
  onProgress: ({ written, total }) => {
    if (mode === "no-pause" || paused || written < total / 2) return;
    paused = true;
    writeSync(1, "paused\\n");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks until killed
  },
});
`,
  );
}
