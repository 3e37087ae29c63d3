import { Args, Flags } from "@oclif/core";
import { quoted, safe } from "@airlock/shared";
import { VaultCommand } from "./base.js";
import { admitted, asRole, ROLE_OPTIONS, short, table } from "./format.js";
import { checkRequest, confirmAtPrompt, readRequestFrom, refuseKnown } from "./admission.js";
import { CAMERA_FLAGS } from "./camera-flags.js";
import { addMember as addToOrg, findOrg, orgOfArgument, orgViews } from "../vault/orgs.js";

const pending = (critical: boolean, k: number): string =>
  critical && k > 1 ? `\nThis change needs ${k} admin approvals: other admins run \`airlock approvals approve ID\` after importing it.\n` : "";

export class MembersAdd extends VaultCommand {
  static override summary = "Admit a person from their join request, with a role (owner|admin|editor|viewer), after checking its fingerprint.";
  static override description =
    "REQUEST is the file `airlock join` wrote, or a folder of its QR images, or a video of them; with --camera (and --device) the request's QR animation is read from a camera instead. Before anything is signed, the request's fingerprint is compared with the one on the joiner's laptop: on a terminal you are asked to confirm it; otherwise pass it with --fingerprint CODE (read from their screen; spaces, dashes and case do not matter), and a different code is refused. The next `airlock export` carries a welcome that lets their vault bootstrap the team, and keys for every collection their role may read.";
  static override examples = [
    "<%= config.bin %> members add /media/usb/bob.airlock-join --role editor",
    "<%= config.bin %> members add ./bob-request-qr --role viewer --fingerprint e76h-33ro-xern-7rjs",
    "<%= config.bin %> members add --camera --role editor",
  ];
  static override args = { request: Args.string({ description: "join request: file, QR image folder or video (none with --camera)" }) };
  static override flags = {
    role: Flags.string({ description: "their role", options: ROLE_OPTIONS, required: true }),
    fingerprint: Flags.string({ description: "the code shown on the joiner's laptop (required without a terminal); a different one is refused" }),
    org: Flags.string({
      description:
        "in a shared space: their organization, for good: its name, or its number as `members list` shows it (#0 is the space's first). Yours, or another organization that has no admin yet, to seat its first admin (the invitation; a space-level change other organizations approve once any is seated: docs/spaces.md)",
    }),
    ...CAMERA_FLAGS,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MembersAdd);
    const role = asRole(flags.role);
    const bytes = await readRequestFrom(args.request, flags, this.progress(), "members add", (m) => this.usage(m));
    const admission = checkRequest(bytes, flags.fingerprint, "members add");
    await this.withVault(flags, async (vault) => {
      refuseKnown(vault.requireTeam(), admission.request, false);
      this.refuseLinked(vault, [admission.request.device.sign, admission.request.device.enc, admission.request.user]);
      await confirmAtPrompt(admission, role);
      // In a shared space the organization defaults to the admin's own (docs/spaces.md, rule 1).
      const team = vault.requireTeam();
      // A name, or a decimal number (orgOfArgument); in a team any --org is refused by addToOrg.
      const org = flags.org === undefined ? (team.orgs === undefined ? undefined : vault.me().user.org) : team.orgs === undefined ? flags.org : orgOfArgument(team, flags.org);
      const { request, entry } = addToOrg(vault, bytes, role, { org });
      const state = vault.state();
      const waiting = state.proposals.has(entry.hashHex);
      const fp = admission.fingerprint;
      this.emit(
        flags.json,
        { entry: entry.hashHex, name: request.name, role: flags.role, fingerprint: fp, pending: waiting, ...(state.orgs === undefined || org === undefined ? {} : { org: state.orgs[findOrg(state, org)] }) },
        admitted(`Added ${quoted(request.name)} as ${flags.role}${state.orgs === undefined || org === undefined ? "" : safe` of ${quoted(state.orgs[findOrg(state, org)] ?? "?")}`}${waiting ? " (pending approval)" : ""}.`, fp, "Next: airlock export --usb DIR (carries their welcome)." + pending(waiting, state.approvalsRequired)),
      );
    });
  }
}

export class MembersList extends VaultCommand {
  static override summary = "List members, roles and devices.";
  static override examples = ["<%= config.bin %> members list --json"];

  async run(): Promise<void> {
    const { flags } = await this.parse(MembersList);
    await this.withVault(flags, async (vault) => {
      const state = vault.requireTeam();
      const orgName = (org: number | undefined): string | undefined => (org === undefined ? undefined : state.orgs?.[org]);
      const members = [...state.users.values()].map((u) => ({
        id: u.id,
        name: u.name,
        role: u.role,
        active: u.active,
        ...(state.orgs === undefined ? {} : { org: orgName(u.org) ?? null }),
        devices: [...state.devices.values()].filter((d) => d.user === u.id).map((d) => ({ id: d.id, active: d.active })),
      }));
      const rows = members.map((m) => [m.name, m.role, ...(state.orgs === undefined ? [] : [m.org ?? "?"]), m.active ? "active" : "removed", `${m.devices.filter((d) => d.active).length} device(s)`, short(m.id)]);
      // A shared space: each organization, its admins, and whether it was seated yet (docs/spaces.md, rule 2).
      const orgs = state.orgs === undefined ? undefined : orgViews(state);
      const orgLines = orgs === undefined ? "" : "\nOrganizations\n" + table(orgs.map((o) => [`#${o.index} ${o.name}`, `${o.members} member(s), ${o.admins} admin(s)`, o.seated === undefined ? "waiting for its first admin (airlock members add REQUEST --org NAME --role admin)" : `seated by ${short(o.seated)}`]));
      this.emit(flags.json, { members, ...(orgs === undefined ? {} : { orgs }) }, table(rows) + orgLines);
    });
  }
}

export class MembersRemove extends VaultCommand {
  static override summary = "Remove a member: their devices stop being accepted and every collection they could read gets a new key.";
  static override examples = ["<%= config.bin %> members remove bob"];
  static override args = { member: Args.string({ description: "name or id prefix", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MembersRemove);
    await this.withVault(flags, async (vault) => {
      const user = vault.findUser(args.member);
      const entry = vault.removeMember(args.member);
      const state = vault.state();
      const waiting = state.proposals.has(entry.hashHex);
      this.emit(
        flags.json,
        { entry: entry.hashHex, removed: user.name, pending: waiting },
        safe`${waiting ? "Proposed removing" : "Removed"} ${user.name}; collection keys they could read were rotated.` + `${pending(waiting, state.approvalsRequired)}\n`,
      );
    });
  }
}

export class MembersRole extends VaultCommand {
  static override summary = "Change a member's role (keys rotate where they lose read access).";
  static override examples = ["<%= config.bin %> members role carol viewer"];
  static override args = {
    member: Args.string({ description: "name or id prefix", required: true }),
    role: Args.string({ description: "owner|admin|editor|viewer", required: true, options: ROLE_OPTIONS }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MembersRole);
    await this.withVault(flags, async (vault) => {
      const user = vault.findUser(args.member);
      const entry = vault.setRole(args.member, asRole(args.role));
      const state = vault.state();
      const waiting = state.proposals.has(entry.hashHex);
      this.emit(flags.json, { entry: entry.hashHex, member: user.name, role: args.role, pending: waiting }, safe`${user.name} is ${waiting ? "proposed as" : "now"} ${args.role}.` + `${pending(waiting, state.approvalsRequired)}\n`);
    });
  }
}
