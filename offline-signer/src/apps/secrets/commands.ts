/** `airlock secrets …`: the password vault on the command line. */
import { Args, Flags } from "@oclif/core";
import { AirlockError, safe } from "@airlock/shared";
import { wipe } from "@airlock/bundle-format";
import { VaultCommand } from "../../commands/base.js";
import { table, when } from "../../commands/format.js";
import { readBody, readFileBounded, readSecretFile, readSecretLine } from "../../cli/text-input.js";
import { copySecret } from "../../cli/clipboard.js";
import { writeNewFile } from "../../cli/new-file.js";
import { chooseCollection, chooseOrCreateCollection } from "../collection-choice.js";
import { newRecordId } from "../ids.js";
import { writeItems } from "../write-chunks.js";
import type { Vault } from "../../vault/vault.js";
import type { RecordView } from "../app.js";
import { parseFieldEntry, secretsApp } from "./index.js";
import { checkItem, type SecretField, type SecretItem } from "./item.js";
import { itemIntents, itemOf } from "./record.js";
import { parseTotp, totpCode } from "./totp.js";
import { generatePassphrase, generatePassword, passphraseEntropyBits, passwordEntropyBits } from "./generate.js";
/** The format libraries (kdbxweb, csv-parse, fflate) load only for import and export: every other command starts faster. */
const formats = (): Promise<typeof import("./formats/index.js")> => import("./formats/index.js");

const MASK = "••••••••";
const IMPORT_FORMATS = ["bitwarden-json", "bitwarden-csv", "keepassxc-csv", "kdbx", "1pux"] as const;
const EXPORT_FORMATS = ["bitwarden-json", "keepassxc-csv"] as const;
const MAX_IMPORT_FILE = 64 * 1024 * 1024;

const collection = Flags.string({ description: "secrets collection (default: the only one you read)" });

const generateFlags = {
  length: Flags.integer({ description: "generated password length (8-256, default 20)", exclusive: ["words"] }),
  words: Flags.integer({ description: "generate a passphrase of this many words (4-32) instead", exclusive: ["length"] }),
  "no-symbols": Flags.boolean({ description: "generated password without symbols", default: false }),
};

function generated(flags: { length?: number | undefined; words?: number | undefined; "no-symbols": boolean }): { value: string; bits: number } {
  try {
    if (flags.words !== undefined) return { value: generatePassphrase({ words: flags.words }), bits: passphraseEntropyBits({ words: flags.words }) };
    const options = { ...(flags.length === undefined ? {} : { length: flags.length }), ...(flags["no-symbols"] ? { classes: { lower: true, upper: true, digits: true } } : {}) };
    return { value: generatePassword(options), bits: passwordEntropyBits(options) };
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new AirlockError("USAGE", e.message, { hint: "see airlock secrets generate --help" });
    throw e;
  }
}

/** --length, --words or --no-symbols without --generate: they would be ignored, and no password set. */
const shapesWithoutGenerate = (flags: { generate: boolean; length?: number | undefined; words?: number | undefined; "no-symbols": boolean }): boolean =>
  !flags.generate && (flags.length !== undefined || flags.words !== undefined || flags["no-symbols"]);
const SHAPES_WITHOUT_GENERATE = "--length, --words and --no-symbols shape a generated password: add --generate";

async function passwordFrom(flags: { "password-stdin": boolean; generate: boolean; length?: number | undefined; words?: number | undefined; "no-symbols": boolean }): Promise<{ password?: string; bits?: number }> {
  if (flags["password-stdin"]) {
    const bytes = await readSecretLine(process.stdin);
    try {
      return { password: Buffer.from(bytes).toString("utf8") };
    } finally {
      wipe(bytes);
    }
  }
  if (flags.generate) {
    const g = generated(flags);
    return { password: g.value, bits: g.bits };
  }
  return {};
}

