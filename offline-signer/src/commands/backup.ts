import { Flags } from "@oclif/core";
import { formatBytes, quoted, safe } from "@airlock/shared";
import { backupVault, type SkippedSpace } from "../vault/backup.js";
import { VaultCommand } from "./base.js";

export class Backup extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Write a backup of this vault to one file, encrypted under the vault's passphrase.";
  static override description =
    "The file holds a consistent copy of every space's encrypted database (it opens with the passphrase in force now, also after you change it later), the key derivation parameters and the attached files. A space whose join request still waits for its welcome, or that you left or were removed from, is left out (named in the output): there is nothing in it a restore could bring back; join it again after a restore. It is written under a temporary name with mode 0600 and appears only once complete. Restore it with `airlock restore FILE`: the restored vault becomes a new device of yours, and teammates send it back what was written after the backup (docs/sync.md, \"Restoring a backup\").";
  static override examples = ["<%= config.bin %> backup --out /media/usb/alice-2026-11-28.airlock-backup", "<%= config.bin %> backup --out ./vault.airlock-backup --force --json"];
  static override flags = {
    out: Flags.string({ description: "the backup file to write (outside the vault folder)", required: true }),
    force: Flags.boolean({ description: "replace a file already there", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Backup);
    await this.withVault(flags, async (vault) => {
      const progress = this.progress();
      let made;
      try {
        made = await backupVault(vault, flags.out, {
          force: flags.force,
          onProgress: (phase, done, total) => progress(phase === "database" ? "copying the database" : `writing ${formatBytes(done)} of ${formatBytes(total)}`),
        });
      } finally {
        progress.end();
      }
      const files = made.files === 0 ? "" : `, ${made.files} attached file(s) of ${formatBytes(made.fileBytes)}`;
      const dbs = made.spaces.length === 0 ? "the database" : `${made.spaces.length + 1} spaces' databases`;
      const text =
        safe`Backed up to ${made.file} (${formatBytes(made.bytes)}: ${dbs} ${formatBytes(made.db)}${files}).` +
        "\nIt opens with this vault's current passphrase. Restore it with: airlock restore FILE --home DIR\n" +
        made.skipped.map(skippedLine).join("");
      this.emit(
        flags.json,
        { file: made.file, bytes: made.bytes, db: made.db, files: made.files, fileBytes: made.fileBytes, created: made.created, spaces: made.spaces, skipped: made.skipped },
        text,
      );
    });
  }
}

/** Why a space is not in the backup, and what the person does about it after a restore. */
function skippedLine(s: SkippedSpace): string {
  return s.reason === "waiting"
    ? safe`Not in the backup: space ${quoted(s.name)}, whose join request still waits for its welcome (nothing in it to lose; after a restore, join it again: airlock spaces join).` + "\n"
    : safe`Not in the backup: space ${quoted(s.name)}, which you left or were removed from (this laptop is no device there any more).` + "\n";
}
