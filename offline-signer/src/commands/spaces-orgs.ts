/**
 * `airlock spaces orgs add NAME` / `airlock spaces orgs remove NAME` (docs/spaces.md, "Shared
 * spaces between organizations", rule 6): organizations of a shared space after its creation.
 * Both are space-level changes, so they usually wait for other organizations' approvals.
 */
import { Args } from "@oclif/core";
import { quoted, safe } from "@airlock/shared";
import { addOrg, proposalOrgs, removeOrg } from "../vault/orgs.js";
import type { Vault } from "../vault/vault.js";
import { VaultCommand } from "./base.js";

/** What a space-level change still waits for, in words (empty once it took effect). */
function waitsFor(vault: Vault, entry: string): string {
  const state = vault.state();
  if (!state.proposals.has(entry)) return "";
  const orgs = proposalOrgs(state, entry);
  const names = orgs === undefined ? "" : orgs.waiting.map((o) => quoted(state.orgs?.[o] ?? `#${o}`)).join(", ");
  const of = orgs === undefined ? "" : `${orgs.required} organization(s) must approve it${names === "" ? "" : `; waiting for ${names}`}`;
  return `\nIt waits for approvals: ${of}. airlock approvals list shows it; export so their admins receive it and run airlock approvals approve.`;
}

export class SpacesOrgsAdd extends VaultCommand {
  static override summary = "Propose a new organization for this shared space (every organization with an admin approves it).";
  static override description =
    "The organization gets a name and no members: once the change takes effect, invite its first admin with airlock members add REQUEST --role admin --org NAME (which the other organizations approve too). At most 16 organizations, removed ones included; a name is never used twice.";
  static override examples = ["<%= config.bin %> spaces orgs add Delta --space Joint"];
  static override args = { name: Args.string({ description: "the new organization's name", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SpacesOrgsAdd);
    await this.withVault(flags, async (vault) => {
      const entry = addOrg(vault, args.name);
      const waiting = vault.state().proposals.has(entry.hashHex);
      this.emit(
        flags.json,
        { entry: entry.hashHex, org: args.name, pending: waiting },
        (waiting ? safe`Proposed adding organization ${quoted(args.name)}.` : safe`Added organization ${quoted(args.name)}; it has no admin yet: invite its first with airlock members add REQUEST --role admin --org ${JSON.stringify(args.name)}.`) + waitsFor(vault, entry.hashHex) + "\n",
      );
    });
  }
}

export class SpacesOrgsRemove extends VaultCommand {
  static override summary = "Propose removing an organization: all its members lose access, and every key they held is rotated.";
  static override description =
    "Needs the approval of at least two organizations besides the one removed (orgK of them, if the space was created with --org-k), so with two organizations neither can remove the other. The removed organization's members are cut off at what this vault has seen of their devices; its name and place stay taken and nobody is added into it again.";
  static override examples = ["<%= config.bin %> spaces orgs remove Cedar --space Joint"];
  static override args = { name: Args.string({ description: "the organization's name", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SpacesOrgsRemove);
    await this.withVault(flags, async (vault) => {
      const r = removeOrg(vault, args.name);
      const state = vault.state();
      const name = state.orgs?.[r.org] ?? args.name;
      const waiting = state.proposals.has(r.entry.hashHex);
      this.emit(
        flags.json,
        { entry: r.entry.hashHex, org: name, members: r.members, pending: waiting },
        safe`${waiting ? "Proposed removing" : "Removed"} organization ${quoted(name)} (${String(r.members)} member(s) lose access; collection keys they could read were rotated).` + waitsFor(vault, r.entry.hashHex) + "\n",
      );
    });
  }
}
