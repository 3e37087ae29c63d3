import { Flags } from "@oclif/core";
import { getPassphrase } from "../cli/passphrase.js";
import { VaultCommand } from "./base.js";

export class PassphraseChange extends VaultCommand {
  static override summary = "Change the vault passphrase (re-keys the encrypted store; crash-safe).";
  static override examples = ["<%= config.bin %> passphrase change", "<%= config.bin %> passphrase change --passphrase-file old.txt --new-passphrase-file new.txt"];
  static override flags = { "new-passphrase-file": Flags.string({ description: "read the new passphrase from this file (else a prompt, twice)" }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(PassphraseChange);
    await this.withVault(flags, async (vault) => {
      const next = flags["new-passphrase-file"] !== undefined ? await getPassphrase({ file: flags["new-passphrase-file"], confirm: true }) : await getPassphrase({ confirm: true, prompt: "New passphrase: " });
      const kdf = this.kdf();
      await vault.store.changePassphrase(next, kdf === undefined ? {} : { kdf });
      this.emit(flags.json, { changed: true }, "Passphrase changed.\n");
    });
  }
}
