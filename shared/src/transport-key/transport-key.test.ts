import { createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { fillerBundle, inspectBundle, bucketFor } from "@airlock/bundle-format";
import { TransportKey, epochAt, DEFAULT_EPOCH_SECONDS } from "./transport-key.js";
import { MailboxServerKey } from "./mailbox-server-key.js";

const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
const DAY_MS = DEFAULT_EPOCH_SECONDS * 1000;

describe("transport key", () => {
  it("mailbox ids and tags follow the spec's derivations (independent recomputation)", () => {
    const raw = key(7);
    const tk = new TransportKey(raw);
    const e8 = Buffer.alloc(8);
    e8.writeBigUInt64BE(20_000n);
    const expectedId = Buffer.from(hkdfSync("sha256", raw, Buffer.alloc(0), Buffer.concat([Buffer.from("airlock/v1/transport/mailbox"), e8]), 16)).toString("hex");
    expect(tk.mailboxId(20_000)).toBe(expectedId);
    const tagKey = Buffer.from(hkdfSync("sha256", raw, Buffer.alloc(0), Buffer.from("airlock/v1/transport/tag-key"), 32));
    const r = new Uint8Array(8).fill(9);
    const mac = createHmac("sha256", tagKey).update("airlock/v1/transport/tag").update(Buffer.from([1])).update(e8).update(r).digest().subarray(0, 8);
    expect(Buffer.from(tk.tag("real", 20_000, r))).toEqual(Buffer.concat([r, mac]));
  });

  it("mailbox ids rotate every epoch and differ between teams", () => {
    const a = new TransportKey(key(1));
    const b = new TransportKey(key(2));
    expect(a.mailboxId(5)).not.toBe(a.mailboxId(6));
    expect(a.mailboxId(5)).not.toBe(b.mailboxId(5));
    expect(a.mailboxId(5)).toMatch(/^[0-9a-f]{32}$/);
  });

  it("classifies its own real and cover tags, within the window only", () => {
    const tk = new TransportKey(key(3));
    const now = epochAt(Date.UTC(2026, 10, 28, 12));
    expect(tk.classify(tk.tag("real", now), now)).toEqual({ kind: "real", epoch: now });
    expect(tk.classify(tk.tag("cover", now - 3), now)).toEqual({ kind: "cover", epoch: now - 3 });
    expect(tk.classify(tk.tag("real", now + 1), now)).toEqual({ kind: "real", epoch: now + 1 });
    expect(tk.classify(tk.tag("real", now + 2), now)).toBeUndefined();
    expect(tk.classify(tk.tag("real", now - 15), now)).toBeUndefined();
    expect(tk.classify(tk.tag("real", now - 15), now, { past: 20, future: 0 })).toEqual({ kind: "real", epoch: now - 15 });
  });

  it("never claims another team's tag or random bytes (property)", () => {
    const mine = new TransportKey(key(4));
    const theirs = new TransportKey(key(5));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 100, max: 30_000 }), (random, epoch) => {
        expect(mine.classify(random, epoch)).toBeUndefined();
        expect(mine.classify(theirs.tag("real", epoch), epoch)).toBeUndefined();
      }),
      { numRuns: runs(300) },
    );
  });

  it("two tags of the same team and epoch share no bytes by construction", () => {
    const tk = new TransportKey(key(6));
    const a = tk.tag("real", 10);
    const b = tk.tag("real", 10);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it("tokens depend on purpose and epoch", () => {
    const tk = new TransportKey(key(8));
    expect(tk.token("http:abc", 1)).toMatch(/^[0-9a-f]{64}$/);
    expect(tk.token("http:abc", 1)).toBe(new TransportKey(key(8)).token("http:abc", 1));
    expect(tk.token("http:abc", 2)).not.toBe(tk.token("http:abc", 1));
    expect(tk.token("http:abd", 1)).not.toBe(tk.token("http:abc", 1));
  });

  it("epochs are whole epochs since 1970 and refuse nonsense", () => {
    expect(epochAt(0)).toBe(0);
    expect(epochAt(DAY_MS - 1)).toBe(0);
    expect(epochAt(DAY_MS)).toBe(1);
    expect(epochAt(7_200_000, 3600)).toBe(2);
    expect(() => epochAt(-1)).toThrow(RangeError);
    expect(() => epochAt(0, 10)).toThrow(RangeError);
    expect(() => new TransportKey(new Uint8Array(31))).toThrow(TypeError);
  });

  it("does not keep the caller's array, and wipe() clears its copies", () => {
    const raw = key(9);
    const tk = new TransportKey(raw);
    raw.fill(0);
    expect(tk.mailboxId(1)).toBe(new TransportKey(key(9)).mailboxId(1));
    const exported = tk.exportKey();
    expect(exported).toEqual(key(9));
    tk.wipe();
    expect(tk.exportKey()).toEqual(new Uint8Array(32));
  });

  it("cover bundles parse as ordinary bundles and carry a cover tag", () => {
    const tk = new TransportKey(key(10));
    const tag = tk.tag("cover", 50);
    const bundle = fillerBundle({ mailboxTag: tag, length: bucketFor(5000), slotTier: 3 });
    const header = inspectBundle(bundle);
    expect(header.length).toBe(bundle.length);
    expect(header.slotCount).toBe(8);
    expect(tk.classify(header.mailboxTag, 50)).toEqual({ kind: "cover", epoch: 50 });
  });
});

