/** Typed errors of the contacts app: stable codes, one-line reasons that never quote contact data, hints. */
import { AirlockError } from "@airlock/shared";

export const CONTACTS_HINTS = {
  CONTACTS_BAD_CONTACT: "check the contact against the limits in docs/apps-contacts-vcard.md (name, values, labels, notes)",
  CONTACTS_IMPORT_MALFORMED:
    "nothing was imported; fix or remove the named line, or export the contacts again as vCard 3.0 or 4.0 in UTF-8",
  CONTACTS_IMPORT_TOO_LARGE: "nothing was imported; split the file into parts of at most 16 MiB and 20,000 cards",
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

export function importMalformed(at: ImportPlace, reason: string): AirlockError {
  const card = at.card === undefined ? "" : `card ${at.card}, `;
  const property = at.property === undefined ? "" : `, ${at.property}`;
  return contactsError("CONTACTS_IMPORT_MALFORMED", `vCard ${card}line ${at.line}${property}: ${reason}`);
}
