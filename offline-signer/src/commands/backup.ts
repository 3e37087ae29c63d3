import { Flags } from "@oclif/core";
import { AirlockError, formatBytes, safe } from "@airlock/shared";
import { readIndex } from "../spaces/spaces.js";
import { backupVault } from "../vault/backup.js";
import { VaultCommand } from "./base.js";

export class Backup extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Write a backup of this vault to one file, encrypted under the vault's passphrase.";
  static override description =
    "The file holds a consistent copy of the encrypted database (it opens with the passphrase in force now, also after you change it later), the key derivation parameters and the attached files. It is written under a temporary name with mode 0600 and appears only once complete. Restore it with `airlock restore FILE`: the restored vault becomes a new device of yours, and teammates send it back what was written after the backup (docs/sync.md, \"Restoring a backup\").";
  static override examples = ["<%= config.bin %> backup --out /media/usb/alice-2026-11-28.airlock-backup", "<%= config.bin %> backup --out ./vault.airlock-backup --force --json"];
  static override flags = {
    out: Flags.string({ description: "the backup file to write (outside the vault folder)", required: true }),
    force: Flags.boolean({ description: "replace a file already there", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Backup);
    await this.withVault(flags, async (vault) => {
      if (readIndex(vault).length > 0) {
        throw new AirlockError("BACKUP_SPACES", "this vault holds more than one space, and a backup file holds only the first", {
          hint: "until backups carry every space, close airlock and copy the whole vault folder (it stays encrypted); docs/spaces.md",
        });
      }
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
      const text =
        safe`Backed up to ${made.file} (${formatBytes(made.bytes)}: the database ${formatBytes(made.db)}${files}).` +
        "\nIt opens with this vault's current passphrase. Restore it with: airlock restore FILE --home DIR\n";
      this.emit(flags.json, { file: made.file, bytes: made.bytes, db: made.db, files: made.files, fileBytes: made.fileBytes, created: made.created }, text);
    });
  }
}
