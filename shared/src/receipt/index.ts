/** Delivery receipts: a vault tells its courier which bundles arrived (docs/receipts.md). */
export {
  RECEIPT_ERROR_CODES,
  RECEIPT_ID_LENGTH,
  MAX_RECEIPT_IDS,
  MIN_RECEIPT_LENGTH,
  MAX_RECEIPT_LENGTH,
  looksLikeReceipt,
  parseReceiptFrame,
  receiptIdOf,
  receiptLength,
  slotsFor,
  type ReceiptContent,
  type ReceiptErrorCode,
} from "./format.js";
export { ReceiptKey, openReceipt, type OpenedReceipt } from "./receipt-key.js";
export { MAX_QR_RECEIPT_IDS, RECEIPT_QR_LEVEL, receiptSymbol, renderReceiptPng, renderReceiptTerminal, type ReceiptSymbol } from "./receipt-qr.js";
export {
  MAX_RECEIPT_ENTRIES,
  MAX_RECEIPT_FILES,
  RECEIPTS_FOLDER,
  RECEIPT_EXTENSION,
  readReceiptFiles,
  receiptsFolderOf,
  removeReceiptFile,
  writeReceiptFile,
  type ReceiptFile,
  type ReceiptFileEvent,
} from "./receipt-files.js";
