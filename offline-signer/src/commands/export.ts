import { join } from "node:path";
import { Flags } from "@oclif/core";
import { escapeLine, formatBytes, isAirlockError, quoted, safe } from "@airlock/shared";
import type { Vault } from "../vault/vault.js";
import { deleteSpace, isLeaving, type SpaceRef } from "../spaces/spaces.js";
import { cleanOutbox, exportLines, exportTo, welcomeTargets, type QrPreset } from "../vault/transfer.js";
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
      const outputs: { space: SpaceRef; bundles: unknown[]; removed?: number; text: string }[] = [];
      for (const [i, ref] of spaces.entries()) {
        const vault = this.openSpaceOf(first, ref);
        try {
          // Without --space every space in a team exports (docs/spaces.md); one still waiting for its welcome has nothing to send.
          if (spaces.length > 1 && vault.teamId === undefined) continue;
          // Several spaces as QR: one subfolder each, so each keeps its own resume/replace state.
          const qr = flags.qr === undefined ? undefined : spaces.length > 1 ? join(flags.qr, `space-${i + 1}`) : flags.qr;
          try {
            outputs.push({ space: ref, ...(await this.#exportOne(vault, flags, qr)) });
          } catch (e) {
            // A space with no other device yet has nothing to send; the others still export.
            if (spaces.length === 1 || !isAirlockError(e) || e.code !== "VAULT_NOTHING_TO_EXPORT") throw e;
            outputs.push({ space: ref, bundles: [], text: "Nothing to send: no other device in this space yet.\n" });
          }
        } finally {
          if (vault !== first) vault.close();
        }
        if (isLeaving(first, ref)) deleteSpace(first, ref);
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

  async #exportOne(vault: Vault, flags: ExportFlags, qr: string | undefined): Promise<{ bundles: unknown[]; removed?: number; text: string }> {
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
