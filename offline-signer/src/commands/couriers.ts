/**
 * `airlock couriers list|revoke`: the couriers the team enrolled (the team log's `courier`
 * entries, seen by every member) and retiring one: a `revoke-courier` entry, after which this
 * admin vault makes a new transport key generation the courier never gets (docs/transport-key.md,
 * "Couriers").
 */
import { Args } from "@oclif/core";
import { safe } from "@airlock/shared";
import { listCouriers, revokeCourier } from "../vault/courier-enroll.js";
import { VaultCommand } from "./base.js";
import { table } from "./format.js";

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class CouriersList extends VaultCommand {
  static override summary = "List the team's couriers: name, key fingerprint, who enrolled them and when, the transport key generation they are sent, revoked or not.";
  static override examples = ["<%= config.bin %> couriers list", "<%= config.bin %> couriers list --json"];
  async run(): Promise<void> {
    const { flags } = await this.parse(CouriersList);
    await this.withVault(flags, async (vault) => {
      const couriers = listCouriers(vault);
      const generation = vault.requireTeam().transport.length;
      const text =
        couriers.length === 0
          ? "No courier is enrolled (airlock courier-enroll).\n"
          : table(couriers.map((c) => [c.name, c.fingerprint, safe`enrolled by ${c.enrolledBy} on ${day(c.enrolledAt)}`, `generation ${c.generation}`, c.revoked ? `revoked ${day(c.revokedAt ?? 0)}` : "active"]));
      this.emit(flags.json, { generation, couriers }, text);
    });
  }
}

export class CouriersRevoke extends VaultCommand {
  static override summary = "Retire a courier: it is marked revoked and the team's transport key gets a new generation it never receives.";
  static override description =
    "The remaining couriers get the new generation in the next export of an admin's vault (a fresh enrollment each). A mailbox server (airlock-courier serve) needs the new generation's key file: on a courier that has it, `airlock-courier mailbox-key --out F`, then `airlock-courier serve-init F` on the server and restart serve.";
  static override examples = ["<%= config.bin %> couriers revoke old-laptop"];
  static override args = { courier: Args.string({ description: "the courier's name (or the start of its key)", required: true }) };
  async run(): Promise<void> {
    const { args, flags } = await this.parse(CouriersRevoke);
    await this.withVault(flags, async (vault) => {
      const { courier, generation } = revokeCourier(vault, args.courier);
      this.emit(
        flags.json,
        { revoked: courier.name, key: courier.key, generation },
        safe`Revoked courier ${courier.name}; the transport key is now generation ${String(generation)}.` +
          "\nExport to send the other couriers their new enrollment; a mailbox server needs the new key file (airlock-courier mailbox-key, then serve-init).\n",
      );
    });
  }
}
