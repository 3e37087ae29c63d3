/**
 * RDATE (review of #12): extra occurrences an imported file lists used to be dropped with only a
 * note. They are kept (schema version 2, `rdates`), expanded beside the rule, cancelled and moved
 * like the rule's occurrences, exported again, and carried between vaults; a batch without them
 * still names version 1.
 */
import { IANAZone } from "luxon";
import { describe, expect, it } from "vitest";
import { thrownAirlockError as failure } from "../../../test-support/errors.js";
import { sync, team, tempRoots } from "../../../test-support/vaults.js";
import { agenda, dayWindow } from "./agenda.js";
import { checkEvent, type CalEvent } from "./event.js";
import { parseIcs, serializeIcs } from "./ical.js";
import { eventsApp } from "./index.js";
import { occurrenceId } from "./input.js";
import { agendaOf } from "./read.js";
import { eventIntents, eventOf } from "./record.js";
import type { CheckContext, Intent } from "../app.js";
import { lowestVersion, type CheckedOp } from "../validate.js";

const root = tempRoots("airlock-rdate-");
const UTC = IANAZone.create("UTC");
const opts = { floatingZone: "UTC", members: new Map<string, string>() };
const ics = (lines: string[]): Uint8Array => new TextEncoder().encode(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN", ...lines, "END:VCALENDAR", ""].join("\r\n"));
const vevent = (...extra: string[]): string[] => ["BEGIN:VEVENT", "UID:r1", "DTSTART;TZID=Europe/Berlin:20260302T090000", "DTEND;TZID=Europe/Berlin:20260302T100000", "SUMMARY:Review", ...extra, "END:VEVENT"];
const starts = (events: readonly CalEvent[], from = "2026-03-01", to = "2026-04-30"): string[] => agenda(events.map((event, i) => ({ id: String(i), event })), dayWindow(from, to, UTC)!, UTC).map((o) => o.start);

describe("RDATE on import", () => {
  it("adds occurrences to a rule and to a one-off event, in the series' zone, and cancels or moves them by RECURRENCE-ID", () => {
    const { events, notes } = parseIcs(
      ics([
        ...vevent("RRULE:FREQ=MONTHLY;COUNT=2", "RDATE;TZID=Europe/Berlin:20260310T090000,20260311T140000", "RDATE:20260401T070000Z", "EXDATE;TZID=Europe/Berlin:20260311T140000"),
        "BEGIN:VEVENT", "UID:r1", "RECURRENCE-ID:20260401T070000Z", "DTSTART;TZID=Europe/Berlin:20260403T090000", "DTEND;TZID=Europe/Berlin:20260403T100000", "SUMMARY:Review", "END:VEVENT",
        "BEGIN:VEVENT", "UID:one", "DTSTART;VALUE=DATE:20260305", "RDATE;VALUE=DATE:20260319", "SUMMARY:Inventory", "END:VEVENT",
      ]),
      opts,
    );
    expect(notes).toEqual([]);
    expect(events[0]).toMatchObject({ rdates: ["2026-03-10T09:00:00", "2026-03-11T14:00:00", "2026-04-01T09:00:00"], exdates: ["2026-03-11T14:00:00"], overrides: [{ rid: "2026-04-01T09:00:00", start: "2026-04-03T09:00:00" }] });
    expect(events[1]).toMatchObject({ allDay: true, start: "2026-03-05", rdates: ["2026-03-19"] });
    expect(starts(events)).toEqual(["2026-03-02T09:00:00+01:00", "2026-03-05", "2026-03-10T09:00:00+01:00", "2026-03-19", "2026-04-02T09:00:00+02:00", "2026-04-03T09:00:00+02:00"]);
    // The extra occurrence is named like any other by the commands.
    expect(occurrenceId(events[0]!, "2026-03-10")).toBe("2026-03-10T09:00:00");
    expect(occurrenceId(events[1]!, "2026-03-19")).toBe("2026-03-19");
    expect(occurrenceId(events[1]!, "2026-03-05")).toBe("2026-03-05");
  });

  it("a PERIOD is an occurrence at its start, lasting as long as it says", () => {
    const { events } = parseIcs(ics(vevent("RDATE;VALUE=PERIOD:20260312T080000Z/20260312T110000Z,20260313T080000Z/PT1H")), opts);
    expect(events[0]!.rdates).toEqual(["2026-03-12T09:00:00", "2026-03-13T09:00:00"]);
    const list = agenda([{ id: "p", event: events[0]! }], dayWindow("2026-03-12", "2026-03-13", UTC)!, UTC);
    expect(list.map((o) => [o.start, o.end])).toEqual([
      ["2026-03-12T09:00:00+01:00", "2026-03-12T12:00:00+01:00"],
      ["2026-03-13T09:00:00+01:00", "2026-03-13T10:00:00+01:00"],
    ]);
  });

  it("too many, or of the wrong kind, fail naming RDATE; an export writes them and reads back the same", () => {
    const many = Array.from({ length: 1025 }, (_, i) => `RDATE:${2027 + Math.floor(i / 365)}0101T${String(i % 24).padStart(2, "0")}${String(Math.floor(i / 24) % 60).padStart(2, "0")}00Z`);
    expect(failure(() => parseIcs(ics(vevent(...many)), opts))).toMatchObject({ code: "EVENTS_IMPORT_MALFORMED", message: expect.stringMatching(/RDATE: lists more than 1024 extra dates/) });
    expect(failure(() => parseIcs(ics(vevent("RDATE;VALUE=DATE:20260310")), opts)).message).toMatch(/RDATE: is a date where DTSTART is a date-time/);
    const { events } = parseIcs(ics(vevent("RRULE:FREQ=WEEKLY;COUNT=3", "RDATE;TZID=Europe/Berlin:20260304T090000")), opts);
    const text = new TextDecoder().decode(serializeIcs([{ id: "x", event: events[0]!, updated: 0 }], new Map()));
    expect(text).toContain("RDATE;TZID=Europe/Berlin:20260304T090000");
    expect(parseIcs(new TextEncoder().encode(text), opts).events[0]).toEqual(events[0]);
    expect(failure(() => checkEvent({ ...events[0]!, rdates: ["2026-03-04"] }, "event")).message).toMatch(/extra date \(RDATE\) is not a time/);
  });
});

describe("RDATE in the vault", () => {
  it("is written as schema version 2 only when used, checked like exdates, and read the same on another vault", async () => {
    const { a, b } = await team(root());
    a.createCollection("cal", "Calendar", "viewer", "editor", "events");
    const base: CalEvent = { title: "Review", allDay: false, tz: "Europe/Berlin", start: "2026-03-02T09:00:00", end: "2026-03-02T10:00:00", exdates: [], overrides: [], attendees: [], guests: [] };
    a.write("cal", eventIntents("plain", base));
    a.write("cal", eventIntents("extra", { ...base, rdates: ["2026-03-10T09:00:00"] }));
    // What a writer names: version 1 unless the batch holds rdates (vault.write uses lowestVersion).
    const named = (e: CalEvent): number => lowestVersion(eventsApp, eventIntents("n", e) as CheckedOp[], () => undefined);
    expect([named(base), named({ ...base, rdates: ["2026-03-10T09:00:00"] })]).toEqual([1, 2]);
    sync(a, b);
    expect(eventOf(b.record("cal", "extra")!).rdates).toEqual(["2026-03-10T09:00:00"]);
    expect(eventOf(b.record("cal", "plain")!).rdates).toBeUndefined();
    expect(agendaOf(b.records("cal"), dayWindow("2026-03-01", "2026-03-31", UTC)!, UTC).map((o) => `${o.id} ${o.start}`)).toEqual([
      "extra 2026-03-02T09:00:00+01:00",
      "plain 2026-03-02T09:00:00+01:00",
      "extra 2026-03-10T09:00:00+01:00",
    ]);
    const context = { state: a.state(), author: a.deviceId, version: 2 } as CheckContext;
    expect(eventsApp.check!([{ kind: "add", record: "x", field: "rdates", value: "2026-02-30T09:00:00" } as Intent], context)).toMatch(/rdates is not a date/);
    a.close();
    b.close();
  });
});
