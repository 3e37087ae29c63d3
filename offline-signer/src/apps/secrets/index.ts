/** The password vault app: module description; records <-> SecretItem in record.ts. */
import type { AppModule, Intent } from "../app.js";
import { SECRETS_SCHEMA } from "./schema.js";

const text = (v: unknown): string => (typeof v === "string" ? v : "");

/** A custom field as stored in the `fields` set. */
export function parseFieldEntry(v: unknown): { name: string; value: string; hidden: boolean } | undefined {
  if (typeof v !== "string") return undefined;
  try {
    const x = JSON.parse(v) as unknown;
    if (!Array.isArray(x) || x.length !== 3 || typeof x[0] !== "string" || typeof x[1] !== "string" || typeof x[2] !== "boolean") return undefined;
    return { name: x[0], value: x[1], hidden: x[2] };
  } catch {
    return undefined;
  }
}

export function encodeFieldEntry(f: { name: string; value: string; hidden: boolean }): string {
  return JSON.stringify([f.name, f.value, f.hidden]);
}

export const secretsApp: AppModule = {
  schema: SECRETS_SCHEMA,
  label: "Passwords",
  noun: "secret",
  searchText: (r) => ({
    title: text(r.fields["title"]),
    body: [
      text(r.fields["username"]),
      text(r.fields["notes"]),
      ...(r.sets["urls"] ?? []).map(text),
      ...(r.sets["tags"] ?? []).map(text),
      ...(r.sets["fields"] ?? []).map(parseFieldEntry).filter((f) => f !== undefined && !f.hidden).map((f) => `${f!.name} ${f!.value}`),
    ].join("\n"),
  }),
  summary: (r) => `${text(r.fields["title"])}${typeof r.fields["username"] === "string" && r.fields["username"] !== "" ? ` (${r.fields["username"]})` : ""}`,
  check(intents: readonly Intent[]): string | undefined {
    for (const [i, x] of intents.entries()) {
      if (x.kind === "add" && x.field === "fields" && parseFieldEntry(x.value) === undefined) return `op ${i}: a custom field is not [name, value, hidden]`;
    }
    return undefined;
  },
};
