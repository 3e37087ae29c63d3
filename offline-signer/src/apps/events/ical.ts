/**
 * iCalendar (RFC 5545) import and export, with ical.js as the parser and writer. Pure functions
 * over bytes: sizes are bounded before anything is parsed, a file is taken whole or not at all,
 * and errors name the event, line and property, never the text found there.
 *
 * What a VEVENT becomes: DTSTART/DTEND (TZID, UTC or DATE; DURATION when DTEND is absent), RRULE,
 * RDATE (extra occurrences, at most 1,024; a PERIOD of its own length also moves its end), EXDATE, SUMMARY, LOCATION, DESCRIPTION, UID, ATTENDEE (a member when the CN names one, else a
 * guest). A VEVENT with RECURRENCE-ID changes one occurrence of its series: STATUS:CANCELLED
 * cancels it (an EXDATE), otherwise its new DTSTART/DTEND move it; other changes to one
 * occurrence (its own title) are not kept, and the import says how many.
 */
import ICAL from "ical.js";
import type { Zone } from "luxon";
import { eventsError } from "./errors.js";
import { checkEvent, type CalEvent, type Override } from "./event.js";
import { instantOf, wallOf, zoneNamed } from "./agenda.js";
import { vtimezoneOf } from "./vtimezone.js";
import { EARLY_REASON, beforeMinYear, isZoneName, ruleParts, rruleProblem } from "./syntax.js";

export const MAX_ICS_BYTES = 16 * 1024 * 1024;
export const MAX_ICS_EVENTS = 20_000;
/** RDATE values one VTIMEZONE may list: a zone's whole history since 1847 has a few hundred. */
export const MAX_ZONE_RDATES = 1_000;

/** Outlook and Exchange name zones the Windows way; the common ones (CLDR windowsZones, territory 001). */
const WINDOWS_ZONES: Readonly<Record<string, string>> = {
  "W. Europe Standard Time": "Europe/Berlin",
  "Central Europe Standard Time": "Europe/Budapest",
  "Central European Standard Time": "Europe/Warsaw",
  "Romance Standard Time": "Europe/Paris",
  "GMT Standard Time": "Europe/London",
  "Greenwich Standard Time": "Atlantic/Reykjavik",
  "E. Europe Standard Time": "Europe/Chisinau",
  "FLE Standard Time": "Europe/Kiev",
  "GTB Standard Time": "Europe/Bucharest",
  "Russian Standard Time": "Europe/Moscow",
  "Turkey Standard Time": "Europe/Istanbul",
  "Israel Standard Time": "Asia/Jerusalem",
  "Middle East Standard Time": "Asia/Beirut",
  "Egypt Standard Time": "Africa/Cairo",
  "South Africa Standard Time": "Africa/Johannesburg",
  "E. Africa Standard Time": "Africa/Nairobi",
  "Arabian Standard Time": "Asia/Dubai",
  "India Standard Time": "Asia/Calcutta",
  "China Standard Time": "Asia/Shanghai",
  "Tokyo Standard Time": "Asia/Tokyo",
  "AUS Eastern Standard Time": "Australia/Sydney",
  "Eastern Standard Time": "America/New_York",
  "Central Standard Time": "America/Chicago",
  "Mountain Standard Time": "America/Denver",
  "Pacific Standard Time": "America/Los_Angeles",
  "SA Pacific Standard Time": "America/Bogota",
  "E. South America Standard Time": "America/Sao_Paulo",
  "Argentina Standard Time": "America/Buenos_Aires",
  "UTC": "UTC",
  "Coordinated Universal Time": "UTC",
};

export interface ImportOptions {
  /** Zone of floating times (no TZID, no Z): the importer's own. */
  readonly floatingZone: string;
  /** Member names (as the CN of an ATTENDEE may give them, compared case-insensitively) to user ids. */
  readonly members: ReadonlyMap<string, string>;
}

export interface ImportResult {
  readonly events: CalEvent[];
  /** Things not kept, for the user to hear about: counts by kind. */
  readonly notes: string[];
}

type Prop = [string, Record<string, unknown>, string, ...unknown[]];
type Comp = [string, Prop[], Comp[]];

/** Where each VEVENT and its properties are, from a scan of the unfolded lines. */
interface Place {
  readonly line: number;
  readonly props: Map<string, number>;
}

