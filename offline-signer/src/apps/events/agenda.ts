/**
 * Occurrences of events in a window, sorted by instant. Recurrences are expanded in the event's
 * own wall-clock time (rrule on floating times: a wall time is carried as the UTC Date with the
 * same fields) and only then turned into instants in the event's IANA zone, so a weekly 09:00 in
 * Berlin stays 09:00 there across the DST change. RFC 5545 3.3.5: a wall time in the spring gap
 * is read with the offset before the gap (02:30 becomes 03:30), and one that happens twice in the
 * autumn means the first of the two.
 */
import rrulePkg from "rrule";
import { IANAZone, type Zone } from "luxon";
import type { CalEvent, Override } from "./event.js";
import { MAX_MOVE_DAYS, parseDate, parseWall, ruleParts, untilParts, type Parts } from "./syntax.js";

const { RRule } = rrulePkg;
type RRuleOptions = ConstructorParameters<typeof RRule>[0];

const DAY_MS = 86_400_000;
/** Most occurrences one event contributes to one agenda: an HOURLY rule over a year stays below it. */
export const MAX_OCCURRENCES = 20_000;
/**
 * Most periods (hours of an HOURLY rule, days of a DAILY one...) one expansion walks. rrule walks
 * from DTSTART and calls back only on a match, so a rule that never or seldom matches, or one
 * with COUNT that began long ago, would otherwise walk up to the year 9999.
 */
export const MAX_PERIODS = 100_000;

export interface Occurrence {
  readonly id: string;
  readonly title: string;
  readonly allDay: boolean;
  /** ISO 8601 with the zone's offset ("2026-03-30T09:00:00+02:00"), or a date for all-day events. */
  readonly start: string;
  readonly end: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly tz: string | undefined;
  /** The start the series gives this occurrence (its RECURRENCE-ID), for recurring events. */
  readonly recurrenceId: string | undefined;
  readonly moved: true | undefined;
  readonly location: string | undefined;
  /** Something the reader should know: an unknown zone read as UTC, a truncated expansion. */
  readonly warning: string | undefined;
}

