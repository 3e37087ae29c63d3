/**
 * Secrets (the password vault): one login per record. The password and TOTP are `secret`:
 * never indexed for search, masked unless asked. Custom fields are a set of JSON triples
 * [name, value, hidden] so two laptops adding different fields both keep theirs.
 */
import type { AppSchema } from "../app.js";

export const SECRETS_SCHEMA: AppSchema = {
  app: "secrets",
  version: 1,
  versions: {
    1: [
      { name: "title", kind: "text", merge: "lww", maxLength: 512 },
      { name: "username", kind: "text", merge: "lww", maxLength: 1024 },
      { name: "password", kind: "longtext", merge: "lww", maxLength: 4096, secret: true },
      { name: "totp", kind: "text", merge: "lww", maxLength: 2048, secret: true },
      { name: "notes", kind: "longtext", merge: "lww", maxLength: 64 * 1024 },
      { name: "urls", kind: "text", merge: "set", maxLength: 2048, maxItems: 64 },
      { name: "tags", kind: "text", merge: "set", maxLength: 256, maxItems: 64 },
      { name: "fields", kind: "longtext", merge: "set", maxLength: 16 * 1024, maxItems: 64 },
    ],
  },
};
