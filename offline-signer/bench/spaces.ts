/**
 * What spaces cost (docs/spaces.md, "Measures"): the same data and the same five peers (so the
 * same number of bundles on the stick), in one space or spread over five. Three figures, each a median over interleaved rounds:
 * - import: a stick with every peer's bundles imported the way `airlock import` does it (read
 *   once, offered to every space) into a copy of the vault, against one space with all the data;
 * - export: every space's export to a USB folder (`airlock export`), against the one space;
 * - open: the passphrase's store plus every further space opened and closed, against the first alone.
 * Ratio ~1 is the target: spaces cost nothing per byte. The vault copies use the test-only KDF, so
 * "open" leaves out Argon2id, which is paid once whatever the number of spaces.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchFigure } from "@airlock/shared";
import { passphraseBytes } from "../src/store/index.js";
import { allSpaces, createSpace, openSpace } from "../src/spaces/spaces.js";
import { exportBundles, importBundles } from "../src/vault/sync.js";
import { exportTo, importFrom, importIntoSpaces } from "../src/vault/transfer.js";
import { Vault } from "../src/vault/vault.js";
import { BENCH_PASS } from "./vaults.js";

const ROUNDS = 3;
const PEERS = 5;
const OPEN_ROUNDS = 7;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const open = (dir: string, now: () => number): Promise<Vault> => Vault.open(dir, passphraseBytes(BENCH_PASS), { kdf: "test-insecure", now });

/**
 * Pat's vault with `k` spaces, Pat the owner of each, and five peers spread over them; `notes`
 * notes in all written by the peers (their bundles on the stick) and as many by Pat (for the export).
 */
async function world(root: string, k: number, notes: number, now: () => number): Promise<{ home: string; stick: string }> {
  const home = join(root, `pat-${k}`);
  const stick = join(root, `stick-${k}`);
  mkdirSync(stick, { recursive: true });
  const first = await Vault.create(home, passphraseBytes(BENCH_PASS), { kdf: "test-insecure", now });
  first.init("Space 0", "pat");
  const spaces: Vault[] = [first];
  const peers: { peer: Vault; space: Vault }[] = [];
  for (let i = 1; i < k; i++) {
    const { vault } = createSpace(first, `Space ${i}`);
    vault.init(`Space ${i}`, "pat");
    spaces.push(vault);
  }
  // Five peers in all, spread over the spaces: the same number of bundles on the stick either way,
  // so the figure is what spaces cost, not what more bundles cost.
  const per = Math.ceil(notes / PEERS);
  for (let p = 0; p < PEERS; p++) {
    const space = spaces[p % k]!;
    const peer = await Vault.create(join(root, `peer-${k}-${p}`), passphraseBytes(BENCH_PASS), { kdf: "test-insecure", now });
    space.addMember(peer.joinRequest(`peer${p}`).bytes, "editor");
    peers.push({ peer, space });
  }
  for (const { peer, space } of peers) {
    importBundles(peer, exportBundles(space).map((b) => ({ bytes: b.bytes, source: "bench" })));
    for (let n = 0; n < per; n++) {
      peer.write("notes", [{ kind: "set", record: `p-${n}`, field: "title", value: `peer note ${n}` }]);
      space.write("notes", [{ kind: "set", record: `o-${peer.deviceId.slice(0, 8)}-${n}`, field: "title", value: `own note ${n}` }]);
    }
    await exportTo(peer, { usb: stick });
    peer.close();
  }
  for (const v of spaces.slice(1)) v.close();
  first.close();
  return { home, stick };
}

async function importRound(root: string, w: { home: string; stick: string }, tag: string, now: () => number): Promise<{ importMs: number; exportMs: number }> {
  const home = join(root, `copy-${tag}`);
  cpSync(w.home, home, { recursive: true });
  const first = await open(home, now);
  try {
    const spaces = allSpaces(first);
    const t0 = performance.now();
    if (spaces.length === 1) await importFrom(first, [w.stick]);
    else await importIntoSpaces(spaces, (ref) => (ref.id === "" ? first : openSpace(first, ref)), [w.stick]);
    const importMs = performance.now() - t0;
    // importIntoSpaces closed what it opened, the first too: open again for the export.
    const again = spaces.length === 1 ? first : await open(home, now);
    const out = join(root, `out-${tag}`);
    mkdirSync(out);
    const t1 = performance.now();
    for (const ref of allSpaces(again)) {
      const v = ref.id === "" ? again : openSpace(again, ref);
      try {
        await exportTo(v, { usb: out });
      } finally {
        if (v !== again) v.close();
      }
    }
    const exportMs = performance.now() - t1;
    again.close();
    return { importMs, exportMs };
  } finally {
    first.close();
    rmSync(home, { recursive: true, force: true });
  }
}

async function openAll(home: string, now: () => number): Promise<number> {
  const t0 = performance.now();
  const first = await open(home, now);
  for (const ref of allSpaces(first).slice(1)) openSpace(first, ref).close();
  first.close();
  return performance.now() - t0;
}

export async function benchSpaces({ quick = false }: { quick?: boolean } = {}): Promise<BenchFigure[]> {
  const root = mkdtempSync(join(tmpdir(), "airlock-bench-spaces-"));
  const clock = { ms: Date.UTC(2026, 11, 6) };
  const now = (): number => clock.ms++;
  const notes = quick ? 100 : 1000;
  try {
    const one = await world(root, 1, notes, now);
    const five = await world(root, 5, notes, now);
    const m: Record<"1" | "5", { importMs: number[]; exportMs: number[]; openMs: number[] }> = { "1": { importMs: [], exportMs: [], openMs: [] }, "5": { importMs: [], exportMs: [], openMs: [] } };
    // Interleaved: 1, 5, 1, 5, ... so a machine busier in one half loads both sides alike.
    for (let r = 0; r < ROUNDS; r++) {
      for (const [k, w] of [["1", one], ["5", five]] as const) {
        const got = await importRound(root, w, `${k}-${r}`, now);
        m[k].importMs.push(got.importMs);
        m[k].exportMs.push(got.exportMs);
      }
    }
    for (let r = 0; r < OPEN_ROUNDS; r++) for (const [k, w] of [["1", one], ["5", five]] as const) m[k].openMs.push(await openAll(w.home, now));
    const suffix = quick ? ".quick" : "";
    const spread = (xs: readonly number[]): string => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms`;
    const figure = (name: string, what: "importMs" | "exportMs" | "openMs", note: string): BenchFigure => {
      const value = median(m["5"][what]);
      const baseline = median(m["1"][what]);
      return { name: `${name}${suffix}`, value, unit: "ms", baseline, ratio: value / baseline, note: `${note}; 5 spaces ${spread(m["5"][what])}, 1 space ${spread(m["1"][what])} (median of ${m["5"][what].length})` };
    };
    return [
      figure("vault.spaces.import", "importMs", `${notes} peers' changesets: 5 spaces (read once, offered to each) vs 1; ratio ~1 is the target`),
      figure("vault.spaces.export", "exportMs", `${notes} own changesets: every space's export to a USB folder, 5 spaces vs 1`),
      figure("vault.spaces.open", "openMs", "the first store (test KDF) and every further space opened and closed, 5 spaces vs 1"),
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
