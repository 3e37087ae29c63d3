/**
 * `airlock events …` through the real bin as child processes: one team (alice admin, vera viewer),
 * one USB folder. Every process start costs about a second on a busy machine, so one setup is
 * shared, each call checks several things, and commands in a row run in one process
 * (airlockBatch: each still opens and closes the vault, with its own output and exit code).
 */
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { airlockBatch, airlockJson, airlockJsonBatch, type CliResult, cliFailure as failure } from "../../../test-support/cli.js";
import { tempRoot } from "../../../test-support/vaults.js";
import { fingerprintArgs } from "../../../test-support/fingerprint.js";

const { root, cleanup } = tempRoot("airlock-events-cli-");
afterAll(cleanup);
const HOMES = { alice: join(root, "alice"), vera: join(root, "vera") };
const as = (who: keyof typeof HOMES): string[] => ["--home", HOMES[who]];
const FIXTURE = new URL("./fixtures/google.ics", import.meta.url).pathname;


/** A batch result's --json output, once it is known to have succeeded. */
function parsed(r: CliResult): Record<string, unknown> {
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

interface Occ {
  id: string;
  title: string;
  start: string;
  moved?: boolean;
}

describe("events through the airlock CLI", () => {
  beforeAll(() => {
    const stick = join(root, "stick");
    mkdirSync(stick);
    airlockJsonBatch([
      ["init", "--team", "Field office", "--name", "alice", ...as("alice")],
      ["join", "--name", "vera", "--out", join(root, "vera.req"), ...as("vera")],
    ]);
    // The admin reads the request's fingerprint once it exists (the code on vera's screen).
    airlockJsonBatch([
      ["members", "add", join(root, "vera.req"), "--role", "viewer", ...fingerprintArgs(join(root, "vera.req")), ...as("alice")],
      ["collections", "add", "cal", "--type", "events", ...as("alice")],
      ["export", "--usb", stick, ...as("alice")],
      ["import", stick, ...as("vera")],
    ]);
  }, 120_000);

  it("add, agenda across the DST change, cancel and move one occurrence, show, import, export, rm; a viewer is refused", () => {
    const id = airlockJson([
      "events", "add", "--title", "Stand-up", "--start", "2026-03-16T09:00", "--end", "2026-03-16T09:30", "--tz", "Europe/Berlin",
      "--rrule", "FREQ=WEEKLY;BYDAY=MO;COUNT=4", "--attendee", "vera", "--location", "Room 2", ...as("alice"),
    ])["id"] as string;
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    const file = join(root, "out.ics");
    // An event with no UID: the export gives it one, and importing the export does not add it twice.
    const noUid = join(root, "no-uid.ics");
    writeFileSync(noUid, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270105\r\nSUMMARY:No UID\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    const [cancelled, moved, imported, noUidImported, agendaRun, text, showRun, exported] = airlockBatch([
      ["events", "cancel-occurrence", id, "2026-03-23", "--json", ...as("alice")],
      ["events", "move-occurrence", id, "2026-03-30", "--start", "2026-03-31T14:00", "--end", "2026-03-31T14:30", "--json", ...as("alice")],
      ["events", "import", FIXTURE, "--json", ...as("alice")],
      ["events", "import", noUid, "--json", ...as("alice")],
      ["events", "agenda", "--from", "2026-03-16", "--to", "2026-04-06", "--tz", "Europe/Berlin", "--json", ...as("alice")],
      ["events", "agenda", "--from", "2026-04-06", "--to", "2026-04-06", "--tz", "America/New_York", ...as("alice")],
      ["events", "show", id, "--json", ...as("alice")],
      ["events", "export", file, "--json", ...as("alice")],
    ]);
    expect(parsed(cancelled!)).toMatchObject({ changed: ["exdates"] });
    expect(parsed(moved!)).toMatchObject({ changed: ["overrides"] });
    expect(parsed(imported!)).toMatchObject({ collection: "cal", added: 2, updated: 0, unchanged: 0 });
    expect(parsed(noUidImported!)).toMatchObject({ added: 1 });

    const agenda = parsed(agendaRun!);
    const mine = (agenda["occurrences"] as Occ[]).filter((o) => o.id === id);
    expect(mine.map((o) => o.start)).toEqual(["2026-03-16T09:00:00+01:00", "2026-03-31T14:00:00+02:00", "2026-04-06T09:00:00+02:00"]);
    expect(mine[1]!.moved).toBe(true);
    expect((agenda["occurrences"] as Occ[]).map((o) => o.title)).toContain("Office closed");
    expect(text!.status, text!.stderr).toBe(0);
    expect(text!.stdout).toMatch(/2026-04-06 03:00-03:30\s+Stand-up\s+Room 2/);

    const shown = parsed(showRun!)["event"] as { attendees: { name: string }[]; exdates: string[]; uid: string };
    expect(shown.attendees.map((x) => x.name)).toEqual(["vera"]);
    expect(shown.exdates).toEqual(["2026-03-23T09:00:00"]);

    expect(parsed(exported!)).toMatchObject({ exported: 4, invalid: 0 });
    const ics = readFileSync(file, "utf8").replace(/\r\n[ \t]/g, "");
    expect(ics).toContain(`UID:${shown.uid}`);
    expect(ics).toContain("RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000");
    expect(ics).toContain("EXDATE;TZID=Europe/Berlin:20260323T090000");
    // RFC 5545 asks for a VTIMEZONE for each TZID; the file reads back as the same events.
    expect(ics).toMatch(/BEGIN:VTIMEZONE\r\nTZID:Europe\/Berlin\r\n/);
    const [reimported, badZone, noOccurrence, unknownAttendee, badDay, byViewer, removed] = airlockBatch([
      ["events", "import", file, "--json", ...as("alice")],
      // Bad input: typed errors, nothing written.
      ["events", "add", "--title", "x", "--start", "2026-03-16T09:00", "--end", "2026-03-16T10:00", "--tz", "Mars/Base", "--json", ...as("alice")],
      ["events", "cancel-occurrence", id, "2026-03-24", "--json", ...as("alice")],
      ["events", "add", "--title", "x", "--start", "2026-03-16T09:00", "--end", "2026-03-16T10:00", "--tz", "UTC", "--attendee", "zed", "--json", ...as("alice")],
      ["events", "agenda", "--from", "2026-02-30", "--to", "2026-03-01", "--json", ...as("alice")],
      ["events", "add", "--title", "Mine", "--start", "2026-04-03", "--all-day", "--collection", "cal", "--json", ...as("vera")],
      ["events", "rm", id, "--json", ...as("alice")],
    ]);
    // Nothing new in the file: nothing added or written, though ical.js orders the Stand-up's RRULE
    // parts its own way (COUNT before BYDAY).
    expect(parsed(reimported!)).toMatchObject({ added: 0, updated: 0, unchanged: 4 });
    expect(failure(badZone!).code).toBe("EVENTS_BAD_EVENT");
    // The errors name the value that was wrong.
    expect(failure(noOccurrence!)).toMatchObject({ code: "EVENTS_NO_OCCURRENCE", message: 'the series has no occurrence on "2026-03-24"' });
    expect(failure(unknownAttendee!)).toMatchObject({ code: "EVENTS_UNKNOWN_ATTENDEE", message: 'attendee "zed" is not a member of the team' });
    expect(failure(badDay!)).toMatchObject({ code: "USAGE", message: "--from is not a date (YYYY-MM-DD): 2026-02-30" });
    const viewer = failure(byViewer!);
    expect(viewer.message).toMatch(/viewer|may not|not allowed/i);
    expect(parsed(removed!)).toEqual({ ok: true, id });
  }, 120_000);
});