const wallMs = (p: Parts): number => Date.UTC(p[0], p[1] - 1, p[2], p[3], p[4], p[5]);
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** "2026-03-30" of ms as if UTC, by integer arithmetic (civil from days): Date#toISOString costs several times more. */
function dateText(ms: number): string {
  const z = Math.floor(ms / DAY_MS) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, "0")}-${pad2(m)}-${pad2(d)}`;
}

/** "2026-03-30T09:00:00" of ms as if UTC. */
function wallText(ms: number): string {
  const t = ms - Math.floor(ms / DAY_MS) * DAY_MS;
  return `${dateText(ms)}T${pad2(Math.floor(t / 3_600_000))}:${pad2(Math.floor(t / 60_000) % 60)}:${pad2(Math.floor(t / 1000) % 60)}`;
}

/** What the conversions need of a zone: its UTC offset in minutes at an instant. */
export interface Offsets {
  offset(ts: number): number;
}

/**
 * A zone's offsets, remembered per UTC day: a day whose first and last instants have the same
 * offset has it throughout (no zone changes twice within a day), so a year of occurrences asks
 * the tz database (Intl, about 10 µs a call) a few hundred times instead of once per occurrence.
 */
class DayOffsets implements Offsets {
  readonly #days = new Map<number, number>();
  constructor(readonly zone: Zone) {}

  offset(ts: number): number {
    const day = Math.floor(ts / DAY_MS);
    const known = this.#days.get(day);
    if (known !== undefined) return known;
    const first = this.zone.offset(day * DAY_MS);
    if (first === this.zone.offset(day * DAY_MS + DAY_MS - 1)) {
      if (this.#days.size > 100_000) this.#days.clear();
      this.#days.set(day, first);
      return first;
    }
    return this.zone.offset(ts);
  }
}

const cached = new WeakMap<Zone, DayOffsets>();
/** The remembered offsets of `zone`. */
export function offsetsOf(zone: Zone): Offsets {
  let c = cached.get(zone);
  if (c === undefined) {
    c = new DayOffsets(zone);
    cached.set(zone, c);
  }
  return c;
}

/** The instant of a wall time (ms as if UTC) in `zone`, per RFC 5545 for gaps and repeated hours. */
export function instantOf(wall: number, zone: Offsets): number {
  let best: number | undefined;
  for (const probe of [wall - DAY_MS, wall, wall + DAY_MS]) {
    const offset = zone.offset(probe);
    const t = wall - offset * 60_000;
    if (zone.offset(t) === offset && (best === undefined || t < best)) best = t;
  }
  // In the spring gap no offset fits: the one before the gap moves it forward by the gap's length.
  return best ?? wall - zone.offset(wall - DAY_MS) * 60_000;
}

/** The wall time (ms as if UTC) of an instant in `zone`. */
export const wallOf = (instant: number, zone: Offsets): number => instant + zone.offset(instant) * 60_000;

function isoWithOffset(instant: number, zone: Offsets): string {
  const off = zone.offset(instant);
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  return `${wallText(instant + off * 60_000)}${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

const zones = new Map<string, Zone | undefined>();
/** The zone of this runtime's tz database, or undefined when it does not know the name. */
export function zoneNamed(name: string): Zone | undefined {
  if (!zones.has(name)) zones.set(name, IANAZone.isValidZone(name) ? IANAZone.create(name) : undefined);
  return zones.get(name);
}
const UTC = IANAZone.create("UTC");

/** Window of the agenda: instants, start inclusive, end exclusive. */
export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

/** rrule options for `text`, with a UTC UNTIL moved to the event's wall time. */
function ruleOptions(text: string, dtstart: number, zone: Offsets, allDay: boolean): RRuleOptions {
  const parts = ruleParts(text);
  const until = parts.get("UNTIL");
  parts.delete("UNTIL");
  const options: Partial<RRuleOptions> = RRule.parseString([...parts].map(([k, v]) => `${k}=${v}`).join(";"));
  if (until !== undefined) {
    const u = untilParts(until)!;
    let ms = wallMs(u.parts);
    if (u.utc && !allDay) ms = wallOf(ms, zone);
    // A date UNTIL on a timed event includes that whole day.
    else if (u.date && !allDay) ms += DAY_MS - 1000;
    options.until = new Date(ms);
  }
  return { ...(options as RRuleOptions), dtstart: new Date(dtstart), tzid: null };
}

/** An event's series as the rrule library sees it; undefined for a one-off event. */
export function ruleOf(e: CalEvent, zone: Offsets): InstanceType<typeof RRule> | undefined {
  if (e.rrule === undefined) return undefined;
  const start = e.allDay ? parseDate(e.start) : parseWall(e.start);
  if (start === undefined) return undefined;
  return new RRule(ruleOptions(e.rrule, wallMs(start), zone, e.allDay));
}

type Rule = InstanceType<typeof RRule>;
type Given = NonNullable<RRuleOptions>;
const none = (v: unknown): boolean => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

/**
 * The same series with DTSTART moved forward by whole periods to at least one period before
 * `from`, so a walk to the window is short. Only without COUNT (which counts from the first
 * occurrence). The defaults rrule takes from DTSTART (time of day, day of month, month) are
 * made explicit first; a month or year period restarts on its first day.
 */
function nearer(rule: Rule, from: number): Rule {
  const o = rule.options;
  const given = rule.origOptions as Given;
  const start = o.dtstart.getTime();
  if (o.count !== null || from <= start) return new RRule(given as RRuleOptions, true);
  const d = o.dtstart;
  let shifted: number;
  if (o.freq === RRule.HOURLY || o.freq === RRule.DAILY || o.freq === RRule.WEEKLY) {
    const period = o.interval * (o.freq === RRule.HOURLY ? 3_600_000 : o.freq === RRule.DAILY ? DAY_MS : 7 * DAY_MS);
    const n = Math.floor((from - start) / period) - 1;
    if (n <= 0) return new RRule(given as RRuleOptions, true);
    shifted = start + n * period;
  } else {
    const step = o.interval * (o.freq === RRule.YEARLY ? 12 : 1);
    const f = new Date(from);
    const n = Math.floor(((f.getUTCFullYear() - d.getUTCFullYear()) * 12 + f.getUTCMonth() - d.getUTCMonth()) / step) - 1;
    if (n <= 0) return new RRule(given as RRuleOptions, true);
    shifted = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n * step, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
  }
  const explicit: Given = { ...given, dtstart: new Date(shifted) };
  if (none(given.byhour) && !none(o.byhour)) explicit.byhour = o.byhour;
  if (none(given.byminute) && !none(o.byminute)) explicit.byminute = o.byminute;
  if (none(given.bysecond) && !none(o.bysecond)) explicit.bysecond = o.bysecond;
  const daysGiven = !none(given.byweekno) || !none(given.byyearday) || !none(given.bymonthday) || !none(given.byweekday);
  if ((o.freq === RRule.YEARLY || o.freq === RRule.MONTHLY) && !daysGiven) {
    explicit.bymonthday = o.bymonthday;
    if (o.freq === RRule.YEARLY && none(given.bymonth)) explicit.bymonth = o.bymonth;
  }
  return new RRule(explicit as RRuleOptions, true);
}

const STOP = Symbol("period budget spent");

/**
 * Most periods an expansion walks past its last match (or its start) before it gives up on the
 * rule as not expandable here. rrule reports only matches, so a rule that matches nothing near the
 * range (a COUNT series that must walk from its start; a rule whose matches are years apart at an
 * hourly step) would otherwise walk the whole MAX_PERIODS. The rarest honest rules match far more
 * often: a leap day DAILY every 1,461 periods, a Friday the 13th every 427 at most.
 */
export const MAX_GAP = 10_000;

export interface Expansion {
  readonly walls: number[];
  /** A bound stopped it before the end of the range: there may be more than `walls`. */
  readonly cut: boolean;
  /** Periods walked (hours of an HOURLY rule, days of a DAILY one...). */
  readonly periods: number;
  /** The rule can never match (checked before walking): no walls, nothing cut. */
  readonly never: boolean;
}

const DAYS_IN = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const list = (v: unknown): number[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]).filter((x): x is number => typeof x === "number");

