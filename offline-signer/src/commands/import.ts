import { Args, Flags } from "@oclif/core";
import { describeError, escapeLine, markPartial, quoted } from "@airlock/shared";
import type { Vault } from "../vault/vault.js";
import { importRefused } from "../vault/import-report.js";
import { importFrom, importIntoSpaces, importLines, type ImportResult } from "../vault/transfer.js";
import type { SpaceRef } from "../spaces/spaces.js";
import { receiptOutput } from "../vault/receipt.js";
import { PROGRAM, VaultCommand } from "./base.js";
import { CAMERA_FLAGS, cameraSource, COUNT_FLAG } from "./camera-flags.js";

export class Import extends VaultCommand {
  static override summary = "Import bundles: files, USB drop folders, folders of QR images, or videos of a QR animation.";
  static override description =
    "PATH is a bundle file, a USB drop folder, a folder of QR images, QR images or a video; with --camera the QR animation is read from a camera (ffmpeg, V4L2) instead, until --count bundles or Ctrl-C, which stops the camera and applies what was read whole. Importing is idempotent: duplicates, replays and bundles arriving out of order are harmless. Bundles not addressed to this device are skipped; damaged or forged ones are reported and change nothing. Each bundle is applied in one transaction. The summary names the records each collection gained, changed or lost.\n\n" +
    "Exit status: 0 when every bundle was applied, already held or meant for other devices; 3 when any input was refused (unreadable, not a bundle, failing authentication, quarantined) — including when nothing could be imported at all; 1 on failure.";
  static override examples = [
    "<%= config.bin %> import /media/usb",
    "<%= config.bin %> import --dry-run /media/usb",
    "<%= config.bin %> import --remove /media/usb",
    "<%= config.bin %> import ./from-courier/*.png",
    "<%= config.bin %> import capture.mp4",
    "<%= config.bin %> import --camera",
    "<%= config.bin %> import --camera --device /dev/video2 --count 1",
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: "bundle file, drop folder, QR image folder, image or video (repeatable; none with --camera)" }) };
  static override flags = {
    "dry-run": Flags.boolean({ description: "show what the bundles would change, and change nothing: not the vault, not the stick", default: false, exclusive: ["remove"] }),
    remove: Flags.boolean({
      description: "take off the stick the bundle files this import applied or already held (never a refused one, nor one another device may still need)",
      default: false,
      exclusive: ["dry-run"],
    }),
    "receipt-png": Flags.string({ description: "also write the receipt code for the courier as a PNG image (FILE, FILE-2.png, … for more than one)" }),
    ...CAMERA_FLAGS,
    ...COUNT_FLAG,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Import);
    const paths = argv as string[];
    if (flags.camera && paths.length > 0) this.usage("read either PATHs or --camera, not both");
    if (!flags.camera && paths.length === 0) this.usage('"airlock import" needs PATH');
    const camera = cameraSource(flags, (m) => this.usage(m));
    const first = await this.openFirst(flags);
    const progress = this.progress();
    const stop = new AbortController();
    const interrupt = (): void => stop.abort();
    if (camera !== undefined) process.once("SIGINT", interrupt).once("SIGTERM", interrupt);
    const options = { dryRun: flags["dry-run"], remove: flags.remove, ...(camera === undefined ? {} : { camera, signal: stop.signal }) };
    try {
      const spaces = this.spacesFor(first, flags);
      let results: { space: SpaceRef; result: ImportResult }[];
      try {
        if (spaces.length === 1) {
          const vault = this.openSpaceOf(first, spaces[0]!);
          try {
            results = [{ space: spaces[0]!, result: await importFrom(vault, paths, progress, undefined, options) }];
          } finally {
            if (vault !== first) vault.close();
          }
        } else {
          // Read once, offered to every space: a bundle opens in at most one (docs/spaces.md).
          // A damaged space is left out with a warning (exit 3); the others still import (review H2).
          const open = (ref: SpaceRef): Vault | undefined => {
            try {
              return this.openSpaceOf(first, ref);
            } catch (e) {
              process.stderr.write(`${PROGRAM}: warning: space ${escapeLine(quoted(ref.name))} left out: ${escapeLine(describeError(e).message)}\n`);
              markPartial();
              return undefined;
            }
          };
          results = await importIntoSpaces(spaces, open, paths, progress, options, (v) => v !== first && v.close());
        }
      } finally {
        process.off("SIGINT", interrupt).off("SIGTERM", interrupt);
        progress.end();
      }
      // Several spaces: each its own receipt image (FILE-space-N.png), not one overwriting the other.
      const png = (i: number): string | undefined => (flags["receipt-png"] === undefined || results.length === 1 ? flags["receipt-png"] : flags["receipt-png"].replace(/(\.png)?$/i, `-space-${i + 1}.png`));
      const outputs = results.map(({ space, result }, i) => ({ space, ...this.#output(result, flags, png(i)) }));
      if (outputs.length === 1) {
        const [only] = outputs;
        this.emit(flags.json, only!.json, only!.text);
      } else {
        // A space that saw nothing for it says so in one line; the bundles for other spaces are not "not for this laptop".
        this.emit(
          flags.json,
          { spaces: outputs.map((o) => ({ space: { id: o.space.id === "" ? null : o.space.id, name: o.space.name }, ...o.json })) },
          outputs.map((o) => `${escapeLine(`Space "${o.space.name}":`)}\n${o.text}`).join(""),
        );
      }
      if (results.some(({ result }) => importRefused(result.report))) markPartial();
    } finally {
      first.close();
    }
  }

  #output(result: ImportResult, flags: { remove: boolean }, png: string | undefined): { json: Record<string, unknown>; text: string } {
    const { read, report } = result;
    const lines = importLines(read, report);
    if (result.dryRun) lines.unshift("Dry run: nothing was stored and nothing on the stick was touched.");
    if (flags.remove) {
      lines.push(`Removed ${result.removed} bundle file(s) from the stick${result.leftForOthers > 0 ? `; left ${result.leftForOthers} that other devices of the team may still need` : ""}.`);
    }
    // What this camera achieved, and the density that would suit it (docs/qr-frames.md).
    lines.push(...result.rates.map((r) => `camera: ${r.summary}`));
    const receipt = receiptOutput(result.receipts, png);
    lines.push(...receipt.lines);
    // Lines name files from the stick and reasons quoting what arrived: one escaped line each.
    const text = lines.map((l) => `${escapeLine(l)}\n`).join("");
    return { json: { read, report, dryRun: result.dryRun, bundles: result.bundles, removed: result.removed, leftForOthers: result.leftForOthers, receipts: receipt.json, rates: result.rates }, text };
  }
}
