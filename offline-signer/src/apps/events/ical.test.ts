/**
 * iCalendar import from fixtures written after RFC 5545's examples and after what Google
 * Calendar, Outlook and Apple Calendar export (VTIMEZONE blocks, Windows zone names, folded
 * lines, RECURRENCE-ID overrides, VALARMs), then through the agenda; hostile and broken files;
 * export and re-import give the same events.
 */
import { thrownAirlockError as failure } from "../../../test-support/errors.js";
import { readFileSync } from "node:fs";
import { IANAZone } from "luxon";
import { describe, expect, it } from "vitest";
import { agenda, dayWindow } from "./agenda.js";
import type { CalEvent } from "./event.js";
import { MAX_ICS_EVENTS, parseIcs, serializeIcs } from "./ical.js";

const UTC = IANAZone.create("UTC");
const BOB = "b".repeat(64);
const fixture = (name: string): Uint8Array => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const opts = { floatingZone: "Europe/Lisbon", members: new Map([["bob", BOB]]) };
const ics = (body: string): Uint8Array => new TextEncoder().encode(`BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n${body.replace(/\n/g, "\r\n")}END:VCALENDAR\r\n`);
const starts = (events: CalEvent[], from: string, to: string): string[] =>
  agenda(events.map((event, i) => ({ id: String(i), event })), dayWindow(from, to, UTC)!, UTC).map((o) => o.start);


describe("iCalendar files as calendar apps export them", () => {
  it("Google Calendar: a weekly series with an EXDATE, a moved occurrence (RECURRENCE-ID), attendees, folded lines, an all-day event", () => {
    const { events, notes } = parseIcs(fixture("google.ics"), opts);
    expect(events).toHaveLength(2);
    const standup = events[0]!;
    expect(standup).toMatchObject({
      title: "Stand-up",
      tz: "Europe/Berlin",
      start: "2026-03-16T09:00:00",
      end: "2026-03-16T10:00:00",
      rrule: "FREQ=WEEKLY;COUNT=6;BYDAY=MO",
      exdates: ["2026-03-23T09:00:00"],
      overrides: [{ rid: "2026-03-30T09:00:00", start: "2026-03-31T14:00:00", end: "2026-03-31T15:00:00" }],
      location: "Room 2, Main St 1",
      attendees: [BOB],
      guests: ["Dana Reyes <dana@example.net>"],
      uid: "7kukuqrfedlm2f9t0vr4kd0a8o@google.com",
    });
    expect(standup.notes).toBe("Weekly stand-up of the field office. Bring one line on what you did and one on what blocks you.\nMinutes go to the shared notes.");
    expect(events[1]).toMatchObject({ title: "Office closed", allDay: true, start: "2026-04-03", end: "2026-04-04" });
    expect(events[1]!.location).toBeUndefined();
    expect(notes).toEqual([]);
    expect(starts(events, "2026-03-01", "2026-04-30")).toEqual([
      "2026-03-16T09:00:00+01:00",
      "2026-03-31T14:00:00+02:00",
      "2026-04-03",
      "2026-04-06T09:00:00+02:00",
      "2026-04-13T09:00:00+02:00",
      "2026-04-20T09:00:00+02:00",
    ]);
  });

  it("Outlook: Windows zone names, quoted TZIDs, the last Friday monthly, a VALARM, and a customized zone known only by its VTIMEZONE", () => {
    const { events, notes } = parseIcs(fixture("outlook.ics"), opts);
    expect(events[0]).toMatchObject({ title: "Monthly review", tz: "Europe/Berlin", rrule: "FREQ=MONTHLY;COUNT=6;BYDAY=-1FR", exdates: ["2026-03-27T17:00:00"], location: "Microsoft Teams Meeting" });
    expect(events[1]).toMatchObject({ title: "Call with the Nairobi desk", tz: "UTC", start: "2026-05-05T07:00:00", end: "2026-05-05T08:00:00" });
    expect(notes).toEqual(["2 × times in a zone this system does not know were converted to UTC"]);
    expect(starts(events, "2026-01-01", "2026-12-31")).toEqual([
      "2026-01-30T17:00:00+01:00",
      "2026-02-27T17:00:00+01:00",
      "2026-04-24T17:00:00+02:00",
      "2026-05-05T07:00:00+00:00",
      "2026-05-29T17:00:00+02:00",
      "2026-06-26T17:00:00+02:00",
    ]);
  });

  it("Apple Calendar: a daily series with a UTC UNTIL across the US change, and an occurrence cancelled by STATUS:CANCELLED", () => {
    const { events } = parseIcs(fixture("apple.ics"), opts);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tz: "America/New_York", exdates: ["2026-03-08T18:00:00"], location: "Community hall" });
    expect(starts(events, "2026-03-01", "2026-03-31")).toEqual(["2026-03-06T18:00:00-05:00", "2026-03-07T18:00:00-05:00", "2026-03-09T18:00:00-04:00"]);
  });

  it("RFC 5545's examples: UTC times, a yearly all-day event, DURATION, every other week until a UTC instant across DST, the first Friday, a floating time", () => {
    const { events } = parseIcs(fixture("rfc5545.ics"), opts);
    expect(events[0]).toMatchObject({ tz: "UTC", start: "1997-09-03T16:30:00", end: "1997-09-03T19:00:00" });
    expect(events[1]).toMatchObject({ allDay: true, start: "1997-11-02", end: "1997-11-03", rrule: "FREQ=YEARLY" });
    expect(events[2]).toMatchObject({ end: "1997-09-01T10:00:00" });
    expect(events[4]).toMatchObject({ tz: "Europe/Lisbon", start: "1998-01-18T23:00:00" });
    const biweekly = agenda([{ id: "x", event: events[2]! }], dayWindow("1997-09-01", "1997-12-31", UTC)!, UTC);
    // RFC 5545 3.8.5.3: "(1997 9:00 AM EDT) September 1,3,5,15,17,19,29; October 1,3,13,15,17
    // (1997 9:00 AM EST) October 27,29,31; November 10,12,14,24,26,28; December 8,10,12,22".
    expect(biweekly.map((o) => o.start.slice(5, 10))).toEqual(
      "09-01 09-03 09-05 09-15 09-17 09-19 09-29 10-01 10-03 10-13 10-15 10-17 10-27 10-29 10-31 11-10 11-12 11-14 11-24 11-26 11-28 12-08 12-10 12-12 12-22".split(" "),
    );
    expect(new Set(biweekly.map((o) => o.start.slice(11)))).toEqual(new Set(["09:00:00-04:00", "09:00:00-05:00"]));
    const firstFriday = agenda([{ id: "x", event: events[3]! }], dayWindow("1997-01-01", "1998-12-31", UTC)!, UTC);
    expect(firstFriday.map((o) => o.start.slice(0, 10))).toEqual(["1997-09-05", "1997-10-03", "1997-11-07", "1997-12-05", "1998-01-02", "1998-02-06", "1998-03-06", "1998-04-03", "1998-05-01", "1998-06-05"]);
  });
});

