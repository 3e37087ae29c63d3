import { Flags } from "@oclif/core";
import { plural, safe } from "@airlock/shared";
import { courierError } from "../errors.js";
import { Courier } from "../courier/courier.js";
import { awaitingReceipt, DEFAULT_DELIVER_MAX_BYTES, deliverHtml, deliverQrFolder, deliverShow, deliverUsb, markAwaitingDelivered, pendingInbound, type Delivered } from "../courier/deliver.js";
import { CourierCommand } from "./base.js";

export default class Deliver extends CourierCommand {
  static override summary = "Hand inbound bundles to the offline side: USB drop folder, QR images, or an animated QR.";
  static override description =
    "--usb writes each bundle into DIR/airlock/inbox (the vault's `airlock import DIR` reads it). --qr writes one folder of QR frame PNGs plus an index.html animation per bundle. --show plays each bundle as an animated QR code in this terminal for the vault's camera (--html FILE writes the animation as a web page instead). A bundle handed over stays deliverable, marked as shown (or written to a stick), until the vault's receipt names it: `airlock import` shows a receipt code (read it with `airlock-courier ingest --camera` or its image) and writes one onto the stick it imported (read by the next `airlock-courier ingest` of that stick). So --show, --qr and --html can be repeated after a failed scan; --usb does not write a bundle twice (--again does, for a lost stick). --mark-delivered marks without a receipt: with --usb/--qr/--show what this run hands over, alone every bundle awaiting a receipt.";
  static override examples = [
    "<%= config.bin %> deliver --usb /media/usb",
    "<%= config.bin %> deliver --qr ./to-vault",
    "<%= config.bin %> deliver --show",
    "<%= config.bin %> deliver --show --html transfer.html",
    "<%= config.bin %> deliver --mark-delivered",
  ];
  static override flags = {
    usb: Flags.string({ description: "a USB stick or folder: bundles go to DIR/airlock/inbox", exclusive: ["qr", "show"] }),
    qr: Flags.string({ description: "a folder for QR frame images (one subfolder per bundle)", exclusive: ["usb", "show"] }),
    show: Flags.boolean({ description: "show an animated QR code in the terminal", default: false, exclusive: ["usb", "qr"] }),
    html: Flags.string({ description: "with --show: write the animation as an HTML page instead", dependsOn: ["show"] }),
    "mark-delivered": Flags.boolean({
      description: "mark bundles delivered without the vault's receipt: what this run hands over, or alone every bundle awaiting a receipt",
      default: false,
    }),
    again: Flags.boolean({ description: "with --usb: also write bundles already written to a stick and not yet confirmed (the stick was lost)", default: false }),
    loops: Flags.integer({ description: "with --show: passes of each bundle's frame loop", default: 2 }),
    fps: Flags.integer({ description: "with --show: frames per second", default: 8 }),
    "max-bytes": Flags.integer({
      description: `with --usb: write at most this many bytes onto the stick (default ${DEFAULT_DELIVER_MAX_BYTES}; the first bundle always goes); the rest waits for the next delivery`,
      min: 1,
      dependsOn: ["usb"],
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Deliver);
    const mark = flags["mark-delivered"];
    // Not oclif's dependsOn: a boolean's default counts as given there.
    if (flags.again && flags.usb === undefined) throw courierError("COURIER_BAD_ARGUMENT", "--again goes with --usb DIR");
    if (flags.usb === undefined && flags.qr === undefined && !flags.show && !mark) throw courierError("COURIER_BAD_ARGUMENT", "say where to deliver: --usb DIR, --qr DIR or --show (or --mark-delivered)");
    const courier = Courier.open(this.homeFrom(flags.home));
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once("SIGINT", stop).once("SIGTERM", stop);
    try {
      const options = { progress: this.progress(flags.json), signal: abort.signal, markDelivered: mark };
      let delivered: Delivered[];
      if (flags.usb !== undefined) delivered = await deliverUsb(courier.spool, flags.usb, { ...options, maxBytes: flags["max-bytes"] ?? DEFAULT_DELIVER_MAX_BYTES, again: flags.again });
      else if (flags.qr !== undefined) delivered = await deliverQrFolder(courier.spool, flags.qr, options);
      else if (flags.html !== undefined) delivered = deliverHtml(courier.spool, flags.html, options);
      else if (flags.show) delivered = await deliverShow(courier.spool, process.stdout, { ...options, loops: flags.loops, fps: flags.fps });
      else delivered = markAwaitingDelivered(courier.spool);
      if (process.stderr.isTTY === true) process.stderr.write("\n");
      const handed = new Set(delivered.map((d) => d.digest));
      // Never handed over and not this time either: what --max-bytes (or Ctrl-C) left.
      const left = pendingInbound(courier.spool).filter((e) => !handed.has(e.digest) && e.handedAt === undefined).length;
      const awaiting = awaitingReceipt(courier.spool).length;
      const lines = [delivered.length === 0 ? (mark && flags.usb === undefined && flags.qr === undefined && !flags.show ? "nothing awaits a receipt" : "nothing to deliver") : deliveredLine(delivered, flags.usb !== undefined)];
      lines.push(...delivered.map((d) => safe`  ${d.digest.slice(0, 16)}… → ${d.to}`));
      if (left > 0 && delivered.length > 0) lines.push(`${plural(left, "bundle")} left for the next delivery${flags.usb === undefined ? "" : ` (--max-bytes ${flags["max-bytes"] ?? DEFAULT_DELIVER_MAX_BYTES})`}`);
      if (awaiting > 0) lines.push(`${plural(awaiting, "bundle")} await the vault's receipt: ${flags.usb === undefined ? "scan the code `airlock import` shows with `airlock-courier ingest --camera` (or its image)" : "`airlock-courier ingest` of the stick after the vault imported it reads it"}; until then they can be delivered again`);
      this.emit(flags.json, { delivered, left, awaitingReceipt: awaiting }, `${lines.join("\n")}\n`);
    } finally {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      courier.close();
    }
  }
}

function deliveredLine(delivered: readonly Delivered[], usb: boolean): string {
  const n = plural(delivered.length, "bundle");
  if (delivered.every((d) => d.confirmed)) return `delivered ${n} (marked delivered without a receipt)`;
  return usb ? `wrote ${n} to the stick` : `showed ${n}`;
}
