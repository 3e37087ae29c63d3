/**
 * Handing inbound bundles to the offline side: as files in a USB drop folder's airlock/inbox,
 * as folders of QR frame images (plus an HTML animation), or as an animation in this terminal.
 * A bundle handed over stays pending, marked as shown (or written to a stick), until the vault's
 * receipt names it (receipts.ts; docs/receipts.md) or `--mark-delivered` says so. Each delivery
 * hands over only what was never handed before, so a vault that returns no receipts does not get
 * the same bundles again and again; `again` hands over what awaits a receipt too (a failed scan,
 * a lost stick), and `status` tells what the vault has not confirmed.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loopLength } from "@airlock/bundle-format";
import { errnoCode, formatProgressLine, plural, prepareDropFolder, qrTransfer, renderQrHtml, showQrInTerminal, writeBundle, writeBundleQrFolder, type TerminalSink } from "@airlock/shared";
import { courierError } from "../errors.js";
import type { HandoffVia, Spool, SpoolEntry } from "../spool/index.js";

export interface DeliverOptions {
  readonly progress?: (line: string) => void;
  readonly signal?: AbortSignal;
  /**
   * --usb: bytes written onto the stick at most (default DEFAULT_DELIVER_MAX_BYTES); the first
   * bundle always goes. Anyone holding the transport key can mint bundles with real tags, which
   * only the vault refuses: this keeps a flood of them from filling the vault's stick.
   */
  readonly maxBytes?: number;
  /** Mark what this run hands over delivered at once instead of waiting for a receipt (`--mark-delivered`). */
  readonly markDelivered?: boolean;
  /** Also hand over again the bundles handed before and not yet confirmed (a failed scan, a lost stick). */
  readonly again?: boolean;
  /** Only this served team's bundles (64 hex digits): a courier feeding the vaults of several teams. */
  readonly team?: string;
}

export const DEFAULT_DELIVER_MAX_BYTES = 64 * 1024 * 1024;

export interface Delivered {
  readonly digest: string;
  readonly team: string | undefined;
  readonly to: string;
  readonly bytes: number;
  /** True when marked delivered now (`--mark-delivered`); false while it waits for the vault's receipt. */
  readonly confirmed: boolean;
}

/** Inbound bundles the vault has not confirmed (of `team`, if given): never handed over, or handed over and awaiting a receipt. */
export function pendingInbound(spool: Spool, team?: string): SpoolEntry[] {
  return spool.list({ direction: "inbound", states: ["pending", "failed"], ...(team === undefined ? {} : { team }) });
}

/** Inbound bundles shown or written for the vault whose receipt has not come back. */
export function awaitingReceipt(spool: Spool, team?: string): SpoolEntry[] {
  return pendingInbound(spool, team).filter((e) => e.handedAt !== undefined);
}

/** What one delivery hands over: never handed before, or with `again` also what awaits a receipt. */
function toHand(spool: Spool, options: DeliverOptions): SpoolEntry[] {
  return pendingInbound(spool, options.team).filter((e) => options.again === true || e.handedAt === undefined);
}

/** After a bundle went out: awaiting a receipt, or delivered at once with `markDelivered`. */
function handedOver(spool: Spool, entry: SpoolEntry, via: HandoffVia, to: string, bytes: number, options: DeliverOptions): Delivered {
  if (options.markDelivered === true) spool.markDelivered(entry.digest);
  else spool.markHanded(entry.digest, via);
  return { digest: entry.digest, team: entry.team, to, bytes, confirmed: options.markDelivered === true };
}

/** `deliver --mark-delivered` on its own: every bundle awaiting a receipt is marked delivered without one. */
export function markAwaitingDelivered(spool: Spool, team?: string): Delivered[] {
  return awaitingReceipt(spool, team).map((entry) => {
    spool.markDelivered(entry.digest);
    return { digest: entry.digest, team: entry.team, to: entry.handedVia ?? "qr", bytes: entry.length, confirmed: true };
  });
}

