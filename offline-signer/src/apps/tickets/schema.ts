/**
 * Tickets: single values are last-writer-wins, labels an add-wins set (two laptops labelling one
 * ticket offline both keep theirs), comments and the change history append-only lists. Comment
 * and history items carry their author's user id, which `check` holds against the signing
 * device (index.ts), so no member can write or edit in another's name.
 */
import type { AppSchema } from "../app.js";

/** The four states, as stored. The CLI also takes "in-progress". */
export const STATUSES = ["open", "in progress", "blocked", "done"] as const;
export type Status = (typeof STATUSES)[number];

export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];

export const MAX_TITLE = 512;
export const MAX_DESCRIPTION = 64 * 1024;
export const MAX_LABEL = 64;
export const MAX_COMMENT = 16 * 1024;
/** A comment item: "<comment id><US><ms><US><body>"; the id is "<user id>.<16 hex>". */
const COMMENT_ITEM = MAX_COMMENT + 256;
export const MAX_HISTORY_WHAT = 512;

export const TICKETS_SCHEMA: AppSchema = {
  app: "tickets",
  version: 1,
  versions: {
    1: [
      { name: "title", kind: "text", merge: "lww", maxLength: MAX_TITLE },
      { name: "description", kind: "longtext", merge: "lww", maxLength: MAX_DESCRIPTION },
      { name: "status", kind: "text", merge: "lww", maxLength: 16 },
      { name: "priority", kind: "text", merge: "lww", maxLength: 16 },
      // User ids (hex), shown by name: a rename in the team log renames them everywhere.
      { name: "assignee", kind: "text", merge: "lww", maxLength: 128 },
      { name: "reporter", kind: "text", merge: "lww", maxLength: 128 },
      { name: "due", kind: "text", merge: "lww", maxLength: 10 },
      { name: "labels", kind: "text", merge: "set", maxLength: MAX_LABEL, maxItems: 32 },
      { name: "comments", kind: "longtext", merge: "list", maxLength: COMMENT_ITEM, maxItems: 8 },
      // "<user id><US><ms><US><what>": one line per change, written with the change.
      { name: "history", kind: "text", merge: "list", maxLength: 128 + 32 + MAX_HISTORY_WHAT, maxItems: 64 },
    ],
  },
};
