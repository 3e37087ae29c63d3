/**
 * Hostile iCalendar files (review of #12, F5 and F6): each is refused, or read, after a bounded
 * amount of work. Assertions are on outcomes and counts, never on elapsed time: before the fixes
 * these tests ran for minutes (the vitest timeout fails them).
 */
import { describe, expect, it } from "vitest";
import { AirlockError } from "@airlock/shared";
import { parseIcs } from "./ical.js";

const opts = { floatingZone: "UTC", members: new Map<string, string>() };
const bytes = (lines: string[]): Uint8Array => new TextEncoder().encode([...lines, ""].join("\r\n"));

function failure(f: () => unknown): AirlockError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AirlockError);
    return e as AirlockError;
  }
  throw new Error("expected a failure");
}

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
