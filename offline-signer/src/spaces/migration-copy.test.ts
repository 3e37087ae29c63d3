/**
 * The copy an upgrade takes before its migrations (docs/install.md) holds every space in one
 * folder that opens as the whole vault as it was (review F3); no space keeps a copy of its own,
 * which opened as no vault and recorded when each space was first used after the upgrade.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newVault, tempRoots, TEST_PASSPHRASE } from "../../test-support/vaults.js";
import { passphraseBytes } from "../store/index.js";
import { BACKUPS_DIR } from "../store/vault-store.js";
import { MIGRATIONS, type Migration } from "../store/migrations.js";
import { Vault } from "../vault/vault.js";
import { createSpace, findSpace, openSpace } from "./spaces.js";

const roots = tempRoots("airlock-migration-copy-");
const extra: Migration = { name: "a later release's table", up: (db) => db.exec("CREATE TABLE extra (x INTEGER) STRICT") };
const later = { kdf: "test-insecure" as const, migrations: [...MIGRATIONS, extra] };

describe("the copy taken before an upgrade", () => {
  it("holds every space, opens as the whole vault as it was, and no space keeps a copy of its own", async () => {
    const first = await newVault(roots(), "v");
    const dir = first.store.dir;
    const made = createSpace(first, "Coalition");
    made.vault.tx(() => made.vault.storage.meta.set("marker", "before the upgrade"));
    made.vault.close();
    const id = made.space.id;
    first.close();

    // The later release opens the vault, then the space (each migrates).
    const upgraded = await Vault.open(dir, passphraseBytes(TEST_PASSPHRASE), later);
    const space = openSpace(upgraded, findSpace(upgraded, "Coalition"), later);
    space.tx(() => space.storage.meta.set("marker", "after the upgrade"));
    expect(space.store.schemaVersion).toBe(MIGRATIONS.length + 1);
    space.close();
    upgraded.close();

    const copies = readdirSync(join(dir, BACKUPS_DIR));
    expect(copies).toHaveLength(1);
    const copy = join(dir, BACKUPS_DIR, copies[0]!);
    expect(existsSync(join(copy, "spaces", id, "vault.db"))).toBe(true);
    expect(existsSync(join(dir, "spaces", id, BACKUPS_DIR))).toBe(false);

    // Rolled back: the copy is the vault, its space included, as it was.
    const old = await Vault.open(copy, passphraseBytes(TEST_PASSPHRASE), { kdf: "test-insecure" });
    try {
      const oldSpace = openSpace(old, findSpace(old, "Coalition"));
      expect(oldSpace.store.schemaVersion).toBe(MIGRATIONS.length);
      expect(oldSpace.storage.meta.get("marker")).toBe("before the upgrade");
      oldSpace.close();
    } finally {
      old.close();
    }
  });
});
