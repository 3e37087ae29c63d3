/**
 * Bitwarden's CSV export (https://bitwarden.com/help/condition-bitwarden-import/, "Bitwarden
 * (csv)"): a personal vault writes
 *
 *   folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp
 *
 * and an organization vault `collections` in place of `folder` (and no `favorite`). `type` is
 * "login" or "note". `fields` holds one "name: value" per line; `login_uri` and `collections`
 * are themselves comma-separated CSV rows.
 *
 * Kept: name, notes, username, password, TOTP, every URI, the folder or collections as tags,
 * custom fields (as visible text: the CSV does not say which were hidden).
 * Dropped: favorite and reprompt. Bitwarden's CSV carries no cards, identities or SSH keys.
 * A field line is split at the first ": " (Bitwarden's reader takes the last, which cuts values
 * that contain ": "); a line without ": " continues the previous field's value, as a multi-line
 * value exported by Bitwarden reads back.
 */
import type { SecretField, SecretItem } from "../item.js";
import { finishItem, malformed, totpOf } from "./common.js";
import { readCsv, splitCsvCell } from "./csv.js";

const FILE = "the Bitwarden CSV file";
const KNOWN = [
  "folder",
  "collections",
  "favorite",
  "type",
  "name",
  "notes",
  "fields",
  "reprompt",
  "login_uri",
  "login_username",
  "login_password",
  "login_totp",
] as const;
const REQUIRED = ["type", "name", "notes", "fields", "login_uri", "login_username", "login_password", "login_totp"] as const;

function parseFields(cell: string, where: string): SecretField[] {
  const out: { name: string; value: string }[] = [];
  for (const line of cell.split(/\r?\n/)) {
    const at = line.indexOf(": ");
    if (at < 0) {
      const last = out.at(-1);
      if (last === undefined) {
        if (line.trim() === "") continue;
        throw malformed(where, 'fields: a line is not "name: value"');
      }
      last.value += `\n${line}`;
      continue;
    }
    out.push({ name: line.slice(0, at), value: line.slice(at + 2) });
  }
  return out.map((f) => ({ name: f.name, value: f.value, hidden: false }));
}

export function importBitwardenCsv(text: string): SecretItem[] {
  const rows = readCsv(text, FILE, KNOWN, REQUIRED);
  return rows.map(({ line, cells }) => {
    const where = `${FILE}, line ${line}`;
    const cell = (k: string): string => cells.get(k) ?? "";
    const type = cell("type").trim().toLowerCase();
    if (type !== "login" && type !== "note") throw malformed(where, `type is neither "login" nor "note"`);
    const name = cell("name");
    const tags = cells.has("collections") ? splitCsvCell(cell("collections")) : [cell("folder")];
    const isLogin = type === "login";
    return finishItem(
      {
        title: name,
        notes: cell("notes"),
        tags,
        fields: parseFields(cell("fields"), where),
        username: isLogin ? cell("login_username") : undefined,
        password: isLogin ? cell("login_password") : undefined,
        urls: isLogin ? splitCsvCell(cell("login_uri")) : [],
        totp: isLogin ? totpOf(cell("login_totp"), where, "login_totp", name) : undefined,
      },
      where,
    );
  });
}
