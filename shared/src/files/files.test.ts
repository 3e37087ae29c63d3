/**
 * sealFile / openFile on real files in a temp folder: round trips through both the file and
 * the in-memory APIs, byte identity with sealBundle, heads, copies, and every failure leaving
 * no output and no temp file behind. Two sizes: a small body (hashed on the calling thread)
 * and one just over WORKER_MIN_BYTES (hashed on the worker thread, several blocks); each
 * with both chunk AEADs: libsodium's (what runs here) and node:crypto's (the fallback where
 * sodium-native does not load, forced).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BundleSealer,
  ed25519KeyPair,
  isBundleError,
  openBundle,
  sealBundle,
  slotCountFor,
  x25519KeyPair,
  type BundleErrorCode,
  type SealRandomness,
} from "@airlock/bundle-format";
import { isAirlockError } from "../errors.js";
import { WORKER_MIN_BYTES } from "./body-hasher.js";
import { openFileUsing, openFile as openFileDefault, type OpenFileOptions } from "./open-file.js";
import { sealFileUsing, sealFile as sealFileDefault, type SealFileOptions } from "./seal-file.js";
import { fileChunkAead, loadChunkAead } from "./sodium-aead.js";

const sender = ed25519KeyPair();
const device = x25519KeyPair();
const stranger = x25519KeyPair();
const TAG = new Uint8Array(16).fill(7);
const SMALL = 70_001; // two chunks, inline hash
const LARGE = WORKER_MIN_BYTES + 123_457; // five blocks, worker hash
const MAX = 64 * 1024 * 1024;
const sodium = fileChunkAead();

const sealOptions = (extra: Partial<SealFileOptions> = {}): SealFileOptions => ({
  recipients: [device.publicKey, x25519KeyPair().publicKey],
  sender,
  mailboxTag: TAG,
  ...extra,
});
const openOptions = (extra: Partial<OpenFileOptions> = {}): OpenFileOptions => ({ recipient: device, maxLength: MAX, ...extra });

/** vitest's deep equality walks element by element: far too slow for megabytes. */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const content = (n: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** OS threads of this process (Linux): a worker thread is one more while it runs. */
const threads = (): number => readdirSync("/proc/self/task").length;
const linux = process.platform === "linux";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "airlock-files-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const path = (name: string): string => join(dir, name);
const listing = (): string[] => readdirSync(dir).sort();
function writeInput(name: string, bytes: Uint8Array): string {
  writeFileSync(path(name), bytes);
  return path(name);
}

async function expectCode(action: Promise<unknown>, code: BundleErrorCode | string): Promise<void> {
  const e = await action.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (isBundleError(e) || isAirlockError(e)) expect(e.code).toBe(code);
  else throw new Error(`expected ${code}, got ${String(e)}`);
}

/** Randomness as a test vector fixes it, so sealFile and sealBundle can be compared byte for byte. */
function fixedRandomness(recipients: number): SealRandomness {
  const slots: (number | Uint8Array)[] = [];
  for (let s = 0; s < slotCountFor(recipients); s++) slots.push(s < recipients ? s : content(48, s + 10));
  return { ephemeralSecret: content(32, 3), contentKey: content(32, 4), slots };
}

describe("the chunk AEAD", () => {
  it("is libsodium's where sodium-native loads (every platform with a prebuild), else node:crypto's", () => {
    expect(sodium).toBeDefined();
    expect(loadChunkAead("@airlock/no-such-binding")).toBeUndefined();
  });

  it("gives the same bundle on both paths, and either path opens the other's", async () => {
    const data = content(3 * 65536 + 5);
    const input = writeInput("in.bin", data);
    const options = sealOptions({ head: content(40, 2) });
    await sealFileUsing(sodium, input, path("sodium.bundle"), options, fixedRandomness(2));
    await sealFileUsing(undefined, input, path("node.bundle"), options, fixedRandomness(2));
    const bundle = readFileSync(path("sodium.bundle"));
    expect(same(bundle, readFileSync(path("node.bundle")))).toBe(true);
    expect(same(bundle, sealBundle(concat(options.head!, data), options, fixedRandomness(2)))).toBe(true);
    await openFileUsing(undefined, path("sodium.bundle"), path("a.bin"), openOptions({ headLength: 40 }));
    await openFileUsing(sodium, path("node.bundle"), path("b.bin"), openOptions({ headLength: 40 }));
    expect(same(readFileSync(path("a.bin")), data) && same(readFileSync(path("b.bin")), data)).toBe(true);
  });

  it("seals a padding of several output blocks to the bytes sealBundle makes", async () => {
    const data = content(70_000, 6);
    const options = sealOptions({ minLength: 3 * 1024 * 1024 + 12_345 });
    await sealFileUsing(sodium, writeInput("in.bin", data), path("padded.bundle"), options, fixedRandomness(2));
    const bundle = readFileSync(path("padded.bundle"));
    expect(bundle.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(same(bundle, sealBundle(data, options, fixedRandomness(2)))).toBe(true);
    await openFileUsing(sodium, path("padded.bundle"), path("out.bin"), openOptions());
    expect(same(readFileSync(path("out.bin")), data)).toBe(true);
  });
});

describe.each([
  ["small (hashed inline)", SMALL, "libsodium"],
  ["large (hashed on a worker)", LARGE, "libsodium"],
  ["small (hashed inline)", SMALL, "node:crypto"],
  ["large (hashed on a worker)", LARGE, "node:crypto"],
])("a %s file, %s AEAD", (_label, size, binding) => {
  const data = content(size);
  const head = content(300, 9);
  const aead = binding === "libsodium" ? sodium : undefined;
  const sealFile = (input: string, output: string, options: SealFileOptions, randomness?: SealRandomness): ReturnType<typeof sealFileDefault> =>
    sealFileUsing(aead, input, output, options, randomness);
  const openFile = (input: string, output: string | null, options: OpenFileOptions): ReturnType<typeof openFileDefault> => openFileUsing(aead, input, output, options);

  it("seals to exactly the bytes sealBundle makes for head + file", async () => {
    const input = writeInput("in.bin", data);
    const options = sealOptions({ head });
    const sealed = await sealFile(input, path("out.bundle"), options, fixedRandomness(2));
    const bundle = readFileSync(path("out.bundle"));
    expect(same(bundle, sealBundle(concat(head, data), options, fixedRandomness(2)))).toBe(true);
    expect(sealed).toEqual({ bundleLength: bundle.length, bodyLength: head.length + size, bodyHash: sha(head, data) });
    expect(listing()).toEqual(["in.bin", "out.bundle"]);
  });

  it("round trips through openBundle and openFile, with the head apart and the same body hash", async () => {
    const input = writeInput("in.bin", data);
    const sealed = await sealFile(input, path("out.bundle"), sealOptions({ head }));
    const bundle = readFileSync(path("out.bundle"));
    const opened = openBundle(bundle, { recipient: device, maxLength: MAX });
    expect(same(opened.body, concat(head, data))).toBe(true);
    expect(opened.bodyHash).toEqual(sealed.bodyHash);
    // node:crypto's SHA-256 (both threads) equals @noble's over the same bytes.
    expect(sealed.bodyHash).toEqual(nobleSha256(concat(head, data)));

    const file = await openFile(path("out.bundle"), path("plain.bin"), openOptions({ headLength: head.length }));
    expect(same(readFileSync(path("plain.bin")), data)).toBe(true);
    expect(file.head).toEqual(head);
    expect(file.bodyHash).toEqual(sealed.bodyHash);
    expect(file).toMatchObject({ sender: sender.publicKey, mailboxTag: TAG, length: bundle.length, bodyLength: head.length + size });
    expect(statSync(path("plain.bin")).mode & 0o777).toBe(0o600);
    expect(listing()).toEqual(["in.bin", "out.bundle", "plain.bin"]);
  });

  it("copies the bundle bytes as read to copyTo in the same pass, and verifies without output", async () => {
    await sealFile(writeInput("in.bin", data), path("out.bundle"), sealOptions());
    const file = await openFile(path("out.bundle"), null, openOptions({ copyTo: path("kept.bundle") }));
    expect(same(readFileSync(path("kept.bundle")), readFileSync(path("out.bundle")))).toBe(true);
    expect(file.head).toEqual(new Uint8Array(0));
    expect(listing()).toEqual(["in.bin", "kept.bundle", "out.bundle"]);
  });

  it("reports progress rising to the total, sealing and opening", async () => {
    const sealSeen: [number, number][] = [];
    await sealFile(writeInput("in.bin", data), path("out.bundle"), sealOptions({ head, onProgress: (d, t) => sealSeen.push([d, t]) }));
    const openSeen: [number, number][] = [];
    await openFile(path("out.bundle"), path("plain.bin"), openOptions({ onProgress: (d, t) => openSeen.push([d, t]) }));
    const bundleLength = statSync(path("out.bundle")).size;
    for (const [seen, total] of [
      [sealSeen, head.length + size],
      [openSeen, bundleLength],
    ] as const) {
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.every(([, t]) => t === total)).toBe(true);
      expect(seen.every(([d], i) => i === 0 || d > seen[i - 1]![0])).toBe(true);
      expect(seen.at(-1)![0]).toBe(total);
    }
  });

  it("stops on an abort mid-way, leaving neither output nor temp file", async () => {
    const input = writeInput("in.bin", data);
    const sealAbort = new AbortController();
    await expectCode(sealFile(input, path("out.bundle"), sealOptions({ signal: sealAbort.signal, onProgress: () => sealAbort.abort() })), "FILE_ABORTED");
    expect(listing()).toEqual(["in.bin"]);

    await sealFile(input, path("out.bundle"), sealOptions());
    const openAbort = new AbortController();
    const options = openOptions({ signal: openAbort.signal, copyTo: path("kept.bundle"), onProgress: () => openAbort.abort() });
    await expectCode(openFile(path("out.bundle"), path("plain.bin"), options), "FILE_ABORTED");
    expect(listing()).toEqual(["in.bin", "out.bundle"]);
  });

  it("refuses a damaged bundle with its code, leaving no output, copy or temp file", async () => {
    await sealFile(writeInput("in.bin", data), path("out.bundle"), sealOptions());
    const bundle = readFileSync(path("out.bundle"));
    const payloadAt = 66 + 48 * 4;
    const cases: [string, Uint8Array, BundleErrorCode, OpenFileOptions][] = [
      ["cut.bundle", bundle.subarray(0, bundle.length - 1), "BUNDLE_TRUNCATED", openOptions()],
      ["first-chunk.bundle", flip(bundle, payloadAt + 10), "BUNDLE_AUTH", openOptions()],
      // The last chunk: every body byte before it was already written to the temp file.
      ["last-chunk.bundle", flip(bundle, bundle.length - 20), "BUNDLE_AUTH", openOptions()],
      ["extra.bundle", concat(bundle, new Uint8Array(1)), "BUNDLE_MALFORMED", openOptions()],
      ["stranger.bundle", bundle, "BUNDLE_NOT_FOR_ME", openOptions({ recipient: stranger })],
      ["large.bundle", bundle, "BUNDLE_TOO_LARGE", openOptions({ maxLength: bundle.length - 1 })],
    ];
    for (const [name, bytes, code, options] of cases) {
      const input = writeInput(name, bytes);
      await expectCode(openFile(input, path("plain.bin"), { ...options, copyTo: path("kept.bundle") }), code);
      expect(existsSync(path("plain.bin")) || existsSync(path("kept.bundle"))).toBe(false);
      expect(listing().filter((f) => f.endsWith(".tmp"))).toEqual([]);
    }
  });

  it("refuses a bundle whose signature does not cover its body, after writing every chunk to the temp file", async () => {
    // Every chunk authenticates; only the signature (checked last) is wrong.
    const body = concat(head, data);
    const sealer = new BundleSealer(body.length, sealOptions(), undefined, { externalBodyHash: true });
    const forged = concat(sealer.prefix, ...sealer.push(body), ...sealer.finish(sha(data)));
    const input = writeInput("forged.bundle", forged);
    await expectCode(openFile(input, path("plain.bin"), openOptions({ copyTo: path("kept.bundle") })), "BUNDLE_AUTH");
    expect(listing()).toEqual(["forged.bundle"]);
  });

  it("calls onHead before any file byte is written, and stops when it throws", async () => {
    await sealFile(writeInput("in.bin", data), path("out.bundle"), sealOptions({ head }));
    const stop = new Error("over quota");
    let seen: { head: Uint8Array; bodyLength: number; outputTemps: number[] } | undefined;
    const onHead = (h: Uint8Array, bodyLength: number): never => {
      const temps = listing().filter((f) => f.startsWith(".plain.bin.") && f.endsWith(".tmp"));
      seen = { head: h, bodyLength, outputTemps: temps.map((f) => statSync(path(f)).size) };
      throw stop;
    };
    const failure = openFile(path("out.bundle"), path("plain.bin"), openOptions({ headLength: head.length, copyTo: path("kept.bundle"), onHead }));
    await expect(failure).rejects.toBe(stop);
    expect(seen?.head).toEqual(head);
    expect(seen?.bodyLength).toBe(head.length + size);
    expect(seen?.outputTemps).toEqual([0]); // the output's temp file exists, still empty
    expect(listing()).toEqual(["in.bin", "out.bundle"]);
  });

  it.runIf(linux)("shuts its worker thread down after success and after failure", async () => {
    const input = writeInput("in.bin", data);
    await sealFile(input, path("warm.bundle"), sealOptions()); // starts the thread pool: counted in the baseline
    const before = threads();
    let during = 0;
    await sealFile(input, path("out.bundle"), sealOptions({ onProgress: () => void (during = Math.max(during, threads())) }));
    expect(threads()).toBe(before);
    await openFile(path("out.bundle"), path("plain.bin"), openOptions({ onProgress: () => void (during = Math.max(during, threads())) }));
    expect(threads()).toBe(before);
    const damaged = writeInput("damaged.bundle", flip(readFileSync(path("out.bundle")), statSync(path("out.bundle")).size - 20));
    await expectCode(openFile(damaged, path("plain2.bin"), openOptions()), "BUNDLE_AUTH");
    expect(threads()).toBe(before);
    const abort = new AbortController();
    await expectCode(sealFile(input, path("aborted.bundle"), sealOptions({ signal: abort.signal, onProgress: () => abort.abort() })), "FILE_ABORTED");
    expect(threads()).toBe(before);
    // The large file ran on one thread more than the small one.
    expect(during).toBe(size >= WORKER_MIN_BYTES ? before + 1 : before);
  });
});

describe("sealFile and openFile edge cases", () => {
  const sealFile = sealFileDefault;
  const openFile = openFileDefault;

  it("seal and open an empty file with no head, and with a head only", async () => {
    const input = writeInput("empty.bin", new Uint8Array(0));
    const sealed = await sealFile(input, path("a.bundle"), sealOptions());
    expect(sealed.bodyLength).toBe(0);
    const opened = await openFile(path("a.bundle"), path("a.bin"), openOptions());
    expect(readFileSync(path("a.bin")).length).toBe(0);
    expect(opened.bodyHash).toEqual(sha());
    const head = content(4096, 5);
    await sealFile(input, path("b.bundle"), sealOptions({ head }));
    let onHeadCalled = false;
    const withHead = await openFile(path("b.bundle"), path("b.bin"), openOptions({ headLength: 4096, onHead: () => void (onHeadCalled = true) }));
    expect(withHead.head).toEqual(head);
    expect(onHeadCalled).toBe(true);
    expect(readFileSync(path("b.bin")).length).toBe(0);
    await expectCode(openFile(path("a.bundle"), path("c.bin"), openOptions({ headLength: 1 })), "BUNDLE_MALFORMED");
    expect(existsSync(path("c.bin"))).toBe(false);
  });

  it("names a missing input, a folder as input and a missing output folder with FILE_ codes", async () => {
    const input = writeInput("in.bin", content(10));
    await expectCode(sealFile(path("missing.bin"), path("x.bundle"), sealOptions()), "FILE_NOT_FOUND");
    mkdirSync(path("folder"));
    await expectCode(sealFile(path("folder"), path("x.bundle"), sealOptions()), "FILE_NOT_REGULAR");
    await expectCode(sealFile(input, path("no/such/x.bundle"), sealOptions()), "FILE_NOT_FOUND");
    await expectCode(openFile(path("missing.bundle"), path("x.bin"), openOptions()), "FILE_NOT_FOUND");
    expect(listing()).toEqual(["folder", "in.bin"]);
  });

  it("refuses an already aborted run before touching any file", async () => {
    const input = writeInput("in.bin", content(10));
    await expectCode(sealFile(input, path("x.bundle"), sealOptions({ signal: AbortSignal.abort() })), "FILE_ABORTED");
    expect(listing()).toEqual(["in.bin"]);
  });

  it("reads a bundle shorter than its header as truncated, and a non-bundle as malformed", async () => {
    await sealFile(writeInput("in.bin", content(10)), path("x.bundle"), sealOptions());
    const bundle = readFileSync(path("x.bundle"));
    await expectCode(openFile(writeInput("short.bundle", bundle.subarray(0, 40)), path("o.bin"), openOptions()), "BUNDLE_TRUNCATED");
    await expectCode(openFile(writeInput("junk.bundle", content(2000)), path("o.bin"), openOptions()), "BUNDLE_MALFORMED");
    expect(existsSync(path("o.bin"))).toBe(false);
  });

  it("refuses caller mistakes as TypeError/RangeError", async () => {
    const input = writeInput("in.bin", content(10));
    await expect(sealFile(input, path("x.bundle"), sealOptions({ head: new Uint8Array(4097) }))).rejects.toThrow(RangeError);
    await expect(openFile(input, path("x.bin"), openOptions({ headLength: 4097 }))).rejects.toThrow(RangeError);
    await expect(openFile(input, path("x.bin"), openOptions({ copyTo: path("x.bin") }))).rejects.toThrow(RangeError);
    await expect(openFile(input, path("x.bin"), openOptions({ maxLength: -1 }))).rejects.toThrow(RangeError);
    expect(listing()).toEqual(["in.bin"]);
  });
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[at]! ^= 0x20;
  return out;
}
