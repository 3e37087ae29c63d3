/** Small byte helpers shared by the codecs. No policy lives here. */

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A Uint8Array with its own ArrayBuffer and unspecified contents, for outputs the caller
 * overwrites completely (skips zero-filling megabytes; never a slice of Node's shared pool).
 */
export function uninitialized(length: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = uninitialized(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Big-endian u64 for values up to 2^53 - 1 (every length this format allows fits). */
export function u64be(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value >>> 0);
  return out;
}

/** Reads a big-endian u64; returns Infinity when it does not fit a safe integer, so bounds checks reject it. */
export function readU64be(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  if (hi >= 2 ** 21) return Number.POSITIVE_INFINITY;
  return hi * 2 ** 32 + lo;
}

/** Constant-time equality for equal-length inputs (length itself is not secret here). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) throw new TypeError("expected lowercase hex of even length");
  return new Uint8Array(Buffer.from(hex, "hex"));
}
