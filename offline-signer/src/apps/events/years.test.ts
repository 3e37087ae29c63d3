/**
 * Years before 1000 (review of #12): Date.UTC and rrule read the years 0–99 as 1900–1999, so an
 * event in 0050 used to expand in 1950. Every path refuses such a date alike, with its own reason:
 * the replicated check, the write-time limits, what people type, an imported file; and a record
 * accepted by an older release shows nothing rather than the wrong century.
 */
import { IANAZone } from "luxon";
import { describe, expect, it } from "vitest";
import { thrownAirlockError as failure } from "../../../test-support/errors.js";
import type { CheckContext, Intent } from "../app.js";
import { dayWindow, occurrences } from "./agenda.js";
import { checkEvent, type CalEvent } from "./event.js";
import { parseIcs } from "./ical.js";
import { eventsApp } from "./index.js";
import { dateFromInput, wallFromInput } from "./input.js";
import { OVERRIDE_SEPARATOR } from "./syntax.js";

const UTC = IANAZone.create("UTC");
const ev = (start: string, end: string, over: Partial<CalEvent> = {}): CalEvent => ({ title: "t", allDay: false, tz: "UTC", start, end, exdates: [], overrides: [], attendees: [], guests: [], ...over });
const context = { state: { users: new Map() }, author: "a".repeat(64), version: 1 } as unknown as CheckContext;
const check = (field: string, value: string, kind: "set" | "add" = "set"): string | undefined => eventsApp.check!([{ kind, record: "e", field, value } as Intent], context);

describe("an event before the year 1000", () => {
  it("is not expanded in the twentieth century", () => {
    const yearly = ev("0050-01-01T09:00:00", "0050-01-01T10:00:00", { rrule: "FREQ=YEARLY" });
    expect(occurrences("y", yearly, dayWindow("1950-01-01", "1950-12-31", UTC)!, UTC)).toEqual([]);
    expect(occurrences("y", ev("0099-06-01T09:00:00", "0099-06-01T10:00:00"), dayWindow("1999-06-01", "1999-06-01", UTC)!, UTC)).toEqual([]);
    expect(dayWindow("0050-01-01", "0050-12-31", UTC)).toBeUndefined();
    // The first year allowed reads as itself.
    const first = occurrences("f", ev("1000-01-01T09:00:00", "1000-01-01T10:00:00", { rrule: "FREQ=YEARLY;COUNT=2" }), dayWindow("1000-01-01", "1001-12-31", UTC)!, UTC);
    expect(first.map((o) => new Date(o.startMs).getUTCFullYear())).toEqual([1000, 1001]);
  });

  it("is refused by the replicated check, naming the year rule", () => {
    for (const [field, value] of [["start", "0050-01-01T09:00:00"], ["end", "0999-12-31"], ["exdates", "0050-01-01T09:00:00"]] as const) {
      expect(check(field, value, field === "exdates" ? "add" : "set"), value).toMatch(/before the year 1000/);
    }
    expect(check("rrule", "FREQ=YEARLY;UNTIL=00501231T000000Z")).toMatch(/UNTIL that is before the year 1000/);
    expect(check("overrides", ["0050-01-01T09:00:00", "0050-01-02T09:00:00", "0050-01-02T10:00:00"].join(OVERRIDE_SEPARATOR), "add")).toMatch(/before the year 1000/);
    expect(check("start", "1000-01-01T00:00:00")).toBeUndefined();
  });

  it("is refused when written, typed and imported, with a typed error", () => {
    expect(failure(() => checkEvent(ev("0050-01-01T09:00:00", "0050-01-01T10:00:00"), "the new event"))).toMatchObject({ code: "EVENTS_BAD_EVENT", message: expect.stringMatching(/start is before the year 1000/) });
    expect(failure(() => wallFromInput("0050-01-01T09:00", "Europe/Berlin"))).toMatchObject({ code: "EVENTS_BAD_EVENT", message: expect.stringMatching(/before the year 1000/) });
    expect(failure(() => wallFromInput("1000-01-01T00:30+02:00", "UTC")).code).toBe("EVENTS_BAD_EVENT");
    expect(failure(() => dateFromInput("0050-01-01")).code).toBe("EVENTS_BAD_EVENT");
    expect(dateFromInput("2026-02-30")).toBeUndefined();
    const file = ["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:old", "DTSTART:20260101T090000Z", "DTEND:00500101T100000Z", "SUMMARY:x", "END:VEVENT", "END:VCALENDAR", ""].join("\r\n");
    const e = failure(() => parseIcs(new TextEncoder().encode(file), { floatingZone: "UTC", members: new Map() }));
    expect(e).toMatchObject({ code: "EVENTS_IMPORT_MALFORMED", message: expect.stringMatching(/line 6, DTEND: is before the year 1000/) });
  });
});