/**
 * Whether no date can ever satisfy the rule's BYMONTHDAY within its BYMONTH (BYMONTH=2 with
 * BYMONTHDAY=30, BYMONTH=4 with BYMONTHDAY=31): the usual way to write a rule that walks forever.
 * Only what the rule names; rrule's defaults from DTSTART always name a real day.
 */
function neverMatches(rule: Rule): boolean {
  const given = rule.origOptions as Given;
  const days = list(given.bymonthday);
  if (days.length === 0) return false;
  const months = list(given.bymonth);
  return (months.length === 0 ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] : months).every((m) => days.every((d) => Math.abs(d) > (DAYS_IN[m - 1] ?? 31)));
}

/** How many periods of `o` begin from its DTSTART to `to`, rounded up: past them the walk is past the range. */
function periodsTo(o: Rule["options"], to: number): number {
  const start = o.dtstart.getTime();
  if (to <= start) return 0;
  const hours = o.freq === RRule.HOURLY ? 1 : o.freq === RRule.DAILY ? 24 : o.freq === RRule.WEEKLY ? 7 * 24 : 0;
  if (hours > 0) return Math.ceil((to - start) / (o.interval * hours * 3_600_000));
  const a = o.dtstart;
  const b = new Date(to);
  const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
  return Math.ceil((months + 1) / (o.interval * (o.freq === RRule.YEARLY ? 12 : 1)));
}

/**
 * The walls (ms as if UTC) of `rule` from `from` to `to` inclusive, at most `limit` of them. The
 * walk is bounded three ways, counted in periods through rrule 2.8.1's reads of `interval` (two
 * per period; agenda.test.ts pins this), so every reader stops at the same place and shows the
 * same: past `to` (the end of the range: not a cut), after MAX_GAP periods without a match, and
 * after MAX_PERIODS in all; those two, or the limit, make it `cut`. A rule that can never match
 * is not walked at all (`never`).
 */