/** NAME=VALUE, as typed after --field. */
function fieldArg(raw: string, hidden: boolean): SecretField {
  const at = raw.indexOf("=");
  // The value is never echoed: it may be a secret.
  if (at <= 0) throw new AirlockError("USAGE", "--field wants NAME=VALUE (no \"=\" after a name)", { hint: 'for example --field "PIN=1234" (or --hidden-field)' });
  return { name: raw.slice(0, at), value: raw.slice(at + 1), hidden };
}

function totpArg(raw: string | undefined, title: string): string | undefined {
  return raw === undefined ? undefined : parseTotp(raw, { label: title });
}

/** `--totp -`: the TOTP URI or secret from standard input, so it is never on a command line. */
async function totpInput(raw: string | undefined, passwordFromStdin: boolean): Promise<string | undefined> {
  if (raw !== "-") return raw;
  if (passwordFromStdin) throw new AirlockError("USAGE", "standard input can hold the password or the TOTP, not both", { hint: "give the TOTP with --totp - and the password with --generate, or the other way round" });
  const bytes = await readSecretLine(process.stdin);
  try {
    return Buffer.from(bytes).toString("utf8");
  } finally {
    wipe(bytes);
  }
}

/** What `show`/`list` print of an item: secrets masked unless revealed. */
function shown(id: string, r: RecordView, item: SecretItem, reveal: boolean): Record<string, unknown> {
  return {
    id,
    title: item.title,
    username: item.username ?? null,
    password: item.password === undefined ? null : reveal ? item.password : MASK,
    totp: item.totp === undefined ? null : reveal ? item.totp : MASK,
    urls: item.urls,
    notes: item.notes ?? null,
    tags: item.tags,
    fields: item.fields.map((f) => ({ name: f.name, value: f.hidden && !reveal ? MASK : f.value, hidden: f.hidden })),
    updated: r.updated,
  };
}

function find(vault: Vault, flag: string | undefined, ref: string): { collection: string; record: RecordView } {
  const c = chooseCollection(vault, secretsApp, flag);
  return { collection: c, record: vault.findRecord(c, ref) };
}

export class SecretsAdd extends VaultCommand {
  static override summary = "Add a login: title, username, password (from stdin or generated), URLs, TOTP.";
  static override examples = [
    '<%= config.bin %> secrets add --title "Bank" --username alice --generate --url https://bank.example',
    'printf %s "$PW" | <%= config.bin %> secrets add --title "Mail" --username alice@example.org --password-stdin',
    'pass show github-totp | <%= config.bin %> secrets add --title "GitHub" --generate --words 6 --totp -',
  ];
  static override flags = {
    title: Flags.string({ description: "title (one line)", required: true }),
    username: Flags.string({ description: "user name or login" }),
    "password-stdin": Flags.boolean({ description: "read the password from standard input (never type it as an argument)", default: false, exclusive: ["generate"] }),
    generate: Flags.boolean({ description: "generate the password (see --length, --words)", default: false }),
    ...generateFlags,
    url: Flags.string({ description: "a URL (repeat for several)", multiple: true }),
    totp: Flags.string({ description: 'TOTP: an otpauth:// URI or the base32 secret the site shows; "-" reads it from standard input' }),
    notes: Flags.string({ description: 'notes; "-" reads them from standard input' }),
    "notes-file": Flags.string({ description: "read the notes from this UTF-8 file" }),
    tag: Flags.string({ description: "a tag (repeat for several)", multiple: true }),
    field: Flags.string({ description: "a custom field NAME=VALUE (repeat for several)", multiple: true }),
    "hidden-field": Flags.string({ description: "a custom field NAME=VALUE shown masked, like a password", multiple: true }),
    collection,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SecretsAdd);
    if (flags.title.trim() === "") this.usage("--title is blank; give the login a title");
    if (flags["password-stdin"] && flags.notes === "-") this.usage("standard input can hold the password or the notes, not both");
    if (shapesWithoutGenerate(flags)) this.usage(SHAPES_WITHOUT_GENERATE);
    const totpRaw = await totpInput(flags.totp, flags["password-stdin"]);
    const { password, bits } = await passwordFrom(flags);
    const notes = await readBody({ body: flags.notes, bodyFile: flags["notes-file"], stdin: process.stdin });
    const item = checkItem(
      {
        title: flags.title,
        ...(flags.username === undefined ? {} : { username: flags.username }),
        ...(password === undefined ? {} : { password }),
        ...(notes === undefined ? {} : { notes }),
        ...(totpRaw === undefined ? {} : { totp: totpArg(totpRaw, flags.title)! }),
        urls: flags.url ?? [],
        tags: flags.tag ?? [],
        fields: [...(flags.field ?? []).map((f) => fieldArg(f, false)), ...(flags["hidden-field"] ?? []).map((f) => fieldArg(f, true))],
      },
      "the new login",
    );
    let made: string | undefined;
    await this.withVault(flags, async (vault) => {
      const c = chooseOrCreateCollection(vault, secretsApp, flags.collection, (id, read, write) => (made = this.created(flags.json, id, read, write)));
      const id = newRecordId();
      const { changeset } = vault.write(c, itemIntents(id, item));
      const extra = bits === undefined ? "" : ` Generated a password of about ${Math.floor(bits)} bits; see it with: airlock secrets show ${id} --reveal`;
      this.emit(flags.json, { id, collection: c, changeset, ...(bits === undefined ? {} : { generatedBits: Math.floor(bits) }), ...(made === undefined ? {} : { createdCollection: made }) }, safe`Added ${item.title} (${id}) to ${c}.` + extra + "\n");
    });
  }
}

