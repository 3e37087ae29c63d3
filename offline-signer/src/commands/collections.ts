import { Args, Flags } from "@oclif/core";
import { safe } from "@airlock/shared";
import { checkName } from "../vault/names.js";
import { pendingApprovals } from "../vault/report.js";
import { VaultCommand } from "./base.js";
import { proposalOrgs } from "../vault/orgs.js";
import { APPS } from "../apps/registry.js";
import { asRole, ROLE_OPTIONS, table } from "./format.js";

export class CollectionsAdd extends VaultCommand {
  static override summary = "Create a collection of one type (notes, secrets, contacts, tickets, docs, events) with a policy: the lowest role that may read, and that may write.";
  static override examples = [
    '<%= config.bin %> collections add sources --name "Sources" --read editor --write editor',
    '<%= config.bin %> collections add passwords --type secrets --read editor --write editor',
    "<%= config.bin %> collections add contacts --type contacts",
  ];
  static override args = { id: Args.string({ description: "short id: lowercase letters, digits, dashes", required: true }) };
  static override flags = {
    name: Flags.string({ description: "display name (default: the id)" }),
    read: Flags.string({ description: "lowest role that may read", options: ROLE_OPTIONS, default: "viewer" }),
    write: Flags.string({ description: "lowest role that may write", options: ROLE_OPTIONS, default: "editor" }),
    type: Flags.string({ description: "what it holds (fixed once created)", options: APPS.map((a) => a.schema.app), default: "notes" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CollectionsAdd);
    await this.withVault(flags, async (vault) => {
      const entry = vault.createCollection(args.id, checkName(flags.name ?? args.id, "collection name"), asRole(flags.read), asRole(flags.write), flags.type);
      this.emit(flags.json, { entry: entry.hashHex, id: args.id, type: flags.type }, safe`Created ${flags.type} collection ${args.id} (read: ${flags.read}+, write: ${flags.write}+).` + "\n");
    });
  }
}

export class CollectionsList extends VaultCommand {
  static override summary = "List collections and their policies.";
  static override examples = ["<%= config.bin %> collections list"];

  async run(): Promise<void> {
    const { flags } = await this.parse(CollectionsList);
    await this.withVault(flags, async (vault) => {
      const collections = [...vault.requireTeam().collections.values()].map((c) => ({
        id: c.id,
        name: c.name,
        type: c.app,
        known: vault.appOf(c.id) !== undefined,
        read: c.read,
        write: c.write,
        canRead: vault.currentKeyId(c.id) !== undefined,
        records: vault.recordStore.count(c.id),
      }));
      const note = (c: (typeof collections)[number]): string => (!c.known ? "(needs a newer Airlock)" : c.canRead ? `${c.records} record${c.records === 1 ? "" : "s"}` : "(no key here)");
      this.emit(flags.json, { collections }, table(collections.map((c) => [c.id, c.type, c.name, `read ${c.read}+`, `write ${c.write}+`, note(c)])));
    });
  }
}

export class CollectionsCompact extends VaultCommand {
  static override summary = "Compact a collection's history: members who join from now on receive only its current state, not deleted records or earlier values.";
  static override description =
    "Rotates the collection's key to its current readers and writes a snapshot of what is visible now. Existing members check the snapshot against their own history. " +
    "It cannot make laptops that already hold the history forget it (docs/threat-model.md, History).";
  static override examples = ["<%= config.bin %> collections compact passwords"];
  static override args = { id: Args.string({ description: "the collection", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CollectionsCompact);
    await this.withVault(flags, async (vault) => {
      const r = vault.compact(args.id);
      this.emit(
        flags.json,
        { entry: r.entry.hashHex, changeset: r.changeset, records: r.records, ops: r.ops, dropped: r.dropped },
        safe`Compacted ${args.id}: ${String(r.records)} record${r.records === 1 ? "" : "s"} restated in ${String(r.ops)} changes; ${String(r.dropped)} older or deleted values will not reach members who join from now on.` + "\nExport to the team so every laptop gets the new key and the snapshot.\n",
      );
    });
  }
}

export class CollectionsPolicy extends VaultCommand {
  static override summary = "Change who may read and write a collection (always rotates its key).";
  static override examples = ["<%= config.bin %> collections policy notes --read editor --write admin"];
  static override args = { id: Args.string({ description: "collection id", required: true }) };
  static override flags = {
    read: Flags.string({ description: "lowest role that may read", options: ROLE_OPTIONS, required: true }),
    write: Flags.string({ description: "lowest role that may write", options: ROLE_OPTIONS, required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CollectionsPolicy);
    await this.withVault(flags, async (vault) => {
      const entry = vault.setPolicy(args.id, asRole(flags.read), asRole(flags.write));
      const waiting = vault.state().proposals.has(entry.hashHex);
      this.emit(
        flags.json,
        { entry: entry.hashHex, pending: waiting },
        safe`${waiting ? "Proposed" : "Set"} ${args.id}: read ${flags.read}+, write ${flags.write}+.` + (waiting ? "\nIt takes effect once approved (airlock approvals list shows by whom; export so they receive it).\n" : "\n"),
      );
    });
  }
}

export class ApprovalsList extends VaultCommand {
  static override summary = "List critical changes waiting for admin approvals.";
  static override examples = ["<%= config.bin %> approvals list"];

