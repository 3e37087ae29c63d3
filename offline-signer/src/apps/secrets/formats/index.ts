/**
 * Import and export of password-manager files: pure functions over bytes. An import is all or
 * nothing: the first bad entry throws (SECRETS_IMPORT_MALFORMED naming the line, item or entry
 * and the field) and no item is returned. Mappings per format: docs/apps-secrets-formats.md.
 */
import { checkItem, type SecretItem } from "../item.js";
import { exportBitwardenJson, importBitwardenJson } from "./bitwarden-json.js";
import { importBitwardenCsv } from "./bitwarden-csv.js";
import { checkSize, decodeUtf8, IMPORT_LIMITS } from "./common.js";
import { importKdbx } from "./kdbx.js";
import { exportKeepassxcCsv, importKeepassxcCsv } from "./keepassxc-csv.js";
import { import1pux } from "./onepux.js";

export const IMPORT_FORMATS = ["bitwarden-json", "bitwarden-csv", "keepassxc-csv", "kdbx", "1pux"] as const;
export const EXPORT_FORMATS = ["bitwarden-json", "keepassxc-csv"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ImportOptions {
  /** The KeePass database password, as UTF-8 bytes (kdbx only). */
  readonly password?: Uint8Array;
}

export { IMPORT_LIMITS };

export async function importSecrets(bytes: Uint8Array, format: ImportFormat, options: ImportOptions = {}): Promise<SecretItem[]> {
  checkSize(bytes, IMPORT_LIMITS.bytes, "the file");
  switch (format) {
    case "bitwarden-json":
      return importBitwardenJson(decodeUtf8(bytes, "the Bitwarden JSON file"));
    case "bitwarden-csv":
      return importBitwardenCsv(decodeUtf8(bytes, "the Bitwarden CSV file"));
    case "keepassxc-csv":
      return importKeepassxcCsv(decodeUtf8(bytes, "the KeePassXC CSV file"));
    case "kdbx":
      return importKdbx(bytes, options.password);
    case "1pux":
      return import1pux(bytes);
    default:
      throw new RangeError(`"format" expected one of ${IMPORT_FORMATS.join(", ")}`);
  }
}

/** UTF-8 bytes of `items` in `format`; every item is checked first, so nothing unstorable is written. */
export function exportSecrets(items: readonly SecretItem[], format: ExportFormat): Uint8Array {
  items.forEach((item, i) => checkItem(item, `item ${i + 1}`));
  switch (format) {
    case "bitwarden-json":
      return new TextEncoder().encode(exportBitwardenJson(items));
    case "keepassxc-csv":
      return new TextEncoder().encode(exportKeepassxcCsv(items));
    default:
      throw new RangeError(`"format" expected one of ${EXPORT_FORMATS.join(", ")}`);
  }
}
