import { Args, Flags } from "@oclif/core";
import { safe } from "@airlock/shared";
import { rollback, upgrade } from "../release/upgrade.js";
import { VaultCommand } from "./base.js";

export class Upgrade extends VaultCommand {
  static override summary = "Install a newer release from a stick, or go back to the one before (no network).";
  static override description =
    "FILE is a release tarball (or the folder holding it) with SHA256SUMS and SHA256SUMS.sig beside it. The signature is checked against the release key this installation trusts, and the tarball against SHA256SUMS, before anything is unpacked. The new release is installed beside the running one and switched to in one step; the one before is kept for --rollback. Your vault is migrated on its next unlock, after a copy of it is kept in its backups/ folder. See docs/install.md.";
  static override examples = ["<%= config.bin %> upgrade /media/stick/airlock-0.2.0-linux-x64.tar.gz", "<%= config.bin %> upgrade --rollback"];
  static override args = { file: Args.string({ description: "the release tarball, or the folder that holds it", required: false }) };
  static override flags = {
    rollback: Flags.boolean({ description: "switch back to the release the last upgrade replaced", default: false }),
    "allow-downgrade": Flags.boolean({ description: "install an older release than the running one (a vault a newer release migrated will not open with it)", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Upgrade);
    if (flags.rollback === (args.file !== undefined)) this.usage(flags.rollback ? "give either FILE or --rollback, not both" : "give the release tarball to install, or --rollback");
    const result = flags.rollback ? rollback() : upgrade(args.file!, { allowDowngrade: flags["allow-downgrade"] });
    const text = flags.rollback
      ? safe`switched back from airlock ${result.from} to ${result.to}; ${result.from} stays installed (airlock upgrade --rollback returns to it)` + "\n"
      : safe`installed airlock ${result.to} beside ${result.from} and switched to it; ${result.from} is kept for airlock upgrade --rollback` +
        "\nyour vault is migrated when you next unlock it; a copy of it as it was is kept in its backups/ folder\n";
    this.emit(flags.json, { from: result.from, to: result.to, prefix: result.prefix, rolledBack: flags.rollback }, text);
  }
}