export function expand(rule: Rule, from: number, to: number, limit: number): Expansion {
  if (neverMatches(rule)) return { walls: [], cut: false, periods: 0, never: true };
  const near = nearer(rule, from);
  const options = { ...near.options };
  const interval = options.interval;
  const past = periodsTo(options, to) + 2;
  let reads = 0;
  let matched = 0;
  let cut = false;
  Object.defineProperty(options, "interval", {
    get: () => {
      const period = Math.floor(++reads / 2);
      if (period > past) throw STOP;
      if (period > MAX_PERIODS || period - matched > MAX_GAP) throw ((cut = true), STOP);
      return interval;
    },
  });
  (near as { options: typeof options }).options = options;
  const walls: number[] = [];
  try {
    near.all((d) => {
      matched = Math.floor(reads / 2);
      const t = d.getTime();
      if (t > to) return false;
      if (t < from) return true;
      if (walls.length >= limit) return ((cut = true), false);
      walls.push(t);
      return true;
    });
  } catch (e) {
    if (e !== STOP) throw e;
  }
  return { walls, cut, periods: Math.floor(reads / 2), never: false };
}

/**
 * Several moves of one occurrence written concurrently all survive in the set: every vault shows
 * the same one, the greatest in code-unit order, so they agree without a clock.
 */
function overridesByRid(list: readonly Override[]): Map<string, Override> {
  const out = new Map<string, Override>();
  for (const o of list) {
    const have = out.get(o.rid);
    if (have === undefined || `${o.start}${o.end}` > `${have.start}${have.end}`) out.set(o.rid, o);
  }
  return out;
}

/** The occurrences of event `id` that overlap `window`; all-day events are placed in `display`. */
/** What expanding cost and left out, summed over the events of one agenda. */
export interface ExpansionReport {
  /** Periods walked, every expansion of every event. */
  periods: number;
  /** Events a bound cut short that show nothing in the range: their rule could not be expanded here. */
  readonly notExpanded: string[];
}