export class SecretsList extends VaultCommand {
  static override summary = "List logins (never their passwords).";
  static override examples = ["<%= config.bin %> secrets list", "<%= config.bin %> secrets list --json"];
  static override flags = { collection };

  async run(): Promise<void> {
    const { flags } = await this.parse(SecretsList);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, secretsApp, flags.collection);
      const secrets = vault.records(c).map((r) => {
        const item = itemOf(r);
        return { id: r.id, title: item.title, username: item.username ?? null, url: item.urls[0] ?? null, hasTotp: item.totp !== undefined, updated: r.updated };
      });
      const text = secrets.length === 0 ? safe`no logins in ${c}` + "\n" : table(secrets.map((s) => [s.id, when(s.updated), s.title, s.username ?? "", s.url ?? "", s.hasTotp ? "totp" : ""]));
      this.emit(flags.json, { collection: c, secrets }, text);
    });
  }
}

export class SecretsShow extends VaultCommand {
  static override summary = "Show one login; the password and TOTP secret are masked unless --reveal.";
  static override examples = ["<%= config.bin %> secrets show 3f2a", "<%= config.bin %> secrets show 3f2a --reveal"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = { reveal: Flags.boolean({ description: "print the password, TOTP secret and hidden fields in clear", default: false }), collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsShow);
    await this.withVault(flags, async (vault) => {
      const { record } = find(vault, flags.collection, args.id);
      const item = itemOf(record);
      const s = shown(record.id, record, item, flags.reveal);
      let text = safe`${item.title}  (${record.id})` + "\n";
      const line = (label: string, v: unknown): void => {
        if (v !== null && v !== undefined && v !== "") text += safe`  ${label}: ${String(v)}` + "\n";
      };
      line("username", s["username"]);
      line("password", s["password"]);
      line("totp", s["totp"]);
      for (const u of item.urls) line("url", u);
      for (const f of s["fields"] as { name: string; value: string }[]) line(f.name, f.value);
      if (item.tags.length > 0) line("tags", item.tags.join(", "));
      if (item.notes !== undefined) text += "  notes:\n" + item.notes.split("\n").map((l) => safe`    ${l}`).join("\n") + "\n";
      text += safe`  updated ${when(record.updated)}` + "\n";
      this.emit(flags.json, { secret: s }, text);
    });
  }
}

