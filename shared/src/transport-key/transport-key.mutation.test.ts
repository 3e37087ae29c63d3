/**
 * The edges of the transport-key derivations that the spec tests do not reach: found by the
 * mutation run (`npm run mutate -- transport`, docs/testing.md, "Mutation testing"). Each test
 * names the boundary it pins.
 */
import { createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { concat, epochAt, hkdf, u64be, utf8 } from "./derive.js";
import { MailboxServerKey } from "./mailbox-server-key.js";
import { DEFAULT_TAG_WINDOW, MAILBOX_PRUNE_AGE, MAILBOX_PULL_BACK, TransportKey } from "./transport-key.js";

const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);

describe("derive", () => {
  it("u64be is big-endian over the full safe range, from 0", () => {
    expect([...u64be(0)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...u64be(2 ** 32 + 5)]).toEqual([0, 0, 0, 1, 0, 0, 0, 5]);
    expect([...u64be(Number.MAX_SAFE_INTEGER)]).toEqual([0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });

  it("u64be refuses negative and fractional epochs with the number in the message", () => {
    expect(() => u64be(-1)).toThrow(new RangeError("epoch must be a non-negative safe integer, got -1"));
    expect(() => u64be(1.5)).toThrow(RangeError);
    expect(() => u64be(2 ** 53)).toThrow(RangeError);
  });

  it("hkdf takes its info as text or bytes alike", () => {
    expect(hkdf(key(1), "label", 16)).toEqual(hkdf(key(1), utf8("label"), 16));
    expect(concat(utf8("ab"), new Uint8Array([1]))).toEqual(new Uint8Array([0x61, 0x62, 1]));
  });

  it("an epoch is at least 60 s long; the clock must read a non-negative time", () => {
    expect(epochAt(120_000, 60)).toBe(2);
    expect(() => epochAt(0, 59)).toThrow(new RangeError("epochSeconds must be an integer >= 60, got 59"));
    expect(() => epochAt(-1, 60)).toThrow(new RangeError("the clock reads -1"));
    expect(() => epochAt(Number.NaN, 60)).toThrow(RangeError);
  });
});

describe("transport key edges", () => {
  const tk = new TransportKey(key(21));

  it("refuses a key of the wrong length, and a tag random part of the wrong length, with the length", () => {
    expect(() => new TransportKey(new Uint8Array(33))).toThrow(new TypeError("a transport key is 32 bytes"));
    expect(() => tk.tag("real", 5, new Uint8Array(7))).toThrow(new TypeError("the tag's random part is 8 bytes"));
    expect(tk.tag("real", 5, new Uint8Array(8)).subarray(0, 8)).toEqual(new Uint8Array(8));
  });

  it("classify gives undefined, never an exception, for tags of the wrong length or type", () => {
    const good = tk.tag("real", 100);
    expect(tk.classify(good.subarray(0, 15), 100)).toBeUndefined();
    expect(tk.classify(concat(good, new Uint8Array(1)), 100)).toBeUndefined();
    expect(tk.classify([...good] as unknown as Uint8Array, 100)).toBeUndefined();
  });

  it("classify accepts the window's oldest epoch, and epoch 0 when the window reaches below it", () => {
    expect(tk.classify(tk.tag("cover", 100 - DEFAULT_TAG_WINDOW.past), 100)).toEqual({ kind: "cover", epoch: 100 - DEFAULT_TAG_WINDOW.past });
    expect(tk.classify(tk.tag("real", 0), 3)).toEqual({ kind: "real", epoch: 0 });
  });

  it("a namespace is pruned only once a courier 3 epochs slow no longer lists it", () => {
    // Such a courier lists back to (now - 3) - MAILBOX_PULL_BACK: one epoch younger than the
    // prune age is still listed, the prune age itself is not (docs/transport-key.md).
    const oldestListed = -3 - MAILBOX_PULL_BACK;
    expect(-MAILBOX_PRUNE_AGE).toBeLessThan(oldestListed);
    expect(-(MAILBOX_PRUNE_AGE - 1)).toBeGreaterThanOrEqual(oldestListed);
  });
});

describe("mailbox server key edges", () => {
  const window = { past: 14, future: 1 };

  it("tokens follow the spec's derivation (independent recomputation), not only the transport key's copy of it", () => {
    const raw = key(24);
    const kServer = hkdfSync("sha256", raw, new Uint8Array(0), "airlock/v1/transport/auth-key", 32);
    const e8 = Buffer.alloc(8);
    e8.writeBigUInt64BE(77n);
    const expected = createHmac("sha256", Buffer.from(kServer)).update("airlock/v1/transport/token").update(e8).update("http:abc").digest("hex");
    expect(new TransportKey(raw).token("http:abc", 77)).toBe(expected);
    expect(new MailboxServerKey(new Uint8Array(kServer), 86_400).token("http:abc", 77)).toBe(expected);
  });

  it("refuses a key of the wrong length with the length, and tells epochs by its own epoch length", () => {
    expect(() => new MailboxServerKey(new Uint8Array(16), 86_400)).toThrow(new TypeError("a mailbox server key is 32 bytes"));
    const server = new MailboxServerKey(key(22), 3600);
    expect(server.epochAt(5 * 3_600_000 + 1)).toBe(5);
  });

  it("verifyToken gives undefined, never an exception, for a token that is not 32 bytes of Uint8Array", () => {
    const server = new MailboxServerKey(key(23), 86_400);
    const right = Buffer.from(server.token("http:ns", 50), "hex");
    expect(server.verifyToken("http:ns", new Uint8Array(right), 50, window)).toBe(50);
    expect(server.verifyToken("http:ns", [...right] as unknown as Uint8Array, 50, window)).toBeUndefined();
    expect(server.verifyToken("http:ns", concat(right, new Uint8Array(1)), 50, window)).toBeUndefined();
    expect(server.verifyToken("http:ns", right.subarray(0, 31), 50, window)).toBeUndefined();
  });
});
