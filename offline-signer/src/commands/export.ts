import { join } from "node:path";
import { Flags } from "@oclif/core";
import { describeError, escapeLine, formatBytes, isAirlockError, markPartial, quoted, safe } from "@airlock/shared";
import type { Vault } from "../vault/vault.js";
import { deleteSpace, isLeaving, type SpaceRef } from "../spaces/spaces.js";
import { cleanOutbox, exportLines, exportTo, welcomeTargets, type QrPreset, type WrittenBundle } from "../vault/transfer.js";
import { parseSize } from "../attachments/quota.js";
import { vaultError } from "../vault/errors.js";
import { PROGRAM, VaultCommand } from "./base.js";

export class Export extends VaultCommand {
  static override summary = "Write outgoing sync bundles: as files on a USB stick (--usb) or as QR frame images (--qr).";
  static override description =
    "Each bundle is sealed to every other active device of the team and holds what they have not acknowledged yet, plus a welcome for each newly added device. Exporting again is harmless: receivers ignore what they already have.\n\n" +
    "--usb first removes from the stick's outbox this vault's earlier bundles that every recipient has acknowledged. --qr says how many frames it writes and how long they take to show, and refuses a folder holding an earlier export: --resume finishes an interrupted one, --replace deletes it.";
  static override examples = [
    "<%= config.bin %> export --usb /media/usb",
    "<%= config.bin %> export --qr ./to-courier --preset high",
    "<%= config.bin %> export --usb /media/usb --welcome bob",
    "<%= config.bin %> export --qr ./to-courier --files-max 1MiB",
    "<%= config.bin %> export --qr ./to-courier --resume    # after Ctrl-C",
    "<%= config.bin %> export --qr ./to-courier --replace   # drop the earlier frames there",
  ];
  static override flags = {
    usb: Flags.string({ description: "USB stick or folder: bundles go to DIR/airlock/outbox (this vault's earlier bundles there that every recipient acknowledged are removed first)", exclusive: ["qr"] }),
    qr: Flags.string({ description: "folder for QR frame PNGs and an index.html animation, one subfolder per bundle", exclusive: ["usb"] }),
    preset: Flags.string({ description: "QR density", options: ["low", "normal", "high", "dense"], default: "normal" }),
    welcome: Flags.string({
      description: "also write a welcome for this member (name or id prefix) or device (id prefix), e.g. when the laptop that admitted them was lost; repeatable",
      multiple: true,
    }),
    files: Flags.boolean({ description: "also write attached files the other devices lack or asked for (--no-files: only records; files go with a later export)", default: true, allowNo: true }),
    "files-max": Flags.string({ description: "with --qr: the largest attached file sent as QR frames (larger ones wait for a USB stick)", default: "256KiB" }),
    "resend-files": Flags.boolean({ description: "send every attached file again, as if never sent (a stick was lost)", default: false }),
    resume: Flags.boolean({
      description: "with --qr: finish an export that was interrupted (Ctrl-C) in that folder: the frames already written are kept and the same transfers completed",
      default: false,
      exclusive: ["replace", "usb"],
    }),
    replace: Flags.boolean({
      description: "with --qr: delete an earlier export in that folder first (only the frames, pages and folders Airlock wrote; nothing else)",
      default: false,
      exclusive: ["resume", "usb"],
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Export);
    if (flags.usb === undefined && flags.qr === undefined) throw vaultError("VAULT_BAD_ARGUMENT", "say where to export: --usb DIR or --qr DIR");
    const first = await this.openFirst(flags);
    try {
      const spaces = this.spacesFor(first, flags);
      if (spaces.length > 1 && (flags.welcome ?? []).length > 0) this.usage("--welcome names a member of one space: say which with --space NAME");
      const outputs: { space: SpaceRef; bundles: WrittenBundle[]; removed?: number; text: string }[] = [];
      for (const [position, ref] of spaces.entries()) {
        let vault: Vault;
        try {
          vault = this.openSpaceOf(first, ref);
        } catch (e) {
          // One damaged space does not stop the others' export (review H2); `spaces list` names it.
          if (spaces.length === 1) throw e;
          process.stderr.write(`${PROGRAM}: warning: space ${escapeLine(quoted(ref.name))} not exported: ${escapeLine(describeError(e).message)}\n`);
          markPartial();
          continue;
        }
        let left = false;
        try {
          // Without --space every space in a team exports (docs/spaces.md); one still waiting for its welcome has nothing to send.
          if (spaces.length > 1 && vault.teamId === undefined) continue;
          // Several spaces as QR: one subfolder each, each with its own resume state, named by the
          // space's place in the list and nothing of the space itself (an id prefix would tie the
          // folder to spaces/<id> on this laptop and link one space's exports: review F8). Should
          // a deleted space shift the places, --resume refuses the other space's folder (its
          // manifest names another device) and says to use --replace.
          const qr = flags.qr === undefined ? undefined : spaces.length > 1 ? join(flags.qr, `space-${position + 1}`) : flags.qr;
          const leaving = isLeaving(first, ref);
          const out = await this.#exportOrNothing(vault, flags, qr, spaces.length > 1);
          if (leaving) {
            const last = await this.#leave(vault, flags, out, qr);
            left = last.left;
            out.bundles.push(...last.bundles);
            out.text += last.text;
          }
          outputs.push({ space: ref, ...out });
        } catch (e) {
          // Nor does a failure inside one space's export (a store damaged past its first page, a
          // team grown past what a bundle is sealed to): the others still go (review F5).
          if (spaces.length === 1) throw e;
          process.stderr.write(`${PROGRAM}: warning: space ${escapeLine(quoted(ref.name))} not exported: ${escapeLine(describeError(e).message)}\n`);
          markPartial();
          continue;
        } finally {
          if (vault !== first) vault.close();
        }
        if (left) deleteSpace(first, ref);
      }
      if (spaces.length === 1) {
        const [only] = outputs;
        this.emit(flags.json, { bundles: only?.bundles ?? [], ...(only?.removed === undefined ? {} : { removed: only.removed }) }, only?.text ?? "Exported 0 bundle(s).\n");
        return;
      }
      this.emit(
        flags.json,
        { spaces: outputs.map((o) => ({ space: { id: o.space.id === "" ? null : o.space.id, name: o.space.name }, bundles: o.bundles, ...(o.removed === undefined ? {} : { removed: o.removed }) })) },
        outputs.map((o) => safe`Space ${quoted(o.space.name)}:` + `\n${o.text}`).join(""),
      );
    } finally {
      first.close();
    }
  }

  /** #exportOne, where a space with no other device yet has nothing to send (with several spaces: the others still export). */
  async #exportOrNothing(vault: Vault, flags: ExportFlags, qr: string | undefined, several: boolean): Promise<{ bundles: WrittenBundle[]; removed?: number; text: string }> {
    try {
      return await this.#exportOne(vault, flags, qr);
    } catch (e) {
      if (!several || !isAirlockError(e) || e.code !== "VAULT_NOTHING_TO_EXPORT") throw e;
      return { bundles: [], text: "Nothing to send: no other device in this space yet.\n" };
    }
  }

