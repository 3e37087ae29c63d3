/**
 * Coefficients of coded frames, from a seed both ends know: the transfer id and the frame
 * index. Any implementation can reproduce them from docs/qr-frames.md ("Coefficients"):
 * mulberry32 seeded with transferId XOR (index + 1) * 0x9E3779B9 (mod 2^32), each 32-bit
 * output giving four coefficients, least significant byte first. This is not cryptography:
 * the bundle inside authenticates itself; the generator only needs to look random to the
 * loss pattern.
 */
export function codedCoefficients(transferId: number, index: number, k: number): Uint8Array {
  const out = new Uint8Array(k);
  let state = (transferId ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  for (let i = 0; i < k; i += 4) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    t = (t ^ (t >>> 14)) >>> 0;
    for (let j = 0; j < 4 && i + j < k; j++) out[i + j] = (t >>> (8 * j)) & 0xff;
  }
  return out;
}
