/**
 * `airlock-courier mailbox-key --out FILE`: on a courier, the key file a mailbox server of its
 * teams needs (home/mailbox-server.ts): per team the mailbox server key, derived one-way from
 * the transport key, with which the server checks tokens and cannot tell real bundles from
 * cover. The file is a secret (it admits its holder to the team's HTTP mailboxes): written 0600.
 */
import { Flags } from "@oclif/core";
import { plural, safe } from "@airlock/shared";
import { courierError } from "../errors.js";
import { writeFileAtomic } from "../home/atomic-write.js";
import { mailboxKeyFileText, servedMailboxOf } from "../home/mailbox-server.js";
import { requireHome } from "../home/paths.js";
import { loadTeams } from "../home/teams.js";
import { CourierCommand } from "./base.js";

export default class MailboxKey extends CourierCommand {
  static override summary = "Write the mailbox server key file for the teams this courier serves (for `serve-init` on a mailbox server).";
  static override description =
    "A mailbox server (airlock-courier serve) never holds a team's transport key: it gets this file, which holds for each team only the key that checks couriers' tokens (derived one-way from the transport key), the epoch length and the onion client authorization's public key. Carry it to the server like a secret and run `airlock-courier serve-init FILE` there.";
  static override examples = ["<%= config.bin %> mailbox-key --out mailbox-server.key", "<%= config.bin %> mailbox-key --team 3f2a --out mailbox-server.key"];
  static override flags = {
    out: Flags.string({ description: "where to write the key file (0600)", required: true }),
    team: Flags.string({ description: "only the team whose id starts with these hex digits (default: every team)" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(MailboxKey);
    const home = this.homeFrom(flags.home);
    requireHome(home);
    const prefix = flags.team?.toLowerCase();
    if (prefix !== undefined && !/^[0-9a-f]{1,64}$/.test(prefix)) throw courierError("COURIER_BAD_ARGUMENT", "--team wants the start of a team id (hex digits)");
    const teams = loadTeams(home).filter((t) => prefix === undefined || t.id.startsWith(prefix));
    if (teams.length === 0) throw courierError("COURIER_NO_TEAMS", prefix === undefined ? `the courier in ${home.root} serves no team yet` : `no team served here has an id starting with ${prefix}`);
    writeFileAtomic(flags.out, mailboxKeyFileText(teams.map(servedMailboxOf)), 0o600);
    this.emit(flags.json, { out: flags.out, teams: teams.map((t) => t.id) }, `${safe`wrote the mailbox server key of ${plural(teams.length, "team")} to ${flags.out}`}\n`);
  }
}
