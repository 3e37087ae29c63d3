/**
 * CBOR-aware mutations. A lenient scanner finds the items of an input (heads, strings,
 * containers, and byte strings that themselves hold CBOR, as signed entries and changesets
 * do), then one item is edited and the enclosing lengths are kept consistent, so the edit
 * reaches the schema checks instead of dying at the first length test. Edits: boundary or
 * non-shortest arguments, another major type, indefinite lengths, tags, floats and simple
 * values, hostile text (prototype keys, invalid UTF-8, bidi controls), resized strings,
 * dropped, duplicated, swapped or transplanted items, deep nesting.
 */
import { concat } from "./mutate.js";
import type { Rng } from "./rng.js";

interface Node {
  readonly start: number;
  readonly headEnd: number;
  readonly end: number;
  readonly major: number;
  readonly arg: number;
  /** Index of the enclosing array/map node in the list, or -1 at the top level. */
  readonly parent: number;
  /** Byte strings whose content parses as one whole CBOR item. */
  readonly nested: boolean;
}

const MAX_NODES = 4096;

/** Scans items leniently; stops (keeping what it found) at the first thing it cannot read. */
function scan(bytes: Uint8Array): Node[] {
  const nodes: Node[] = [];
  const item = (at: number, parent: number, depth: number): number => {
    if (at >= bytes.length || nodes.length >= MAX_NODES || depth > 64) throw STOP;
    const initial = bytes[at]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let arg = info;
    let headEnd = at + 1;
    if (info >= 24 && info <= 27) {
      const size = 1 << (info - 24);
      if (at + 1 + size > bytes.length) throw STOP;
      arg = 0;
      for (let i = 0; i < size; i++) arg = arg * 256 + bytes[at + 1 + i]!;
      headEnd += size;
    } else if (info > 27) throw STOP;
    const index = nodes.length;
    const placeholder: Node = { start: at, headEnd, end: headEnd, major, arg, parent, nested: false };
    nodes.push(placeholder);
    let end = headEnd;
    let nested = false;
    if (major === 2 || major === 3) {
      if (arg > bytes.length - headEnd) throw STOP;
      end = headEnd + arg;
      if (major === 2 && arg > 0) nested = parsesWhole(bytes.subarray(headEnd, end));
    } else if (major === 4 || major === 5) {
      const count = major === 5 ? arg * 2 : arg;
      if (count > bytes.length - headEnd) throw STOP;
      for (let i = 0; i < count; i++) end = item(end, index, depth + 1);
    } else if (major === 6) {
      end = item(end, index, depth + 1);
    }
    nodes[index] = { ...placeholder, end, nested };
    return end;
  };
  try {
    item(0, -1, 0);
  } catch (e) {
    if (e !== STOP) throw e;
  }
  return nodes;
}

const STOP = Symbol("stop");

function parsesWhole(bytes: Uint8Array): boolean {
  const first = bytes[0]!;
  // Only containers are worth descending into; a lucky scalar prefix is noise.
  if (first >> 5 !== 4 && first >> 5 !== 5) return false;
  const nodes = scan(bytes);
  return nodes.length > 0 && nodes.length < MAX_NODES && nodes[0]!.end === bytes.length;
}