  async run(): Promise<void> {
    const { flags } = await this.parse(ApprovalsList);
    await this.withVault(flags, async (vault) => {
      const state = vault.requireTeam();
      // In a shared space a space-level change also waits for organizations (docs/spaces.md, rule 4).
      const names = (orgs: readonly number[]): string => orgs.map((o) => state.orgs?.[o] ?? `#${o}`).join(", ");
      const pending = pendingApprovals(state, vault.me().user.id).map((p) => {
        const orgs = proposalOrgs(state, p.id);
        return orgs === undefined ? p : { ...p, orgs: { approved: orgs.approved.map((o) => state.orgs?.[o] ?? null), waiting: orgs.waiting.map((o) => state.orgs?.[o] ?? null), required: orgs.required } };
      });
      const rows = pending.map((p) => {
        const orgs = proposalOrgs(state, p.id);
        const byOrg = orgs === undefined ? "" : `; organizations ${orgs.approved.length}/${orgs.required}${orgs.waiting.length === 0 ? "" : `, waiting for ${names(orgs.waiting)}`}`;
        return [p.id.slice(0, 12), `${p.what} (proposed by ${p.proposer})`, `${p.approvals}/${p.required}${p.approvedByMe ? ", you approved" : ""}${byOrg}`];
      });
      this.emit(flags.json, { pending, required: state.approvalsRequired }, pending.length === 0 ? `Nothing waiting (critical changes need ${state.approvalsRequired} approval(s)).\n` : table(rows));
    });
  }
}

export class ApprovalsApprove extends VaultCommand {
  static override summary = "Approve a pending critical change (as an admin).";
  static override examples = ["<%= config.bin %> approvals approve 5d1c0e9a"];
  static override args = { id: Args.string({ description: "id prefix from airlock approvals list", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ApprovalsApprove);
    await this.withVault(flags, async (vault) => {
      const entry = vault.approve(args.id);
      this.emit(flags.json, { entry: entry.hashHex }, "Approved. Export so the other vaults count it.\n");
    });
  }
}

export class ApprovalsRequire extends VaultCommand {
  static override summary = "Set how many admin approvals critical changes need (admin changes, removals, policy changes).";
  static override examples = ["<%= config.bin %> approvals require 2"];
  static override args = { k: Args.integer({ description: "approvals needed, 1..64", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ApprovalsRequire);
    await this.withVault(flags, async (vault) => {
      const entry = vault.setApprovals(args.k);
      this.emit(flags.json, { entry: entry.hashHex }, `Critical changes will need ${args.k} approval(s).\n`);
    });
  }
}
