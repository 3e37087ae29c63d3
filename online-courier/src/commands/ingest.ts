import { Args, Flags } from "@oclif/core";
import { looksLikeReceipt, markPartial, plural, removeBundle, safe } from "@airlock/shared";
import { courierError } from "../errors.js";
import { Courier, type IngestOutcome } from "../courier/courier.js";
import { ReceiptReader } from "../courier/receipts.js";
import { readCamera, readSources, type QrRateReport, type SourceEvent } from "@airlock/shared";
import { CourierCommand } from "./base.js";

/** Bytes of bundles refused for an unknown tag kept to try again after an enrollment in the same run. */
const RETRY_BYTES = 64 * 1024 * 1024;

export default class Ingest extends CourierCommand {
  static override summary = "Take bundles from the offline side: USB drop folders, QR images, videos or a camera.";
  static override description =
    "Each PATH is a USB drop folder (its airlock/outbox is read and emptied), a folder of QR photos or screenshots, QR image files, a video of the QR animation, or a bundle file. Bundles whose tag is a served team's are spooled for the next sync; cover is dropped; anything else is refused with a reason, and the exit status is then 3 (nothing or only part of the input taken; docs/cli.md). The vault's delivery receipts are read too, scanned like bundles or from a stick's airlock/receipts: the bundles they name that this courier handed over are marked delivered; a stick's receipt file is removed once everything it names is delivered here, and one that no key of this courier opens is left for another team's courier, reported but not refused (docs/receipts.md). Progress goes to stderr.";
  static override examples = [
    "<%= config.bin %> ingest /media/usb",
    "<%= config.bin %> ingest ~/Pictures/qr-frames/",
    "<%= config.bin %> ingest transfer.mp4 --json",
    "<%= config.bin %> ingest --camera --device /dev/video0 --count 1",
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: "drop folder, image folder, image, video or bundle file (repeatable)" }) };
  static override flags = {
    camera: Flags.boolean({ description: "scan QR frames from a camera (ffmpeg, V4L2) until --count bundles or Ctrl-C", default: false }),
    device: Flags.string({ description: "camera device", default: "/dev/video0" }),
    count: Flags.integer({ description: "with --camera: stop after this many bundles" }),
    keep: Flags.boolean({ description: "leave ingested bundles in the USB outbox", default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Ingest);
    const paths = argv as string[];
    if (paths.length === 0 && !flags.camera) throw courierError("COURIER_BAD_ARGUMENT", "name at least one PATH, or --camera");
    const courier = Courier.open(this.homeFrom(flags.home));
    const receipts = new ReceiptReader(courier);
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once("SIGINT", stop).once("SIGTERM", stop);
    try {
      courier.requireTeams();
      const progress = this.progress(flags.json);
      const options = { maxBundleBytes: courier.spool.maxBundleBytes, boxes: ["outbox"] as const, program: "airlock-courier", progress, signal: abort.signal };
      const events: AsyncIterable<SourceEvent> = flags.camera
        ? readCamera({ ...options, device: flags.device, ...(flags.count === undefined ? {} : { count: flags.count }) })
        : readSources(paths, options);
      const results: (IngestOutcome & { from: string })[] = [];
      // Reading a camera: per bundle, the rate achieved and the density that would suit it (docs/qr-frames.md).
      const rates: QrRateReport[] = [];
      const issues: { from: string; code: string; reason: string }[] = [];
      // A stick holds an admin's enrollment for a new transport key generation beside bundles
      // already tagged under it, in no particular order: bundles refused for an unknown tag
      // before the enrollment was adopted are tried again once it was (bounded in bytes).
      const unknownTag: { bytes: Uint8Array; index: number; usb: Extract<SourceEvent, { type: "bundle" }>["usb"] }[] = [];
      let unknownTagBytes = 0;
      for await (const event of events) {
        if (event.type === "issue") {
          issues.push({ from: event.from, code: event.code, reason: event.reason });
          continue;
        }
        if (event.type === "large") continue; // never asked for (no maxStreamBytes): the spool takes whole bundles only
        if (looksLikeReceipt(event.bytes)) {
          receipts.take(event.bytes, event.from);
          continue;
        }
        const outcome = courier.ingest(event.bytes);
        results.push({ ...outcome, from: event.from });
        if (flags.camera && event.rate !== undefined) rates.push(event.rate);
        if (outcome.outcome === "refused" && outcome.code === "COURIER_UNKNOWN_TAG" && unknownTagBytes + event.bytes.length <= RETRY_BYTES) {
          unknownTag.push({ bytes: event.bytes, index: results.length - 1, usb: event.usb });
          unknownTagBytes += event.bytes.length;
        }
        // Only what is now safely spooled (or was already) leaves the stick.
        if (event.usb !== undefined && !flags.keep && (outcome.outcome === "spooled" || outcome.outcome === "duplicate")) await removeBundle(event.usb);
        if (abort.signal.aborted) break;
      }
      if (unknownTag.length > 0 && results.some((r) => r.outcome === "enrollment" && r.adopted)) {
        for (const u of unknownTag) {
          const outcome = courier.ingest(u.bytes);
          results[u.index] = { ...outcome, from: results[u.index]!.from };
          if (u.usb !== undefined && !flags.keep && (outcome.outcome === "spooled" || outcome.outcome === "duplicate")) await removeBundle(u.usb);
        }
      }
      if (!flags.camera && !abort.signal.aborted) await receipts.fromSticks(paths, { keep: flags.keep });
      if (process.stderr.isTTY === true) process.stderr.write("\n");
      const n = (o: string): number => results.filter((r) => r.outcome === o).length;
      const refused = [...issues, ...results.flatMap((r) => (r.outcome === "refused" ? [{ from: r.from, code: r.code, reason: r.reason }] : [])), ...receipts.refused];
      // Enrollments from an admin's export: a later transport key generation adopted (docs/transport-key.md, "Couriers").
      const enrollments = results.flatMap((r) => (r.outcome === "enrollment" && r.adopted ? [{ team: r.team, generation: r.generation }] : []));
      const summary = { spooled: n("spooled"), duplicates: n("duplicate"), cover: n("cover"), refused, receipts: receipts.outcomes, receiptsNotOurs: receipts.notOurs, enrollments, rates };
      const text = [
        `ingested ${plural(summary.spooled, "new bundle")} (${summary.duplicates} already spooled, ${summary.cover} cover dropped, ${refused.length} refused)`,
        ...enrollments.map((e) => `  adopted transport key generation ${e.generation} for team ${e.team.slice(0, 12)}`),
        ...rates.map((r) => `  camera: ${r.summary}`),
        ...receipts.lines(),
        ...refused.map((r) => safe`  refused ${r.from}: ${r.code}: ${r.reason}`),
      ];
      this.emit(flags.json, summary, `${text.join("\n")}\n`);
      // Input refused, all of it or some: exit 3 (docs/cli.md), so a script sees it without parsing.
      if (refused.length > 0) markPartial();
    } finally {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      receipts.close();
      courier.close();
    }
  }
}
