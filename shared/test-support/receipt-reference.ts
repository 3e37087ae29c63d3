/**
 * A second receipt reader and sealer, written from docs/receipts.md alone with node:crypto (not
 * the app's ReceiptKey or its layout helpers): the vectors must open the same way in both, and
 * the generator seals deliberately non-canonical bodies through it.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from "node:crypto";

const te = (s: string): Buffer => Buffer.from(s, "ascii");
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string): Buffer => Buffer.from(hkdfSync("sha256", ikm, salt, te(info), 32));

function keys(transportKey: Uint8Array, nonce: Uint8Array): { check: Buffer; seal: Buffer } {
  const receipt = hkdf(transportKey, new Uint8Array(0), "airlock/v1/transport/receipt-key");
  const checkKey = hkdf(receipt, new Uint8Array(0), "airlock/v1/receipt/check-key");
  const check = createHmac("sha256", checkKey).update(te("airlock/v1/receipt/check")).update(nonce).digest().subarray(0, 4);
  return { check, seal: hkdf(receipt, nonce, "airlock/v1/receipt/seal-key") };
}

/** magic "ARC", version, nonce, check, then the AEAD of `body` (any bytes) with the 24-byte head as associated data. */
export function referenceSeal(transportKey: Uint8Array, nonce: Uint8Array, body: Uint8Array, version = 1): Uint8Array {
  const { check, seal } = keys(transportKey, nonce);
  const head = Buffer.concat([te("ARC"), Buffer.from([version]), nonce, check]);
  const cipher = createCipheriv("chacha20-poly1305", seal, Buffer.alloc(12), { authTagLength: 16 });
  cipher.setAAD(head, { plaintextLength: body.length });
  return new Uint8Array(Buffer.concat([head, cipher.update(body), cipher.final(), cipher.getAuthTag()]));
}

/** The body layout: time (u64 ms), count (u16), the ids as given, then `padTo` slots in all (zeros). */
export function referenceBody(timeMs: number, ids: readonly string[], padTo: number, count = ids.length): Uint8Array {
  const body = Buffer.alloc(10 + 8 * padTo);
  body.writeBigUInt64BE(BigInt(timeMs), 0);
  body.writeUInt16BE(count, 8);
  ids.forEach((id, i) => Buffer.from(id, "hex").copy(body, 10 + 8 * i));
  return new Uint8Array(body);
}

export type ReferenceOutcome = { readonly timeMs: number; readonly ids: string[] } | { readonly error: string };

export function referenceOpen(bytes: Uint8Array, transportKeys: readonly Uint8Array[]): ReferenceOutcome {
  const b = Buffer.from(bytes);
  if (!b.subarray(0, Math.min(3, b.length)).equals(te("ARC").subarray(0, Math.min(3, b.length)))) return { error: "RECEIPT_MALFORMED" };
  if (b.length <= 3) return { error: "RECEIPT_TRUNCATED" };
  if (b[3] !== 1) return { error: "RECEIPT_VERSION" };
  const allowed = [4, 8, 16, 32, 64, 128, 256, 512, 1024].map((s) => 24 + 10 + 8 * s + 16);
  if (b.length < allowed[0]!) return { error: "RECEIPT_TRUNCATED" };
  if (b.length > allowed.at(-1)!) return { error: "RECEIPT_TOO_LARGE" };
  if (!allowed.includes(b.length)) return { error: "RECEIPT_MALFORMED" };
  const slots = (b.length - 50) / 8;
  const nonce = b.subarray(4, 20);
  let sawCheck = false;
  for (const tk of transportKeys) {
    const { check, seal } = keys(tk, nonce);
    if (!check.equals(b.subarray(20, 24))) continue;
    sawCheck = true;
    const decipher = createDecipheriv("chacha20-poly1305", seal, Buffer.alloc(12), { authTagLength: 16 });
    decipher.setAuthTag(b.subarray(b.length - 16));
    decipher.setAAD(b.subarray(0, 24), { plaintextLength: b.length - 40 });
    let body: Buffer;
    try {
      body = Buffer.concat([decipher.update(b.subarray(24, b.length - 16)), decipher.final()]);
    } catch {
      continue;
    }
    const timeMs = body.readBigUInt64BE(0);
    const n = body.readUInt16BE(8);
    if (timeMs > BigInt(Number.MAX_SAFE_INTEGER) || n < 1 || n > 1024) return { error: "RECEIPT_BODY" };
    let expected = 4;
    while (expected < n) expected *= 2;
    if (expected !== slots) return { error: "RECEIPT_BODY" };
    const ids = Array.from({ length: n }, (_, i) => body.subarray(10 + 8 * i, 18 + 8 * i).toString("hex"));
    if (ids.some((id, i) => i > 0 && id <= ids[i - 1]!)) return { error: "RECEIPT_BODY" };
    if (body.subarray(10 + 8 * n).some((x) => x !== 0)) return { error: "RECEIPT_BODY" };
    return { timeMs: Number(timeMs), ids };
  }
  return { error: sawCheck ? "RECEIPT_AUTH" : "RECEIPT_UNKNOWN_TEAM" };
}
