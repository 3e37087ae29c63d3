import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { collect, deviceKey, fixture, outcome, outcomeAsync, pieces, sealFixed } from "../test-support/fixtures.js";
import { CHUNK_SIZE } from "./chunks.js";
import { HEADER_LENGTH, MAX_RECIPIENTS, SLOT_LENGTH } from "./layout.js";
import { BundleOpener, inspectBundle, openBundle, openBundleStream } from "./open.js";
import { isBucket, MIN_BUCKET } from "./padding.js";
import { randomBytes } from "./primitives.js";
import { BundleSealer, sealBundle, sealBundleStream, sealedLength } from "./seal.js";

const SIZES = [0, 1, 2, 15, 16, 17, 100, 919, 920, 921, 1000, CHUNK_SIZE - 104, CHUNK_SIZE - 40, CHUNK_SIZE - 39, CHUNK_SIZE,
  CHUNK_SIZE + 1, 2 * CHUNK_SIZE - 104, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 17, 1_000_000];

describe("seal and open round trip", () => {
  const fx = fixture(3);

  it.each(SIZES)("a %i-byte body opens for every recipient, with the sender verified", (size) => {
    const body = randomBytes(size);
    const bundle = sealBundle(body, fx.options);
    expect(isBucket(bundle.length)).toBe(true);
    expect(bundle.length).toBe(sealedLength(size, 3));
    for (const device of fx.devices) {
      const opened = openBundle(bundle, { recipient: device });
      expect(Buffer.compare(opened.body, body)).toBe(0);
      expect(opened.sender).toEqual(fx.sender.publicKey);
      expect(opened.bodyLength).toBe(size);
      expect(opened.mailboxTag).toEqual(fx.options.mailboxTag);
    }
  });

  it("fills the smallest fitting bucket exactly across chunk boundaries", () => {
    // Walk body sizes across several chunk boundaries: every output is a bucket and opens.
    for (let size = CHUNK_SIZE - 200; size < CHUNK_SIZE + 200; size += 7) {
      const bundle = sealBundle(new Uint8Array(size), fx.options);
      expect(isBucket(bundle.length)).toBe(true);
      expect(openBundle(bundle, { recipient: fx.devices[0]! }).bodyLength).toBe(size);
    }
  });

  it("never makes a bundle smaller than the minimum bucket", () => {
    expect(sealBundle(new Uint8Array(0), fx.options).length).toBe(MIN_BUCKET);
  });

  it("honours minLength by padding up to a larger bucket", () => {
    const bundle = sealBundle(new Uint8Array(10), { ...fx.options, minLength: 5000 });
    expect(bundle.length).toBeGreaterThanOrEqual(5000);
    expect(isBucket(bundle.length)).toBe(true);
    expect(openBundle(bundle, { recipient: fx.devices[2]! }).body).toEqual(new Uint8Array(10));
  });

  it("pads the recipient slots to a power of two of at least 4, so team size does not show", () => {
    const cases: [number, number][] = [[1, 4], [4, 4], [5, 8], [9, 16], [64, 64], [65, 128]];
    for (const [recipients, slots] of cases) {
      const devices = [...Array(recipients).keys()].map((i) => deviceKey(`slots ${recipients} ${i}`));
      const bundle = sealBundle(new Uint8Array(5), { ...fx.options, recipients: devices.map((d) => d.publicKey) });
      expect(inspectBundle(bundle).slotCount).toBe(slots);
      expect(openBundle(bundle, { recipient: devices[recipients - 1]! }).bodyLength).toBe(5);
    }
  });

  it("minSlots gives a bundle for fewer devices the slot count of more, the extra slots random; out of range is refused", () => {
    const [one] = [deviceKey("min slots")];
    const bundle = sealBundle(new Uint8Array(5), { ...fx.options, recipients: [one!.publicKey], minSlots: 6 });
    expect(inspectBundle(bundle).slotCount).toBe(8);
    expect(bundle.length).toBe(sealedLength(5, 6));
    expect(openBundle(bundle, { recipient: one! }).bodyLength).toBe(5);
    // Never fewer slots than recipients.
    expect(inspectBundle(sealBundle(new Uint8Array(5), { ...fx.options, minSlots: 1 })).slotCount).toBe(4);
    for (const minSlots of [0, -1, 1.5, MAX_RECIPIENTS + 1]) expect(() => sealBundle(new Uint8Array(1), { ...fx.options, minSlots })).toThrow(/"minSlots"/);
  });

  it("merges duplicate recipients and refuses none or too many", () => {
    const d = fx.devices[0]!.publicKey;
    const bundle = sealBundle(new Uint8Array(1), { ...fx.options, recipients: [d, d, d] });
    expect(inspectBundle(bundle).slotCount).toBe(4);
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, recipients: [] })).toThrow(RangeError);
    const many = [...Array(MAX_RECIPIENTS + 1).keys()].map((i) => {
      const k = new Uint8Array(32);
      new DataView(k.buffer).setUint32(0, i + 1);
      return k;
    });
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, recipients: many })).toThrow(RangeError);
  });

  it("uses a fresh ephemeral key and content key per bundle", () => {
    const body = new Uint8Array(50);
    const a = sealBundle(body, fx.options);
    const b = sealBundle(body, fx.options);
    expect(Buffer.compare(a.subarray(34, 66), b.subarray(34, 66))).not.toBe(0);
    expect(Buffer.compare(a.subarray(HEADER_LENGTH), b.subarray(HEADER_LENGTH))).not.toBe(0);
  });

  it("is deterministic given fixed randomness (what the test vectors rely on)", () => {
    const body = randomBytes(3000);
    expect(sealFixed(body, fx)).toEqual(sealFixed(body, fx));
  });

  it("places real slots where the randomness says, indistinguishable from dummies", () => {
    const bundle = sealFixed(new Uint8Array(1), fx, [3, 0, 2]);
    const slot = (i: number): Uint8Array => bundle.subarray(HEADER_LENGTH + i * SLOT_LENGTH, HEADER_LENGTH + (i + 1) * SLOT_LENGTH);
    expect(new Set([0, 1, 2, 3].map((i) => Buffer.from(slot(i)).toString("hex"))).size).toBe(4);
    expect(openBundle(bundle, { recipient: fx.devices[0]! }).bodyLength).toBe(1);
  });

  it("refuses a bundle larger than the reader's limit before any cryptography", () => {
    const bundle = sealBundle(new Uint8Array(5000), fx.options);
    expect(outcome(() => openBundle(bundle, { recipient: fx.devices[0]!, maxLength: 4096 }))).toBe("BUNDLE_TOO_LARGE");
  });

  it("refuses a stranger with BUNDLE_NOT_FOR_ME", () => {
    const bundle = sealBundle(new Uint8Array(5), fx.options);
    expect(outcome(() => openBundle(bundle, { recipient: deviceKey("stranger") }))).toBe("BUNDLE_NOT_FOR_ME");
  });

  it("rejects misuse at the boundary with TypeError/RangeError naming the argument", () => {
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, mailboxTag: new Uint8Array(15) })).toThrow(/"mailboxTag" expected Uint8Array of length 16, got length=15/);
    const sealer = new BundleSealer(3, fx.options);
    sealer.push(new Uint8Array(2));
    expect(() => sealer.push(new Uint8Array(2))).toThrow(RangeError);
    expect(() => sealer.finish()).toThrow(/declared as 3/);
  });
});

