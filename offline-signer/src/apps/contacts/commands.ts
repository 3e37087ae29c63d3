/** `airlock contacts …`: the team's address book on the command line. */
import { randomUUID } from "node:crypto";
import { Args, Flags } from "@oclif/core";
import { AirlockError, escapeLine, markPartial, safe } from "@airlock/shared";
import { PROGRAM, VaultCommand } from "../../commands/base.js";
import { table, when } from "../../commands/format.js";
import { readBody, readFileBounded } from "../../cli/text-input.js";
import { writeNewFile } from "../../cli/new-file.js";
import { chooseCollection, chooseOrCreateCollection } from "../collection-choice.js";
import { newRecordId } from "../ids.js";
import { writeItems } from "../write-chunks.js";
import type { Vault } from "../../vault/vault.js";
import type { RecordView } from "../app.js";
import { contactsApp } from "./index.js";
import { LABELED_FIELDS, SENSITIVITIES, checkContact, normalizeLabel, type Contact, type Labeled, type LabeledField, type Sensitivity } from "./contact.js";
import { contactIntents, contactOf } from "./record.js";
/** ical.js loads only for import and export. */
const vcard = (): Promise<typeof import("./vcard.js")> => import("./vcard.js");

const MAX_VCF_BYTES = 16 * 1024 * 1024;
const collection = Flags.string({ description: "contacts collection (default: the only one you read)" });

/** `work=+44 20 7946 0000` or just the value: a label is lowercase letters, digits, dashes before "=". */
function labeledArg(raw: string): Labeled {
  const m = /^([a-z][a-z0-9-]{0,31})=(.+)$/s.exec(raw);
  return m === null ? { label: "", value: raw } : { label: normalizeLabel(m[1]!), value: m[2]! };
}

const FLAG_OF: Record<LabeledField, string> = { phones: "phone", emails: "email", messengers: "messenger", addresses: "address" };

const valueFlags = {
  given: Flags.string({ description: "given name" }),
  family: Flags.string({ description: "family name" }),
  org: Flags.string({ description: "organisation (repeat for several)", multiple: true }),
  phone: Flags.string({ description: "phone, optionally labelled: cell=+44 7700 900000 (repeat)", multiple: true }),
  email: Flags.string({ description: "email, optionally labelled: work=a@example.org (repeat)", multiple: true }),
  messenger: Flags.string({ description: "messenger handle: signal=+44 7700 900000, matrix=@a:example.org (repeat)", multiple: true }),
  address: Flags.string({ description: "postal address on one line, optionally labelled: home=1 Main St, Town (repeat)", multiple: true }),
  notes: Flags.string({ description: 'notes; "-" reads them from standard input' }),
  "notes-file": Flags.string({ description: "read the notes from this UTF-8 file" }),
  sensitivity: Flags.string({ description: "how carefully to handle it", options: [...SENSITIVITIES] }),
};

function find(vault: Vault, flag: string | undefined, ref: string): { collection: string; record: RecordView } {
  const c = chooseCollection(vault, contactsApp, flag);
  return { collection: c, record: vault.findRecord(c, ref) };
}

function describe(c: Contact): string {
  let text = safe`${c.name}` + (c.sensitivity !== undefined && c.sensitivity !== "normal" ? `  [${c.sensitivity}]` : "") + "\n";
  const line = (label: string, v: string): void => {
    text += safe`  ${label}: ${v}` + "\n";
  };
  if (c.given !== undefined || c.family !== undefined) line("name parts", [c.given ?? "", c.family ?? ""].join(" / "));
  for (const o of c.organisations) line("organisation", o);
  for (const f of LABELED_FIELDS) for (const v of c[f]) line(v.label === "" ? FLAG_OF[f] : `${FLAG_OF[f]} (${v.label})`, v.value);
  if (c.notes !== undefined) text += "  notes:\n" + c.notes.split("\n").map((l) => safe`    ${l}`).join("\n") + "\n";
  return text;
}

export class ContactsAdd extends VaultCommand {
  static override summary = "Add a contact: name, organisations, phones, emails, messengers, addresses, notes.";
  static override examples = ['<%= config.bin %> contacts add --name "Amal Haddad" --org "Radio Free" --phone cell=+961 3 123 456 --messenger signal=+961 3 123 456 --sensitivity sensitive'];
  static override flags = { name: Flags.string({ description: "full name, as shown", required: true }), ...valueFlags, collection };

