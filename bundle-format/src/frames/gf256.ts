/**
 * Arithmetic in GF(2^8) with the AES/Rijndael-independent polynomial x^8 + x^4 + x^3 + x^2 + 1
 * (0x11d, generator 2), the field Reed-Solomon and RaptorQ use. Addition is XOR.
 * The full 64 KiB product table lets a row operation be one lookup and one XOR per byte.
 * Spec: docs/qr-frames.md, "Coding".
 */
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

/** PRODUCTS[a * 256 + b] = a * b in GF(256). */
const PRODUCTS = new Uint8Array(65536);
for (let a = 1; a < 256; a++) {
  for (let b = 1; b < 256; b++) PRODUCTS[a * 256 + b] = EXP[LOG[a]! + LOG[b]!]!;
}

export function gfMul(a: number, b: number): number {
  return PRODUCTS[(a << 8) | b]!;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError("0 has no inverse in GF(256)");
  return EXP[255 - LOG[a]!]!;
}

/** dst[i] ^= c * src[i] for i in [from, to): the one hot loop of the decoder. */
export function mulAddInto(dst: Uint8Array, src: Uint8Array, c: number, from = 0, to = dst.length): void {
  if (c === 0) return;
  if (c === 1) {
    for (let i = from; i < to; i++) dst[i]! ^= src[i]!;
    return;
  }
  const row = PRODUCTS.subarray(c << 8, (c + 1) << 8);
  for (let i = from; i < to; i++) dst[i]! ^= row[src[i]!]!;
}

/** v[i] = c * v[i]. */
export function scaleInPlace(v: Uint8Array, c: number): void {
  if (c === 1) return;
  const row = PRODUCTS.subarray(c << 8, (c + 1) << 8);
  for (let i = 0; i < v.length; i++) v[i] = row[v[i]!]!;
}

/** dst[j] ^= c * src[j] for each j in `columns[0 .. count)`: row operations on sparse supports. */
export function mulAddAt(dst: Uint8Array, src: Uint8Array, c: number, columns: Int32Array, count: number): void {
  if (c === 0) return;
  const row = PRODUCTS.subarray(c << 8, (c + 1) << 8);
  for (let i = 0; i < count; i++) {
    const j = columns[i]!;
    dst[j]! ^= row[src[j]!]!;
  }
}
