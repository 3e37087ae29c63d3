/**
 * The calendar screen against real vaults (encrypted SQLite in temp folders, test-only KDF):
 * events listed by their next occurrence with recurrences expanded across the DST change, the
 * detail with member names, and an event added and edited through the form as real changesets.
 */
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { ENTER, TAB, press, tuiFixtures, until } from "../../../test-support/tui.js";
import { eventIntents, eventOf } from "../../apps/events/record.js";
import type { CalEvent } from "../../apps/events/event.js";
import { App } from "../App.js";

const fixtures = tuiFixtures("airlock-tui-events-");

/** A Saturday before the EU's spring change (29 March 2026). */
const NOW = Date.UTC(2026, 2, 21, 12);
const base = { exdates: [], overrides: [], attendees: [], guests: [] };

describe("the calendar screen", () => {
  it("lists events by next occurrence and shows the coming ones in the event's zone; adds and edits through the form", async () => {
    const { a } = await fixtures.team();
    a.createCollection("cal", "Calendar", "viewer", "editor", "events");
    const bob = [...a.state().users.values()].find((u) => u.name === "bob")!.id;
    const standup: CalEvent = { ...base, title: "Stand-up", allDay: false, tz: "Europe/Berlin", start: "2026-03-16T09:00:00", end: "2026-03-16T09:30:00", rrule: "FREQ=WEEKLY;COUNT=4", location: "Room 2", attendees: [bob], exdates: ["2026-03-23T09:00:00"] };
    a.write("cal", eventIntents("e1", standup));
    a.write("cal", eventIntents("e2", { ...base, title: "Office closed", allDay: true, start: "2026-03-27", end: "2026-03-28" }));
    a.write("cal", eventIntents("e3", { ...base, title: "Last year", allDay: true, start: "2025-03-27", end: "2025-03-28" }));

    const screen = render(<App home={a.store.dir} vault={a} now={() => NOW} />);
    await until(screen, "Notes (0)");
    let frame = await press(screen, TAB, "Calendar (3)");
    const rows = frame.split("\n");
    const at = (s: string): number => rows.findIndex((l) => l.includes(s));
    expect(frame).toMatch(/› Office closed\s+2026-03-27/);
    expect(at("Office closed")).toBeLessThan(at("Stand-up"));
    expect(at("Stand-up")).toBeLessThan(at("Last year"));
    expect(frame).toMatch(/Last year\s+\(past\)/);

    await press(screen, "j", /› Stand-up/);
    frame = await until(screen, "Next (2)");
    expect(frame).toMatch(/attendee\s+bob/);
    expect(frame).toMatch(/location\s+Room 2/);
    // 23 March is cancelled; 30 March is after the change: still 09:00, now +02:00.
    expect(frame).toContain("2026-03-30 09:00 +02:00");
    expect(frame).toContain("2026-04-06 09:00 +02:00");
    expect(frame).not.toContain("2026-03-23 09:00");

    await press(screen, "a", "New event in cal");
    await press(screen, "Budget review", "Budget review");
    await press(screen, TAB, /› Start/);
    await press(screen, "2026-03-27T17:00", "2026-03-27T17:00");
    await press(screen, TAB, /› End/);
    await press(screen, "2026-03-27T18:00", "2026-03-27T18:00");
    await press(screen, TAB, /› Time zone/);
    await press(screen, "\x7f".repeat(40), /› Time zone\s*:\s+│/);
    await press(screen, "America/New_York", "America/New_York");
    await press(screen, TAB, /› Repeats/);
    await press(screen, "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR");
    frame = await press(screen, ENTER, /› Location/);
    frame = await press(screen, ENTER, "Added “Budget review” to cal.");
    expect(frame).toContain("Calendar (4)");
    const review = a.records("cal").map(eventOf).find((e) => e.title === "Budget review")!;
    expect(review).toMatchObject({ allDay: false, tz: "America/New_York", start: "2026-03-27T17:00:00", end: "2026-03-27T18:00:00", rrule: "FREQ=MONTHLY;BYDAY=-1FR" });
    expect(frame).toContain("2026-04-24 17:00 -04:00");

    await press(screen, "e", "Edit “Budget review”");
    await press(screen, " (moved)", "Budget review (moved)");
    await press(screen, ENTER, /› Start/);
    for (const f of ["End", "Time zone", "Repeats", "Location"]) await press(screen, ENTER, new RegExp(`› ${f.replace(/[()]/g, "\\$&")}`));
    await press(screen, ENTER, "Updated “Budget review (moved)”.");
    expect(a.records("cal").map(eventOf).find((e) => e.title === "Budget review (moved)")?.rrule).toBe("FREQ=MONTHLY;BYDAY=-1FR");
  });
});