describe("broken and hostile files", () => {
  it("names the line and property, never the text, and imports nothing", () => {
    let e = failure(() => parseIcs(ics("BEGIN:VEVENT\nDTSTART:20260101T090000Z\nthis is no property secret-word\nEND:VEVENT\n"), opts));
    expect(e.code).toBe("EVENTS_IMPORT_MALFORMED");
    expect(e.message).toBe("iCalendar line 6: is not a property line (NAME;PARAMS:VALUE)");
    e = failure(() => parseIcs(ics("BEGIN:VEVENT\nUID:a\nDTSTART:20260101T090000Z\nRRULE:FREQ=SECONDLY\nEND:VEVENT\n"), opts));
    expect(e.message).toMatch(/^iCalendar line 7, RRULE: the rule FREQ must be one of/);
    e = failure(() => parseIcs(ics("BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Nowhere/Special:20260101T090000\nEND:VEVENT\n"), opts));
    expect(e.message).toBe("iCalendar line 6, DTSTART: names a time zone with neither an IANA name nor a VTIMEZONE");
    e = failure(() => parseIcs(ics("BEGIN:VEVENT\nUID:a\nSUMMARY:x\nEND:VEVENT\n"), opts));
    expect(e.message).toBe("iCalendar line 4, DTSTART: the event has no start");
    e = failure(() => parseIcs(ics("BEGIN:VEVENT\nUID:a\nDTSTART:20260101T090000Z\nDTEND:20250101T090000Z\nEND:VEVENT\n"), opts));
    expect(e.message).toBe("iCalendar line 4, VEVENT: the end is before the start");
    e = failure(() => parseIcs(ics("BEGIN:VEVENT\nUID:a\nDTSTART:20260101T090000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:a\nDTSTART:20260102T090000Z\nEND:VEVENT\n"), opts));
    expect(e.message).toBe("iCalendar line 9, UID: two events share this UID");
    e = failure(() => parseIcs(new Uint8Array([0x42, 0xff, 0xfe]), opts));
    expect(e.message).toMatch(/not UTF-8/);
    e = failure(() => parseIcs(new TextEncoder().encode("hello"), opts));
    expect(e.code).toBe("EVENTS_IMPORT_MALFORMED");
  });

  it("refuses too many events before parsing them", () => {
    const one = "BEGIN:VEVENT\nEND:VEVENT\n";
    const e = failure(() => parseIcs(ics(one.repeat(MAX_ICS_EVENTS + 1)), opts));
    expect(e.code).toBe("EVENTS_IMPORT_TOO_LARGE");
  });
});

describe("export", () => {
  it("writes what import reads back as the same events (members as urn:airlock:member, guests as mailto)", () => {
    const { events } = parseIcs(fixture("google.ics"), opts);
    const extra: CalEvent = { title: "Tab\tand, comma; semi", allDay: false, tz: "America/New_York", start: "2026-03-06T18:00:00", end: "2026-03-06T19:00:00", rrule: "FREQ=DAILY;UNTIL=20260310T035959Z", exdates: [], overrides: [], attendees: [], guests: [], notes: "line 1\nline 2 \\ end" };
    const bytes = serializeIcs([...events, extra].map((event, i) => ({ id: `r${i}`, event, updated: Date.UTC(2026, 2, 1) })), new Map([[BOB, "Bob"]]));
    const folded = new TextDecoder().decode(bytes);
    expect(folded.split("\r\n").every((l) => l.length <= 75)).toBe(true);
    const text = folded.replace(/\r\n[ \t]/g, "");
    expect(text).toContain("ATTENDEE;CN=Bob:urn:airlock:member:" + BOB);
    expect(text).toContain("RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000");
    const again = parseIcs(bytes, { floatingZone: "UTC", members: opts.members }).events;
    expect(again.slice(0, 2)).toEqual(events);
    expect(again[2]).toEqual({ ...extra, uid: "r2@airlock", title: "Tab and, comma; semi" });
  });
});
