/**
 * One calendar event as the CLI, the TUI and iCalendar import/export see it, and the write-time
 * rules for it (checkEvent). The replicated rules are the syntax ones (syntax.ts); what needs two
 * fields at once (the end not before the start) is enforced here on write and made harmless on
 * read (agenda.ts clamps an end before the start to the start).
 */
import { eventsError } from "./errors.js";
import { EARLY_REASON, OVERRIDE_SEPARATOR, beforeMinYear, isDate, isWall, isZoneName, overrideProblem, rruleProblem } from "./syntax.js";

/** A moved occurrence: `rid` is the start the series gave it, `start`/`end` where it is now. */
export interface Override {
  readonly rid: string;
  readonly start: string;
  readonly end: string;
}

export interface CalEvent {
  readonly title: string;
  readonly allDay: boolean;
  /** Wall-clock time in `tz` ("2026-03-30T09:00:00"), or a date for all-day events. */
  readonly start: string;
  /** As start; for all-day events the day after the last (iCalendar's DTEND). */
  readonly end: string;
  /** IANA zone of a timed event; absent for all-day events. */
  readonly tz?: string;
  /** RRULE value without the "RRULE:" prefix. */
  readonly rrule?: string;
  /**
   * Extra occurrences (RFC 5545 RDATE), in the form of the start; with or without a rule, and
   * cancelled or moved by their start like the rule's. Absent when there are none (schema version 2).
   */
  readonly rdates?: readonly string[];
  /** Cancelled occurrences, by the start the series gives them. */
  readonly exdates: readonly string[];
  readonly overrides: readonly Override[];
  readonly location?: string;
  /** Member user ids. */
  readonly attendees: readonly string[];
  /** People outside the team, as an imported invitation named them. */
  readonly guests: readonly string[];
  readonly notes?: string;
  readonly uid?: string;
}

export const encodeOverride = (o: Override): string => [o.rid, o.start, o.end].join(OVERRIDE_SEPARATOR);

export function decodeOverride(v: string): Override | undefined {
  if (overrideProblem(v) !== undefined) return undefined;
  const [rid, start, end] = v.split(OVERRIDE_SEPARATOR) as [string, string, string];
  return { rid, start, end };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Returns `e` when it keeps to the limits; a typed error naming `what` and the rule otherwise. */
export function checkEvent(e: CalEvent, what: string): CalEvent {
  const bad = (why: string): never => {
    throw eventsError("EVENTS_BAD_EVENT", `${what}: ${why}`);
  };
  if (e.title.trim() === "") bad("the title is blank");
  if (e.title.length > 512 || CONTROL.test(e.title)) bad("the title must be one line of at most 512 characters");
  const form = e.allDay ? isDate : isWall;
  const formName = e.allDay ? "a date (YYYY-MM-DD)" : "a time (YYYY-MM-DDTHH:MM:SS)";
  if (!form(e.start)) bad(beforeMinYear(e.start) ? `the start ${EARLY_REASON}` : `the start is not ${formName}`);
  if (!form(e.end)) bad(beforeMinYear(e.end) ? `the end ${EARLY_REASON}` : `the end is not ${formName}`);
  if (e.allDay ? e.end <= e.start : e.end < e.start) bad("the end is before the start");
  if (e.allDay && e.tz !== undefined) bad("an all-day event has no time zone");
  if (!e.allDay && (e.tz === undefined || !isZoneName(e.tz))) bad("the time zone is not an IANA zone name such as Europe/Berlin");
  if (e.rrule !== undefined) {
    const why = rruleProblem(e.rrule);
    if (why !== undefined) bad(`the RRULE ${why}`);
  }
  for (const x of e.exdates) if (!form(x)) bad(beforeMinYear(x) ? `an exception ${EARLY_REASON}` : `an exception is not ${formName}`);
  for (const x of e.rdates ?? []) if (!form(x)) bad(beforeMinYear(x) ? `an extra date (RDATE) ${EARLY_REASON}` : `an extra date (RDATE) is not ${formName}`);
  for (const o of e.overrides) {
    const why = overrideProblem(encodeOverride(o));
    if (why !== undefined || !form(o.rid)) bad(`a moved occurrence ${why ?? "does not match the event's kind of time"}`);
  }
  if (e.exdates.length > 1024 || e.overrides.length > 1024 || (e.rdates ?? []).length > 1024) bad("more than 1,024 exceptions, extra dates (RDATE) or moved occurrences");
  if (e.location !== undefined && (e.location.length > 512 || CONTROL.test(e.location))) bad("the location must be one line of at most 512 characters");
  if (e.attendees.length > 256 || e.guests.length > 256) bad("more than 256 attendees");
  for (const g of e.guests) if (g.length > 512 || CONTROL.test(g)) bad("a guest must be one line of at most 512 characters");
  if (e.notes !== undefined && e.notes.length > 64 * 1024) bad("the notes are longer than 64 KiB");
  if (e.uid !== undefined && (e.uid.length > 512 || CONTROL.test(e.uid))) bad("the UID must be one line of at most 512 characters");
  return e;
}