export class SecretsEdit extends VaultCommand {
  static override summary = "Change a login; what you do not name stays (and merges with others' edits).";
  static override examples = ["<%= config.bin %> secrets edit 3f2a --generate", '<%= config.bin %> secrets edit 3f2a --username bob --add-url https://new.example', "<%= config.bin %> secrets edit 3f2a --remove-tag old"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = {
    title: Flags.string({ description: "new title" }),
    username: Flags.string({ description: "new user name" }),
    "password-stdin": Flags.boolean({ description: "read the new password from standard input", default: false, exclusive: ["generate"] }),
    generate: Flags.boolean({ description: "generate a new password", default: false }),
    ...generateFlags,
    totp: Flags.string({ description: 'new TOTP (otpauth:// URI or base32 secret; "-" reads it from standard input); "" removes it' }),
    notes: Flags.string({ description: 'new notes; "-" reads them from standard input' }),
    "notes-file": Flags.string({ description: "read the new notes from this UTF-8 file" }),
    "add-url": Flags.string({ description: "add a URL", multiple: true }),
    "remove-url": Flags.string({ description: "remove a URL", multiple: true }),
    "add-tag": Flags.string({ description: "add a tag", multiple: true }),
    "remove-tag": Flags.string({ description: "remove a tag", multiple: true }),
    field: Flags.string({ description: "set a custom field NAME=VALUE", multiple: true }),
    "hidden-field": Flags.string({ description: "set a masked custom field NAME=VALUE", multiple: true }),
    "remove-field": Flags.string({ description: "remove the custom field NAME", multiple: true }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsEdit);
    if (flags.title !== undefined && flags.title.trim() === "") this.usage("--title is blank");
    if (shapesWithoutGenerate(flags)) this.usage(SHAPES_WITHOUT_GENERATE);
    const totpRaw = await totpInput(flags.totp, flags["password-stdin"]);
    const { password, bits } = await passwordFrom(flags);
    const notes = await readBody({ body: flags.notes, bodyFile: flags["notes-file"], stdin: process.stdin });
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const old = itemOf(record);
      const title = flags.title ?? old.title;
      const set = <T>(values: readonly T[], add: readonly T[] | undefined, remove: readonly T[] | undefined): T[] => [...new Set([...values, ...(add ?? [])])].filter((v) => !(remove ?? []).includes(v));
      const newFields = [...(flags.field ?? []).map((f) => fieldArg(f, false)), ...(flags["hidden-field"] ?? []).map((f) => fieldArg(f, true))];
      const dropped = new Set([...(flags["remove-field"] ?? []), ...newFields.map((f) => f.name)]);
      const totp = totpRaw === undefined ? old.totp : totpRaw === "" ? undefined : totpArg(totpRaw, title);
      const next = checkItem(
        {
          title,
          ...((flags.username ?? old.username) === undefined ? {} : { username: flags.username ?? old.username! }),
          ...((password ?? old.password) === undefined ? {} : { password: password ?? old.password! }),
          ...((notes ?? old.notes) === undefined ? {} : { notes: notes ?? old.notes! }),
          ...(totp === undefined ? {} : { totp }),
          urls: set(old.urls, flags["add-url"], flags["remove-url"]),
          tags: set(old.tags, flags["add-tag"], flags["remove-tag"]),
          fields: [...old.fields.filter((f) => !dropped.has(f.name)), ...newFields],
        },
        `login ${record.id}`,
      );
      const intents = itemIntents(record.id, next, record);
      if (intents.length === 0) {
        this.emit(flags.json, { id: record.id, changed: [] }, safe`Nothing changed in ${record.id}.` + "\n");
        return;
      }
      vault.write(c, intents);
      const changed = [...new Set(intents.map((i) => (i.kind === "delete" ? "" : i.field)))];
      this.emit(flags.json, { id: record.id, changed, ...(bits === undefined ? {} : { generatedBits: Math.floor(bits) }) }, safe`Updated ${changed.join(", ")} of ${record.id}.` + "\n");
    });
  }
}