// C0 and C1 controls and DEL: one-line fields (title, location, a guest) get a space instead.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]+/g;
// `;` only between parameters, never inside one: two ways to read a run of `;` backtrack exponentially.
const LINE = /^[A-Za-z0-9-]+(?:;(?:[^";:\r\n]|"[^"\r\n]*")*)*:/;

function scan(text: string): Place[] {
  const physical = text.split(/\r?\n/);
  const places: Place[] = [];
  let depth = 0;
  let current: Place | undefined;
  let at = 0;
  while (at < physical.length) {
    const lineNo = at + 1;
    let line = physical[at]!;
    at++;
    while (at < physical.length && /^[ \t]/.test(physical[at]!)) line += physical[at++]!.slice(1);
    if (line === "") continue;
    if (!LINE.test(line)) throw malformed(lineNo, undefined, "is not a property line (NAME;PARAMS:VALUE)");
    const name = line.slice(0, line.search(/[;:]/)).toUpperCase();
    const value = line.slice(line.indexOf(":", name.length) + 1).toUpperCase();
    if (name === "BEGIN") {
      depth++;
      if (value === "VEVENT") {
        current = { line: lineNo, props: new Map() };
        places.push(current);
        if (places.length > MAX_ICS_EVENTS) throw eventsError("EVENTS_IMPORT_TOO_LARGE", `more than ${MAX_ICS_EVENTS} events in one file`);
        depth = 1;
      }
    } else if (name === "END") {
      depth--;
      if (value === "VEVENT") current = undefined;
    } else if (current !== undefined && depth === 1 && !current.props.has(name)) current.props.set(name, lineNo);
  }
  return places;
}

function malformed(line: number, property: string | undefined, reason: string): Error {
  return eventsError("EVENTS_IMPORT_MALFORMED", `iCalendar line ${line}${property === undefined ? "" : `, ${property}`}: ${reason}`);
}

const props = (c: Comp, name: string): Prop[] => c[1].filter((p) => p[0] === name);
const prop = (c: Comp, name: string): Prop | undefined => c[1].find((p) => p[0] === name);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

interface Context {
  readonly zones: Map<string, ICAL.Timezone>;
  /** VTIMEZONEs not used, by TZID: why. */
  readonly refused: ReadonlyMap<string, string>;
  readonly floatingZone: string;
  readonly notes: Map<string, number>;
  readonly place: Place;
}

/** A DTSTART-like value: its zone (IANA, "UTC"), wall time or date, or an instant when its zone is only a VTIMEZONE. */
interface Moment {
  readonly date: boolean;
  /** "2026-03-30T09:00:00" or "2026-03-30". */
  readonly wall: string;
  readonly tz?: string;
}

function note(ctx: Context, what: string): void {
  ctx.notes.set(what, (ctx.notes.get(what) ?? 0) + 1);
}

/** A TZID as an IANA zone this runtime knows, through the Windows table and "/vendor/.../Area/City" prefixes. */
function ianaOf(tzid: string): string | undefined {
  if (zoneNamed(tzid) !== undefined) return tzid;
  const windows = WINDOWS_ZONES[tzid];
  if (windows !== undefined) return windows;
  const parts = tzid.split("/").filter((p) => p !== "");
  for (let k = Math.min(3, parts.length); k >= 1; k--) {
    const tail = parts.slice(-k).join("/");
    if (isZoneName(tail) && zoneNamed(tail) !== undefined) return tail;
  }
  return undefined;
}

const toWallText = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

/** One value of a DATE / DATE-TIME property, as a moment. */
function momentOf(p: Prop, raw: unknown, ctx: Context, name: string): Moment {
  const line = ctx.place.props.get(name.toUpperCase()) ?? ctx.place.line;
  const value = str(raw);
  // Before any Date.UTC below reads a year 0–99 as 1900–1999.
  if (beforeMinYear(value)) throw malformed(line, name.toUpperCase(), EARLY_REASON);
  if (p[2] === "date") {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw malformed(line, name.toUpperCase(), "is not a date");
    return { date: true, wall: value };
  }
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(Z?)$/.exec(value);
  if (p[2] !== "date-time" || m === null) throw malformed(line, name.toUpperCase(), "is not a date or a date-time");
  const wall = m[1]!;
  if (m[2] === "Z") return { date: false, wall, tz: "UTC" };
  const tzid = str(p[1]["tzid"]);
  if (tzid === "") return { date: false, wall, tz: ctx.floatingZone };
  const iana = ianaOf(tzid);
  if (iana !== undefined) return { date: false, wall, tz: iana };
  const refused = ctx.refused.get(tzid);
  if (refused !== undefined) throw malformed(line, name.toUpperCase(), `names the time zone ${JSON.stringify(tzid.replace(CONTROLS, " ").slice(0, 64))}, whose VTIMEZONE ${refused}`);
  const vtz = ctx.zones.get(tzid);
  if (vtz !== undefined) {
    // A zone known only by its VTIMEZONE: the instant is right; a series keeps UTC wall times.
    note(ctx, "times in a zone this system does not know were converted to UTC");
    const [y, mo, d, h, mi, s] = wall.split(/[-T:]/).map(Number) as [number, number, number, number, number, number];
    const t = ICAL.Time.fromData({ year: y, month: mo, day: d, hour: h, minute: mi, second: s, isDate: false }, vtz);
    return { date: false, wall: toWallText(t.toUnixTime() * 1000), tz: "UTC" };
  }
  throw malformed(line, name.toUpperCase(), "names a time zone with neither an IANA name nor a VTIMEZONE");
}

/** A moment's wall time in `tz` (another zone's time converted through its instant). */
function wallIn(m: Moment, tz: string | undefined): string {
  if (m.date || tz === undefined || m.tz === tz) return m.wall;
  const from = zoneNamed(m.tz ?? "UTC");
  const to = zoneNamed(tz);
  if (from === undefined || to === undefined) return m.wall;
  const [y, mo, d, h, mi, s] = m.wall.split(/[-T:]/).map(Number) as [number, number, number, number, number, number];
  return toWallText(wallOf(instantOf(Date.UTC(y, mo - 1, d, h, mi, s), from as Zone), to as Zone));
}

function plusSeconds(wall: string, date: boolean, seconds: number): string {
  const [y, mo, d, h = 0, mi = 0, s = 0] = wall.split(/[-T:]/).map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h, mi, s) + seconds * 1000;
  return date ? new Date(ms).toISOString().slice(0, 10) : toWallText(ms);
}

function durationSeconds(p: Prop, ctx: Context): number {
  try {
    return ICAL.Duration.fromString(str(p[3])).toSeconds();
  } catch {
    throw malformed(ctx.place.props.get("DURATION") ?? ctx.place.line, "DURATION", "is not a duration");
  }
}

const MOVED_ONLY = "changes to one occurrence other than its time were not kept";

interface Parsed {
  readonly uid: string | undefined;
  readonly rid: Moment | undefined;
  readonly cancelled: boolean;
  readonly event: CalEvent;
  readonly place: Place;
}

function attendeesOf(c: Comp, members: ReadonlyMap<string, string>): { attendees: string[]; guests: string[] } {
  // An Airlock id is an attendee only while it is a member: check refuses anyone else.
  const current = new Set(members.values());
  const attendees = new Set<string>();
  const guests = new Set<string>();
  for (const p of props(c, "attendee")) {
    const address = str(p[3]);
    const cn = str(p[1]["cn"]).replace(CONTROLS, " ").trim();
    const id = /^urn:airlock:member:([0-9a-f]{64})$/.exec(address)?.[1];
    const member = id !== undefined && current.has(id) ? id : members.get(cn.toLowerCase());
    if (member !== undefined) {
      attendees.add(member);
      continue;
    }
    const mail = address.replace(/^mailto:/i, "").replace(CONTROLS, "");
    const guest = cn !== "" && mail !== "" && cn !== mail ? `${cn} <${mail}>` : cn || mail;
    if (guest !== "") guests.add(guest.slice(0, 512));
  }
  return { attendees: [...attendees].slice(0, 256), guests: [...guests].slice(0, 256) };
}

/** Most extra dates one event may list, as for exceptions (checkEvent). */
const MAX_RDATES = 1024;

/**
 * RDATE values as extra occurrences, in the series' zone. A PERIOD (start/end or start/duration)
 * is an extra occurrence at its start plus, when it lasts otherwise than the event, a move of that
 * occurrence to its own end.
 */
function rdatesOf(c: Comp, ctx: Context, start: Moment, end: string, tz: string | undefined): { rdates: string[]; periods: Override[] } {
  const line = ctx.place.props.get("RDATE") ?? ctx.place.line;
  const rdates = new Set<string>();
  const periods: Override[] = [];
  const duration = (from: string, to: string): number => Date.parse(`${to}Z`) - Date.parse(`${from}Z`);
  for (const p of props(c, "rdate")) {
    for (const v of p.slice(3)) {
      if (rdates.size >= MAX_RDATES) throw malformed(line, "RDATE", `lists more than ${MAX_RDATES} extra dates`);
      if (p[2] === "period") {
        const [from, to] = Array.isArray(v) ? (v as unknown[]).map(str) : [];
        if (start.date || from === undefined || to === undefined) throw malformed(line, "RDATE", "is a period where DTSTART is a date, or not a period");
        const asTime: Prop = [p[0], p[1], "date-time", from];
        const rid = wallIn(momentOf(asTime, from, ctx, "rdate"), tz);
        let until: string;
        if (/^[+-]?P/.test(to)) {
          let seconds: number;
          try {
            seconds = ICAL.Duration.fromString(to).toSeconds();
          } catch {
            throw malformed(line, "RDATE", "is not a period");
          }
          until = plusSeconds(rid, false, seconds);
        } else until = wallIn(momentOf([p[0], p[1], "date-time", to], to, ctx, "rdate"), tz);
        rdates.add(rid);
        periods.push({ rid, start: rid, end: until });
        continue;
      }
      const m = momentOf(p, v, ctx, "rdate");
      if (m.date !== start.date) throw malformed(line, "RDATE", "is a date where DTSTART is a date-time, or the other way round");
      rdates.add(wallIn(m, tz));
    }
  }
  return { rdates: [...rdates], periods: periods.filter((o) => duration(o.rid, o.end) !== duration(start.wall, end)) };
}

function parseVevent(c: Comp, ctx: Context, options: ImportOptions): Parsed {
  const { place } = ctx;
  const startProp = prop(c, "dtstart");
  if (startProp === undefined) throw malformed(place.line, "DTSTART", "the event has no start");
  const start = momentOf(startProp, startProp[3], ctx, "dtstart");
  const tz = start.date ? undefined : start.tz;
  const endProp = prop(c, "dtend");
  const durProp = prop(c, "duration");
  let end: string;
  if (endProp !== undefined) {
    const m = momentOf(endProp, endProp[3], ctx, "dtend");
    if (m.date !== start.date) throw malformed(place.props.get("DTEND")!, "DTEND", "is a date where DTSTART is a date-time, or the other way round");
    end = wallIn(m, tz);
  } else if (durProp !== undefined) end = plusSeconds(start.wall, start.date, durationSeconds(durProp, ctx));
  else end = start.date ? plusSeconds(start.wall, true, 86_400) : start.wall;
  let rrule: string | undefined;
  const ruleProps = props(c, "rrule");
  if (ruleProps.length > 1) note(ctx, "events with more than one RRULE kept only the first");
  if (ruleProps[0] !== undefined) {
    const line = place.props.get("RRULE")!;
    try {
      rrule = ICAL.Recur.fromData(ruleProps[0][3] as Parameters<typeof ICAL.Recur.fromData>[0]).toString();
    } catch {
      throw malformed(line, "RRULE", "is not a recurrence rule");
    }
    const why = rruleProblem(rrule);
    if (why !== undefined) throw malformed(line, "RRULE", `the rule ${why}`);
  }
  const { rdates, periods } = rdatesOf(c, ctx, start, end, tz);
  const exdates: string[] = [];
  for (const p of props(c, "exdate")) {
    for (const v of p.slice(3)) {
      const m = momentOf(p, v, ctx, "exdate");
      if (m.date !== start.date) throw malformed(place.props.get("EXDATE")!, "EXDATE", "is a date where DTSTART is a date-time, or the other way round");
      exdates.push(wallIn(m, tz));
    }
  }
  const ridProp = prop(c, "recurrence-id");
  const rid = ridProp === undefined ? undefined : momentOf(ridProp, ridProp[3], ctx, "recurrence-id");
  const text = (name: string): string | undefined => {
    const v = str(prop(c, name)?.[3]);
    return v === "" ? undefined : v;
  };
  const oneLine = (v: string | undefined): string | undefined => (v === undefined ? undefined : v.replace(CONTROLS, " ").trim().slice(0, 512) || undefined);
  const title = oneLine(text("summary")) ?? "(no title)";
  const location = oneLine(text("location"));
  const notes = text("description");
  const uid = oneLine(text("uid"));
  const event: CalEvent = {
    title,
    allDay: start.date,
    start: start.wall,
    end,
    ...(tz === undefined ? {} : { tz }),
    ...(rrule === undefined ? {} : { rrule }),
    ...(rdates.length === 0 ? {} : { rdates }),
    exdates: [...new Set(exdates)],
    overrides: periods,
    ...(location === undefined ? {} : { location }),
    ...attendeesOf(c, options.members),
    ...(notes === undefined ? {} : { notes: notes.slice(0, 64 * 1024) }),
    ...(uid === undefined ? {} : { uid }),
  };
  return { uid, rid, cancelled: str(prop(c, "status")?.[3]).toUpperCase() === "CANCELLED", event, place };
}

/**
 * Why a VTIMEZONE is not used, or undefined. ical.js expands a zone's rules from their DTSTART up
 * to the year asked, without a bound of its own: a zone changes at most a few times a year, so
 * only yearly rules with one value per BY part (BYMONTHDAY up to a week, for "the Sunday on or
 * after the 8th") and a bounded number of RDATEs are taken.
 */
function zoneProblem(zone: Comp): string | undefined {
  let rdates = 0;
  for (const part of zone[2]) {
    for (const p of props(part, "rdate")) rdates += p.length - 3;
    if (rdates > MAX_ZONE_RDATES) return `lists more than ${MAX_ZONE_RDATES} dates (RDATE)`;
    const rules = props(part, "rrule");
    if (rules.length > 1) return "has a part with more than one RRULE";
    if (rules[0] === undefined) continue;
    let text: string;
    try {
      text = ICAL.Recur.fromData(rules[0][3] as Parameters<typeof ICAL.Recur.fromData>[0]).toString();
    } catch {
      return "has an RRULE that is not a recurrence rule";
    }
    if (!/(?:^|;)FREQ=YEARLY(?:;|$)/.test(text)) return "has an RRULE that is not yearly (FREQ=YEARLY)";
    const why = rruleProblem(text);
    if (why !== undefined) return `has an RRULE that ${why}`;
    for (const [key, value] of ruleParts(text)) {
      const values = value.split(",").length;
      if (key.startsWith("BY") && values > (key === "BYMONTHDAY" ? 7 : 1)) return `has an RRULE with too many ${key} values`;
    }
  }
  return undefined;
}

/** Every VEVENT of an iCalendar file, overrides folded into their series. Throws before returning anything. */
export function parseIcs(bytes: Uint8Array, options: ImportOptions): ImportResult {
  if (bytes.length > MAX_ICS_BYTES) throw eventsError("EVENTS_IMPORT_TOO_LARGE", "the file is larger than 16 MiB");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    throw malformed(1, undefined, "the file is not UTF-8 text");
  }
  const places = scan(text);
  let parsed: unknown;
  try {
    parsed = ICAL.parse(text);
  } catch {
    throw malformed(1, undefined, "the file is not iCalendar (BEGIN:VCALENDAR ... END:VCALENDAR)");
  }
  const calendars = (Array.isArray(parsed) && typeof parsed[0] === "string" ? [parsed] : (parsed as unknown[])) as Comp[];
  if (calendars.length === 0 || calendars.some((c) => !Array.isArray(c) || c[0] !== "vcalendar")) throw malformed(1, undefined, "the file is not iCalendar (BEGIN:VCALENDAR ... END:VCALENDAR)");
  const zones = new Map<string, ICAL.Timezone>();
  const refused = new Map<string, string>();
  for (const cal of calendars) {
    for (const sub of cal[2].filter((s) => s[0] === "vtimezone")) {
      try {
        const component = new ICAL.Component(sub);
        const tzid = str(component.getFirstPropertyValue("tzid"));
        const why = zoneProblem(sub);
        if (why !== undefined) refused.set(tzid, why);
        else zones.set(tzid, new ICAL.Timezone(component));
      } catch {
        // A broken VTIMEZONE only matters if an event names it; that event then fails by name.
      }
    }
  }
  const notes = new Map<string, number>();
  const vevents = calendars.flatMap((cal) => cal[2].filter((s) => s[0] === "vevent"));
  const all = vevents.map((c, i) => {
    const place = places[i] ?? { line: 1, props: new Map<string, number>() };
    return parseVevent(c, { zones, refused, floatingZone: options.floatingZone, notes, place }, options);
  });
  const series = new Map<string, Parsed>();
  const out: Parsed[] = [];
  for (const p of all) {
    if (p.rid !== undefined) continue;
    if (p.uid !== undefined) {
      if (series.has(p.uid)) throw malformed(p.place.props.get("UID") ?? p.place.line, "UID", "two events share this UID");
      series.set(p.uid, p);
    }
    out.push(p);
  }
  const changes = new Map<Parsed, { exdates: string[]; overrides: Override[] }>();
  for (const p of all) {
    if (p.rid === undefined) continue;
    const master = p.uid === undefined ? undefined : series.get(p.uid);
    if (master === undefined) {
      // An invitation to one occurrence only: an event of its own.
      if (!p.cancelled) out.push(p);
      continue;
    }
    const line = p.place.props.get("RECURRENCE-ID") ?? p.place.line;
    if (p.rid.date !== master.event.allDay || p.event.allDay !== master.event.allDay) throw malformed(line, "RECURRENCE-ID", "does not match its series' kind of start (date or date-time)");
    const rid = wallIn(p.rid, master.event.tz);
    const c = changes.get(master) ?? { exdates: [], overrides: [] };
    changes.set(master, c);
    if (p.cancelled) c.exdates.push(rid);
    else {
      c.overrides.push({ rid, start: wallIn({ date: p.event.allDay, wall: p.event.start, ...(p.event.tz === undefined ? {} : { tz: p.event.tz }) }, master.event.tz), end: wallIn({ date: p.event.allDay, wall: p.event.end, ...(p.event.tz === undefined ? {} : { tz: p.event.tz }) }, master.event.tz) });
      if (p.event.title !== master.event.title || p.event.location !== master.event.location) notes.set(MOVED_ONLY, (notes.get(MOVED_ONLY) ?? 0) + 1);
    }
  }
  const events = out.map((p) => {
    const c = changes.get(p);
    // A RECURRENCE-ID of an extra date's occurrence says more than the RDATE's period.
    const overrides = c === undefined ? [] : [...p.event.overrides.filter((o) => !c.overrides.some((x) => x.rid === o.rid)), ...c.overrides];
    const event = c === undefined ? p.event : { ...p.event, exdates: [...new Set([...p.event.exdates, ...c.exdates])], overrides };
    try {
      return checkEvent(event, "event");
    } catch (e) {
      throw malformed(p.place.line, "VEVENT", e instanceof Error ? e.message.replace(/^event: /, "") : "breaks the event limits");
    }
  });
  return { events, notes: [...notes].map(([what, n]) => `${n} × ${what}`) };
}

