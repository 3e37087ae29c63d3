import { Args } from "@oclif/core";
import { escapeLine } from "@airlock/shared";
import { importFrom, importLines } from "../vault/transfer.js";
import { VaultCommand } from "./base.js";

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