export async function deliverUsb(spool: Spool, root: string, options: DeliverOptions = {}): Promise<Delivered[]> {
  const maxBytes = options.maxBytes ?? DEFAULT_DELIVER_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  const folder = await prepareDropFolder(root);
  const out: Delivered[] = [];
  const all = toHand(spool, options);
  let total = 0;
  const entries = all.filter((e) => {
    total += e.length;
    return total === e.length || total <= maxBytes;
  });
  if (entries.length < all.length) options.progress?.(`usb: ${plural(all.length - entries.length, "bundle")} left for the next delivery (at most ${maxBytes} bytes per delivery)`);
  for (const [i, entry] of entries.entries()) {
    const bytes = spool.get(entry.digest);
    if (bytes === undefined) continue;
    const written = await writeBundle(folder.inbox, bytes, {
      onProgress: (p) => options.progress?.(`usb: bundle ${i + 1}/${entries.length}, ${p.written}/${p.total} bytes`),
    });
    out.push(handedOver(spool, entry, "usb", written.path, bytes.length, options));
  }
  return out;
}

export async function deliverQrFolder(spool: Spool, dir: string, options: DeliverOptions = {}): Promise<Delivered[]> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out: Delivered[] = [];
  const entries = toHand(spool, options);
  for (const [i, entry] of entries.entries()) {
    const bytes = spool.get(entry.digest);
    if (bytes === undefined) continue;
    // One folder per bundle, named by its digest prefix: a rerun never mixes two transfers' frames.
    // A second showing of the same bundle gets a folder of its own.
    let target = join(dir, `bundle-${entry.digest.slice(0, 16)}`);
    for (let n = 2; existsSync(target); n++) target = join(dir, `bundle-${entry.digest.slice(0, 16)}-${n}`);
    mkdirSync(target, { mode: 0o700 });
    const { files } = await writeBundleQrFolder(target, bytes);
    options.progress?.(`qr: bundle ${i + 1}/${entries.length}: ${files.length} files in ${target}`);
    out.push(handedOver(spool, entry, "qr", target, bytes.length, options));
  }
  return out;
}

/** Writes one self-contained HTML animation per bundle: FILE, or FILE-2.html, FILE-3.html, ... */
export function deliverHtml(spool: Spool, file: string, options: DeliverOptions = {}): Delivered[] {
  const out: Delivered[] = [];
  for (const [i, entry] of toHand(spool, options).entries()) {
    const bytes = spool.get(entry.digest);
    if (bytes === undefined) continue;
    const transfer = qrTransfer(bytes);
    const path = i === 0 ? file : file.replace(/(\.html?)?$/i, `-${i + 1}.html`);
    const html = renderQrHtml(transfer.loop(), { version: transfer.settings.version, level: transfer.settings.level, fps: 8, title: `Airlock transfer ${i + 1}` });
    try {
      writeFileSync(path, html, { flag: "wx", mode: 0o600 });
    } catch (e) {
      // A repeated --html (the scan failed) names a new page rather than replacing one being shown.
      if (errnoCode(e) === "EEXIST") throw courierError("COURIER_BAD_ARGUMENT", `${path} exists already; name another file for this showing`);
      throw e;
    }
    options.progress?.(`html: ${path}`);
    out.push(handedOver(spool, entry, "qr", path, bytes.length, options));
  }
  return out;
}

/** Shows each bundle's animation in the terminal for `loops` passes of its loop. */
export async function deliverShow(spool: Spool, sink: TerminalSink, options: DeliverOptions & { loops?: number; fps?: number } = {}): Promise<Delivered[]> {
  const out: Delivered[] = [];
  const aborted = (): boolean => options.signal?.aborted === true;
  for (const entry of toHand(spool, options)) {
    const bytes = spool.get(entry.digest);
    if (bytes === undefined || aborted()) break;
    const transfer = qrTransfer(bytes);
    const maxFrames = loopLength(transfer.blocks) * (options.loops ?? 2);
    await showQrInTerminal(transfer, sink, {
      maxFrames,
      ...(options.fps === undefined ? {} : { fps: options.fps }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onProgress: (s) => options.progress?.(formatProgressLine(s)),
    });
    if (aborted()) break;
    out.push(handedOver(spool, entry, "qr", "terminal", bytes.length, options));
  }
  return out;
}
