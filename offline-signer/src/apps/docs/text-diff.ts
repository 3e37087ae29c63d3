/**
 * Line diffs and three-way merges over whole documents (node-diff3): the reviewer's readable
 * diff, the merge tried when the accepted text moved since a proposal's base, and the few
 * line hunks a draft edit turns into Yjs inserts and deletes.
 */
import { diff3Merge, diffPatch } from "node-diff3";

/** Lines with their line ends kept, so joining them gives the text back byte for byte. */
export function linesOf(text: string): string[] {
  const out = text.split(/(?<=\n)/);
  return out.length === 1 && out[0] === "" ? [] : out;
}

export interface Hunk {
  /** First line and line count in the old text. */
  readonly oldAt: number;
  readonly oldLines: readonly string[];
  readonly newAt: number;
  readonly newLines: readonly string[];
}

export function hunks(oldText: string, newText: string): Hunk[] {
  return diffPatch(linesOf(oldText), linesOf(newText)).map((p) => ({ oldAt: p.buffer1.offset, oldLines: p.buffer1.chunk, newAt: p.buffer2.offset, newLines: p.buffer2.chunk }));
}

const strip = (l: string): string => l.replace(/\n$/, "");

/** A unified-style diff (no context lines beyond what each hunk names): what reviewers read. */
export function readableDiff(oldText: string, newText: string): string {
  const out: string[] = [];
  for (const h of hunks(oldText, newText)) {
    out.push(`@@ -${h.oldAt + 1},${h.oldLines.length} +${h.newAt + 1},${h.newLines.length} @@`);
    for (const l of h.oldLines) out.push(`-${strip(l)}`);
    for (const l of h.newLines) out.push(`+${strip(l)}`);
  }
  return out.length === 0 ? "" : out.join("\n") + "\n";
}

export interface Conflict {
  /** Line (1-based) in the base text where the conflicting region starts. */
  readonly baseLine: number;
  readonly base: string;
  /** What the accepted text says there now. */
  readonly accepted: string;
  /** What the proposal says there. */
  readonly proposed: string;
}

/**
 * Why a merge was not tried: its inputs are beyond the budget below. The proposal is then
 * conflicted, on every vault alike, as a merge with conflicts would leave it.
 */
export interface MergeTooLarge {
  readonly lines: number;
  readonly steps: number;
}

export type Merged = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly conflicts: readonly Conflict[]; readonly tooLarge?: MergeTooLarge };

/**
 * The merge budget (docs/apps.md, "docs"; decisions). node-diff3's LCS scans its candidate list
 * for every pair of equal lines, so its work grows with lines squared (distinct lines) up to
 * lines cubed (repeated ones, such as blank lines): 5,000 lines of Markdown (a quarter blank)
 * took 9 s, 4,000 blank lines a minute, and 131k lines threw RangeError. The accepted version is
 * replicated logic computed inside every flush that moves a document's search entry, so the
 * bound is a count of that work, never a clock: the same on every vault. Over it the merge is
 * not tried and the proposal is conflicted (it needs a new proposal on the newest version).
 * MERGE_MAX_LINES also keeps node-diff3's own `push(...region)` far below the engine's argument
 * limit (about 120k).
 */
export const MERGE_MAX_LINES = 20_000;
/** LCS steps (both passes) one merge may take: about 0.3 s here; 1,500 lines of Markdown or 14k distinct lines. */
export const MERGE_MAX_STEPS = 200_000_000;

/**
 * Each distinct line as a small number (in order of first appearance): node-diff3 compares lines
 * only for equality, so its result is the same, and a line such as "constructor" or "__proto__"
 * can no longer hit Object.prototype in its plain-object index (a TypeError on legal input).
 */
