/** Records of an events collection as the agenda reads them, and one-line texts of an event. */
import { DateTime, type Zone } from "luxon";
import type { RecordView } from "../app.js";
import type { TeamState } from "../../team/state.js";
import { agenda, type ExpansionReport, type Occurrence, type Window } from "./agenda.js";
import type { CalEvent } from "./event.js";
import { eventOf } from "./record.js";
import { previousDay } from "./input.js";

export function agendaOf(records: readonly RecordView[], window: Window, display: Zone, report?: ExpansionReport): Occurrence[] {
  return agenda(records.map((r) => ({ id: r.id, event: eventOf(r) })), window, display, report);
}

/** An attendee as `events show` gives it: `removed` when no longer a member (name null if never known). */
export interface Attendee {
  readonly id: string;
  readonly name: string | null;
  readonly removed: boolean;
}

/** The event's attendees against the team now: a member removed since is marked, never shown as attending. */
export function attendeesOf(e: CalEvent, state: TeamState): Attendee[] {
  return e.attendees.map((id) => {
    const u = state.users.get(id);
    return { id, name: u?.name ?? null, removed: u?.active !== true };
  });
}

/** "vera", or "vera (removed from the team)". */
export const attendeeText = (a: Attendee): string => (a.removed ? `${a.name ?? `member ${a.id.slice(0, 8)}`} (removed from the team)` : (a.name ?? a.id.slice(0, 8)));

/** "2026-03-30 09:00-10:00 Europe/Berlin", "2026-04-03 (all day)", "2026-04-03 to 2026-04-05 (all day)". */
export function whenText(e: CalEvent): string {
  if (e.allDay) {
    const last = e.end > e.start ? previousDay(e.end) : e.start;
    return last === e.start ? `${e.start} (all day)` : `${e.start} to ${last} (all day)`;
  }
  const [sd, st] = [e.start.slice(0, 10), e.start.slice(11, 16)];
  const [ed, et] = [e.end.slice(0, 10), e.end.slice(11, 16)];
  return `${sd} ${st}-${ed === sd ? "" : `${ed} `}${et} ${e.tz ?? "UTC"}`;
}

/** An occurrence's time in the reader's zone: "2026-03-30 09:00-10:00" or "2026-04-03 all day". */
export function occurrenceText(o: Occurrence, display: Zone): string {
  if (o.allDay) return o.end > nextOf(o.start) ? `${o.start} to ${previousDay(o.end)} all day` : `${o.start} all day`;
  const s = DateTime.fromMillis(o.startMs, { zone: display });
  const e = DateTime.fromMillis(o.endMs, { zone: display });
  return `${s.toFormat("yyyy-MM-dd HH:mm")}-${e.toFormat(e.hasSame(s, "day") ? "HH:mm" : "yyyy-MM-dd HH:mm")}`;
}

const nextOf = (date: string): string => {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
};
