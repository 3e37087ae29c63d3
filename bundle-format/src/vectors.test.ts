/**
 * The committed test vectors reproduce from their generator, and each opens with its expected
 * outcome both in the real opener and in the independent @noble reference reader.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { outcome } from "../test-support/fixtures.js";
import { referenceOpen } from "../test-support/reference-open.js";
import { buildCases, sealInputs } from "../vectors/cases.js";
import { parseFile, serialize, toFile, vectorFileName, type VectorFile } from "../vectors/files.js";
import { fromHex, toHex } from "./bytes.js";
import { openBundle } from "./open.js";
import { x25519PublicKey, ed25519PublicKey, x25519KeyPair } from "./primitives.js";
import { BundleSealer } from "./seal.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "test-vectors");
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
const vectors: [string, VectorFile][] = files.map((f) => [f, parseFile(JSON.parse(readFileSync(join(dir, f), "utf8")))]);

describe("test vectors", () => {
  it("the generator reproduces every committed file byte for byte, and no file is stale", () => {
    const cases = buildCases();
    expect(files).toEqual(cases.map((c) => vectorFileName(c.name)).sort());
    for (const c of cases) expect(readFileSync(join(dir, vectorFileName(c.name)), "utf8")).toBe(serialize(toFile(c)));
  });

  it("covers success and every failure code an opener can produce", () => {
    const outcomes = new Set(vectors.map(([, v]) => v.expect));
    for (const code of ["success", "BUNDLE_TRUNCATED", "BUNDLE_MALFORMED", "BUNDLE_VERSION", "BUNDLE_TOO_LARGE", "BUNDLE_NOT_FOR_ME", "BUNDLE_AUTH"]) {
      expect(outcomes.has(code as VectorFile["expect"])).toBe(true);
    }
  });

  it("the harness refuses unknown keys", () => {
    expect(() => parseFile({ ...vectors[0]![1], surprise: 1 })).toThrow(/unknown vector key/);
    expect(() => parseFile({ ...vectors[0]![1], expect: "fine" })).toThrow(/unknown expect/);
  });

  it.each(vectors)("%s opens with its expected outcome", (_file, v) => {
    const secret = fromHex(v.opener_secret);
    const recipient = { secretKey: secret, publicKey: x25519PublicKey(secret) };
    const bundle = fromHex(v.bundle);
    const options = { recipient, ...(v.max_length === undefined ? {} : { maxLength: v.max_length }) };
    const reference = referenceOpen(bundle, secret, v.max_length);
    if (v.expect === "success") {
      const opened = openBundle(bundle, options);
      expect(toHex(opened.body)).toBe(v.body);
      expect(toHex(opened.sender)).toBe(v.sender_public);
      expect("body" in reference && toHex(reference.body)).toBe(v.body);
    } else {
      expect(outcome(() => openBundle(bundle, options))).toBe(v.expect);
      expect("error" in reference && reference.error).toBe(v.expect);
    }
  });

  it.each(vectors.filter(([, v]) => v.seal !== undefined))("%s: sealing its inputs gives its bytes", (_file, v) => {
    const s = v.seal!;
    const sender = { secretKey: fromHex(s.sender_secret), publicKey: ed25519PublicKey(fromHex(s.sender_secret)) };
    const body = fromHex(s.body);
    const sealer = new BundleSealer(
      body.length,
      { recipients: s.recipients.map(fromHex), sender, mailboxTag: fromHex(s.mailbox_tag), ...(s.min_length === undefined ? {} : { minLength: s.min_length }) },
      { ephemeralSecret: fromHex(s.ephemeral_secret), contentKey: fromHex(s.content_key), slots: s.slots.map((e) => (typeof e === "number" ? e : fromHex(e))) },
    );
    const bytes = Buffer.concat([sealer.prefix, ...sealer.push(body), ...sealer.finish()]);
    expect(bytes.toString("hex")).toBe(v.bundle);
  });

  it("random bundles open identically in the reference reader", () => {
    const sender = { secretKey: new Uint8Array(32).fill(1), publicKey: ed25519PublicKey(new Uint8Array(32).fill(1)) };
    for (const size of [0, 1, 500, 65_497, 140_000]) {
      const device = x25519KeyPair();
      const bundle = sealInputs({
        sender,
        recipients: [device],
        mailboxTag: new Uint8Array(16),
        body: new Uint8Array(size).fill(size & 0xff),
        randomness: { ephemeralSecret: x25519KeyPair().secretKey, contentKey: x25519KeyPair().secretKey, slots: [0, new Uint8Array(48), new Uint8Array(48).fill(1), new Uint8Array(48).fill(2)] },
      });
      const ref = referenceOpen(bundle, device.secretKey);
      expect("body" in ref && ref.body.length).toBe(size);
      expect(openBundle(bundle, { recipient: device }).bodyLength).toBe(size);
    }
  });
});