export interface ExportItem {
  readonly id: string;
  readonly event: CalEvent;
  /** When it last changed (ms): DTSTAMP. */
  readonly updated: number;
}

const icalTime = (s: string): ICAL.Time => (s.length === 10 ? ICAL.Time.fromDateString(s) : ICAL.Time.fromDateTimeString(s));

function timeProp(name: string, wall: string, tz: string | undefined): ICAL.Property {
  const p = new ICAL.Property(name);
  if (tz === "UTC") {
    const t = icalTime(wall);
    t.zone = ICAL.Timezone.utcTimezone;
    p.setValue(t);
    return p;
  }
  if (tz !== undefined) p.setParameter("tzid", tz);
  p.setValue(icalTime(wall));
  return p;
}


/** Years a series without UNTIL is covered past its last change (or its last fixed date, if later). */
const OPEN_YEARS = 20;

/**
 * The years each zone's events need a VTIMEZONE for: every fixed date they name, and up to UNTIL,
 * or OPEN_YEARS past the later of the last of them and the event's last change for a series that
 * names no end (vtimezoneOf keeps the last MAX_ZONE_YEARS).
 */
function zoneYears(items: readonly ExportItem[]): Map<string, { from: number; to: number }> {
  const out = new Map<string, { from: number; to: number }>();
  for (const { event: e, updated } of items) {
    if (e.allDay || e.tz === undefined || e.tz === "UTC" || zoneNamed(e.tz) === undefined) continue;
    const years = [e.start, e.end, ...e.exdates, ...(e.rdates ?? []), ...e.overrides.flatMap((o) => [o.rid, o.start, o.end])].map((w) => Number(w.slice(0, 4)));
    let to = Math.max(...years);
    if (e.rrule !== undefined) {
      const until = ruleParts(e.rrule).get("UNTIL");
      to = until === undefined ? Math.max(to, new Date(updated).getUTCFullYear()) + OPEN_YEARS : Math.max(to, Number(until.slice(0, 4)));
    }
    const have = out.get(e.tz);
    out.set(e.tz, { from: Math.min(have?.from ?? Infinity, ...years), to: Math.max(have?.to ?? -Infinity, to) });
  }
  return out;
}