  async run(): Promise<void> {
    const { flags } = await this.parse(ContactsAdd);
    if (flags.name.trim() === "") this.usage("--name is blank");
    const notes = await readBody({ body: flags.notes, bodyFile: flags["notes-file"], stdin: process.stdin });
    const contact = checkContact(
      {
        name: flags.name,
        ...(flags.given === undefined ? {} : { given: flags.given }),
        ...(flags.family === undefined ? {} : { family: flags.family }),
        organisations: flags.org ?? [],
        phones: (flags.phone ?? []).map(labeledArg),
        emails: (flags.email ?? []).map(labeledArg),
        messengers: (flags.messenger ?? []).map(labeledArg),
        addresses: (flags.address ?? []).map(labeledArg),
        ...(notes === undefined ? {} : { notes }),
        ...(flags.sensitivity === undefined ? {} : { sensitivity: flags.sensitivity as Sensitivity }),
        // A UID makes an exported card and its later re-import the same contact, not a copy.
        uid: `urn:uuid:${randomUUID()}`,
      },
      "the new contact",
    );
    let made: string | undefined;
    await this.withVault(flags, async (vault) => {
      const c = chooseOrCreateCollection(vault, contactsApp, flags.collection, (id, read, write) => (made = this.created(flags.json, id, read, write)));
      const id = newRecordId();
      const { changeset } = vault.write(c, contactIntents(id, contact));
      this.emit(flags.json, { id, collection: c, changeset, ...(made === undefined ? {} : { createdCollection: made }) }, safe`Added ${contact.name} (${id}) to ${c}.` + "\n");
    });
  }
}

export class ContactsList extends VaultCommand {
  static override summary = "List contacts.";
  static override examples = ["<%= config.bin %> contacts list", "<%= config.bin %> contacts list --json"];
  static override flags = { collection };

  async run(): Promise<void> {
    const { flags } = await this.parse(ContactsList);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, contactsApp, flags.collection);
      const contacts = vault
        .records(c)
        .map((r) => ({ id: r.id, ...contactOf(r), updated: r.updated }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const text = contacts.length === 0 ? safe`no contacts in ${c}` + "\n" : table(contacts.map((x) => [x.id, x.name, x.organisations[0] ?? "", x.phones[0]?.value ?? "", x.emails[0]?.value ?? "", x.sensitivity ?? ""]));
      this.emit(flags.json, { collection: c, contacts }, text);
    });
  }
}

export class ContactsShow extends VaultCommand {
  static override summary = "Show one contact.";
  static override examples = ["<%= config.bin %> contacts show 3f2a"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ContactsShow);
    await this.withVault(flags, async (vault) => {
      const { record } = find(vault, flags.collection, args.id);
      const contact = contactOf(record);
      this.emit(flags.json, { contact: { id: record.id, ...contact, updated: record.updated } }, describe(contact) + `  updated ${when(record.updated)}\n`);
    });
  }
}

