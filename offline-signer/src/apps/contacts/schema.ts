/**
 * Contacts: every multi-valued field is an add-wins set, so two laptops that each add a phone
 * number offline both keep theirs. Labelled values (phones, emails, messengers, addresses) are
 * stored as one string each: contact.ts encodeLabeled.
 */
import type { AppSchema } from "../app.js";

export const SENSITIVITY = ["normal", "sensitive", "secret"] as const;

export const CONTACTS_SCHEMA: AppSchema = {
  app: "contacts",
  version: 1,
  versions: {
    1: [
      { name: "name", kind: "text", merge: "lww", maxLength: 512 },
      { name: "given", kind: "text", merge: "lww", maxLength: 256 },
      { name: "family", kind: "text", merge: "lww", maxLength: 256 },
      { name: "organisations", kind: "text", merge: "set", maxLength: 512, maxItems: 64 },
      { name: "phones", kind: "text", merge: "set", maxLength: 2200, maxItems: 64 },
      { name: "emails", kind: "text", merge: "set", maxLength: 2200, maxItems: 64 },
      { name: "messengers", kind: "text", merge: "set", maxLength: 2200, maxItems: 64 },
      { name: "addresses", kind: "text", merge: "set", maxLength: 2200, maxItems: 64 },
      { name: "notes", kind: "longtext", merge: "lww", maxLength: 64 * 1024 },
      { name: "sensitivity", kind: "text", merge: "lww", maxLength: 16 },
      { name: "uid", kind: "text", merge: "lww", maxLength: 512 },
    ],
  },
};
