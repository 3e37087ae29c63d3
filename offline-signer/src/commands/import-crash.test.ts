/**
 * kill -9 of a real `airlock import` part-way through applying, then import again: the store
 * always opens, passes PRAGMA integrity_check, never holds half a bundle, and ends converged.
 *
 * The kills are placed by what the import has done, not by the clock (start-up time varies more
 * than the import itself): once it says it has read the last bundle, the Nth write to the
 * vault's WAL kills it, N a fraction of the writes a whole import made. So a kill lands during a
 * commit or between two, in the first bundles or the later ones. At least three kills must leave
 * a partial import (some changesets stored, not all applied: bundles come off the stick in name
 * order, so many wait for earlier ones and are applied late); a kill that lands outside still gets
 * every check, and moves the next one into the window.
 */
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareDropFolder, writeBundle } from "@airlock/shared";
import { airlockJson, airlockKilledAfterChanges, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { DB_FILE, passphraseBytes } from "../store/index.js";
import { stateDigest } from "../vault/report.js";
import { exportBundles } from "../vault/sync.js";
import { Vault } from "../vault/vault.js";

const { root, cleanup } = tempRoot("airlock-crash-");
afterAll(cleanup);
// Writing and applying cost more than linear time in the changesets here: 800 in bundles of 24 KiB
// are as many bundles as 1500 in 48 KiB, at a fraction of the time.
const CHANGESETS = 800;
const PARTIAL_KILLS = 3;
const MAX_ROUNDS = 6;
const open = (dir: string): Promise<Vault> => Vault.open(dir, passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });

describe("import survives kill -9", () => {
  it("part-way through applying, and converges on re-import", async () => {
    const a = await Vault.create(join(root, "a"), passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });
    const b = await Vault.create(join(root, "b"), passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });
    a.init("Crash team", "alice");
    a.addMember(b.joinRequest("bob").bytes, "editor");
    for (let i = 0; i < CHANGESETS; i++) {
      a.write("notes", [
        { kind: "set", record: `n${i % 97}`, field: "title", value: `title ${i}` },
        { kind: "set", record: `n${i % 97}`, field: "body", value: `body ${i} `.repeat(20) },
        { kind: "append", record: `n${i % 97}`, field: "comments", value: `comment ${i}` },
      ]);
    }
    // Small bodies: many bundles, so a kill can fall between two of them as well as inside one.
    const bundles = exportBundles(a, { maxBodyBytes: 24 * 1024 });
    expect(bundles.length).toBeGreaterThan(4);
    const stick = join(root, "stick");
    mkdirSync(stick);
    const drop = await prepareDropFolder(stick);
    for (const x of bundles) await writeBundle(drop.outbox, x.bytes);
    const expected = stateDigest(a);
    a.close();
    b.close();

    // The progress line once the last bundle is read: what follows is applying them.
    const marker = `(outbox): ${bundles.length} entries, ${bundles.length} bundles`;
    const importKilled = (home: string, kill: number) => airlockKilledAfterChanges(["import", stick, "--home", home], { marker, dir: home, file: `${DB_FILE}-wal`, kill });
    const converged = async (home: string): Promise<void> => {
      const after = await open(home);
      try {
        expect(after.store.connection().pragma("integrity_check", { simple: true })).toBe("ok");
        expect(stateDigest(after)).toBe(expected);
      } finally {
        after.close();
      }
    };

    // How many WAL writes a whole import makes after reading, so the kills spread across them.
    cpSync(join(root, "b"), join(root, "whole"), { recursive: true });
    const whole = await importKilled(join(root, "whole"), Infinity);
    expect(whole).toMatchObject({ killed: false, status: 0, marked: true });
    await converged(join(root, "whole"));

    // Writes can be reported merged when the watcher falls behind, so the later kills stay well
    // inside the count; one that falls outside narrows where the next ones go.
    const planned = [0.05, 0.2, 0.4];
    let [lo, hi] = [0, 1];
    const outcomes: string[] = [];
    let partial = 0;
    for (let i = 0; i < MAX_ROUNDS && partial < PARTIAL_KILLS; i++) {
      const fraction = planned[i] ?? (lo + hi) / 2;
      const home = join(root, `b-${i}`);
      cpSync(join(root, "b"), home, { recursive: true });
      const k = await importKilled(home, Math.max(1, Math.round(whole.changes * fraction)));
      expect(k.marked).toBe(true);
      const v = await open(home);
      let applied: number;
      let stored: number;
      try {
        expect(v.store.connection().pragma("integrity_check", { simple: true })).toBe("ok");
        applied = (v.store.connection().prepare("SELECT count(*) AS n FROM changesets WHERE status = 'applied'").get() as { n: number }).n;
        stored = (v.store.connection().prepare("SELECT count(*) AS n FROM changesets").get() as { n: number }).n;
        const ops = (v.store.connection().prepare("SELECT count(*) AS n FROM ops").get() as { n: number }).n;
        expect(ops).toBe(applied * 3); // never a changeset without all its ops
      } finally {
        v.close();
      }
      if (k.killed && stored > 0 && applied < CHANGESETS) partial++;
      else if (k.killed && stored === 0) lo = Math.max(lo, fraction);
      else hi = Math.min(hi, fraction);
      outcomes.push(`${fraction.toFixed(2)}: ${k.killed ? `killed, ${stored} stored, ${applied} applied` : "finished"}`);
      expect(airlockJson(["import", stick, "--home", home])).toMatchObject({ ok: true });
      await converged(home);
    }
    console.log(`import-crash: ${whole.changes} WAL writes in a whole import; kills after fractions of them: ${outcomes.join("; ")}`);
    expect(partial, outcomes.join("; ")).toBeGreaterThanOrEqual(PARTIAL_KILLS);
  });
});
