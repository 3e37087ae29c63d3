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

export type Merged = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly conflicts: readonly Conflict[] };

/** Three-way merge of `proposed` into `accepted`, both made from `base`, by lines. */
export function merge3(base: string, accepted: string, proposed: string): Merged {
  const regions = diff3Merge(linesOf(accepted), linesOf(base), linesOf(proposed), { excludeFalseConflicts: true });
  const text: string[] = [];
  const conflicts: Conflict[] = [];
  for (const r of regions) {
    if (r.ok !== undefined) text.push(...r.ok);
    else if (r.conflict !== undefined) conflicts.push({ baseLine: r.conflict.oIndex + 1, base: r.conflict.o.join(""), accepted: r.conflict.a.join(""), proposed: r.conflict.b.join("") });
  }
  return conflicts.length === 0 ? { ok: true, text: text.join("") } : { ok: false, conflicts };
}
