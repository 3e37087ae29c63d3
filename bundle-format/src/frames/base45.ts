/**
 * Base45 (RFC 9285) over the QR alphanumeric charset, for the compatibility mode: scanners
 * that mangle binary QR payloads pass alphanumeric ones intact. Two bytes become three
 * characters (a trailing byte two), so it keeps 97% of byte-mode density. Decoding is strict:
 * only the 45 characters, no value above the range, no dangling single character.
 */
import { FrameError } from "./errors.js";

export const BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE45_ALPHABET.length; i++) VALUES[BASE45_ALPHABET.charCodeAt(i)] = i;

export function base45Encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const n = bytes[i]! * 256 + bytes[i + 1]!;
    out += BASE45_ALPHABET[n % 45]! + BASE45_ALPHABET[Math.floor(n / 45) % 45]! + BASE45_ALPHABET[Math.floor(n / 2025)]!;
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out += BASE45_ALPHABET[n % 45]! + BASE45_ALPHABET[Math.floor(n / 45)]!;
  }
  return out;
}

export function base45Decode(text: string): Uint8Array {
  if (text.length % 3 === 1) throw new FrameError("FRAME_MALFORMED", "base45 text has a dangling character");
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  const value = (i: number): number => {
    const code = text.charCodeAt(i);
    const v = code < 128 ? VALUES[code]! : -1;
    if (v < 0) throw new FrameError("FRAME_MALFORMED", `base45 text has an invalid character at position ${i}`);
    return v;
  };
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    if (i + 2 < text.length) {
      const n = value(i) + value(i + 1) * 45 + value(i + 2) * 2025;
      if (n > 0xffff) throw new FrameError("FRAME_MALFORMED", `base45 triple at position ${i} is out of range`);
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      const n = value(i) + value(i + 1) * 45;
      if (n > 0xff) throw new FrameError("FRAME_MALFORMED", `base45 pair at position ${i} is out of range`);
      out[o++] = n;
    }
  }
  return out;
}
