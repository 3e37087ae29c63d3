/**
 * `airlock spaces list|create|join|use|leave` (docs/spaces.md): a vault holds any number of
 * spaces, each a team log with its own store, keys and transport key; `--space` picks the one a
 * command works in.
 */
import { writeFileSync } from "node:fs";
import { Args, Flags } from "@oclif/core";
import { AirlockError, quoted, safe, writeBundleQrFolder } from "@airlock/shared";
import { checkName } from "../vault/names.js";
import { fingerprint } from "../vault/request.js";
import type { Vault } from "../vault/vault.js";
import { allSpaces, createSpace, currentSpace, deleteSpace, findSpace, markLeaving, useSpace, type SpaceRef } from "../spaces/spaces.js";
import { VaultCommand } from "./base.js";
import { initShared } from "../vault/orgs.js";
import { short, table } from "./format.js";

/** What `spaces list` says of one space. */
interface SpaceLine {
  readonly name: string;
  readonly id: string | null;
  readonly current: boolean;
  readonly team: string | null;
  readonly role: string | null;
  readonly members: number;
  readonly state: "joined" | "waiting" | "no team";
  /** A shared space: its organizations, and yours. */
  readonly orgs?: readonly string[];
  readonly org?: string | null;
}

function describe(vault: Vault, ref: SpaceRef, current: boolean): SpaceLine {
  const base = { name: ref.name, id: ref.id === "" ? null : ref.id, current };
  if (vault.teamId === undefined) return { ...base, team: null, role: null, members: 0, state: vault.myName === undefined ? "no team" : "waiting" };
  const state = vault.state();
  const me = state.devices.get(vault.deviceId);
  const user = me === undefined ? undefined : state.users.get(me.user);
  const shared = state.orgs === undefined ? {} : { orgs: state.orgs, org: user?.org === undefined ? null : (state.orgs[user.org] ?? null) };
  return { ...base, team: state.name, role: user?.role ?? null, members: [...state.users.values()].filter((u) => u.active).length, state: "joined", ...shared };
}

export class SpacesList extends VaultCommand {
  static override wholeVault = true;
  static override summary = "List this vault's spaces: the team of each, your role there, and the one commands use without --space.";
  static override examples = ["<%= config.bin %> spaces list", "<%= config.bin %> spaces list --json"];
  async run(): Promise<void> {
    const { flags } = await this.parse(SpacesList);
    await this.withVault(flags, (first) => {
      const current = currentSpace(first).id;
      const lines = allSpaces(first).map((ref) => {
        const vault = this.openSpaceOf(first, ref);
        try {
          return describe(vault, ref, ref.id === current);
        } finally {
          if (vault !== first) vault.close();
        }
      });
      const text = table(
        lines.map((l) => [
          `${l.current ? "* " : "  "}${l.name}`,
          l.id === null ? "(first)" : short(l.id),
          l.state === "joined" ? `${l.role ?? "?"} in ${quoted(l.team ?? "?")}, ${l.members} member(s)${l.orgs === undefined ? "" : safe`; shared by ${l.orgs.join(", ")}, you in ${l.org ?? "?"}`}` : l.state === "waiting" ? "join request made, waiting for the welcome" : "no team yet",
        ]),
      );
      this.emit(flags.json, { spaces: lines }, `${text}* the space commands use without --space (airlock spaces use NAME)\n`);
    });
  }
}

export class SpacesCreate extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Create a new space: a team of its own in this vault, with you as its owner, under fresh keys.";
  static override description =
    "The space gets its own store (spaces/<random id>/ in the vault folder, encrypted under a random key kept in the first space), its own identity and device keys and its own transport key: members and couriers of one space cannot link you to another by any key, bundle tag or mailbox name (docs/spaces.md). Add members as in any team: `airlock members add REQUEST --space NAME`.";
  static override examples = ['<%= config.bin %> spaces create "Joint investigation" --name alice', "<%= config.bin %> spaces create Board --name A.K. --use"];
  static override args = { name: Args.string({ description: "the space's (and its team's) name", required: true }) };
  static override flags = {
    name: Flags.string({ description: "your name as this space's members will see it (default: your name in the first space)" }),
    use: Flags.boolean({ description: "make it the space commands use without --space", default: false }),
    org: Flags.string({
      description: "a shared space between organizations: name each one, yours first (2 to 16); their first admins are admitted with `members add REQUEST --org NAME --role admin`",
      multiple: true,
    }),
    "org-k": Flags.integer({ description: "with --org: how many organizations approve a space-level change (default: all of them; at least 2)", dependsOn: ["org"] }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SpacesCreate);
    checkName(args.name, "space name");
    await this.withVault(flags, (first) => {
      const userName = flags.name ?? first.myName;
      if (userName === undefined) this.usage("say your name in the new space with --name NAME");
      checkName(userName, "name (--name)");
      const { space, vault } = createSpace(first, args.name);
      try {
        const state = flags.org === undefined ? vault.init(args.name, userName) : initShared(vault, args.name, userName, flags.org, flags["org-k"]);
        if (flags.use) useSpace(first, space);
        this.emit(
          flags.json,
          { space: { id: space.id, name: space.name }, team: { id: state.teamHex, name: state.name }, device: vault.deviceId, current: flags.use, ...(state.orgs === undefined ? {} : { orgs: state.orgs, orgsRequired: state.orgK ?? state.orgs.length }) },
          safe`Created space ${quoted(space.name)} (${short(space.id)}) with ${quoted(userName)} as owner, under keys of its own.` +
            (state.orgs === undefined
              ? ""
              : safe`\nShared between ${state.orgs.map((o) => quoted(o)).join(", ")}; you are in ${quoted(state.orgs[0] ?? "")}. Seat each other organization's first admin: airlock members add REQUEST --org NAME --role admin --space ${JSON.stringify(space.name)}`) +
            `\nAdd members: airlock members add REQUEST --space ${JSON.stringify(space.name)}${flags.use ? "" : `\nWork in it: --space ${JSON.stringify(space.name)}, or airlock spaces use ${JSON.stringify(space.name)}`}\n`,
        );
      } finally {
        vault.close();
      }
    });
  }
}

