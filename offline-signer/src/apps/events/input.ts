/**
 * What people type, turned into what an event stores. Write-time only (the CLI and the TUI): it
 * may use this runtime's tz database, unlike the replicated check.
 */
import { quoted } from "@airlock/shared";
import { DateTime } from "luxon";
import type { TeamState } from "../../team/state.js";
import { expand, ruleOf, zoneNamed } from "./agenda.js";
import { eventsError } from "./errors.js";
import type { CalEvent } from "./event.js";
import { EARLY_REASON, beforeMinYear, isDate, isWall } from "./syntax.js";

/** This computer's zone (TZ, else the system's), for times typed without --tz. */
export function systemZone(): string {
  const z = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return z !== undefined && zoneNamed(z) !== undefined ? z : "UTC";
}

/** A zone typed with --tz: known to this system's tz database, or a typed error. */
export function knownZone(tz: string): string {
  if (zoneNamed(tz) === undefined) throw eventsError("EVENTS_BAD_EVENT", "--tz is not a time zone this system knows (an IANA name such as Europe/Berlin or America/New_York)");
  return tz;
}

/**
 * "2026-03-30T09:00" (or with seconds, or a space for the T) as a wall time in `tz`; a time with
 * "Z" or an offset is that instant, shown in `tz`. Undefined when it is neither.
 */
export function wallFromInput(s: string, tz: string): string | undefined {
  const t = s.trim().replace(" ", "T");
  const plain = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?$/.exec(t);
  if (plain !== null) return known(`${plain[1]}${plain[2] ?? ":00"}`, isWall);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})$/.test(t)) return undefined;
  const d = DateTime.fromISO(t, { setZone: true });
  if (!d.isValid) return undefined;
  return known(d.setZone(tz).toFormat("yyyy-MM-dd'T'HH:mm:ss"), isWall);
}

/** `v` when it is a stored form; a typed error for a year before MIN_YEAR; else undefined. */
function known(v: string, form: (v: string) => boolean): string | undefined {
  if (form(v)) return v;
  if (beforeMinYear(v)) throw eventsError("EVENTS_BAD_EVENT", `a date ${EARLY_REASON}`);
  return undefined;
}

/** "2026-04-03" (a date with --all-day) or undefined. */
export const dateFromInput = (s: string): string | undefined => known(s.trim(), isDate);

/** The day after `date`. */
export function nextDay(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The day before `date`. */
export function previousDay(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

/** A member by name (as `members list` shows it) to the user id attendees store. */
export function memberId(state: TeamState, name: string): string {
  const users = [...state.users.values()].filter((u) => u.active);
  const exact = users.filter((u) => u.name === name);
  const loose = exact.length > 0 ? exact : users.filter((u) => u.name.toLowerCase() === name.toLowerCase());
  if (loose.length === 1) return loose[0]!.id;
  throw eventsError("EVENTS_UNKNOWN_ATTENDEE", loose.length === 0 ? `attendee ${quoted(name)} is not a member of the team` : `attendee ${quoted(name)} matches several members`);
}

/**
 * The names of the current members by user id. An attendee not in it (removed from the team since
 * the invitation, which check allowed only while they were a member) is not shown as attending:
 * the TUI shows "former member <id>", `events show` marks them (read.ts attendeesOf), and an
 * export leaves them out.
 */
export function memberNames(state: TeamState): Map<string, string> {
  return new Map([...state.users.values()].filter((u) => u.active).map((u) => [u.id, u.name]));
}

/**
 * The occurrence of `e` that `arg` names, as its RECURRENCE-ID: a date (the only occurrence that
 * day) or a wall time ("2026-03-30T09:00"). A typed error when the series has no such occurrence.
 */
export function occurrenceId(e: CalEvent, arg: string): string {
  const zone = zoneNamed(e.tz ?? "UTC") ?? zoneNamed("UTC")!;
  const day = dateFromInput(arg);
  const wall = day === undefined ? wallFromInput(arg, e.tz ?? "UTC") : undefined;
  if (day === undefined && wall === undefined) throw eventsError("EVENTS_NO_OCCURRENCE", "DATE must be a date (YYYY-MM-DD) or the occurrence's start (YYYY-MM-DDTHH:MM)");
  const first = (day ?? wall!).slice(0, 10);
  const from = Date.UTC(...(first.split("-").map(Number) as [number, number, number]).map((n, i) => (i === 1 ? n - 1 : n)) as [number, number, number]);
  const rule = ruleOf(e, zone);
  const extra = e.rdates ?? [];
  if (rule === undefined && extra.length === 0) throw eventsError("EVENTS_NO_OCCURRENCE", "the event does not repeat: change it with events edit");
  const ruled = rule === undefined ? [e.start] : expand(rule, from, from + 86_400_000 - 1, 10_000).walls.map((ms) => new Date(ms).toISOString().slice(0, e.allDay ? 10 : 19));
  const walls = [...new Set([...ruled, ...extra])].filter((w) => w.slice(0, 10) === first && (e.allDay ? isDate(w) : isWall(w))).sort();
  const hits = wall === undefined ? walls : walls.filter((w) => w === wall);
  if (hits.length === 1) return hits[0]!;
  throw eventsError("EVENTS_NO_OCCURRENCE", hits.length === 0 ? `the series has no occurrence on ${quoted(arg)}` : "the series has several occurrences that day: name one by its start (YYYY-MM-DDTHH:MM)");
}
