/**
 * Three-way merges remembered by what they merged. A document's accepted versions are replayed
 * from its whole review log whenever its search entry moves or it is shown (review.ts), so a
 * document that has merged N times would pay N merges on every flush that touches it. A merge is
 * a pure function of its three texts and the fixed per-merge bound (text-diff.ts), so a result
 * found here is the one `merge3` would compute: the cache changes what a replay costs, never
 * what any vault accepts.
 *
 * Keyed by a SHA-256 of the three texts (each length-prefixed, so no two triples share a key).
 * Bounded by the characters it holds (inputs are not kept; results are: merged texts and conflict
 * regions); past the bound the least recently used results go first.
 */
import { createHash } from "node:crypto";
import { merge3, type Merged } from "./text-diff.js";

/** Characters of results kept: a few dozen merges of the largest mergeable documents. */
export const MERGE_MEMO_CHARS = 16 * 1024 * 1024;

export class MergeMemo {
  readonly #results = new Map<string, { readonly merged: Merged; readonly chars: number }>();
  #chars = 0;
  /** Merges computed (not found), for tests and the bench. */
  computed = 0;

  constructor(readonly maxChars: number = MERGE_MEMO_CHARS) {}

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
    const { steps: _steps, ...merged } = merge3(base, accepted, proposed);
    const chars = charsOf(merged);
    this.#results.set(key, { merged, chars });
    this.#chars += chars;
    // Oldest first; a result over the whole bound goes too, after it is returned.
    for (const [k, v] of this.#results) {
      if (this.#chars <= this.maxChars) break;
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
  for (const t of texts) h.update(`${t.length}:`).update(t);
  return h.digest("base64");
}

function charsOf(m: Merged): number {
  if (m.ok) return m.text.length;
  let n = 0;
  for (const c of m.conflicts) n += c.base.length + c.accepted.length + c.proposed.length;
  return n;
}
