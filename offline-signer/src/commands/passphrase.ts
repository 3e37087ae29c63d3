import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Flags } from "@oclif/core";
import { getPassphrase } from "../cli/passphrase.js";
import { resolveHome } from "../cli/home.js";
import { escapeLine } from "@airlock/shared";
import { lockAgent } from "../agent/client.js";
import { BACKUPS_DIR } from "../store/vault-store.js";
import { VaultCommand } from "./base.js";

export class PassphraseChange extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Change the vault passphrase (re-keys the encrypted store and gives every further space a fresh key; crash-safe). Ends an unlock session.";
  static override description =
    "Asks for the current passphrase even while the vault is unlocked (`airlock unlock`): a session lends the key to commands, not the right to replace the passphrase. The session ends, since its key no longer opens the vault.";
  static override examples = ["<%= config.bin %> passphrase change", "<%= config.bin %> passphrase change --passphrase-file old.txt --new-passphrase-file new.txt"];
  static override flags = { "new-passphrase-file": Flags.string({ description: "read the new passphrase from this file (else a prompt, twice)" }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(PassphraseChange);
    const vault = await this.openVault(flags, { agent: false });
    let spaces = 0;
    try {
      const next = flags["new-passphrase-file"] !== undefined ? await getPassphrase({ file: flags["new-passphrase-file"], confirm: true }) : await getPassphrase({ confirm: true, prompt: "New passphrase: " });
      const kdf = this.kdf();
      ({ spaces } = await vault.store.changePassphrase(next, kdf === undefined ? {} : { kdf }));
    } finally {
      vault.close();
    }
    // The passphrase has changed by now: a session that cannot be reached is a warning, not a failure.
    let locked = false;
    try {
      locked = await lockAgent(resolveHome(flags.home));
    } catch (e) {
      process.stderr.write(`airlock: warning: the unlock session could not be ended (${escapeLine((e as Error).message)}); it ends by itself when idle, or run airlock lock\n`);
    }
    const rekeyed = spaces === 0 ? "" : ` The ${spaces} further space(s) got fresh keys too: the keys an old copy of the vault holds no longer open them.`;
    // The copies upgrades took (docs/install.md) are whole vaults under the passphrase of their
    // day, spaces included: they are not re-keyed, so say where they are (review F3).
    const home = resolveHome(flags.home);
    const copies = existsSync(join(home, BACKUPS_DIR)) ? readdirSync(join(home, BACKUPS_DIR)).filter((n) => n.startsWith("before-v")).length : 0;
    const old = copies === 0 ? "" : ` ${copies} copy(ies) an upgrade took (${escapeLine(join(home, BACKUPS_DIR))}) still open with the old passphrase, as the vault was then: if it leaked, delete them.`;
    this.emit(flags.json, { changed: true, spaces, locked, oldCopies: copies }, `Passphrase changed.${rekeyed}${old}${locked ? " The unlock session ended: run airlock unlock again to start one with the new passphrase." : ""}\n`);
  }
}
