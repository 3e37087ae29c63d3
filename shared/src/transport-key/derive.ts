/** The small encodings every transport-key derivation shares (docs/transport-key.md, "Derivations"). */
import { hkdfSync } from "node:crypto";

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function u64be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`epoch must be a non-negative safe integer, got ${n}`);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(n / 2 ** 32));
  view.setUint32(4, n >>> 0);
  return out;
}

export function hkdf(key: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", key, new Uint8Array(0), typeof info === "string" ? utf8(info) : info, length));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The epoch number of a moment: whole epochs since the Unix epoch. */
export function epochAt(nowMs: number, epochSeconds: number): number {
  if (!Number.isSafeInteger(epochSeconds) || epochSeconds < 60) throw new RangeError(`epochSeconds must be an integer >= 60, got ${epochSeconds}`);
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`the clock reads ${nowMs}`);
  return Math.floor(nowMs / 1000 / epochSeconds);
}
