/**
 * Export writes a VTIMEZONE for every TZID it names (RFC 5545 3.6.5; review of #12): a reader
 * without a tz database of its own (ical.js here) then finds the right instants across a DST
 * change, and the file still reads back through our own import as the same events. Expected
 * instants are from the published rules: the EU changes on 29 March and 25 October 2026, the US on
 * 8 March and 1 November 2026.
 */
import ICAL from "ical.js";
import { IANAZone } from "luxon";
import { describe, expect, it } from "vitest";
import type { CalEvent } from "./event.js";
import { MAX_ZONE_RDATES, parseIcs, serializeIcs } from "./ical.js";
import { MAX_ZONE_YEARS, changesOf, vtimezoneOf } from "./vtimezone.js";

const ev = (e: Partial<CalEvent> & { start: string; end: string }): CalEvent => ({ title: "T", allDay: false, tz: "Europe/Berlin", exdates: [], overrides: [], attendees: [], guests: [], ...e });
const UPDATED = Date.UTC(2026, 0, 10);
const exported = (events: CalEvent[]): string => new TextDecoder().decode(serializeIcs(events.map((event, i) => ({ id: `e${i}`, event, updated: UPDATED })), new Map()));
const iso = (t: ICAL.Time): string => new Date(t.toUnixTime() * 1000).toISOString().slice(0, 16);

/** The UTC starts ical.js reads for the first `n` occurrences of VEVENT `uid`, using only the file. */
function icalStarts(text: string, uid: string, n: number): string[] {
  const cal = new ICAL.Component(ICAL.parse(text));
  const vevent = cal.getAllSubcomponents("vevent").find((v) => v.getFirstPropertyValue("uid") === uid && !v.hasProperty("recurrence-id"))!;
  const it = new ICAL.Event(vevent).iterator();
  const out: string[] = [];
  for (let t = it.next(); t !== undefined && t !== null && out.length < n; t = it.next()) out.push(iso(t));
  return out;
}

describe("VTIMEZONE on export", () => {
  const standup = ev({ uid: "standup", start: "2026-03-16T09:00:00", end: "2026-03-16T09:30:00", rrule: "FREQ=WEEKLY;COUNT=4" });
  const ny = ev({ uid: "ny", tz: "America/New_York", start: "2026-10-30T08:00:00", end: "2026-10-30T09:00:00", rrule: "FREQ=DAILY;UNTIL=20261103T000000Z" });
  const tokyo = ev({ uid: "tokyo", tz: "Asia/Tokyo", start: "2026-05-01T10:00:00", end: "2026-05-01T11:00:00" });
  const utc = ev({ uid: "utc", tz: "UTC", start: "2026-05-01T10:00:00", end: "2026-05-01T11:00:00" });

  it("names a VTIMEZONE for every TZID, and ical.js reads the right UTC instants across the DST changes from the file alone", () => {
    const text = exported([standup, ny, tokyo, utc]);
    const referenced = new Set([...text.matchAll(/;TZID=([^;:]+)[;:]/g)].map((m) => m[1]!));
    const defined = [...text.matchAll(/^TZID:(.+)$/gm)].map((m) => m[1]!.trim());
    expect([...referenced].sort()).toEqual(["America/New_York", "Asia/Tokyo", "Europe/Berlin"]);
    expect(defined.sort()).toEqual([...referenced].sort());
    expect(icalStarts(text, "standup", 4)).toEqual(["2026-03-16T08:00", "2026-03-23T08:00", "2026-03-30T07:00", "2026-04-06T07:00"]);
    expect(icalStarts(text, "ny", 4)).toEqual(["2026-10-30T12:00", "2026-10-31T12:00", "2026-11-01T13:00", "2026-11-02T13:00"]);
    expect(icalStarts(text, "tokyo", 1)).toEqual(["2026-05-01T01:00"]);
    expect(icalStarts(text, "utc", 1)).toEqual(["2026-05-01T10:00"]);
  });

  it("reads back through the import as the same events", () => {
    const events = [standup, ny, tokyo, utc, ev({ uid: "moved", start: "2026-03-02T09:00:00", end: "2026-03-02T10:00:00", rrule: "FREQ=WEEKLY;COUNT=5", exdates: ["2026-03-09T09:00:00"], overrides: [{ rid: "2026-03-30T09:00:00", start: "2026-03-31T14:00:00", end: "2026-03-31T15:00:00" }] })];
    const { events: back, notes } = parseIcs(new TextEncoder().encode(exported(events)), { floatingZone: "UTC", members: new Map() });
    expect(notes).toEqual([]);
    expect(back).toEqual(events);
  });

  it("finds each change to the second, and stays bounded for a series from 1900 without an end", () => {
    const berlin = IANAZone.create("Europe/Berlin");
    expect(changesOf(berlin, Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1))).toEqual([
      { at: Date.UTC(2026, 2, 29, 1), from: 60, to: 120 },
      { at: Date.UTC(2026, 9, 25, 1), from: 120, to: 60 },
    ]);
    const text = exported([ev({ uid: "old", start: "1900-01-01T09:00:00", end: "1900-01-01T10:00:00", rrule: "FREQ=YEARLY" })]);
    const parts = (text.match(/^BEGIN:(STANDARD|DAYLIGHT)/gm) ?? []).length;
    expect(parts).toBeGreaterThan(100);
    expect(parts).toBeLessThanOrEqual(MAX_ZONE_RDATES);
    const years = [...text.matchAll(/^DTSTART:(\d{4})/gm)].map((m) => Number(m[1]));
    // From UPDATED's year plus 20, back MAX_ZONE_YEARS.
    expect([Math.min(...years), Math.max(...years)]).toEqual([2046 - MAX_ZONE_YEARS + 1, 2046]);
    // A zone with no change in its years: one part that states its offset.
    expect(vtimezoneOf("Asia/Tokyo", IANAZone.create("Asia/Tokyo"), 2026, 2030).toString()).toMatch(/BEGIN:STANDARD\r?\nDTSTART:20260101T090000\r?\nTZOFFSETFROM:\+0900\r?\nTZOFFSETTO:\+0900\r?\nEND:STANDARD/);
  });
});
