/**
 * Sealing and opening at their exact edges, found by the mutation run (`npm run mutate -- bundle`,
 * docs/testing.md, "Mutation testing"): every refusal's code and the field or size its message
 * names, the size limits at their exact values, each check of "Opening" (docs/bundle-format.md)
 * against a hostile bundle built with this package's own encoders and then altered (re-encrypted
 * under its own payload key, so it fails *after* authentication), and the streaming paths.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { collect, deviceKey, fixedRandomness, fixture, pieces, sealFixed } from "../test-support/fixtures.js";
import { concatBytes, u64be } from "./bytes.js";
import { CHUNK_SIZE, chunkNonce, planChunks, SEALED_CHUNK_SIZE } from "./chunks.js";
import { BundleError, type BundleErrorCode } from "./errors.js";
import { payloadKey, slotKey, SLOT_NONCE } from "./keys.js";
import { encodeHeader, HEADER_LENGTH, INNER_OVERHEAD, OFFSET_VERSION, prefixLengthFor, SLOT_LENGTH } from "./layout.js";
import { BundleOpener, inspectBundle, openBundle, openBundleStream } from "./open.js";
import { bucketFor, MAX_BUCKET } from "./padding.js";
import { aeadOpen, aeadSeal, sha256, x25519, type ChunkAead } from "./primitives.js";
import { BundleSealer, sealBundle, sealBundleStream, sealedLength, type SealRandomness } from "./seal.js";

const fx = fixture(3, "mutation");
const me = fx.devices[0]!;
const sha = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());
const pattern = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** The code and message of the BundleError `action` throws; anything else fails the test. */
function refusal(action: () => unknown): { code: BundleErrorCode; message: string } {
  try {
    action();
  } catch (e) {
    if (e instanceof BundleError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a BundleError, but it succeeded");
}

/** Opens `bundle` as `me`, one push of the whole input. */
const openAll = (bundle: Uint8Array): ReturnType<typeof openBundle> => openBundle(bundle, { recipient: me });

interface Sealed {
  readonly bundle: Uint8Array;
  readonly randomness: SealRandomness;
}

function seal(body: Uint8Array, extra: { minLength?: number } = {}, label = "mutation"): Sealed {
  const randomness = fixedRandomness(3, undefined, label);
  return { bundle: sealBundle(body, { ...fx.options, ...extra }, randomness), randomness };
}

/**
 * The inner plaintext P of a sealed bundle (docs/bundle-format.md, "Payload"), decrypted with
 * the content key the randomness gave; `edit` may change it, and it is re-encrypted chunk by
 * chunk under the same payload key, so every chunk still authenticates.
 */
function recrypt(sealed: Sealed, edit: (inner: Uint8Array) => void): Uint8Array {
  const { bundle, randomness } = sealed;
  const prefixLength = inspectBundle(bundle).prefixLength;
  const key = payloadKey(randomness.contentKey, sha256(bundle.subarray(0, prefixLength)));
  const plan = planChunks(bundle.length - prefixLength);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < plan.count; i++) {
    const start = prefixLength + i * SEALED_CHUNK_SIZE;
    const end = i === plan.count - 1 ? bundle.length : start + SEALED_CHUNK_SIZE;
    chunks.push(aeadOpen(key, chunkNonce(i, i === plan.count - 1), bundle.subarray(start, end))!);
  }
  const inner = concatBytes(...chunks);
  edit(inner);
  const out = bundle.slice();
  let offset = 0;
  chunks.forEach((c, i) => {
    out.set(aeadSeal(key, chunkNonce(i, i === plan.count - 1), inner.subarray(offset, offset + c.length)), prefixLength + i * SEALED_CHUNK_SIZE);
    offset += c.length;
  });
  return out;
}

/** P of a sealed bundle, unchanged. */
function innerOf(sealed: Sealed): Uint8Array {
  let inner = new Uint8Array(0);
  recrypt(sealed, (p) => (inner = p.slice()));
  return inner;
}

describe("sealing: each refused argument is named", () => {
  it("the recipient, sender and mailbox tag keys, by field and index", () => {
    const short = new Uint8Array(31);
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, recipients: [me.publicKey, short] })).toThrow('"recipients[1]" expected Uint8Array of length 32, got length=31');
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, sender: { ...fx.sender, secretKey: short } })).toThrow('"sender.secretKey" expected Uint8Array of length 32');
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, sender: { ...fx.sender, publicKey: short } })).toThrow('"sender.publicKey" expected Uint8Array of length 32');
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, mailboxTag: new Uint8Array(17) })).toThrow('"mailboxTag" expected Uint8Array of length 16, got length=17');
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, recipients: [] })).toThrow('"recipients.length" expected an integer in [1, 1024], got 0');
  });

  it("the body, its declared length, a piece, minLength and minSlots", () => {
    expect(() => sealBundle("body" as unknown as Uint8Array, fx.options)).toThrow('"body" expected Uint8Array, got string');
    expect(() => new BundleSealer(-1, fx.options)).toThrow(`"bodyLength" expected an integer in [0, ${MAX_BUCKET}], got -1`);
    expect(() => new BundleSealer(1, fx.options).push([1] as unknown as Uint8Array)).toThrow('"piece" expected Uint8Array, got Array');
    expect(() => new BundleSealer(1, { ...fx.options, minLength: MAX_BUCKET + 1 })).toThrow(`"minLength" expected an integer in [0, ${MAX_BUCKET}], got ${MAX_BUCKET + 1}`);
    expect(() => new BundleSealer(1, { ...fx.options, minSlots: 1025 })).toThrow('"minSlots" expected an integer in [1, 1024], got 1025');
  });

  it("a low-order recipient key, which would make a slot anyone can open", () => {
    expect(() => sealBundle(new Uint8Array(1), { ...fx.options, recipients: [me.publicKey, new Uint8Array(32)] })).toThrow(
      new TypeError("a recipient key is not a usable X25519 public key (low-order point)"),
    );
  });

  it("the largest bundle is exactly 2^40 bytes: the largest body that fits is sealed, one byte more is refused by name", () => {
    const prefix = prefixLengthFor(2);
    const largest = planChunks(MAX_BUCKET - prefix).plaintext - INNER_OVERHEAD;
    expect(new BundleSealer(largest, fx.options).length).toBe(MAX_BUCKET);
    expect(() => new BundleSealer(largest + 1, fx.options)).toThrow(new RangeError(`"bodyLength" ${largest + 1} does not fit the largest bundle`));
    // minLength up to the largest bucket is taken as it is.
    expect(new BundleSealer(0, { ...fx.options, minLength: MAX_BUCKET }).length).toBe(MAX_BUCKET);
  });

  it("duplicate recipients are merged before they are counted: five copies of two keys take 4 slots; 1025 copies of one key are one recipient", () => {
    const a = fx.devices[0]!.publicKey;
    const b = fx.devices[1]!.publicKey;
    const five = sealBundle(new Uint8Array(1), { ...fx.options, recipients: [a, b, a, a, b] });
    expect(inspectBundle(five).slotCount).toBe(4);
    expect(openBundle(five, { recipient: fx.devices[1]! }).bodyLength).toBe(1);
    const copies = sealBundle(new Uint8Array(1), { ...fx.options, recipients: new Array<Uint8Array>(1025).fill(a) });
    expect(inspectBundle(copies).slotCount).toBe(4);
  });
});