describe("streaming", () => {
  const fx = fixture(2, "stream");

  it("stream-sealed and memory-sealed bundles are interchangeable", async () => {
    for (const size of [0, 5000, 3 * CHUNK_SIZE + 123]) {
      const body = randomBytes(size);
      const streamed = await collect(sealBundleStream(pieces(body, 777), size, fx.options));
      expect(streamed.length).toBe(sealedLength(size, 2));
      expect(openBundle(streamed, { recipient: fx.devices[1]! }).body).toEqual(body);
      const reader = openBundleStream(pieces(sealBundle(body, fx.options), 1000), { recipient: fx.devices[0]! });
      expect(await collect(reader.body)).toEqual(body);
      expect((await reader.result).sender).toEqual(fx.sender.publicKey);
    }
  });

  it("round-trips a body larger than 64 MiB in pieces, verified by digest", async () => {
    const size = 64 * 1024 * 1024 + 12345;
    const piece = randomBytes(1 << 20);
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let left = size; left > 0; left -= piece.length) yield piece.subarray(0, Math.min(left, piece.length));
    }
    const expected = createHash("sha256");
    for await (const p of body()) expected.update(p);
    const reader = openBundleStream(sealBundleStream(body(), size, fx.options), { recipient: fx.devices[0]! });
    const actual = createHash("sha256");
    let total = 0;
    for await (const p of reader.body) {
      actual.update(p);
      total += p.length;
    }
    expect(total).toBe(size);
    expect(actual.digest("hex")).toBe(expected.digest("hex"));
    expect((await reader.result).bodyLength).toBe(size);
  });

  it("a truncated stream fails at the end with BUNDLE_TRUNCATED and the result rejects too", async () => {
    const bundle = sealBundle(randomBytes(3 * CHUNK_SIZE), fx.options);
    const reader = openBundleStream(pieces(bundle.subarray(0, bundle.length - 1), 4096), { recipient: fx.devices[0]! });
    expect(await outcomeAsync(() => collect(reader.body))).toBe("BUNDLE_TRUNCATED");
    expect(await outcomeAsync(() => reader.result)).toBe("BUNDLE_TRUNCATED");
  });

  it("a consumer that stops early gets a rejected result, never a verified one", async () => {
    const reader = openBundleStream(pieces(sealBundle(randomBytes(3 * CHUNK_SIZE), fx.options), 4096), { recipient: fx.devices[0]! });
    for await (const piece of reader.body) {
      expect(piece.length).toBeGreaterThan(0);
      break;
    }
    await expect(reader.result).rejects.toThrow(/not read to the end/);
  });

  it("extra bytes after the declared end are refused as soon as they arrive", () => {
    const bundle = sealBundle(randomBytes(100), fx.options);
    const opener = new BundleOpener({ recipient: fx.devices[0]! });
    opener.push(bundle);
    expect(outcome(() => opener.push(new Uint8Array(1)))).toBe("BUNDLE_MALFORMED");
  });

  it("works with Node streams and real files: seal to disk, open from a read stream", async () => {
    const dir = mkdtempSync(join(tmpdir(), "airlock-stream-"));
    try {
      const body = randomBytes(5 * CHUNK_SIZE + 999);
      const file = join(dir, "x.bundle");
      await pipeline(Readable.from(sealBundleStream(Readable.from([body.subarray(0, 1000), body.subarray(1000)]), body.length, fx.options)), createWriteStream(file));
      expect(statSync(file).size).toBe(sealedLength(body.length, 2));
      const reader = openBundleStream(createReadStream(file, { highWaterMark: 10_007 }), { recipient: fx.devices[1]! });
      const out = join(dir, "x.body");
      await pipeline(Readable.from(reader.body), createWriteStream(out));
      expect((await reader.result).bodyLength).toBe(body.length);
      expect(await collect(createReadStream(out))).toEqual(body);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("feeding one byte at a time gives the same body", () => {
    const body = randomBytes(2000);
    const bundle = sealBundle(body, fx.options);
    const opener = new BundleOpener({ recipient: fx.devices[1]! });
    const out: Uint8Array[] = [];
    for (let i = 0; i < bundle.length; i++) out.push(...opener.push(bundle.subarray(i, i + 1)));
    expect(opener.finish().bodyLength).toBe(2000);
    expect(new Uint8Array(Buffer.concat(out))).toEqual(body);
  });
});