export class SpacesJoin extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Join another team's space from this vault: write a join request made with keys of that space only.";
  static override description =
    "Makes a new space in this vault (fresh identity and device keys, never those of another space) and writes its join request. Carry it to an admin of that team (`airlock members add`); then `airlock import` the welcome they export: import tries every space of the vault.";
  static override examples = ["<%= config.bin %> spaces join Coalition --name alice --out /media/usb/alice.airlock-join"];
  static override args = { space: Args.string({ description: "the name this space has in your vault", required: true }) };
  static override flags = {
    name: Flags.string({ description: "your name as that team will see it (default: your name in the first space)" }),
    out: Flags.string({ description: "file to write the request to", required: true }),
    qr: Flags.string({ description: "also write the request as QR frame images into this folder" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SpacesJoin);
    checkName(args.space, "space name");
    await this.withVault(flags, async (first) => {
      const userName = flags.name ?? first.myName;
      if (userName === undefined) this.usage("say your name in that team with --name NAME");
      checkName(userName, "name (--name)");
      const { space, vault } = createSpace(first, args.space);
      try {
        const request = vault.joinRequest(userName);
        writeFileSync(flags.out, request.bytes, { mode: 0o644 });
        const frames = flags.qr === undefined ? 0 : (await writeBundleQrFolder(flags.qr, request.bytes)).files.filter((f) => f.endsWith(".png")).length;
        const fp = fingerprint(request.device);
        this.emit(
          flags.json,
          { space: { id: space.id, name: space.name }, request: flags.out, bytes: request.bytes.length, fingerprint: fp, device: vault.deviceId, ...(flags.qr === undefined ? {} : { qr: flags.qr, frames }) },
          safe`Made space ${quoted(space.name)} and wrote its join request for ${quoted(userName)} to ${flags.out} (${request.bytes.length} bytes)` +
            (flags.qr === undefined ? "" : safe` and ${frames} QR frames to ${flags.qr}`) +
            `.\nFingerprint: ${fp}  (the admin sees the same code when adding you)\nThen import what the admin exports: airlock import PATH\n`,
        );
      } finally {
        vault.close();
      }
    });
  }
}

export class SpacesUse extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Set the space commands work in when --space is not given.";
  static override examples = ["<%= config.bin %> spaces use Coalition"];
  static override args = { space: Args.string({ description: "the space's name or id", required: true }) };
  async run(): Promise<void> {
    const { args, flags } = await this.parse(SpacesUse);
    await this.withVault(flags, (first) => {
      const space = findSpace(first, args.space);
      useSpace(first, space);
      this.emit(flags.json, { space: { id: space.id === "" ? null : space.id, name: space.name } }, safe`Commands now work in space ${quoted(space.name)} unless --space says otherwise.` + "\n");
    });
  }
}

export class SpacesLeave extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Leave a space: revoke this laptop there, and delete the space from this vault.";
  static override description =
    "In a space you joined, this laptop's device is revoked first (a team entry the others receive with your next export, and which makes them rotate the keys you held); the space is deleted from this vault once that export is written (`airlock export` does it). With --now it is deleted at once and the team is not told: for a space whose join was never answered, or when an admin removes you anyway. The first space cannot be left: it holds the other spaces' keys.";
  static override examples = ["<%= config.bin %> spaces leave Coalition", "<%= config.bin %> spaces leave Coalition --now"];
  static override args = { space: Args.string({ description: "the space's name or id", required: true }) };
  static override flags = { now: Flags.boolean({ description: "delete it now, without telling the team", default: false }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SpacesLeave);
    await this.withVault(flags, (first) => {
      const space = findSpace(first, args.space);
      if (space.id === "") throw new AirlockError("VAULT_NOT_ALLOWED", "the first space cannot be left", { hint: "it holds the other spaces' keys; to leave its team, have an admin remove you" });
      const vault = this.openSpaceOf(first, space);
      let revoked = false;
      try {
        const me = vault.teamId === undefined ? undefined : vault.state().devices.get(vault.deviceId);
        if (!flags.now && me?.active === true) {
          vault.revokeSelf();
          revoked = true;
        }
      } finally {
        vault.close();
      }
      if (revoked) markLeaving(first, space);
      else deleteSpace(first, space);
      this.emit(
        flags.json,
        { space: { id: space.id, name: space.name }, revoked, deleted: !revoked },
        revoked
          ? safe`Revoked this laptop in space ${quoted(space.name)}. Export once (airlock export) to tell the team; the space is deleted from this vault after that export.` + "\n"
          : safe`Deleted space ${quoted(space.name)} from this vault.` + "\n",
      );
    });
  }
}
