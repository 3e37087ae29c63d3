/**
 * Agenda expansion against occurrences computed by hand (calendar and the zones' published DST
 * rules: the EU changes on the last Sundays of March and October, 29 March and 25 October 2026;
 * the US on the second Sunday of March and the first of November, 8 March and 1 November 2026).
 */
import { IANAZone } from "luxon";
import { describe, expect, it } from "vitest";
import { agenda, dayWindow, occurrences } from "./agenda.js";
import type { CalEvent } from "./event.js";

const UTC = IANAZone.create("UTC");
const BERLIN = IANAZone.create("Europe/Berlin");
const ev = (e: Partial<CalEvent> & { start: string; end: string }): CalEvent => ({ title: "T", allDay: false, tz: "Europe/Berlin", exdates: [], overrides: [], attendees: [], guests: [], ...e });
const win = (from: string, to: string) => dayWindow(from, to, UTC)!;
const utc = (e: CalEvent, from = "2026-01-01", to = "2026-12-31"): string[] => occurrences("e1", e, win(from, to), UTC).map((o) => new Date(o.startMs).toISOString().slice(0, 16));
const local = (e: CalEvent, from = "2026-01-01", to = "2026-12-31"): string[] => occurrences("e1", e, win(from, to), UTC).map((o) => o.start);

describe("recurrences across DST changes", () => {
  it("a weekly 09:00 in Berlin stays 09:00 local across the March change (UTC moves from 08:00 to 07:00)", () => {
    const e = ev({ start: "2026-03-16T09:00:00", end: "2026-03-16T10:00:00", rrule: "FREQ=WEEKLY;COUNT=4" });
    expect(utc(e)).toEqual(["2026-03-16T08:00", "2026-03-23T08:00", "2026-03-30T07:00", "2026-04-06T07:00"]);
    expect(local(e)).toEqual(["2026-03-16T09:00:00+01:00", "2026-03-23T09:00:00+01:00", "2026-03-30T09:00:00+02:00", "2026-04-06T09:00:00+02:00"]);
    expect(occurrences("e1", e, win("2026-03-30", "2026-03-30"), UTC)[0]!.end).toBe("2026-03-30T10:00:00+02:00");
  });

  it("and across the October change (07:00 to 08:00 UTC)", () => {
    const e = ev({ start: "2026-10-16T09:00:00", end: "2026-10-16T09:30:00", rrule: "FREQ=WEEKLY;BYDAY=FR;COUNT=3" });
    expect(utc(e)).toEqual(["2026-10-16T07:00", "2026-10-23T07:00", "2026-10-30T08:00"]);
  });

  it("America/New_York: a daily 18:00 across 8 March", () => {
    const e = ev({ tz: "America/New_York", start: "2026-03-06T18:00:00", end: "2026-03-06T19:00:00", rrule: "FREQ=DAILY;COUNT=4" });
    expect(utc(e)).toEqual(["2026-03-06T23:00", "2026-03-07T23:00", "2026-03-08T22:00", "2026-03-09T22:00"]);
    const fall = ev({ tz: "America/New_York", start: "2026-10-30T08:00:00", end: "2026-10-30T09:00:00", rrule: "FREQ=DAILY;COUNT=4" });
    expect(utc(fall)).toEqual(["2026-10-30T12:00", "2026-10-31T12:00", "2026-11-01T13:00", "2026-11-02T13:00"]);
  });

  it("a time in the spring gap moves forward by the gap (02:30 reads as 03:30 CEST); a repeated autumn hour means the first", () => {
    const e = ev({ start: "2026-03-28T02:30:00", end: "2026-03-28T03:00:00", rrule: "FREQ=DAILY;COUNT=3" });
    expect(local(e)).toEqual(["2026-03-28T02:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"]);
    const autumn = ev({ start: "2026-10-25T02:30:00", end: "2026-10-25T03:00:00" });
    expect(local(autumn)).toEqual(["2026-10-25T02:30:00+02:00"]);
    expect(utc(autumn)).toEqual(["2026-10-25T00:30"]);
  });

  it("UNTIL in UTC is compared as an instant (inclusive), then converted to the event's wall time", () => {
    const e = ev({ start: "2026-03-16T09:00:00", end: "2026-03-16T10:00:00", rrule: "FREQ=WEEKLY;UNTIL=20260330T070000Z" });
    expect(utc(e)).toEqual(["2026-03-16T08:00", "2026-03-23T08:00", "2026-03-30T07:00"]);
    const date = ev({ start: "2026-03-16T09:00:00", end: "2026-03-16T10:00:00", rrule: "FREQ=WEEKLY;UNTIL=20260323" });
    expect(utc(date)).toEqual(["2026-03-16T08:00", "2026-03-23T08:00"]);
  });
});

