/**
 * The events app on real vaults: per-occurrence changes and attendees merged through real bundles,
 * the replicated check on import (attendees must be members at the batch's causal position, RRULE
 * and zone syntax), and role policy (a viewer cannot write).
 */
import { describe, expect, it } from "vitest";
import { stateDigest } from "../../vault/report.js";
import { HostileMember } from "../../../test-support/hostile.js";
import { importInto, newVault, sync, team, tempRoots } from "../../../test-support/vaults.js";
import { IANAZone } from "luxon";
import { dayWindow } from "./agenda.js";
import type { CalEvent } from "./event.js";
import { agendaOf } from "./read.js";
import { eventIntents, eventOf } from "./record.js";

const root = tempRoots("airlock-events-");
const UTC = IANAZone.create("UTC");
const standup: CalEvent = { title: "Stand-up", allDay: false, tz: "Europe/Berlin", start: "2026-03-16T09:00:00", end: "2026-03-16T09:30:00", rrule: "FREQ=WEEKLY;COUNT=4", exdates: [], overrides: [], attendees: [], guests: [] };

describe("events through real bundles", () => {
  it("two laptops offline: attendees both added, one cancels an occurrence, the other moves another; all survive, identically", async () => {
    const { a, b } = await team(root());
    a.createCollection("cal", "Calendar", "viewer", "editor", "events");
    a.write("cal", eventIntents("e1", standup));
    sync(a, b);
    const alice = [...a.state().users.values()].find((u) => u.name === "alice")!.id;
    const bob = [...a.state().users.values()].find((u) => u.name === "bob")!.id;
    const ev = (v: typeof a): CalEvent => eventOf(v.record("cal", "e1")!);
    a.write("cal", eventIntents("e1", { ...ev(a), attendees: [alice], exdates: ["2026-03-23T09:00:00"] }, a.record("cal", "e1")));
    b.write("cal", eventIntents("e1", { ...ev(b), attendees: [bob], location: "Room 2", overrides: [{ rid: "2026-03-30T09:00:00", start: "2026-03-31T14:00:00", end: "2026-03-31T14:30:00" }] }, b.record("cal", "e1")));
    sync(a, b);
    sync(b, a);
    expect([...ev(a).attendees].sort()).toEqual([alice, bob].sort());
    expect(ev(a)).toEqual(ev(b));
    expect(stateDigest(a)).toBe(stateDigest(b));
    const starts = agendaOf(a.records("cal"), dayWindow("2026-03-01", "2026-04-30", UTC)!, UTC).map((o) => o.start);
    expect(starts).toEqual(["2026-03-16T09:00:00+01:00", "2026-03-31T14:00:00+02:00", "2026-04-06T09:00:00+02:00"]);
    a.close();
    b.close();
  });

  it("the stored rule written with its parts in another order or case changes nothing; a changed rule is written", async () => {
    const { a, b } = await team(root());
    a.createCollection("cal", "Calendar", "viewer", "editor", "events");
    a.write("cal", eventIntents("e1", { ...standup, rrule: "FREQ=WEEKLY;BYDAY=MO;COUNT=4" }));
    const have = a.record("cal", "e1")!;
    expect(eventIntents("e1", { ...eventOf(have), rrule: "count=4;FREQ=WEEKLY;BYDAY=MO" }, have)).toEqual([]);
    expect(eventIntents("e1", { ...eventOf(have), rrule: "FREQ=WEEKLY;BYDAY=MO;BYDAY=MO;COUNT=4" }, have)).toHaveLength(1);
    expect(eventIntents("e1", { ...eventOf(have), rrule: "FREQ=WEEKLY;BYDAY=TU;COUNT=4" }, have)).toEqual([
      { kind: "set", record: "e1", field: "rrule", value: "FREQ=WEEKLY;BYDAY=TU;COUNT=4" },
    ]);
    a.close();
    b.close();
  });

  it("a viewer cannot write an event, and a viewer's forged changeset is rejected on import", async () => {
    const r = root();
    const { a, b, clock } = await team(r);
    a.createCollection("cal", "Calendar", "viewer", "editor", "events");
    a.write("cal", eventIntents("e1", standup));
    const c = await newVault(r, "c", clock);
    a.addMember(c.joinRequest("vera").bytes, "viewer");
    sync(a, c);
    expect(eventOf(c.record("cal", "e1")!).title).toBe("Stand-up");
    expect(() => c.write("cal", [{ kind: "set", record: "e1", field: "title", value: "Cancelled" }])).toThrow(/may not write|not allowed|viewer/i);
    sync(c, a);
    const forged = new HostileMember(c);
    const report = importInto(a, [forged.bundle({ changesets: [forged.changeset({ collection: "cal", ops: [{ kind: "set", record: "e1", field: "title", value: "Cancelled" }] })] })]);
    expect(report.rejected).toBe(1);
    expect(eventOf(a.record("cal", "e1")!).title).toBe("Stand-up");
    a.close();
    b.close();
    c.close();
  });

  it("rejects on import a batch naming a non-member attendee, a bad RRULE or a malformed zone; a member's valid batch applies", async () => {
    const { a, b } = await team(root());
    a.createCollection("cal", "Calendar", "viewer", "editor", "events");
    sync(a, b);
    sync(b, a);
    const bob = [...a.state().users.values()].find((u) => u.name === "bob")!.id;
    const mallory = new HostileMember(b);
    const set = (record: string, field: string, value: string) => ({ kind: "set" as const, record, field, value });
    const stranger = mallory.changeset({ collection: "cal", ops: [set("x1", "title", "x"), { kind: "add", record: "x1", field: "attendees", value: "ab".repeat(32) }] });
    const secondly = mallory.changeset({ collection: "cal", ops: [set("x2", "title", "x"), set("x2", "rrule", "FREQ=SECONDLY")] });
    const zone = mallory.changeset({ collection: "cal", ops: [set("x3", "title", "x"), set("x3", "tz", "../../etc/passwd")] });
    const time = mallory.changeset({ collection: "cal", ops: [set("x4", "title", "x"), set("x4", "start", "2026-02-30T09:00:00")] });
    const good = mallory.changeset({ collection: "cal", ops: [...eventIntents("x5", standup).map((i) => ({ ...i })), { kind: "add", record: "x5", field: "attendees", value: bob }] });
    const report = importInto(a, [mallory.bundle({ changesets: [stranger, secondly, zone, time, good] })]);
    expect(report.rejected).toBe(4);
    expect(report.applied).toBe(1);
    const reasons = (a.store.connection().prepare("SELECT reason FROM changesets WHERE status = 'rejected' ORDER BY seq").all() as { reason: string }[]).map((x) => x.reason);
    expect(reasons.join("\n")).toMatch(/attendees is not a member[\s\S]*RRULE FREQ must be one of[\s\S]*tz is not an IANA zone name[\s\S]*start is not a date or a wall-clock time/);
    for (const id of ["x1", "x2", "x3", "x4"]) expect(a.record("cal", id)).toBeUndefined();
    expect(eventOf(a.record("cal", "x5")!).attendees).toEqual([bob]);
    a.close();
    b.close();
  });
});
