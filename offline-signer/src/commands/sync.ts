import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Args, Flags } from "@oclif/core";
import { formatBytes, prepareDropFolder, readSources, writeBundle, writeBundleQrFolder } from "@airlock/shared";
import { courierEnrollment, parseCourierKey } from "../vault/courier-enroll.js";
import { applyPayloads, emptyReport, exportBundles, openForVault, type OpenedPayload } from "../vault/sync.js";
import { vaultError } from "../vault/errors.js";
import { VaultCommand } from "./base.js";

const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export class Export extends VaultCommand {
  static override summary = "Write outgoing sync bundles: as files on a USB stick (--usb) or as QR frame images (--qr).";
  static override description =
    "Each bundle is sealed to every other active device of the team and holds what they have not acknowledged yet, plus a welcome for each newly added device. Exporting again is harmless: receivers ignore what they already have.";
  static override examples = ["<%= config.bin %> export --usb /media/usb", "<%= config.bin %> export --qr ./to-courier --preset high"];
  static override flags = {
    usb: Flags.string({ description: "USB stick or folder: bundles go to DIR/airlock/outbox", exclusive: ["qr"] }),
    qr: Flags.string({ description: "folder for QR frame PNGs and an index.html animation, one subfolder per bundle", exclusive: ["usb"] }),
    preset: Flags.string({ description: "QR density", options: ["low", "normal", "high"], default: "normal" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Export);
    if (flags.usb === undefined && flags.qr === undefined) throw vaultError("VAULT_BAD_ARGUMENT", "say where to export: --usb DIR or --qr DIR");
    const vault = await this.openVault(flags);
    try {
      const bundles = exportBundles(vault);
      const progress = this.progress();
      const written: { kind: string; bytes: number; changesets: number; entries: number; path: string; frames?: number }[] = [];
      if (flags.usb !== undefined) {
        const drop = await prepareDropFolder(flags.usb);
        for (const [i, b] of bundles.entries()) {
          const w = await writeBundle(drop.outbox, b.bytes, { onProgress: (p) => progress(`bundle ${i + 1}/${bundles.length}: ${formatBytes(p.written)} of ${formatBytes(p.total)}`) });
          written.push({ kind: b.kind, bytes: b.bytes.length, changesets: b.changesets, entries: b.entries, path: w.path });
        }
      } else {
        for (const [i, b] of bundles.entries()) {
          const dir = join(flags.qr!, `${String(i + 1).padStart(2, "0")}-${b.kind}`);
          mkdirSync(dir, { recursive: true });
          progress(`bundle ${i + 1}/${bundles.length}: rendering QR frames for ${formatBytes(b.bytes.length)}`);
          const { files } = await writeBundleQrFolder(dir, b.bytes, { preset: flags.preset as "low" | "normal" | "high" });
          written.push({ kind: b.kind, bytes: b.bytes.length, changesets: b.changesets, entries: b.entries, path: dir, frames: files.length });
        }
      }
      const lines = written.map((w) => `  ${w.kind.padEnd(7)} ${formatBytes(w.bytes).padStart(9)}  ${w.changesets} changeset(s), ${w.entries} team entries${w.frames === undefined ? "" : `, ${w.frames} frames`}  → ${w.path}\n`);
      this.emit(flags.json, { bundles: written }, `Exported ${written.length} bundle(s):\n${lines.join("")}`);
    } finally {
      vault.close();
    }
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
    const vault = await this.openVault(flags);
    try {
      const report = emptyReport();
      const opened: OpenedPayload[] = [];
      let read = 0;
      const progress = this.progress();
      for await (const event of readSources(paths, { boxes: ["inbox", "outbox"], maxBundleBytes: MAX_BUNDLE_BYTES, progress, program: "airlock" })) {
        if (event.type === "issue") {
          report.issues.push({ source: event.from, code: event.code, reason: event.reason });
          continue;
        }
        read++;
        const o = openForVault(vault, event.bytes, event.from, report);
        if (o !== undefined) opened.push(o);
      }
      applyPayloads(vault, opened, report);
      let text = `Read ${read} bundle(s): ${report.bundles} for this device, ${report.notForMe} for others.\n`;
      if (report.welcomed !== undefined) text += `Welcome to team "${report.welcomed}".\n`;
      text += `Team entries: ${report.entriesAdded} new${report.entriesRejected > 0 ? `, ${report.entriesRejected} rejected` : ""}. Changesets: ${report.changesetsNew} new, ${report.applied} applied, ${report.locked} locked, ${report.rejected} rejected, ${report.duplicates} already had${report.waiting > 0 ? `, ${report.waiting} waiting for earlier ones` : ""}.\n`;
      if (report.quarantined > 0) text += `${report.quarantined} quarantined (see airlock status).\n`;
      for (const i of report.issues) text += `  ! ${i.source}: ${i.reason} (${i.code})\n`;
      this.emit(flags.json, { read, report }, text);
    } finally {
      vault.close();
    }
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
    const vault = await this.openVault(flags);
    try {
      const bytes = courierEnrollment(vault, pub, flags.mailbox);
      writeFileSync(flags.out, bytes);
      this.emit(flags.json, { out: flags.out, bytes: bytes.length }, `Wrote the courier enrollment to ${flags.out} (${bytes.length} bytes). It opens only with that courier's key.\n`);
    } finally {
      vault.close();
    }
  }
}