export class SecretsRm extends VaultCommand {
  static override summary = "Delete a login (its earlier values stay in the history of those who hold it; docs/user-guide.md).";
  static override examples = ["<%= config.bin %> secrets rm 3f2a"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsRm);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      vault.write(c, [{ kind: "delete", record: record.id }]);
      this.emit(flags.json, { id: record.id }, safe`Deleted ${record.id}.` + "\n");
    });
  }
}

const LWW_FIELDS = ["title", "username", "password", "totp", "notes"] as const;
const SET_FIELDS = ["urls", "tags", "fields"] as const;
const SECRET_FIELDS = new Set<string>(["password", "totp"]);

/** One line of `secrets history`: a value set (single fields), or added or removed (URLs, tags, custom fields). */
interface HistoryLine {
  field: string;
  change: "set" | "added" | "removed";
  /** The value, masked when secret and not revealed; null: the field was cleared. */
  value: string | null;
  /** Custom fields: the field's name and whether it is hidden. */
  name?: string;
  hidden?: boolean;
  at: number;
  by: string;
}

/** What `history` prints of a custom field's entry (hidden values masked unless revealed), or undefined for a malformed one. */
function customLine(raw: unknown, reveal: boolean): Pick<HistoryLine, "value" | "name" | "hidden"> | undefined {
  const f = parseFieldEntry(raw);
  return f === undefined ? undefined : { name: f.name, hidden: f.hidden, value: f.hidden && !reveal ? MASK : f.value };
}

export class SecretsHistory extends VaultCommand {
  static override summary = "Earlier values of every field of a login, who set, added or removed them and when (secrets masked unless --reveal).";
  static override examples = [
    "<%= config.bin %> secrets history 3f2a",
    "<%= config.bin %> secrets history 3f2a --field password --reveal",
    "<%= config.bin %> secrets history 3f2a --field fields --reveal",
  ];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = {
    field: Flags.string({ description: "only this field (fields: the custom fields)", options: [...LWW_FIELDS, ...SET_FIELDS] }),
    reveal: Flags.boolean({ description: "print earlier passwords, TOTP secrets and hidden custom fields in clear", default: false }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsHistory);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const state = vault.requireTeam();
      const who = (d: string): string => state.users.get(state.devices.get(d)?.user ?? "")?.name ?? d.slice(0, 12);
      const only = (f: string): boolean => flags.field === undefined || flags.field === f;
      const single: HistoryLine[] = LWW_FIELDS.filter(only).flatMap((f) =>
        vault.fieldHistory(c, record.id, f).map((v) => ({ field: f, change: "set" as const, value: v.value === null ? null : SECRET_FIELDS.has(f) && !flags.reveal ? MASK : String(v.value), at: v.wall, by: who(v.device) })),
      );
      const sets: HistoryLine[] = SET_FIELDS.filter(only).flatMap((f) =>
        vault.setHistory(c, record.id, f).flatMap((v) => {
          const shownValue = f === "fields" ? customLine(v.value, flags.reveal) : { value: String(v.value) };
          return shownValue === undefined ? [] : [{ field: f, change: v.change, ...shownValue, at: v.wall, by: who(v.device) }];
        }),
      );
      // Oldest first; within one millisecond (one edit), values set, then removals, then additions.
      const rank = { set: 0, removed: 1, added: 2 } as const;
      const history = [...single, ...sets].sort((a, b) => a.at - b.at || rank[a.change] - rank[b.change]);
      const label = (h: HistoryLine): string => (h.name === undefined ? h.field : `${h.hidden === true ? "hidden field" : "field"} ${h.name}`);
      const text = history.length === 0 ? "no history\n" : table(history.map((h) => [when(h.at), h.by, label(h), h.change, h.value ?? "(cleared)"]));
      this.emit(flags.json, { id: record.id, history }, text);
    });
  }
}

