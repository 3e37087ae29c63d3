/**
 * After an import, the vault's delivery receipt (docs/receipts.md): which bundles arrived, sealed
 * under the team's receipt key (derived from the transport key), so the team's couriers mark
 * exactly those delivered and stop offering them. It lists every bundle read whole from a QR
 * transfer (images, video, camera), a bundle file or a stick's inbox that is this team's (opened
 * for this vault, or tagged with the team's transport key), whatever the import made of it
 * (applied, held, for other devices, refused): the courier learns which of its bundles arrived,
 * never what the vault thought of them. A stick's outbox (another vault's export) is not listed,
 * nor another team's bundle on a shared stick: its courier could not open this team's receipt.
 *
 * Bundles that came by QR get a receipt code to show (at most MAX_QR_RECEIPT_IDS ids per code),
 * listing the whole import; a stick the import read bundles from gets a receipt file in
 * airlock/receipts/ listing that stick's inbox only, so the courier that wrote them can settle
 * and remove it. A receipt holds no secret: it is shown and written as is.
 */
import { writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { inspectBundle } from "@airlock/bundle-format";
import {
  describeError,
  MAX_QR_RECEIPT_IDS,
  MAX_RECEIPT_IDS,
  receiptSymbol,
  ReceiptKey,
  renderReceiptPng,
  renderReceiptTerminal,
  writeReceiptFile,
  type ReceiptSymbol,
  type TransportKey,
} from "@airlock/shared";
import type { Vault } from "./vault.js";

/** One bundle the import read whole. */
export interface ArrivedBundle {
  /** Its receipt id: the first 16 hex digits of the SHA-256 of its bytes (receiptIdOf). */
  readonly id: string;
  /** The file it was read from on a stick (`<root>/airlock/<box>/<name>`), if it came from one. */
  readonly stickFile?: string;
  /** It opened for this vault (addressed to this device by a teammate). */
  readonly opened?: boolean;
  /** Its header's mailbox tag (mailboxTagOf), when it did not open here. */
  readonly tag?: Uint8Array;
}

/**
 * Epochs back a bundle's tag is looked for: the courier takes tags up to 14 epochs old and keeps
 * a bundle up to 30 days, and 30 more once handed over; a vault may import a stick later still.
 */
export const RECEIPT_TAG_EPOCHS_BACK = 120;

/** A bundle's mailbox tag (a copy, the bundle's bytes are not kept); undefined when it is not a bundle. */
export function mailboxTagOf(bytes: Uint8Array): Uint8Array | undefined {
  try {
    return inspectBundle(bytes, bytes.length).mailboxTag.slice();
  } catch {
    return undefined; // refused by the import already
  }
}

/** Whether a bundle that did not open here carries this team's tag (the courier's own test, docs/transport-key.md). */
function teamTagged(tk: TransportKey, tag: Uint8Array | undefined, nowMs: number): boolean {
  return tag !== undefined && tk.classify(tag, tk.epochAt(nowMs), { past: RECEIPT_TAG_EPOCHS_BACK, future: 2 }) !== undefined;
}

export interface IssuedReceipts {
  /** Bundle ids the receipts list. */
  readonly listed: number;
  /** Codes to show, when some bundle came by QR or as a file (each one QR code). */
  readonly codes: readonly { readonly receipt: Uint8Array; readonly symbol: ReceiptSymbol }[];
  /** Receipt files written onto sticks, and the sticks that could not take one. */
  readonly files: readonly string[];
  readonly failed: readonly { readonly stick: string; readonly code: string; readonly message: string }[];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Seals the receipts for `arrived` and writes the stick ones; undefined when nothing arrived or
 * the vault is in no team (it holds no transport key).
 */
export async function issueReceipts(vault: Vault, arrived: readonly ArrivedBundle[]): Promise<IssuedReceipts | undefined> {
  const tk = vault.transportKey();
  if (tk === undefined) return undefined;
  const timeMs = Date.now();
  let listed: ArrivedBundle[];
  let key: ReceiptKey;
  try {
    listed = arrived.filter((a) => (a.stickFile === undefined || basename(dirname(a.stickFile)) === "inbox") && (a.opened === true || teamTagged(tk, a.tag, timeMs)));
    if (listed.length === 0) return undefined;
    key = ReceiptKey.of(tk);
  } finally {
    tk.wipe();
  }
  const ids = [...new Set(listed.map((a) => a.id))].sort();
  try {
    // The code lists everything this import read (by QR, a file or a stick): scanned, it also confirms what came on a stick.
    const byQr = listed.some((a) => a.stickFile === undefined);
    const codes = byQr
      ? chunks(ids, MAX_QR_RECEIPT_IDS).map((part) => {
          const receipt = key.seal({ timeMs, ids: part });
          return { receipt, symbol: receiptSymbol(receipt) };
        })
      : [];
    const airlockOf = (file: string): string => dirname(dirname(file));
    const stickOf = (a: ArrivedBundle): string | undefined => (a.stickFile === undefined || basename(airlockOf(a.stickFile)) !== "airlock" ? undefined : dirname(airlockOf(a.stickFile)));
    const sticks = [...new Set(listed.flatMap((a) => stickOf(a) ?? []))];
    const files: string[] = [];
    const failed: { stick: string; code: string; message: string }[] = [];
    for (const stick of sticks) {
      // A stick's receipt lists that stick's bundles only: the courier that wrote them can then see
      // every one of them delivered and remove the file (docs/receipts.md, "On a stick").
      const own = [...new Set(listed.filter((a) => stickOf(a) === stick).map((a) => a.id))].sort();
      try {
        for (const part of chunks(own, MAX_RECEIPT_IDS)) files.push(await writeReceiptFile(stick, key.seal({ timeMs, ids: part })));
      } catch (e) {
        // The import itself succeeded; the courier keeps offering these until a receipt reaches it.
        const { code, message } = describeError(e);
        failed.push({ stick, code, message });
      }
    }
    return { listed: ids.length, codes, files, failed };
  } finally {
    key.wipe();
  }
}

export interface ReceiptOutput {
  /** Lines for people: what was issued, each code drawn in the terminal, stick files, failures. */
  readonly lines: string[];
  /** For --json: the receipts themselves (hex; they hold no secret) and where they went. */
  readonly json: { listed: number; codes: { receipt: string; version: number; level: string }[]; files: string[]; png: string[]; failed: IssuedReceipts["failed"] } | undefined;
}

/** How `airlock import` reports its receipts; with `png` each code is also written as an image (FILE, FILE-2.png, …). */
export function receiptOutput(issued: IssuedReceipts | undefined, png?: string): ReceiptOutput {
  if (issued === undefined) return { lines: [], json: undefined };
  const lines: string[] = [];
  const pngs: string[] = [];
  issued.codes.forEach(({ symbol }, i) => {
    const n = issued.codes.length;
    lines.push(`Receipt for the courier${n > 1 ? ` (${i + 1} of ${n})` : ""}, ${issued.listed} bundle(s): let airlock-courier ingest --camera read this code.`);
    lines.push(...renderReceiptTerminal(symbol).replace(/\n$/, "").split("\n"));
    if (png !== undefined) {
      const path = i === 0 ? png : png.replace(/(\.png)?$/i, `-${i + 1}.png`);
      writeFileSync(path, renderReceiptPng(symbol), { mode: 0o600 });
      pngs.push(path);
      lines.push(`Receipt code written to ${path}.`);
    }
  });
  for (const f of issued.files) lines.push(`Receipt written to the stick: ${f} (the courier's next ingest of the stick reads it).`);
  for (const f of issued.failed) lines.push(`  ! no receipt on ${f.stick}: ${f.message} (${f.code}); the courier keeps offering these bundles until a receipt reaches it`);
  const json = {
    listed: issued.listed,
    codes: issued.codes.map(({ receipt, symbol }) => ({ receipt: Buffer.from(receipt).toString("hex"), version: symbol.version, level: symbol.level })),
    files: [...issued.files],
    png: pngs,
    failed: issued.failed,
  };
  return { lines, json };
}