/** Encodes a head; `width` forces a (possibly non-shortest) argument size: 0 = in the initial byte. */
export function head(major: number, value: number, width?: 0 | 1 | 2 | 4 | 8): Uint8Array {
  const w = width ?? (value < 24 ? 0 : value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x100000000 ? 4 : 8);
  if (w === 0) return Uint8Array.of((major << 5) | Math.min(value, 23));
  const out = new Uint8Array(1 + w);
  out[0] = (major << 5) | (24 + Math.log2(w));
  let v = BigInt(Math.max(0, Math.floor(value)));
  for (let i = w; i >= 1; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const INTERESTING_ARGS = [0, 1, 23, 24, 255, 256, 65535, 65536, 0xffffffff, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 64 - 1];
const enc = new TextEncoder();
const HOSTILE_TEXT: readonly Uint8Array[] = [
  "",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "kind",
  "type",
  "v",
  "genesis",
  "owner",
  "admin",
  "sync",
  "enrollment",
  "courier-enrollment",
  "welcome",
  "\u202e\u0000\u001b[31m",
  "a".repeat(65),
  "a".repeat(257),
  "é".repeat(40),
  "\ud83d\ude00",
].map((s) => enc.encode(s));
const INVALID_UTF8: readonly Uint8Array[] = [Uint8Array.of(0xff), Uint8Array.of(0xc3), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0xf8, 0x88, 0x80, 0x80, 0x80)];
const ODD_ITEMS: readonly Uint8Array[] = [
  Uint8Array.of(0x9f, 0xff), // indefinite array
  Uint8Array.of(0xbf, 0xff), // indefinite map
  Uint8Array.of(0x5f, 0x41, 0x00, 0xff), // indefinite byte string
  Uint8Array.of(0xc0, 0x60), // tag 0
  Uint8Array.of(0xd8, 0x40, 0x40), // tag 64 on bytes (typed arrays in cbor-x)
  Uint8Array.of(0xd9, 0xd9, 0xf7, 0x00), // self-describe tag
  Uint8Array.of(0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0), // bignum
  Uint8Array.of(0xf9, 0x7e, 0x00), // NaN
  Uint8Array.of(0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), // 1.0 as a double
  Uint8Array.of(0xf7), // undefined
  Uint8Array.of(0xf8, 0x20), // simple 32
  Uint8Array.of(0xff), // break
  Uint8Array.of(0x1b, 0x00, 0x20, 0, 0, 0, 0, 0, 0), // 2^53
  Uint8Array.of(0x3b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe), // -(2^53 - 1)
  Uint8Array.of(0x3b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // -2^53
  Uint8Array.of(0xf4),
  Uint8Array.of(0xf5),
  Uint8Array.of(0xf6),
  Uint8Array.of(0x80),
  Uint8Array.of(0xa0),
  Uint8Array.of(0x40),
];

/**
 * Replaces `node` by `replacement`, adjusting the parent's count by `countDelta` items and
 * every enclosing byte string's length (in the chain of nested scans) by the size change.
 */
function replaceNode(bytes: Uint8Array, nodes: readonly Node[], index: number, replacement: Uint8Array, countDelta = 0): Uint8Array {
  const node = nodes[index]!;
  let out = concat(bytes.subarray(0, node.start), replacement, bytes.subarray(node.end));
  if (countDelta !== 0 && node.parent >= 0) {
    const parent = nodes[node.parent]!;
    const perEntry = parent.major === 5 ? 2 : 1;
    const newCount = Math.max(0, parent.arg + Math.trunc(countDelta / perEntry));
    const newHead = head(parent.major, newCount);
    out = concat(out.subarray(0, parent.start), newHead, out.subarray(parent.headEnd));
  }
  return out;
}

/** One CBOR-aware edit; falls back to returning the input unchanged when nothing parses. */
export function mutateCbor(bytes: Uint8Array, rng: Rng, other: () => Uint8Array, depth = 0): Uint8Array {
  const nodes = scan(bytes);
  if (nodes.length === 0) return bytes;
  const index = rng.below(nodes.length);
  const node = nodes[index]!;
  const content = bytes.subarray(node.headEnd, node.end);

  // Descend into a byte string that holds CBOR (a signed body, an inner payload) and fix its length.
  if (node.nested && depth < 4 && rng.chance(0.6)) {
    const inner = mutateCbor(content, rng, other, depth + 1);
    return replaceNode(bytes, nodes, index, concat(head(2, inner.length), inner));
  }

  switch (rng.below(12)) {
    case 0: {
      // Boundary argument, shortest form (a length or integer pushed to its limits).
      const value = rng.chance(0.5) ? rng.pick(INTERESTING_ARGS) : Math.max(0, node.arg + rng.pick([-1, 1, -2, 2, 24, -24]));
      const safe = Math.min(value, Number.MAX_SAFE_INTEGER);
      return concat(bytes.subarray(0, node.start), head(node.major, safe), bytes.subarray(node.headEnd));
    }
    case 1: {
      // Same argument, non-shortest width.
      const width = rng.pick([1, 2, 4, 8] as const);
      if (node.arg >= 2 ** (8 * width) && width < 8) return bytes;
      return concat(bytes.subarray(0, node.start), head(node.major, node.arg, width), bytes.subarray(node.headEnd));
    }
    case 2: {
      // Another major type over the same argument and content.
      const major = (node.major + 1 + rng.below(7)) & 7;
      return concat(bytes.subarray(0, node.start), head(major, node.arg), bytes.subarray(node.headEnd));
    }
    case 3:
      return replaceNode(bytes, nodes, index, rng.pick(ODD_ITEMS));
    case 4: {
      // Hostile or invalid text, as a text string (map keys included).
      const text = rng.chance(0.8) ? rng.pick(HOSTILE_TEXT) : rng.pick(INVALID_UTF8);
      return replaceNode(bytes, nodes, index, concat(head(3, text.length), text));
    }
    case 5: {
      // Resize a string's content, keeping its head consistent.
      if (node.major !== 2 && node.major !== 3) return bytes;
      const target = rng.pick([0, 1, content.length - 1, content.length + 1, content.length * 2, 15, 16, 17, 31, 32, 33, 63, 64, 65]);
      const n = Math.max(0, Math.min(target, 1 << 16));
      const resized = new Uint8Array(n);
      resized.set(content.subarray(0, n));
      if (n > content.length) resized.set(rng.bytes(n - content.length), content.length);
      return replaceNode(bytes, nodes, index, concat(head(node.major, n), resized));
    }
    case 6: {
      // Drop the item (map entries go as key+value pairs when the key is picked).
      if (node.parent < 0) return bytes.subarray(0, 0);
      const parent = nodes[node.parent]!;
      if (parent.major === 5) {
        const pairEnd = nextSiblingEnd(nodes, index);
        if (pairEnd === undefined) return replaceNode(bytes, nodes, index, new Uint8Array(0));
        const withoutPair = concat(bytes.subarray(0, node.start), bytes.subarray(pairEnd));
        return concat(withoutPair.subarray(0, parent.start), head(5, Math.max(0, parent.arg - 1)), withoutPair.subarray(parent.headEnd));
      }
      return replaceNode(bytes, nodes, index, new Uint8Array(0), parent.major === 4 ? -1 : 0);
    }
    case 7: {
      // Duplicate the item (in a map: a duplicate or out-of-order key).
      const itemBytes = bytes.subarray(node.start, node.end);
      if (node.parent < 0) return concat(bytes, itemBytes);
      const parent = nodes[node.parent]!;
      if (parent.major === 5) {
        const pairEnd = nextSiblingEnd(nodes, index) ?? node.end;
        const pair = bytes.slice(node.start, pairEnd);
        const doubled = concat(bytes.subarray(0, pairEnd), pair, bytes.subarray(pairEnd));
        return concat(doubled.subarray(0, parent.start), head(5, parent.arg + 1), doubled.subarray(parent.headEnd));
      }
      if (parent.major === 4) return replaceNode(bytes, nodes, index, concat(itemBytes, itemBytes), 1);
      return bytes;
    }
    case 8: {
      // Swap with a sibling (reorders map keys or list entries).
      const siblings = nodes.map((n, i) => [n, i] as const).filter(([n, i]) => n.parent === node.parent && i !== index && (n.end <= node.start || n.start >= node.end));
      if (siblings.length === 0) return bytes;
      const [other2] = rng.pick(siblings);
      const [a, b] = node.start < other2.start ? [node, other2] : [other2, node];
      return concat(bytes.subarray(0, a.start), bytes.subarray(b.start, b.end), bytes.subarray(a.end, b.start), bytes.subarray(a.start, a.end), bytes.subarray(b.end));
    }
    case 9: {
      // Transplant an item from another corpus input (a field of the right shape from elsewhere).
      const donor = other();
      const donorNodes = scan(donor);
      if (donorNodes.length === 0) return bytes;
      const d = rng.pick(donorNodes);
      return replaceNode(bytes, nodes, index, donor.subarray(d.start, d.end));
    }
    case 10: {
      // Wrap in deep nesting (depth limits) or in one array.
      const levels = rng.chance(0.5) ? 1 : rng.pick([8, 16, 17, 33, 200]);
      const opener = new Uint8Array(levels).fill(0x81);
      return replaceNode(bytes, nodes, index, concat(opener, bytes.subarray(node.start, node.end)));
    }
    default: {
      // A huge declared count or length with little behind it (allocation before bounds check).
      const major = rng.pick([2, 3, 4, 5]);
      return replaceNode(bytes, nodes, index, concat(head(major, rng.pick([0xffff, 0xffffff, 0xffffffff, 2 ** 40])), Uint8Array.of(0)));
    }
  }
}

/** End of the value that follows a map key (the key's next sibling), if scanned. */
function nextSiblingEnd(nodes: readonly Node[], index: number): number | undefined {
  const node = nodes[index]!;
  for (let i = index + 1; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.parent === node.parent && n.start === node.end) return n.end;
  }
  return undefined;
}
