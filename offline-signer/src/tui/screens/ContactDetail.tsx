/** One contact in the detail pane: every value with the label its source gave it. */
import { Box } from "ink";
import type { ReactElement } from "react";
import { when } from "../../cli/format.js";
import type { Contact, Labeled } from "../../apps/contacts/contact.js";
import { Field } from "../components/Field.js";
import { Text } from "../components/Text.js";

const KINDS = [
  ["phones", "phone"],
  ["emails", "email"],
  ["messengers", "messenger"],
  ["addresses", "address"],
] as const;

const labelled = (kind: string, l: Labeled): string => (l.label === "" ? kind : `${kind} (${l.label})`);

export interface ContactDetailProps {
  readonly id: string;
  readonly contact: Contact;
  readonly updated: number;
  readonly authors: readonly string[];
}

export function ContactDetail({ id, contact, updated, authors }: ContactDetailProps): ReactElement {
  return (
    <Box flexDirection="column">
      <Text bold>{contact.name === "" ? "(no name)" : contact.name}</Text>
      <Text dimColor>id {id}</Text>
      {contact.sensitivity === undefined || contact.sensitivity === "normal" ? null : <Text color="red">{`marked ${contact.sensitivity}`}</Text>}
      {contact.given === undefined ? null : <Field label="given name" value={contact.given} width={20} />}
      {contact.family === undefined ? null : <Field label="family name" value={contact.family} width={20} />}
      {contact.organisations.map((o, i) => (
        <Field key={`org ${i}`} label="organisation" value={o} width={20} />
      ))}
      {KINDS.flatMap(([field, kind]) => contact[field].map((l, i) => <Field key={`${field} ${i}`} label={labelled(kind, l)} value={l.value} width={20} />))}
      {contact.notes === undefined ? null : (
        <Box flexDirection="column" marginTop={1}>
          <Text block>{contact.notes}</Text>
        </Box>
      )}
      <Text dimColor>
        updated {when(updated)} by {authors.join(", ")}
      </Text>
    </Box>
  );
}