export class ContactsEdit extends VaultCommand {
  static override summary = "Change a contact; values you do not name stay (and merge with what others add).";
  static override examples = ["<%= config.bin %> contacts edit 3f2a --add-phone work=+44 20 7946 0000", "<%= config.bin %> contacts edit 3f2a --remove-email old@example.org --sensitivity secret"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = {
    name: Flags.string({ description: "new full name" }),
    given: Flags.string({ description: "new given name" }),
    family: Flags.string({ description: "new family name" }),
    "add-org": Flags.string({ description: "add an organisation", multiple: true }),
    "remove-org": Flags.string({ description: "remove an organisation", multiple: true }),
    "add-phone": Flags.string({ description: "add a phone (label=value)", multiple: true }),
    "remove-phone": Flags.string({ description: "remove a phone (its value)", multiple: true }),
    "add-email": Flags.string({ description: "add an email", multiple: true }),
    "remove-email": Flags.string({ description: "remove an email", multiple: true }),
    "add-messenger": Flags.string({ description: "add a messenger handle", multiple: true }),
    "remove-messenger": Flags.string({ description: "remove a messenger handle", multiple: true }),
    "add-address": Flags.string({ description: "add an address", multiple: true }),
    "remove-address": Flags.string({ description: "remove an address", multiple: true }),
    notes: Flags.string({ description: 'new notes; "-" reads them from standard input' }),
    "notes-file": Flags.string({ description: "read the new notes from this UTF-8 file" }),
    sensitivity: Flags.string({ description: "how carefully to handle it", options: [...SENSITIVITIES] }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ContactsEdit);
    if (flags.name !== undefined && flags.name.trim() === "") this.usage("--name is blank");
    const notes = await readBody({ body: flags.notes, bodyFile: flags["notes-file"], stdin: process.stdin });
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      const old = contactOf(record);
      const f = flags as unknown as Record<string, string[] | undefined>;
      // A removal names the value, with or without the label `add` took (work=a@example.org); one
      // that matches nothing on this contact is refused rather than silently changing nothing.
      const notThere = (flag: string, noun: string): AirlockError =>
        new AirlockError("VAULT_NOT_FOUND", `--remove-${flag}: contact ${record.id} has no such ${noun}`, { hint: `see its values with: airlock contacts show ${record.id}` });
      const edit = (field: LabeledField): Labeled[] => {
        const flag = FLAG_OF[field];
        const removed = (f[`remove-${flag}`] ?? []).map((raw) => [raw, labeledArg(raw).value]);
        for (const r of removed) if (!old[field].some((v) => r.includes(v.value))) throw notThere(flag, flag);
        const kept = old[field].filter((v) => !removed.some((r) => r.includes(v.value)));
        return [...kept, ...(f[`add-${flag}`] ?? []).map(labeledArg)];
      };
      const removedOrgs = new Set(flags["remove-org"] ?? []);
      for (const o of removedOrgs) if (!old.organisations.includes(o)) throw notThere("org", "organisation");
      const next = checkContact(
        {
          name: flags.name ?? old.name,
          ...((flags.given ?? old.given) === undefined ? {} : { given: flags.given ?? old.given! }),
          ...((flags.family ?? old.family) === undefined ? {} : { family: flags.family ?? old.family! }),
          organisations: [...new Set([...old.organisations.filter((o) => !removedOrgs.has(o)), ...(flags["add-org"] ?? [])])],
          phones: edit("phones"),
          emails: edit("emails"),
          messengers: edit("messengers"),
          addresses: edit("addresses"),
          ...((notes ?? old.notes) === undefined ? {} : { notes: notes ?? old.notes! }),
          ...((flags.sensitivity ?? old.sensitivity) === undefined ? {} : { sensitivity: (flags.sensitivity ?? old.sensitivity) as Sensitivity }),
          ...(old.uid === undefined ? {} : { uid: old.uid }),
        },
        `contact ${record.id}`,
      );
      const intents = contactIntents(record.id, next, record);
      if (intents.length === 0) {
        this.emit(flags.json, { id: record.id, changed: [] }, safe`Nothing changed in ${record.id}.` + "\n");
        return;
      }
      vault.write(c, intents);
      const changed = [...new Set(intents.map((i) => (i.kind === "delete" ? "" : i.field)))];
      this.emit(flags.json, { id: record.id, changed }, safe`Updated ${changed.join(", ")} of ${record.id}.` + "\n");
    });
  }
}

