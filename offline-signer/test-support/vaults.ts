/** Vaults for tests: real encrypted SQLite files in a temp folder, with the test-only KDF. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { passphraseBytes } from "../src/store/index.js";
import { exportBundles, importBundles, type ExportedBundle, type ImportReport } from "../src/vault/sync.js";
import { Vault } from "../src/vault/vault.js";
import type { AppModule } from "../src/apps/app.js";

export const TEST_PASSPHRASE = "correct horse battery staple";

export class TestClock {
  constructor(public ms = Date.UTC(2026, 10, 28, 9)) {}
  readonly now = (): number => this.ms;
  tick(ms = 1000): void {
    this.ms += ms;
  }
}

/**
 * For a test file: returns `root()`, a fresh temp folder per call, every one removed after the
 * test that made it (registers an afterEach).
 */
export function tempRoots(prefix?: string): () => string {
  const made: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of made.splice(0)) cleanup();
  });
  return () => {
    const t = tempRoot(prefix);
    made.push(t.cleanup);
    return t.root;
  };
}

export function tempRoot(prefix = "airlock-vaults-"): { root: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export async function newVault(root: string, name: string, clock?: TestClock): Promise<Vault> {
  return Vault.create(join(root, name), passphraseBytes(TEST_PASSPHRASE), { kdf: "test-insecure", ...(clock === undefined ? {} : { now: clock.now }) });
}

/** Closes and opens a vault again; `apps` stands for another release (fewer or newer apps). */
export async function reopen(vault: Vault, clock?: TestClock, apps?: readonly AppModule[]): Promise<Vault> {
  const dir = vault.store.dir;
  vault.close();
  return Vault.open(dir, passphraseBytes(TEST_PASSPHRASE), { kdf: "test-insecure", ...(clock === undefined ? {} : { now: clock.now }), ...(apps === undefined ? {} : { apps }) });
}

export function importInto(vault: Vault, bundles: readonly (ExportedBundle | Uint8Array)[]): ImportReport {
  return importBundles(vault, bundles.map((b, i) => ({ bytes: b instanceof Uint8Array ? b : b.bytes, source: `bundle ${i}` })));
}

/** Exports from `from` and imports into each of `to`. */
export function sync(from: Vault, ...to: Vault[]): ImportReport[] {
  const bundles = exportBundles(from);
  return to.map((v) => importInto(v, bundles));
}

/** Every vault in a team exports to every other until a round brings no new team entry (a vault still waiting for its welcome only receives). */
export function settle(all: readonly Vault[]): void {
  const sizes = (): string => all.map((v) => (v.teamId === undefined ? "-" : String(v.entries().size))).join();
  for (let round = 0; round < 6; round++) {
    const before = sizes();
    for (const from of all) if (from.teamId !== undefined) sync(from, ...all.filter((v) => v !== from));
    if (sizes() === before) return;
  }
}

/** Alice (owner) on vault A; Bob (editor) on B; each admitted by request + welcome. */
export async function team(root: string, clock = new TestClock()): Promise<{ a: Vault; b: Vault; clock: TestClock }> {
  const a = await newVault(root, "a", clock);
  a.init("Field office", "alice");
  const b = await newVault(root, "b", clock);
  const req = b.joinRequest("bob");
  a.addMember(req.bytes, "editor");
  sync(a, b);
  return { a, b, clock };
}
