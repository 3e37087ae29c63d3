import { Flags } from "@oclif/core";
import { plural, safe } from "@airlock/shared";
import { courierError } from "../errors.js";
import { Courier } from "../courier/courier.js";
import { DEFAULT_DELIVER_MAX_BYTES, deliverHtml, deliverQrFolder, deliverShow, deliverUsb, pendingInbound, type Delivered } from "../courier/deliver.js";
import { CourierCommand } from "./base.js";

export default class Deliver extends CourierCommand {
  static override summary = "Hand inbound bundles to the offline side: USB drop folder, QR images, or an animated QR.";
  static override description =
    "--usb writes each bundle into DIR/airlock/inbox (the vault's `airlock import DIR` reads it). --qr writes one folder of QR frame PNGs plus an index.html animation per bundle. --show plays each bundle as an animated QR code in this terminal for the vault's camera (--html FILE writes the animation as a web page instead). Bundles are marked delivered once written or shown.";
  static override examples = [
    "<%= config.bin %> deliver --usb /media/usb",
    "<%= config.bin %> deliver --qr ./to-vault",
    "<%= config.bin %> deliver --show",
    "<%= config.bin %> deliver --show --html transfer.html",
  ];
  static override flags = {
    usb: Flags.string({ description: "a USB stick or folder: bundles go to DIR/airlock/inbox", exclusive: ["qr", "show"] }),
    qr: Flags.string({ description: "a folder for QR frame images (one subfolder per bundle)", exclusive: ["usb", "show"] }),
    show: Flags.boolean({ description: "show an animated QR code in the terminal", default: false, exclusive: ["usb", "qr"] }),
    html: Flags.string({ description: "with --show: write the animation as an HTML page instead", dependsOn: ["show"] }),
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
    if (flags.usb === undefined && flags.qr === undefined && !flags.show) throw courierError("COURIER_BAD_ARGUMENT", "say where to deliver: --usb DIR, --qr DIR or --show");
    const courier = Courier.open(this.homeFrom(flags.home));
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once("SIGINT", stop).once("SIGTERM", stop);
    try {
      const options = { progress: this.progress(flags.json), signal: abort.signal };
      let delivered: Delivered[];
      if (flags.usb !== undefined) delivered = await deliverUsb(courier.spool, flags.usb, { ...options, maxBytes: flags["max-bytes"] ?? DEFAULT_DELIVER_MAX_BYTES });
      else if (flags.qr !== undefined) delivered = await deliverQrFolder(courier.spool, flags.qr, options);
      else if (flags.html !== undefined) delivered = deliverHtml(courier.spool, flags.html, options);
      else delivered = await deliverShow(courier.spool, process.stdout, { ...options, loops: flags.loops, fps: flags.fps });
      if (process.stderr.isTTY === true) process.stderr.write("\n");
      const lines = delivered.length === 0 ? ["nothing to deliver"] : [`delivered ${plural(delivered.length, "bundle")}`, ...delivered.map((d) => safe`  ${d.digest.slice(0, 16)}… → ${d.to}`)];
      const left = pendingInbound(courier.spool).length;
      if (left > 0 && delivered.length > 0) lines.push(`${plural(left, "bundle")} left for the next delivery${flags.usb === undefined ? "" : ` (--max-bytes ${flags["max-bytes"] ?? DEFAULT_DELIVER_MAX_BYTES})`}`);
      this.emit(flags.json, { delivered, left }, `${lines.join("\n")}\n`);
    } finally {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      courier.close();
    }
  }
}
