import { readFileSync, writeFileSync } from "node:fs";
import { Args, Flags } from "@oclif/core";
import { escapeLine, safe } from "@airlock/shared";
import { courierEnrollment, parseCourierKey } from "../vault/courier-enroll.js";
import { exportLines, exportTo, importFrom, importLines, welcomeTargets, type QrPreset } from "../vault/transfer.js";
import { parseSize } from "../attachments/quota.js";
import { vaultError } from "../vault/errors.js";
import { VaultCommand } from "./base.js";

export class Export extends VaultCommand {
  static override summary = "Write outgoing sync bundles: as files on a USB stick (--usb) or as QR frame images (--qr).";
  static override description =
    "Each bundle is sealed to every other active device of the team and holds what they have not acknowledged yet, plus a welcome for each newly added device. Exporting again is harmless: receivers ignore what they already have.";
  static override examples = [
    "<%= config.bin %> export --usb /media/usb",
    "<%= config.bin %> export --qr ./to-courier --preset high",
    "<%= config.bin %> export --usb /media/usb --welcome bob",
    "<%= config.bin %> export --qr ./to-courier --files-max 1MiB",
  ];
  static override flags = {
    usb: Flags.string({ description: "USB stick or folder: bundles go to DIR/airlock/outbox", exclusive: ["qr"] }),
    qr: Flags.string({ description: "folder for QR frame PNGs and an index.html animation, one subfolder per bundle", exclusive: ["usb"] }),
    preset: Flags.string({ description: "QR density", options: ["low", "normal", "high"], default: "normal" }),
    welcome: Flags.string({
      description: "also write a welcome for this member (name or id prefix) or device (id prefix), e.g. when the laptop that admitted them was lost; repeatable",
      multiple: true,
    }),
    files: Flags.boolean({ description: "also write attached files the other devices lack or asked for (--no-files: only records; files go with a later export)", default: true, allowNo: true }),
    "files-max": Flags.string({ description: "with --qr: the largest attached file sent as QR frames (larger ones wait for a USB stick)", default: "256KiB" }),
    "resend-files": Flags.boolean({ description: "send every attached file again, as if never sent (a stick was lost)", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Export);
    if (flags.usb === undefined && flags.qr === undefined) throw vaultError("VAULT_BAD_ARGUMENT", "say where to export: --usb DIR or --qr DIR");
    await this.withVault(flags, async (vault) => {
      const target = flags.usb !== undefined ? { usb: flags.usb } : { qr: flags.qr!, preset: flags.preset as QrPreset };
      const welcome = welcomeTargets(vault, flags.welcome ?? []);
      if (flags["resend-files"]) vault.tx(() => vault.storage.blobs.forgetPeers());
      const written = await exportTo(vault, target, this.progress(), { welcome, noFiles: !flags.files, qrFilesMax: parseSize(flags["files-max"]) });
      this.emit(flags.json, { bundles: written }, `Exported ${written.length} bundle(s):\n${exportLines(written).map((l) => `  ${escapeLine(l)}\n`).join("")}`);
    });
  }
}

export class Import extends VaultCommand {
  static override summary = "Import bundles: files, USB drop folders, folders of QR images, or videos of a QR animation.";
  static override description =
    "Importing is idempotent: duplicates, replays and bundles arriving out of order are harmless. Bundles not addressed to this device are skipped; damaged or forged ones are reported and change nothing. Each bundle is applied in one transaction.";
  static override examples = ["<%= config.bin %> import /media/usb", "<%= config.bin %> import ./from-courier/*.png", "<%= config.bin %> import capture.mp4"];
  static override strict = false;
  static override args = { path: Args.string({ description: "bundle file, drop folder, QR image folder, image or video", required: true }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Import);
    const paths = argv as string[];
    await this.withVault(flags, async (vault) => {
      const { read, report } = await importFrom(vault, paths, this.progress());
      // Lines name files from the stick and reasons quoting what arrived: one escaped line each.
      const text = importLines(read, report).map((l) => `${escapeLine(l)}\n`).join("");
      this.emit(flags.json, { read, report }, text);
    });
  }
}

export class CourierEnroll extends VaultCommand {
  static override summary = "Write what a courier needs for this team (transport key, mailbox), sealed to the courier's key.";
  static override description = "It holds no content key and no signing key: a courier can route and pad this team's bundles, never read them. Carry --out to the courier and run `airlock-courier init FILE --mailbox URL` there.";
  static override examples = ["<%= config.bin %> courier-enroll --courier-key /media/usb/courier.pub --out /media/usb/team.enrollment --mailbox dir:/srv/mailbox"];
  static override flags = {
    "courier-key": Flags.string({ description: "the file `airlock-courier keygen --out FILE` wrote", required: true }),
    out: Flags.string({ description: "where to write the enrollment", required: true }),
    mailbox: Flags.string({ description: "suggested mailbox URL (dir:PATH, http://HOST:PORT, onion:ADDR, s3://BUCKET?endpoint=...)", default: "" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CourierEnroll);
    let text: string;
    try {
      text = readFileSync(flags["courier-key"], "utf8");
    } catch (e) {
      throw vaultError("VAULT_BAD_COURIER_KEY", `cannot read ${flags["courier-key"]}`, e);
    }
    const pub = parseCourierKey(text.slice(0, 200));
    await this.withVault(flags, async (vault) => {
      const bytes = courierEnrollment(vault, pub, flags.mailbox);
      writeFileSync(flags.out, bytes);
      this.emit(flags.json, { out: flags.out, bytes: bytes.length }, safe`Wrote the courier enrollment to ${flags.out} (${bytes.length} bytes). It opens only with that courier's key.` + "\n");
    });
  }
}