describe("rules, exceptions and moves", () => {
  it('monthly on the last Friday (BYDAY=-1FR), in Berlin', () => {
    const e = ev({ start: "2026-01-30T17:00:00", end: "2026-01-30T18:00:00", rrule: "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6" });
    expect(local(e).map((s) => s.slice(0, 10))).toEqual(["2026-01-30", "2026-02-27", "2026-03-27", "2026-04-24", "2026-05-29", "2026-06-26"]);
    expect(utc(e)[2]).toBe("2026-03-27T16:00");
    expect(utc(e)[3]).toBe("2026-04-24T15:00");
  });

  it("EXDATE cancels one occurrence; a moved occurrence leaves its slot and shows at its new time, also from outside the window", () => {
    const base = { start: "2026-03-16T09:00:00", end: "2026-03-16T10:00:00", rrule: "FREQ=WEEKLY;COUNT=4" };
    expect(utc(ev({ ...base, exdates: ["2026-03-23T09:00:00"] }))).toEqual(["2026-03-16T08:00", "2026-03-30T07:00", "2026-04-06T07:00"]);
    const moved = ev({ ...base, overrides: [{ rid: "2026-03-30T09:00:00", start: "2026-04-07T14:00:00", end: "2026-04-07T15:30:00" }] });
    const all = occurrences("e1", moved, win("2026-01-01", "2026-12-31"), UTC);
    expect(all.map((o) => o.start)).toEqual(["2026-03-16T09:00:00+01:00", "2026-03-23T09:00:00+01:00", "2026-04-06T09:00:00+02:00", "2026-04-07T14:00:00+02:00"]);
    expect(all[3]).toMatchObject({ moved: true, recurrenceId: "2026-03-30T09:00:00", end: "2026-04-07T15:30:00+02:00" });
    // A window holding only the new time finds it; one holding only the old slot does not.
    expect(local(moved, "2026-04-07", "2026-04-07")).toEqual(["2026-04-07T14:00:00+02:00"]);
    expect(local(moved, "2026-03-30", "2026-03-30")).toEqual([]);
    // A move of an occurrence the series does not have, or one cancelled, is ignored.
    const stray = ev({ ...base, exdates: ["2026-03-23T09:00:00"], overrides: [{ rid: "2026-03-17T09:00:00", start: "2026-03-18T09:00:00", end: "2026-03-18T10:00:00" }, { rid: "2026-03-23T09:00:00", start: "2026-03-24T09:00:00", end: "2026-03-24T10:00:00" }] });
    expect(utc(stray)).toEqual(["2026-03-16T08:00", "2026-03-30T07:00", "2026-04-06T07:00"]);
  });

  it("concurrent moves of one occurrence: every reader shows the same one", () => {
    const base = { start: "2026-03-16T09:00:00", end: "2026-03-16T10:00:00", rrule: "FREQ=WEEKLY;COUNT=2" };
    const a = { rid: "2026-03-23T09:00:00", start: "2026-03-24T09:00:00", end: "2026-03-24T10:00:00" };
    const b = { rid: "2026-03-23T09:00:00", start: "2026-03-25T09:00:00", end: "2026-03-25T10:00:00" };
    expect(local(ev({ ...base, overrides: [a, b] }))).toEqual(local(ev({ ...base, overrides: [b, a] })));
  });

  it("all-day events hold dates; a weekly all-day series and a three-day event, in the reader's zone", () => {
    const day = ev({ allDay: true, tz: undefined, start: "2026-03-27", end: "2026-03-28", rrule: "FREQ=WEEKLY;COUNT=2" });
    const trip = ev({ allDay: true, tz: undefined, start: "2026-03-30", end: "2026-04-02", title: "Trip" });
    const list = agenda([{ id: "d", event: day }, { id: "t", event: trip }], dayWindow("2026-03-01", "2026-04-30", BERLIN)!, BERLIN);
    expect(list.map((o) => [o.id, o.start, o.end])).toEqual([["d", "2026-03-27", "2026-03-28"], ["d", "2026-04-03", "2026-04-04"], ["t", "2026-03-30", "2026-04-02"]].sort((x, y) => (x[1]! < y[1]! ? -1 : 1)));
    expect(list[0]!.startMs).toBe(Date.UTC(2026, 2, 26, 23));
    // The trip overlaps a window of its middle day only.
    expect(agenda([{ id: "t", event: trip }], dayWindow("2026-03-31", "2026-03-31", BERLIN)!, BERLIN)).toHaveLength(1);
  });

  it("an agenda sorts by instant across zones; an unknown zone reads as UTC with a warning", () => {
    const berlin = ev({ title: "Berlin", start: "2026-05-04T09:00:00", end: "2026-05-04T10:00:00" });
    const ny = ev({ title: "New York", tz: "America/New_York", start: "2026-05-04T02:00:00", end: "2026-05-04T03:00:00" });
    const nowhere = ev({ title: "Nowhere", tz: "Mars/Olympus_Mons", start: "2026-05-04T06:30:00", end: "2026-05-04T07:00:00" });
    const list = agenda([{ id: "b", event: berlin }, { id: "n", event: ny }, { id: "x", event: nowhere }], win("2026-05-04", "2026-05-04"), UTC);
    expect(list.map((o) => o.title)).toEqual(["New York", "Nowhere", "Berlin"]);
    expect(list[1]).toMatchObject({ start: "2026-05-04T06:30:00+00:00", warning: expect.stringMatching(/time zone is unknown/) });
  });

  it("an HOURLY rule over a long range is capped, with a warning", () => {
    const e = ev({ start: "2026-01-01T00:00:00", end: "2026-01-01T00:30:00", rrule: "FREQ=HOURLY" });
    const list = occurrences("e1", e, win("2026-01-01", "2028-12-31"), UTC);
    expect(list.length).toBeLessThanOrEqual(20_000);
    expect(list[0]!.warning).toMatch(/cut short/);
  });
});
