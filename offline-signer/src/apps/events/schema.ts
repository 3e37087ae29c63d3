/**
 * Events: the calendar. Times are stored as the event's own wall-clock time ("2026-03-30T09:00:00")
 * plus its IANA zone, never as instants: a weekly 09:00 meeting in Berlin must stay 09:00 there
 * across the DST change, so recurrences are expanded in wall time and converted to instants only
 * when read (agenda.ts). All-day events hold dates and no zone.
 *
 * Per-occurrence changes live in two add-wins sets so that two laptops cancelling or moving
 * different occurrences offline both keep theirs: `exdates` (cancelled occurrences, RFC 5545
 * EXDATE) and `overrides` ("RECURRENCE-ID<US>start<US>end", a moved occurrence). Version 2 adds
 * `rdates`, extra occurrences (RDATE) in the same form as exdates; a batch without them still
 * names version 1, so a release that knows only version 1 reads it.
 */
import type { AppSchema, FieldSpec } from "../app.js";

const V1: readonly FieldSpec[] = [
  { name: "title", kind: "text", merge: "lww", maxLength: 512 },
  { name: "start", kind: "text", merge: "lww", maxLength: 19 },
  { name: "end", kind: "text", merge: "lww", maxLength: 19 },
  { name: "tz", kind: "text", merge: "lww", maxLength: 64 },
  { name: "allDay", kind: "bool", merge: "lww", maxLength: 1 },
  { name: "rrule", kind: "text", merge: "lww", maxLength: 1024 },
  { name: "exdates", kind: "text", merge: "set", maxLength: 19, maxItems: 1024 },
  { name: "overrides", kind: "text", merge: "set", maxLength: 64, maxItems: 1024 },
  { name: "location", kind: "text", merge: "lww", maxLength: 512 },
  /** Member user ids (hex): check() verifies each is a member at the batch's causal position. */
  { name: "attendees", kind: "text", merge: "set", maxLength: 64, maxItems: 256 },
  /** People outside the team an imported invitation named ("Name <mail>"): plain text. */
  { name: "guests", kind: "text", merge: "set", maxLength: 512, maxItems: 256 },
  { name: "notes", kind: "longtext", merge: "lww", maxLength: 64 * 1024 },
  /** The iCalendar UID, so a re-import updates the event instead of adding a copy. */
  { name: "uid", kind: "text", merge: "lww", maxLength: 512 },
];

export const EVENTS_SCHEMA: AppSchema = {
  app: "events",
  version: 2,
  versions: {
    1: V1,
    2: [...V1, { name: "rdates", kind: "text", merge: "set", maxLength: 19, maxItems: 1024 }],
  },
};
