/**
 * Deleting a space (spaces leave --now, or the export that finishes a leave) never pulls its
 * folder from under another airlock that has it open (review F7): VAULT_BUSY, and the space stays
 * as it was. A damaged space, whose store nobody can have open, is still deleted. Real encrypted
 * SQLite stores; the "other airlock" is a second connection to the space's store.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownAirlockError } from "../../test-support/errors.js";
import { newVault, tempRoots } from "../../test-support/vaults.js";
import { createSpace, deleteSpace, openSpace, readIndex, spaceDir } from "./spaces.js";

const roots = tempRoots("airlock-space-delete-");

describe("deleting a space", () => {
  it("is refused while another airlock has the space open, and done once it closed", async () => {
    const first = await newVault(roots(), "v");
    try {
      const made = createSpace(first, "Coalition");
      made.vault.close();
      const dir = spaceDir(first, made.space.id);
      const other = openSpace(first, made.space); // another airlock, TUI or import
      try {
        const err = thrownAirlockError(() => deleteSpace(first, made.space));
        expect(err.code).toBe("VAULT_BUSY");
        expect(err.message).toMatch(/another airlock has space "Coalition" of this vault open, so it cannot be deleted/);
        expect(readIndex(first).map((e) => e.name)).toEqual(["Coalition"]);
        expect(existsSync(join(dir, "vault.db"))).toBe(true);
        expect(other.store.space).toBe(true); // still usable: nothing was taken from it
        other.tx(() => other.storage.meta.set("still", "here"));
      } finally {
        other.close();
      }
      deleteSpace(first, made.space);
      expect(readIndex(first)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    } finally {
      first.close();
    }
  });

  it("goes ahead for a damaged space, whose store nobody can have open", async () => {
    const first = await newVault(roots(), "v");
    try {
      const made = createSpace(first, "Gone");
      made.vault.close();
      const dir = spaceDir(first, made.space.id);
      rmSync(join(dir, "vault.db"));
      deleteSpace(first, made.space);
      expect(readIndex(first)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    } finally {
      first.close();
    }
  });
});
