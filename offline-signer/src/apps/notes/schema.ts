/** Notes: a title, a multi-line body, comma-separated tags, and comments that are only ever added. */
import type { AppSchema } from "../app.js";

export const NOTES_SCHEMA: AppSchema = {
  app: "notes",
  version: 1,
  versions: {
    1: [
      { name: "title", kind: "text", merge: "lww", maxLength: 1024 },
      { name: "body", kind: "longtext", merge: "lww", maxLength: 1 << 20 },
      { name: "tags", kind: "text", merge: "lww", maxLength: 4096 },
      { name: "comments", kind: "longtext", merge: "list", maxLength: 64 * 1024, maxItems: 1000 },
    ],
  },
};
