/**
 * Bitwarden's unencrypted JSON export (https://bitwarden.com/help/export-your-data/,
 * "Bitwarden (json)"; the same shape the importer in bitwarden/clients libs/importer reads):
 *
 *   { "encrypted": false, "folders": [{ "id", "name" }], "collections"?: [{ "id", "name" }],
 *     "items": [{ "type": 1 login | 2 secure note | 3 card | 4 identity | 5 SSH key,
 *                 "name", "notes", "folderId", "collectionIds",
 *                 "fields": [{ "name", "value", "type": 0 text | 1 hidden | 2 boolean | 3 linked }],
 *                 "login": { "username", "password", "totp", "uris": [{ "uri", "match" }] },
 *                 "card" | "identity" | "sshKey" | "secureNote": {...} }] }
 *
 * Kept: name, notes, login username/password/TOTP/URIs, custom fields (hidden stays hidden,
 * booleans become "true"/"false"), the folder and collections as tags, and card, identity and
 * SSH-key details as custom fields (numbers, codes and private keys hidden).
 * Dropped: linked fields (type 3: a pointer to another field, no value), favorite, reprompt,
 * password history, passkeys (fido2Credentials), dates and ids.
 * Encrypted exports (account- or password-protected) are refused: the vault never holds the
 * Bitwarden keys to open them.
 */
import { randomUUID } from "node:crypto";
import { secretsError } from "../errors.js";
import type { SecretField, SecretItem } from "../item.js";
import { checkCount, finishItem, itemName, JsonReader, malformed, parseJson, totpOf } from "./common.js";

const FILE = "the Bitwarden JSON file";

const CARD_FIELDS: readonly [string, string, boolean][] = [
  ["cardholderName", "Cardholder name", false],
  ["brand", "Brand", false],
  ["number", "Number", true],
  ["expMonth", "Expiry month", false],
  ["expYear", "Expiry year", false],
  ["code", "Security code", true],
];
const IDENTITY_FIELDS: readonly [string, string, boolean][] = [
  ["title", "Title", false],
  ["firstName", "First name", false],
  ["middleName", "Middle name", false],
  ["lastName", "Last name", false],
  ["username", "Username", false],
  ["company", "Company", false],
  ["email", "Email", false],
  ["phone", "Phone", false],
  ["address1", "Address 1", false],
  ["address2", "Address 2", false],
  ["address3", "Address 3", false],
  ["city", "City", false],
  ["state", "State", false],
  ["postalCode", "Postal code", false],
  ["country", "Country", false],
  ["ssn", "Social security number", true],
  ["passportNumber", "Passport number", true],
  ["licenseNumber", "License number", true],
];
const SSH_FIELDS: readonly [string, string, boolean][] = [
  ["privateKey", "SSH private key", true],
  ["publicKey", "SSH public key", false],
  ["keyFingerprint", "SSH key fingerprint", false],
];

function namedMap(doc: Record<string, unknown>, key: "folders" | "collections", r: JsonReader): Map<string, string> {
  const out = new Map<string, string>();
  r.arr(doc, key, 100_000).forEach((fRaw, i) => {
    const fr = r.child(`${key}[${i}]`);
    const f = fr.need(fRaw, "");
    const id = fr.str(f, "id");
    const name = fr.str(f, "name");
    if (id === undefined) return fr.fail("id", "is missing");
    out.set(id, name ?? "");
  });
  return out;
}

function detailFields(obj: Record<string, unknown> | undefined, spec: readonly [string, string, boolean][], r: JsonReader): SecretField[] {
  if (obj === undefined) return [];
  const out: SecretField[] = [];
  for (const [key, name, hidden] of spec) {
    const value = r.str(obj, key);
    if (value !== undefined && value !== "") out.push({ name, value, hidden });
  }
  return out;
}

