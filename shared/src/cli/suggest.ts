/**
 * Typo suggestions for the CLIs ("did you mean …?"): command words and flag names, compared by
 * Damerau–Levenshtein distance in its optimal-string-alignment form (insert, delete, substitute,
 * swap two neighbours; each counts 1), so `sycn` is one edit from `sync` and `ad` one from `add`.
 *
 * The input is what a person typed, so it is bounded before any table is built: words longer than
 * MAX_SUGGEST_LENGTH are never compared (nobody mistypes a 65-letter command), and the row
 * buffers are sized from those bounded lengths.
 */

/** Longer words are not compared: the distance table stays at most 65 x 65 entries. */
export const MAX_SUGGEST_LENGTH = 64;

/** The edit distance between `a` and `b`, or Infinity if either is longer than MAX_SUGGEST_LENGTH. */
export function editDistance(a: string, b: string): number {
  if (a.length > MAX_SUGGEST_LENGTH || b.length > MAX_SUGGEST_LENGTH) return Infinity;
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rows suffice: the swap looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current[j] = d;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/** How many edits still count as a typo of a word this long: 1 up to 4 letters, 2 up to 8, then 3. */
export function typoBudget(length: number): number {
  return length <= 4 ? 1 : length <= 8 ? 2 : 3;
}

/**
 * The candidates `typed` is most likely a typo of, best first (at most `limit`): those within the
 * typo budget at the smallest distance found; failing that, the one candidate `typed` is the start
 * of (`no` for `notes`, when nothing else starts so). Case is ignored; an exact match is returned
 * alone. Empty when nothing is near, so the caller can fall back to listing what exists.
 */
export function suggest(typed: string, candidates: Iterable<string>, limit = 3): string[] {
  const word = typed.toLowerCase();
  if (word === "" || word.length > MAX_SUGGEST_LENGTH) return [];
  const unique = [...new Set(candidates)];
  const exact = unique.find((c) => c.toLowerCase() === word);
  if (exact !== undefined) return [exact];
  const budget = typoBudget(word.length);
  let best = Infinity;
  let near: string[] = [];
  for (const c of unique) {
    const d = editDistance(word, c.toLowerCase());
    if (d > budget || d > best) continue;
    if (d < best) {
      best = d;
      near = [];
    }
    near.push(c);
  }
  if (near.length > 0) return near.sort().slice(0, limit);
  if (word.length < 2) return [];
  const starts = unique.filter((c) => c.toLowerCase().startsWith(word));
  return starts.length === 1 ? starts : [];
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`: suggestions as a hint writes them. */
export function orList(items: readonly string[]): string {
  const quoted = items.map((i) => `"${i}"`);
  return quoted.length <= 1 ? (quoted[0] ?? "") : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]!}`;
}
