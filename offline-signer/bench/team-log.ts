/**
 * What one edit costs on the wire in a team with some history: the sync bundle a vault exports
 * after one note, once every peer has announced its team log heads (sync 1.1), against the same
 * export carrying the whole team log, as 1.0 did (and as a peer that never announced still
 * gets), measured on the same vault in the same run. Bytes and QR frames at the normal preset.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { qrTransfer, type BenchFigure } from "@airlock/shared";
import { benchVaults } from "./vaults.js";
import { exportBundles, importBundles, type ExportedBundle } from "../src/vault/sync.js";
import type { Vault } from "../src/vault/vault.js";

const MEMBERS = ["bob", "carol", "dan", "erin", "femi"];
const COLLECTIONS = ["sources", "legal", "finance", "travel"];

const asBytes = (bundles: readonly ExportedBundle[]): { bytes: Uint8Array; source: string }[] => bundles.map((b) => ({ bytes: b.bytes, source: "bench" }));

export async function benchTeamLogBytes(): Promise<BenchFigure[]> {
  const root = mkdtempSync(join(tmpdir(), "airlock-bench-team-log-"));
  const clock = { ms: Date.UTC(2026, 10, 28) };
  const now = (): number => clock.ms++;
  const { open, closeAll } = benchVaults(root, now);
  try {
    const a = await open("alice");
    a.init("Bench team", "alice");
    const peers: Vault[] = [];
    for (const name of MEMBERS) {
      const v = await open(name);
      a.addMember(v.joinRequest(name).bytes, "editor");
      peers.push(v);
    }
    for (const c of COLLECTIONS) a.createCollection(c, c, "editor", "editor");
    a.setRole("bob", "admin");
    a.setPolicy("legal", "admin", "admin"); // a reader leaves: the key rotates
    const all = exportBundles(a);
    for (const p of peers) importBundles(p, asBytes(all));
    for (const p of peers) importBundles(a, asBytes(exportBundles(p)));
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "one small edit" }]);

    const incremental = exportBundles(a).find((b) => b.kind === "sync")!;
    // The same export with no peer heads recorded: the whole log, as a 1.0 vault sends it.
    const db = a.store.connection();
    db.exec("SAVEPOINT whole_log; DELETE FROM peer_log_heads");
    let whole: ExportedBundle;
    try {
      whole = exportBundles(a).find((b) => b.kind === "sync")!;
    } finally {
      db.exec("ROLLBACK TO whole_log; RELEASE whole_log");
    }
    const frames = (b: ExportedBundle): number => qrTransfer(b.bytes, { preset: "normal" }).blocks;
    const entries = a.state().order.length;
    return [
      {
        name: "vault.export.one-edit.bytes",
        value: incremental.bytes.length,
        unit: "bytes",
        baseline: whole.bytes.length,
        ratio: incremental.bytes.length / whole.bytes.length,
        note: `sync bundle after one edit, ${MEMBERS.length + 1} members, ${entries} team entries: ${incremental.bytes.length} B (${incremental.entries} entries) vs ${whole.bytes.length} B with the whole log (lower is better)`,
      },
      {
        name: "vault.export.one-edit.qr-frames",
        value: frames(incremental),
        unit: "frames",
        baseline: frames(whole),
        ratio: frames(incremental) / frames(whole),
        note: `QR frames (normal preset) for that bundle: ${frames(incremental)} vs ${frames(whole)} with the whole log`,
      },
    ];
  } finally {
    closeAll();
    rmSync(root, { recursive: true, force: true });
  }
}
