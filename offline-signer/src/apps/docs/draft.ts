/** Writing the draft: the Yjs update that turns the current draft text into a new one, line hunk by line hunk. */
import { linesOf, hunks } from "./text-diff.js";
import { clientIdOf, draftDoc, draftText } from "./yjs-update.js";

/**
 * The update that makes the draft (all `updates` applied) say `next`, written as `deviceHex`'s
 * Yjs client, or undefined when it already does. Only the changed lines are touched, so another
 * editor's concurrent edit elsewhere in the text survives the merge untouched.
 */
export function draftEdit(updates: readonly Uint8Array[], deviceHex: string, next: string): Uint8Array | undefined {
  const doc = draftDoc(updates);
  const before = draftText(doc);
  if (before === next) return undefined;
  // Set only now: Yjs gives a document a fresh clientID when a remote update moves its own.
  doc.clientID = clientIdOf(deviceHex);
  const lines = linesOf(before);
  const starts: number[] = [0];
  for (const l of lines) starts.push(starts[starts.length - 1]! + l.length);
  const body = doc.getText("body");
  let update: Uint8Array | undefined;
  doc.on("update", (u: Uint8Array) => {
    update = u;
  });
  doc.transact(() => {
    // From the end backwards, so earlier offsets stay right.
    for (const h of hunks(before, next).reverse()) {
      const at = starts[h.oldAt]!;
      const len = h.oldLines.reduce((n, l) => n + l.length, 0);
      if (len > 0) body.delete(at, len);
      if (h.newLines.length > 0) body.insert(at, h.newLines.join(""));
    }
  });
  doc.destroy();
  return update;
}

export { draftDoc, draftText };
