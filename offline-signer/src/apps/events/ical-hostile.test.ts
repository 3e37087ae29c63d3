/**
 * Hostile iCalendar files (review of #12, F5 and F6): each is refused, or read, after a bounded
 * amount of work. Assertions are on outcomes and counts, never on elapsed time: before the fixes
 * these tests ran for minutes (the vitest timeout fails them).
 */
import { thrownAirlockError as failure } from "../../../test-support/errors.js";
import { describe, expect, it } from "vitest";
import { parseIcs } from "./ical.js";

const opts = { floatingZone: "UTC", members: new Map<string, string>() };
const bytes = (lines: string[]): Uint8Array => new TextEncoder().encode([...lines, ""].join("\r\n"));


describe("the line scan", () => {
  it("a line of 10,000 semicolons and no colon is refused by line number (no backtracking blow-up)", () => {
    const e = failure(() => parseIcs(bytes(["BEGIN:VCALENDAR", `X${";".repeat(10_000)}`, "END:VCALENDAR"]), opts));
    expect(e.code).toBe("EVENTS_IMPORT_MALFORMED");
    expect(e.message).toMatch(/line 2: is not a property line/);
  });

  it("parameters with quoted `;` and `:` still read; runs of quotes and semicolons do not blow up", () => {
    const vevent = ["BEGIN:VEVENT", "UID:q", 'DTSTART;X-A="a;b:c";X-B=d:20260301T090000Z', "DTEND:20260301T100000Z", "SUMMARY:q", "END:VEVENT"];
    expect(parseIcs(bytes(["BEGIN:VCALENDAR", "VERSION:2.0", ...vevent, "END:VCALENDAR"]), opts).events[0]!.start).toBe("2026-03-01T09:00:00");
    for (const line of [`X;${'"'.repeat(10_001)}`, `X${';""'.repeat(5_000)};"`, `X${";a".repeat(10_000)}`]) {
      expect(failure(() => parseIcs(bytes(["BEGIN:VCALENDAR", line, "END:VCALENDAR"]), opts)).code).toBe("EVENTS_IMPORT_MALFORMED");
    }
  });
});

describe("VTIMEZONE rules", () => {
  const zoned = (part: string[], tzid = "Evil Zone"): Uint8Array =>
    bytes([
      "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x",
      "BEGIN:VTIMEZONE", `TZID:${tzid}`,
      "BEGIN:STANDARD", "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", ...part, "END:STANDARD",
      "BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
      "END:VTIMEZONE",
      "BEGIN:VEVENT", "UID:a", `DTSTART;TZID=${tzid}:20260301T090000`, `DTEND;TZID=${tzid}:20260301T100000`, "SUMMARY:x", "END:VEVENT",
      "END:VCALENDAR",
    ]);

  it("a yearly zone is used (the event's instant, in UTC)", () => {
    const [e] = parseIcs(zoned(["RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"]), opts).events;
    expect(e).toMatchObject({ tz: "UTC", start: "2026-03-01T08:00:00", end: "2026-03-01T09:00:00" });
    const [old] = parseIcs(zoned(["RRULE:FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU"]), opts).events;
    expect(old!.start).toBe("2026-03-01T08:00:00");
  });

  it("a zone whose rule is not yearly, has long BY lists or too many RDATEs is refused; an event in it fails naming the zone", () => {
    const rdates = Array.from({ length: 1_001 }, (_, i) => `RDATE:${2026 + Math.floor(i / 300)}${String(1 + (i % 12)).padStart(2, "0")}${String(1 + (i % 28)).padStart(2, "0")}T030000`);
    const cases: [string[], RegExp][] = [
      [["RRULE:FREQ=MINUTELY"], /not yearly/],
      [["RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"], /not yearly/],
      [["RRULE:FREQ=YEARLY;BYYEARDAY=1,2,3,4,5,6,7,8,9,10"], /too many BYYEARDAY/],
      [["RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"], /more than one RRULE/],
      [rdates, /more than 1000 dates/],
    ];
    for (const [part, why] of cases) {
      const e = failure(() => parseIcs(zoned(part), opts));
      expect(e.code).toBe("EVENTS_IMPORT_MALFORMED");
      expect(e.message).toMatch(/DTSTART: names the time zone "Evil Zone", whose VTIMEZONE/);
      expect(e.message).toMatch(why);
    }
  });

  it("a refused zone that no event names, or whose TZID is an IANA name, costs nothing", () => {
    const ok = parseIcs(zoned(["RRULE:FREQ=MINUTELY"], "Europe/Berlin"), opts).events[0]!;
    expect(ok).toMatchObject({ tz: "Europe/Berlin", start: "2026-03-01T09:00:00" });
  });
});
