/** `airlock tui`: the terminal UI, by name (plain `airlock` on a terminal opens it too). */
import { Flags } from "@oclif/core";
import { AirlockError } from "@airlock/shared";
import { VaultCommand } from "../commands/base.js";

export class Tui extends VaultCommand {
  static override summary = "Open the terminal UI: notes, passwords and contacts, search, export and import, status and the audit log.";
  static override examples = ["<%= config.bin %> tui", "<%= config.bin %> tui --home /media/vault", "<%= config.bin %> tui --lock-after 5m"];
  static override flags = {
    "lock-after": Flags.string({ description: "lock (close the vault, ask for the passphrase) after this long without a key: 90s, 10m, 1h; 0 never locks", default: "10m" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Tui);
    if (flags.json) throw new AirlockError("USAGE", "the terminal UI has no JSON output", { hint: "use the subcommands (airlock --help) for scripts" });
    if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
      throw new AirlockError("USAGE", "the terminal UI needs a terminal on stdin and stdout", { hint: "use the subcommands (airlock --help) for scripts" });
    }
    // Loaded only here, so the scriptable commands never pay for React and ink.
    const { runTui } = await import("./run.js");
    await runTui({ home: flags.home, passphraseFile: flags["passphrase-file"], lockAfter: flags["lock-after"] });
  }
}