export class SecretsCopy extends VaultCommand {
  static override summary = "Copy a login's password (or username, or current TOTP code) to the clipboard; cleared after 30 s.";
  static override examples = ["<%= config.bin %> secrets copy 3f2a", "<%= config.bin %> secrets copy 3f2a --field totp"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = { field: Flags.string({ description: "what to copy", options: ["password", "username", "totp"], default: "password" }), collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsCopy);
    await this.withVault(flags, async (vault) => {
      const { record } = find(vault, flags.collection, args.id);
      const item = itemOf(record);
      const value = flags.field === "password" ? item.password : flags.field === "username" ? item.username : item.totp === undefined ? undefined : totpCode(item.totp, Date.now()).code;
      if (value === undefined) throw new AirlockError("VAULT_NOT_FOUND", `${item.title} has no ${flags.field}`, { hint: "see what it holds with airlock secrets show ID" });
      const r = await copySecret(value).catch((e: unknown) => {
        // The clipboard module's hint says "use --reveal", which `copy` does not take: name the command that does.
        if (e instanceof AirlockError && e.code === "CLIPBOARD_UNAVAILABLE") {
          throw new AirlockError(e.code, e.message, { hint: `print it on a screen you trust with: airlock secrets show ${record.id} --reveal (or copy from a desktop session or a terminal, where OSC 52 works)` });
        }
        throw e;
      });
      const clears = r.clearsAt === undefined ? "" : ` It is cleared at ${new Date(r.clearsAt).toLocaleTimeString()}.`;
      this.emit(flags.json, { id: record.id, field: flags.field, method: r.method, clearsAt: r.clearsAt ?? null }, safe`Copied the ${flags.field} of ${item.title} (${r.method}).` + clears + "\n");
    });
  }
}

export class SecretsTotp extends VaultCommand {
  static override summary = "Print a login's current TOTP code and the seconds it stays valid.";
  static override examples = ["<%= config.bin %> secrets totp 3f2a"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsTotp);
    await this.withVault(flags, async (vault) => {
      const { record } = find(vault, flags.collection, args.id);
      const item = itemOf(record);
      if (item.totp === undefined) throw new AirlockError("VAULT_NOT_FOUND", `${item.title} has no TOTP`, { hint: "add one with airlock secrets edit ID --totp URI" });
      const { code, secondsLeft } = totpCode(item.totp, Date.now());
      this.emit(flags.json, { id: record.id, code, secondsLeft }, `${code}  (${secondsLeft} s left)\n`);
    });
  }
}

export class SecretsGenerate extends VaultCommand {
  static override summary = "Print a new random password or word passphrase (nothing is stored).";
  static override examples = ["<%= config.bin %> secrets generate", "<%= config.bin %> secrets generate --length 32 --no-symbols", "<%= config.bin %> secrets generate --words 7"];
  static override flags = { ...generateFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(SecretsGenerate);
    const g = generated(flags);
    this.emit(flags.json, { password: g.value, bits: Math.floor(g.bits) }, `${g.value}\n`);
  }
}