describe("mailbox server key", () => {
  const window = { past: 14, future: 1 };

  it("is k_auth of the spec: tokens it makes are the transport key's, byte for byte", () => {
    const raw = key(11);
    const tk = new TransportKey(raw, 3600);
    const server = tk.mailboxServerKey();
    const expected = Buffer.from(hkdfSync("sha256", raw, Buffer.alloc(0), Buffer.from("airlock/v1/transport/auth-key"), 32));
    expect(Buffer.from(server.exportKey())).toEqual(expected);
    expect(server.epochSeconds).toBe(3600);
    expect(server.token("http:abc", 77)).toBe(tk.token("http:abc", 77));
  });

  it("verifies a token and tells its epoch, within the window only, for its purpose only", () => {
    const tk = new TransportKey(key(12));
    const server = tk.mailboxServerKey();
    const now = 20_000;
    const token = (p: string, e: number): Uint8Array => Buffer.from(tk.token(p, e), "hex");
    expect(server.verifyToken("http:ns", token("http:ns", now), now, window)).toBe(now);
    expect(server.verifyToken("http:ns", token("http:ns", now - 14), now, window)).toBe(now - 14);
    expect(server.verifyToken("http:ns", token("http:ns", now + 1), now, window)).toBe(now + 1);
    expect(server.verifyToken("http:ns", token("http:ns", now - 15), now, window)).toBeUndefined();
    expect(server.verifyToken("http:ns", token("http:ns", now + 2), now, window)).toBeUndefined();
    expect(server.verifyToken("http:other", token("http:ns", now), now, window)).toBeUndefined();
    expect(server.verifyToken("http:ns", new Uint8Array(32), now, window)).toBeUndefined();
    expect(server.verifyToken("http:ns", new Uint8Array(31), now, window)).toBeUndefined();
    expect(new TransportKey(key(13)).mailboxServerKey().verifyToken("http:ns", token("http:ns", now), now, window)).toBeUndefined();
  });

  it("holds nothing that classifies a tag or names a mailbox (tried as the transport key and as the tag key)", () => {
    const tk = new TransportKey(key(14));
    const held = tk.mailboxServerKey().exportKey();
    const epoch = 500;
    const tags = [tk.tag("real", epoch), tk.tag("cover", epoch)];
    // As a transport key: neither tag classifies, no mailbox id matches.
    const asTransport = new TransportKey(held);
    for (const tag of tags) expect(asTransport.classify(tag, epoch)).toBeUndefined();
    expect(asTransport.mailboxId(epoch)).not.toBe(tk.mailboxId(epoch));
    // As the tag key itself, and as the input of the tag-key derivation.
    const e8 = Buffer.alloc(8);
    e8.writeBigUInt64BE(BigInt(epoch));
    const derived = Buffer.from(hkdfSync("sha256", held, Buffer.alloc(0), Buffer.from("airlock/v1/transport/tag-key"), 32));
    for (const candidate of [held, derived]) {
      for (const tag of tags) {
        for (const kind of [1, 2]) {
          const mac = createHmac("sha256", candidate).update("airlock/v1/transport/tag").update(Buffer.from([kind])).update(e8).update(tag.subarray(0, 8)).digest().subarray(0, 8);
          expect(Buffer.from(tag.subarray(8)).equals(mac)).toBe(false);
        }
      }
    }
  });

  it("refuses a key of the wrong length and a bad epoch length, and wipe() clears it", () => {
    expect(() => new MailboxServerKey(new Uint8Array(31), 86_400)).toThrow(TypeError);
    expect(() => new MailboxServerKey(new Uint8Array(32), 10)).toThrow(RangeError);
    const server = new MailboxServerKey(key(15), 86_400);
    server.wipe();
    expect(server.exportKey()).toEqual(new Uint8Array(32));
  });
});
