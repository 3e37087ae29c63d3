/**
 * 1Password's 1PUX export (https://support.1password.com/1pux-format/): a zip holding
 * `export.attributes`, `export.data` (JSON) and `files/` (attachments). `export.data` is
 *
 *   { "accounts": [{ "attrs": {...}, "vaults": [{ "attrs": { "name", ... }, "items": [{
 *       "uuid", "categoryUuid" ("001" login, "005" password, ...), "state",
 *       "overview": { "title", "url", "urls": [{ "label", "url" }], "tags": [...] },
 *       "details": { "loginFields": [{ "value", "name", "fieldType", "designation" }],
 *                    "notesPlain", "password",
 *                    "sections": [{ "title", "fields": [{ "title", "id", "value": { <kind>: ... } }] }] } }] }] }] }
 *
 * Kept: title, every URL, tags, notes, the login fields designated username and password
 * (other login fields become custom fields, type "P" hidden), the password of Password items,
 * and section fields as custom fields named "<section>: <field>". A section field whose value
 * is `totp` is the item's TOTP (a second one stays a hidden custom field); `concealed`,
 * credit-card numbers and SSH private keys are hidden; dates become ISO dates, monthYear
 * YYYY-MM, addresses one line, emails their address.
 * Dropped: attachments and documents (files/), password history, favourites, category,
 * vault and account names, references to other items, field kinds this reader does not know.
 *
 * The zip is read by streaming (fflate Unzip) in 16 KiB pieces so a zip bomb costs at most one
 * piece's inflation beyond the bound before it is refused: only `export.data` is inflated, to at
 * most IMPORT_LIMITS.onepuxDataBytes.
 */
import { Unzip, UnzipInflate, type UnzipFile } from "fflate";
import type { SecretField, SecretItem } from "../item.js";
import { checkCount, decodeUtf8, finishItem, IMPORT_LIMITS, itemName, JsonReader, malformed, parseJson, totpOf } from "./common.js";

const FILE = "the 1PUX file";
const DATA = "export.data";
const PIECE = 16 * 1024;