export class SecretsImport extends VaultCommand {
  static override summary = "Import logins from Bitwarden (JSON, CSV), KeePassXC (CSV), KeePass (KDBX 4) or 1Password (1PUX): all of the file or nothing.";
  static override examples = [
    "<%= config.bin %> secrets import bitwarden_export.json --format bitwarden-json",
    "<%= config.bin %> secrets import Passwords.kdbx --format kdbx --source-password-file kdbx.pass",
  ];
  static override args = { file: Args.string({ description: "the export file", required: true }) };
  static override flags = {
    format: Flags.string({ description: "the file's format", options: [...IMPORT_FORMATS], required: true }),
    "source-password-file": Flags.string({ description: "KDBX: a file holding the database password (else standard input)" }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsImport);
    const bytes = readBounded(args.file);
    let password: Uint8Array | undefined;
    if (flags.format === "kdbx") password = flags["source-password-file"] === undefined ? await readSecretLine(process.stdin) : readSecretFile(flags["source-password-file"]);
    let items: SecretItem[];
    try {
      items = await (await formats()).importSecrets(bytes, flags.format as (typeof IMPORT_FORMATS)[number], password === undefined ? {} : { password });
    } finally {
      if (password !== undefined) wipe(password);
      bytes.fill(0);
    }
    let made: string | undefined;
    await this.withVault(flags, async (vault) => {
      const c = chooseOrCreateCollection(vault, secretsApp, flags.collection, (id, read, write) => (made = this.created(flags.json, id, read, write)));
      const have = new Set(vault.records(c).map((r) => sameKey(itemOf(r))));
      const fresh = items.filter((i) => !have.has(sameKey(i)));
      // One transaction: a failure in any part leaves the vault as it was (nothing half-imported).
      writeItems(vault, c, fresh.map((item) => itemIntents(newRecordId(), item)));
      const skipped = items.length - fresh.length;
      this.emit(
        flags.json,
        { collection: c, imported: fresh.length, skipped, withTotp: fresh.filter((i) => i.totp !== undefined).length, ...(made === undefined ? {} : { createdCollection: made }) },
        safe`Imported ${String(fresh.length)} login${fresh.length === 1 ? "" : "s"} into ${c}` + (skipped > 0 ? ` (${skipped} already there, skipped)` : "") + ".\n",
      );
    });
  }
}

export class SecretsExport extends VaultCommand {
  static override summary = "Write logins to a PLAINTEXT Bitwarden JSON or KeePassXC CSV file (only with --plaintext).";
  static override description = "The file holds every password in clear. Move it only to a machine you trust, import it, then delete it.";
  static override examples = ["<%= config.bin %> secrets export logins.json --format bitwarden-json --plaintext"];
  static override args = { file: Args.string({ description: "where to write (must not exist)", required: true }) };
  static override flags = {
    format: Flags.string({ description: "the file's format", options: [...EXPORT_FORMATS], required: true }),
    plaintext: Flags.boolean({ description: "confirm that the file will hold every password unencrypted", default: false }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsExport);
    if (!flags.plaintext) this.usage("the export holds every password in clear; add --plaintext to confirm you mean it");
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, secretsApp, flags.collection);
      const items = vault.records(c).map(itemOf);
      const bytes = (await formats()).exportSecrets(items, flags.format as (typeof EXPORT_FORMATS)[number]);
      try {
        writeNewFile(args.file, bytes);
      } finally {
        bytes.fill(0);
      }
      process.stderr.write(`airlock: warning: ${args.file} holds ${items.length} passwords in PLAINTEXT; delete it (shred -u) as soon as it is imported\n`);
      this.emit(flags.json, { file: args.file, exported: items.length, format: flags.format }, safe`Wrote ${String(items.length)} logins to ${args.file}.` + "\n");
    });
  }
}

/** Two items are "the same login" for re-import when these agree. */
function sameKey(i: SecretItem): string {
  return JSON.stringify([i.title, i.username ?? "", i.password ?? "", [...i.urls].sort()]);
}

function readBounded(path: string): Uint8Array {
  return readFileBounded(path, MAX_IMPORT_FILE, "an export file is at most 64 MiB; is this the right file?");
}

export const SECRETS_COMMANDS = {
  "secrets:add": SecretsAdd,
  "secrets:list": SecretsList,
  "secrets:show": SecretsShow,
  "secrets:edit": SecretsEdit,
  "secrets:rm": SecretsRm,
  "secrets:history": SecretsHistory,
  "secrets:copy": SecretsCopy,
  "secrets:totp": SecretsTotp,
  "secrets:generate": SecretsGenerate,
  "secrets:import": SecretsImport,
  "secrets:export": SecretsExport,
};
