/**
 * A contacts collection: people listed by name (organisation and first phone beside), the
 * selected one in full. The form edits the name and the first organisation, phone and email;
 * everything else a contact holds (labels, further values, notes from a vCard) is kept as it is.
 */
import { useMemo, type ReactElement } from "react";
import { authorNames, noteOf } from "../../apps/notes/index.js";
import { newRecordId } from "../../apps/ids.js";
import { checkContact, CONTACT_LIMITS, type Contact, type Labeled } from "../../apps/contacts/contact.js";
import { contactIntents, contactOf } from "../../apps/contacts/record.js";
import { Form } from "../components/Form.js";
import { ContactDetail } from "./ContactDetail.js";
import { RecordScreen, type AppScreenProps, type Submit } from "./RecordScreen.js";

const EMPTY: Contact = { name: "", organisations: [], phones: [], emails: [], messengers: [], addresses: [] };

/** `list` with its first value replaced (dropped when blank); a replaced value keeps its label. */
function withFirst(list: readonly Labeled[], value: string): Labeled[] {
  const v = value.trim();
  if (v === "") return list.slice(1);
  return [{ label: list[0]?.label ?? "", value: v }, ...list.slice(1)];
}

export function ContactsView(props: AppScreenProps): ReactElement {
  const { vault, collection, records, onSelect } = props;
  const people = useMemo(
    () => records.map((record) => ({ record, contact: contactOf(record) })).sort((a, b) => a.contact.name.localeCompare(b.contact.name) || (a.record.id < b.record.id ? -1 : 1)),
    [records],
  );

  const form = (editing: string | undefined, submit: Submit, cancel: () => void): ReactElement => {
    const have = editing === undefined ? undefined : people.find((p) => p.record.id === editing)?.record;
    const old = have === undefined ? EMPTY : contactOf(have);
    return (
      <Form
        title={have === undefined ? `New contact in ${collection}` : `Edit “${old.name}”`}
        fields={[
          { name: "name", label: "Name", initial: old.name },
          { name: "organisation", label: "Organisation", initial: old.organisations[0] ?? "" },
          { name: "phone", label: "Phone", initial: old.phones[0]?.value ?? "" },
          { name: "email", label: "Email", initial: old.emails[0]?.value ?? "" },
          { name: "notes", label: "Notes", initial: old.notes ?? "", multiline: true, maxLength: CONTACT_LIMITS.notesBytes },
        ]}
        onCancel={cancel}
        onSubmit={(v) =>
          submit(() => {
            const org = v["organisation"]!.trim();
            const { notes: _notes, ...rest } = old;
            const notes = v["notes"]!.trim() === "" ? undefined : v["notes"]!;
            const contact = checkContact(
              {
                ...rest,
                ...(notes === undefined ? {} : { notes }),
                name: v["name"]!.trim(),
                organisations: [...new Set(org === "" ? old.organisations.slice(1) : [org, ...old.organisations.slice(1)])],
                phones: withFirst(old.phones, v["phone"]!),
                emails: withFirst(old.emails, v["email"]!),
              },
              have === undefined ? "the new contact" : "this contact",
            );
            const id = have?.id ?? newRecordId();
            const intents = contactIntents(id, contact, have);
            if (intents.length === 0) return "Nothing changed.";
            vault.write(collection, intents);
            if (have !== undefined) return `Updated “${contact.name}”.`;
            onSelect(id);
            return `Added “${contact.name}” to ${collection}.`;
          })
        }
      />
    );
  };

  return (
    <RecordScreen
      {...props}
      noun="contact"
      heading="Contacts"
      empty="no contacts yet: press a to add one"
      listWidth={48}
      items={people.map(({ record, contact }) => ({ id: record.id, title: contact.name, details: [contact.organisations[0] ?? "", contact.phones[0]?.value ?? ""] }))}
      help="a add · e edit · d delete"
      detail={(id) => {
        const shown = people.find((p) => p.record.id === id)!;
        // noteOf reads only the authors here: the one place device ids become member names.
        return <ContactDetail id={id} contact={shown.contact} updated={shown.record.updated} authors={authorNames(vault, noteOf(shown.record))} />;
      }}
      form={form}
    />
  );
}
