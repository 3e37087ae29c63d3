/** The contacts app: module description; records <-> Contact in record.ts. */
import type { AppModule, Intent } from "../app.js";
import { CONTACTS_SCHEMA, SENSITIVITY } from "./schema.js";
import { LABELED_SEPARATOR } from "./contact.js";

const UTF8 = new TextEncoder();
// C0 and C1 controls and DEL: fixed code points, the same on every runtime.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The replicated rule for a labelled value: "label<US>value" with a label of at most 64 bytes
 * and no control character, and a non-empty value. Deliberately free of case mapping and
 * Unicode classes, whose tables differ between runtimes: the canonical lowercase form of labels
 * is the writer's job (contact.ts normalizeLabel), not something vaults may disagree on.
 */
function labeledProblem(v: unknown): string | undefined {
  if (typeof v !== "string") return "is not text";
  const at = v.indexOf(LABELED_SEPARATOR);
  if (at < 0) return "has no label separator";
  const label = v.slice(0, at);
  if (CONTROL.test(label)) return "has a control character in its label";
  if (UTF8.encode(label).length > 64) return "has a label longer than 64 bytes";
  if (at === v.length - 1) return "has an empty value";
  return undefined;
}

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
        const why = labeledProblem(x.value);
        if (why !== undefined) return `op ${i}: ${x.field} value ${why}`;
      }
      if (x.kind === "set" && x.field === "sensitivity" && x.value !== null && !(SENSITIVITY as readonly unknown[]).includes(x.value)) return `op ${i}: sensitivity must be one of ${SENSITIVITY.join(", ")}`;
    }
    return undefined;
  },
};