/** The inflated bytes of `export.data`, at most `limit`; anything odd about the zip is refused. */
export function readExportData(zip: Uint8Array, limit: number = IMPORT_LIMITS.onepuxDataBytes): Uint8Array {
  let problem: string | undefined;
  let entries = 0;
  let found = false;
  let total = 0;
  let done = false;
  const chunks: Uint8Array[] = [];
  const unzip = new Unzip((file: UnzipFile) => {
    entries++;
    if (entries > IMPORT_LIMITS.zipEntries) problem ??= `lists more than ${IMPORT_LIMITS.zipEntries} files`;
    if (file.name !== DATA) return; // attachments are never inflated
    if (found) {
      problem ??= `holds ${DATA} twice`;
      return;
    }
    found = true;
    if (file.originalSize !== undefined && file.originalSize > limit) {
      problem ??= `declares a ${DATA} of ${file.originalSize} bytes; at most ${limit} are read`;
      return;
    }
    file.ondata = (err, chunk, final) => {
      if (err !== null) {
        problem ??= `holds a damaged ${DATA} (${err.message})`;
        return;
      }
      total += chunk.length;
      if (total > limit) {
        problem ??= `inflates ${DATA} past ${limit} bytes`;
        file.terminate();
        return;
      }
      chunks.push(chunk);
      if (final) done = true;
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let off = 0; off < zip.length && problem === undefined; off += PIECE) {
      unzip.push(zip.subarray(off, off + PIECE), off + PIECE >= zip.length);
    }
  } catch (e) {
    problem ??= `is not a readable zip (${(e as Error).message})`;
  }
  if (problem !== undefined) throw malformed(FILE, problem);
  if (!found) throw malformed(FILE, `has no ${DATA}: not a 1Password 1PUX export`);
  if (!done) throw malformed(FILE, `ends inside ${DATA} (truncated)`);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function sectionValue(value: Record<string, unknown>, r: JsonReader): { text: string; hidden: boolean; totp: boolean } | undefined {
  const kinds = Object.keys(value);
  if (kinds.length === 0) return undefined;
  const kind = kinds[0]!;
  const v = value[kind];
  if (v === null || v === undefined || v === "") return undefined;
  switch (kind) {
    case "totp":
    case "string":
    case "url":
    case "phone":
    case "menu":
    case "gender":
    case "creditCardType":
    case "concealed":
    case "creditCardNumber": {
      const text = r.str(value, kind)!;
      return { text, hidden: kind === "concealed" || kind === "creditCardNumber", totp: kind === "totp" };
    }
    case "email": {
      const email = r.obj(value, "email");
      const address = email === undefined ? undefined : r.child("email").str(email, "email_address");
      return address === undefined || address === "" ? undefined : { text: address, hidden: false, totp: false };
    }
    case "date": {
      const secs = r.num(value, "date")!;
      const d = new Date(secs * 1000);
      if (Number.isNaN(d.getTime())) r.fail("date", "is not a date");
      return { text: d.toISOString().slice(0, 10), hidden: false, totp: false };
    }
    case "monthYear": {
      const n = r.num(value, "monthYear")!;
      if (!Number.isInteger(n) || n < 0 || n > 999_999) r.fail("monthYear", "is not YYYYMM");
      const s = String(n).padStart(6, "0");
      return { text: `${s.slice(0, 4)}-${s.slice(4)}`, hidden: false, totp: false };
    }
    case "address": {
      const a = r.obj(value, "address")!;
      const ar = r.child("address");
      const parts = ["street", "city", "zip", "state", "country"].map((k) => ar.str(a, k) ?? "").filter((p) => p !== "");
      return parts.length === 0 ? undefined : { text: parts.join(", "), hidden: false, totp: false };
    }
    case "sshKey": {
      const k = r.obj(value, "sshKey")!;
      const kr = r.child("sshKey");
      const meta = kr.obj(k, "metadata");
      const key = (meta === undefined ? undefined : kr.child("metadata").str(meta, "privateKey")) ?? kr.str(k, "privateKey");
      return key === undefined || key === "" ? undefined : { text: key, hidden: true, totp: false };
    }
    default:
      return undefined; // reference, file and kinds added after this reader
  }
}

function mapItem(raw: unknown, index: number): SecretItem {
  const overviewTitle = JsonReader.object(raw) && JsonReader.object(raw["overview"]) ? raw["overview"]["title"] : undefined;
  const where = itemName(index, overviewTitle);
  const r = new JsonReader(where, "");
  const item = r.need(raw, "");
  const overview = r.obj(item, "overview") ?? {};
  const details = r.obj(item, "details") ?? {};
  const or = r.child("overview");
  const dr = r.child("details");
  const title = or.str(overview, "title") ?? "";

  const urls: string[] = [];
  or.arr(overview, "urls", 10_000).forEach((uRaw, i) => {
    const ur = or.child(`urls[${i}]`);
    const u = ur.need(uRaw, "");
    const url = ur.str(u, "url");
    if (url !== undefined) urls.push(url);
  });
  const mainUrl = or.str(overview, "url");
  if (mainUrl !== undefined && !urls.includes(mainUrl)) urls.unshift(mainUrl);
  const tags = or.arr(overview, "tags", 10_000).map((t, i) => {
    if (typeof t !== "string") return or.fail(`tags[${i}]`, "is not text");
    return t;
  });

  let username: string | undefined;
  let password: string | undefined;
  let totp: string | undefined;
  const fields: SecretField[] = [];
  dr.arr(details, "loginFields", 10_000).forEach((fRaw, i) => {
    const fr = dr.child(`loginFields[${i}]`);
    if (fRaw === null) return;
    const f = fr.need(fRaw, "");
    const rawValue = f["value"];
    // Linked-account values arrive as { email_address } or { string } objects.
    const value = JsonReader.object(rawValue)
      ? (fr.child("value").str(rawValue, "email_address") ?? fr.child("value").str(rawValue, "string") ?? "")
      : (fr.str(f, "value") ?? "");
    const designation = fr.str(f, "designation");
    if (designation === "username" && username === undefined && value !== "") username = value;
    else if (designation === "password" && password === undefined && value !== "") password = value;
    else if (value !== "") {
      const fieldType = fr.str(f, "fieldType");
      fields.push({ name: fr.str(f, "name") ?? "", value, hidden: fieldType === "P" });
    }
  });
  const detailPassword = dr.str(details, "password");
  if (detailPassword !== undefined && detailPassword !== "") {
    if (password === undefined) password = detailPassword;
    else if (password !== detailPassword) fields.push({ name: "password", value: detailPassword, hidden: true });
  }

  dr.arr(details, "sections", 10_000).forEach((sRaw, si) => {
    const sr = dr.child(`sections[${si}]`);
    if (sRaw === null) return;
    const s = sr.need(sRaw, "");
    const sectionTitle = sr.str(s, "title") ?? "";
    sr.arr(s, "fields", 10_000).forEach((fRaw, fi) => {
      const fr = sr.child(`fields[${fi}]`);
      const f = fr.need(fRaw, "");
      const value = fr.obj(f, "value");
      if (value === undefined) return;
      const v = sectionValue(value, fr.child("value"));
      if (v === undefined) return;
      const fieldTitle = fr.str(f, "title") ?? fr.str(f, "id") ?? "";
      const name = sectionTitle === "" ? fieldTitle : fieldTitle === "" ? sectionTitle : `${sectionTitle}: ${fieldTitle}`;
      if (v.totp) {
        const canonical = totpOf(v.text, where, `${sr.path}.fields[${fi}].value.totp`, title);
        if (totp === undefined) totp = canonical;
        else if (canonical !== totp) fields.push({ name: name === "" ? "one-time password" : name, value: canonical!, hidden: true });
        return;
      }
      fields.push({ name, value: v.text, hidden: v.hidden });
    });
  });

  return finishItem({ title, username, password, urls, notes: dr.str(details, "notesPlain"), totp, tags, fields }, where);
}

export function import1pux(zip: Uint8Array): SecretItem[] {
  const doc = parseJson(decodeUtf8(readExportData(zip), `${FILE}'s ${DATA}`), `${FILE}'s ${DATA}`);
  const r = new JsonReader(`${FILE}'s ${DATA}`, "");
  if (!JsonReader.object(doc)) throw malformed(`${FILE}'s ${DATA}`, "is not a JSON object");
  // Flatten every vault of every account first, so the count is bounded before any item is mapped.
  const all: unknown[] = [];
  r.arr(doc, "accounts", 1000).forEach((aRaw, ai) => {
    const ar = r.child(`accounts[${ai}]`);
    const a = ar.need(aRaw, "");
    ar.arr(a, "vaults", 10_000).forEach((vRaw, vi) => {
      const vr = ar.child(`vaults[${vi}]`);
      const v = vr.need(vRaw, "");
      const items = vr.arr(v, "items", IMPORT_LIMITS.items + 1);
      checkCount(all.length + items.length, FILE);
      all.push(...items);
    });
  });
  return all.map((item, i) => mapItem(item, i));
}