export function importBitwardenJson(text: string): SecretItem[] {
  const doc = parseJson(text, FILE);
  const top = new JsonReader(FILE, "");
  if (!JsonReader.object(doc)) throw malformed(FILE, "is not a Bitwarden export (not a JSON object)");
  if (doc["encrypted"] === true) {
    throw secretsError("SECRETS_IMPORT_UNSUPPORTED", "this Bitwarden export is encrypted (account or password protected); export it again as unencrypted .json");
  }
  if (!Array.isArray(doc["items"])) throw malformed(FILE, "has no items list: not a Bitwarden JSON export");
  const items = doc["items"] as unknown[];
  checkCount(items.length, FILE);
  const folders = namedMap(doc, "folders", top);
  const collections = namedMap(doc, "collections", top);

  return items.map((raw, index) => {
    const title = JsonReader.object(raw) ? raw["name"] : undefined;
    const where = itemName(index, title);
    const r = new JsonReader(where, "");
    const it = r.need(raw, "");
    const type = r.num(it, "type");
    if (type === undefined || ![1, 2, 3, 4, 5].includes(type)) r.fail("type", "is not a Bitwarden item type (1-5)");
    const name = r.str(it, "name") ?? "";

    const tags: string[] = [];
    const folderId = r.str(it, "folderId");
    if (folderId !== undefined) {
      const folder = folders.get(folderId);
      if (folder === undefined) return r.fail("folderId", "names no folder in the file");
      tags.push(folder);
    }
    r.arr(it, "collectionIds", 10_000).forEach((id, i) => {
      if (id === null) return;
      if (typeof id !== "string") return r.fail(`collectionIds[${i}]`, "is not text");
      const c = collections.get(id);
      if (c === undefined) return r.fail(`collectionIds[${i}]`, "names no collection in the file");
      tags.push(c);
    });

    const fields: SecretField[] = [];
    r.arr(it, "fields", 10_000).forEach((fRaw, i) => {
      const fr = r.child(`fields[${i}]`);
      const f = fr.need(fRaw, "");
      const ftype = fr.num(f, "type") ?? 0;
      if (![0, 1, 2, 3].includes(ftype)) fr.fail("type", "is not a Bitwarden field type (0-3)");
      if (ftype === 3) return; // linked: points at another field, holds nothing
      const fname = fr.str(f, "name") ?? "";
      const value = fr.str(f, "value") ?? "";
      if (fname === "" && value === "") return;
      fields.push({ name: fname, value, hidden: ftype === 1 });
    });
    fields.push(...detailFields(r.obj(it, "card"), CARD_FIELDS, r.child("card")));
    fields.push(...detailFields(r.obj(it, "identity"), IDENTITY_FIELDS, r.child("identity")));
    fields.push(...detailFields(r.obj(it, "sshKey"), SSH_FIELDS, r.child("sshKey")));

    const login = r.obj(it, "login");
    const lr = r.child("login");
    const urls: string[] = [];
    let username: string | undefined;
    let password: string | undefined;
    let totp: string | undefined;
    if (login !== undefined) {
      username = lr.str(login, "username");
      password = lr.str(login, "password");
      totp = totpOf(lr.str(login, "totp"), where, "login.totp", name);
      lr.arr(login, "uris", 10_000).forEach((uRaw, i) => {
        const ur = lr.child(`uris[${i}]`);
        const u = ur.need(uRaw, "");
        const uri = ur.str(u, "uri");
        if (uri !== undefined) urls.push(uri);
      });
    }
    return finishItem({ title: name, username, password, urls, notes: r.str(it, "notes"), totp, tags, fields }, where);
  });
}

/**
 * The unencrypted Bitwarden JSON export of `items`. Bitwarden gives an item one folder, so the
 * first tag becomes its folder and further tags are not written. Items with login data are
 * type 1, the rest secure notes (type 2).
 */
export function exportBitwardenJson(items: readonly SecretItem[]): string {
  const folders = new Map<string, string>();
  for (const item of items) {
    const tag = item.tags[0];
    if (tag !== undefined && !folders.has(tag)) folders.set(tag, randomUUID());
  }
  const out = items.map((item) => {
    const isLogin = item.username !== undefined || item.password !== undefined || item.totp !== undefined || item.urls.length > 0;
    const tag = item.tags[0];
    return {
      id: randomUUID(),
      organizationId: null,
      folderId: tag === undefined ? null : folders.get(tag)!,
      type: isLogin ? 1 : 2,
      reprompt: 0,
      name: item.title,
      notes: item.notes ?? null,
      favorite: false,
      fields: item.fields.map((f) => ({ name: f.name, value: f.value, type: f.hidden ? 1 : 0, linkedId: null })),
      ...(isLogin
        ? {
            login: {
              uris: item.urls.map((uri) => ({ match: null, uri })),
              username: item.username ?? null,
              password: item.password ?? null,
              totp: item.totp ?? null,
            },
          }
        : { secureNote: { type: 0 } }),
      collectionIds: null,
    };
  });
  const doc = { encrypted: false, folders: [...folders].map(([name, id]) => ({ id, name })), items: out };
  return JSON.stringify(doc, null, 2) + "\n";
}
