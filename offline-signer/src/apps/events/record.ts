/** An events record <-> CalEvent: what the CLI, the TUI and iCalendar import write and read. */
import type { Intent, RecordView } from "../app.js";
import { diffRecord, textOf, textsOf } from "../record-diff.js";
import { decodeOverride, encodeOverride, type CalEvent, type Override } from "./event.js";
import { sameRule } from "./syntax.js";

export function eventOf(r: RecordView): CalEvent {
  const tz = textOf(r.fields["tz"]);
  const rrule = textOf(r.fields["rrule"]);
  const location = textOf(r.fields["location"]);
  const notes = textOf(r.fields["notes"]);
  const uid = textOf(r.fields["uid"]);
  const allDay = r.fields["allDay"] === true;
  const rdates = textsOf(r.sets["rdates"]);
  return {
    title: textOf(r.fields["title"]) ?? "",
    allDay,
    start: textOf(r.fields["start"]) ?? "",
    end: textOf(r.fields["end"]) ?? "",
    ...(tz === undefined || allDay ? {} : { tz }),
    ...(rrule === undefined ? {} : { rrule }),
    ...(rdates.length === 0 ? {} : { rdates }),
    exdates: textsOf(r.sets["exdates"]),
    overrides: textsOf(r.sets["overrides"]).map(decodeOverride).filter((o): o is Override => o !== undefined),
    ...(location === undefined ? {} : { location }),
    attendees: textsOf(r.sets["attendees"]),
    guests: textsOf(r.sets["guests"]),
    ...(notes === undefined ? {} : { notes }),
    ...(uid === undefined ? {} : { uid }),
  };
}

/** The intents that make record `id` say `e` (only what differs from `have`). */
export function eventIntents(id: string, given: CalEvent, have?: RecordView): Intent[] {
  // A rule written with its parts in another order (ical.js has its own) is the rule stored:
  // keeping the stored text makes an unchanged event write nothing, on import and edit alike.
  const stored = have === undefined ? undefined : eventOf(have).rrule;
  const e = stored !== undefined && given.rrule !== undefined && sameRule(stored, given.rrule) ? { ...given, rrule: stored } : given;
  return diffRecord(
    id,
    {
      fields: { title: e.title, start: e.start, end: e.end, tz: e.allDay ? undefined : e.tz, allDay: e.allDay ? true : undefined, rrule: e.rrule, location: e.location, notes: e.notes, uid: e.uid },
      sets: { rdates: e.rdates ?? [], exdates: e.exdates, overrides: e.overrides.map(encodeOverride), attendees: e.attendees, guests: e.guests },
    },
    have,
  );
}
