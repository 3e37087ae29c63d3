/**
 * Handing inbound bundles to the offline side: as files in a USB drop folder's airlock/inbox,
 * as folders of QR frame images (plus an HTML animation), or as an animation in this terminal.
 * A bundle is marked delivered once it was written (or shown for its whole loop).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loopLength } from "@airlock/bundle-format";
import { formatProgressLine, plural, prepareDropFolder, qrTransfer, renderQrHtml, showQrInTerminal, writeBundle, writeBundleQrFolder, type TerminalSink } from "@airlock/shared";
import type { Spool, SpoolEntry } from "../spool/index.js";

export interface DeliverOptions {
  readonly progress?: (line: string) => void;
  readonly signal?: AbortSignal;
  /**
   * --usb: bytes written onto the stick at most (default DEFAULT_DELIVER_MAX_BYTES); the first
   * bundle always goes. Anyone holding the transport key can mint bundles with real tags, which
   * only the vault refuses: this keeps a flood of them from filling the vault's stick.
   */
  readonly maxBytes?: number;
}

export const DEFAULT_DELIVER_MAX_BYTES = 64 * 1024 * 1024;

export interface Delivered {
  readonly digest: string;
  readonly team: string | undefined;
  readonly to: string;
  readonly bytes: number;
}

export function pendingInbound(spool: Spool): SpoolEntry[] {
  return spool.list({ direction: "inbound", states: ["pending", "failed"] });
}

export async function deliverUsb(spool: Spool, root: string, options: DeliverOptions = {}): Promise<Delivered[]> {
  const maxBytes = options.maxBytes ?? DEFAULT_DELIVER_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  const folder = await prepareDropFolder(root);
  const out: Delivered[] = [];
  const all = pendingInbound(spool);
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
    spool.markDelivered(entry.digest);
    out.push({ digest: entry.digest, team: entry.team, to: written.path, bytes: bytes.length });
  }
  return out;
}

export async function deliverQrFolder(spool: Spool, dir: string, options: DeliverOptions = {}): Promise<Delivered[]> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out: Delivered[] = [];
  const entries = pendingInbound(spool);
  for (const [i, entry] of entries.entries()) {
    const bytes = spool.get(entry.digest);
    if (bytes === undefined) continue;
    // One folder per bundle, named by its digest prefix: a rerun never mixes two transfers' frames.
    const target = join(dir, `bundle-${entry.digest.slice(0, 16)}`);
    mkdirSync(target, { mode: 0o700 });
    const { files } = await writeBundleQrFolder(target, bytes);
    options.progress?.(`qr: bundle ${i + 1}/${entries.length}: ${files.length} files in ${target}`);
    spool.markDelivered(entry.digest);
    out.push({ digest: entry.digest, team: entry.team, to: target, bytes: bytes.length });
  }
  return out;
}

/** Writes one self-contained HTML animation per bundle: FILE, or FILE-2.html, FILE-3.html, ... */
export function deliverHtml(spool: Spool, file: string, options: DeliverOptions = {}): Delivered[] {
  const out: Delivered[] = [];
  for (const [i, entry] of pendingInbound(spool).entries()) {
    const bytes = spool.get(entry.digest);
    if (bytes === undefined) continue;
    const transfer = qrTransfer(bytes);
    const path = i === 0 ? file : file.replace(/(\.html?)?$/i, `-${i + 1}.html`);
    const html = renderQrHtml(transfer.loop(), { version: transfer.settings.version, level: transfer.settings.level, fps: 8, title: `Airlock transfer ${i + 1}` });
    writeFileSync(path, html, { flag: "wx", mode: 0o600 });
    options.progress?.(`html: ${path}`);
    spool.markDelivered(entry.digest);
    out.push({ digest: entry.digest, team: entry.team, to: path, bytes: bytes.length });
  }
  return out;
}

/** Shows each bundle's animation in the terminal for `loops` passes of its loop. */
export async function deliverShow(spool: Spool, sink: TerminalSink, options: DeliverOptions & { loops?: number; fps?: number } = {}): Promise<Delivered[]> {
  const out: Delivered[] = [];
  const aborted = (): boolean => options.signal?.aborted === true;
  for (const entry of pendingInbound(spool)) {
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
    spool.markDelivered(entry.digest);
    out.push({ digest: entry.digest, team: entry.team, to: "terminal", bytes: bytes.length });
  }
  return out;
}
