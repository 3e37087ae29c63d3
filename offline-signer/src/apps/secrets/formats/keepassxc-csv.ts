/**
 * KeePassXC's CSV export (Database > Export > CSV File). The columns, in order, are those
 * CsvExporter::exportHeader writes in keepassxreboot/keepassxc src/format/CsvExporter.cpp
 * (2.7.x):
 *
 *   "Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"
 *
 * every cell quoted, '"' doubled, one entry per line (multi-line notes stay inside quotes).
 * Older releases wrote only the first six. "Group" is the group path from the root, joined by
 * "/" ("Root/Email/Work"); "TOTP" is the entry's otpauth:// URI (Totp::writeSettings with
 * forceOtp), empty without one.
 *
 * Kept: title, username, password, URL, notes, TOTP, the group path below the root as a tag.
 * Dropped on import: icon and dates. On export, the format has no place for custom fields,
 * tags after the first, or URLs after the first: they are not written.
 */
import { stringify } from "csv-stringify/sync";
import type { SecretItem } from "../item.js";
import { finishItem, totpOf } from "./common.js";
import { readCsv } from "./csv.js";

const FILE = "the KeePassXC CSV file";
export const KEEPASSXC_COLUMNS = ["Group", "Title", "Username", "Password", "URL", "Notes", "TOTP", "Icon", "Last Modified", "Created"] as const;
const REQUIRED = ["Group", "Title", "Username", "Password", "URL", "Notes"] as const;
/** The root group's name in what we write; on import the first path segment is dropped, whatever it is. */
const ROOT = "Root";

export function importKeepassxcCsv(text: string): SecretItem[] {
  const rows = readCsv(text, FILE, KEEPASSXC_COLUMNS, REQUIRED);
  return rows.map(({ line, cells }) => {
    const where = `${FILE}, line ${line}`;
    const cell = (k: string): string => cells.get(k) ?? "";
    const title = cell("Title");
    const group = cell("Group").split("/").slice(1).join("/");
    return finishItem(
      {
        title,
        username: cell("Username"),
        password: cell("Password"),
        urls: [cell("URL")],
        notes: cell("Notes"),
        totp: totpOf(cell("TOTP"), where, "TOTP", title),
        tags: [group],
      },
      where,
    );
  });
}

export function exportKeepassxcCsv(items: readonly SecretItem[]): string {
  const rows = items.map((item) => [
    item.tags[0] === undefined ? ROOT : `${ROOT}/${item.tags[0]}`,
    item.title,
    item.username ?? "",
    item.password ?? "",
    item.urls[0] ?? "",
    item.notes ?? "",
    item.totp ?? "",
    "0",
    "",
    "",
  ]);
  return stringify([[...KEEPASSXC_COLUMNS], ...rows], { quoted: true, quoted_empty: true, record_delimiter: "\n" });
}