export function occurrences(id: string, e: CalEvent, window: Window, display: Zone, report?: ExpansionReport): Occurrence[] {
  const parse = e.allDay ? parseDate : parseWall;
  const start = parse(e.start);
  if (start === undefined) return [];
  const end = parse(e.end);
  let warning: string | undefined;
  let zone = offsetsOf(display);
  if (!e.allDay) {
    const named = e.tz === undefined ? undefined : zoneNamed(e.tz);
    if (named === undefined) warning = "its time zone is unknown to this system: shown in UTC";
    zone = offsetsOf(named ?? UTC);
  }
  const startWall = wallMs(start);
  // An end before the start (two edits in different batches) reads as the start.
  const endWall = Math.max(startWall, end === undefined ? startWall : wallMs(end));
  const tz = e.allDay ? undefined : (e.tz ?? "UTC");
  // Timed: the same exact duration for every occurrence (RFC 5545 3.8.5.3). All-day: whole days.
  const durationMs = e.allDay ? endWall - startWall : instantOf(endWall, zone) - instantOf(startWall, zone);
  // One object shape for every occurrence (no spreads): an agenda sorts tens of thousands of them.
  const make = (wall: number, endW: number | undefined, recurrenceId: string | undefined, moved: true | undefined): Occurrence => {
    const s = instantOf(wall, zone);
    const en = e.allDay ? instantOf(endW ?? wall + durationMs, zone) : endW === undefined ? s + durationMs : Math.max(s, instantOf(endW, zone));
    return {
      id,
      title: e.title,
      allDay: e.allDay,
      start: e.allDay ? dateText(wall) : isoWithOffset(s, zone),
      end: e.allDay ? dateText(endW ?? wall + durationMs) : isoWithOffset(en, zone),
      startMs: s,
      endMs: en,
      tz,
      recurrenceId,
      moved,
      location: e.location,
      warning,
    };
  };
  const overlaps = (o: Occurrence): boolean => o.startMs < window.toMs && (o.endMs > window.fromMs || o.startMs >= window.fromMs);

  const rule = ruleOf(e, zone);
  // RFC 5545 3.8.5.2: extra dates (RDATE) join the rule's occurrences; without a rule, so does DTSTART.
  const extra = new Set<number>();
  for (const r of e.rdates ?? []) {
    const p = parse(r);
    if (p !== undefined) extra.add(wallMs(p));
  }
  if (rule === undefined && extra.size === 0) {
    const one = make(startWall, e.allDay ? endWall : undefined, undefined, undefined);
    return overlaps(one) ? [one] : [];
  }
  if (rule === undefined) extra.add(startWall);
  /** The series' walls from `a` to `b`: the rule's (bounded as expand is) and the extra dates among them. */
  const series = (a: number, b: number, limit: number): { walls: number[]; cut: boolean } => {
    const got = rule === undefined ? { walls: [], cut: false, periods: 0 } : expand(rule, a, b, limit);
    if (report !== undefined) report.periods += got.periods;
    const more = [...extra].filter((w) => w >= a && w <= b);
    return more.length === 0 ? got : { walls: [...new Set([...got.walls, ...more])].sort((x, y) => x - y), cut: got.cut };
  };
  const text = e.allDay ? dateText : wallText;
  const cancelled = new Set(e.exdates);
  const moved = overridesByRid(e.overrides);
  const out: Occurrence[] = [];
  // Walls of the window, widened by a day each side for zone offsets and by the duration before.
  const from = wallOf(window.fromMs, zone) - durationMs - DAY_MS;
  const to = wallOf(window.toMs, zone) + DAY_MS;
  const { walls, cut } = series(from, to, MAX_OCCURRENCES);
  let truncated = cut;
  for (const wall of walls) {
    const rid = text(wall);
    if (cancelled.has(rid) || moved.has(rid)) continue;
    const o = make(wall, undefined, rid, undefined);
    if (overlaps(o)) out.push(o);
  }
  if (moved.size > 0) {
    // A move counts only for an occurrence the series has and nobody cancelled. check keeps a
    // move within MAX_MOVE_DAYS of its occurrence: only those that may reach the window are looked at.
    const reach = MAX_MOVE_DAYS * DAY_MS + DAY_MS;
    const near = (r: string): boolean => {
      const p = parse(r);
      return p !== undefined && wallMs(p) >= from - reach && wallMs(p) <= to + reach;
    };
    const rids = [...moved.keys()].filter((r) => !cancelled.has(r) && near(r)).sort();
    const lo = parse(rids[0] ?? "");
    const hi = parse(rids[rids.length - 1] ?? "");
    const real = lo === undefined || hi === undefined ? { walls: [], cut: false } : series(wallMs(lo), wallMs(hi), Infinity);
    truncated ||= real.cut;
    const walls = new Set(real.walls);
    for (const rid of rids) {
      const m = moved.get(rid)!;
      const s = parse(m.start);
      const en = parse(m.end);
      if (!walls.has(wallMs(parse(rid)!)) || s === undefined || en === undefined) continue;
      const o = make(wallMs(s), wallMs(en), rid, true);
      if (overlaps(o)) out.push(o);
    }
  }
  if (truncated && out.length > 0) out[0] = { ...out[0]!, warning: "its repeats were cut short in this range (too many, or a rule that takes too long to expand): not all are shown" };
  if (truncated && out.length === 0) report?.notExpanded.push(id);
  return out;
}

/** Every occurrence of `events` overlapping the window, by instant (then title, then id). */
export function agenda(events: readonly { readonly id: string; readonly event: CalEvent }[], window: Window, display: Zone, report?: ExpansionReport): Occurrence[] {
  const all = events.flatMap(({ id, event }) => occurrences(id, event, window, display, report));
  return all.sort((a, b) => a.startMs - b.startMs || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The window from the start of day `from` to the end of day `to` (inclusive) in `display`. */
export function dayWindow(from: string, to: string, display: Zone): Window | undefined {
  const f = parseDate(from);
  const t = parseDate(to);
  if (f === undefined || t === undefined) return undefined;
  return { fromMs: instantOf(wallMs(f), offsetsOf(display)), toMs: instantOf(wallMs(t) + DAY_MS, offsetsOf(display)) };
}
