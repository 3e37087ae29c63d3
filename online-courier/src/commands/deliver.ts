import { Flags } from "@oclif/core";
import { plural, safe } from "@airlock/shared";
import { courierError } from "../errors.js";
import { Courier, type ServedTeam } from "../courier/courier.js";
import { quotasOf } from "../home/teams.js";
import { DEFAULT_DELIVER_MAX_BYTES, deliverHtml, deliverQrFolder, deliverShow, deliverUsb, markAwaitingDelivered, pendingInbound, type Delivered } from "../courier/deliver.js";
import { CourierCommand } from "./base.js";

export default class Deliver extends CourierCommand {
  static override summary = "Hand inbound bundles to the offline side: USB drop folder, QR images, or an animated QR.";
  static override description =
    "--usb writes each bundle into DIR/airlock/inbox (the vault's `airlock import DIR` reads it). --qr writes one folder of QR frame PNGs plus an index.html animation per bundle. --show plays each bundle as an animated QR code in this terminal for the vault's camera (--html FILE writes the animation as a web page instead). A bundle handed over stays deliverable, marked as shown (or written to a stick), until the vault's receipt names it: `airlock import` shows a receipt code (read it with `airlock-courier ingest --camera` or its image) and writes one onto the stick it imported (read by the next `airlock-courier ingest` of that stick). Each delivery hands over only bundles never handed before; --again also hands over those awaiting a receipt (a failed scan, a lost stick). --team NAME delivers one team's bundles (a courier feeding the vaults of several teams). --mark-delivered marks without a receipt: with --usb/--qr/--show what this run hands over, alone every bundle awaiting a receipt. With --show --json the animation goes to stderr (the terminal) and stdout carries only the JSON.";
  static override examples = [
    "<%= config.bin %> deliver --usb /media/usb",
    "<%= config.bin %> deliver --qr ./to-vault",
    "<%= config.bin %> deliver --show",
    "<%= config.bin %> deliver --show --html transfer.html",
    "<%= config.bin %> deliver --show --again",
    "<%= config.bin %> deliver --usb /media/usb --team Clinic",
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
    again: Flags.boolean({ description: "also hand over bundles handed before and not yet confirmed by a receipt (a failed scan, a lost stick)", default: false }),
    team: Flags.string({ description: "only this team's bundles: its name, or the start of its id (a courier feeding the vaults of several teams)" }),
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
    const hands = flags.usb !== undefined || flags.qr !== undefined || flags.show;
    if (flags.again && !hands) throw courierError("COURIER_BAD_ARGUMENT", "--again goes with --usb DIR, --qr DIR or --show");
    if (!hands && !mark) throw courierError("COURIER_BAD_ARGUMENT", "say where to deliver: --usb DIR, --qr DIR or --show (or --mark-delivered)");
    const courier = Courier.open(this.homeFrom(flags.home));
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once("SIGINT", stop).once("SIGTERM", stop);
    try {
      const team = flags.team === undefined ? undefined : teamNamed(courier.teams, flags.team).id;
      const options = { progress: this.progress(flags.json), signal: abort.signal, markDelivered: mark, again: flags.again, ...(team === undefined ? {} : { team }) };
      let delivered: Delivered[];
      if (flags.usb !== undefined) delivered = await deliverUsb(courier.spool, flags.usb, { ...options, maxBytes: flags["max-bytes"] ?? DEFAULT_DELIVER_MAX_BYTES });
      else if (flags.qr !== undefined) delivered = await deliverQrFolder(courier.spool, flags.qr, options);
      else if (flags.html !== undefined) delivered = deliverHtml(courier.spool, flags.html, options);
      // With --json stdout carries the JSON alone (docs/cli.md): the animation goes to the terminal on stderr.
      else if (flags.show) delivered = await deliverShow(courier.spool, flags.json ? process.stderr : process.stdout, { ...options, loops: flags.loops, fps: flags.fps });
      else delivered = markAwaitingDelivered(courier.spool, team);
      if (process.stderr.isTTY === true) process.stderr.write("\n");
      // What awaits a receipt is bounded like what waits to be handed over (docs/receipts.md, "Quota").
      let dropped = 0;
      for (const t of courier.teams) {
        const q = quotasOf(t.config);
        dropped += courier.spool.trimAwaiting(t.id, { bundles: q.inboundBundles, bytes: q.inboundBytes });
      }
      const handed = new Set(delivered.map((d) => d.digest));
      const pending = pendingInbound(courier.spool, team);
      // Never handed over and not this time either: what --max-bytes (or Ctrl-C) left.
      const left = pending.filter((e) => !handed.has(e.digest) && e.handedAt === undefined).length;
      const awaiting = pending.filter((e) => e.handedAt !== undefined);
      const waitingBefore = awaiting.filter((e) => !handed.has(e.digest)).length;
      const lines = [delivered.length === 0 ? (hands ? "nothing to deliver" : "nothing awaits a receipt") : deliveredLine(delivered, flags.usb !== undefined)];
      lines.push(...delivered.map((d) => safe`  ${d.digest.slice(0, 16)}… → ${d.to}`));
      if (left > 0 && delivered.length > 0) lines.push(`${plural(left, "bundle")} left for the next delivery${flags.usb === undefined ? "" : ` (--max-bytes ${flags["max-bytes"] ?? DEFAULT_DELIVER_MAX_BYTES})`}`);
      if (awaiting.length > 0) lines.push(`${plural(awaiting.length, "bundle")} await the vault's receipt: ${flags.usb === undefined ? "scan the code `airlock import` shows with `airlock-courier ingest --camera` (or its image)" : "`airlock-courier ingest` of the stick after the vault imported it reads it"}`);
      if (hands && !flags.again && waitingBefore > 0) lines.push(`  handed over before and not handed again: ${plural(waitingBefore, "bundle")} (--again hands them over again, --mark-delivered if the vault has them)`);
      if (dropped > 0) lines.push(`${plural(dropped, "bundle")} awaiting a receipt dropped, the longest-waiting first: more awaited one than the inbound quota allows`);
      this.emit(flags.json, { delivered, left, awaitingReceipt: awaiting.length, ...(dropped > 0 ? { droppedAwaiting: dropped } : {}) }, `${lines.join("\n")}\n`);
    } finally {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      courier.close();
    }
  }
}

/** The served team `name` names: its name (any case), or the start of its id (at least 4 hex digits). */
export function teamNamed(teams: readonly ServedTeam[], name: string): ServedTeam {
  const lower = name.toLowerCase();
  const byName = teams.filter((t) => t.config.name.toLowerCase() === lower);
  const found = byName.length > 0 ? byName : /^[0-9a-f]{4,64}$/.test(lower) ? teams.filter((t) => t.id.startsWith(lower)) : [];
  if (found.length === 1) return found[0]!;
  const known = teams.map((t) => t.config.name).join(", ");
  if (found.length === 0) throw courierError("COURIER_BAD_ARGUMENT", safe`no served team is named ${name} (this courier serves: ${known === "" ? "none" : known})`);
  throw courierError("COURIER_BAD_ARGUMENT", safe`${name} names ${found.length} served teams; give the start of its id instead`);
}

function deliveredLine(delivered: readonly Delivered[], usb: boolean): string {
  const n = plural(delivered.length, "bundle");
  if (delivered.every((d) => d.confirmed)) return `delivered ${n} (marked delivered without a receipt)`;
  return usb ? `wrote ${n} to the stick` : `showed ${n}`;
}
