/**
 * The additions for callers that hash the body on another thread (shared/src/files): the body
 * hash a sealer and an opener report, the external-hash modes, and finishChunks(). Each must
 * give exactly the bytes and results of the plain API.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fixedRandomness, fixture, outcome } from "../test-support/fixtures.js";
import { CHUNK_SIZE } from "./chunks.js";
import { BundleOpener, openBundle, openBundleStream } from "./open.js";
import { BundleSealer, sealBundle, sealBundleStream } from "./seal.js";

const fx = fixture(2, "external-hash");
const sha = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());
const body = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
const concat = (pieces: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(pieces));
/** vitest's deep equality walks element by element: slow for hundreds of KiB. */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

function sealWith(data: Uint8Array, external: boolean, piece = 1000): { bundle: Uint8Array; sealer: BundleSealer } {
  const sealer = new BundleSealer(data.length, fx.options, fixedRandomness(2), { externalBodyHash: external });
  const out = [sealer.prefix];
  for (let at = 0; at < data.length; at += piece) out.push(...sealer.push(data.subarray(at, at + piece)));
  for (const pieces of sealer.finishChunks(external ? sha(data) : undefined)) out.push(...pieces);
  return { bundle: concat(out), sealer };
}

describe("body hash", () => {
  // Sizes: empty, inside chunk 0, across a chunk boundary, and one whose bucket pads by more than a chunk.
  for (const n of [0, 100, CHUNK_SIZE + 5, 3 * CHUNK_SIZE + 1]) {
    it(`seals the same bytes with the hash computed inside or passed in (${n}-byte body)`, () => {
      const data = body(n);
      const reference = sealBundle(data, fx.options, fixedRandomness(2));
      const internal = sealWith(data, false);
      const external = sealWith(data, true);
      expect(same(internal.bundle, reference)).toBe(true);
      expect(same(external.bundle, reference)).toBe(true);
      expect(internal.sealer.bodyHash).toEqual(sha(data));
      expect(external.sealer.bodyHash).toEqual(sha(data));
    });
  }

  it("finish() and finishChunks() give the same tail, and sealBundleStream the same bundle", async () => {
    const data = body(2 * CHUNK_SIZE + 3);
    const a = new BundleSealer(data.length, fx.options, fixedRandomness(2));
    const b = new BundleSealer(data.length, fx.options, fixedRandomness(2));
    const tailA = concat([...a.push(data), ...a.finish()]);
    const tailB = concat([...b.push(data), ...[...b.finishChunks()].flat()]);
    expect(same(tailB, tailA)).toBe(true);
    const streamed: Uint8Array[] = [];
    for await (const piece of sealBundleStream([data], data.length, fx.options)) streamed.push(piece);
    expect(same(openBundle(concat(streamed), { recipient: fx.devices[0]! }).body, data)).toBe(true);
  });

  it("is undefined before finish() and a copy after it", () => {
    const sealer = new BundleSealer(3, fx.options);
    expect(sealer.bodyHash).toBeUndefined();
    sealer.push(new Uint8Array(3));
    sealer.finish();
    const first = sealer.bodyHash!;
    first.fill(0);
    expect(sealer.bodyHash).toEqual(sha(new Uint8Array(3)));
  });

  it("openBundle and openBundleStream report the SHA-256 of the body", async () => {
    const data = body(CHUNK_SIZE * 2);
    const bundle = sealBundle(data, fx.options);
    expect(openBundle(bundle, { recipient: fx.devices[1]! }).bodyHash).toEqual(sha(data));
    const reader = openBundleStream([bundle], { recipient: fx.devices[1]! });
    for await (const piece of reader.body) void piece;
    expect((await reader.result).bodyHash).toEqual(sha(data));
  });

  it("an opener with an external hash verifies with the right digest and refuses a wrong one", () => {
    const data = body(CHUNK_SIZE + 77);
    const bundle = sealBundle(data, fx.options);
    const open = (digest: (released: Uint8Array) => Uint8Array): unknown => {
      const opener = new BundleOpener({ recipient: fx.devices[0]! }, { externalBodyHash: true });
      const released = concat(opener.push(bundle));
      return opener.finish(digest(released));
    };
    expect(open(sha)).toMatchObject({ bodyLength: data.length, bodyHash: sha(data) });
    expect(outcome(() => open((released) => sha(concat([released, new Uint8Array(1)]))))).toBe("BUNDLE_AUTH");
  });

  it("a sealer whose caller passes a wrong digest makes a bundle that does not open", () => {
    const data = body(500);
    const sealer = new BundleSealer(data.length, fx.options, undefined, { externalBodyHash: true });
    const bundle = concat([sealer.prefix, ...sealer.push(data), ...sealer.finish(sha(body(499)))]);
    expect(outcome(() => openBundle(bundle, { recipient: fx.devices[0]! }))).toBe("BUNDLE_AUTH");
  });

  it("the digest argument is required with an external hash and refused without one", () => {
    const external = new BundleSealer(0, fx.options, undefined, { externalBodyHash: true });
    expect(() => external.finish()).toThrow(TypeError);
    expect(() => external.finish(new Uint8Array(31))).toThrow(RangeError);
    const internal = new BundleSealer(0, fx.options);
    expect(() => internal.finish(new Uint8Array(32))).toThrow(TypeError);
    const bundle = sealBundle(new Uint8Array(0), fx.options);
    const opener = new BundleOpener({ recipient: fx.devices[0]! });
    opener.push(bundle);
    expect(() => opener.finish(new Uint8Array(32))).toThrow(TypeError);
    const externalOpener = new BundleOpener({ recipient: fx.devices[0]! }, { externalBodyHash: true });
    externalOpener.push(bundle);
    expect(() => externalOpener.finish()).toThrow(TypeError);
  });
});