/**
 * An iCalendar file of `items`: a VTIMEZONE for each IANA zone the events name (vtimezone.ts;
 * none for UTC, written with Z, nor for a zone this runtime does not know), one VEVENT per event
 * (TZID times, IANA names), one more per moved occurrence (RECURRENCE-ID). Member attendees carry
 * their user id (urn:airlock:member:…) so a re-import into the team maps them back; `names` (the
 * current members) gives their CN, and an attendee not in it (removed since) is left out.
 */
export function serializeIcs(items: readonly ExportItem[], names: ReadonlyMap<string, string>): Uint8Array {
  const cal = new ICAL.Component(["vcalendar", [], []]);
  cal.addPropertyWithValue("version", "2.0");
  cal.addPropertyWithValue("prodid", "-//Airlock//events//EN");
  cal.addPropertyWithValue("calscale", "GREGORIAN");
  for (const [tz, years] of [...zoneYears(items)].sort(([a], [b]) => (a < b ? -1 : 1))) cal.addSubcomponent(vtimezoneOf(tz, zoneNamed(tz)!, years.from, years.to));
  for (const { id, event: e, updated } of items) {
    const uid = e.uid ?? `${id}@airlock`;
    const tz = e.allDay ? undefined : e.tz;
    const v = new ICAL.Component("vevent");
    v.addPropertyWithValue("uid", uid);
    v.addProperty(stampProp(updated));
    v.addProperty(timeProp("dtstart", e.start, tz));
    v.addProperty(timeProp("dtend", e.end, tz));
    v.addPropertyWithValue("summary", e.title);
    if (e.rrule !== undefined) v.addPropertyWithValue("rrule", ICAL.Recur.fromString(e.rrule));
    for (const x of [...(e.rdates ?? [])].sort()) v.addProperty(timeProp("rdate", x, tz));
    for (const x of [...e.exdates].sort()) v.addProperty(timeProp("exdate", x, tz));
    if (e.location !== undefined) v.addPropertyWithValue("location", e.location);
    if (e.notes !== undefined) v.addPropertyWithValue("description", e.notes);
    for (const a of e.attendees) {
      const name = names.get(a);
      if (name === undefined) continue;
      const p = new ICAL.Property("attendee");
      p.setParameter("cn", name);
      p.setValue(`urn:airlock:member:${a}`);
      v.addProperty(p);
    }
    for (const g of e.guests) {
      const m = /^(.*) <([^<>]+)>$/.exec(g);
      const p = new ICAL.Property("attendee");
      if (m !== null) p.setParameter("cn", m[1]!);
      p.setValue(`mailto:${m?.[2] ?? g}`);
      v.addProperty(p);
    }
    cal.addSubcomponent(v);
    for (const o of e.overrides) {
      const x = new ICAL.Component("vevent");
      x.addPropertyWithValue("uid", uid);
      x.addProperty(stampProp(updated));
      x.addProperty(timeProp("recurrence-id", o.rid, tz));
      x.addProperty(timeProp("dtstart", o.start, tz));
      x.addProperty(timeProp("dtend", o.end, tz));
      x.addPropertyWithValue("summary", e.title);
      if (e.location !== undefined) x.addPropertyWithValue("location", e.location);
      cal.addSubcomponent(x);
    }
  }
  return new TextEncoder().encode(cal.toString().replace(/\r?\n/g, "\r\n") + "\r\n");
}

const stampProp = (ms: number): ICAL.Property => timeProp("dtstamp", new Date(ms).toISOString().slice(0, 19), "UTC");
