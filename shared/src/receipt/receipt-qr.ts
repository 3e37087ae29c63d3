/**
 * A receipt as one QR code (docs/receipts.md, "As a QR code"): a one-frame transfer of the QR frame
 * format (docs/qr-frames.md, K = 1), so every reader that takes bundles by QR (images, videos, a
 * camera) reads a receipt too, in the smallest symbol that holds it at level L. A receipt is shown
 * still on a screen, not printed nor moving, and its frame CRC and Poly1305 tag catch a misread:
 * level L's 7% recovery is enough and keeps a receipt of 8 bundles inside an 80x24 terminal.
 */
import { FountainEncoder, FRAME_HEADER_LENGTH } from "@airlock/bundle-format";
import { qrCapacity } from "../qr/capacity.js";
import { renderQrPng } from "../qr/render-png.js";
import { qrTerminalColumns, renderQrTerminal } from "../qr/render-terminal.js";
import type { QrErrorCorrection } from "../qr/types.js";
import { parseReceiptFrame } from "./format.js";

export const RECEIPT_QR_LEVEL: QrErrorCorrection = "L";
/** Ids per receipt a vault shows as one code: 32 fit a version 12 symbol, 69 columns of an 80-column terminal. */
export const MAX_QR_RECEIPT_IDS = 32;

export interface ReceiptSymbol {
  /** The one QR payload: a frame header and the receipt. */
  readonly payload: Uint8Array;
  readonly version: number;
  readonly level: QrErrorCorrection;
  /** Terminal columns (and twice the rows) it takes with a 2-module quiet zone. */
  readonly columns: number;
}

/** The smallest symbol that carries `receipt` as one frame; a receipt too large for any is a RangeError. */
export function receiptSymbol(receipt: Uint8Array, transferId?: number): ReceiptSymbol {
  parseReceiptFrame(receipt); // a caller bug shows here, not as a code nobody can read
  const length = FRAME_HEADER_LENGTH + receipt.length;
  for (let version = 1; version <= 40; version++) {
    if (qrCapacity(version, RECEIPT_QR_LEVEL, "byte") < length) continue;
    const encoder = new FountainEncoder(receipt, { fragmentLength: receipt.length, ...(transferId === undefined ? {} : { transferId }) });
    return { payload: encoder.frame(0), version, level: RECEIPT_QR_LEVEL, columns: qrTerminalColumns(version) };
  }
  throw new RangeError(`a ${receipt.length}-byte receipt does not fit one QR code; issue receipts of at most ${MAX_QR_RECEIPT_IDS} ids for QR`);
}

export function renderReceiptTerminal(symbol: ReceiptSymbol): string {
  return renderQrTerminal(symbol.payload, { version: symbol.version, level: symbol.level });
}

export function renderReceiptPng(symbol: ReceiptSymbol, scale = 6): Uint8Array {
  return renderQrPng(symbol.payload, { version: symbol.version, level: symbol.level, scale });
}
