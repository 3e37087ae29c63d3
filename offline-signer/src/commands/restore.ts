import { Args, Flags } from "@oclif/core";
import { formatBytes, quoted, safe } from "@airlock/shared";
import { restoreBackup } from "../vault/backup-restore.js";
import { getPassphrase } from "../cli/passphrase.js";
import { resolveHome } from "../cli/home.js";
import { VaultCommand } from "./base.js";

export class Restore extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Restore a vault from a backup file, as a new device of yours that reuses no sequence number.";
  static override description =
    "Restores into --home (an empty or missing folder; with --force a vault there is moved aside, not deleted). The passphrase is the one the backup was made under, and is checked before the target is touched. The restored vault (each of its spaces) gets new device keys, enrolled by the backup's device with your identity key; the old device's signing key is wiped, so nothing the old laptop may have written after the backup can be contradicted. Export, then import what teammates send back: it holds what was written after the backup. Once `airlock status` says every teammate caught up, revoke the old device (airlock devices revoke ID).";
  static override examples = ["<%= config.bin %> restore /media/usb/alice.airlock-backup --home ~/.airlock", "<%= config.bin %> restore ./vault.airlock-backup --home ./restored --json"];
  static override args = { file: Args.string({ description: "the file `airlock backup --out` wrote", required: true }) };
  static override flags = { force: Flags.boolean({ description: "move a vault (or anything else) at --home aside first, instead of refusing", default: false }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Restore);
    const home = resolveHome(flags.home);
    const passphrase = await getPassphrase({ file: flags["passphrase-file"], prompt: "Passphrase of the backup: " });
    const kdf = this.kdf();
    const progress = this.progress();
    let done;
    try {
      done = await restoreBackup(args.file, home, passphrase, {
        force: flags.force,
        kdf,
        onProgress: (phase, at, total) => progress(phase === "check" ? `checking ${formatBytes(at)} of ${formatBytes(total)}` : `sealing attached files to the new device: ${at} of ${total}`),
      });
    } finally {
      progress.end();
    }
    const old = done.oldDevice.slice(0, 12);
    const moved = done.movedAside === undefined ? "" : safe`What was at ${home} was moved to ${done.movedAside}${done.movedAsideNote === undefined ? "" : safe` (${done.movedAsideNote})`}.\n`;
    const swept = done.leftovers === 0 ? "" : safe`Removed ${done.leftovers} folder(s) an interrupted restore had left beside ${home}.\n`;
    const spaces =
      done.spaces
        .map((s) =>
          s.entry === undefined
            ? safe`Restored space ${quoted(s.name)} (it had no team yet).\n`
            : safe`Restored space ${quoted(s.name)} as a new device ${s.device.slice(0, 12)} in ${s.team ?? "its team"}; revoke ${s.oldDevice.slice(0, 12)} there (--space ${JSON.stringify(s.name)}) once airlock status --space says its teammates caught up.\n`,
        )
        .join("") + done.dropped.map((d) => safe`Space ${quoted(d.name)} was not in the backup (a join still waiting, or a space left): dropped; join it again if you need it (airlock spaces join).\n`).join("");
    const text =
      done.entry === undefined
        ? safe`Restored into ${done.home} (the vault had no team yet).\n` + spaces + moved + swept
        : safe`Restored into ${done.home} as a new device ${done.device.slice(0, 12)} of yours in ${done.team ?? "the team"}; the backup's device ${old} stays in the team until what it wrote after the backup is back.\n` +
          spaces +
          moved +
          swept +
          `Next: airlock export, then import what teammates send back; revoke ${old} once airlock status says every teammate caught up.\n` +
          `If a teammate revoked ${old} before your export reaches them, the team refuses this laptop and nothing they send opens here: then see docs/sync.md, "Restoring a backup".\n`;
    this.emit(flags.json, { home: done.home, team: done.team, device: done.device, oldDevice: done.oldDevice, entry: done.entry, backupSeq: done.backupSeq, backupCreated: done.backupCreated, files: done.files, spaces: done.spaces, dropped: done.dropped, movedAside: done.movedAside, movedAsideNote: done.movedAsideNote, leftovers: done.leftovers }, text);
  }
}
