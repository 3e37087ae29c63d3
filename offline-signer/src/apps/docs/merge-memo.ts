/**
 * Three-way merges remembered by what they merged. A document's accepted versions are replayed
 * from its whole review log whenever its search entry moves or it is shown (review.ts), so a
 * document that has merged N times would pay N merges on every flush that touches it. A merge is
 * a pure function of its three texts and the fixed per-merge bound (text-diff.ts), so a result
 * found here is the one `merge3` would compute: the cache changes what a replay costs, never
 * what any vault accepts.
 *
 * Keyed by a SHA-256 of the three texts' UTF-16 code units (each length-prefixed, so no two
 * triples share a key, lone surrogates included). Bounded by the characters it holds and by its
 * number of entries; past either, the least recently used results go first. A result is kept as
 * fresh, frozen strings: the merge builds its text from slices of the inputs, which would
 * otherwise keep all three inputs alive (three times the memory counted), and a caller cannot
 * change what a later walk is given.
 */
import { createHash } from "node:crypto";
import { merge3, type Merged } from "./text-diff.js";

/** Characters of results kept: a few dozen merges of the largest mergeable documents. */
export const MERGE_MEMO_CHARS = 16 * 1024 * 1024;
/** Results kept, however small (a merge not tried has no text at all). */
export const MERGE_MEMO_ENTRIES = 4096;
/** What an entry costs beyond its characters (key, objects), counted in characters. */
export const MERGE_MEMO_ENTRY_OVERHEAD = 128;

export class MergeMemo {
  readonly #results = new Map<string, { readonly merged: Merged; readonly chars: number }>();
  #chars = 0;
  /** Merges computed (not found), for tests and the bench. */
  computed = 0;

  constructor(
    readonly maxChars: number = MERGE_MEMO_CHARS,
    readonly maxEntries: number = MERGE_MEMO_ENTRIES,
  ) {}

  get size(): number {
    return this.#results.size;
  }

  get chars(): number {
    return this.#chars;
  }

  /** `merge3(base, accepted, proposed)` within the per-merge bound, computed once per triple. */
  merge(base: string, accepted: string, proposed: string): Merged {
    const key = keyOf(base, accepted, proposed);
    const hit = this.#results.get(key);
    if (hit !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.#results.delete(key);
      this.#results.set(key, hit);
      return hit.merged;
    }
    this.computed++;
    const merged = detached(merge3(base, accepted, proposed));
    const chars = charsOf(merged);
    this.#results.set(key, { merged, chars });
    this.#chars += chars;
    // Oldest first; a result over the whole bound goes too, after it is returned.
    for (const [k, v] of this.#results) {
      if (this.#chars <= this.maxChars && this.#results.size <= this.maxEntries) break;
      this.#results.delete(k);
      this.#chars -= v.chars;
    }
    return merged;
  }
}

/** The merges every docState in this process shares. */
export const mergeMemo = new MergeMemo();

function keyOf(...texts: string[]): string {
  const h = createHash("sha256");
  for (const t of texts) h.update(`${t.length}:`).update(t, "utf16le");
  return h.digest("base64");
}

/** A copy that shares no string with the merge's inputs and cannot be changed. */
function detached(m: Merged & { readonly steps?: number }): Merged {
  if (m.ok) return Object.freeze({ ok: true, text: copy(m.text) });
  const conflicts = Object.freeze(m.conflicts.map((c) => Object.freeze({ baseLine: c.baseLine, base: copy(c.base), accepted: copy(c.accepted), proposed: copy(c.proposed) })));
  return Object.freeze(m.tooLarge === undefined ? { ok: false, conflicts } : { ok: false, conflicts, tooLarge: Object.freeze({ ...m.tooLarge }) });
}

/** A flat string of its own (V8 keeps a slice's or a concatenation's parts alive). */
function copy(s: string): string {
  return Buffer.from(s, "utf16le").toString("utf16le");
}

function charsOf(m: Merged): number {
  let n = MERGE_MEMO_ENTRY_OVERHEAD;
  if (m.ok) return n + m.text.length;
  for (const c of m.conflicts) n += c.base.length + c.accepted.length + c.proposed.length;
  return n;
}
