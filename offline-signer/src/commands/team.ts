import { writeFileSync } from "node:fs";
import { Flags } from "@oclif/core";
import { AirlockError, formatBytes, quoted, safe, writeBundleQrFolder } from "@airlock/shared";
import { checkName } from "../vault/names.js";
import { fingerprint } from "../vault/request.js";
import { auditLog, vaultStatus } from "../vault/report.js";
import { VaultCommand } from "./base.js";
import type { Vault } from "../vault/vault.js";
import { urgentTickets } from "../apps/tickets/urgent.js";
import { fileSummary } from "../attachments/local.js";
import { peerLine, short, table, when } from "./format.js";
import { orgViews } from "../vault/orgs.js";

export class Init extends VaultCommand {
  static override summary = "Create a team, with you as its owner and this laptop as its first device.";
  static override description =
    "Creates the vault folder if needed (asking for a new passphrase twice), your identity key, this device's keys, the team's genesis entry and the default collection `notes` (readable by everyone, writable by editors and up).";
  static override examples = ['<%= config.bin %> init --team "Field office" --name alice', "AIRLOCK_HOME=/media/vault <%= config.bin %> init --team Newsroom --name sam"];
  static override flags = {
    team: Flags.string({ description: "the team's name", required: true }),
    name: Flags.string({ description: "your name as the team will see it", required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    checkName(flags.team, "team name (--team)");
    checkName(flags.name, "name (--name)");
    const { vault } = await this.openOrCreate(flags);
    try {
      const state = vault.init(flags.team, flags.name);
      this.emit(
        flags.json,
        { team: { id: state.teamHex, name: state.name }, device: vault.deviceId, home: vault.store.dir },
        safe`Created team ${quoted(state.name)} (id ${short(state.teamHex)}) with ${quoted(flags.name)} as owner.` + safe`\nVault: ${vault.store.dir}` + `\nNext: on a new member's laptop run \`airlock join --name NAME --out request.airlock-join\`, then here \`airlock members add request.airlock-join --role editor\`.\n`,
      );
    } finally {
      vault.close();
    }
  }
}

export class Join extends VaultCommand {
  static override summary = "On a new laptop: write a join request to carry to an admin.";
  static override description =
    "Creates the vault folder if needed, your identity and device keys, and writes a self-signed request holding only public keys and your name. Carry it to an admin (file on a USB stick, or --qr for QR images); they run `airlock members add` (or you run `airlock devices add` on your first device, for a second device of yours). Compare the fingerprint on both screens (`airlock join --show` or `airlock status` shows it again here). Then import what the admin exports.";
  static override examples = ["<%= config.bin %> join --name bob --out /media/usb/bob.airlock-join", "<%= config.bin %> join --name bob --out bob.airlock-join --qr ./bob-request-qr", "<%= config.bin %> join --show"];
  static override flags = {
    name: Flags.string({ description: "your name as the team will see it (required unless --show)" }),
    out: Flags.string({ description: "file to write the request to (required unless --show)" }),
    qr: Flags.string({ description: "also write the request as QR frame images into this folder" }),
    show: Flags.boolean({ description: "print this laptop's fingerprint again (for the admin to compare), and nothing else", default: false, exclusive: ["name", "out", "qr"] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Join);
    if (flags.show) return this.#show(flags);
    if (flags.name === undefined || flags.out === undefined) this.usage(`${flags.name === undefined ? "--name" : "--out"} is required (or --show, to print the fingerprint of a request made before)`);
    checkName(flags.name, "name (--name)");
    const { vault } = await this.openOrCreate(flags);
    try {
      const request = vault.joinRequest(flags.name);
      writeFileSync(flags.out, request.bytes, { mode: 0o644 });
      let frames = 0;
      // Frames only: the folder's index.html is not one (it said 6 and wrote 5).
      if (flags.qr !== undefined) frames = (await writeBundleQrFolder(flags.qr, request.bytes)).files.filter((f) => f.endsWith(".png")).length;
      const fp = fingerprint(request.device);
      this.emit(
        flags.json,
        { request: flags.out, bytes: request.bytes.length, fingerprint: fp, device: vault.deviceId, ...(flags.qr === undefined ? {} : { qr: flags.qr, frames }) },
        safe`Wrote join request for ${quoted(flags.name)} to ${flags.out} (${request.bytes.length} bytes)` +
          (flags.qr === undefined ? "" : safe` and ${frames} QR frames to ${flags.qr}`) +
          `.\nFingerprint: ${fp}  (the admin sees the same code when adding you)\n`,
      );
    } finally {
      vault.close();
    }
  }

  /** `join --show`: the code again, from this vault's own keys (a request made again has the same one). */
  async #show(flags: { home?: string | undefined; "passphrase-file"?: string | undefined; json: boolean }): Promise<void> {
    await this.withVault(flags, (vault) => {
      const fp = ownFingerprint(vault);
      const name = vault.myName;
      if (vault.teamId !== undefined) {
        this.emit(flags.json, { fingerprint: fp, device: vault.deviceId, joined: true, name: name ?? null }, safe`This laptop is already in team ${quoted(vault.state().name)}.` + `\nFingerprint: ${fp}\n`);
        return;
      }
      if (name === undefined) {
        throw new AirlockError("USAGE", "no join request was made on this vault yet", { hint: "write one with `airlock join --name NAME --out FILE`" });
      }
      this.emit(flags.json, { fingerprint: fp, device: vault.deviceId, joined: false, name }, safe`Join request of ${quoted(name)}, waiting to be admitted.` + `\nFingerprint: ${fp}  (the admin sees the same code when adding you)\n`);
    });
  }
}

/**
 * A shared space's organizations with their admins by name: who a joiner's organization's admins
 * are is how they see that the admin seated for them is the person they expect (docs/spaces.md, rule 2).
 */
function sharedSpaceLines(vault: Vault): string {
  const state = vault.state();
  if (state.orgs === undefined) return "";
  const admins = (org: number): string[] => [...state.users.values()].filter((u) => u.active && u.org === org && (u.role === "admin" || u.role === "owner")).map((u) => u.name);
  return (
    "\nOrganizations (a shared space)\n" +
    table(orgViews(state).map((o) => [o.name, `${o.members} member(s)`, o.seated === undefined ? "no admin yet" : `admins: ${admins(o.index).join(", ")}`]))
  );
}

/** This laptop's fingerprint: the code both screens show when it is admitted (vault/request.ts). */
function ownFingerprint(vault: Vault): string {
  return fingerprint({ sign: vault.deviceKey.publicKey, enc: vault.encryptionKey.publicKey });
}

export class Status extends VaultCommand {
  static override summary = "Show the team, your role, members, collections, sync counts and what was quarantined.";
  static override examples = ["<%= config.bin %> status", "<%= config.bin %> status --json"];

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    await this.withVault(flags, async (vault) => {
      const s = vaultStatus(vault);
      const fp = ownFingerprint(vault);
      let text = "";
      if (s.insecureKdf) text += "WARNING: this vault uses the test-only key derivation; never keep real data in it.\n";
      // Several spaces: say which one this is (docs/spaces.md).
      const space = this.space !== undefined && this.space.count > 1 ? this.space : undefined;
      if (space !== undefined) text += safe`Space ${quoted(space.ref.name)} (one of ${String(space.count)}: airlock spaces list)` + "\n";
      // Urgent tickets come first, on every reader's status (docs/apps.md, "Tickets").
      const urgent = urgentTickets(vault);
      if (urgent.length > 0) text += `Urgent tickets (${urgent.length})\n` + table(urgent.map((u) => [u.id, u.status, u.title, u.assignee, u.due ?? ""])) + "\n";
      if (s.team === undefined) {
        text +=
          s.me.name === undefined
            ? "Not in a team yet, and no join request made here.\nWrite one: airlock join --name NAME --out FILE\n"
            : safe`Not in a team yet: the join request of ${quoted(s.me.name)} waits to be admitted.` + `\nFingerprint: ${fp}  (the admin compares it when adding you)\nThen import the welcome an admin exported for you: airlock import PATH\n`;
      } else {
        text += safe`Team ${quoted(s.team.name)} (${short(s.team.id)})` + "\n";
        text += safe`You: ${s.me.name ?? "?"}, ${s.me.role ?? "?"}${s.me.active ? "" : " (REMOVED)"}, device ${short(s.me.device)}, fingerprint ${fp}` + "\n\nMembers\n";
        text += table(s.members.map((m) => [m.name, m.role, m.active ? `${m.devices} device(s)` : "removed", short(m.id)]));
        text += sharedSpaceLines(vault);
        text += "\nCollections\n" + table(s.collections.map((c) => [c.id, `read ${c.read}+`, `write ${c.write}+`, c.canRead ? `${c.records} record(s)` : "no key on this device"]));
        text += `\nChangesets: ${s.changesets.applied} applied, ${s.changesets.locked} locked (no key), ${s.changesets.waiting} waiting, ${s.changesets.rejected} rejected\n`;
        if (s.pendingApprovals.length > 0) text += "\nWaiting for approval\n" + table(s.pendingApprovals.map((p) => [short(p.id), `${p.what} (by ${p.proposer})`, `${p.approvals}/${p.required}`]));
        if (s.peers.length > 0) text += "\nOther devices\n" + table(s.peers.map((p) => [p.name ?? "?", short(p.device), peerLine(p)]));
      }
      const files = s.team === undefined ? undefined : fileSummary(vault);
      if (files !== undefined && files.held + files.missing > 0) {
        text += `\nFiles: ${files.held} here (${formatBytes(files.bytes)})${files.missing === 0 ? "" : `, ${files.missing} not here yet (your next export asks for them; airlock attach list)`}\n`;
      }
      if (s.alerts.length > 0) text += `\nAlerts (${s.alerts.length})\n` + s.alerts.map((x) => safe`  ! ${x}` + "\n").join("");
      if (s.quarantine.length > 0 || s.rejectedEntries.length > 0) {
        text += `\nQuarantined (${s.quarantine.length + s.rejectedEntries.length})\n`;
        text += table([...s.rejectedEntries.map((r) => ["team entry", short(r.entry), r.reason]), ...s.quarantine.slice(0, 20).map((q) => [q.kind, q.author === undefined ? "?" : short(q.author), q.reason])]);
      }
      this.emit(flags.json, { status: s, fingerprint: fp, space: this.space === undefined ? null : { id: this.space.ref.id === "" ? null : this.space.ref.id, name: this.space.ref.name, of: this.space.count }, urgentTickets: urgent, ...(files === undefined ? {} : { files }) }, text);
    });
  }
}

export class Log extends VaultCommand {
  static override summary = "The audit trail: who changed what and when, from the verified team log and changesets.";
  static override examples = ["<%= config.bin %> log", "<%= config.bin %> log --limit 20 --json"];
  static override flags = { limit: Flags.integer({ description: "show at most this many events (newest)", default: 200 }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Log);
    await this.withVault(flags, async (vault) => {
      const events = auditLog(vault, flags.limit);
      const text = table(events.map((e) => [when(e.time), e.author, e.what, e.status === "accepted" ? "" : `${e.status.toUpperCase()}${e.reason === undefined ? "" : `: ${e.reason}`}`]));
      this.emit(flags.json, { events }, text === "" ? "nothing yet\n" : text);
    });
  }
}

