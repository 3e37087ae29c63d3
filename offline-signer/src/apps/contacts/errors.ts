/** Typed errors of the contacts app: stable codes, one-line reasons that never quote contact data, hints. */
import { AirlockError } from "@airlock/shared";

export const CONTACTS_HINTS = {
  CONTACTS_BAD_CONTACT: "check the contact against the limits in docs/apps-contacts-vcard.md (name, values, labels, notes)",
  CONTACTS_IMPORT_MALFORMED:
    "nothing was imported; fix or remove the named line, or export the contacts again as vCard 3.0 or 4.0 in UTF-8",
  CONTACTS_IMPORT_TOO_LARGE: "nothing was imported; split the file into parts of at most 16 MiB and 20,000 cards",
  CONTACTS_CARD_NO_NAME: "that card alone was left out; give it an FN (formatted name) or N line in the address book it came from, export it again and import that card",
} as const;
export type ContactsErrorCode = keyof typeof CONTACTS_HINTS;

export function contactsError(code: ContactsErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: CONTACTS_HINTS[code], cause });
}

/** Where in an import a problem sits; messages name the place, never the data found there. */
export interface ImportPlace {
  readonly card?: number;
  readonly line: number;
  readonly property?: string;
}

/**
 * A card with no name to store (no FN, and no N to take one from): the card is left out and the
 * rest of the file imported. The card is well-formed, so the file is not damaged; a contact
 * without a name would be one nobody could find or tell apart.
 */
export function cardNoName(card: number, line: number): AirlockError {
  return contactsError("CONTACTS_CARD_NO_NAME", `vCard card ${card}, line ${line}, FN: card has no name: no FN, and no N to take one from`);
}

export function importMalformed(at: ImportPlace, reason: string): AirlockError {
  const card = at.card === undefined ? "" : `card ${at.card}, `;
  const property = at.property === undefined ? "" : `, ${at.property}`;
  return contactsError("CONTACTS_IMPORT_MALFORMED", `vCard ${card}line ${at.line}${property}: ${reason}`);
}