function tokenize(texts: readonly string[][]): { readonly lines: string[]; readonly seqs: number[][] } {
  const ids = new Map<string, number>();
  const lines: string[] = [];
  const seqs = texts.map((t) =>
    t.map((l) => {
      let id = ids.get(l);
      if (id === undefined) {
        ids.set(l, (id = lines.length));
        lines.push(l);
      }
      return id;
    }),
  );
  return { lines, seqs };
}

/**
 * The steps node-diff3's LCS(buffer1, buffer2) takes (its loops, replayed on buffer2 indices
 * only), or Infinity once past `budget`: the work is known before any of it is done for real.
 */
export function lcsSteps(buffer1: readonly number[], buffer2: readonly number[], budget: number): number {
  const classes = new Map<number, number[]>();
  for (let j = 0; j < buffer2.length; j++) {
    const c = classes.get(buffer2[j]!);
    if (c === undefined) classes.set(buffer2[j]!, [j]);
    else c.push(j);
  }
  const none: number[] = [];
  const candidates: number[] = [-1];
  let steps = 0;
  for (let i = 0; i < buffer1.length; i++) {
    const indices = classes.get(buffer1[i]!) ?? none;
    let r = 0;
    let c = candidates[0]!;
    steps++;
    for (let jx = 0; jx < indices.length; jx++) {
      const j = indices[jx]!;
      let s;
      for (s = r; s < candidates.length; s++) if (candidates[s]! < j && (s === candidates.length - 1 || candidates[s + 1]! > j)) break;
      steps += s - r + 1;
      if (steps > budget) return Infinity;
      if (s < candidates.length) {
        if (r === candidates.length) candidates.push(c);
        else candidates[r] = c;
        r = s + 1;
        c = j;
        if (r === candidates.length) break;
      }
    }
    candidates[r] = c;
  }
  return steps;
}

/**
 * Three-way merge of `proposed` into `accepted`, both made from `base`, by lines, when its LCS
 * steps are within `budget` (at most MERGE_MAX_STEPS, the bound every vault applies; a smaller
 * one lets a test reach the refusal cheaply); else not tried (`tooLarge`, no conflict regions).
 * `steps`: what the merge cost.
 */
export function merge3(base: string, accepted: string, proposed: string, budget: number = MERGE_MAX_STEPS): Merged & { readonly steps: number } {
  const max = Math.min(budget, MERGE_MAX_STEPS);
  const texts = [linesOf(accepted), linesOf(base), linesOf(proposed)];
  const lines = Math.max(...texts.map((t) => t.length));
  if (lines > MERGE_MAX_LINES) return { ok: false, conflicts: [], tooLarge: { lines, steps: 0 }, steps: 0 };
  const { lines: line, seqs } = tokenize(texts);
  const [a, o, b] = seqs as [number[], number[], number[]];
  // diff3Merge diffs the base against each side: LCS(o, a), then LCS(o, b).
  const first = lcsSteps(o, a, max);
  const counted = first > max ? first : first + lcsSteps(o, b, max - first);
  // What was spent: the count stops at the budget, and only a merge tried costs its steps.
  const steps = Math.min(counted, max);
  if (!(counted <= max)) return { ok: false, conflicts: [], tooLarge: { lines, steps }, steps };
  const regions = diff3Merge(a.map(String), o.map(String), b.map(String), { excludeFalseConflicts: true });
  const back = (tokens: readonly string[]): string => {
    let out = "";
    for (const t of tokens) out += line[Number(t)]!;
    return out;
  };
  // Appended one by one: a spread of a long region overflows the engine's argument limit.
  let text = "";
  const conflicts: Conflict[] = [];
  for (const r of regions) {
    if (r.ok !== undefined) text += back(r.ok);
    else if (r.conflict !== undefined) conflicts.push({ baseLine: r.conflict.oIndex + 1, base: back(r.conflict.o), accepted: back(r.conflict.a), proposed: back(r.conflict.b) });
  }
  return conflicts.length === 0 ? { ok: true, text, steps } : { ok: false, conflicts, steps };
}
