/**
 * A damaged space and `airlock backup` (review F10; docs/spaces.md "Backups and recovery"): a space
 * whose folder is gone made the backup fail with BACKUP_CHANGED ("run it again"), which never
 * succeeds. Now: BACKUP_SPACE_DAMAGED naming the space, with the way out in the hint, and no file
 * written (a backup silently lacking a space would lose it at a restore); once the space is being
 * left it is skipped with a note, without opening it. Real encrypted vaults in a temp folder.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newVault, tempRoots } from "../../test-support/vaults.js";
import { createSpace, findSpace, markLeaving } from "../spaces/spaces.js";
import { backupVault } from "./backup.js";

const roots = tempRoots("airlock-backup-damaged-");

describe("a backup with a damaged space", () => {
  it("is refused with BACKUP_SPACE_DAMAGED naming the space, writes nothing, and goes once the space is being left", async () => {
    const r = roots();
    const first = await newVault(r, "pat");
    try {
      first.init("NGO", "pat");
      for (const name of ["Board", "Gone"]) {
        const { vault } = createSpace(first, name);
        vault.init(name, "pat");
        if (name === "Gone") rmSync(vault.store.dir, { recursive: true, force: true });
        vault.close();
      }
      const out = join(r, "pat.bak");
      const error = await backupVault(first, out).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: "BACKUP_SPACE_DAMAGED",
        message: expect.stringMatching(/^space "Gone" \([0-9a-f]{8}\) is damaged \(VAULT_NOT_FOUND: /),
        hint: expect.stringContaining('airlock spaces leave "Gone" --now'),
      });
      expect(existsSync(out)).toBe(false);
      // Neither the file nor a temp copy of a database is left beside it.
      expect(readdirSync(r).sort()).toEqual(["pat"]);

      const gone = findSpace(first, "Gone");
      markLeaving(first, gone);
      const made = await backupVault(first, out);
      expect(made.skipped).toEqual([{ id: gone.id, name: "Gone", reason: "inactive" }]);
      expect(made.spaces.map((s) => s.name)).toEqual(["Board"]);
    } finally {
      first.close();
    }
  });
});