export class ContactsRm extends VaultCommand {
  static override summary = "Delete a contact.";
  static override examples = ["<%= config.bin %> contacts rm 3f2a"];
  static override args = { id: Args.string({ description: "id (or a unique prefix)", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ContactsRm);
    await this.withVault(flags, async (vault) => {
      const { collection: c, record } = find(vault, flags.collection, args.id);
      vault.write(c, [{ kind: "delete", record: record.id }]);
      this.emit(flags.json, { id: record.id }, safe`Deleted ${record.id}.` + "\n");
    });
  }
}

export class ContactsImport extends VaultCommand {
  static override summary = "Import a vCard file (2.1, 3.0 or 4.0, as phones and address books export it): all of it or nothing, except cards with no name.";
  static override description =
    "A damaged file imports nothing. A card with no name (no FN, and no N to take one from) is left out with a warning naming it, the other cards are imported, and the command exits 3.";
  static override examples = ["<%= config.bin %> contacts import contacts.vcf"];
  static override args = { file: Args.string({ description: "the .vcf file", required: true }) };
  static override flags = { collection };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ContactsImport);
    const { contacts, skipped } = (await vcard()).readVcards(readVcf(args.file));
    let made: string | undefined;
    await this.withVault(flags, async (vault) => {
      const c = chooseOrCreateCollection(vault, contactsApp, flags.collection, (id, read, write) => (made = this.created(flags.json, id, read, write)));
      // A card already imported (same UID) updates that contact instead of adding a second one.
      const byUid = new Map<string, RecordView>();
      for (const r of vault.records(c)) {
        const uid = contactOf(r).uid;
        if (uid !== undefined) byUid.set(uid, r);
      }
      let added = 0;
      let updated = 0;
      let unchanged = 0;
      const intents = contacts.map((contact) => {
        const have = contact.uid === undefined ? undefined : byUid.get(contact.uid);
        // A card without a UID gets one, as `contacts add` gives it: the export then carries it,
        // and importing that export again updates these contacts instead of adding them twice.
        const intent = contactIntents(have?.id ?? newRecordId(), contact.uid === undefined ? { ...contact, uid: `urn:uuid:${randomUUID()}` } : contact, have);
        if (have === undefined) added++;
        else if (intent.length > 0) updated++;
        else unchanged++;
        return intent;
      });
      writeItems(vault, c, intents.filter((i) => i.length > 0));
      for (const s of skipped) process.stderr.write(`${PROGRAM}: warning: card left out: ${escapeLine(s.error.message)}\n`);
      const left = skipped.length === 0 ? "" : ` ${String(skipped.length)} card${skipped.length === 1 ? "" : "s"} left out (no name).`;
      this.emit(
        flags.json,
        {
          collection: c,
          added,
          updated,
          unchanged,
          skipped: skipped.map((s) => ({ card: s.card, line: s.line, code: s.error.code, message: s.error.message })),
          ...(made === undefined ? {} : { createdCollection: made }),
        },
        safe`Imported ${String(contacts.length)} contact${contacts.length === 1 ? "" : "s"} into ${c} (${String(added)} new, ${String(updated)} updated, ${String(unchanged)} unchanged).` + left + "\n",
      );
      // As `airlock import` does: the command ran, and refused some of its input (docs/cli.md, "Exit codes").
      if (skipped.length > 0) markPartial();
    });
  }
}

export class ContactsExport extends VaultCommand {
  static override summary = "Write contacts to a vCard file (4.0, or 3.0 for older phones). The file is not encrypted.";
  static override examples = ["<%= config.bin %> contacts export team.vcf", "<%= config.bin %> contacts export team.vcf --vcard-version 3.0"];
  static override args = { file: Args.string({ description: "where to write (must not exist)", required: true }) };
  static override flags = {
    "vcard-version": Flags.string({ description: "vCard version", options: ["4.0", "3.0"], default: "4.0" }),
    "include-secret": Flags.boolean({ description: "also export contacts marked secret (left out by default)", default: false }),
    collection,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ContactsExport);
    await this.withVault(flags, async (vault) => {
      const c = chooseCollection(vault, contactsApp, flags.collection);
      // A record another member wrote past the contact limits is left out, not allowed to spoil the file.
      const valid: Contact[] = [];
      let broken = 0;
      for (const r of vault.records(c)) {
        try {
          valid.push(checkContact(contactOf(r), `contact ${r.id}`));
        } catch {
          broken++;
        }
      }
      const all = valid;
      const contacts = flags["include-secret"] ? all : all.filter((x) => x.sensitivity !== "secret");
      const bytes = (await vcard()).serializeVcards(contacts, flags["vcard-version"] as "4.0" | "3.0");
      writeNewFile(args.file, bytes);
      const left = all.length - contacts.length;
      if (broken > 0) process.stderr.write(`airlock: warning: ${broken} contact${broken === 1 ? "" : "s"} break the contact limits and were left out\n`);
      this.emit(flags.json, { file: args.file, exported: contacts.length, leftOut: left, invalid: broken }, safe`Wrote ${String(contacts.length)} contacts to ${args.file}` + (left > 0 ? ` (${left} marked secret left out; --include-secret adds them)` : "") + ". The file is not encrypted.\n");
    });
  }
}

function readVcf(path: string): Uint8Array {
  return readFileBounded(path, MAX_VCF_BYTES, "a vCard file is at most 16 MiB: split it, or check it is a vCard file");
}

export const CONTACTS_COMMANDS = {
  "contacts:add": ContactsAdd,
  "contacts:list": ContactsList,
  "contacts:show": ContactsShow,
  "contacts:edit": ContactsEdit,
  "contacts:rm": ContactsRm,
  "contacts:import": ContactsImport,
  "contacts:export": ContactsExport,
};