  /**
   * A space left with `spaces leave` (docs/spaces.md, "Storage"): after the ordinary export above
   * sent what the team lacks, records and attached files, this laptop revokes itself and a second
   * export carries the revocation; then the space may go. It stays (and says why) when the first
   * export left files behind (--no-files, or too large for QR): they would be lost with it.
   */
  async #leave(vault: Vault, flags: ExportFlags, first: { bundles: WrittenBundle[] }, qr: string | undefined): Promise<{ left: boolean; bundles: WrittenBundle[]; text: string }> {
    const skipped = first.bundles.filter((b) => b.kind === "file" && b.skipped !== undefined);
    if (!flags.files || skipped.length > 0) {
      return { left: false, bundles: [], text: `Not left yet: ${!flags.files ? "--no-files sent no attached files" : `${skipped.length} attached file(s) were not sent (${skipped[0]!.skipped})`}, and leaving now would lose what the team lacks. Export again to a stick (--usb) to finish leaving.\n` };
    }
    const me = vault.teamId === undefined ? undefined : vault.state().devices.get(vault.deviceId);
    if (me?.active === true) vault.revokeSelf();
    // The revocation in a folder of its own for QR: the first export's folder holds its frames.
    const last = await this.#exportOrNothing(vault, { ...flags, welcome: [] }, qr === undefined ? undefined : `${qr}-leave`, true);
    return { left: true, bundles: last.bundles, text: `${last.text}Left the space: this laptop is revoked there, and the space is deleted from this vault.\n` };
  }

  async #exportOne(vault: Vault, flags: ExportFlags, qr: string | undefined): Promise<{ bundles: WrittenBundle[]; removed?: number; text: string }> {
    const target = flags.usb !== undefined ? { usb: flags.usb } : { qr: qr!, preset: flags.preset as QrPreset };
    const welcome = welcomeTargets(vault, flags.welcome ?? []);
    if (flags["resend-files"]) vault.tx(() => vault.storage.blobs.forgetPeers());
    // Room first: this vault's earlier bundles that every recipient acknowledged leave the stick.
    const cleaned = flags.usb !== undefined ? await cleanOutbox(vault, flags.usb) : undefined;
    const progress = this.progress();
    const notice = (line: string): void => void process.stderr.write(`${PROGRAM}: ${/would be faster/.test(line) ? "warning" : "note"}: ${escapeLine(line)}\n`);
    let written;
    try {
      written = await exportTo(vault, target, progress, { welcome, noFiles: !flags.files, qrFilesMax: parseSize(flags["files-max"]), resume: flags.resume, replace: flags.replace, notice });
    } finally {
      progress.end();
    }
    const note = cleaned === undefined ? "" : `Removed ${cleaned.removed} earlier bundle(s) of this vault that every recipient has acknowledged${cleaned.removed > 0 ? ` (${formatBytes(cleaned.bytes)})` : ""}.\n`;
    return { bundles: written, ...(cleaned === undefined ? {} : { removed: cleaned.removed }), text: `${note}Exported ${written.length} bundle(s):\n${exportLines(written).map((l) => `  ${escapeLine(l)}\n`).join("")}` };
  }
}

interface ExportFlags {
  readonly usb?: string | undefined;
  readonly preset: string;
  readonly welcome?: string[] | undefined;
  readonly files: boolean;
  readonly "files-max": string;
  readonly "resend-files": boolean;
  readonly resume: boolean;
  readonly replace: boolean;
}
