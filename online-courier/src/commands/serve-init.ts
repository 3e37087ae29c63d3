/**
 * `airlock-courier serve-init KEYFILE`: makes (or extends) a mailbox server's home from a key
 * file written by `mailbox-key` on a courier of the team. The home then holds mailbox server
 * keys only (mailbox-server.json, 0600), which is all `serve` reads.
 */
import { Args, Flags } from "@oclif/core";
import { plural, safe } from "@airlock/shared";
import { readMailboxKeyFile, saveServedMailboxes } from "../home/mailbox-server.js";
import { createHome } from "../home/paths.js";
import { CourierCommand } from "./base.js";

export default class ServeInit extends CourierCommand {
  static override summary = "Set up a mailbox server's home from a key file made by `airlock-courier mailbox-key`.";
  static override description =
    "Adds the teams of KEYFILE to the mailbox server in this home (importing the same file twice changes nothing). The home holds only mailbox server keys: they check couriers' tokens and cannot tell a team's real bundles from its cover. Then run `airlock-courier serve`.";
  static override examples = ["<%= config.bin %> serve-init mailbox-server.key --home /srv/airlock-mailbox"];
  static override args = { keyfile: Args.string({ description: "the file from `airlock-courier mailbox-key`", required: true }) };
  static override flags = {
    force: Flags.boolean({ description: "take the key file even if the server holds a higher generation of the same team (a wrong number would otherwise block every later update)", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ServeInit);
    const home = this.homeFrom(flags.home);
    const entries = readMailboxKeyFile(args.keyfile);
    createHome(home);
    const { served, added, replaced } = saveServedMailboxes(home, entries, { force: flags.force });
    // A newer transport key generation replaced an older one: serve reads its keys at start (docs/transport-key.md, "Couriers").
    const restart = replaced > 0 ? `; ${plural(replaced, "team")} moved to a newer transport key generation: restart serve` : "";
    this.emit(flags.json, { home: home.root, added, replaced, teams: served.length }, `${safe`the mailbox server in ${home.root} now serves ${plural(served.length, "team")} (${added} new)`}${restart}\n`);
  }
}
