/**
 * Docs benchmarks (issue #12):
 * - one paragraph edited in a 200 KB document: the bytes of the sync bundle a vault exports after
 *   that draft edit (peers' heads announced, as bench/team-log.ts measures one edit), as a ratio
 *   to the document's size; target under 2 KB;
 * - Yjs apply throughput inside the vault (import of the bundles carrying the draft updates, then
 *   the draft rebuilt from the stored list) against Yjs alone applying the same update bytes to a
 *   fresh Y.Doc; ratio = Yjs alone time / vault time (1 would be no overhead).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import * as Y from "yjs";
import type { BenchFigure } from "@airlock/shared";
import { benchVaults } from "./vaults.js";
import { exportBundles, importBundles, type ExportedBundle } from "../src/vault/sync.js";
import { createDoc, draftOf, editDraft } from "../src/apps/docs/ops.js";
import { draftId, updatesOf } from "../src/apps/docs/record.js";

const C = "handbook";
const asBytes = (bundles: readonly ExportedBundle[]): { bytes: Uint8Array; source: string }[] => bundles.map((b) => ({ bytes: b.bytes, source: "bench" }));

/** A deterministic paragraph of about 500 characters. */
function paragraph(i: number): string {
  const words: string[] = [];
  let x = (i + 1) * 2654435761;
  while (words.join(" ").length < 500) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    words.push(x.toString(36));
  }
  return `Paragraph ${i}: ${words.join(" ")}.`;
}

export async function benchDocs({ quick }: { quick: boolean }): Promise<BenchFigure[]> {
  const root = mkdtempSync(join(tmpdir(), "airlock-bench-docs-"));
  const clock = { ms: Date.UTC(2026, 10, 28) };
  const now = (): number => clock.ms++;
  const { open, closeAll } = benchVaults(root, now);
  const suffix = quick ? ".quick" : "";
  try {
    const a = await open("alice");
    a.init("Bench team", "alice");
    const b = await open("bob");
    a.addMember(b.joinRequest("bob").bytes, "editor");
    a.createCollection(C, "Handbook", "viewer", "editor", "docs");
    const paras: string[] = [];
    for (let i = 0; paras.join("\n\n").length < 200 * 1024; i++) paras.push(paragraph(i));
    const text = paras.join("\n\n") + "\n";
    const { id } = createDoc(a, C, "Handbook", text);
    importBundles(b, asBytes(exportBundles(a)));
    importBundles(a, asBytes(exportBundles(b)));

    // One paragraph in the middle rewritten.
    const mid = Math.floor(paras.length / 2);
    const edited = text.replace(paras[mid]!, paragraph(10_000 + mid));
    const { bytes: updateBytes } = editDraft(a, C, id, edited);
    const bundle = exportBundles(a).find((x) => x.kind === "sync")!;
    const docBytes = Buffer.byteLength(text);

    // Throughput: many small edits from Alice, carried to Bob in one export.
    const edits = quick ? 40 : 400;
    let current = edited;
    for (let i = 0; i < edits; i++) {
      const k = (i * 7919) % paras.length;
      const line = current.split("\n\n")[k]!;
      current = current.replace(line, `${line.slice(0, 40)} edit ${i} ${line.slice(40)}`);
      editDraft(a, C, id, current);
    }
    const carried = exportBundles(a);
    const t0 = performance.now();
    importBundles(b, asBytes(carried));
    const got = draftOf(b, C, id);
    const vaultMs = performance.now() - t0;
    if (got !== current) throw new Error("bench: the draft on the second vault differs");
    const updates = updatesOf(b.record(C, draftId(id)));
    const t1 = performance.now();
    const doc = new Y.Doc();
    for (const u of updates) Y.applyUpdate(doc, u);
    const alone = doc.getText("body").toString();
    const yjsMs = performance.now() - t1;
    doc.destroy();
    if (alone !== current) throw new Error("bench: Yjs alone made another text");
    const totalUpdateBytes = updates.reduce((n, u) => n + u.length, 0);
    return [
      {
        name: `docs.draft.one-paragraph.bundle-bytes${suffix}`,
        value: bundle.bytes.length,
        unit: "bytes",
        baseline: docBytes,
        ratio: bundle.bytes.length / docBytes,
        note: `sync bundle after one ~500-char paragraph edit in a ${docBytes}-byte document: ${bundle.bytes.length} B (Yjs update ${updateBytes} B; target < 2048 B)`,
      },
      {
        name: `docs.draft.apply${suffix}`,
        value: vaultMs,
        unit: "ms",
        baseline: yjsMs,
        ratio: yjsMs / vaultMs,
        note: `${updates.length} draft updates (${totalUpdateBytes} B, a ${docBytes}-byte document): import + rebuild in the vault ${vaultMs.toFixed(0)} ms vs Yjs alone applying the same updates ${yjsMs.toFixed(0)} ms (ratio = Yjs alone / vault, higher is better)`,
      },
    ];
  } finally {
    closeAll();
    rmSync(root, { recursive: true, force: true });
  }
}
