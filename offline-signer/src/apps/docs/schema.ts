/**
 * Documents: four kinds of record in one collection, told apart by id alone (record.ts):
 * - a document (`<16 hex>.<user id>`): title and its first version (`initial`, `creator`), written
 *   only by the user its id names, and `reviews`, the append-only log of approvals, rejections and
 *   the points where proposals were written, whose HLC order every vault sees alike and which
 *   therefore decides the accepted versions (review.ts);
 * - a proposal (`<16 hex>.<user id>.proposal`): a whole new text on top of an accepted version
 *   (`base`), written only by the user its id names;
 * - a draft (`<doc>.draft`): the Yjs updates of the shared working copy, an append-only list;
 * - the collection's `settings`: how many approvals a change needs and which role reviews.
 */
import type { AppSchema } from "../app.js";

/** Longest document, in UTF-16 code units: its Yjs insert (UTF-8, at most 3 bytes each) stays under the 1 MiB value limit. */
export const MAX_DOC_CHARS = 256 * 1024;
/** Longest Yjs update one op carries. */
export const MAX_UPDATE_BYTES = 1024 * 1024;
export const MAX_APPROVALS = 16;
export const SETTINGS_ID = "settings";
export const REVIEWER_ROLES = ["editor", "admin", "owner"] as const;

export const DOCS_SCHEMA: AppSchema = {
  app: "docs",
  version: 1,
  versions: {
    1: [
      // A document.
      { name: "title", kind: "text", merge: "lww", maxLength: 512 },
      { name: "initial", kind: "longtext", merge: "lww", maxLength: MAX_DOC_CHARS },
      { name: "creator", kind: "text", merge: "lww", maxLength: 128 },
      { name: "reviews", kind: "text", merge: "list", maxLength: 512, maxItems: 16 },
      // A proposal.
      { name: "doc", kind: "text", merge: "lww", maxLength: 256 },
      { name: "base", kind: "text", merge: "lww", maxLength: 256 },
      { name: "text", kind: "longtext", merge: "lww", maxLength: MAX_DOC_CHARS },
      { name: "message", kind: "text", merge: "lww", maxLength: 1024 },
      { name: "by", kind: "text", merge: "lww", maxLength: 128 },
      // A draft.
      { name: "updates", kind: "bytes", merge: "list", maxLength: MAX_UPDATE_BYTES, maxItems: 16 },
      // The settings.
      { name: "approvals", kind: "int", merge: "lww", maxLength: 8 },
      { name: "reviewer", kind: "text", merge: "lww", maxLength: 16 },
    ],
  },
};
