/**
 * VTIMEZONE components for export (RFC 5545 3.6.5: one for each TZID a file names), made from
 * this runtime's tz database through luxon. Each offset change in the covered years is one
 * STANDARD or DAYLIGHT part with its own DTSTART and no RRULE or RDATE: the plainest form, which
 * every reader (ical.js among them) expands the same way, and the RFC's own for changes that follow
 * no rule. The years are bounded (MAX_ZONE_YEARS), so the size is too.
 */
import ICAL from "ical.js";
import type { Zone } from "luxon";

const DAY_MS = 86_400_000;
/** How many years one zone covers at most: a hundred years of a zone with DST is about 200 parts. */
export const MAX_ZONE_YEARS = 100;
/**
 * The scan's step: a change is found between two probes a week apart, then to the second. A zone
 * that changes and changes back within one week would be missed; no zone's history since 1970 has
 * that, and a week keeps a century at about 5,200 probes (luxon asks Intl for each, ~15 µs).
 */
const STEP_MS = 7 * DAY_MS;

export interface Change {
  /** The instant of the change (ms). */
  readonly at: number;
  /** Offsets before and after, in minutes east of UTC. */
  readonly from: number;
  readonly to: number;
}

/** The offset changes of `zone` from `fromMs` (inclusive) to `toMs` (exclusive), oldest first. */
export function changesOf(zone: Zone, fromMs: number, toMs: number): Change[] {
  const out: Change[] = [];
  let t = fromMs;
  let before = zone.offset(t);
  while (t < toMs) {
    const next = Math.min(t + STEP_MS, toMs);
    const after = zone.offset(next);
    if (after !== before) {
      // The first second with the new offset (offsets change on whole seconds).
      let lo = t;
      let hi = next;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (zone.offset(mid) === before) lo = mid;
        else hi = mid;
      }
      out.push({ at: hi, from: before, to: zone.offset(hi) });
      before = zone.offset(hi);
      t = hi;
      continue;
    }
    t = next;
  }
  return out;
}

const two = (n: number): string => String(n).padStart(2, "0");
/** "2026-03-29T02:00:00" of ms as if UTC. */
const wallText = (ms: number): string => {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
};

function part(kind: "standard" | "daylight", localStart: number, from: number, to: number): ICAL.Component {
  const c = new ICAL.Component(kind);
  // Local time in the offset before the change (RFC 5545 3.8.2.4): a floating DATE-TIME.
  const start = new ICAL.Property("dtstart");
  start.setValue(ICAL.Time.fromDateTimeString(wallText(localStart)));
  c.addProperty(start);
  c.addPropertyWithValue("tzoffsetfrom", ICAL.UtcOffset.fromSeconds(from * 60));
  c.addPropertyWithValue("tzoffsetto", ICAL.UtcOffset.fromSeconds(to * 60));
  return c;
}

/**
 * The VTIMEZONE of `tzid` (a zone of this runtime) for the years `fromYear` to `toYear`, at most
 * the last MAX_ZONE_YEARS of them: a first part that states the offset on 1 January of the first
 * year, then one part per change. A change to a larger offset is DAYLIGHT, the rest STANDARD.
 */
export function vtimezoneOf(tzid: string, zone: Zone, fromYear: number, toYear: number): ICAL.Component {
  const last = Math.min(Math.max(toYear, fromYear), 9999);
  const first = Math.max(fromYear, last - MAX_ZONE_YEARS + 1, 1000);
  const fromMs = Date.UTC(first, 0, 1);
  const toMs = Date.UTC(last + 1, 0, 1);
  const c = new ICAL.Component("vtimezone");
  c.addPropertyWithValue("tzid", tzid);
  const initial = zone.offset(fromMs);
  const summer = zone.offset(fromMs + 182 * DAY_MS);
  c.addSubcomponent(part(initial > summer ? "daylight" : "standard", fromMs + initial * 60_000, initial, initial));
  for (const x of changesOf(zone, fromMs, toMs)) c.addSubcomponent(part(x.to > x.from ? "daylight" : "standard", x.at + x.from * 60_000, x.from, x.to));
  return c;
}
