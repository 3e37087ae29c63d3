/**
 * The ChunkAead injection point: a sealer or opener given another ChaCha20-Poly1305 binding
 * (here @noble's, pure JS) and memory of the caller's must make and accept exactly the bytes
 * of the default node:crypto path, in any piece size, and refuse a changed chunk the same way.
 */
import { createHash } from "node:crypto";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { describe, expect, it } from "vitest";
import { fixedRandomness, fixture, outcome } from "../test-support/fixtures.js";
import { CHUNK_SIZE, SEALED_CHUNK_SIZE } from "./chunks.js";
import { BundleOpener, openBundle } from "./open.js";
import type { ChunkAead } from "./primitives.js";
import { BundleSealer, sealBundle } from "./seal.js";

const fx = fixture(2, "chunk-aead");
const sha = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());
const body = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 131 + 17) & 0xff);
const concat = (pieces: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(pieces));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

const noble: ChunkAead = {
  seal: (key, nonce, plaintext, out, at) => out.set(chacha20poly1305(key, nonce).encrypt(plaintext), at),
  open: (key, nonce, sealed, out, at) => {
    try {
      out.set(chacha20poly1305(key, nonce).decrypt(sealed), at);
      return true;
    } catch {
      return false;
    }
  },
};

/** One reused region handed out front to back, as a file-to-file caller does; reset() reuses it. */
function region(bytes: number): { output: (length: number) => Uint8Array; reset: () => void } {
  const memory = new Uint8Array(bytes);
  let used = 0;
  return {
    output: (length) => memory.subarray(used, (used += length)),
    reset: () => void (used = 0),
  };
}

function sealWith(data: Uint8Array, piece: number, reused: boolean): Uint8Array {
  const out = region(4 * SEALED_CHUNK_SIZE);
  const sealer = new BundleSealer(data.length, fx.options, fixedRandomness(2), {
    aead: noble,
    ...(reused ? { output: out.output } : {}),
  });
  const pieces: Uint8Array[] = [sealer.prefix.slice()];
  // Each step's pieces are copied before the region is reused, as a writer waits for its write.
  const take = (sealed: Uint8Array[]): void => {
    pieces.push(concat(sealed));
    out.reset();
  };
  for (let at = 0; at < data.length; at += piece) take(sealer.push(data.subarray(at, at + piece)));
  for (const sealed of sealer.finishChunks()) take(sealed);
  return concat(pieces);
}

describe("an injected ChunkAead", () => {
  // Empty, inside chunk 0, across a boundary, chunk-aligned pieces, and a bucket padded by more than a chunk.
  for (const n of [0, 100, CHUNK_SIZE + 5, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 1]) {
    for (const piece of [1000, CHUNK_SIZE, 2 * CHUNK_SIZE]) {
      it(`seals the bytes of the default path (${n}-byte body, ${piece}-byte pieces)`, () => {
        const data = body(n);
        const reference = sealBundle(data, fx.options, fixedRandomness(2));
        expect(same(sealWith(data, piece, true), reference)).toBe(true);
        expect(same(sealWith(data, piece, false), reference)).toBe(true);
      });
    }
  }

  it("opens into the caller's memory, the body pieces being views of it", () => {
    const data = body(3 * CHUNK_SIZE + 1);
    const bundle = sealBundle(data, fx.options);
    const out = region(SEALED_CHUNK_SIZE);
    const opener = new BundleOpener({ recipient: fx.devices[1]! }, { externalBodyHash: true, aead: noble, output: out.output });
    const released: Uint8Array[] = [];
    for (let at = 0; at < bundle.length; at += 5000) {
      for (const piece of opener.push(bundle.subarray(at, at + 5000))) {
        released.push(piece.slice());
        out.reset();
      }
      out.reset();
    }
    const opened = concat(released);
    expect(same(opened, data)).toBe(true);
    expect(opener.finish(sha(opened))).toMatchObject({ bodyLength: data.length, sender: fx.sender.publicKey });
    expect(same(openBundle(bundle, { recipient: fx.devices[1]! }).body, data)).toBe(true);
  });

  it("refuses a changed chunk with BUNDLE_AUTH and wipes what the binding wrote", () => {
    const data = body(2 * CHUNK_SIZE);
    const bundle = sealBundle(data, fx.options);
    const changed = bundle.slice();
    changed[changed.length - 40]! ^= 1;
    const given: Uint8Array[] = [];
    // A binding that leaves bytes behind when it refuses: the opener must not let them through.
    const careless: ChunkAead = {
      seal: noble.seal,
      open: (key, nonce, sealed, out, at) => noble.open(key, nonce, sealed, out, at) || (out.fill(0xaa, at), false),
    };
    const opener = new BundleOpener({ recipient: fx.devices[0]! }, { aead: careless, output: (n) => given[given.push(new Uint8Array(n)) - 1]! });
    expect(outcome(() => opener.push(changed))).toBe("BUNDLE_AUTH");
    expect(given.at(-1)!.every((b) => b === 0)).toBe(true);
    expect(outcome(() => new BundleOpener({ recipient: fx.devices[0]! }, { aead: noble }).push(changed))).toBe("BUNDLE_AUTH");
  });

  it("refuses an output that returns the wrong length", () => {
    const sealer = new BundleSealer(10, fx.options, undefined, { aead: noble, output: (n) => new Uint8Array(n - 1) });
    sealer.push(body(10));
    expect(() => sealer.finish()).toThrow(RangeError);
    const bundle = sealBundle(body(10), fx.options);
    const opener = new BundleOpener({ recipient: fx.devices[0]! }, { aead: noble, output: (n) => new Uint8Array(n + 1) });
    expect(() => opener.push(bundle)).toThrow(RangeError);
  });
});
