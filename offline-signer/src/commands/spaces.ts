/**
 * `airlock spaces list|create|join|use|leave` (docs/spaces.md): a vault holds any number of
 * spaces, each a team log with its own store, keys and transport key; `--space` picks the one a
 * command works in.
 */
import { writeFileSync } from "node:fs";
import { Args, Flags } from "@oclif/core";
import { AirlockError, describeError, quoted, safe, writeBundleQrFolder } from "@airlock/shared";
import { checkName } from "../vault/names.js";
import { fingerprint } from "../vault/request.js";
import type { Vault } from "../vault/vault.js";
import { allSpaces, createSpace, currentSpace, deleteSpace, findSpace, markLeaving, readIndex, useSpace, type SpaceRef } from "../spaces/spaces.js";
import { leaveRefusal } from "../spaces/last-admin.js";
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
  readonly state: "joined" | "waiting" | "no team" | "leaving" | "damaged";
  /** Why a damaged space does not open. */
  readonly reason?: string;
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
      const leaving = new Set(readIndex(first).filter((e) => e.leaving === true).map((e) => e.id));
      const lines = allSpaces(first).map((ref): SpaceLine => {
        let vault: Vault;
        try {
          vault = this.openSpaceOf(first, ref);
        } catch (e) {
          // A damaged space is listed, not a reason to list none (review H2).
          return { name: ref.name, id: ref.id, current: ref.id === current, team: null, role: null, members: 0, state: "damaged", reason: describeError(e).message };
        }
        try {
          const line = describe(vault, ref, ref.id === current);
          return leaving.has(ref.id) ? { ...line, state: "leaving" } : line;
        } finally {
          if (vault !== first) vault.close();
        }
      });
      const text = table(
        lines.map((l) => [
          `${l.current ? "* " : "  "}${l.name}`,
          l.id === null ? "(first)" : short(l.id),
          l.state === "damaged"
            ? `DAMAGED: ${l.reason ?? "?"} (airlock spaces leave ${JSON.stringify(l.name)} --now removes it)`
            : l.state === "leaving"
              ? `leaving: deleted after your next export (it sends what the team lacks, then this laptop's revocation)`
              : l.state === "joined" ? `${l.role ?? "?"} in ${quoted(l.team ?? "?")}, ${l.members} member(s)${l.orgs === undefined ? "" : safe`; shared by ${l.orgs.join(", ")}, you in ${l.org ?? "?"}`}` : l.state === "waiting" ? "join request made, waiting for the welcome" : "no team yet",
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
        const state = dropOnFailure(first, space, vault, () => (flags.org === undefined ? vault.init(args.name, userName) : initShared(vault, args.name, userName, flags.org, flags["org-k"])));
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

/** Runs the first step in a new space; if it fails, the space goes again (no empty space left behind: review). */
function dropOnFailure<T>(first: Vault, space: SpaceRef, vault: Vault, step: () => T): T {
  try {
    return step();
  } catch (e) {
    vault.close();
    deleteSpace(first, space);
    throw e;
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
        const request = dropOnFailure(first, space, vault, () => {
          const made = vault.joinRequest(userName);
          writeFileSync(flags.out, made.bytes, { mode: 0o644 });
          return made;
        });
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
  static override summary = "Leave a space: at your next export, send what the team lacks and this laptop's revocation, then delete the space here.";
  static override description =
    "Leaving marks the space; your next `airlock export` first sends what the team does not have yet (records and attached files, as any export), then revokes this laptop there (a team entry; the others rotate the keys it held) and sends that, and only then deletes the space from this vault. The last admin or owner (of your organization, in a shared space, even when everyone else is of other organizations) cannot leave while others remain: make someone else admin first. With --now the space is deleted at once and the team is not told: for a space whose join was never answered, a damaged space, or when an admin removes you anyway. The first space cannot be left: it holds the other spaces' keys.";
  static override examples = ["<%= config.bin %> spaces leave Coalition", "<%= config.bin %> spaces leave Coalition --now"];
  static override args = { space: Args.string({ description: "the space's name or id", required: true }) };
  static override flags = {
    now: Flags.boolean({ description: "delete it now, without telling the team (and without sending what it lacks)", default: false }),
    force: Flags.boolean({ description: "leave even as the last admin or owner (the others are left with nobody who can admit or remove anyone)", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SpacesLeave);
    await this.withVault(flags, (first) => {
      const space = findSpace(first, args.space);
      if (space.id === "") throw new AirlockError("VAULT_NOT_ALLOWED", "the first space cannot be left", { hint: "it holds the other spaces' keys; to leave its team, have an admin remove you" });
      // --now never opens the space: a damaged one must still be removable (review H2).
      const marked = flags.now ? false : this.#mayMark(first, space, flags.force);
      if (marked) markLeaving(first, space);
      else deleteSpace(first, space);
      this.emit(
        flags.json,
        { space: { id: space.id, name: space.name }, leaving: marked, deleted: !marked },
        marked
          ? safe`Space ${quoted(space.name)} will be left at your next export (airlock export): it sends what the team lacks, then this laptop's revocation, and then deletes the space from this vault.` + "\n"
          : safe`Deleted space ${quoted(space.name)} from this vault.` + "\n",
      );
    });
  }

  /** Whether the space is left through an export (in a team, this device active); refuses the last admin. */
  #mayMark(first: Vault, space: SpaceRef, force: boolean): boolean {
    const vault = this.openSpaceOf(first, space);
    try {
      if (vault.teamId === undefined) return false; // a join never answered: nobody to tell
      const state = vault.state();
      const me = state.devices.get(vault.deviceId);
      const user = me === undefined ? undefined : state.users.get(me.user);
      if (me?.active !== true || user === undefined || !user.active) return false;
      const refusal = force ? undefined : leaveRefusal(state, user, space.name);
      if (refusal !== undefined) throw new AirlockError("VAULT_NOT_ALLOWED", refusal.message, { hint: refusal.hint });
      return true;
    } finally {
      if (vault !== first) vault.close();
    }
  }
}

