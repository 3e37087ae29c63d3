/** The contacts app: module description; records <-> Contact in record.ts. */
import type { AppModule, Intent } from "../app.js";
import { CONTACTS_SCHEMA, SENSITIVITY } from "./schema.js";
import { decodeLabeled } from "./contact.js";

const text = (v: unknown): string => (typeof v === "string" ? v : "");
const LABELED = ["phones", "emails", "messengers", "addresses"] as const;

export const contactsApp: AppModule = {
  schema: CONTACTS_SCHEMA,
  label: "Contacts",
  noun: "contact",
  searchText: (r) => ({
    title: text(r.fields["name"]),
    body: [
      text(r.fields["given"]),
      text(r.fields["family"]),
      ...(r.sets["organisations"] ?? []).map(text),
      // Labelled values are "label<US>value": search sees both words.
      ...LABELED.flatMap((f) => (r.sets[f] ?? []).map((v) => text(v).split("\u001f").join(" "))),
      text(r.fields["notes"]),
    ].join("\n"),
  }),
  summary: (r) => text(r.fields["name"]),
  check(intents: readonly Intent[]): string | undefined {
    for (const [i, x] of intents.entries()) {
      if (x.kind === "add" && (LABELED as readonly string[]).includes(x.field)) {
        try {
          decodeLabeled(x.value as string);
        } catch (e) {
          return `op ${i}: ${x.field}: ${(e as Error).message}`;
        }
      }
      if (x.kind === "set" && x.field === "sensitivity" && x.value !== null && !(SENSITIVITY as readonly unknown[]).includes(x.value)) return `op ${i}: sensitivity must be one of ${SENSITIVITY.join(", ")}`;
    }
    return undefined;
  },
};
