/**
 * `airlock events …` through the real bin as child processes: one team (alice admin, vera viewer),
 * one USB folder. Every process start costs about a second on a busy machine, so one setup is
 * shared and each call checks several things.
 */
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { airlock, airlockJson, cliFailure as failure } from "../../../test-support/cli.js";
import { tempRoot } from "../../../test-support/vaults.js";

const { root, cleanup } = tempRoot("airlock-events-cli-");
afterAll(cleanup);
const HOMES = { alice: join(root, "alice"), vera: join(root, "vera") };
const as = (who: keyof typeof HOMES): string[] => ["--home", HOMES[who]];
const FIXTURE = new URL("./fixtures/google.ics", import.meta.url).pathname;


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
    airlockJson(["init", "--team", "Field office", "--name", "alice", ...as("alice")]);
    airlockJson(["join", "--name", "vera", "--out", join(root, "vera.req"), ...as("vera")]);
    airlockJson(["members", "add", join(root, "vera.req"), "--role", "viewer", ...as("alice")]);
    airlockJson(["collections", "add", "cal", "--type", "events", ...as("alice")]);
    airlockJson(["export", "--usb", stick, ...as("alice")]);
    airlockJson(["import", stick, ...as("vera")]);
  }, 120_000);

  it("add, agenda across the DST change, cancel and move one occurrence, show, import, export, rm; a viewer is refused", () => {
    const id = airlockJson([
      "events", "add", "--title", "Stand-up", "--start", "2026-03-16T09:00", "--end", "2026-03-16T09:30", "--tz", "Europe/Berlin",
      "--rrule", "FREQ=WEEKLY;BYDAY=MO;COUNT=4", "--attendee", "vera", "--location", "Room 2", ...as("alice"),
    ])["id"] as string;
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(airlockJson(["events", "cancel-occurrence", id, "2026-03-23", ...as("alice")])).toMatchObject({ changed: ["exdates"] });
    expect(airlockJson(["events", "move-occurrence", id, "2026-03-30", "--start", "2026-03-31T14:00", "--end", "2026-03-31T14:30", ...as("alice")])).toMatchObject({ changed: ["overrides"] });
    const imported = airlockJson(["events", "import", FIXTURE, ...as("alice")]);
    expect(imported).toMatchObject({ collection: "cal", added: 2, updated: 0 });

    const agenda = airlockJson(["events", "agenda", "--from", "2026-03-16", "--to", "2026-04-06", "--tz", "Europe/Berlin", ...as("alice")]);
    const mine = (agenda["occurrences"] as Occ[]).filter((o) => o.id === id);
    expect(mine.map((o) => o.start)).toEqual(["2026-03-16T09:00:00+01:00", "2026-03-31T14:00:00+02:00", "2026-04-06T09:00:00+02:00"]);
    expect(mine[1]!.moved).toBe(true);
    expect((agenda["occurrences"] as Occ[]).map((o) => o.title)).toContain("Office closed");
    const text = airlock(["events", "agenda", "--from", "2026-04-06", "--to", "2026-04-06", "--tz", "America/New_York", ...as("alice")]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/2026-04-06 03:00-03:30\s+Stand-up\s+Room 2/);

    const shown = airlockJson(["events", "show", id, ...as("alice")])["event"] as { attendees: { name: string }[]; exdates: string[]; uid: string };
    expect(shown.attendees.map((x) => x.name)).toEqual(["vera"]);
    expect(shown.exdates).toEqual(["2026-03-23T09:00:00"]);

    const file = join(root, "out.ics");
    expect(airlockJson(["events", "export", file, ...as("alice")])).toMatchObject({ exported: 3, invalid: 0 });
    const ics = readFileSync(file, "utf8").replace(/\r\n[ \t]/g, "");
    expect(ics).toContain(`UID:${shown.uid}`);
    expect(ics).toContain("RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000");
    expect(ics).toContain("EXDATE;TZID=Europe/Berlin:20260323T090000");
    // RFC 5545 asks for a VTIMEZONE for each TZID; the file reads back as the same events.
    expect(ics).toMatch(/BEGIN:VTIMEZONE\r\nTZID:Europe\/Berlin\r\n/);
    expect(airlockJson(["events", "import", file, ...as("alice")])).toMatchObject({ added: 0, updated: 3 });

    // Bad input: typed errors, nothing written.
    expect(failure(airlock(["events", "add", "--title", "x", "--start", "2026-03-16T09:00", "--end", "2026-03-16T10:00", "--tz", "Mars/Base", "--json", ...as("alice")])).code).toBe("EVENTS_BAD_EVENT");
    expect(failure(airlock(["events", "cancel-occurrence", id, "2026-03-24", "--json", ...as("alice")])).code).toBe("EVENTS_NO_OCCURRENCE");
    const viewer = failure(airlock(["events", "add", "--title", "Mine", "--start", "2026-04-03", "--all-day", "--collection", "cal", "--json", ...as("vera")]));
    expect(viewer.message).toMatch(/viewer|may not|not allowed/i);
    expect(airlockJson(["events", "rm", id, ...as("alice")])).toEqual({ ok: true, id });
  }, 120_000);
});
