/**
 * Byte-level mutations of a valid input (a real sealed bundle, frame, entry...): the classic
 * fuzzer set (bit flips, interesting bytes, truncation, deletion, insertion, duplication,
 * splices with another corpus input) plus length-field edits that overwrite 1, 2, 4 or 8 bytes
 * with boundary integers in either byte order, which is how length checks are broken.
 */
import type { Rng } from "./rng.js";

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x40, 0x60, 0x80, 0xa0, 0xc0, 0xe0, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfb];

/** Boundary values for a field of `width` bytes, given the input's own length. */
function interestingInts(width: number, length: number): number[] {
  const max = width >= 7 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * width) - 1;
  const values = [0, 1, 2, max, max - 1, Math.floor(max / 2), Math.floor(max / 2) + 1, length, length - 1, length + 1, 16, 64, 255, 256, 4096, 65535, 65536];
  return values.filter((v) => v >= 0 && v <= max);
}

function writeInt(out: Uint8Array, at: number, width: number, value: number, littleEndian: boolean): void {
  let v = BigInt(value);
  for (let i = 0; i < width; i++) {
    const byte = Number(v & 0xffn);
    out[littleEndian ? at + i : at + width - 1 - i] = byte;
    v >>= 8n;
  }
}

export type ByteMutator = (input: Uint8Array, rng: Rng, other: () => Uint8Array, maxLength: number) => Uint8Array;

const flipBits: ByteMutator = (input, rng) => {
  if (input.length === 0) return rng.bytes(1);
  const out = input.slice();
  const flips = 1 + rng.skewed(7);
  for (let i = 0; i < flips; i++) out[rng.below(out.length)]! ^= 1 << rng.below(8);
  return out;
};

const setBytes: ByteMutator = (input, rng) => {
  if (input.length === 0) return rng.bytes(1);
  const out = input.slice();
  const n = 1 + rng.skewed(3);
  for (let i = 0; i < n; i++) out[rng.below(out.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.u32() & 0xff;
  return out;
};

const addToByte: ByteMutator = (input, rng) => {
  if (input.length === 0) return rng.bytes(1);
  const out = input.slice();
  const at = rng.below(out.length);
  out[at] = (out[at]! + (rng.chance(0.5) ? 1 : -1) * (1 + rng.skewed(34))) & 0xff;
  return out;
};

const truncate: ByteMutator = (input, rng) => input.slice(0, rng.below(input.length + 1));

const dropHead: ByteMutator = (input, rng) => input.slice(rng.skewed(input.length));

const deleteRange: ByteMutator = (input, rng) => {
  if (input.length === 0) return input;
  const at = rng.below(input.length);
  const n = 1 + rng.skewed(Math.min(64, input.length - at - 1));
  return concat(input.subarray(0, at), input.subarray(at + n));
};

const insertBytes: ByteMutator = (input, rng, _other, maxLength) => {
  const at = rng.below(input.length + 1);
  const n = 1 + rng.skewed(Math.min(256, Math.max(0, maxLength - input.length)));
  const filler = rng.chance(0.5) ? rng.bytes(n) : new Uint8Array(n).fill(rng.pick(INTERESTING_BYTES));
  return concat(input.subarray(0, at), filler, input.subarray(at));
};

const duplicateRange: ByteMutator = (input, rng) => {
  if (input.length === 0) return input;
  const from = rng.below(input.length);
  const n = 1 + rng.skewed(Math.min(512, input.length - from - 1));
  const to = rng.below(input.length + 1);
  return concat(input.subarray(0, to), input.subarray(from, from + n), input.subarray(to));
};

const lengthField: ByteMutator = (input, rng) => {
  const width = rng.pick([1, 2, 4, 8]);
  if (input.length < width) return flipBits(input, rng, () => input, input.length);
  const out = input.slice();
  const at = rng.below(input.length - width + 1);
  const original = readInt(input, at, width);
  const candidates = [...interestingInts(width, input.length), original + 1, original - 1, original * 2, original + 16];
  const value = rng.pick(candidates.filter((v) => v >= 0 && v <= Number.MAX_SAFE_INTEGER));
  writeInt(out, at, width, value, rng.chance(0.2));
  return out;
};

const splice: ByteMutator = (input, rng, other) => {
  const b = other();
  const cutA = rng.below(input.length + 1);
  const cutB = rng.below(b.length + 1);
  return concat(input.subarray(0, cutA), b.subarray(cutB));
};

const overwriteFromOther: ByteMutator = (input, rng, other) => {
  const b = other();
  if (input.length === 0 || b.length === 0) return input;
  const out = input.slice();
  const n = 1 + rng.skewed(Math.min(64, b.length - 1, out.length - 1));
  const from = rng.below(b.length - n + 1);
  const to = rng.below(out.length - n + 1);
  out.set(b.subarray(from, from + n), to);
  return out;
};

const randomInput: ByteMutator = (_input, rng, _other, maxLength) => rng.bytes(rng.skewed(Math.min(maxLength, 4096)));

/** Weighted: cheap local edits most often, whole-structure changes now and then. */
export const BYTE_MUTATORS: readonly (readonly [ByteMutator, number])[] = [
  [flipBits, 20],
  [setBytes, 12],
  [addToByte, 6],
  [lengthField, 12],
  [truncate, 6],
  [dropHead, 2],
  [deleteRange, 8],
  [insertBytes, 6],
  [duplicateRange, 5],
  [splice, 5],
  [overwriteFromOther, 5],
  [randomInput, 1],
];

export function pickWeighted<T>(rng: Rng, table: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of table) total += w;
  let r = rng.below(total);
  for (const [item, w] of table) {
    if (r < w) return item;
    r -= w;
  }
  return table[0]![0];
}

export function readInt(bytes: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + bytes[at + i]!;
  return v;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