describe("sealing: the randomness a test-vector generator passes", () => {
  it("names each wrong choice", () => {
    const good = fixedRandomness(3);
    const withSlots = (slots: (number | Uint8Array)[]): SealRandomness => ({ ...good, slots });
    const sealWith = (r: SealRandomness): Uint8Array => sealBundle(new Uint8Array(1), fx.options, r);
    expect(() => sealWith({ ...good, ephemeralSecret: new Uint8Array(31) })).toThrow('"ephemeralSecret" expected Uint8Array of length 32, got length=31');
    expect(() => sealWith({ ...good, contentKey: new Uint8Array(33) })).toThrow('"contentKey" expected Uint8Array of length 32, got length=33');
    expect(() => sealWith(withSlots(good.slots.slice(0, 3)))).toThrow(new RangeError('"slots" expected 4 entries, got 3'));
    expect(() => sealWith(withSlots([0, 1, 3, new Uint8Array(48)]))).toThrow('"slot recipient index" expected an integer in [0, 2], got 3');
    expect(() => sealWith(withSlots([0, 1, 2, new Uint8Array(47)]))).toThrow('"dummy slot" expected Uint8Array of length 48, got length=47');
    expect(() => sealWith(withSlots([0, 1, 1, new Uint8Array(48)]))).toThrow(new RangeError('"slots" must place each of the 3 recipients exactly once'));
  });

  it("is not consumed: the same randomness seals the same bytes again", () => {
    const randomness = fixedRandomness(3, undefined, "reused");
    const key = randomness.contentKey.slice();
    const first = sealBundle(pattern(100), fx.options, randomness);
    expect(randomness.contentKey).toEqual(key);
    expect(same(sealBundle(pattern(100), fx.options, randomness), first)).toBe(true);
  });

  it("without it, a real slot lands at every position: over 64 seals the one recipient's slot was seen in each of the 4", () => {
    const one = deviceKey("mutation lone recipient");
    const seen = new Set<number>();
    for (let n = 0; n < 64; n++) {
      const bundle = sealBundle(new Uint8Array(1), { ...fx.options, recipients: [one.publicKey] });
      const header = bundle.subarray(0, HEADER_LENGTH);
      const ephemeral = header.subarray(34, 66);
      const key = slotKey(x25519(one.secretKey, ephemeral)!, ephemeral, one.publicKey);
      const opening = [0, 1, 2, 3].filter((i) => aeadOpen(key, SLOT_NONCE, bundle.subarray(HEADER_LENGTH + i * SLOT_LENGTH, HEADER_LENGTH + (i + 1) * SLOT_LENGTH), header) !== undefined);
      expect(opening.length).toBe(1);
      seen.add(opening[0]!);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe("sealing: the order of calls and the body hash", () => {
  it("push() after finish(), finish() twice, a body longer or shorter than declared: each refused, saying which", () => {
    const done = new BundleSealer(3, fx.options);
    done.push(new Uint8Array(3));
    done.finish();
    expect(() => done.push(new Uint8Array(0))).toThrow("BundleSealer: push() after finish()");
    expect(() => done.finish()).toThrow("BundleSealer: finish() called twice");
    const long = new BundleSealer(3, fx.options);
    long.push(new Uint8Array(3));
    expect(() => long.push(new Uint8Array(1))).toThrow(new RangeError("body is longer than the declared bodyLength 3"));
    const short = new BundleSealer(3, fx.options);
    short.push(new Uint8Array(2));
    expect(() => short.finish()).toThrow(new RangeError("body gave 2 bytes, but bodyLength was declared as 3"));
  });

  it("a body hash is refused without externalBodyHash and required with it", () => {
    const inline = new BundleSealer(0, fx.options);
    expect(() => inline.finish(new Uint8Array(32))).toThrow(new TypeError('"bodyHash" is only passed to a sealer made with externalBodyHash'));
    const external = new BundleSealer(0, fx.options, undefined, { externalBodyHash: true });
    expect(() => external.finish()).toThrow('"bodyHash" expected Uint8Array, got undefined');
  });

  it("bodyHash is unset before finish() and a copy after: changing what it returned, or the digest passed in, changes nothing", () => {
    const data = pattern(500);
    const sealer = new BundleSealer(data.length, fx.options);
    expect(sealer.bodyHash).toBeUndefined();
    sealer.push(data);
    sealer.finish();
    sealer.bodyHash!.fill(0);
    expect(sealer.bodyHash).toEqual(sha(data));

    const digest = sha(data);
    const external = new BundleSealer(data.length, fx.options, undefined, { externalBodyHash: true });
    external.push(data);
    external.finish(digest);
    digest.fill(0);
    expect(external.bodyHash).toEqual(sha(data));
  });
});

describe("sealing with an injected ChunkAead", () => {
  const aead: ChunkAead = {
    seal: (key, nonce, plaintext, out, at) => out.set(aeadSeal(key, nonce, plaintext), at),
    open: () => false,
  };

  it("pieces that hold a whole chunk, and whole chunks of padding, give the bytes of sealBundle", () => {
    // Chunk 0 holds the 40-byte inner header and the first CHUNK - 40 body bytes, so a piece of
    // CHUNK bytes pushed next is exactly chunk 1; the bucket then has whole chunks of padding.
    const data = pattern(3 * CHUNK_SIZE - 40);
    const minLength = 6 * CHUNK_SIZE;
    const reference = sealBundle(data, { ...fx.options, minLength }, fixedRandomness(3, undefined, "whole chunks"));
    const sealer = new BundleSealer(data.length, { ...fx.options, minLength }, fixedRandomness(3, undefined, "whole chunks"), { aead });
    const out = [sealer.prefix];
    for (const [from, to] of [[0, CHUNK_SIZE - 40], [CHUNK_SIZE - 40, 2 * CHUNK_SIZE - 40], [2 * CHUNK_SIZE - 40, 3 * CHUNK_SIZE - 40]] as const) {
      const step = sealer.push(data.subarray(from, to));
      expect(step.map((piece) => piece.length)).toEqual([SEALED_CHUNK_SIZE]);
      out.push(...step);
    }
    out.push(...sealer.finish());
    expect(reference.length).toBe(bucketFor(minLength));
    expect(same(concatBytes(...out), reference)).toBe(true);
  });
});

describe("sealing: the padding", () => {
  it("a small body in a bucket of several chunks: P is sender, length, body, signature, then zeros to fill every chunk", () => {
    const minLength = 3 * CHUNK_SIZE + 5000;
    const sealed = seal(pattern(10), { minLength });
    const { bundle } = sealed;
    expect(bundle.length).toBe(bucketFor(minLength));
    const inner = innerOf(sealed);
    const plan = planChunks(bundle.length - prefixLengthFor(2));
    expect(plan.count).toBeGreaterThan(3);
    expect(inner.length).toBe(plan.plaintext);
    expect(inner.subarray(0, 32)).toEqual(fx.sender.publicKey);
    expect(inner.subarray(32, 40)).toEqual(u64be(10));
    expect(inner.subarray(40, 50)).toEqual(pattern(10));
    expect(inner.subarray(50 + 64).every((b) => b === 0)).toBe(true);
    expect(openAll(bundle).body).toEqual(pattern(10));
  });

  it("finishChunks() hands out the padding a chunk at a time, the same bytes as sealBundle", () => {
    const minLength = 4 * CHUNK_SIZE;
    const reference = seal(pattern(7), { minLength }).bundle;
    const sealer = new BundleSealer(7, { ...fx.options, minLength }, fixedRandomness(3, undefined, "mutation"));
    const out = [sealer.prefix, ...sealer.push(pattern(7))];
    const steps: number[] = [];
    for (const step of sealer.finishChunks()) {
      steps.push(step.reduce((n, piece) => n + piece.length, 0));
      out.push(...step);
    }
    expect(same(concatBytes(...out), reference)).toBe(true);
    const plan = planChunks(reference.length - prefixLengthFor(2));
    // The signature first, then one step per chunk: the rest of chunk 0, each whole padding chunk, the last one.
    expect(steps.length).toBe(plan.count + 1);
    expect(steps.every((n) => n <= SEALED_CHUNK_SIZE)).toBe(true);
    expect(steps.slice(2, -1).every((n) => n === SEALED_CHUNK_SIZE)).toBe(true);
    expect(steps.at(-1)).toBe(plan.lastPlaintext + 16);
  });
});

describe("opening: each check of docs/bundle-format.md, its code and what its message names", () => {
  const sealed = seal(pattern(200));
  const bundle = sealed.bundle;

  it("8: fewer bytes than declared is BUNDLE_TRUNCATED, more is BUNDLE_MALFORMED, each naming the sizes", () => {
    expect(bundle.length).toBe(1024);
    expect(refusal(() => openAll(bundle.subarray(0, 1000)))).toEqual({ code: "BUNDLE_TRUNCATED", message: "bundle is 1000 bytes but declares 1024; it was cut short" });
    expect(refusal(() => openAll(concatBytes(bundle, new Uint8Array(5))))).toEqual({ code: "BUNDLE_MALFORMED", message: "bundle has 5 unexpected bytes after its declared end" });
    expect(refusal(() => inspectBundle(bundle.subarray(0, 1023)))).toMatchObject({ code: "BUNDLE_TRUNCATED" });
    expect(() => inspectBundle([] as unknown as Uint8Array)).toThrow('"bundle" expected Uint8Array, got Array');
    expect(() => openAll([] as unknown as Uint8Array)).toThrow('"bundle" expected Uint8Array, got Array');
  });

  it("6: the in-memory limit is 256 MiB by default, the streaming opener's and inspectBundle's the largest bucket", () => {
    const header = (length: number): Uint8Array =>
      concatBytes(encodeHeader({ mailboxTag: fx.options.mailboxTag, length, slotTier: 2, ephemeralPublicKey: new Uint8Array(32).fill(9) }), new Uint8Array(958));
    const mib256 = 256 * 1024 * 1024;
    const above = bucketFor(mib256 + 1);
    expect(refusal(() => openAll(header(above)))).toEqual({ code: "BUNDLE_TOO_LARGE", message: `bundle is ${above} bytes; this reader accepts at most ${mib256}` });
    expect(refusal(() => openAll(header(mib256))).code).toBe("BUNDLE_TRUNCATED");
    expect(refusal(() => inspectBundle(header(MAX_BUCKET))).code).toBe("BUNDLE_TRUNCATED");
    const opener = new BundleOpener({ recipient: me });
    opener.push(header(MAX_BUCKET).subarray(0, HEADER_LENGTH));
    expect(opener.header?.length).toBe(MAX_BUCKET);
    expect(() => new BundleOpener({ recipient: me, maxLength: MAX_BUCKET + 1 })).toThrow(`"maxLength" expected an integer in [0, ${MAX_BUCKET}]`);
  });

  it("9: no slot opens, also for a low-order ephemeral key: BUNDLE_NOT_FOR_ME, saying so", () => {
    const message = "none of this bundle's recipient slots opens with this device's key";
    expect(refusal(() => openBundle(bundle, { recipient: deviceKey("mutation stranger") }))).toEqual({ code: "BUNDLE_NOT_FOR_ME", message });
    const lowOrder = bundle.slice();
    lowOrder.fill(0, 34, 66);
    expect(refusal(() => openAll(lowOrder))).toEqual({ code: "BUNDLE_NOT_FOR_ME", message });
  });

  it("9: a recipient's slot opens wherever it sits, first or last of 4 or of 8", () => {
    for (const order of [[0, 1, 2], [3, 1, 2], [1, 2, 3]]) {
      const b = sealFixed(pattern(20), fx, order, "positions");
      expect(fx.devices.map((d) => openBundle(b, { recipient: d }).bodyLength)).toEqual([20, 20, 20]);
    }
    const five = fixture(5, "eight slots");
    const b = sealBundle(pattern(20), five.options, fixedRandomness(5, [7, 0, 3, 5, 6], "eight"));
    expect(inspectBundle(b).slotCount).toBe(8);
    expect(five.devices.map((d) => openBundle(b, { recipient: d }).bodyLength)).toEqual([20, 20, 20, 20, 20]);
  });

  it("10: a changed chunk is BUNDLE_AUTH naming which chunk of how many", () => {
    const big = seal(pattern(2 * CHUNK_SIZE + 100), {}, "three chunks").bundle;
    const prefix = prefixLengthFor(2);
    expect(planChunks(big.length - prefix).count).toBe(3);
    const second = big.slice();
    second[prefix + SEALED_CHUNK_SIZE + 5]! ^= 1;
    expect(refusal(() => openAll(second))).toEqual({ code: "BUNDLE_AUTH", message: "bundle chunk 2 of 3 fails authentication; it was altered or corrupted" });
    const last = big.slice();
    last[last.length - 1]! ^= 1;
    expect(refusal(() => openAll(last)).message).toBe("bundle chunk 3 of 3 fails authentication; it was altered or corrupted");
  });

  it("11: a body length that fills P exactly is read, one byte more is BUNDLE_MALFORMED naming it", () => {
    const room = planChunks(1024 - prefixLengthFor(2)).plaintext - INNER_OVERHEAD;
    // A real body of exactly that length fills the 1024-byte bucket and opens.
    const full = seal(pattern(room));
    expect(full.bundle.length).toBe(1024);
    expect(openAll(full.bundle).body).toEqual(pattern(room));
    expect(sealedLength(room + 1, 3)).toBeGreaterThan(1024);
    // A smaller bundle claiming that length: accepted by check 11, then its signature is not where it says.
    const claimsRoom = recrypt(sealed, (p) => p.set(u64be(room), 32));
    expect(refusal(() => openAll(claimsRoom)).code).toBe("BUNDLE_AUTH");
    const claimsMore = recrypt(sealed, (p) => p.set(u64be(room + 1), 32));
    expect(refusal(() => openAll(claimsMore))).toEqual({ code: "BUNDLE_MALFORMED", message: `bundle declares a ${room + 1}-byte body, more than its size can hold` });
  });

  it("12: one non-zero padding byte, first or last, is BUNDLE_MALFORMED", () => {
    const message = "bundle padding is not all zeros";
    const first = recrypt(sealed, (p) => (p[40 + 200 + 64] = 1));
    expect(refusal(() => openAll(first))).toEqual({ code: "BUNDLE_MALFORMED", message });
    const last = recrypt(sealed, (p) => (p[p.length - 1] = 0x80));
    expect(refusal(() => openAll(last))).toEqual({ code: "BUNDLE_MALFORMED", message });
  });

  it("12: in a bundle of several chunks, a non-zero byte in a chunk that is all padding, or at the end of the last one", () => {
    const padded = seal(pattern(100), { minLength: 3 * CHUNK_SIZE }, "padded");
    const count = planChunks(padded.bundle.length - prefixLengthFor(2)).count;
    expect(count).toBeGreaterThan(2);
    for (const at of [CHUNK_SIZE, CHUNK_SIZE + 1234, 2 * CHUNK_SIZE - 1]) {
      expect(refusal(() => openAll(recrypt(padded, (p) => (p[at] = 7)))).code).toBe("BUNDLE_MALFORMED");
    }
    expect(refusal(() => openAll(recrypt(padded, (p) => (p[p.length - 1] = 7)))).code).toBe("BUNDLE_MALFORMED");
    expect(openAll(padded.bundle).bodyLength).toBe(100);
  });

  it("13: a signature that does not verify is BUNDLE_AUTH, saying so; also one byte of it in the next chunk", () => {
    const message = "the sender's signature on this bundle does not verify";
    const flipped = recrypt(sealed, (p) => (p[40 + 200 + 10]! ^= 1));
    expect(refusal(() => openAll(flipped))).toEqual({ code: "BUNDLE_AUTH", message });
    // The signature straddles chunks 0 and 1: 30 of its bytes in chunk 0, 34 in chunk 1.
    const straddling = seal(pattern(CHUNK_SIZE - 40 - 30), {}, "straddling");
    expect(same(openAll(straddling.bundle).body, pattern(CHUNK_SIZE - 40 - 30))).toBe(true);
    expect(refusal(() => openAll(recrypt(straddling, (p) => (p[CHUNK_SIZE + 3]! ^= 1))))).toEqual({ code: "BUNDLE_AUTH", message });
    expect(refusal(() => openAll(recrypt(straddling, (p) => (p[CHUNK_SIZE - 1]! ^= 1))))).toEqual({ code: "BUNDLE_AUTH", message });
    // A body that ends where chunk 0 ends, the signature all in chunk 1.
    const aligned = seal(pattern(CHUNK_SIZE - 40), {}, "aligned");
    expect(same(openAll(aligned.bundle).body, pattern(CHUNK_SIZE - 40))).toBe(true);
    expect(refusal(() => openAll(recrypt(aligned, (p) => (p[CHUNK_SIZE + 63]! ^= 1)))).code).toBe("BUNDLE_AUTH");
  });

  it("13: a sealer handed the wrong body digest makes a bundle that authenticates but whose signature fails", () => {
    const sealer = new BundleSealer(5, fx.options, undefined, { externalBodyHash: true });
    const forged = concatBytes(sealer.prefix, ...sealer.push(pattern(5)), ...sealer.finish(sha(pattern(6))));
    expect(refusal(() => openAll(forged))).toEqual({ code: "BUNDLE_AUTH", message: "the sender's signature on this bundle does not verify" });
  });

  it("what a successful open reports: sender, mailbox tag, length, body length and SHA-256 of the body", () => {
    const opened = openAll(bundle);
    expect(opened).toMatchObject({ sender: fx.sender.publicKey, mailboxTag: fx.options.mailboxTag, length: 1024, bodyLength: 200, bodyHash: sha(pattern(200)) });
    expect(opened.body).toEqual(pattern(200));
    const empty = openAll(seal(new Uint8Array(0)).bundle);
    expect(empty.body).toEqual(new Uint8Array(0));
    expect(empty.bodyHash).toEqual(sha(new Uint8Array(0)));
  });
});

describe("opening: each refused argument is named", () => {
  it("the recipient's keys, a piece and the limit", () => {
    expect(() => new BundleOpener({ recipient: { ...me, secretKey: new Uint8Array(31) } })).toThrow('"recipient.secretKey" expected Uint8Array of length 32, got length=31');
    expect(() => openBundleStream([], { recipient: { ...me, publicKey: new Uint8Array(33) } })).toThrow('"recipient.publicKey" expected Uint8Array of length 32, got length=33');
    expect(() => new BundleOpener({ recipient: me }).push("bytes" as unknown as Uint8Array)).toThrow('"piece" expected Uint8Array, got string');
  });
});

describe("opening in pieces", () => {
  const sealed = seal(pattern(3000), {}, "pieces");
  const bundle = sealed.bundle;

  it("finish() before the end names how far it got: in the header by its own check, after it as cut short of the declared length", () => {
    const at = (n: number, input = bundle): { code: BundleErrorCode; message: string } => {
      const opener = new BundleOpener({ recipient: me });
      opener.push(input.subarray(0, n));
      return refusal(() => opener.finish());
    };
    expect(at(0)).toEqual({ code: "BUNDLE_TRUNCATED", message: "bundle ends after 0 bytes, inside its 66-byte header" });
    expect(at(30)).toEqual({ code: "BUNDLE_TRUNCATED", message: "bundle ends after 30 bytes, inside its 66-byte header" });
    expect(at(5, new TextEncoder().encode("HELLO"))).toMatchObject({ code: "BUNDLE_MALFORMED" });
    const v2 = bundle.slice(0, 20);
    v2[OFFSET_VERSION] = 2;
    expect(at(20, v2)).toMatchObject({ code: "BUNDLE_VERSION" });
    expect(at(66)).toEqual({ code: "BUNDLE_TRUNCATED", message: `bundle ends after 66 of ${bundle.length} bytes; it was cut short` });
    expect(at(bundle.length - 1)).toEqual({ code: "BUNDLE_TRUNCATED", message: `bundle ends after ${bundle.length - 1} of ${bundle.length} bytes; it was cut short` });
  });

  it("a byte past the declared end is refused when it arrives, in the same piece as the header or later", () => {
    const message = `bundle has unexpected bytes after its declared end (${bundle.length} bytes)`;
    expect(refusal(() => new BundleOpener({ recipient: me }).push(concatBytes(bundle, new Uint8Array(1))))).toEqual({ code: "BUNDLE_MALFORMED", message });
    const opener = new BundleOpener({ recipient: me });
    opener.push(bundle.subarray(0, 100));
    opener.push(bundle.subarray(100));
    expect(refusal(() => opener.push(new Uint8Array(1)))).toEqual({ code: "BUNDLE_MALFORMED", message });
  });

  it("the opener keeps its own copy of the header: a reader that reuses its buffer still opens the bundle", () => {
    const buffer = new Uint8Array(HEADER_LENGTH);
    const opener = new BundleOpener({ recipient: me });
    const out: Uint8Array[] = [];
    buffer.set(bundle.subarray(0, HEADER_LENGTH));
    out.push(...opener.push(buffer));
    buffer.fill(0xee); // the next read overwrites it
    out.push(...opener.push(bundle.subarray(HEADER_LENGTH)));
    expect(concatBytes(...out)).toEqual(pattern(3000));
    expect(opener.finish().bodyLength).toBe(3000);
  });

  it("pieces that end inside the header, the slots or a chunk, and empty pieces, give the body in order", () => {
    const big = seal(pattern(CHUNK_SIZE + 500), {}, "split").bundle;
    for (const cuts of [[10, 70, 300, 301, SEALED_CHUNK_SIZE + 258], [66, 258, 258, 1000, big.length - 1]]) {
      const opener = new BundleOpener({ recipient: me });
      const out: Uint8Array[] = [];
      let from = 0;
      for (const cut of [...cuts, big.length]) {
        out.push(...opener.push(big.subarray(from, cut)));
        from = cut;
      }
      expect(opener.bodyLength).toBe(CHUNK_SIZE + 500);
      expect(same(concatBytes(...out), pattern(CHUNK_SIZE + 500))).toBe(true);
      expect(opener.finish().bodyHash).toEqual(sha(pattern(CHUNK_SIZE + 500)));
    }
  });

  it("the claimed sender and body length are unknown until chunk 0 opened", () => {
    const opener = new BundleOpener({ recipient: me });
    opener.push(bundle.subarray(0, prefixLengthFor(2)));
    expect(opener.header?.length).toBe(bundle.length);
    expect(opener.claimedSender).toBeUndefined();
    expect(opener.bodyLength).toBeUndefined();
    opener.push(bundle.subarray(prefixLengthFor(2)));
    expect(opener.claimedSender).toEqual(fx.sender.publicKey);
    expect(opener.bodyLength).toBe(3000);
  });

  it("a body hash is refused without externalBodyHash, required with it, and a wrong one fails the signature", () => {
    const inline = new BundleOpener({ recipient: me });
    inline.push(bundle);
    expect(() => inline.finish(new Uint8Array(32))).toThrow(new TypeError('"bodyHash" is only passed to an opener made with externalBodyHash'));
    const external = new BundleOpener({ recipient: me }, { externalBodyHash: true });
    external.push(bundle);
    expect(() => external.finish()).toThrow('"bodyHash" expected Uint8Array, got undefined');
    expect(refusal(() => external.finish(sha(pattern(2999)))).code).toBe("BUNDLE_AUTH");
    const digest = sha(pattern(3000));
    const info = external.finish(digest);
    digest.fill(0);
    expect(info.bodyHash).toEqual(sha(pattern(3000)));
  });

  it("an output of the wrong length is refused by name, in the sealer and the opener", () => {
    const noble: ChunkAead = {
      seal: (key, nonce, plaintext, out, at) => out.set(aeadSeal(key, nonce, plaintext), at),
      open: (key, nonce, sealedChunk, out, at) => {
        const plain = aeadOpen(key, nonce, sealedChunk);
        if (plain !== undefined) out.set(plain, at);
        return plain !== undefined;
      },
    };
    const sealer = new BundleSealer(10, fx.options, undefined, { aead: noble, output: (n) => new Uint8Array(n + 1) });
    expect(() => sealer.finish()).toThrow("body gave 0 bytes, but bodyLength was declared as 10");
    sealer.push(pattern(10));
    const sealedLast = planChunks(1024 - prefixLengthFor(2)).lastPlaintext + 16;
    expect(() => sealer.finish()).toThrow(new RangeError(`"output" expected to return a Uint8Array of length ${sealedLast}`));
    const opener = new BundleOpener({ recipient: me }, { aead: noble, output: (n) => new Uint8Array(n - 1) });
    const small = seal(pattern(10)).bundle;
    expect(() => opener.push(small)).toThrow(new RangeError(`"output" expected to return a Uint8Array of length ${sealedLast - 16}`));
  });
});

describe("streams", () => {
  it("a failing source rejects the body and the result with its own error, not 'not read to the end'", async () => {
    const bundle = seal(pattern(CHUNK_SIZE * 2), {}, "failing source").bundle;
    const failure = new Error("disk went away");
    async function* source(): AsyncGenerator<Uint8Array> {
      yield bundle.subarray(0, SEALED_CHUNK_SIZE);
      throw failure;
    }
    const reader = openBundleStream(source(), { recipient: me });
    await expect(collect(reader.body)).rejects.toBe(failure);
    await expect(reader.result).rejects.toBe(failure);
  });

  it("a streamed open resolves with what the in-memory open reports", async () => {
    const { bundle } = seal(pattern(5000), {}, "stream result");
    const reader = openBundleStream(pieces(bundle, 333), { recipient: me });
    expect(same(await collect(reader.body), pattern(5000))).toBe(true);
    const { body: _body, ...info } = openAll(bundle);
    expect(await reader.result).toEqual(info);
  });

  it("the streaming sealer takes a synchronous iterable and its pieces in any size", async () => {
    const data = pattern(CHUNK_SIZE + 10);
    const reference = sealBundle(data, fx.options);
    const streamed = await collect(sealBundleStream([data.subarray(0, 1), data.subarray(1, CHUNK_SIZE + 3), data.subarray(CHUNK_SIZE + 3)], data.length, fx.options));
    expect(streamed.length).toBe(reference.length);
    expect(same(openAll(streamed).body, data)).toBe(true);
  });
});
